"""The asset list: its columns, filters, search and bulk actions.

``AssetListMixin`` is the change list's side of AssetAdmin (assets.py);
every write is handed to a service.
"""

import re
from dataclasses import replace

from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from transcoder import selectors, services
from transcoder.admin.access import collections
from transcoder.admin.images import grid, library, quick
from transcoder.admin.shell import html
from transcoder.imaging.decode import sniff
from transcoder.models import RenditionState
from transcoder.web.pagination import BoundedCountPaginator


class RenditionStatusFilter(admin.SimpleListFilter):
    title = _("renditions")
    parameter_name = "renditions"

    def lookups(self, request, model_admin):
        return [
            ("failed", _("Some failed")),
            ("pending", _("Some pending")),
            ("ready", _("All ready")),
        ]

    # Each choice is an indexed WHERE on the state services.rendering.states keeps
    # (not a GROUP BY over every rendition, which grew with the library).
    STATES = {
        "failed": [RenditionState.FAILED, RenditionState.FAILED_PENDING],
        "pending": [RenditionState.PENDING, RenditionState.FAILED_PENDING],
        "ready": [RenditionState.READY],
    }

    def queryset(self, request, queryset):
        states = self.STATES.get(self.value())
        if states is None:
            return queryset
        if len(states) == 1:
            return queryset.filter(rendition_state=states[0])
        return queryset.filter(rendition_state__in=states)


HASH = re.compile(r"[0-9a-f]{64}")


class FormatFilter(admin.SimpleListFilter):
    """The accepted formats, known in advance: Django's AllValuesFieldListFilter
    ran SELECT DISTINCT over the whole table on every list view."""

    title = _("format")
    parameter_name = "format__exact"  # The URLs of the filter it replaces.

    def lookups(self, request, model_admin):
        return [(kind, sniff.LABELS[kind]) for kind in sniff.ACCEPTED]

    def queryset(self, request, queryset):
        if self.value() in sniff.ACCEPTED:
            return queryset.filter(format=self.value())
        return queryset


# The file's own words are searched too; GPS is never stored (services.assets.metadata).
METADATA_SEARCH = ["caption", "creator", "credit", "copyright", "camera"]


class AssetListMixin:
    """AssetAdmin's change list: columns, filters, search and bulk actions."""

    list_display = [
        "thumbnail",
        "__str__",
        "original_summary",
        "rendition_status",
        "collection",
        "tag_list",
        "created_at",
    ]
    list_display_links = ["thumbnail", "__str__"]
    list_filter = [
        collections.CollectionFilter,
        FormatFilter,
        RenditionStatusFilter,
        library.NearDuplicateFilter,
        grid.AltTextFilter,
        grid.TagFilter,
        "created_at",
    ]
    # Words match inside these (trigram indexes on PostgreSQL, migrations 0008
    # and 0014) and tag names (an EXISTS: one row per asset); see
    # get_search_results.
    search_fields = [
        "title",
        "alt_text",
        "original_filename",
        "tags__name",
        *METADATA_SEARCH,
    ]
    # The unfiltered total is not counted again under a search or a filter.
    show_full_result_count = False
    # Deep pages (p=2000 of 100,000) take ids from the index first, and the
    # count stops at MEDIAHUB_LIST_COUNT_LIMIT ("10,000+").
    paginator = BoundedCountPaginator
    # No date_hierarchy: its links cost a SELECT DISTINCT date_trunc(...) over
    # every matching row per view (20-35 ms at 100,000 assets). The created_at
    # filter and ?created_at__year= URLs remain, each an indexed range.
    list_per_page = 50
    actions = [
        "regenerate_renditions",
        "add_tags",
        "remove_tags",
        "move_to_collection",
        "delete_in_background",
    ]

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        # An action gets only the selected assets its permission allows, and
        # deleting a selection runs in the background (delete_in_background).
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return {
            name: replace(action, func=collections.narrowed(action.func))
            for name, action in actions.items()
        }

    def get_search_results(self, request, queryset, search_term):
        # Every word in the title, alt text, file name or a tag (selectors):
        # no join, so no DISTINCT over the matches. A content hash matches
        # whole, on its own index.
        found = selectors.assets_search(queryset, selectors.search_terms(search_term))
        term = search_term.strip().lower()
        if HASH.fullmatch(term):
            found |= queryset.filter(content_hash=term)
        return found, False

    # --- list columns (HTML in html) ------------------------------------
    @admin.display(description="")
    def thumbnail(self, obj):
        return html.thumbnail(obj)

    @admin.display(description=_("Tags"))
    def tag_list(self, obj):
        return html.tag_list(obj)

    @admin.display(description=_("Original"), ordering="bytes")
    def original_summary(self, obj):
        return html.original_summary(obj)

    @admin.display(description=_("Renditions"))
    def rendition_status(self, obj):
        return html.rendition_status(obj)

    def changelist_view(self, request, extra_context=None):
        if redirect := grid.remember_view_mode(request):
            return redirect
        mode = grid.list_view_mode(request)
        drop = quick.drop_target(request)  # issue 20: drop files on the grid
        return super().changelist_view(
            request, {"mh_view": mode, "mh_drop": drop, **(extra_context or {})}
        )

    # --- bulk actions, written through services -------------------------
    @admin.action(description=_("Move to collection…"), permissions=["change"])
    def move_to_collection(self, request, queryset):
        return collections.move_view(self, request, queryset)

    @admin.action(description=_("Regenerate renditions"), permissions=["change"])
    def regenerate_renditions(self, request, queryset):
        job = services.rebuild_start(
            label=gettext_noop("Regenerate renditions"),
            asset_ids=list(queryset.values_list("pk", flat=True)),
            force=True,
            user=request.user,
        )
        progress = services.job_progress(job=job)
        self.message_user(request, html.rebuild_message(progress), messages.SUCCESS)

    @admin.action(description=_("Add tags…"), permissions=["change"])
    def add_tags(self, request, queryset):
        return grid.bulk_action(
            self,
            request,
            queryset,
            action="tags_add",
            title=gettext_noop("Add tags"),
            form_class=grid.TagsForm,
        )

    @admin.action(description=_("Remove tags…"), permissions=["change"])
    def remove_tags(self, request, queryset):
        return grid.bulk_action(
            self,
            request,
            queryset,
            action="tags_remove",
            title=gettext_noop("Remove tags"),
            form_class=grid.TagsForm,
        )

    @admin.action(description=_("Delete selected images…"), permissions=["delete"])
    def delete_in_background(self, request, queryset):
        return grid.bulk_action(
            self,
            request,
            queryset,
            action="delete",
            title=gettext_noop("Delete images"),
            params={"by": request.user.pk},
            extra_context={"mh_trash_days": services.trash_days()},
        )
