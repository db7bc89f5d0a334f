"""What the auto-quality benchmark and its calibration share: the held-out
photos, the reference resizes and SSIMULACRA2.

SSIMULACRA2 comes from the ``ssimulacra2`` package (numpy and scipy;
requirements/bench.txt), never from the app. Every rendition is scored
against a LANCZOS resize of the full-size, upright, sRGB decode with the same
crop box, both laid on white where transparent (as bench/quality.py does).
"""

import io

from PIL import Image, ImageOps

from bench import workload
from transcoder.imaging import engine
from transcoder.imaging.decode.colour import flatten as flat  # as the runtime scores
from transcoder.imaging.decode.colour import to_srgb
from transcoder.imaging.specs import RenditionSpec

# Every third photo by name is held out of the calibration: its figures show
# how the fitted metric does on photos it never saw.
HELD_OUT_EVERY = 3


def held_out(path) -> bool:
    """Tell whether a benchmark photo is held out of the calibration."""
    names = sorted(p.name for p in workload.PHOTOS_DIR.iterdir() if p.is_file())
    return names.index(path.name) % HELD_OUT_EVERY == HELD_OUT_EVERY - 1


def upright(data: bytes) -> Image.Image:
    """Return the full-size, upright, sRGB decode of a photo."""
    return to_srgb(ImageOps.exif_transpose(Image.open(io.BytesIO(data))))


def reference(full: Image.Image, spec: RenditionSpec) -> Image.Image:
    """Return ``spec``'s LANCZOS resize of ``full`` (premultiplied when RGBA)."""
    target = spec.target_size(*full.size)
    box = engine.crop_box(spec, target, *full.size)
    source = full.convert("RGBa") if full.mode == "RGBA" else full
    out = source.resize(target, Image.Resampling.LANCZOS, box=box)
    return out.convert("RGBA") if out.mode == "RGBa" else out


def _ppm(image: Image.Image) -> io.BytesIO:
    buffer = io.BytesIO()
    flat(image).save(buffer, "PPM")
    buffer.seek(0)
    return buffer


def ssimulacra2(ref: Image.Image, encoded: bytes) -> float:
    """Return the SSIMULACRA2 score of ``encoded`` against ``ref``."""
    from ssimulacra2 import compute_ssimulacra2

    with Image.open(io.BytesIO(encoded)) as decoded:
        decoded.load()
        dist = _ppm(decoded)
    return float(compute_ssimulacra2(_ppm(ref), dist))
