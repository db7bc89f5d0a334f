"""The asset page's gallery: one card per preset, with copy-ready embeds.

Builds plain dicts for ``admin/transcoder/asset/_gallery.html``; nothing here
builds an image, it only looks at the rendition rows.
"""

from itertools import groupby

from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from transcoder import layout, selectors
from transcoder.delivery import serving
from transcoder.imaging.quality import autoquality
from transcoder.imaging.specs import FORMATS
from transcoder.models import Preset, RenditionStatus, SiteKey
from transcoder.selectors import FORMAT_PREFERENCE, STILL_FORMATS

# Written where an image that carries meaning has no alt text yet: a copied
# snippet must not silently mark it decorative (alt=""). Not translated: it
# lands in a site's HTML, and editors search for it there.
ALT_TODO = "TODO: describe this image"


def render_gallery(*, asset, origin):
    """Return the gallery HTML of ``asset``; ``origin`` prefixes the embed links."""
    return render_to_string(
        "admin/transcoder/asset/_gallery.html", gallery_context(asset, origin)
    )


def gallery_context(asset, origin):
    rows = list(
        asset.renditions.select_related("preset").order_by(
            "preset__name", "preset_id", "spec_width", "format"
        )
    )
    cards = []
    # Snippets carry a site key when there is one (the first by name).
    site_key = SiteKey.objects.filter(active=True).order_by("name", "pk").first()
    for preset, group in groupby(rows, key=lambda r: r.preset):
        group = list(group)
        current = [r for r in group if r.superseded_at is None]
        old = [r for r in group if r.superseded_at is not None]
        card = _card(asset, preset, current, origin, site_key)
        # Rows superseded together (one older spec) share their moment.
        old.sort(key=lambda r: r.superseded_at, reverse=True)
        card["superseded"] = [
            _superseded_group(list(g))
            for _, g in groupby(old, key=lambda r: r.superseded_at)
        ]
        cards.append(card)
    missing = Preset.objects.filter(active=True).exclude(
        pk__in={r.preset_id for r in rows}
    )
    return {"asset": asset, "cards": cards, "missing": list(missing)}


def _counts(rows):
    return [
        (s, sum(r.status == s for r in rows))
        for s in RenditionStatus.values
        if any(r.status == s for r in rows)
    ]


def _formats(rows):
    """Group rows by format in the order browsers prefer."""
    order = {f: i for i, f in enumerate(FORMAT_PREFERENCE)}
    by = {}
    for r in rows:
        by.setdefault(r.format, []).append(r)
    return [
        {
            "format": fmt.upper(),
            "renditions": [_row(r) for r in sorted(by[fmt], key=_width)],
        }
        for fmt in sorted(by, key=lambda f: order.get(f, 99))
    ]


def _width(r):
    return (r.width or r.spec_width or 0, r.spec_height or 0)


def _row(r):
    ready = r.status == RenditionStatus.READY
    return {
        "status": r.status,
        "label": r.get_status_display(),
        "size": f"{r.width} × {r.height}" if r.width else _box(r),
        "bytes": filesizeformat(r.bytes) if ready and r.bytes is not None else "",
        "quality": _quality(r) if ready else "",
        "url": serving.rendition_url(r) if ready else "",
        "motion": _motion(r) if ready else "",
        "error": r.error
        or ("" if r.status != RenditionStatus.FAILED else _("No reason was recorded.")),
    }


def _quality(r):
    """Return the quality a rendition was encoded at, and the score it reached."""
    if r.quality is None:
        return ""  # PNG (lossless), or built before qualities were kept
    if r.score is None:
        return _("quality %(quality)s") % {"quality": r.quality}
    values = {
        "quality": r.quality,
        "score": number_format(r.score, 1),
        "target": r.preset.target,
    }
    pixels = r.width * r.height if r.width and r.height else None
    if r.preset.target is None or autoquality.meets(
        r.score, r.preset.target, r.format, pixels
    ):
        return _("quality %(quality)s, score %(score)s") % values
    if r.quality == r.preset.quality:
        # The search stopped at its ceiling: the rendition looks as the fixed
        # quality would, and a low score is the photo's, not a fault.
        return (
            _(
                "quality %(quality)s (the preset's), score %(score)s: "
                "under the target of %(target)s"
            )
            % values
        )
    # Nothing met the target, and a second encoder (WebP's sharp YUV) looked
    # better than the ceiling in fewer bytes.
    return (
        _("quality %(quality)s, score %(score)s: under the target of %(target)s")
        % values
    )


def _box(r):
    return _("%(width)s × %(height)s (asked)") % {
        "width": r.spec_width or _("auto"),
        "height": r.spec_height or _("auto"),
    }


def _motion(r):
    """Return the badge text of an animated rendition, or "" for a still."""
    if not r.animated:
        return ""
    frames = ngettext(
        "Animated: %(frames)s frame", "Animated: %(frames)s frames", r.frames
    ) % {"frames": number_format(r.frames)}
    if r.duration_ms is None:
        return frames
    seconds = number_format(r.duration_ms / 1000, decimal_pos=1)
    return _("%(frames)s, %(seconds)s s a play") % {
        "frames": frames,
        "seconds": seconds,
    }


