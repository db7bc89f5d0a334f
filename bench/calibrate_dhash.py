"""Calibrate the near-duplicate threshold of imaging.analysis.perceptual on real photos.

For each photo, hash copies that are resized, recompressed and lightly cropped,
and print the largest distance to the original; then the smallest distance
between different photos. Run: ``python bench/calibrate_dhash.py PHOTO_DIR``.
"""

import io
import itertools
import pathlib
import sys

from PIL import Image, ImageOps

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from transcoder.imaging.analysis import perceptual  # noqa: E402


def _jpeg(image, quality):
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def variants(image):
    """Yield ``(name, bytes)`` of edited copies of an upright image."""
    w, h = image.size
    for scale in (0.5, 0.25):
        small = image.resize((max(1, int(w * scale)), max(1, int(h * scale))))
        yield f"resize {scale}", _jpeg(small, 85)
    for quality in (60, 30):
        yield f"jpeg q{quality}", _jpeg(image, quality)
    for crop in (0.02, 0.05):
        dx, dy = int(w * crop), int(h * crop)
        yield f"crop {crop:.0%}", _jpeg(image.crop((dx, dy, w - dx, h - dy)), 85)
    dx, dy = int(w * 0.05), int(h * 0.05)
    yield "crop 5% one side", _jpeg(image.crop((dx, dy, w, h)), 85)


def main(folder):
    hashes = {}
    worst = {}
    for path in sorted(pathlib.Path(folder).iterdir()):
        data = path.read_bytes()
        base = perceptual.dhash_bytes(data)
        hashes[path.name] = base
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image).convert("RGBA")
            flat = Image.new("RGBA", image.size, "white")
            flat.alpha_composite(image)
            for name, copy in variants(flat):
                d = perceptual.distance(base, perceptual.dhash_bytes(copy))
                worst[name] = max(worst.get(name, 0), d)
                print(f"{path.name:32} {name:18} {d:3}")
    print("\nlargest distance per edit:", worst)
    pairs = [
        (perceptual.distance(hashes[a], hashes[b]), a, b)
        for a, b in itertools.combinations(sorted(hashes), 2)
    ]
    pairs.sort()
    print("closest different photos:", pairs[:3])
    print("threshold:", perceptual.THRESHOLD)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "photos")
