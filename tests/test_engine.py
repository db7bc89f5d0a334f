"""The image pipeline: sniffing, limits, damage, geometry, colour and encoding.

These tests need no database: the engine takes bytes and returns bytes.
"""

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageCms, ImageFile, ImageOps, ImageStat
from PIL.PngImagePlugin import PngInfo

from tests import images
from tests.images import noisy
from tests.support import LIMITS, MIB
from transcoder.imaging import engine
from transcoder.imaging.decode import opening
from transcoder.imaging.resize import libvips
from transcoder.imaging.specs import RenditionSpec

HINT = r"upload a JPEG, PNG, WebP, AVIF, GIF, TIFF or HEIC image\.$"
SHARED_DIR = Path(
    os.environ.get("MEDIAHUB_SHARED_DIR")
    or Path(__file__).resolve().parents[2] / "shared"
)
ORIENTATION_DIR = SHARED_DIR / "testdata" / "photos" / "orientation"


def spec(fit="contain", width=32, height=None, format="png", **kwargs):
    """Return a RenditionSpec with test-friendly defaults."""
    return RenditionSpec(fit=fit, width=width, height=height, format=format, **kwargs)


def render_one(data, rendition=None, limits=LIMITS):
    """Render one spec and return the output re-opened as an image."""
    output = engine.render(data, [rendition or spec()], limits)[0]
    image = Image.open(io.BytesIO(output.data))
    image.load()
    return image


def mean_difference(a, b):
    """Return the mean absolute difference per channel of two RGB images."""
    stat = ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB")))
    return sum(stat.mean) / len(stat.mean)


def close_to(actual, expected, tolerance=6):
    """Tell whether two colours match channel by channel within a tolerance."""
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def mpo():
    """Return a two-picture MPO, as phones write for depth or stereo shots."""
    first, second = Image.new("RGB", (64, 48), "red"), Image.new("RGB", (32, 24))
    buffer = io.BytesIO()
    first.save(buffer, "MPO", save_all=True, append_images=[second])
    return buffer.getvalue()


# -- sniffing ---------------------------------------------------------------

ACCEPTED = [
    ("jpeg", lambda: images.make_image("JPEG")),
    ("jpeg", lambda: images.make_image("JPEG", progressive=True)),
    ("jpeg", mpo),
    ("png", lambda: images.make_image("PNG")),
    ("png", lambda: images.animation("PNG")),
    ("webp", lambda: images.make_image("WEBP")),
    ("webp", lambda: images.make_image("WEBP", lossless=True)),
    ("webp", lambda: images.animation("WEBP")),
    ("avif", lambda: images.make_image("AVIF")),
    ("gif", lambda: images.make_image("GIF")),
    ("tiff", lambda: images.make_image("TIFF")),
    ("tiff", lambda: images.make_image("TIFF", big_tiff=True)),
    ("heif", lambda: images.make_image("HEIF")),
]


@pytest.mark.parametrize(("expected", "make"), ACCEPTED)
def test_sniff_names_each_accepted_format(expected, make):
    """Each accepted format is recognised from its bytes alone."""
    assert opening.sniff(make()) == expected


