from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

# There is no public site: the admin is the whole app (mediahub.admin), and
# "/" only redirects there.

# JSON under /api/ and /e/, Django's page elsewhere.
handler500 = "transcoder.web.errors.server_error"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    # The language switcher posts here (Django's set_language: a cookie).
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("transcoder.urls")),
]
