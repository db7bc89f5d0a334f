"""Thin ModelAdmins: declarative options, with every write handed to a service."""

import re
from dataclasses import replace
from functools import partial

from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from transcoder import permissions, selectors, services
from transcoder.admin import (
    collections,
    edits,
    gallery,
    grid,
    html,
    library,
    quick,
    trash,
    uploads,
)
from transcoder.admin import views as admin_views
from transcoder.admin.forms import METADATA_FIELDS, AssetChangeForm
from transcoder.admin.views import request_origin
from transcoder.delivery import serving
from transcoder.imaging.decode import sniff
from transcoder.models import Asset, Rendition, RenditionState
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


# Facts about the uploaded file: shown read-only, in their own fieldset.
ORIGINAL_FIELDS = [
    "collection",
    "original_filename",
    "format",
    "dimensions",
    "size",
    "content_hash",
    "uploaded_by",
    "created_at",
]


# The file's own words are searched too; GPS is never stored (services.assets.metadata).
METADATA_SEARCH = ["caption", "creator", "credit", "copyright", "camera"]
EDITOR_FIELDS = [f for f in AssetChangeForm.Meta.fields if f not in METADATA_FIELDS]
# The picker's hidden "decided" flag rides after the focal area's fields.
EDITOR_FIELDS.insert(EDITOR_FIELDS.index("focal_height") + 1, "focal_decision")


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    form = quick.AssetCollectionForm
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
    # get_absolute_url is the change page itself; "View on site" would loop.
    view_on_site = False
    readonly_fields = ["preview", *ORIGINAL_FIELDS]
    fieldsets = [
        (
            None,
            {"fields": ["preview", *EDITOR_FIELDS]},
        ),
        (_("From the file"), {"fields": METADATA_FIELDS}),
        (_("Original"), {"fields": ORIGINAL_FIELDS}),
    ]

    class Media:
        js = ["transcoder/status.js", "transcoder/tags.js"]

    def get_queryset(self, request):
        # One prefetch serves the thumbnail (the ready ones) and the badges.
        # The policy decides which assets this user reaches at all: the list,
        # search, filters, change and delete pages and actions all start here.
        current = Rendition.objects.filter(superseded_at__isnull=True)
        return permissions.assets(
            request.user, "view", super().get_queryset(request)
        ).prefetch_related(
            Prefetch("renditions", queryset=current, to_attr="current_renditions"),
            "collection",
            selectors.tags_prefetch(),
        )

    # --- permissions: transcoder.permissions, per collection -------------------
    def has_module_permission(self, request):
        return permissions.may_any(request.user)

    def has_view_permission(self, request, obj=None):
        return permissions.may(request.user, "view", obj)

    def has_add_permission(self, request):
        return permissions.may(request.user, "add")

    def has_change_permission(self, request, obj=None):
        return permissions.may(request.user, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return permissions.may(request.user, "delete", obj)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        # An action gets only the selected assets its permission allows, and
        # deleting a selection runs in the background (delete_in_background).
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return {
            name: replace(action, func=collections.narrowed(action.func))
            for name, action in actions.items()
        }

    def get_urls(self):
        # Each of these views checks this ModelAdmin's permissions itself.
        views = [
            ("upload/", uploads.upload_view, "transcoder_asset_upload"),
            ("upload/file/", uploads.upload_file_view, "transcoder_asset_upload_file"),
            (
                "upload/presign/",
                uploads.presign_view,
                "transcoder_asset_upload_presign",
            ),
            (
                "upload/finalize/",
                uploads.finalize_view,
                "transcoder_asset_upload_finalize",
            ),
            (
                "<uuid:object_id>/original/",
                serving.original_view,
                "transcoder_asset_original",
            ),
            ("status/", admin_views.status_view, "transcoder_asset_status"),
            ("tags/", grid.tag_suggestions_view, "transcoder_asset_tags"),
            (
                "<uuid:object_id>/gallery/",
                admin_views.gallery_view,
                "transcoder_asset_gallery",
            ),
            (
                "<uuid:object_id>/replace/",
                library.replace_view,
                "transcoder_asset_replace",
            ),
            (
                "<uuid:object_id>/versions/<int:version_id>/restore/",
                library.restore_view,
                "transcoder_asset_restore",
            ),
            # --- issue 22: turn, mirror and crop the picture (admin/edits.py) ---
            ("<uuid:object_id>/edit/", edits.edit_view, "transcoder_asset_edit"),
            # --- issue 20: quick edit beside the grid, one-image rebuild ---
            ("<uuid:object_id>/quick/", quick.quick_view, "transcoder_asset_quick"),
            (
                "<uuid:object_id>/regenerate/",
                quick.regenerate_view,
                "transcoder_asset_regenerate",
            ),
        ]
        wrap = self.admin_site.admin_view
        return [
            *(
                path(route, wrap(partial(view, model_admin=self)), name=name)
                for route, view, name in views
            ),
            *super().get_urls(),
        ]

    def get_search_results(self, request, queryset, search_term):
        # Every word in the title, alt text, file name or a tag (selectors):
        # no join, so no DISTINCT over the matches. A content hash matches
        # whole, on its own index.
        found = selectors.assets_search(queryset, selectors.search_terms(search_term))
        term = search_term.strip().lower()
        if HASH.fullmatch(term):
            found |= queryset.filter(content_hash=term)
        return found, False

    # --- list columns and read-only fields (HTML in html) ---------------
    @admin.display(description="")
    def thumbnail(self, obj):
        return html.thumbnail(obj)

    @admin.display(description=_("Tags"))
    def tag_list(self, obj):
        return html.tag_list(obj)

    @admin.display(description=_("Original"), ordering="bytes")
    def original_summary(self, obj):
        return html.original_summary(obj)

    @admin.display(description=_("Size in pixels"))
    def dimensions(self, obj):
        return f"{obj.width} × {obj.height}"

    @admin.display(description=_("File size"), ordering="bytes")
    def size(self, obj):
        return html.human_bytes(obj.bytes)

    @admin.display(description=_("Renditions"))
    def rendition_status(self, obj):
        return html.rendition_status(obj)

    @admin.display(description=_("Image"))
    def preview(self, obj):
        return html.preview(obj)

    def render_change_form(self, request, context, add=False, change=False, **kw):
        # The gallery sits below the fields (templates/.../change_form.html):
        # its embed snippets need this request's origin.
        obj = kw.get("obj")
        if obj is not None and obj.pk:
            context["mh_gallery"] = gallery.render_gallery(
                asset=obj, origin=request_origin(request)
            )
            context["mh_crops"] = html.crop_presets(obj)
            context.update(
                library.change_context(
                    asset=obj, visible=permissions.assets(request.user, "view")
                )
            )
        return super().render_change_form(request, context, add, change, **kw)

    def delete_view(self, request, object_id, extra_context=None):
        asset = self.get_object(request, object_id)
        if asset is not None:
            extra_context = {
                **(extra_context or {}),
                **library.asset_delete_context(asset=asset),
                "mh_trash_days": services.trash_days(),
            }
        return super().delete_view(request, object_id, extra_context)

    def changelist_view(self, request, extra_context=None):
        if redirect := grid.remember_view_mode(request):
            return redirect
        mode = grid.list_view_mode(request)
        drop = quick.drop_target(request)  # issue 20: drop files on the grid
        return super().changelist_view(
            request, {"mh_view": mode, "mh_drop": drop, **(extra_context or {})}
        )

    # --- the collection picker of the asset page (admin/quick.py) -------------
    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        may_change = obj is not None and self.has_change_permission(request, obj)
        return quick.with_collection_picker(fieldsets, may_change=may_change)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return quick.form_for(form, user=request.user, asset=obj)

    # --- writes through services ---------------------------------------------
    def add_view(self, request, form_url="", extra_context=None):
        return uploads.upload_view(request, model_admin=self)

    def save_model(self, request, obj, form, change):
        focal = (obj.focal_x, obj.focal_y) if obj.focal_x is not None else None
        services.asset_update(
            asset=obj,
            title=obj.title,
            alt_text=obj.alt_text,
            focal=focal,
            focal_decided=form.cleaned_data.get("focal_decision") or None,
        )
        if change:
            quick.collection_apply(asset=obj, form=form, user=request.user)

    def delete_model(self, request, obj):
        services.asset_delete(asset=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for asset in queryset:
            services.asset_delete(asset=asset, by=request.user)

    def response_delete(self, request, obj_display, obj_id):
        self.message_user(request, trash.moved_message(obj_display), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:transcoder_asset_changelist"))

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
