"""Thin ModelAdmins: declarative options, with every write handed to a service.

AssetAdmin's change list (columns, filters, search, bulk actions) is
AssetListMixin, in listing.py; here are its permissions, URLs, the change page
and the writes.
"""

from functools import partial

from django.contrib import admin, messages
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from transcoder import permissions, selectors, services
from transcoder.admin.access import trash
from transcoder.admin.images import edits, gallery, grid, library, quick, uploads
from transcoder.admin.images.listing import AssetListMixin
from transcoder.admin.shell import html
from transcoder.admin.shell import views as admin_views
from transcoder.admin.shell.forms import METADATA_FIELDS, AssetChangeForm
from transcoder.admin.shell.views import request_origin
from transcoder.delivery import serving
from transcoder.models import Asset, Rendition

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

EDITOR_FIELDS = [f for f in AssetChangeForm.Meta.fields if f not in METADATA_FIELDS]
# The picker's hidden "decided" flag rides after the focal area's fields.
EDITOR_FIELDS.insert(EDITOR_FIELDS.index("focal_height") + 1, "focal_decision")


@admin.register(Asset)
class AssetAdmin(AssetListMixin, admin.ModelAdmin):
    form = quick.AssetCollectionForm
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
            # --- issue 22: turn, mirror and crop the picture (admin/images/edits.py)
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

    # --- read-only fields (HTML in html) --------------------------------
    @admin.display(description=_("Size in pixels"))
    def dimensions(self, obj):
        return f"{obj.width} × {obj.height}"

    @admin.display(description=_("File size"), ordering="bytes")
    def size(self, obj):
        return html.human_bytes(obj.bytes)

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

    # --- the collection picker of the asset page (admin/images/quick.py) ------
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
