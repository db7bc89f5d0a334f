"""Thin ModelAdmins: declarative options, with every write handed to a service."""

from functools import partial
from itertools import groupby

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
        "original_summary",
        "rendition_status",
        "created_at",
    ]
    list_display_links = ["thumbnail", "__str__"]
    list_filter = ["format", RenditionStatusFilter, "created_at"]
    search_fields = ["title", "alt_text", "original_filename", "content_hash"]
    date_hierarchy = "created_at"
    list_per_page = 50
    actions = ["regenerate_renditions"]
    # get_absolute_url is the change page itself; "View on site" would loop.
    view_on_site = False
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
            '<img class="mh-thumb" src="{}" alt="{}" width="64" height="64" '
            'loading="lazy">',
            delivery.rendition_url(rendition),
            obj.alt_text,
        )

    @admin.display(description="Original", ordering="bytes")
    def original_summary(self, obj):
        return format_html(
            '<span class="mh-meta">{} · {} × {}<small>{}</small></span>',
            obj.format.upper(),
            obj.width,
            obj.height,
            _human_bytes(obj.bytes),
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
            '<div class="mh-focal" data-focal-picker tabindex="0" role="group" '
            'aria-label="Focal point" aria-describedby="mh-focal-help">'
            '<img src="{}" alt="{}"><span class="mh-focal__dot" hidden></span></div>'
            '<div class="mh-focal-bar"><span class="mh-focal-value" data-focal-value '
            'aria-live="polite"></span><button type="button" class="button" '
            "data-focal-clear>Clear focal point</button>"
            '<p class="help" id="mh-focal-help">Click the image (or focus it and use '
            "the arrow keys) to set the point that cover crops keep in view, then "
            "save: the crops are rebuilt.</p></div>",
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
        rows = list(
            obj.renditions.select_related("preset").order_by(
                "preset__name", "preset_id", "spec_width", "format"
            )
        )
        if not rows:
            return "No renditions yet: they are built as soon as a preset is active."
        current = [r for r in rows if r.superseded_at is None]
        old = [r for r in rows if r.superseded_at is not None]
        html = self._gallery_table(current)
        if old:
            html = format_html(
                '{}<details class="mh-superseded"><summary>{} superseded '
                'rendition{}</summary><p class="help">Older versions, from before a '
                "preset or the focal point changed. They keep answering links already "
                "handed out until those expire, then they are removed.</p>{}</details>",
                html,
                len(old),
                "" if len(old) == 1 else "s",
                self._gallery_table(old, superseded=True),
            )
        return html

    def _gallery_table(self, rows, superseded=False):
        groups = format_html_join(
            "",
            "<tbody>{}{}</tbody>",
            (
                (self._gallery_group_head(preset, group), self._gallery_rows(group))
                for preset, group in (
                    (preset, list(group))
                    for preset, group in groupby(rows, key=lambda r: r.preset)
                )
            ),
        )
        return format_html(
            '<table class="mh-gallery" data-state="{}"><thead><tr>'
            '<th scope="col">Preview</th>'
            '<th scope="col">Format</th><th scope="col">Size</th>'
            '<th scope="col">Bytes</th><th scope="col">Status</th></tr></thead>'
            "{}</table>",
            "superseded" if superseded else "current",
            groups,
        )

    def _gallery_group_head(self, preset, rows):
        counts = {s: sum(r.status == s for r in rows) for s in RenditionStatus.values}
        return format_html(
            '<tr class="mh-gallery__preset"><th colspan="5" scope="rowgroup">{}'
            "<small>{}</small>{}</th></tr>",
            preset.name,
            _preset_summary(preset),
            format_html_join(
                "",
                '<span class="mh-status mh-status--{}">{} {}</span>',
                ((s, n, s) for s, n in counts.items() if n),
            ),
        )

    def _gallery_rows(self, rows):
        return format_html_join(
            "",
            '<tr class="mh-rendition mh-rendition--{}" data-preset="{}" '
            'data-state="{}">'
            '<td>{}</td><td>{}</td><td class="mh-num">{}</td>'
            '<td class="mh-num">{}</td><td>{}</td></tr>',
            (
                (
                    r.status,
                    r.preset.slug,
                    "superseded" if r.superseded_at else "current",
                    self._rendition_preview(r),
                    r.format.upper(),
                    f"{r.width} × {r.height}" if r.width else "—",
                    _human_bytes(r.bytes) if r.status == RenditionStatus.READY else "—",
                    _rendition_state(r),
                )
                for r in rows
            ),
        )

    def _rendition_preview(self, rendition):
        if rendition.status != RenditionStatus.READY:
            return ""
        url = delivery.rendition_url(rendition)
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">'
            '<img src="{}" alt="Open the {} {} rendition" height="48" '
            'loading="lazy"></a>',
            url,
            url,
            rendition.format.upper(),
            f"{rendition.width} × {rendition.height}",
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


def _rendition_state(rendition):
    if rendition.status == RenditionStatus.FAILED:
        return format_html(
            '<span class="mh-status mh-status--failed">Failed</span> '
            '<span class="mh-reason">{}</span>',
            rendition.error or "No reason was recorded; try Regenerate renditions.",
        )
    label = rendition.get_status_display()
    if rendition.superseded_at:
        return format_html(
            '<span class="mh-status mh-status--superseded">{}, superseded</span>', label
        )
    return format_html(
        '<span class="mh-status mh-status--{}">{}</span>', rendition.status, label
    )


def _preset_summary(preset):
    box = f"{preset.width or 'auto'} × {preset.height or 'auto'}"
    if preset.widths:
        box += " in " + ", ".join(f"{w}w" for w in sorted(preset.widths))
    formats = ", ".join(f.upper() for f in preset.formats)
    return f"{preset.fit}, {box} · {formats}"


def _first_error(form):
    for errors in form.errors.values():
        return errors[0]
    return "The upload was refused."


@admin.register(Preset)
class PresetAdmin(admin.ModelAdmin):
    form = PresetForm
    list_display = [
        "name",
        "slug",
        "fit_short",
        "box",
        "formats_list",
        "quality",
        "active",
    ]
    list_filter = ["active", "fit"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "active"]}),
        ("Size", {"fields": ["fit", ("width", "height"), "widths"]}),
        ("Output", {"fields": ["formats", "quality", "background"]}),
    ]

    @admin.display(description="Fit", ordering="fit")
    def fit_short(self, obj):
        return obj.fit.capitalize()

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
