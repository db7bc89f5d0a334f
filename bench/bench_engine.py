"""Measure the engine's decode-once pipeline against decoding once per spec.

Run with ``python -m bench.bench_engine``. It prints ratios, which travel
between machines better than seconds do.
"""

import io
import os
import statistics
import time
from pathlib import Path

from PIL import Image, ImageOps

from transcoder import engine
from transcoder.specs import Fit, build_specs

LIMITS = engine.Limits(max_bytes=200 * 1024 * 1024, max_pixels=100_000_000)
SHARED_DIR = Path(
    os.environ.get("MEDIAHUB_SHARED_DIR")
    or Path(__file__).resolve().parents[2] / "shared"
)
PHOTO = SHARED_DIR / "testdata" / "photos" / "orientation" / "Landscape_6.jpg"
# A typical preset set: thumb, card, hero and social, 10 renditions.
SPECS = [
    *build_specs(fit="cover", width=200, height=200, formats=("jpeg", "webp")),
    *build_specs(fit="cover", width=600, height=400),
    *build_specs(fit="contain", widths=[640, 1024, 1600], formats=("webp", "jpeg")),
    *build_specs(fit="cover", width=1200, height=630),
]


def median_time(function, repeat):
    """Return the median wall time of ``repeat`` calls of ``function``."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def naive_render(data, specs):
    """Decode the full image again for every spec, as a simple pipeline would."""
    outputs = []
    for spec in specs:
        image = Image.open(io.BytesIO(data))
        image = ImageOps.exif_transpose(image).convert("RGB")
        size = spec.target_size(*image.size)
        if spec.fit is Fit.COVER:
            image = ImageOps.fit(image, size, Image.Resampling.LANCZOS)
        else:
            image = image.resize(size, Image.Resampling.LANCZOS)
        # The same encoder settings, so only decoding and resizing differ.
        outputs.append(engine._encode(image, spec))
    return outputs


def generated_photo(size=(6000, 4000)):
    """Return a smooth, photo-like JPEG of ``size`` (upscaled noise)."""
    small = Image.merge(
        "RGB", [Image.effect_noise((size[0] // 20, size[1] // 20), 40) for _ in "RGB"]
    )
    buffer = io.BytesIO()
    small.resize(size, Image.Resampling.BICUBIC).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def decode(data, draft_size=None):
    """Decode a JPEG fully, or in draft mode for ``draft_size``."""
    image = Image.open(io.BytesIO(data))
    if draft_size:
        image.draft("RGB", draft_size)
    image.load()
    return image.size


def main():
    """Print the pipeline and decode ratios for a photo and a 24 MP JPEG."""
    sources = [(f"{PHOTO.name} (orientation 6)", PHOTO.read_bytes(), 5)]
    sources.append(("generated 6000x4000 JPEG", generated_photo(), 3))
    print(f"{len(SPECS)} specs per source; median of the repetitions\n")
    print(f"{'source':34} {'engine s':>9} {'naive s':>9} {'speed-up':>9}")
    for name, data, repeat in sources:
        ours = median_time(lambda d=data: engine.render(d, SPECS, LIMITS), repeat)
        naive = median_time(lambda d=data: naive_render(d, SPECS), repeat)
        print(f"{name:34} {ours:9.3f} {naive:9.3f} {naive / ours:8.1f}x")

    data = sources[1][1]
    full = median_time(lambda: decode(data), 5)
    print(
        f"\n{'decode of the 6000x4000 JPEG':34} {'size':>11} {'s':>7} {'speed-up':>9}"
    )
    print(f"{'full':34} {'6000x4000':>11} {full:7.3f} {1:8.1f}x")
    for label, target in [("draft for 1600 px (1/2)", (1600, 1067)),
                          ("draft for 600 px (1/4)", (1200, 630)),
                          ("draft for a 200 px thumb (1/8)", (200, 200))]:  # fmt: skip
        size = "x".join(map(str, decode(data, target)))
        took = median_time(lambda t=target: decode(data, t), 5)
        print(f"{label:34} {size:>11} {took:7.3f} {full / took:8.1f}x")


if __name__ == "__main__":
    main()
