"""The engine's AVIF: libavif's exact RGB-to-YUV step, called through ctypes.

No database. The ctypes path is checked against Pillow's own encoder (the
same bytes when asked for libyuv's conversion, so the structures match
libavif's ABI), then the engine's output against a real photo, known colour
patches and two independent decoders (Pillow's libavif and libvips' libheif).
"""

import io
import struct

import pytest
from PIL import Image, ImageChops, ImageStat

from tests.conftest import TESTDATA
from tests.support import LIMITS
from transcoder.imaging import engine
from transcoder.imaging.decode.colour import to_srgb
from transcoder.imaging.encoding import avif, encode
from transcoder.imaging.resize import libvips
from transcoder.imaging.specs import RenditionSpec

PHOTO = TESTDATA / "photos" / "orientation" / "Landscape_1.jpg"
# Flat patches of known colours: primaries, secondaries, greys, a skin tone.
PATCHES = [
    (255, 0, 0), (0, 255, 0), (0, 0, 255), (0, 255, 255), (255, 0, 255),
    (255, 255, 0), (128, 128, 128), (224, 172, 105), (16, 16, 16), (240, 240, 240),
]  # fmt: skip
PATCH = 64

pytestmark = pytest.mark.skipif(
    not avif.available(), reason="Pillow's libavif is not the 1.x ABI"
)


def photo_rgb(size=(600, 400)) -> Image.Image:
    """Return the test photo, upright sRGB, resized like the engine would."""
    image = to_srgb(Image.open(PHOTO))
    return image.resize(size, Image.Resampling.LANCZOS)


def pillow_avif(image, quality=75, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "AVIF", quality=quality, speed=encode.AVIF_SPEED, **options)
    return buffer.getvalue()


