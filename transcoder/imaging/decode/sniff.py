"""Tell what a file is from its first bytes, and list animation frames cheaply.

Everything here reads raw bytes only: no Pillow, no decoding. The engine uses
it to refuse what it must never hand to a decoder (SVG, PDF, EPS...) and to
check every frame of a GIF or APNG without decoding the frames before it.
"""

import struct

from transcoder.imaging.messages import Message
from transcoder.imaging.messages import gettext_noop as _

ACCEPTED = ("jpeg", "png", "webp", "avif", "gif", "tiff", "heif")

MIME_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "avif": "image/avif",
    "gif": "image/gif",
    "tiff": "image/tiff",
    "heif": "image/heif",
}

LABELS = {
    "jpeg": "JPEG",
    "png": "PNG",
    "webp": "WebP",
    "avif": "AVIF",
    "gif": "GIF",
    "tiff": "TIFF",
    "heif": "HEIC/HEIF",
}

# The only Pillow plugins allowed to see each format: nothing else, and never
# Ghostscript, ever parses an upload. The JPEG opener itself returns an MPO
# image for multi-picture files; "MPO" has no opener of its own.
PILLOW_FORMATS = {
    "jpeg": ("JPEG",),
    "png": ("PNG",),
    "webp": ("WEBP",),
    "avif": ("AVIF",),
    "gif": ("GIF",),
    "tiff": ("TIFF",),
    "heif": ("HEIF",),
}

# What the hint calls each format; HEIF photos are what phones call HEIC.
_HINT_LABELS = {**LABELS, "heif": "HEIC"}


def accepted_labels(heif_readable: bool | None = None) -> list[str]:
    """Return the accepted formats' names, in order: the one list editors read.

    HEIC is listed only where pillow-heif is installed (``heif_readable``
    defaults to ``heif.SUPPORTED``).
    """
    if heif_readable is None:
        from transcoder.imaging.decode import heif

        heif_readable = heif.SUPPORTED
    return [_HINT_LABELS[kind] for kind in ACCEPTED if kind != "heif" or heif_readable]


def accepted_message(heif_readable: bool | None = None) -> Message:
    """Return the accepted formats as one phrase: "JPEG, PNG, ... or HEIC"."""
    names = accepted_labels(heif_readable)
    return Message(
        _("%(formats)s or %(last)s"),
        formats=", ".join(names[:-1]),
        last=names[-1],
    )


def accepted_text(heif_readable: bool | None = None) -> str:
    """Return ``accepted_message`` in English."""
    return str(accepted_message(heif_readable))


def upload_hint(heif_readable: bool | None = None) -> str:
    """Return what a refused upload's message asks for instead, in English."""
    return f"upload a {accepted_text(heif_readable)} image."


# What the editor's message says of each refused kind: whole sentences, each
# a msgid of its own, with the accepted formats as %(formats)s.
REFUSED = {
    "svg": _("This file is an SVG drawing; upload a %(formats)s image."),
    "pdf": _("This file is a PDF document; upload a %(formats)s image."),
    "eps": _("This file is a PostScript (EPS) drawing; upload a %(formats)s image."),
    "html": _("This file is a web page (HTML); upload a %(formats)s image."),
    "xml": _("This file is an XML document; upload a %(formats)s image."),
    "zip": _(
        "This file is a ZIP archive or an office document (Word, Excel, "
        "PowerPoint); upload a %(formats)s image."
    ),
    "office": _(
        "This file is an older office document (Word, Excel, PowerPoint); upload "
        "a %(formats)s image."
    ),
    "rtf": _("This file is a rich-text document (RTF); upload a %(formats)s image."),
    "archive": _("This file is a compressed archive; upload a %(formats)s image."),
    "bmp": _(
        "This file is a BMP image, which is not accepted; upload a %(formats)s image."
    ),
    "ico": _(
        "This file is an icon file (ICO/CUR), which is not accepted; upload a "
        "%(formats)s image."
    ),
    "psd": _(
        "This file is a Photoshop document (PSD), which is not accepted; upload a "
        "%(formats)s image."
    ),
    "jp2": _(
        "This file is a JPEG 2000 image, which is not accepted; upload a "
        "%(formats)s image."
    ),
    "jxl": _(
        "This file is a JPEG XL image, which is not accepted; upload a "
        "%(formats)s image."
    ),
    "pnm": _(
        "This file is a Netpbm image (PBM, PGM, PPM), which is not accepted; "
        "upload a %(formats)s image."
    ),
    "exr": _(
        "This file is an OpenEXR image, which is not accepted; upload a "
        "%(formats)s image."
    ),
    "qoi": _(
        "This file is a QOI image, which is not accepted; upload a %(formats)s image."
    ),
    "raw": _(
        "This file is a camera raw file (CR2, CR3, RAF, ORF, RW2), which is not "
        "accepted; upload a %(formats)s image."
    ),
    "video": _("This file is a video; upload a %(formats)s image."),
    "heif": _(
        "This file is a HEIC/HEIF photo, which this server cannot read; upload a "
        "%(formats)s image."
    ),
}
UNKNOWN = _("This file is not an image we recognise; upload a %(formats)s image.")

