"""The admin's HTML: plain functions from model objects to ``format_html`` output.

The ModelAdmins in admin.py stay declarative and delegate their display
columns and read-only fields here.
"""

from itertools import groupby

from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from transcoder import delivery, selectors
from transcoder.models import Preset, RenditionStatus


def human_bytes(n):
    """Return a byte count as the rest of the admin shows it, or a dash for none."""
    return "—" if n is None else filesizeformat(n)


def preset_size(preset):
    """Return a preset's box and srcset widths, such as "800 × auto (320w, 640w)"."""
    size = _box(preset)
    if preset.widths:
        size += f" ({_widths(preset)})"
    return size


def preset_formats(preset):
    """Return a preset's output formats, such as "AVIF, WEBP"."""
    return ", ".join(f.upper() for f in preset.formats)


def _box(preset):
    return f"{preset.width or 'auto'} × {preset.height or 'auto'}"


def _widths(preset):
    return ", ".join(f"{w}w" for w in sorted(preset.widths))


def _preset_summary(preset):
    box = _box(preset)
    if preset.widths:
        box += " in " + _widths(preset)
    return f"{preset.fit}, {box} · {preset_formats(preset)}"


def _status_badges(rows, sep):
    counts = {s: sum(r.status == s for r in rows) for s in RenditionStatus.values}
    return format_html_join(
        sep,
        '<span class="mh-status mh-status--{}">{} {}</span>',
        ((s, n, s) for s, n in counts.items() if n),
    )


# --- list columns -----------------------------------------------------------
def thumbnail(asset):
    """Return the change list's thumbnail of an asset from its current renditions."""
    rendition = selectors.thumbnail_from(getattr(asset, "current_renditions", []))
    if rendition is None:
        return format_html('<span class="mh-thumb mh-thumb--none">{}</span>', "…")
    return format_html(
        '<img class="mh-thumb" src="{}" alt="{}" width="64" height="64" '
        'loading="lazy">',
        delivery.rendition_url(rendition),
        asset.alt_text,
    )


def original_summary(asset):
    """Return an asset's format, pixel size and file size in one cell."""
    return format_html(
        '<span class="mh-meta">{} · {} × {}<small>{}</small></span>',
        asset.format.upper(),
        asset.width,
        asset.height,
        human_bytes(asset.bytes),
    )


def rendition_status(asset):
    """Return a badge per status with the count of the asset's current renditions."""
    rows = getattr(asset, "current_renditions", None)
    if rows is None:
        rows = list(asset.renditions.filter(superseded_at__isnull=True))
    if not rows:
        return "—"
    return _status_badges(rows, " ")


# --- change page ------------------------------------------------------------
def preview(asset):
    """Return the large preview with its focal point picker."""
    if not asset.pk:
        return "—"
    url = _preview_url(asset)
    if url is None:
        return format_html(
            '<p class="help">Browsers cannot show this {} original, and no preset '
            "keeps the whole frame yet: add an active preset with the "
            "<em>contain</em> fit (like the starter <em>large</em>) to preview "
            "the image and pick its focal point.</p>",
            asset.format.upper(),
        )
    return render_to_string(
        "admin/transcoder/asset/_preview.html", {"asset": asset, "url": url}
    )


def crop_presets(asset):
    """Return the active cover presets' output sizes for this asset (crop preview)."""
    crops = []
    for preset in Preset.objects.filter(active=True, fit="cover"):
        specs = preset.specs()
        if not specs:
            continue
        widest = max(specs, key=lambda spec: spec.width or 0)
        width, height = widest.target_size(asset.width, asset.height)
        crops.append(
            {"slug": preset.slug, "name": preset.name, "w": width, "h": height}
        )
    return crops


# Originals a browser can show as they are; TIFF and HEIC need a rendition.
BROWSER_FORMATS = {"jpeg", "png", "webp", "avif", "gif"}


def _preview_url(asset):
    """Return a URL of the whole, uncropped frame, or None if there is none to show."""
    rendition = selectors.full_frame_rendition(asset)
    if rendition is not None:
        return delivery.rendition_url(rendition)
    if asset.format in BROWSER_FORMATS:
        return reverse("admin:transcoder_asset_original", args=[asset.pk])
    return None


def renditions_gallery(asset):
    """Return the tables of an asset's renditions, current then superseded."""
    rows = list(
        asset.renditions.select_related("preset").order_by(
            "preset__name", "preset_id", "spec_width", "format"
        )
    )
    if not rows:
        return "No renditions yet: they are built as soon as a preset is active."
    current = [r for r in rows if r.superseded_at is None]
    old = [r for r in rows if r.superseded_at is not None]
    html = _gallery_table(current)
    if old:
        html = format_html(
            '{}<details class="mh-superseded"><summary>{} superseded '
            'rendition{}</summary><p class="help">Older versions, from before a '
            "preset or the focal point changed. They keep answering links already "
            "handed out until those expire, then they are removed.</p>{}</details>",
            html,
            len(old),
            "" if len(old) == 1 else "s",
            _gallery_table(old, superseded=True),
        )
    return html


def _gallery_table(rows, superseded=False):
    groups = format_html_join(
        "",
        "<tbody>{}{}</tbody>",
        (
            (_gallery_group_head(preset, group), _gallery_rows(group))
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


def _gallery_group_head(preset, rows):
    return format_html(
        '<tr class="mh-gallery__preset"><th colspan="5" scope="rowgroup">{}'
        "<small>{}</small>{}</th></tr>",
        preset.name,
        _preset_summary(preset),
        _status_badges(rows, ""),
    )


def _gallery_rows(rows):
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
                _rendition_preview(r),
                r.format.upper(),
                f"{r.width} × {r.height}" if r.width else "—",
                human_bytes(r.bytes) if r.status == RenditionStatus.READY else "—",
                _rendition_state(r),
            )
            for r in rows
        ),
    )


def _rendition_preview(rendition):
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


# --- rebuild jobs -------------------------------------------------------------
def rebuild_message(job):
    """Return the message that says what a rebuild queued, with live progress."""
    if job.finished_at is not None and not job.done:
        return "Nothing to rebuild."
    return format_html(
        "Rebuilding {} rendition{} of {} image{}. "
        '<span class="mh-job" data-rebuild-job="{}" data-status-url="{}">'
        '<progress max="{}" value="{}" aria-label="Rebuild progress"></progress> '
        '<span class="mh-job__text" role="status">Queued.</span></span>',
        f"{job.total_renditions:,}",
        "" if job.total_renditions == 1 else "s",
        f"{job.total_assets:,}",
        "" if job.total_assets == 1 else "s",
        job.pk,
        reverse("admin:transcoder_asset_status"),
        job.total_assets,
        job.done,
    )
