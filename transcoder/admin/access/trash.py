"""The Trash: deleted images, restorable until the purge erases them.

Who may delete in a collection may see, restore and erase its trashed images
(transcoder.permissions.trashed_assets); a superuser all of them. The page is
the change list only, with two actions (one image or many): Restore and
Erase now.
"""

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.options import ActionLocation, messages
from django.db.models import Prefetch
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from transcoder import permissions, services
from transcoder.admin.shell import html
from transcoder.models import Rendition, TrashedAsset
from transcoder.services.assets.objects import ErasureDeniedError


def moved_message(obj_display):
    """Return the message after a delete: where the image went, for how long."""
    days = services.trash_days()
    text = ngettext(
        "“%(title)s” is in the Trash for %(days)d day; restore it from there.",
        "“%(title)s” is in the Trash for %(days)d days; restore it from there.",
        days,
    ) % {"title": obj_display, "days": days}
    return format_html(
        '{} <a href="{}">{}</a>',
        text,
        reverse("admin:transcoder_trashedasset_changelist"),
        _("Open the Trash"),
    )


@admin.register(TrashedAsset)
class TrashAdmin(admin.ModelAdmin):
    """The trashed images within the editor's reach; no page of its own per image."""

    list_display = [
        "thumbnail",
        "__str__",
        "collection",
        "deleted_by",
        "deleted_at",
        "days_left",
    ]
    list_display_links = None
    list_select_related = ["collection", "trashed_by"]
    search_fields = ["title", "original_filename"]
    list_per_page = 50
    actions = ["restore", "erase_now"]

    def get_queryset(self, request):
        current = Rendition.objects.filter(superseded_at__isnull=True)
        return permissions.trashed_assets(
            request.user, super().get_queryset(request)
        ).prefetch_related(
            Prefetch("renditions", queryset=current, to_attr="current_renditions")
        )

    def get_urls(self):
        # The list is the whole Trash: no add, change, history or delete page.
        wrap = self.admin_site.admin_view
        name = f"{self.opts.app_label}_{self.opts.model_name}_changelist"
        return [path("", wrap(self.changelist_view), name=name)]

    def changelist_view(self, request, extra_context=None):
        days = services.trash_days()
        title = ngettext(
            "Trash: deleted images, kept %(days)d day before they are erased",
            "Trash: deleted images, kept %(days)d days before they are erased",
            days,
        ) % {"days": days}
        return super().changelist_view(
            request, {"title": title, **(extra_context or {})}
        )

    # --- permissions: who may delete in the image's collection ----------------
    def has_module_permission(self, request):
        return permissions.may(request.user, "delete")

    def has_view_permission(self, request, obj=None):
        return permissions.may(request.user, "delete", obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return permissions.may(request.user, "delete", obj)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location)
        actions.pop("delete_selected", None)
        return actions

    # --- columns ----------------------------------------------------------------
    @admin.display(description="")
    def thumbnail(self, obj):
        return html.thumbnail(obj)

    @admin.display(
        description=gettext_lazy("Deleted by"), ordering="trashed_by__username"
    )
    def deleted_by(self, obj):
        return obj.trashed_by or "—"

    @admin.display(description=gettext_lazy("Deleted at"), ordering="trashed_at")
    def deleted_at(self, obj):
        return obj.trashed_at

    @admin.display(description=gettext_lazy("Days left"), ordering="trashed_at")
    def days_left(self, obj):
        days = services.trash_days_left(obj)
        if not days:
            return _("Erased at the next purge")
        return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}

    # --- actions ----------------------------------------------------------------
    @admin.action(
        description=gettext_lazy("Restore selected images"), permissions=["delete"]
    )
    def restore(self, request, queryset):
        count = 0
        for asset in queryset:
            restored = services.asset_restore(asset=asset)
            count += 1
            for note in restored.notes:
                self.message_user(
                    request,
                    _("%(title)s: %(note)s") % {"title": restored.asset, "note": note},
                    messages.WARNING,
                )
        self.message_user(
            request,
            ngettext(
                "Restored %(count)d image: it is back in its collection.",
                "Restored %(count)d images: they are back in their collections.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(
        description=gettext_lazy("Erase selected images now…"),
        permissions=["delete"],
    )
    def erase_now(self, request, queryset):
        if "apply" not in request.POST:
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Erase images now"),
                "assets": list(queryset[:100]),
                "count": queryset.count(),
                "action": request.POST.get("action", ""),
                "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
                "select_across": request.POST.get("select_across", "0"),
            }
            return TemplateResponse(
                request, "admin/transcoder/trashedasset/erase.html", context
            )
        count = 0
        for asset_id in queryset.values_list("pk", flat=True):
            try:
                services.trash_erase(asset_id=asset_id)
            except ErasureDeniedError as e:
                self.message_user(request, str(e), messages.ERROR)
                break
            count += 1
        self.message_user(
            request,
            ngettext(
                "Erased %(count)d image for good.",
                "Erased %(count)d images for good.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
        return None