def zip_document():
    """Return a minimal Office Open XML document, which is a ZIP file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'
REFUSED = [
    (b"", engine.EmptyFileError, r"^The file is empty\."),
    (SVG, engine.UnsupportedFormatError, r"^This file is an SVG drawing; " + HINT),
    (b"\xef\xbb\xbf \n<svg/>", engine.UnsupportedFormatError, r"SVG drawing"),
    (b"<!-- hi -->\n<svg>", engine.UnsupportedFormatError, r"SVG drawing"),
    (b"%PDF-1.7\n%\xe2\xe3", engine.UnsupportedFormatError, r"a PDF document; " + HINT),
    (b"%!PS-Adobe-3.0 EPSF-3.0\n", engine.UnsupportedFormatError, r"PostScript"),
    (b"\xc5\xd0\xd3\xc6\x1e\x00\x00\x00", engine.UnsupportedFormatError, r"\(EPS\)"),
    (b"<!DOCTYPE html><html>", engine.UnsupportedFormatError, r"a web page \(HTML\)"),
    (b"  <html><body>", engine.UnsupportedFormatError, r"a web page \(HTML\)"),
    (b"<?xml version='1.0'?><rss/>", engine.UnsupportedFormatError, r"XML document"),
    (zip_document(), engine.UnsupportedFormatError, r"ZIP archive or an office"),
    (images.make_image("BMP"), engine.UnsupportedFormatError, r"a BMP image"),
    (images.make_image("ICO"), engine.UnsupportedFormatError, r"an icon file"),
    (b"8BPS\x00\x01" + bytes(20), engine.UnsupportedFormatError, r"Photoshop"),
    (images.make_image("JPEG2000"), engine.UnsupportedFormatError, r"JPEG 2000"),
    (b"\x00\x00\x00\x18ftypisom" + bytes(12), engine.UnsupportedFormatError, "video"),
    (b"\x1f\x8b\x08\x00", engine.UnsupportedFormatError, r"a compressed archive"),
    (b"GIF88a", engine.UnsupportedFormatError, r"not an image we recognise; " + HINT),
    (b"hello, world", engine.UnsupportedFormatError, r"not an image we recognise"),
]


@pytest.mark.parametrize(("data", "error", "message"), REFUSED)
def test_sniff_refuses_other_files_by_kind(data, error, message):
    """Other files are refused with a message naming what they are."""
    with pytest.raises(error, match=message):
        opening.sniff(data)


@pytest.mark.parametrize(("data", "error", "message"), REFUSED[:8])
def test_inspect_and_render_refuse_the_same_way(data, error, message):
    """inspect and render share the validation, so they refuse alike."""
    with pytest.raises(error, match=message):
        engine.inspect(data, LIMITS)
    with pytest.raises(error, match=message):
        engine.render(data, [spec()], LIMITS)


def test_heic_is_refused_clearly_without_pillow_heif(monkeypatch):
    """Without pillow-heif, a HEIC photo gets its own message, not a crash."""
    data = images.make_image("HEIF")
    from transcoder.imaging.decode import heif

    monkeypatch.setattr(heif, "SUPPORTED", False)
    monkeypatch.setattr(heif, "_registered", False)
    with pytest.raises(engine.UnsupportedFormatError, match=r"HEIC/HEIF photo"):
        engine.inspect(data, LIMITS)


def test_refused_files_never_reach_pillow(monkeypatch):
    """EPS and PDF are refused before Image.open, so Ghostscript never runs."""

    def fail(*args, **kwargs):
        raise AssertionError("Image.open was called")

    monkeypatch.setattr(Image, "open", fail)
    for data in (b"%!PS-Adobe-3.0 EPSF-3.0\n", b"%PDF-1.4\n"):
        with pytest.raises(engine.UnsupportedFormatError):
            engine.inspect(data, LIMITS)


def test_pillow_may_only_use_the_sniffed_plugin(monkeypatch):
    """Image.open is restricted to the plugin of the sniffed format."""
    calls = []
    real_open = Image.open

    def spy(fp, mode="r", formats=None):
        calls.append(formats)
        return real_open(fp, mode, formats)

    monkeypatch.setattr(Image, "open", spy)
    engine.inspect(images.make_image("PNG"), LIMITS)
    engine.inspect(images.make_image("GIF"), LIMITS)
    assert calls == [("PNG",), ("GIF",)]


# -- facts ------------------------------------------------------------------

INFO = [
    (lambda: images.make_image("JPEG", size=(64, 48)), ("jpeg", "image/jpeg", 64, 48)),
    (lambda: images.make_image("PNG", mode="RGBA"), ("png", "image/png", 64, 48)),
    (lambda: images.animation("GIF", [(20, 10)] * 3), ("gif", "image/gif", 20, 10)),
    (lambda: images.animation("PNG", [(20, 10)] * 3), ("png", "image/png", 20, 10)),
    (lambda: images.animation("WEBP", [(20, 10)] * 3), ("webp", "image/webp", 20, 10)),
    (lambda: images.make_image("TIFF", orientation=6), ("tiff", "image/tiff", 48, 64)),
    (lambda: images.make_image("AVIF", orientation=8), ("avif", "image/avif", 48, 64)),
    (lambda: images.make_image("HEIF", orientation=6), ("heif", "image/heif", 48, 64)),
    (mpo, ("jpeg", "image/jpeg", 64, 48)),
]


@pytest.mark.parametrize(("make", "expected"), INFO)
def test_inspect_reports_format_and_upright_size(make, expected):
    """inspect reports the sniffed format, its MIME type and the upright size."""
    info = engine.inspect(make(), LIMITS)
    assert (info.format, info.mime, info.width, info.height) == expected


@pytest.mark.parametrize(
    ("make", "frames", "has_alpha"),
    [
        (lambda: images.make_image("JPEG"), 1, False),
        (lambda: images.make_image("PNG", mode="RGBA"), 1, True),
        (lambda: images.make_image("PNG", mode="LA"), 1, True),
        (lambda: images.make_image("PNG", mode="P", transparency=0), 1, True),
        (lambda: images.animation("GIF", [(8, 8)] * 4), 4, False),
        (lambda: images.animation("PNG", [(8, 8)] * 3), 3, False),
        (lambda: images.animation("WEBP", [(8, 8)] * 5), 5, False),
        (mpo, 2, False),
    ],
)
def test_inspect_reports_frames_and_alpha(make, frames, has_alpha):
    """inspect counts every frame and says whether the image has transparency."""
    info = engine.inspect(make(), LIMITS)
    assert (info.frames, info.has_alpha) == (frames, has_alpha)


# -- limits -----------------------------------------------------------------


def test_file_over_the_byte_limit_is_refused_with_both_sizes():
    """A file over the byte limit is refused, saying its size and the limit."""
    data = b"\xff\xd8\xff" + bytes(2 * MIB)
    limits = engine.Limits(max_bytes=MIB, max_pixels=LIMITS.max_pixels)
    with pytest.raises(
        engine.FileTooLargeError, match=r"^The file is 2\.1 MB; the limit is 1 MB\.$"
    ):
        engine.inspect(data, limits)


def test_header_pixel_bomb_is_refused_before_decoding(monkeypatch):
    """A tiny PNG claiming 100000 x 100000 pixels is refused without decoding.

    How fast is measured by ``make bench`` (bench/bench_memory.py), not here.
    """

    def no_decoding(self):
        raise AssertionError("the engine started decoding")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    data = images.png_claiming_size(100_000, 100_000)
    with pytest.raises(
        engine.TooManyPixelsError,
        match=r"^The image is 100000 × 100000 pixels \(10,000 megapixels\); "
        r"the limit is 50 megapixels\.$",
    ):
        engine.inspect(data, LIMITS)


@pytest.mark.parametrize(
    ("make", "size"),
    [
        (lambda: images.make_image("PNG", size=(300, 200)), "300 × 200"),
        (lambda: images.make_image("JPEG", size=(300, 200)), "300 × 200"),
        (lambda: images.make_image("WEBP", size=(300, 200)), "300 × 200"),
        (lambda: images.make_image("GIF", size=(300, 200)), "300 × 200"),
        (lambda: images.make_image("TIFF", size=(300, 200)), "300 × 200"),
        (lambda: images.make_image("AVIF", size=(300, 200)), "300 × 200"),
        (lambda: images.make_image("HEIF", size=(300, 200)), "300 × 200"),
    ],
)
def test_image_over_the_pixel_limit_is_refused_with_its_size(make, size):
    """Any format over the pixel limit is refused, naming its size and the limit."""
    limits = engine.Limits(max_bytes=MIB, max_pixels=50_000)
    with pytest.raises(
        engine.TooManyPixelsError,
        match=rf"^The (HEIC/HEIF )?image is {size} pixels \(0\.06 megapixels\); "
        r"the limit is 0\.05 megapixels\.$",
    ):
        engine.render(make(), [spec()], limits)


def test_pillow_bomb_guard_is_mapped_when_it_fires_first():
    """A bomb that only Pillow's guard sees still raises TooManyPixelsError."""
    data = images.make_image("TIFF", size=(400, 300))
    limits = engine.Limits(max_bytes=MIB, max_pixels=1000)
    with pytest.raises(engine.TooManyPixelsError, match=r"the limit is 0\.001 mega"):
        engine.inspect(data, limits)