def _preview(rows):
    """Return the ready image to show on a card: the widest, at least 160 px shown.

    An animated WebP comes first, so the editor sees the motion (every
    browser the admin supports plays it).
    """
    ready = [r for r in rows if r.status == RenditionStatus.READY]
    shown = [r for r in ready if r.animated and r.format == "webp"] or [
        r for r in ready if r.format in STILL_FORMATS
    ]
    if not shown:
        return None
    best = max(shown, key=lambda r: r.width)
    return {
        "url": serving.rendition_url(best),
        "width": best.width,
        "height": best.height,
        "size": f"{best.width} × {best.height}",
        "motion": _motion(best),
    }


def _card(asset, preset, rows, origin, site_key=None):
    ready = [r for r in rows if r.status == RenditionStatus.READY]
    embed_path = reverse("transcoder:embed", args=[asset.pk, preset.slug])
    return {
        "preset": preset,
        "summary": _summary(preset),
        "counts": _counts(rows),
        "preview": _preview(rows),
        "formats": _formats(rows),
        "cover": preset.fit == "cover",
        "snippets": _snippets(asset, preset, ready, origin + embed_path, site_key)
        if ready
        else [],
        "alt_missing": not asset.decorative and not asset.alt_text,
        "alt_todo": ALT_TODO,
        "site_key": site_key,
    }


def _summary(preset):
    box = f"{preset.width or _('auto')} × {preset.height or _('auto')}"
    if preset.widths:
        widths = ", ".join(f"{w}w" for w in sorted(preset.widths))
        box = _("%(box)s in %(widths)s") % {"box": box, "widths": widths}
    formats = ", ".join(f.upper() for f in preset.formats)
    return f"{preset.get_fit_display().split(':')[0]}, {box} · {formats}"


def _superseded_group(rows):
    first = rows[0]
    formats = sorted({r.format.upper() for r in rows})
    sizes = sorted({(r.spec_width, r.spec_height) for r in rows}, key=str)
    spec = ", ".join(f"{w or _('auto')} × {h or _('auto')}" for w, h in sizes)
    return {
        "digest": first.digest,
        "spec": f"{spec} · {', '.join(formats)}",
        "since": first.superseded_at,
        "counts": _counts(rows),
        "formats": _formats(rows),
    }


def _snippets(asset, preset, ready, embed, site_key=None):
    """Return the copy-ready embeds of a preset: link, <img>, <picture>, tag.

    The links carry the site key when there is one. An image that is not
    marked decorative and has no alt text gets a visible TODO, never alt="",
    which would tell screen readers to skip it.
    """
    by_format = {}
    for r in ready:
        by_format.setdefault(r.format, []).append(r)
    fallback_fmt = next(
        (f for f in ("jpeg", "png") if f in by_format),
        sorted(by_format, key=FORMAT_PREFERENCE.index)[-1],
    )
    fallback = layout.distinct_widths(by_format[fallback_fmt])
    widest = fallback[-1]
    alt = escape(alt_or_todo(asset))
    sizes = layout.preset_sizes(preset)
    keyed = f"key={site_key.key}&" if site_key else ""
    link = f"{embed}?{keyed[:-1]}" if site_key else embed

    def srcset(fmt):
        return layout.srcset(
            embed, by_format[fmt], query=f"{keyed}format={fmt}", amp=True
        )

    src = f"{embed}?{keyed}format={fallback_fmt}&w={widest.width}".replace("&", "&amp;")
    colour = layout.placeholder_style(asset, "colour")
    style = f' style="{colour}"' if colour else ""
    img = (
        f'<img src="{src}" srcset="{srcset(fallback_fmt)}" sizes="{sizes}" '
        f'width="{widest.width}" height="{widest.height}" alt="{alt}"{style} '
        'loading="lazy">'
    )
    sources = "".join(
        f'\n  <source type="{FORMATS[f].mime}" srcset="{srcset(f)}" sizes="{sizes}">'
        for f in sorted(by_format, key=FORMAT_PREFERENCE.index)
        if f != fallback_fmt
    )
    picture = f"<picture>{sources}\n  {img}\n</picture>"
    multi = len(by_format) > 1 or len(fallback) > 1
    load = "{% load transcoder_tags %}"
    tag = (
        f'{load}{{% picture asset "{preset.slug}" placeholder="blur" %}}'
        if multi
        else f'{load}{{% rendition asset "{preset.slug}" placeholder="blur" %}}'
    )
    return [
        {"name": _("Embed link"), "key": "link", "text": link},
        {"name": _("<img> with srcset"), "key": "img", "text": img},
        {"name": "<picture>", "key": "picture", "text": picture},
        {"name": _("Template tag"), "key": "tag", "text": tag},
    ]


def alt_or_todo(asset):
    """Return the alt text a snippet writes: a TODO where it is missing."""
    if asset.decorative or asset.alt_text:
        return selectors.alt_for(asset)
    return ALT_TODO
