from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "mediahub"
admin.site.site_title = "mediahub"
admin.site.index_title = "Media library"
# There is no public site to view: the admin is the whole app, and "/" only
# redirects back here.
admin.site.site_url = None

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("", include("transcoder.urls")),
]