@pytest.mark.parametrize(
    "make",
    [
        lambda: images.gif_with_frame_size(1, 60000, 60000),
        lambda: images.gif_with_frame_size(3, 60000, 60000),
        lambda: images.apng_with_frame_size(2, 60000, 60000),
    ],
)
def test_bomb_in_a_later_frame_is_refused(make):
    """A frame after the first that claims a huge size is found and refused."""
    with pytest.raises(engine.TooManyPixelsError, match=r"60000 × 60000 pixels"):
        engine.inspect(make(), LIMITS)


def test_webp_frame_outside_its_canvas_is_refused():
    """libwebp keeps frames inside the canvas; one placed outside is damage."""
    data = images.webp_with_frame_offset(1, 30000)
    with pytest.raises(engine.CorruptImageError, match=r"WebP file is damaged"):
        engine.inspect(data, LIMITS)


def test_later_page_of_a_multi_page_tiff_is_checked():
    """A small first page cannot hide a huge later page."""
    pages = [Image.new("RGB", (10, 10)), Image.new("RGB", (300, 300))]
    buffer = io.BytesIO()
    pages[0].save(buffer, "TIFF", save_all=True, append_images=pages[1:])
    limits = engine.Limits(max_bytes=MIB, max_pixels=50_000)
    with pytest.raises(engine.TooManyPixelsError, match=r"300 × 300 pixels"):
        engine.inspect(buffer.getvalue(), limits)


