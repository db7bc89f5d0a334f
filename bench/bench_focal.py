"""How often the crops of the starter presets keep a hand-marked subject.

Run with ``python -m bench.bench_focal`` (``make bench-focal``). For each photo
in ``bench/focal_marks.json`` and each cover shape of the starter presets it
places the crop three ways and asks whether the crop holds the whole marked
subject (to within 0.5% of the frame):

- **centre**: no focal point, what every crop did before;
- **suggested**: centred on mediahub's suggestion (imaging.analysis.saliency), made from
  the same reduced decode an upload makes (imaging.analysis.perceptual.dhash_and_look);
- **libvips attention**: pyvips' ``smartcrop(interesting="attention")`` point
  (pyvips ships with the app for its resizes; only the benchmark calls
  smartcrop), placed the same way.

Then it times the cost per upload on one thread: the decode an upload already
made for its perceptual hash, with and without the suggestion, on a 12 MP
JPEG (a real photo, the 14.7 MP safelanding.jpg scaled to 4000 x 3000) and on
the 14.7 MP PNG, and the suggestion alone on its proxy.

Photos from wheels (scikit-image, matplotlib, scikit-learn) are downloaded
once with pip into var/bench-focal/ and read from the wheel; nothing is
installed. Shared photos come from MEDIAHUB_SHARED_DIR (default ../shared).
"""

import io
import json
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from PIL import Image

from bench.workload import SHARED_DIR
from transcoder.imaging.analysis import focal, perceptual, saliency
from transcoder.starter_presets import STARTER_PRESETS

ROOT = Path(__file__).resolve().parents[1]
MARKS = ROOT / "bench" / "focal_marks.json"
CACHE = ROOT / "var" / "bench-focal"
SLACK = 0.005


def _wheel(package, version):
    """Return the path of a downloaded wheel, fetching it once with pip."""
    CACHE.mkdir(parents=True, exist_ok=True)
    found = sorted(CACHE.glob(f"{package.replace('-', '_')}-{version}-*.whl"))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", f"{package}=={version}",
             "--no-deps", "--only-binary=:all:", "-q", "-d", str(CACHE)],
            check=True,
        )  # fmt: skip
        found = sorted(CACHE.glob(f"{package.replace('-', '_')}-{version}-*.whl"))
    return found[0]


def photo_bytes(photo, sources):
    """Return the encoded bytes of one marked photo."""
    source = sources[photo["source"]]
    if "package" in source:
        with zipfile.ZipFile(_wheel(source["package"], source["version"])) as z:
            return z.read(photo["path"])
    return (SHARED_DIR / photo["path"]).read_bytes()


def shapes():
    """Return (slug, (width, height)) of the starter presets' cover crops."""
    return [
        (p["slug"], (p["width"], p["height"]))
        for p in STARTER_PRESETS
        if p["fit"] == "cover"
    ]


def _upright_size(data):
    with Image.open(io.BytesIO(data)) as image:
        size = image.size
        if image.getexif().get(0x0112, 1) in (5, 6, 7, 8):
            size = size[::-1]
    return size


def _attention_point(data, shape):
    """Return libvips' attention point as fractions, or None without pyvips."""
    try:
        import pyvips
    except ImportError:
        return None
    # The engine blocks libvips' loaders; this reference decodes with them.
    pyvips.operation_block_set("VipsForeignLoad", False)
    image = pyvips.Image.new_from_buffer(data, "").autorot()
    width, height = image.width, image.height
    crop_w = min(width, round(height * shape[0] / shape[1]))
    crop_h = min(height, round(width * shape[1] / shape[0]))
    _, opts = image.smartcrop(
        crop_w, crop_h, interesting="attention", attention_x=True, attention_y=True
    )
    return (opts["attention_x"] / width, opts["attention_y"] / height)


def _kept(box, subject):
    return (
        box[0] <= subject[0] + SLACK
        and box[1] <= subject[1] + SLACK
        and box[2] >= subject[2] - SLACK
        and box[3] >= subject[3] - SLACK
    )


def _fits(size, shape, subject):
    width, height = size
    crop_w = min(width, height * shape[0] / shape[1]) / width
    crop_h = min(height, width * shape[1] / shape[0]) / height
    return (
        subject[2] - subject[0] <= crop_w + SLACK
        and subject[3] - subject[1] <= crop_h + SLACK
    )


def _crop(size, shape, point):
    left, top, right, bottom = focal.crop_box(shape, *size, focal=point)
    width, height = size
    return (left / width, top / height, right / width, bottom / height)


def accuracy(marks):
    """Return per-photo rows and the per-shape summary."""
    rows = []
    for photo in marks["photos"]:
        data = photo_bytes(photo, marks["sources"])
        size = _upright_size(data)
        _, found = perceptual.dhash_and_look(data, saliency.suggest)
        row = {"photo": photo, "size": size, "suggestion": found, "shapes": {}}
        # No suggestion (nothing stands out): crops keep the centre.
        point = (found.x, found.y) if found else None
        for slug, shape in shapes():
            attention = _attention_point(data, shape)
            row["shapes"][slug] = {
                "fits": _fits(size, shape, photo["box"]),
                "centre": _kept(_crop(size, shape, None), photo["box"]),
                "suggested": _kept(_crop(size, shape, point), photo["box"]),
                "attention": None
                if attention is None
                else _kept(_crop(size, shape, attention), photo["box"]),
            }
        rows.append(row)
    return rows


