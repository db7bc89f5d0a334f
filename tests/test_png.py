"""PNGs libspng decodes for the engine, and the ones left to Pillow."""

import io
import struct
import zlib

import pytest
from PIL import Image

from tests import images
from tests.images import noisy
from tests.support import LIMITS
from transcoder.imaging import engine
from transcoder.imaging.decode import png
from transcoder.imaging.resize import libvips
from transcoder.imaging.specs import RenditionSpec


def chunk(kind: bytes, body: bytes) -> bytes:
    """Return one PNG chunk with its length and CRC."""
    crc = zlib.crc32(kind + body)
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def with_chunk_before_iend(data: bytes, kind: bytes, body: bytes) -> bytes:
    """Return ``data`` with a chunk added after the pixels, before IEND."""
    end = data.rindex(b"IEND") - 4
    return data[:end] + chunk(kind, body) + data[end:]


PLAIN = images.encode(images.quadrants((80, 40)), "PNG")
EXIF = images.exif_bytes(orientation=6)
XMP = b"XML:com.adobe.xmp\0\0\0\0\0<x/>"
RAW_EXIF = b"Raw profile type exif\0\n exif\n 6\n457869660000"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PLAIN, False),
        (images.encode(images.quadrants((80, 40)), "PNG", orientation=6), True),
        (with_chunk_before_iend(PLAIN, b"eXIf", EXIF), True),
        (with_chunk_before_iend(PLAIN, b"iTXt", XMP), True),
        (with_chunk_before_iend(PLAIN, b"tEXt", RAW_EXIF), True),
        (with_chunk_before_iend(PLAIN, b"zTXt", b"XML:com.adobe.xmp\0\0x"), True),
        (with_chunk_before_iend(PLAIN, b"tEXt", b"Software\0GIMP"), False),
        (with_chunk_before_iend(PLAIN, b"iTXt", b"Comment\0\0\0\0\0hi"), False),
        (PLAIN[: PLAIN.rindex(b"IEND") - 4], True),  # no IEND: Pillow decides
        (with_chunk_before_iend(PLAIN, b"pHYs", b"\0" * 9), False),
    ],
)
def test_may_orient_finds_every_chunk_pillow_reads_an_orientation_from(data, expected):
    """eXIf, XMP and EXIF text anywhere, even after the pixels; a cut file counts."""
    assert png.may_orient(data) is expected


@pytest.mark.parametrize(
    ("image", "options", "bands"),
    [
        (noisy((40, 30)), {}, 3),
        (noisy((40, 30)).convert("RGBA"), {}, 4),
        (noisy((40, 30)), {"transparency": (0, 0, 0)}, None),
        (noisy((40, 30)).convert("L"), {}, None),
        (noisy((40, 30)).quantize(16), {}, None),
        (Image.new("I;16", (40, 30), 4000), {}, None),
    ],
)
def test_only_plain_8_bit_rgb_and_rgba_go_to_libspng(image, options, bands):
    """16-bit, palette, grey and transparent-colour PNGs stay with Pillow."""
    opened = Image.open(io.BytesIO(images.encode(image, "PNG", **options)))
    assert png.plain(opened) == bands


def test_an_interlaced_png_stays_with_pillow():
    """libvips would hold a second whole copy to deinterlace it.

    Pillow cannot save an interlaced PNG; libvips makes this one.
    """
    pyvips = libvips._setup()
    source = noisy((40, 30))
    data = pyvips.Image.new_from_memory(source.tobytes(), 40, 30, 3, "uchar")
    opened = Image.open(io.BytesIO(data.pngsave_buffer(interlace=True)))
    assert opened.info.get("interlace") and png.plain(opened) is None


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_libspng_decodes_pillows_pixels(mode):
    """libspng's decode, written into a Pillow image, is Pillow's own, byte for byte."""
    source = noisy((301, 203)).convert(mode)
    if mode == "RGBA":
        source.putalpha(Image.linear_gradient("L").resize(source.size))
    data = images.encode(source, "PNG")
    decoded = libvips.decode_png(data, source.size, mode)
    assert decoded.mode == mode
    assert decoded.tobytes() == Image.open(io.BytesIO(data)).convert(mode).tobytes()


def test_a_png_libspng_refuses_is_left_to_pillow():
    """A bad CRC on the pixels: libspng refuses, Pillow (which skips it) decodes."""
    data = bytearray(images.encode(noisy((120, 80)), "PNG"))
    start = data.index(b"IDAT") - 4
    (length,) = struct.unpack(">I", data[start : start + 4])
    crc = start + 8 + length
    data[crc : crc + 4] = bytes(b ^ 0xFF for b in data[crc : crc + 4])
    assert libvips.decode_png(bytes(data), (120, 80), "RGB") is None
    spec = RenditionSpec("contain", 60, None, "png")
    out = engine.render(bytes(data), [spec], LIMITS)[0]
    assert (out.width, out.height) == (60, 40)


def test_an_orientation_after_the_pixels_still_turns_the_png():
    """An eXIf chunk after IDAT is read (by Pillow), and turns the image once."""
    data = with_chunk_before_iend(PLAIN, b"eXIf", images.exif_bytes(orientation=6))
    spec = RenditionSpec("contain", 200, 200, "png")
    out = engine.render(data, [spec], LIMITS)[0]
    assert (out.width, out.height) == (40, 80)