@pytest.mark.parametrize("fmt", ["GIF", "PNG", "WEBP"])
def test_too_many_frames_are_refused(fmt):
    """An animation with more frames than allowed is refused."""
    data = images.animation(fmt, [(8, 8)] * 5)
    limits = engine.Limits(max_bytes=MIB, max_pixels=1000, max_frames=4)
    with pytest.raises(
        engine.TooManyFramesError,
        match=r"^The animation has 5 frames; the limit is 4\.",
    ):
        engine.inspect(data, limits)
    assert issubclass(engine.TooManyFramesError, engine.TooManyPixelsError)


# -- damage -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "TIFF", "WEBP", "AVIF", "HEIF"])
def test_truncated_file_is_refused_as_truncated(fmt):
    """A file cut short is refused with the truncation message."""
    data = images.truncate(images.encode(noisy(), fmt), 0.6)
    with pytest.raises(
        engine.TruncatedImageError, match=r"^The (HEIC/HEIF )?file ends early"
    ):
        engine.inspect(data, LIMITS)
    with pytest.raises(engine.TruncatedImageError):
        engine.render(data, [spec()], LIMITS)


def damaged_png():
    """Return a PNG whose compressed pixel data is overwritten, length intact."""
    data = bytearray(images.encode(noisy(), "PNG"))
    data[300:400] = bytes(100)
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "label"),
    [
        (b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4, "JPEG"),
        (damaged_png(), "PNG"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100) + b"IEND\xaeB`\x82", "PNG"),
        (b"GIF89a" + bytes(6), "GIF"),
        (b"II*\x00" + bytes(40), "TIFF"),
    ],
)
def test_damaged_file_is_refused_as_corrupt(data, label):
    """Damage that is not a simple cut is refused as corrupt, never a crash."""
    with pytest.raises(engine.CorruptImageError, match=rf"^The {label} file is dam"):
        engine.inspect(data, LIMITS)


def test_errors_are_value_errors_with_editor_messages():
    """Every refusal is an ImageError, which is a ValueError."""
    for error in (
        engine.EmptyFileError,
        engine.FileTooLargeError,
        engine.UnsupportedFormatError,
        engine.TooManyPixelsError,
        engine.TruncatedImageError,
        engine.CorruptImageError,
    ):
        assert issubclass(error, engine.ImageError)
    assert issubclass(engine.ImageError, ValueError)


def test_truncated_images_are_never_loaded_leniently():
    """The engine never switches on Pillow's LOAD_TRUNCATED_IMAGES."""
    data = images.truncate(images.encode(noisy(), "JPEG"))
    with pytest.raises(engine.TruncatedImageError):
        engine.render(data, [spec()], LIMITS)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


# -- geometry ---------------------------------------------------------------

GEOMETRY = [
    # source size, spec, output size, crop box in source pixels
    ((400, 200), spec("cover", 100, 100), (100, 100), (100, 0, 300, 200)),
    ((400, 200), spec("cover", 100, 100, focal=(0, 0)), (100, 100), (0, 0, 200, 200)),
    ((400, 200), spec("cover", 100, 100, focal=(1, 1)), (100, 100), (200, 0, 400, 200)),
    (
        (400, 200),
        spec("cover", 100, 100, focal=(0.4, 0)),
        (100, 100),
        (60, 0, 260, 200),
    ),
    ((200, 400), spec("cover", 100, 50), (100, 50), (0, 150, 200, 250)),
    ((200, 400), spec("cover", 100, 50, focal=(0.5, 0.1)), (100, 50), (0, 0, 200, 100)),
    ((300, 200), spec("cover", 600, 400), (300, 200), (0, 0, 300, 200)),
    ((300, 200), spec("cover", 400, 400), (200, 200), (50, 0, 250, 200)),
    ((400, 200), spec("contain", 100, 100), (100, 50), (0, 0, 400, 200)),
    ((400, 200), spec("contain", None, 100), (200, 100), (0, 0, 400, 200)),
    ((400, 200), spec("contain", 800, 800), (400, 200), (0, 0, 400, 200)),
]


@pytest.mark.parametrize(("source", "rendition", "size", "box"), GEOMETRY)
def test_crop_box_and_output_size(source, rendition, size, box):
    """Cover crops the box's shape around the focal point; contain keeps all."""
    assert rendition.target_size(*source) == size
    assert engine.crop_box(rendition, size, *source) == pytest.approx(box)


@pytest.mark.parametrize(("source", "rendition", "size", "box"), GEOMETRY)
def test_render_resizes_once_per_spec_with_the_crop_box(
    monkeypatch, source, rendition, size, box
):
    """Render asks libvips for exactly the planned resize, with a reducing gap."""
    calls = []
    real_resize = libvips.resize

    def recorder(source, size, box, reducing_gap):
        calls.append((size, box, reducing_gap))
        return real_resize(source, size, box, reducing_gap)

    monkeypatch.setattr(libvips, "resize", recorder)
    data = images.make_image("PNG", size=source)
    output = engine.render(data, [rendition], LIMITS)[0]
    assert (output.width, output.height) == size
    assert len(calls) == 1
    assert calls[0][0] == size
    assert calls[0][1] == pytest.approx(box)
    assert calls[0][2] == engine.REDUCING_GAP
    assert Image.open(io.BytesIO(output.data)).size == size


