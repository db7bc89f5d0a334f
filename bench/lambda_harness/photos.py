"""N distinct upload files from a handful of real photos.

Each file is a different crop (60-100 % of each side, at a seeded place) of
one of the photos, scaled to a seeded size and re-encoded as JPEG at a seeded
quality. Every file therefore has its own bytes and content hash, so the
duplicate check keeps each one, and its pixels are still a real photo's.
"""

import hashlib
import io
import random
from pathlib import Path

from PIL import Image, ImageOps

SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff"}


def sources(folder, max_side):
    """Return the photos of ``folder``: decoded, upright, RGB, at most twice
    ``max_side``."""
    images = []
    for path in sorted(Path(folder).iterdir()):
        if path.suffix.lower() not in SUFFIXES:
            continue
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image)
            image.thumbnail((2 * max_side, 2 * max_side))
            images.append((path.stem, image.convert("RGB")))
    if not images:
        raise SystemExit(f"No photos in {folder}.")
    return images


def variants(folder, count, *, max_side=1200, seed=19):
    """Yield ``count`` (name, JPEG bytes) pairs, every one with its own content."""
    rng = random.Random(seed)
    images = sources(folder, max_side)
    seen = set()
    made = 0
    while made < count:
        stem, image = images[made % len(images)]
        width, height = image.size
        cw = int(width * rng.uniform(0.6, 1.0))
        ch = int(height * rng.uniform(0.6, 1.0))
        left = rng.randint(0, width - cw)
        top = rng.randint(0, height - ch)
        crop = image.crop((left, top, left + cw, top + ch))
        side = int(max_side * rng.uniform(0.5, 1.0))
        crop.thumbnail((side, side))
        out = io.BytesIO()
        crop.save(out, "JPEG", quality=rng.randint(80, 92))
        data = out.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        made += 1
        yield f"{stem}-{made:05d}.jpg", data
