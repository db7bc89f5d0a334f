"""Which PNGs libspng decodes in the engine's place of Pillow's decoder.

No Django. Pillow opens every PNG (its sniffing, limits and header checks),
and ``resize.libvips.decode_png`` then decodes the plainest ones, 8-bit RGB or RGBA
in one pass, through libspng: 1.3-1.5 times faster than Pillow's zlib and
unfilter (docs/benchmarks.md). Anything else stays with Pillow, as does any
file libspng refuses: Pillow's decode is the one that refuses an upload.

Pillow reads an orientation from an ``eXIf`` chunk, or from XMP or an EXIF
"raw profile" in a text chunk, wherever they are, even after the pixels, so
asking it for the orientation decodes the whole image. A PNG with none of
those chunks has no orientation to read, and is handed over undecoded; other
text chunks (a "Software" line, say) do not count.
"""

import struct

from PIL import Image

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TEXT = {b"iTXt", b"tEXt", b"zTXt"}
# The text keywords Pillow's getexif reads: XMP and ImageMagick's EXIF
# "raw profile". A keyword is 1-79 bytes ending in a NUL.
_ORIENTING_KEYWORDS = {b"XML:com.adobe.xmp", b"Raw profile type exif"}
# Pillow's raw modes for 8-bit RGB and RGBA, the only ones handed over.
_PLAIN = {"RGB": 3, "RGBA": 4}


def may_orient(data: bytes) -> bool:
    """Tell whether ``data`` has any chunk Pillow may read an orientation from.

    A chunk cut short or a file not ending in IEND counts as yes: Pillow
    decides about such files.
    """
    pos = len(SIGNATURE)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"eXIf":
            return True
        if kind in _TEXT:
            keyword = data[pos + 8 : pos + 8 + min(length, 80)].partition(b"\0")[0]
            if keyword in _ORIENTING_KEYWORDS:
                return True
        if kind == b"IEND":
            return False
        pos += 12 + length
    return True


def plain(image: Image.Image) -> int | None:
    """Return the bands of a PNG libspng may decode for Pillow, else None.

    One frame, 8-bit RGB or RGBA, not interlaced (libvips would hold a whole
    second copy to deinterlace), no transparent colour (Pillow keeps it as
    RGB with a ``transparency`` entry, libspng would add an alpha band).
    """
    tiles = getattr(image, "tile", None) or []
    if (
        image.format != "PNG"
        or getattr(image, "n_frames", 1) != 1
        or len(tiles) != 1
        or tiles[0].codec_name != "zip"
        or image.info.get("interlace")
        or "transparency" in image.info
        or image.mode not in _PLAIN
        or tiles[0].args != image.mode
    ):
        return None
    return _PLAIN[image.mode]