def red_corner(size, corner):
    """Return a grey PNG with a red 100 px square in one corner."""
    image = Image.new("RGB", size, (128, 128, 128))
    width, height = size
    left = 0 if corner[0] == "left" else width - 100
    top = 0 if corner[1] == "top" else height - 100
    image.paste((255, 0, 0), (left, top, left + 100, top + 100))
    return images.encode(image, "PNG")


@pytest.mark.parametrize(
    ("size", "corner", "focal", "red_in_crop"),
    [
        ((800, 400), ("right", "bottom"), (0.95, 0.9), True),
        ((800, 400), ("right", "bottom"), (0.7, 0.1), True),
        ((800, 400), ("right", "bottom"), None, False),
        ((800, 400), ("right", "bottom"), (0.05, 0.9), False),
        ((400, 800), ("left", "top"), (0.1, 0.05), True),
        ((400, 800), ("left", "top"), (0.1, 0.95), False),
    ],
)
def test_cover_crop_keeps_the_focal_point(size, corner, focal, red_in_crop):
    """A coloured corner is in a cover crop exactly when the focal point is near."""
    data = red_corner(size, corner)
    image = render_one(data, spec("cover", 100, 100, focal=focal)).convert("RGB")
    red = sum(1 for r, g, b in image.get_flattened_data() if r > 200 and g < 80)
    if red_in_crop:
        assert red > 300
    else:
        assert red == 0


def test_outputs_follow_the_order_of_the_specs():
    """render returns one output per spec, in the order given."""
    specs = [
        spec("cover", 50, 50, format="webp"),
        spec("contain", 40, None, format="jpeg"),
        spec("cover", 50, 50, format="png"),
        spec("contain", None, 20, format="avif"),
    ]
    outputs = engine.render(images.make_image("JPEG", size=(200, 100)), specs, LIMITS)
    assert [o.spec for o in outputs] == specs
    assert [(o.width, o.height) for o in outputs] == [
        (50, 50),
        (40, 20),
        (50, 50),
        (40, 20),
    ]
    assert [Image.open(io.BytesIO(o.data)).format for o in outputs] == [
        "WEBP",
        "JPEG",
        "PNG",
        "AVIF",
    ]


# -- decode once ------------------------------------------------------------


def test_render_opens_and_decodes_the_source_once(monkeypatch):
    """Many specs are built from one open and one decode of the source."""
    opened, decodes = [], []
    real_open, real_load = Image.open, ImageFile.ImageFile.load

    def open_spy(*args, **kwargs):
        opened.append(real_open(*args, **kwargs))
        return opened[-1]

    def load_spy(self):
        if self.tile:  # a load with tiles left is a real decode
            decodes.append(self)
        return real_load(self)

    real_still = opening.decode_still

    def still_spy(data, size):
        decodes.append(size)
        return real_still(data, size)

    real_png = libvips.decode_png

    def png_spy(data, size, mode):
        decodes.append(size)
        return real_png(data, size, mode)

    monkeypatch.setattr(Image, "open", open_spy)
    monkeypatch.setattr(ImageFile.ImageFile, "load", load_spy)
    monkeypatch.setattr(opening, "decode_still", still_spy)
    monkeypatch.setattr(libvips, "decode_png", png_spy)
    specs = [spec("cover", 200, 200), spec("contain", 640), spec("contain", 1000)]
    for fmt in ("JPEG", "PNG", "WEBP"):
        opened.clear()
        decodes.clear()
        engine.render(images.encode(noisy((1200, 800)), fmt), specs, LIMITS)
        assert len(opened) == 1
        assert len(decodes) == 1


def test_big_jpeg_is_decoded_in_draft_mode_for_the_largest_spec(monkeypatch):
    """A big JPEG decodes at the smallest DCT scale the largest spec allows."""
    opened = []
    real_open = Image.open
    monkeypatch.setattr(
        Image, "open", lambda *a, **k: opened.append(real_open(*a, **k)) or opened[-1]
    )
    source = noisy((4000, 3000)).resize((4000, 3000))
    data = images.encode(source, "JPEG", quality=90)
    thumb = spec("cover", 200, 200, format="png")
    output = engine.render(data, [thumb, spec("cover", 100, 100)], LIMITS)[0]
    # 200 px of a 3000 px side allows 1/8 scale: 500 x 375, still >= 200.
    assert opened[0].size == (500, 375)
    assert (output.width, output.height) == (200, 200)
    full = Image.open(io.BytesIO(data))
    reference = ImageOps.fit(full, (200, 200), Image.Resampling.LANCZOS)
    assert mean_difference(Image.open(io.BytesIO(output.data)), reference) < 3


