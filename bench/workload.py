"""The benchmark's workload: the photos and the six renditions made of each.

``MEDIAHUB_BENCH_PHOTOS`` picks a subset for a quicker loop: comma-separated
name fragments (``umang,opal``) or a count (``4``, the first four by name).
"""

import os
from pathlib import Path

from transcoder.imaging.engine import Limits
from transcoder.imaging.specs import RenditionSpec

LIMITS = Limits(max_bytes=200 * 1024 * 1024, max_pixels=100_000_000)
SHARED_DIR = Path(
    os.environ.get("MEDIAHUB_SHARED_DIR")
    or Path(__file__).resolve().parents[2] / "shared"
)
PHOTOS_DIR = SHARED_DIR / "bench" / "photos"

# (kind, spec): the kind names a row of the bytes and PSNR table.
WORKLOAD = [
    ("160² cover JPEG", RenditionSpec("cover", 160, 160, "jpeg")),
    ("640w WebP", RenditionSpec("contain", 640, None, "webp")),
    ("1280w progressive JPEG", RenditionSpec("contain", 1280, None, "jpeg")),
    ("1920w WebP", RenditionSpec("contain", 1920, None, "webp")),
    ("1200×630 cover JPEG", RenditionSpec("cover", 1200, 630, "jpeg")),
    ("800w AVIF", RenditionSpec("contain", 800, None, "avif")),
]


def workload(avif: bool) -> list[RenditionSpec]:
    """Return the specs of the workload, with or without the AVIF rendition."""
    return [spec for _, spec in WORKLOAD if avif or spec.format != "avif"]


def photos() -> list[Path]:
    """Return the benchmark photos, or the subset ``MEDIAHUB_BENCH_PHOTOS`` asks for."""
    found = sorted(p for p in PHOTOS_DIR.iterdir() if p.is_file())
    if not found:
        raise SystemExit(f"No photos in {PHOTOS_DIR}; set MEDIAHUB_SHARED_DIR.")
    wanted = os.environ.get("MEDIAHUB_BENCH_PHOTOS", "").strip()
    if wanted.isdigit():
        return found[: int(wanted)]
    if wanted:
        parts = [w.strip() for w in wanted.split(",") if w.strip()]
        return [p for p in found if any(w in p.name for w in parts)]
    return found
