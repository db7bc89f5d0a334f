from django.urls import path

from transcoder import api, delivery

app_name = "transcoder"

urlpatterns = [
    path("media/<path:name>", delivery.serve, name="serve"),
    path("e/<uuid:asset_id>/<slug:preset_slug>/", delivery.embed, name="embed"),
    path("api/assets/", api.asset_list, name="api-asset-list"),
    path("api/assets/<uuid:asset_id>/", api.asset_detail, name="api-asset-detail"),
]