def test_draft_size_follows_the_turned_sides(monkeypatch):
    """With orientation 6 the draft is computed on the stored, turned sides."""
    opened = []
    real_open = Image.open
    monkeypatch.setattr(
        Image, "open", lambda *a, **k: opened.append(real_open(*a, **k)) or opened[-1]
    )
    data = images.encode(noisy((1600, 800)), "JPEG", orientation=6)
    # Upright 800 x 1600; 400 px wide needs half the width: 1/2 scale, so the
    # stored 1600 x 800 decodes at 800 x 400, then turns to 400 x 800.
    output = engine.render(data, [spec("contain", 400, format="jpeg")], LIMITS)[0]
    assert opened[0].size == (400, 800)
    assert (output.width, output.height) == (400, 800)


# -- orientation ------------------------------------------------------------

TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "TIFF", "AVIF", "HEIF"])
@pytest.mark.parametrize("orientation", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
def test_orientation_is_applied_exactly_once(fmt, orientation):
    """Each EXIF orientation turns the image once, as the EXIF standard says.

    Orientation 0 and 9 are invalid and mean no turn. HEIF arrives turned by
    libheif, so it must not turn again.
    """
    source = images.quadrants((80, 40))
    data = images.encode(source, fmt, orientation=orientation, quality=95)
    upright = source.transpose(TURNS[orientation]) if orientation in TURNS else source
    image = render_one(data, spec("contain", 200, 200, format="png"))
    assert image.size == upright.size
    assert mean_difference(image, upright) < 6


@pytest.mark.parametrize("compression", ["tiff_lzw", "tiff_adobe_deflate", "jpeg"])
def test_compressed_tiff_is_turned_once(compression):
    """Compressed TIFFs (decoded by libtiff) are also turned exactly once."""
    source = images.quadrants((80, 40))
    data = images.encode(source, "TIFF", orientation=6, compression=compression)
    image = render_one(data, spec("contain", 200, 200))
    assert mean_difference(image, source.transpose(TURNS[6])) < 3


def test_xmp_orientation_is_honoured():
    """An XMP tiff:Orientation turns the image when there is no EXIF one."""
    xmp = b'<x:xmpmeta><rdf:Description tiff:Orientation="6"/></x:xmpmeta>'
    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp.decode())
    data = images.encode(images.quadrants((80, 40)), "PNG", pnginfo=info)
    image = render_one(data, spec("contain", 200, 200))
    assert image.size == (40, 80)


def test_exif_and_xmp_orientation_together_turn_once():
    """A JPEG saying 6 in both EXIF and XMP is turned once, not twice."""
    xmp = b'<x:xmpmeta><rdf:Description tiff:Orientation="6"/></x:xmpmeta>'
    source = images.quadrants((80, 40))
    data = images.encode(source, "JPEG", orientation=6, xmp=xmp, quality=95)
    image = render_one(data, spec("contain", 200, 200))
    assert mean_difference(image, source.transpose(TURNS[6])) < 6


def orientation_photo(n):
    """Return the bytes of Landscape_<n>.jpg from the shared test data."""
    path = ORIENTATION_DIR / f"Landscape_{n}.jpg"
    assert path.exists(), f"missing shared test data {path}; set MEDIAHUB_SHARED_DIR"
    return path.read_bytes()


@pytest.fixture(scope="module")
def upright_reference():
    """Return Landscape_1 (no turn needed) rendered at 600 px wide."""
    return render_one(orientation_photo(1), spec("contain", 600, format="jpeg"))


@pytest.mark.parametrize("n", range(9))
def test_reference_photos_all_come_out_upright(n, upright_reference):
    """Landscape_0..8 come out as the same upright 600 x 400 picture.

    After the right turn they differ from Landscape_1 by about 4 on average;
    a wrong turn differs by 74 or more.
    """
    data = orientation_photo(n)
    info = engine.inspect(data, LIMITS)
    assert (info.width, info.height) == (1800, 1200)
    image = render_one(data, spec("contain", 600, format="jpeg"))
    assert image.size == (600, 400)
    assert mean_difference(image, upright_reference) < 10


def test_reference_photo_check_catches_a_wrong_turn(upright_reference):
    """The reference comparison has teeth: a photo turned wrongly fails it."""
    image = render_one(orientation_photo(3), spec("contain", 600, format="jpeg"))
    wrong = image.transpose(Image.Transpose.ROTATE_180)
    assert mean_difference(wrong, upright_reference) > 40


