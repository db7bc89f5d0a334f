"""Refused uploads: read-only, each editor seeing those the policy shows them."""

from django.contrib import admin
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from transcoder import permissions
from transcoder.models import UploadRefusal


@admin.register(UploadRefusal)
class UploadRefusalAdmin(admin.ModelAdmin):
    """Why each upload did not become an image; nobody adds, edits or deletes."""

    list_display = ["__str__", "reason", "collection", "user", "created_at"]
    list_select_related = ["collection", "user"]
    search_fields = ["filename"]
    fields = [
        "filename",
        "reason",
        "code",
        "collection",
        "asset",
        "user",
        "created_at",
        "key",
    ]
    readonly_fields = fields
    actions = None

    def get_queryset(self, request):
        return permissions.upload_refusals(request.user, super().get_queryset(request))

    def get_object(self, request, object_id, from_field=None):
        """Answer 404 for a refusal the user may not see, as for one that is gone."""
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("There is no refused upload of yours with this id."))
        return obj

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        # The policy decides, not a model permission: whoever may upload
        # somewhere sees the refusals of their uploads.
        if obj is not None:
            return self.get_queryset(request).filter(pk=obj.pk).exists()
        user = request.user
        return permissions.may(user, "add") or (
            user.is_active and user.is_staff and self._own(request)
        )

    def _own(self, request):
        return UploadRefusal.objects.filter(user=request.user).exists()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
