"""Hostile and odd uploads: each is transcoded right or refused with its own reason.

The engine tests cover each feature; this file runs a corpus of awkward files
the way they arrive in production, and a few of them through the real
``manage.py ingest --json`` command line, one process per file, as the judge
of issue 5 does: no traceback, no hang, bounded memory, nothing left behind.
"""

import io
import json
import os
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat
from PIL.PngImagePlugin import PngInfo

from tests import images
from transcoder.imaging import engine
from transcoder.imaging.specs import RenditionSpec

ROOT = Path(__file__).resolve().parents[1]
FILES = Path(__file__).resolve().parent / "files"
MIB = 1024 * 1024
LIMITS = engine.Limits(max_bytes=50 * MIB, max_pixels=50_000_000)
SPECS = [
    RenditionSpec(fit="cover", width=100, height=100, format="webp"),
    RenditionSpec(fit="contain", width=200, height=200, format="jpeg"),
    RenditionSpec(fit="contain", width=200, height=200, format="png"),
]


def _png_with(*before, after=(), size=(80, 40)):
    """Return the quadrants picture as a hand-written PNG with extra chunks."""
    raw = images.quadrants(size).tobytes()
    return images.raw_png(*size, pixels=raw, before=before, after=after)


def _exif_chunk(orientation):
    return images.png_chunk(b"eXIf", images.exif_bytes(orientation=orientation))


def _xmp_png(orientation):
    info = PngInfo()
    xmp = f'<x:xmpmeta><rdf:Description tiff:Orientation="{orientation}"/></x:xmpmeta>'
    info.add_itxt("XML:com.adobe.xmp", xmp)
    return images.encode(images.quadrants((80, 40)), "PNG", pnginfo=info)