# -- colour and modes -------------------------------------------------------


def colour_of(data, fmt="png"):
    """Render ``data`` and return the RGB colour at the middle of the output."""
    image = render_one(data, spec("contain", 32, format=fmt))
    assert image.mode in ("RGB", "RGBA")
    return image.convert("RGB").getpixel((image.width // 2, image.height // 2))


def test_wide_gamut_profile_is_converted_to_srgb():
    """An Adobe RGB image comes out as the same colour in sRGB."""
    profile = images.icc_profile()
    data = images.make_image("PNG", icc=profile)
    expected = ImageCms.profileToProfile(
        Image.new("RGB", (1, 1), images.RED),
        ImageCms.ImageCmsProfile(io.BytesIO(profile)),
        ImageCms.createProfile("sRGB"),
    ).getpixel((0, 0))
    actual = colour_of(data)
    assert close_to(actual, expected, 2)
    # Adobe RGB red is more saturated than sRGB red: ignoring the profile
    # would leave the colour visibly duller.
    assert actual[0] - images.RED[0] >= 20


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (images.make_image("JPEG", mode="CMYK"), images.RED),
        (images.make_image("TIFF", mode="CMYK"), images.RED),
        # An RGB profile on a CMYK image cannot apply: fall back, do not crash.
        (images.make_image("JPEG", mode="CMYK", icc=images.icc_profile()), images.RED),
        (images.make_image("JPEG", icc=b"not a profile" * 10), images.RED),
        (images.make_image("PNG", icc=images.srgb_profile()), images.RED),
        (
            images.make_image("PNG", mode="L", icc=images.icc_profile(gray=True)),
            (86,) * 3,
        ),
    ],
    ids=[
        "cmyk-jpeg",
        "cmyk-tiff",
        "cmyk-rgb-profile",
        "broken-profile",
        "srgb",
        "grey",
    ],
)
def test_colour_comes_out_right_in_srgb(data, expected):
    """CMYK, broken, sRGB and grey-profiled sources keep their colour in sRGB."""
    assert close_to(colour_of(data), expected, 8)


MODES = [
    ("PNG", "RGB", {}, "RGB", images.RED),
    ("PNG", "RGBA", {}, "RGB", images.RED),  # opaque alpha is dropped
    ("PNG", "L", {}, "RGB", (87, 87, 87)),
    ("PNG", "LA", {}, "RGB", (87, 87, 87)),
    ("PNG", "1", {}, "RGB", (255, 255, 255)),
    ("PNG", "I;16", {}, "RGB", (87, 87, 87)),
    ("TIFF", "I;16", {}, "RGB", (87, 87, 87)),
    ("TIFF", "F", {}, "RGB", (87, 87, 87)),
    ("TIFF", "1", {}, "RGB", (255, 255, 255)),
    ("PNG", "P", {}, "RGB", images.RED),
    ("PNG", "P", {"transparency": 0}, "RGBA", None),
    ("GIF", "P", {"transparency": 0}, "RGBA", None),
    ("PNG", "LA", {"color": (90, 90, 90, 0)}, "RGBA", None),
]


@pytest.mark.parametrize(("fmt", "mode", "kwargs", "out_mode", "colour"), MODES)
def test_every_source_mode_renders_as_8_bit_rgb(fmt, mode, kwargs, out_mode, colour):
    """16-bit, palette, grey, 1-bit and alpha sources all render as RGB(A)."""
    data = images.make_image(fmt, mode=mode, **kwargs)
    image = render_one(data)
    assert image.mode == out_mode
    if colour:
        assert close_to(image.getpixel((5, 5)), colour, 3)
    else:
        assert image.getpixel((5, 5))[3] == 0


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("jpeg", (0, 255, 0)), ("png", None), ("webp", None), ("avif", None)],
)
def test_alpha_is_flattened_only_for_jpeg(fmt, expected):
    """JPEG flattens transparency onto the background; other formats keep it."""
    data = images.make_image("PNG", mode="RGBA", color=(255, 0, 0, 0))
    image = render_one(data, spec(format=fmt, background="#00ff00"))
    if expected:
        assert image.mode == "RGB"
        assert close_to(image.getpixel((5, 5)), expected, 3)
    else:
        assert image.mode == "RGBA"
        assert image.getpixel((5, 5))[3] < 5


def test_half_transparent_pixels_blend_with_the_background():
    """A half-transparent red pixel over white becomes pink in a JPEG."""
    data = images.make_image("PNG", mode="RGBA", color=(255, 0, 0, 128))
    image = render_one(data, spec(format="jpeg"))
    assert close_to(image.getpixel((5, 5)), (255, 127, 127), 4)


