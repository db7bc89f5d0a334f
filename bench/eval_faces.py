"""What a face detector would add: OpenCV's size and its time per upload.

A one-off evaluation, not part of ``make bench``: the detector is not a
dependency. Install OpenCV outside the project first, then point at it::

    pip install --no-deps --target /tmp/cv4 'opencv-python-headless<5'
    python -m bench.eval_faces /tmp/cv4

It reports the installed size (unpacked, and deflated as in the zip), the
import time in a fresh process (a Lambda cold start pays it), and the time of
``detectMultiScale`` with OpenCV's Haar frontal-face cascade (OpenCV 4: the 5.x
wheels have no cascade detector any more) on the same reduced decode
an upload makes for its hash (JPEG at 1/8 scale), for the portraits of
``bench/focal_marks.json``: whether it finds the marked face, and in how long.
numpy comes from the dev environment; its size is counted separately.
"""

import json
import subprocess
import sys
import time
import zlib
from pathlib import Path

from bench.bench_focal import MARKS, photo_bytes
from transcoder.imaging.analysis import perceptual


def _size(paths):
    raw = packed = 0
    for root in paths:
        for path in Path(root).rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                raw += len(data)
                packed += len(zlib.compress(data, 6))
    return raw, packed


def main():
    target = Path(sys.argv[1])
    sys.path.insert(0, str(target))
    import numpy

    cv_paths = [p for p in target.iterdir() if p.name.startswith(("cv2", "opencv"))]
    raw, packed = _size(cv_paths)
    print(f"opencv-python-headless: {raw / 2**20:.1f} MiB unpacked, "
          f"{packed / 2**20:.1f} MiB deflated")  # fmt: skip
    np_root = Path(numpy.__file__).parent
    raw, packed = _size([np_root, np_root.parent / "numpy.libs"])
    print(f"numpy: {raw / 2**20:.1f} MiB unpacked, {packed / 2**20:.1f} MiB deflated")
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(target)!r}); "
         "import cv2"],
        check=True,
    )  # fmt: skip
    print(
        f"fresh process + import cv2: {(time.perf_counter() - started) * 1000:.0f} ms"
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    print(f"fresh process alone: {(time.perf_counter() - started) * 1000:.0f} ms")

    import cv2

    if not hasattr(cv2, "CascadeClassifier"):
        raise SystemExit(
            f"OpenCV {cv2.__version__} has no cascade detector (OpenCV 5 moved "
            "them out; its FaceDetectorYN needs a model the wheel does not "
            "ship). Install opencv-python-headless<5."
        )
    haar = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"
    print(f"cascade: {haar.name}, {haar.stat().st_size / 1024:.0f} KiB")
    cascade = cv2.CascadeClassifier(str(haar))
    marks = json.loads(MARKS.read_text())
    for photo in marks["photos"]:
        if photo["kind"] != "portrait":
            continue
        data = photo_bytes(photo, marks["sources"])
        _, grey = perceptual.dhash_and_look(data, lambda im: im.convert("L"))
        grey = numpy.asarray(grey)
        times, faces = [], []
        for _ in range(7):
            started = time.perf_counter()
            faces = cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=4)
            times.append(time.perf_counter() - started)
        times.sort()
        h, w = grey.shape
        box = photo["box"]
        hits = [
            (x / w, y / h, (x + fw) / w, (y + fh) / h)
            for x, y, fw, fh in (faces if len(faces) else [])
        ]
        inside = [
            f
            for f in hits
            if box[0] - 0.02 <= (f[0] + f[2]) / 2 <= box[2] + 0.02
            and box[1] - 0.02 <= (f[1] + f[3]) / 2 <= box[3] + 0.02
        ]
        print(
            f"{photo['name']}: {w}x{h} decode, {len(hits)} faces, "
            f"{len(inside)} in the marked head, median "
            f"{times[len(times) // 2] * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