def decode_pillow(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def decode_vips(data: bytes) -> Image.Image:
    """Decode with libvips (libheif and its own YUV-to-RGB), independent of libavif."""
    pyvips = libvips._setup()
    pyvips.operation_block_set("VipsForeignLoad", False)  # this test's reference
    try:
        image = pyvips.Image.new_from_buffer(data, "")
    finally:
        libvips.block_loaders(pyvips)
    mode = {3: "RGB", 4: "RGBA"}[image.bands]
    return Image.frombytes(mode, (image.width, image.height), image.write_to_memory())


def mean_error(a: Image.Image, b: Image.Image) -> list[float]:
    """Return the mean absolute difference per channel."""
    return ImageStat.Stat(ImageChops.difference(a, b)).mean


def nclx(data: bytes) -> tuple[int, int, int, bool]:
    """Return (primaries, transfer, matrix, full range) from the 'colr' nclx box."""
    at = data.index(b"colrnclx") + 8
    primaries, transfer, matrix, flags = struct.unpack(">HHHB", data[at : at + 7])
    return primaries, transfer, matrix, bool(flags & 0x80)


def render_avif(data: bytes, width: int, quality: int = 75) -> bytes:
    spec = RenditionSpec("contain", width, None, "avif", quality=quality)
    return engine.render(data, [spec], LIMITS)[0].data


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_ctypes_path_with_libyuv_is_pillows_encoder_byte_for_byte(mode):
    """Asked for libavif's default conversion, the path writes Pillow's exact file."""
    image = photo_rgb((160, 120)).convert(mode)
    if mode == "RGBA":
        image.putalpha(Image.linear_gradient("L").resize(image.size))
    ours = avif.encode(image, 75, encode.AVIF_SPEED, downsampling="libyuv")
    assert ours == pillow_avif(image)
    # The exact conversion is another file, of about the same size.
    exact = avif.encode(image, 75, encode.AVIF_SPEED)
    assert exact != ours and 0.9 < len(exact) / len(ours) < 1.1


def test_engine_avif_stays_close_to_the_resized_source():
    """A real photo comes back within a small mean error and with no colour cast."""
    data = PHOTO.read_bytes()
    out = decode_pillow(render_avif(data, 600))
    assert out.mode == "RGB" and out.size == (600, 400)
    source = photo_rgb(out.size)
    error = mean_error(out, source)
    assert max(error) < 3.0, error
    # No channel is shifted as a whole (a wrong matrix or range would be).
    shift = [
        a - b
        for a, b in zip(
            ImageStat.Stat(out).mean, ImageStat.Stat(source).mean, strict=True
        )
    ]
    assert max(abs(s) for s in shift) < 0.6, shift


@pytest.mark.parametrize("subsampling", ["4:2:0", "4:4:4"])
def test_the_conversion_is_more_exact_than_pillows(subsampling):
    """At quality 100 the AV1 coding is lossless, so only the RGB-YUV-RGB round
    trip's error is left: libavif's own conversion loses less than libyuv's."""
    image = photo_rgb((300, 200))
    exact = avif.encode(image, 100, encode.AVIF_SPEED, subsampling=subsampling)
    pillows = pillow_avif(image, quality=100, subsampling=subsampling)
    for decode in (decode_pillow, decode_vips):
        ours = sum(mean_error(decode(exact), image))
        theirs = sum(mean_error(decode(pillows), image))
        assert ours < theirs * (0.95 if subsampling == "4:2:0" else 0.6), (ours, theirs)


def patches() -> Image.Image:
    image = Image.new("RGB", (PATCH * len(PATCHES), PATCH))
    for i, colour in enumerate(PATCHES):
        image.paste(colour, (i * PATCH, 0, (i + 1) * PATCH, PATCH))
    return image


@pytest.mark.parametrize("decoder", [decode_pillow, decode_vips])
def test_known_colours_come_back_unshifted(decoder):
    """Each flat patch decodes to its colour within 2 levels, by either decoder."""
    source = io.BytesIO()
    patches().save(source, "PNG")
    out = decoder(render_avif(source.getvalue(), PATCH * len(PATCHES)))
    for i, colour in enumerate(PATCHES):
        # The centre of each patch, away from the chroma bleeding at its edges.
        box = (i * PATCH + 16, 16, (i + 1) * PATCH - 16, PATCH - 16)
        got = ImageStat.Stat(out.crop(box).convert("RGB")).mean
        assert all(abs(g - c) <= 2 for g, c in zip(got, colour, strict=True)), (
            colour,
            got,
        )


def test_flags_say_full_range_bt601_srgb_and_both_decoders_agree():
    """The file says what it holds, so libavif and libheif decode it alike."""
    blob = render_avif(PHOTO.read_bytes(), 600)
    assert nclx(blob) == (1, 13, 6, True)  # BT.709 primaries, sRGB, BT.601, full
    by_pillow, by_vips = decode_pillow(blob), decode_vips(blob)
    assert by_pillow.size == by_vips.size
    # Their chroma upsampling filters differ a little; a range or matrix
    # misread would differ by tens of levels.
    assert max(mean_error(by_pillow, by_vips)) < 1.0


def test_alpha_is_kept():
    """An RGBA rendition keeps its transparency."""
    image = photo_rgb((200, 100)).convert("RGBA")
    alpha = Image.linear_gradient("L").resize(image.size)
    image.putalpha(alpha)
    source = io.BytesIO()
    image.save(source, "PNG")
    out = decode_pillow(render_avif(source.getvalue(), 200))
    assert out.mode == "RGBA"
    assert max(mean_error(out.getchannel("A"), alpha)) < 2.0


def test_libavif_errors_are_raised_with_their_reason():
    """An option libavif refuses comes back as an OSError naming it."""
    image = photo_rgb((32, 32))
    with pytest.raises(
        OSError, match="could not encode: Invalid codec-specific option"
    ):
        avif.encode(image, 75, 6, options={"no-such-option": "1"})
    with pytest.raises(ValueError, match="quality"):
        avif.encode(image, 101, 6)
    # Modes the engine never hands over are left to Pillow's plugin.
    assert avif.encode(image.convert("L"), 75, 6) is None


def test_output_is_deterministic():
    """The same input gives the same bytes (content-addressed names rely on it)."""
    image = photo_rgb((300, 200))
    assert avif.encode(image, 60, 6) == avif.encode(image, 60, 6)