_TIFF_PREFIXES = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_AVIF_BRANDS = {b"avif", b"avis"}
_HEIF_BRANDS = {
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs",
    b"mif1", b"msf1",
}  # fmt: skip
_VIDEO_BRANDS = {b"isom", b"iso2", b"mp41", b"mp42", b"qt  ", b"M4V ", b"3gp4"}


def refusal_message(kind: str) -> Message:
    """Return the editor-facing message for a refused kind of file."""
    return Message(REFUSED.get(kind, UNKNOWN), formats=accepted_message())


def classify(data: bytes) -> str:
    """Return an ``ACCEPTED`` format, a ``REFUSED`` kind, or ``"unknown"``.

    Only the bytes decide: a name or a declared content type can lie.
    """
    head = data[:32]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(_TIFF_PREFIXES):
        # Canon's CR2 is a TIFF whose first image is a thumbnail.
        return "raw" if head[8:11] == b"CR\x02" else "tiff"
    if head[4:8] == b"ftyp":
        return _classify_iso_media(data)
    return _classify_other(data)


def _classify_iso_media(data: bytes) -> str:
    """Classify an ISO base media file (AVIF, HEIF, JPEG XL, MP4...) by brand."""
    box_size = min(struct.unpack_from(">I", data)[0], 256, len(data))
    brands = {data[8:12]} | {data[i : i + 4] for i in range(16, box_size - 3, 4)}
    # A still image may list both AVIF and generic HEIF brands: the coding
    # brand decides, so AVIF wins over "mif1".
    if brands & _AVIF_BRANDS:
        return "avif"
    if brands & _HEIF_BRANDS:
        return "heif"
    if data[8:12] == b"crx ":
        return "raw"
    if data[8:12] == b"jxl ":
        return "jxl"
    if data[8:12] in {b"jp2 ", b"jpx "}:
        return "jp2"
    if brands & _VIDEO_BRANDS:
        return "video"
    return "unknown"


