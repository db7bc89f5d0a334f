"""How a page lays an asset out without layout shift: sizes, srcsets, placeholders.

One place for what the API's ``layout`` map, the template tags and the
admin's copy-ready snippets all say: the width and height of a preset's
widest rendition, a ``srcset`` of its stored widths, the ``sizes`` its box
implies, and the inline placeholder shown until the image loads.
"""

from transcoder.imaging.analysis import placeholder

PLACEHOLDER_KINDS = ("colour", "color", "blur")


def preset_sizes(preset):
    """Return the ``sizes`` a preset's box implies: full width up to its width.

    A responsive preset's widths are the candidates for one display width,
    its box (``width``, else its widest width); past that it is shown at it.
    """
    width = preset.width or max(preset.widths or [0], default=0)
    if not width:
        return "100vw"
    return f"(max-width: {width}px) 100vw, {width}px"


def distinct_widths(rows):
    """Return one rendition per stored width, narrowest first."""
    by_width = {}
    for row in sorted(rows, key=lambda r: (r.width, r.format)):
        by_width.setdefault(row.width, row)
    return list(by_width.values())


def srcset(embed, rows, *, query="", amp=False):
    """Return a srcset of ``embed`` links, one per stored width of ``rows``.

    ``query`` (say ``key=...&format=webp``) comes before ``w``; ``amp``
    writes ``&amp;`` for HTML text.
    """
    joiner = "&amp;" if amp else "&"
    lead = f"{query.replace('&', joiner)}{joiner}" if query else ""
    return ", ".join(
        f"{embed}?{lead}w={r.width} {r.width}w" for r in distinct_widths(rows)
    )


def embed_layout(embed, rows, preset):
    """Return a preset's layout for the API: size, and srcset/sizes if responsive."""
    widths = distinct_widths(rows)
    widest = widths[-1]
    data = {"url": embed, "width": widest.width, "height": widest.height}
    if len(widths) > 1:
        data["srcset"] = srcset(embed, widths)
        data["sizes"] = preset_sizes(preset)
    return data


def placeholder_json(asset):
    """Return the API's placeholder of an asset, or None until it is made."""
    if not asset.thumbhash:
        return None
    return {"thumbhash": asset.thumbhash, "color": asset.dominant_colour}


def placeholder_style(asset, kind):
    """Return the inline CSS that shows an asset's placeholder behind its image.

    ``colour`` (or ``color``) paints the dominant colour; ``blur`` the
    ThumbHash as a tiny PNG, over that colour. Empty when there is none yet.
    """
    if kind not in PLACEHOLDER_KINDS:
        raise ValueError(
            f"placeholder must be one of {', '.join(PLACEHOLDER_KINDS)}, not {kind!r}."
        )
    if not asset.dominant_colour:
        return ""
    style = f"background-color:{asset.dominant_colour}"
    if kind == "blur" and asset.thumbhash:
        try:
            url = placeholder.data_url(asset.thumbhash)
        except placeholder.PlaceholderError:
            return style
        style += f";background-image:url({url});background-size:cover"
    return style
