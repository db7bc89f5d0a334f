from django.urls import path, re_path

from transcoder.api.core import errors as api_errors
from transcoder.api.schema import document as api_schema
from transcoder.api.views import assets as api_views
from transcoder.api.views import changes as api_changes
from transcoder.api.views import presets as api_presets
from transcoder.api.views import replace as api_replace
from transcoder.api.views import uploads as api_uploads
from transcoder.api.views import widget as api_widget
from transcoder.delivery import serving
from transcoder.web import errors as web_errors

app_name = "transcoder"

urlpatterns = [
    path("media/<path:name>", serving.serve, name="serve"),
    path("e/<uuid:asset_id>/<slug:preset_slug>/", serving.embed, name="embed"),
    re_path(r"^e/", web_errors.embed_not_found),
    path("api/schema/", api_schema.schema_view, name="api-schema"),
    path("api/assets/", api_views.asset_list, name="api-asset-list"),
    path(
        "api/assets/<uuid:asset_id>/",
        api_views.asset_detail,
        name="api-asset-detail",
    ),
    path(
        "api/assets/<uuid:asset_id>/replace/",
        api_replace.asset_replace,
        name="api-asset-replace",
    ),
    path("api/presets/", api_presets.preset_list, name="api-preset-list"),
    path("api/changes/", api_changes.change_list, name="api-change-list"),
    path("api/uploads/", api_uploads.upload_create, name="api-upload-create"),
    path(
        "api/uploads/finalize/",
        api_uploads.upload_finalize,
        name="api-upload-finalize",
    ),
    path(
        "api/uploads/content/<str:signed>/",
        api_uploads.upload_content,
        name="api-upload-content",
    ),
    path("api/widget/uploads/", api_widget.upload_ask, name="api-widget-ask"),
    path(
        "api/widget/uploads/finalize/",
        api_widget.upload_finalize,
        name="api-widget-finalize",
    ),
    path(
        "api/widget/uploads/content/<str:signed>/",
        api_widget.upload_content,
        name="api-widget-content",
    ),
    path(
        "api/widget/uploads/<uuid:upload_id>/",
        api_widget.upload_status,
        name="api-widget-status",
    ),
    re_path(r"^api/", api_errors.not_found),
]
