"""Pick a rendition format from what a preset has and what a browser accepts.

Like Cloudinary's ``f_auto``: AVIF, then WebP, when the browser names them in
``Accept``; otherwise JPEG or PNG, which every browser shows. No Django here.
"""

import re

# RFC 9110's qvalue: 0 to 1 with up to three decimals. Anything else ("nan",
# "1e9", "²") counts as 0, i.e. not acceptable.
_QVALUE = re.compile(r"(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)", re.ASCII)

MIME = {
    "avif": "image/avif",
    "webp": "image/webp",
    "jpeg": "image/jpeg",
    "png": "image/png",
}
_MODERN = ("avif", "webp")
_STILL = ("jpeg", "png")


def parse_accept(header):
    """Return ``{media range: q}`` from an Accept header; bad parts are skipped."""
    ranges = {}
    for part in (header or "").split(",")[:64]:
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            continue
        q = 1.0
        for field in fields[1:]:
            key, _, value = field.partition("=")
            if key.strip().lower() == "q":
                value = value.strip()
                q = float(value) if _QVALUE.fullmatch(value) else 0.0
        ranges[media] = max(q, ranges.get(media, 0.0))
    return ranges


def _named(ranges, fmt):
    """Tell whether the browser names this format's type itself, with q > 0."""
    return ranges.get(MIME[fmt], 0.0) > 0


def _accepted(ranges, fmt):
    """Tell whether the format is acceptable, by its type or a wildcard."""
    mime = MIME[fmt]
    for media in (mime, "image/*", "*/*"):
        if media in ranges:
            return ranges[media] > 0
    return False


def negotiate(available, *, asked=None, accept=None):
    """Return the format to serve from ``available``, or None if none will do.

    An ``asked`` format the preset lacks falls back to JPEG or PNG, never to a
    format the browser did not ask for. ``accept=None`` means no header, which
    HTTP reads as "anything".
    """
    available = set(available)
    if asked in available:
        return asked
    if asked is not None:
        for fmt in _STILL:
            if fmt in available:
                return fmt
    ranges = parse_accept("*/*" if accept is None else accept)
    for fmt in _MODERN:
        if fmt in available and _named(ranges, fmt):
            return fmt
    # Every browser shows JPEG and PNG, whatever its Accept says.
    for fmt in _STILL:
        if fmt in available:
            return fmt
    # Only modern formats are built and the browser names neither: a wildcard
    # still admits them, WebP first as the more widely shown.
    for fmt in ("webp", "avif"):
        if fmt in available and _accepted(ranges, fmt):
            return fmt
    return None
