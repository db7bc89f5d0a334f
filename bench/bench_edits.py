"""What an edit recipe costs a build: the workload's renditions of each photo
as uploaded, turned, mirrored and cropped, from the same bytes in one run.

Run with ``python -m bench.bench_edits``. Each render is one thread (the same
thread budget for every recipe), the recipes interleave photo by photo with
the order rotating, and the figure is the median CPU time per render over the
rounds, as a ratio to the same photo as uploaded: a burst of load on a shared
machine slows every recipe alike.

Environment: ``MEDIAHUB_BENCH_PHOTOS`` picks a subset (see ``bench.workload``),
``MEDIAHUB_BENCH_ROUNDS`` sets the rounds (default 2).
"""

import dataclasses
import io
import os
import statistics
import time

from PIL import Image, ImageOps

from bench import workload
from transcoder.imaging import engine
from transcoder.imaging.edits import Recipe


def recipes(size):
    """Return (name, recipe) of the edits measured for an upright ``size``."""
    width, height = size
    plain = Recipe(source=size)
    return [
        ("as uploaded", plain),
        ("turned 90°", plain.rotated(1)),
        ("mirrored", plain.flipped(horizontal=True)),
        # A scan's border: 5% off each side.
        (
            "cropped 90%",
            plain.cropped(
                (width // 20, height // 20, width * 9 // 10, height * 9 // 10)
            ),
        ),
        # A detail: a quarter of the area, turned.
        (
            "quarter, turned",
            plain.cropped((width // 4, height // 4, width // 2, height // 2)).rotated(
                -1
            ),
        ),
    ]


def camera_turned(data):
    """Return JPEG ``data`` with an EXIF Orientation 6 in front: the same
    pixels, shown turned clockwise, as a phone writes a sideways photo.

    The engine then turns the decode (``exif_transpose``), the work a
    recipe's turn does, with the same outputs: the reference for "turned".
    Pillow reads the first Exif segment, so one put first wins.
    """
    exif = Image.Exif()
    exif[0x0112] = 6
    payload = b"Exif\x00\x00" + exif.tobytes()
    return (
        data[:2]
        + b"\xff\xe1"
        + (len(payload) + 2).to_bytes(2, "big")
        + payload
        + data[2:]
    )


def upright_size(data):
    with Image.open(io.BytesIO(data)) as image:
        return ImageOps.exif_transpose(image).size


def main():
    rounds = int(os.environ.get("MEDIAHUB_BENCH_ROUNDS", "2"))
    specs = workload.workload(avif=True)
    times = {}
    for path in workload.photos():
        data = path.read_bytes()
        edits = [(name, recipe, data) for name, recipe in recipes(upright_size(data))]
        if path.suffix == ".jpg":
            turned = camera_turned(data)
            edits.append(("EXIF-turned", Recipe(source=upright_size(turned)), turned))
        for turn in range(rounds):
            order = edits[turn % len(edits) :] + edits[: turn % len(edits)]
            for name, recipe, source in order:
                edited = [dataclasses.replace(s, edit=recipe.key) for s in specs]
                started = time.process_time()
                engine.render(source, edited, workload.LIMITS, threads=1)
                spent = time.process_time() - started
                times.setdefault((path.name, name), []).append(spent * 1000)
    names = list(dict.fromkeys(name for _, name in times))
    print(f"{'photo':<30}" + "".join(f"{n:>18}" for n in names))
    ratios = {n: [] for n in names}
    for path in workload.photos():
        base = statistics.median(times[(path.name, "as uploaded")])
        row = []
        for name in names:
            if (path.name, name) not in times:
                row.append("-")
                continue
            ms = statistics.median(times[(path.name, name)])
            ratios[name].append(ms / base)
            row.append(f"{ms:>9.0f} ms {ms / base:4.2f}x")
        print(f"{path.name[:30]:<30}" + "".join(f"{c:>18}" for c in row))
    print(
        f"{'median ratio':<30}"
        + "".join(f"{statistics.median(r):>17.2f}x" for r in ratios.values() if r)
    )
    # The fair figure for a turn: the same transposed decode and the same
    # outputs, once by the recipe and once by the file's own EXIF tag.
    pairs = [
        statistics.median(times[(p.name, "turned 90°")])
        / statistics.median(times[(p.name, "EXIF-turned")])
        for p in workload.photos()
        if (p.name, "EXIF-turned") in times
    ]
    if pairs:
        print(
            f"turned by the recipe / turned by EXIF (JPEGs): median "
            f"{statistics.median(pairs):.2f}x, range {min(pairs):.2f}-{max(pairs):.2f}x"
        )
    print(f"CPU ms per render of {len(specs)} renditions, 1 thread, median of "
          f"{rounds} rounds. Rerun: python -m bench.bench_edits")  # fmt: skip


if __name__ == "__main__":
    main()