def test_animated_sources_render_their_first_frame():
    """A still made from an animation shows its first frame."""
    for fmt in ("GIF", "PNG", "WEBP"):
        data = images.animation(fmt, [(32, 32)] * 3)
        assert close_to(render_one(data).getpixel((5, 5)), (255, 0, 0), 3)


# -- encoding ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp", "avif"])
def test_metadata_is_stripped(fmt):
    """No EXIF, GPS, XMP, comment or non-sRGB profile survives into an output."""
    data = images.encode(
        noisy((120, 80)),
        "JPEG",
        exif=images.gps_exif_bytes(),
        icc_profile=images.icc_profile(),
        xmp=b"<x:xmpmeta>secret</x:xmpmeta>",
        comment=b"secret",
    )
    assert Image.open(io.BytesIO(data)).getexif()
    image = render_one(data, spec(format=fmt, width=60))
    assert not image.getexif()
    for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile"):
        assert not image.info.get(key), key
    assert b"secret" not in engine.render(data, [spec(format=fmt)], LIMITS)[0].data


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp", "avif"])
def test_output_is_deterministic(fmt):
    """The same source and spec always give the same bytes."""
    data = images.encode(noisy((300, 200)), "PNG")
    specs = [spec("cover", 120, 90, format=fmt), spec("contain", 64, format=fmt)]
    first = engine.render(data, specs, LIMITS)
    second = engine.render(data, specs, LIMITS)
    assert [o.data for o in first] == [o.data for o in second]


@pytest.mark.parametrize(
    ("quality", "progressive", "subsampling"), [(80, True, 2), (95, True, 0)]
)
def test_jpeg_output_is_progressive_with_sensible_subsampling(
    quality, progressive, subsampling
):
    """JPEGs are progressive; chroma is halved except at near-lossless quality."""
    from PIL import JpegImagePlugin

    data = images.encode(noisy((200, 100)), "PNG")
    image = render_one(data, spec(format="jpeg", width=100, quality=quality))
    assert bool(image.info.get("progressive")) is progressive
    assert JpegImagePlugin.get_sampling(image) == subsampling


def test_quality_changes_the_output():
    """A spec's quality reaches the encoder."""
    data = images.encode(noisy((200, 100)), "PNG")
    for fmt in ("jpeg", "webp", "avif"):
        low, high = engine.render(
            data, [spec(format=fmt, quality=30), spec(format=fmt, quality=90)], LIMITS
        )
        assert len(low.data) < len(high.data)


# -- boundaries -------------------------------------------------------------


def test_engine_and_specs_import_no_django():
    """engine and specs load in a fresh interpreter without importing Django."""
    code = (
        "import sys, transcoder.imaging.engine, transcoder.imaging.specs, "
        "transcoder.imaging.decode.sniff; "
        "print(sorted(m for m in sys.modules if m.startswith('django')))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
        env=env,
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_still_webp_decodes_to_the_same_pixels_as_pillow(mode):
    """The one-buffer WebP decode gives exactly Pillow's pixels."""
    from transcoder.imaging.decode.webp import decode_still

    source = noisy((120, 80)).convert(mode)
    if mode == "RGBA":
        source.putalpha(Image.linear_gradient("L").resize((120, 80)))
    data = images.encode(source, "WEBP", quality=70)
    still = decode_still(data, (120, 80))
    assert still is not None
    expected = Image.open(io.BytesIO(data)).convert("RGBA")
    assert still.tobytes() == expected.tobytes()


def test_still_webp_decode_declines_what_it_cannot_read():
    """Damaged and animated WebP files are left to Pillow, which names the fault."""
    from transcoder.imaging.decode.webp import decode_still

    data = images.encode(noisy((64, 48)), "WEBP")
    assert decode_still(data[: len(data) // 2], (64, 48)) is None
    animated = images.animation("WEBP", sizes=[(16, 16)] * 3)
    assert decode_still(animated, (16, 16)) is None


def test_pyvips_is_a_runtime_dependency_the_pipeline_alone_imports():
    """pyvips ships (runtime.txt, so the Lambda zip); only imaging/resize/libvips
    uses it."""
    root = Path(__file__).resolve().parents[1]
    runtime = (root / "requirements" / "runtime.txt").read_text()
    assert "pyvips==" in runtime and "pyvips-binary==" in runtime
    assert "pyvips" not in (root / "requirements" / "bench.txt").read_text()
    users = {
        path.relative_to(root).as_posix()
        for package in ("transcoder", "mediahub")
        for path in (root / package).rglob("*.py")
        if "import pyvips" in path.read_text()
    }
    assert users == {"transcoder/imaging/resize/libvips.py"}
