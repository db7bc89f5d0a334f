from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

# There is no public site: the admin is the whole app (mediahub.admin), and
# "/" only redirects there.

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("transcoder.urls")),
]