def _median_ms(function, repeat):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def cost(repeat=7):
    """Return [(what, ms)] of the upload-time cost on one thread.

    The suggestion's cost is timed inside the upload's own decode (the image
    ``dhash_and_look`` hands over), so the figure is the work it adds, not
    the difference of two noisy totals; the decode and hash are timed in the
    same run for scale.
    """
    with Image.open(SHARED_DIR / "bench" / "photos" / "safelanding.jpg") as image:
        twelve = image.convert("RGB").resize((4000, 3000), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    twelve.save(buffer, "JPEG", quality=90)
    jpeg = buffer.getvalue()
    png = (SHARED_DIR / "bench" / "photos" / "icecold_rgba.png").read_bytes()
    out = []
    for label, data in (("12 MP JPEG (4000×3000)", jpeg), ("14.7 MP RGBA PNG", png)):
        before = _median_ms(lambda d=data: perceptual.dhash_bytes(d), repeat)
        looks, sizes = [], []

        def look(image, looks=looks, sizes=sizes):
            sizes.append(image.size)
            started = time.perf_counter()
            found = saliency.suggest(image)
            looks.append(time.perf_counter() - started)
            return found

        for _ in range(repeat):
            perceptual.dhash_and_look(data, look)
        added = statistics.median(looks) * 1000
        out.append((f"{label}: decode + hash, as before", before))
        out.append(
            (
                f"{label}: the suggestion, on the {sizes[0][0]}×{sizes[0][1]} "
                "image that decode gives",
                added,
            )
        )
    return out


def zip_cost():
    """Return (bytes, compressed bytes) that the suggestion adds to the zip."""
    import zlib

    files = [
        ROOT / "transcoder" / "imaging" / "analysis" / "saliency.py",
        ROOT / "transcoder" / "services" / "assets" / "focal_suggestions.py",
    ]
    raw = sum(p.stat().st_size for p in files)
    packed = sum(len(zlib.compress(p.read_bytes(), 9)) for p in files)
    return raw, packed


def _mark(value):
    return "✓" if value else "✗"


def main():
    marks = json.loads(MARKS.read_text())
    rows = accuracy(marks)
    attention_known = all(
        s["attention"] is not None for r in rows for s in r["shapes"].values()
    )
    print(f"{len(rows)} photos with hand-marked subjects (bench/focal_marks.json)\n")
    header = "| preset (shape) | can fit | centre keeps | suggestion keeps |"
    rule = "|---|---|---|---|"
    if attention_known:
        header += " libvips attention keeps |"
        rule += "---|"
    print(header)
    print(rule)
    totals = [0, 0, 0, 0]
    for slug, shape in shapes():
        fit = [r["shapes"][slug] for r in rows if r["shapes"][slug]["fits"]]
        counts = [
            len(fit),
            sum(s["centre"] for s in fit),
            sum(s["suggested"] for s in fit),
            sum(bool(s["attention"]) for s in fit),
        ]
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        line = (
            f"| {slug} ({shape[0]}×{shape[1]}) | {counts[0]} of {len(rows)} | "
            f"{counts[1]} | {counts[2]} |"
        )
        if attention_known:
            line += f" {counts[3]} |"
        print(line)
    line = f"| all shapes | {totals[0]} | {totals[1]} | {totals[2]} |"
    if attention_known:
        line += f" {totals[3]} |"
    print(line)
    print("\nPer photo (✓ kept whole, ✗ cut, · cannot fit; centre/suggested"
          + ("/attention" if attention_known else "") + "):\n")  # fmt: skip
    slugs = [slug for slug, _ in shapes()]
    print("| photo | kind | suggestion (x, y, w, h) | " + " | ".join(slugs) + " |")
    print("|---|---|---|" + "---|" * len(slugs))
    for r in rows:
        s = r["suggestion"]
        cells = []
        for slug in slugs:
            c = r["shapes"][slug]
            if not c["fits"]:
                cells.append("·")
                continue
            marks_ = [_mark(c["centre"]), _mark(c["suggested"])]
            if attention_known:
                marks_.append(_mark(c["attention"]))
            cells.append("/".join(marks_))
        shown = f"{s.x:.2f}, {s.y:.2f}, {s.width:.2f}, {s.height:.2f}" if s else "none"
        print(
            f"| {r['photo']['name']} | {r['photo']['kind']} | {shown} | "
            + " | ".join(cells)
            + " |"
        )
    print("\nCost per upload (median, one thread):\n")
    print("| what | ms |")
    print("|---|---|")
    for what, ms in cost():
        print(f"| {what} | {ms:.1f} |")
    raw, packed = zip_cost()
    print(
        f"\nZip: saliency.py + focal_suggestions.py, {raw / 1024:.1f} KiB of "
        f"Python ({packed / 1024:.1f} KiB compressed); no new dependency."
    )


if __name__ == "__main__":
    main()