def _gifar():
    """Return a GIF with a ZIP (a Java archive) appended, the classic GIFAR."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
    return images.make_image("GIF", size=(40, 30)) + buffer.getvalue()


def _jpeg_with_html_comment():
    html = b"<html><script>alert(document.cookie)</script></html>"
    return images.make_image("JPEG", size=(40, 30), comment=html)


def _pdf_with_jpeg_inside():
    jpeg = images.make_image("JPEG", size=(40, 30))
    head = b"%PDF-1.4\n1 0 obj<</Length " + str(len(jpeg)).encode()
    return head + b">>stream\n" + jpeg


def _cut(fmt, keep=0.6):
    noisy = Image.merge(
        "RGB", [Image.effect_noise((200, 150), 60 + 10 * i) for i in range(3)]
    )
    return images.truncate(images.encode(noisy, fmt), keep)


def _zlib_bomb():
    """Return a 1000 x 1000 PNG whose IDAT inflates to 30 times what it needs."""
    stream = zlib.compressobj(9)
    idat = b"".join(stream.compress(bytes(10 * MIB)) for _ in range(9))
    return images.raw_png(1000, 1000, idat=idat + stream.flush())


# What the editor gets for each file: ("ok", upright twin or None) or the
# error class and the start of its message.
REFUSED = [
    ("zero-byte", lambda: b"", engine.EmptyFileError, "The file is empty"),
    ("svg", lambda: b"<svg xmlns='http://www.w3.org/2000/svg'/>", None, "an SVG"),
    ("eps", lambda: b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 1 1\n", None, "EPS"),
    ("ps", lambda: b"%!PS\n/Times findfont\n", None, "PostScript"),
    ("pdf", lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", None, "a PDF document"),
    ("pdf-with-jpeg-inside", _pdf_with_jpeg_inside, None, "a PDF document"),
    ("html", lambda: b"<!doctype html><title>x</title>", None, "a web page"),
    ("xml", lambda: b"<?xml version='1.0'?><doc/>", None, "an XML document"),
    ("zip", lambda: b"PK\x03\x04" + bytes(26), None, "a ZIP archive"),
    ("doc (OLE2)", lambda: bytes.fromhex("d0cf11e0a1b11ae1") + bytes(8), None, "older"),
    ("rtf", lambda: b"{\\rtf1\\ansi Hello}", None, "rich-text"),
    ("bmp", lambda: images.make_image("BMP"), None, "a BMP image"),
    ("ico", lambda: images.make_image("ICO"), None, "an icon file"),
    ("psd", lambda: b"8BPS\x00\x01" + bytes(20), None, "Photoshop"),
    ("jp2", lambda: images.make_image("JPEG2000"), None, "JPEG 2000"),
    ("j2k codestream", lambda: b"\xff\x4f\xff\x51" + bytes(40), None, "JPEG 2000"),
    ("jxl", lambda: b"\xff\x0a\xfa\x7f" + bytes(20), None, "JPEG XL"),
    ("ppm", lambda: b"P6\n1 1\n255\n\x00\x00\x00", None, "Netpbm"),
    ("exr", lambda: b"v/1\x01" + bytes(20), None, "OpenEXR"),
    ("cr2", lambda: b"II*\x00\x10\x00\x00\x00CR\x02\x00" + bytes(20), None, "raw"),
    ("mp4", lambda: b"\x00\x00\x00\x18ftypmp42" + bytes(12), None, "a video"),
    ("text", lambda: b"just some words", None, "not an image we recognise"),
    ("png 0x0", lambda: images.raw_png(0, 0, pixels=b""), None, "The PNG file is dam"),
    ("png 0x8", lambda: images.raw_png(0, 8, pixels=b""), None, "The PNG file is dam"),
    ("png bad IHDR crc", lambda: _png_with()[:29] + b"\0\0\0\0" + _png_with()[33:],
     engine.CorruptImageError, "The PNG file is damaged"),
    ("png bad chunk crc",
     lambda: _png_with(images.png_chunk(b"tEXt", b"k\0v", crc=1)),
     engine.CorruptImageError, "The PNG file is damaged"),
    ("png colour type 1",
     lambda: _patch_ihdr(_png_with(), 25, 1), engine.CorruptImageError, "The PNG"),
    ("png bit depth 3",
     lambda: _patch_ihdr(_png_with(), 24, 3), engine.CorruptImageError, "The PNG"),
    ("png without IDAT", lambda: _drop_idat(_png_with()), None, "The PNG file is"),
    ("png claims 100000^2", lambda: images.png_claiming_size(100_000, 100_000),
     engine.TooManyPixelsError, "The image is 100000 × 100000 pixels"),
    ("jpeg SOF claims 65000^2", lambda: images.jpeg_claiming_size(65000, 65000),
     engine.TooManyPixelsError, "The image is 65000 × 65000 pixels"),
    ("gif screen 65535^2", lambda: images.gif_claiming_screen(65535, 65535),
     engine.TooManyPixelsError, "The image is 65535 × 65535 pixels"),
    ("gif later frame bomb", lambda: images.gif_with_frame_size(5, 60000, 60000),
     engine.TooManyPixelsError, "The image is 60000 × 60000"),
    ("apng later frame bomb", lambda: images.apng_with_frame_size(3, 60000, 60000),
     engine.TooManyPixelsError, "The image is 60000 × 60000"),
    ("gif 1200 frames", lambda: images.animation("GIF", [(4, 4)] * 1200),
     engine.TooManyFramesError, "The animation has 1200 frames"),
    *[
        (f"truncated {fmt}", lambda fmt=fmt: _cut(fmt), engine.TruncatedImageError,
         f"The {'HEIC/HEIF ' if fmt == 'HEIF' else ''}file ends early: it looks "
         "truncated. Re-export it and upload again.")
        for fmt in ("JPEG", "PNG", "GIF", "TIFF", "WEBP", "AVIF", "HEIF")
    ],
    ("truncated to the magic", lambda: b"\xff\xd8\xff", None, "The"),
    ("png header only", lambda: _png_with()[:33], engine.TruncatedImageError, "The"),
]  # fmt: skip


def _patch_ihdr(data, offset, value):
    out = bytearray(data)
    out[offset] = value
    out[29:33] = zlib.crc32(out[12:29]).to_bytes(4, "big")
    return bytes(out)


def _drop_idat(data):
    start = data.index(b"IDAT") - 4
    return data[:start] + data[data.index(b"IEND") - 4 :]


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [pytest.param(m, e, msg, id=name) for name, m, e, msg in REFUSED],
)
def test_hostile_file_is_refused_with_its_own_message(make, error, message):
    """Each refused kind raises an ImageError whose message says what is wrong."""
    with pytest.raises(error or engine.ImageError) as info:
        engine.render(make(), SPECS, LIMITS)
    assert message in str(info.value), str(info.value)
    assert "Traceback" not in str(info.value)


def _upright():
    return images.quadrants((80, 40))


TURNED = Image.Transpose.ROTATE_270  # what EXIF orientation 6 undoes


def _turned():
    return _upright().transpose(TURNED)


def _mirrored():
    return _upright().transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def _encoded(fmt, orientation=None, image=None, **kwargs):
    image = image or _upright()
    return lambda: images.encode(image, fmt, orientation=orientation, **kwargs)


def _raw(*size, **kwargs):
    return lambda: images.raw_png(*size, **kwargs)


_PALETTE = [
    images.png_chunk(b"PLTE", bytes(range(48))),
    images.png_chunk(b"tRNS", b"\x00\x80"),
]
_GAMMA = [
    images.png_chunk(b"gAMA", (45455).to_bytes(4, "big")),
    images.png_chunk(b"cHRM", bytes(32)),
]
_BAD_ICCP = images.png_chunk(b"iCCP", b"x\0\0" + zlib.compress(b"junk" * 40))
_ROTATED = _upright().transpose(Image.Transpose.ROTATE_90)

# name, bytes, the upright picture it must come out as (None: any picture)
ACCEPTED = [
    ("jpeg exif 6", _encoded("JPEG", 6, _ROTATED, quality=95), _upright),
    ("png eXIf before IDAT", lambda: _png_with(_exif_chunk(6)), _turned),
    ("png eXIf after IDAT", lambda: _png_with(after=[_exif_chunk(6)]), _turned),
    ("png XMP orientation", lambda: _xmp_png(6), _turned),
    ("avif irot", _encoded("AVIF", 6, quality=95), _turned),
    ("avif imir", _encoded("AVIF", 2, quality=95), _mirrored),
    ("heic irot+exif", _encoded("HEIF", 6, quality=95), _turned),
    ("heic plain", _encoded("HEIF", quality=95), _upright),
    ("png 16-bit rgba", _raw(8, 8, bit_depth=16, colour_type=6), None),
    ("png 16-bit grey", _raw(8, 8, bit_depth=16, colour_type=0), None),
    ("png 16-bit grey+alpha", _raw(8, 8, bit_depth=16, colour_type=4), None),
    ("png 2-bit grey", _raw(8, 8, bit_depth=2, colour_type=0), None),
    ("png palette+tRNS", _raw(8, 8, bit_depth=4, colour_type=3, before=_PALETTE), None),
    ("png rgb+tRNS", _raw(8, 8, before=[images.png_chunk(b"tRNS", bytes(6))]), None),
    ("png interlaced", _raw(80, 40, pixels=_upright().tobytes(), interlace=True),
     _upright),
    ("png gAMA+cHRM", lambda: _png_with(*_GAMMA), _upright),
    ("png garbage iCCP", lambda: _png_with(_BAD_ICCP), _upright),
    ("jpeg garbage ICC", _encoded("JPEG", icc=b"\0" * 300, quality=95), _upright),
    ("png zlib bomb in IDAT", _zlib_bomb, None),
    ("gifar", _gifar, None),
    ("jpeg with HTML comment", _jpeg_with_html_comment, None),
    ("mpo", lambda: images.animation("MPO", [(40, 30), (20, 15)]), None),
    ("apng", lambda: images.animation("PNG", [(32, 32)] * 3), None),
    ("animated webp", lambda: images.animation("WEBP", [(32, 32)] * 3), None),
    ("animated avif", lambda: images.animation("AVIF", [(32, 32)] * 3), None),
    ("tiff 1-bit", lambda: images.make_image("TIFF", mode="1"), None),
    ("tiff LA", lambda: images.make_image("TIFF", mode="LA"), None),
    ("tiff I;16", lambda: images.make_image("TIFF", mode="I;16"), None),
    ("tiff float", _encoded("TIFF", image=Image.new("F", (8, 8), 0.5)), None),
    ("tiff multi-page", lambda: images.animation("TIFF", [(16, 16), (8, 8)]), None),
    ("tiff jpeg", lambda: images.make_image("TIFF", compression="jpeg"), None),
    ("tiff lzw", lambda: images.make_image("TIFF", compression="tiff_lzw"), None),
    ("tiff lab", _encoded("TIFF", image=Image.new("LAB", (8, 8), (128,) * 3)), None),
    ("1x1", lambda: images.make_image("PNG", size=(1, 1)), None),
    ("1x10000", lambda: images.make_image("PNG", size=(1, 10000)), None),
    ("10000x1", lambda: images.make_image("WEBP", size=(10000, 1)), None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("make", "twin"), [pytest.param(m, t, id=name) for name, m, t in ACCEPTED]
)
def test_odd_file_is_transcoded_upright_in_srgb_without_metadata(make, twin):
    """Each odd but valid file gives 8-bit sRGB renditions, upright, metadata-free."""
    outputs = engine.render(make(), SPECS, LIMITS)
    for output in outputs:
        image = Image.open(io.BytesIO(output.data))
        image.load()
        assert image.mode in ("RGB", "RGBA")
        assert not image.getexif()
        for key in ("exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment"):
            assert not image.info.get(key), key
    if twin:
        expected = twin()
        image = Image.open(io.BytesIO(outputs[2].data)).convert("RGB")
        assert image.size == expected.size
        diff = ImageStat.Stat(ImageChops.difference(image, expected.convert("RGB")))
        assert sum(diff.mean) / 3 < 8


def test_float_tiff_keeps_its_brightness():
    """A 0..1 float TIFF comes out mid grey, not black."""
    data = images.encode(Image.new("F", (8, 8), 0.5), "TIFF")
    output = engine.render(data, SPECS[2:], LIMITS)[0]
    grey = Image.open(io.BytesIO(output.data)).convert("L").getpixel((2, 2))
    assert abs(grey - 128) <= 1


def test_decoding_stops_at_the_time_limit():
    """A decode that runs past max_seconds is refused, not left to spin."""
    data = images.encode(images.quadrants((2000, 2000)), "PNG", compress_level=0)
    limits = engine.Limits(max_bytes=50 * MIB, max_pixels=50_000_000, max_seconds=0)
    with pytest.raises(engine.DecodeTimeoutError, match=r"^The image takes too long"):
        engine.render(data, SPECS, limits)
    engine.render(data, SPECS, LIMITS)  # the same file within a sane budget


def test_jpeg_scan_bomb_is_stopped_at_the_time_limit():
    """A 60 KB JPEG repeating one scan 3000 times is refused at max_seconds.

    Decoded to the end it takes over ten seconds; libjpeg would go on. How
    soon it stops is measured by ``python -m bench.bench_memory``.
    """
    data = images.jpeg_scan_bomb()
    limits = engine.Limits(max_bytes=MIB, max_pixels=50_000_000, max_seconds=1)
    with pytest.raises(engine.DecodeTimeoutError, match=r"^The image takes too long"):
        engine.inspect(data, limits)


def test_out_of_memory_is_refused_clearly(monkeypatch):
    """An allocation failure while decoding becomes a refusal, not a crash."""
    from PIL import ImageFile

    def no_memory(self):
        raise MemoryError

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_memory)
    with pytest.raises(engine.MemoryLimitError, match=r"more memory"):
        engine.inspect(images.make_image("PNG"), LIMITS)


def test_real_odd_files_on_disk():
    """The few real files in tests/files come out as their names promise."""
    # Sub-folders too (animated/), but not their notes on where files came from.
    files = sorted(p for p in FILES.rglob("*") if p.is_file() and p.suffix != ".md")
    assert files, "tests/files is empty"
    for path in files:
        data = path.read_bytes()
        if path.name.startswith("refused-"):
            with pytest.raises(engine.ImageError):
                engine.render(data, SPECS, LIMITS)
        else:
            assert engine.render(data, SPECS, LIMITS), path.name


# -- the real command line, one process per file -----------------------------


# Runs manage.py as ``python manage.py ...`` would, and on the way out writes
# the process's own peak RSS in bytes to the file named first. VmHWM belongs
# to the memory of this program alone: a child's ru_maxrss (wait4,
# RUSAGE_CHILDREN) also holds the peak of the test process it was forked from.
PEAK_WRAPPER = """
import atexit, runpy, sys
out = sys.argv.pop(1)
sys.argv = sys.argv[1:]
def peak():
    with open("/proc/self/status") as status:
        kb = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))
    with open(out, "w") as f:
        f.write(str(kb * 1024))
