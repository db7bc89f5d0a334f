"""{% rendition %} and {% picture %}: look up renditions that exist, never build one."""

from django import template
from django.utils.html import format_html, format_html_join

from transcoder import delivery, selectors

register = template.Library()


@register.simple_tag
def rendition(asset, preset_slug, width=None, format=None, **attrs):
    """Render an <img> of the best ready rendition, or nothing if none is ready yet."""
    row = selectors.rendition_best(
        asset_id=asset.pk, preset_slug=preset_slug, format=format, width=width
    )
    if row is None:
        return ""
    extra = format_html_join("", ' {}="{}"', attrs.items())
    return format_html(
        '<img src="{}" width="{}" height="{}" alt="{}" loading="lazy"{}>',
        delivery.rendition_url(row),
        row.width,
        row.height,
        asset.alt_text,
        extra,
    )


@register.simple_tag
def picture(asset, preset_slug, sizes="100vw", **attrs):
    """Render a <picture> with one <source> per format and a srcset per width."""
    data = selectors.picture_data(
        asset=asset, preset_slug=preset_slug, url_for=delivery.rendition_url
    )
    if data is None:
        return ""
    sources = format_html_join(
        "",
        '<source type="{}" srcset="{}" sizes="{}">',
        ((s["mime"], s["srcset"], sizes) for s in data["sources"]),
    )
    extra = format_html_join("", ' {}="{}"', attrs.items())
    return format_html(
        '<picture>{}<img src="{}" width="{}" height="{}" alt="{}" '
        'loading="lazy" decoding="async"{}></picture>',
        sources,
        data["src"],
        data["width"],
        data["height"],
        data["alt"],
        extra,
    )