def _classify_other(data: bytes) -> str:
    """Name the refused kinds editors commonly try to upload."""
    head = data[:16]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "office"
    if head.startswith((b"FUJIFILMCCD-RAW", b"IIRO", b"IIRS", b"IIU\x00")):
        return "raw"
    if head.startswith(b"v/1\x01"):
        return "exr"
    if head.startswith(b"qoif"):
        return "qoi"
    if head[:1] == b"P" and head[1:2] in b"1234567" and head[2:3] in b" \t\r\n":
        return "pnm"
    if head.startswith((b"%!PS", b"\xc5\xd0\xd3\xc6")):
        return "eps"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return "zip"
    if head.startswith((b"\x1f\x8b", b"7z\xbc\xaf\x27\x1c", b"Rar!")):
        return "archive"
    if head.startswith(b"BM"):
        return "bmp"
    if head.startswith((b"\x00\x00\x01\x00", b"\x00\x00\x02\x00")):
        return "ico"
    if head.startswith(b"8BPS"):
        return "psd"
    if head.startswith((b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51")):
        return "jp2"
    if head.startswith((b"\xff\x0a", b"\x00\x00\x00\x0cJXL \r\n\x87\n")):
        return "jxl"
    return _classify_text(data)


def _classify_text(data: bytes) -> str:
    """Recognise SVG, HTML and XML, which start with markup after optional BOM."""
    text = data[:4096].removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if not text.startswith(b"<"):
        return "unknown"
    if text.startswith(b"<svg") or b"<svg" in text:
        return "svg"
    if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text:
        return "html"
    if text.startswith(b"<?xml"):
        return "xml"
    return "unknown"


def gif_frame_sizes(data: bytes) -> list[tuple[int, int]]:
    """Return the canvas size each GIF frame needs, reading descriptors only.

    A frame may reach past the logical screen; the decoder then grows the
    canvas for it and every later frame, so the sizes only ever grow.
    """
    if len(data) < 13:
        return []
    width, height, flags = struct.unpack_from("<HHB", data, 6)
    pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    sizes = []
    while pos < len(data):
        block = data[pos]
        pos += 1
        if block == 0x2C and pos + 9 <= len(data):
            x, y, w, h, flags = struct.unpack_from("<HHHHB", data, pos)
            pos += 9 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0) + 1
            pos = _skip_sub_blocks(data, pos)
            width, height = max(width, x + w), max(height, y + h)
            sizes.append((width, height))
        elif block == 0x21:
            pos = _skip_sub_blocks(data, pos + 1)
        else:
            # The trailer, or damage the decoder will report properly.
            break
    return sizes


def _skip_sub_blocks(data: bytes, pos: int) -> int:
    """Return the offset just after a chain of GIF data sub-blocks."""
    while pos < len(data):
        length = data[pos]
        pos += 1 + length
        if not length:
            break
    return pos


def apng_frame_sizes(data: bytes) -> list[tuple[int, int]]:
    """Return the canvas size each APNG frame control chunk needs.

    An empty list means a plain PNG. Counting the chunks, rather than trusting
    the frame count the file claims, gives the real number of frames.
    """
    width, height = struct.unpack_from(">II", data, 16)
    pos = 8
    sizes = []
    while pos + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        if kind == b"fcTL" and length >= 26 and pos + 28 <= len(data):
            w, h, x, y = struct.unpack_from(">IIII", data, pos + 12)
            sizes.append((max(width, x + w), max(height, y + h)))
        elif kind == b"IEND":
            break
        pos += 12 + length
    return sizes


def is_cut_short(data: bytes, fmt: str) -> bool:
    """Tell whether a container declares more bytes than ``data`` holds.

    Decoders of these formats report a cut file as merely undecodable, so the
    engine asks the container to tell truncation from other damage.
    """
    if fmt == "webp":
        return len(data) < 8 + struct.unpack_from("<I", data, 4)[0]
    if fmt == "png":
        return not data.rstrip(b"\0").endswith(b"IEND\xaeB`\x82")
    if fmt in ("avif", "heif"):
        pos = 0
        while pos + 8 <= len(data):
            size = struct.unpack_from(">I", data, pos)[0]
            if size == 1 and pos + 16 <= len(data):
                size = struct.unpack_from(">Q", data, pos + 8)[0]
            if size < 8:
                # 0 means "to the end"; anything else is damage, not a cut.
                return False
            pos += size
        return pos > len(data)
    return False


def header_size(data: bytes, fmt: str) -> tuple[int, int] | None:
    """Return the width and height a JPEG, PNG, GIF or WebP header declares.

    Reading them straight from the bytes lets the engine refuse a pixel bomb
    with its exact size before any decoder sees it. Other formats, or headers
    this does not follow, give ``None`` and are checked once Pillow opens them.
    """
    try:
        if fmt == "png":
            return struct.unpack_from(">II", data, 16)
        if fmt == "gif":
            return struct.unpack_from("<HH", data, 6)
        if fmt == "webp":
            return _webp_size(data)
        if fmt == "jpeg":
            return _jpeg_size(data)
    except struct.error:
        pass
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    """Return the canvas size of a WebP file from its first chunk."""
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        return width, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8L" and data[20:21] == b"\x2f":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack_from("<HH", data, 26)
        return width & 0x3FFF, height & 0x3FFF
    return None


# Start-of-frame markers: every SOFn except DHT (C4), JPG (C8) and DAC (CC).
_JPEG_SOF = {
    0xC0,
    0xC1,
    0xC2,
    0xC3,
    0xC5,
    0xC6,
    0xC7,
    0xC9,
    0xCA,
    0xCB,
    0xCD,
    0xCE,
    0xCF,
}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Return the size in the first JPEG start-of-frame segment."""
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
        elif marker in _JPEG_SOF:
            height, width = struct.unpack_from(">HH", data, pos + 5)
            return width, height
        else:
            pos += 2 + struct.unpack_from(">H", data, pos + 2)[0]
    return None
