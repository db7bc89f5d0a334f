"""The admin site: Django's, with a "view on site" shortcut that asks the policy,
and the third-party apps' tables grouped as "System", for superusers only."""

from django.contrib import admin
from django.contrib.contenttypes import views as contenttype_views
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

# Apps whose tables are the machinery, not the library: login lockouts, tag
# rows and task results. Superusers find them under one "System" heading;
# nobody else sees them in the home or the navigation.
SYSTEM_APPS = ("axes", "taggit", "django_tasks_database")


class MediahubAdminSite(admin.AdminSite):
    """The admin is the whole app: there is no public site to link to."""

    site_header = "mediahub"
    site_title = "mediahub"
    index_title = _("Media library")
    site_url = None

    def get_app_list(self, request, app_label=None):
        """List the apps, with the system apps as one "System" entry, last."""
        apps = super().get_app_list(request, app_label)
        system = [a for a in apps if a["app_label"] in SYSTEM_APPS]
        if not request.user.is_superuser:
            return [a for a in apps if a["app_label"] not in SYSTEM_APPS]
        if app_label is not None or not system:
            # An app's own page (/admin/axes/) still lists that app alone.
            return apps
        models = sorted(
            (m for a in system for m in a["models"]), key=lambda m: str(m["name"])
        )
        entry = {
            "name": _("System"),
            "app_label": "system",
            "app_url": reverse("admin:system_index", current_app=self.name),
            "has_module_perms": True,
            "models": models,
        }
        return [a for a in apps if a["app_label"] not in SYSTEM_APPS] + [entry]

    def system_index(self, request):
        """List the system tables on one page, as an app's own page does."""
        if not request.user.is_superuser:
            raise Http404
        app_list = [a for a in self.get_app_list(request) if a["app_label"] == "system"]
        context = {
            **self.each_context(request),
            "title": _("System"),
            "subtitle": None,
            "app_list": app_list,
            "app_label": "system",
        }
        request.current_app = self.name
        return TemplateResponse(request, "admin/app_index.html", context)

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
        system = path(
            "system/", self.admin_view(self.system_index), name="system_index"
        )
        # mediahub's JavaScript strings (djangojs in locale/) come with
        # Django's admin catalogue at jsi18n/, which reads every LOCALE_PATHS.
        return [system] + [
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
