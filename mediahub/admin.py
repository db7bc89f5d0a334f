"""The admin site: Django's, with a "view on site" shortcut that asks the policy."""

from django.contrib import admin
from django.contrib.contenttypes import views as contenttype_views
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.urls import path


class MediahubAdminSite(admin.AdminSite):
    """The admin is the whole app: there is no public site to link to."""

    site_header = "mediahub"
    site_title = "mediahub"
    index_title = "Media library"
    site_url = None

    def get_urls(self):
        # Django's own r/<content type>/<id>/ redirects to any object's
        # get_absolute_url, so it would confirm that an id exists in a
        # collection the user may not see. Ours answers only for objects the
        # object's own ModelAdmin shows this user, and 404 otherwise.
        shortcut = path(
            "r/<int:content_type_id>/<path:object_id>/",
            self.admin_view(self.view_on_site),
            name="view_on_site",
        )
        return [
            shortcut if getattr(p, "name", None) == "view_on_site" else p
            for p in super().get_urls()
        ]

    def view_on_site(self, request, content_type_id, object_id):
        """Redirect to the object's page if its ModelAdmin lets ``request`` view it."""
        try:
            model = ContentType.objects.get_for_id(content_type_id).model_class()
        except ObjectDoesNotExist:
            raise Http404 from None
        model_admin = self._registry.get(model)
        if model_admin is None or not model_admin.has_view_or_change_permission(
            request
        ):
            raise Http404
        try:
            shown = model_admin.get_queryset(request).filter(pk=object_id).exists()
        except (ValueError, ValidationError):
            shown = False
        if not shown:
            raise Http404
        return contenttype_views.shortcut(request, content_type_id, object_id)
