"""{% rendition %} and {% picture %}: look up renditions that exist, never build one.

Both emit ``alt`` (``alt=""`` on purpose for a decorative image), ``width``
and ``height`` (no layout shift), ``loading="lazy"`` and ``decoding="async"``
unless told otherwise (``loading="eager"`` for the image
at the top of a page), and pass ``sizes`` and any other attribute through.
``{% picture %}``'s ``sizes`` defaults to what the preset's box implies
(``layout.preset_sizes``). ``placeholder="colour"`` paints the image's
dominant colour behind it until it loads, ``placeholder="blur"`` its
ThumbHash as a tiny inline PNG (before any ``style`` of the template's own).
"""

from django import template
from django.utils.html import format_html, format_html_join

from transcoder import layout, selectors
from transcoder.delivery import serving

register = template.Library()

DEFAULT_ATTRS = {"loading": "lazy", "decoding": "async"}


def _img_attrs(attrs):
    """Return the <img> attributes: defaults, then the template's own (underscores
    become dashes, so ``fetchpriority`` and ``data_id`` both work)."""
    merged = dict(DEFAULT_ATTRS)
    merged.update({k.replace("_", "-"): v for k, v in attrs.items()})
    return format_html_join(
        "", ' {}="{}"', ((k, v) for k, v in merged.items() if v is not None)
    )


def _with_placeholder(attrs, asset, kind):
    """Put the placeholder's CSS first in the ``style`` attribute."""
    if not kind:
        return attrs
    style = layout.placeholder_style(asset, kind)
    own = attrs.get("style")
    if style:
        attrs["style"] = f"{style};{own}" if own else style
    return attrs


@register.simple_tag
def rendition(
    asset, preset_slug, width=None, format=None, sizes=None, placeholder=None, **attrs
):
    """Render an <img> of the best ready rendition, or nothing if none is ready yet."""
    row = selectors.rendition_best(
        asset_id=asset.pk, preset_slug=preset_slug, format=format, width=width
    )
    if row is None:
        return ""
    if sizes:
        attrs["sizes"] = sizes
    attrs = _with_placeholder(attrs, asset, placeholder)
    return format_html(
        '<img src="{}" width="{}" height="{}" alt="{}"{}>',
        serving.rendition_url(row),
        row.width,
        row.height,
        selectors.alt_for(asset),
        _img_attrs(attrs),
    )


@register.simple_tag
def picture(asset, preset_slug, sizes=None, placeholder=None, **attrs):
    """Render a <picture> with one <source> per format and a srcset per width."""
    data = selectors.picture_data(
        asset=asset, preset_slug=preset_slug, url_for=serving.rendition_url
    )
    if data is None:
        return ""
    sizes = sizes or layout.preset_sizes(data["fallback"].preset)
    attrs = _with_placeholder(attrs, asset, placeholder)
    sources = format_html_join(
        "",
        '<source type="{}" srcset="{}" sizes="{}">',
        ((s["mime"], s["srcset"], sizes) for s in data["sources"]),
    )
    return format_html(
        '<picture>{}<img src="{}" width="{}" height="{}" alt="{}"{}></picture>',
        sources,
        data["src"],
        data["width"],
        data["height"],
        data["alt"],
        _img_attrs(attrs),
    )
