"""The admin's HTML: plain functions from model objects to ``format_html`` output.

The ModelAdmins in transcoder.admin stay declarative and delegate their display
columns and read-only fields here.
"""

import re

from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext

from transcoder import selectors
from transcoder.delivery import serving
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


def preset_quality(preset):
    """Return how a preset picks its quality: "target 65, at most 80" or "fixed 80"."""
    if preset.target is not None:
        return gettext("target %(target)s, at most %(quality)s") % {
            "target": preset.target,
            "quality": preset.quality,
        }
    return gettext("fixed %(quality)s") % {"quality": preset.quality}


def _box(preset):
    return f"{preset.width or gettext('auto')} × {preset.height or gettext('auto')}"


def _widths(preset):
    return ", ".join(f"{w}w" for w in sorted(preset.widths))


def _status_badges(rows, sep):
    counts = {s: sum(r.status == s for r in rows) for s in RenditionStatus.values}
    return format_html_join(
        sep,
        '<span class="mh-status mh-status--{}">{} {}</span>',
        ((s, n, RenditionStatus(s).label.lower()) for s, n in counts.items() if n),
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
        serving.rendition_url(rendition),
        # The thumbnail is a link: its text must say where it goes.
        asset.alt_text or str(asset),
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
            '<p class="help">{}</p>',
            gettext(
                "Browsers cannot show this %(format)s original, and no preset "
                "keeps the whole frame yet: add an active preset with the "
                "contain fit (like the starter large) to preview the image and "
                "pick its focal point."
            )
            % {"format": asset.format.upper()},
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
            {
                "slug": preset.slug,
                "name": preset.name,
                "label": crop_label(preset.name, width, height),
                "w": width,
                "h": height,
            }
        )
    return crops


# "1200×630", "1200 x 630", "1200X630": a name that already says its size.
_SIZE_IN_NAME = re.compile(r"\d+\s*[×xX]\s*\d+")


def crop_label(name, width, height):
    """Return the crop legend's label: the preset's name and its crop's size,
    once (a name like "Social share (1200×630)" already carries it)."""
    if _SIZE_IN_NAME.search(name):
        return name
    return f"{name} ({width} × {height})"


# Originals a browser can show as they are; TIFF and HEIC need a rendition.
BROWSER_FORMATS = {"jpeg", "png", "webp", "avif", "gif"}


def _preview_url(asset):
    """Return a URL of the whole, uncropped frame, or None if there is none to show."""
    rendition = selectors.full_frame_rendition(asset)
    if rendition is not None:
        return serving.rendition_url(rendition)
    if asset.format in BROWSER_FORMATS:
        return reverse("admin:transcoder_asset_original", args=[asset.pk])
    return None


# --- jobs ---------------------------------------------------------------------
def _job_bar(progress, name):
    """Return a job's live progress bar; status.js moves it (status endpoint)."""
    return format_html(
        '<span class="mh-job" data-job="{}" data-status-url="{}">'
        '<progress max="{}" value="{}" aria-label="{}"></progress> '
        '<span class="mh-job__text" role="status">{}</span></span>',
        progress["id"],
        reverse("admin:transcoder_asset_status"),
        progress["total_assets"],
        progress["done"],
        gettext("%(name)s progress") % {"name": name},
        gettext("Queued."),
    )


def _count(n):
    """Return ``n`` grouped as the reader's language writes it: 1,234 or 1.234."""
    return number_format(n, force_grouping=True)


def rebuild_message(progress):
    """Return the message that says what a rebuild queued, with live progress.

    ``progress`` is ``services.job_progress`` of the job, within the reader's
    reach.
    """
    if progress["finished"] and not progress["done"]:
        return gettext("Nothing to rebuild.")
    renditions, images = progress["total_renditions"], progress["total_assets"]
    each = ngettext(
        "Rebuilding %(renditions)s rendition",
        "Rebuilding %(renditions)s renditions",
        renditions,
    )
    of = ngettext("of %(images)s image.", "of %(images)s images.", images)
    text = f"{each} {of}" % {"renditions": _count(renditions), "images": _count(images)}
    return format_html("{} {}", text, _job_bar(progress, gettext("Rebuild")))


def bulk_message(progress):
    """Return the message that says a bulk action was queued, with live progress."""
    images = progress["total_assets"]
    if progress["finished"] and not images:
        return gettext("Nothing selected.")
    text = ngettext(
        "%(label)s: %(n)s image queued.", "%(label)s: %(n)s images queued.", images
    ) % {"label": progress["label"], "n": _count(images)}
    return format_html("{} {}", text, _job_bar(progress, progress["label"]))


def tag_list(asset):
    """Return an asset's tags as small chips (from the prefetch)."""
    return format_html_join(
        " ",
        '<span class="mh-tag">{}</span>',
        ((n,) for n in selectors.tag_names(asset)),
    )