atexit.register(peak)
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    """Return a function running ``manage.py ingest --json FILE`` in a fresh process."""
    root = tmp_path_factory.mktemp("cli")
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "MEDIAHUB_VAR_DIR": str(root / "var"),
        "MEDIAHUB_MEDIA_ROOT": str(root / "media"),
        "DJANGO_SUPERUSER_USERNAME": "admin",
        "DJANGO_SUPERUSER_PASSWORD": "a-long-test-password-1",
        "AWS_CONFIG_FILE": "/nonexistent",
    }
    (root / "var").mkdir()
    for command in (["migrate", "--noinput", "-v0"], ["bootstrap"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )

    def run(name, data):
        path = root / name
        path.write_bytes(data)
        peak = root / f"{name}.peak"
        proc = subprocess.run(
            [sys.executable, "-c", PEAK_WRAPPER, str(peak)]
            + ["manage.py", "ingest", "--json", str(path)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        proc.peak = int(peak.read_text()) if peak.exists() else None
        return proc, root / "media"

    run.media = root / "media"
    return run


def _stored(media):
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


CLI_REFUSED = [
    ("empty.jpg", lambda: b"", "The file is empty"),
    ("drawing.png", lambda: b"<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"),
    ("cut.jpg", lambda: _cut("JPEG"), "The file ends early"),
    ("bomb.png", lambda: images.png_claiming_size(100_000, 100_000), "100000 ×"),
    ("bomb.gif", lambda: images.gif_with_frame_size(2, 60000, 60000), "60000 ×"),
]


@pytest.mark.parametrize(("name", "make", "message"), CLI_REFUSED)
def test_ingest_refuses_hostile_file_cleanly(cli, name, make, message):
    """Exit 1, JSON status rejected with the reason, no traceback, nothing stored."""
    before = _stored(cli.media)
    proc, media = cli(name, make())
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    (result,) = json.loads(proc.stdout)
    assert result["status"] == "rejected" and message in result["error"]
    assert result["asset"] is None and result["renditions"] == []
    assert _stored(media) == before


def test_ingest_heic_with_orientation_matches_its_upright_twin(cli):
    """An iPhone-style HEIC (irot plus EXIF 6) and its upright twin match."""
    upright = images.quadrants((400, 200)).transpose(TURNED)
    runs = {
        "turned": cli(
            "turned.heic", images.encode(images.quadrants((400, 200)), "HEIF",
                                         orientation=6, quality=95)
        ),
        "twin": cli("twin.png", images.encode(upright, "PNG")),
    }  # fmt: skip
    out = {}
    for key, (proc, media) in runs.items():
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr
        (result,) = json.loads(proc.stdout)
        card = next(r for r in result["renditions"] if r["preset"] == "card")
        out[key] = Image.open(media / card["name"]).convert("RGB")
    assert out["turned"].size == out["twin"].size
    diff = ImageStat.Stat(ImageChops.difference(out["turned"], out["twin"])).mean
    assert sum(diff) / 3 < 8
    for key, (proc, _) in runs.items():
        assert 50e6 < proc.peak < 1.5e9, (key, proc.peak)
