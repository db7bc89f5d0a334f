"""Thin ModelAdmins: declarative options, with every write handed to a service."""

from functools import partial

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from transcoder import delivery, selectors, services, uploads
from transcoder.conf import setting
from transcoder.forms import AssetChangeForm, PresetForm, UploadForm
from transcoder.models import ApiToken, Asset, Preset, Rendition, RenditionStatus


class RenditionStatusFilter(admin.SimpleListFilter):
    title = "renditions"
    parameter_name = "renditions"

    def lookups(self, request, model_admin):
        return [
            ("failed", "Some failed"),
            ("pending", "Some pending"),
            ("ready", "All ready"),
        ]

    def queryset(self, request, queryset):
        current = Rendition.objects.filter(superseded_at__isnull=True)
        if self.value() in ("failed", "pending"):
            ids = current.filter(status=self.value()).values("asset_id")
            return queryset.filter(pk__in=ids)
        if self.value() == "ready":
            not_ready = current.exclude(status=RenditionStatus.READY).values("asset_id")
            has_any = current.values("asset_id")
            return queryset.filter(pk__in=has_any).exclude(pk__in=not_ready)
        return queryset


def _human_bytes(n):
    if n is None:
        return "—"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    form = AssetChangeForm
    list_display = [
        "thumbnail",
        "__str__",
        "format",
        "dimensions",
        "size",
        "rendition_status",
        "created_at",
    ]
    list_display_links = ["thumbnail", "__str__"]
    list_filter = ["format", RenditionStatusFilter, "created_at"]
    search_fields = ["title", "alt_text", "original_filename", "content_hash"]
    date_hierarchy = "created_at"
    list_per_page = 50
    actions = ["regenerate_renditions"]
    readonly_fields = [
        "preview",
        "original_filename",
        "format",
        "dimensions",
        "size",
        "content_hash",
        "uploaded_by",
        "created_at",
        "renditions_gallery",
    ]
    fieldsets = [
        (None, {"fields": ["preview", "title", "alt_text", "focal_x", "focal_y"]}),
        (
            "Original",
            {
                "fields": [
                    "original_filename",
                    "format",
                    "dimensions",
                    "size",
                    "content_hash",
                    "uploaded_by",
                    "created_at",
                ]
            },
        ),
        ("Renditions", {"fields": ["renditions_gallery"]}),
    ]

    def get_queryset(self, request):
        ready = Rendition.objects.filter(
            status=RenditionStatus.READY, superseded_at__isnull=True
        )
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("renditions", queryset=ready, to_attr="ready_renditions"),
                Prefetch(
                    "renditions",
                    queryset=Rendition.objects.filter(superseded_at__isnull=True),
                    to_attr="current_renditions",
                ),
            )
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("upload/", wrap(self.upload_view), name="transcoder_asset_upload"),
            path(
                "upload/file/",
                wrap(require_POST(self.upload_file_view)),
                name="transcoder_asset_upload_file",
            ),
            path(
                "upload/presign/",
                wrap(partial(uploads.presign_view, model_admin=self)),
                name="transcoder_asset_upload_presign",
            ),
            path(
                "upload/finalize/",
                wrap(partial(uploads.finalize_view, model_admin=self)),
                name="transcoder_asset_upload_finalize",
            ),
            path(
                "<uuid:object_id>/original/",
                wrap(self.original_view),
                name="transcoder_asset_original",
            ),
            *super().get_urls(),
        ]

    # --- list columns -------------------------------------------------------
    @admin.display(description="")
    def thumbnail(self, obj):
        rendition = selectors.thumbnail_from(getattr(obj, "ready_renditions", []))
        if rendition is None:
            return format_html('<span class="mh-thumb mh-thumb--none">{}</span>', "…")
        return format_html(
            '<img class="mh-thumb" src="{}" alt="{}" width="60" loading="lazy">',
            delivery.rendition_url(rendition),
            obj.alt_text,
        )

    @admin.display(description="Size in pixels")
    def dimensions(self, obj):
        return f"{obj.width} × {obj.height}"

    @admin.display(description="File size", ordering="bytes")
    def size(self, obj):
        return _human_bytes(obj.bytes)

    @admin.display(description="Renditions")
    def rendition_status(self, obj):
        rows = getattr(obj, "current_renditions", None)
        if rows is None:
            rows = list(obj.renditions.filter(superseded_at__isnull=True))
        counts = {s: sum(r.status == s for r in rows) for s in RenditionStatus.values}
        if not rows:
            return "—"
        return format_html_join(
            " ",
            '<span class="mh-status mh-status--{}">{} {}</span>',
            ((s, n, s) for s, n in counts.items() if n),
        )

    # --- change page --------------------------------------------------------
    @admin.display(description="Image")
    def preview(self, obj):
        if not obj.pk:
            return "—"
        return format_html(
            '<div class="mh-focal" data-focal-picker><img src="{}" alt="{}">'
            '<span class="mh-focal__dot" hidden></span></div>'
            '<p class="help">Click the image to set the focal point that cover crops '
            'keep in view. <button type="button" class="button" '
            "data-focal-clear>Clear focal point</button></p>",
            self._preview_url(obj),
            obj.alt_text,
        )

    def _preview_url(self, obj):
        renditions = list(
            obj.renditions.filter(
                status=RenditionStatus.READY, superseded_at__isnull=True
            ).exclude(preset__fit="cover")
        )
        big = [r for r in renditions if r.format in ("jpeg", "webp", "png")]
        if big:
            return delivery.rendition_url(max(big, key=lambda r: r.width))
        return reverse("admin:transcoder_asset_original", args=[obj.pk])

    @admin.display(description="Renditions")
    def renditions_gallery(self, obj):
        rows = obj.renditions.select_related("preset").order_by(
            "superseded_at", "preset__name", "spec_width", "format"
        )
        if not rows:
            return "No renditions yet."
        cells = format_html_join(
            "",
            '<tr class="mh-rendition mh-rendition--{}"><td>{}</td><td>{}</td>'
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    r.status,
                    self._rendition_preview(r),
                    r.preset.name + (" (superseded)" if r.superseded_at else ""),
                    r.format.upper(),
                    f"{r.width} × {r.height}" if r.width else "—",
                    _human_bytes(r.bytes),
                    r.get_status_display(),
                    r.error or "",
                )
                for r in rows
            ),
        )
        return format_html(
            '<table class="mh-gallery"><thead><tr><th></th><th>Preset</th>'
            "<th>Format</th><th>Size</th><th>Bytes</th><th>Status</th><th>Reason</th>"
            "</tr></thead><tbody>{}</tbody></table>",
            cells,
        )

    def _rendition_preview(self, rendition):
        if rendition.status != RenditionStatus.READY:
            return ""
        url = delivery.rendition_url(rendition)
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">'
            '<img src="{}" alt="" height="48" loading="lazy"></a>',
            url,
            url,
        )

    # --- writes through services ---------------------------------------------
    def add_view(self, request, form_url="", extra_context=None):
        return self.upload_view(request)

    def save_model(self, request, obj, form, change):
        focal = (obj.focal_x, obj.focal_y) if obj.focal_x is not None else None
        services.asset_update(
            asset=obj, title=obj.title, alt_text=obj.alt_text, focal=focal
        )

    def delete_model(self, request, obj):
        services.asset_delete(asset=obj)

    def delete_queryset(self, request, queryset):
        for asset in queryset:
            services.asset_delete(asset=asset)

    @admin.action(description="Regenerate renditions", permissions=["change"])
    def regenerate_renditions(self, request, queryset):
        for asset_id in queryset.values_list("pk", flat=True):
            services.renditions_enqueue(asset_id=asset_id, force=True)
        self.message_user(
            request,
            f"Renditions queued for {queryset.count()} image(s).",
            messages.SUCCESS,
        )

    # --- custom views ---------------------------------------------------------
    def upload_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Upload images",
            "max_bytes": setting("MAX_UPLOAD_BYTES"),
            "direct_upload": setting("STORAGE") == "s3",
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/transcoder/asset/upload.html", context)

    def upload_file_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return JsonResponse({"ok": False, "error": _first_error(form)}, status=400)
        upload = form.cleaned_data["file"]
        try:
            asset = services.asset_create(
                content=upload,
                filename=upload.name,
                title=form.cleaned_data["title"],
                alt_text=form.cleaned_data["alt_text"],
                uploaded_by=request.user,
            )
        except services.AssetRefusedError as e:
            return JsonResponse({"ok": False, "error": e.messages[0]}, status=400)
        return JsonResponse(
            {
                "ok": True,
                "asset": {
                    "id": str(asset.pk),
                    "title": str(asset),
                    "url": asset.get_absolute_url(),
                },
            },
            status=201,
        )

    def original_view(self, request, object_id):
        asset = get_object_or_404(Asset, pk=object_id)
        if not self.has_view_permission(request, asset):
            raise PermissionDenied
        return delivery.original_response(asset)


def _first_error(form):
    for errors in form.errors.values():
        return errors[0]
    return "The upload was refused."


@admin.register(Preset)
class PresetAdmin(admin.ModelAdmin):
    form = PresetForm
    list_display = ["name", "slug", "fit", "box", "formats_list", "quality", "active"]
    list_filter = ["active", "fit"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    @admin.display(description="Size")
    def box(self, obj):
        size = f"{obj.width or 'auto'} × {obj.height or 'auto'}"
        if obj.widths:
            size += " (" + ", ".join(f"{w}w" for w in sorted(obj.widths)) + ")"
        return size

    @admin.display(description="Formats")
    def formats_list(self, obj):
        return ", ".join(f.upper() for f in obj.formats)

    def save_model(self, request, obj, form, change):
        services.preset_save(preset=obj)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "active", "created_at", "last_used_at"]
    list_filter = ["active"]
    fields = ["name", "active"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            return
        key = services.api_token_issue(token=obj)
        self.message_user(
            request,
            format_html(
                "Copy this key now; it is not shown again: <code>{}</code>", key
            ),
            messages.WARNING,
        )
