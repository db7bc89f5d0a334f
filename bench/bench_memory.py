"""Peak memory of importing one 50 MP file, for each kind of file accepted.

Run with ``python -m bench.bench_memory`` (part of ``make bench``). Each file
is generated here, then imported with the starter presets by
``manage.py ingest --json FILE`` in a fresh process (upload checks, dHash and
every rendition, as on Lambda), and that process's peak RSS is read from the
kernel. The targets: at most 400 MB for a JPEG and 600 MB for any input.
Last, it times the refusal of a PNG whose header claims 10,000 megapixels
and of a JPEG scan bomb under a 1 s decode limit: the suite checks that they
are refused, the speed is measured here.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

WIDTH, HEIGHT = 8660, 5773  # 49.99 MP, just under MEDIAHUB_MAX_PIXELS
TARGETS = {"JPEG": 400, "other": 600}
BOMB_TARGET_MS = 500
SCAN_BOMB_TARGET_S = 2


def _photo_like():
    """Return a 50 MP RGB image that compresses like a photo, and a mask."""
    from PIL import Image

    size = (WIDTH // 16, HEIGHT // 16)
    small = [Image.effect_noise(size, 50 + 10 * i) for i in range(3)]
    bands = [band.resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC) for band in small]
    return Image.merge("RGB", bands), bands[0]


def files(folder: Path) -> dict[str, Path]:
    """Write one 50 MP file per accepted kind under 50 MB; return label -> path."""
    rgb, mask = _photo_like()
    rgba = rgb.copy()
    rgba.putalpha(mask)
    made = {
        "JPEG": ("big.jpg", rgb, dict(quality=90)),
        "WebP": ("big.webp", rgb, dict(quality=80, method=0)),
        "RGBA WebP": ("big_rgba.webp", rgba, dict(quality=80, method=0)),
        "RGB PNG": ("big.png", rgb.quantize(64).convert("RGB"), dict(compress_level=6)),
        "RGBA PNG": ("big_rgba.png", rgba.quantize(64).convert("RGBA"),
                     dict(compress_level=6)),
        "GIF": ("big.gif", rgb.quantize(64), {}),
    }  # fmt: skip
    paths = {}
    for label, (name, image, options) in made.items():
        path = folder / name
        image.save(path, **options)
        paths[label] = path
    return paths


def peak_mb(path: Path, var_dir: Path) -> tuple[float, int]:
    """Import ``path`` in a fresh process; return its peak RSS in MB, exit code."""
    env = dict(os.environ, MEDIAHUB_VAR_DIR=str(var_dir), DJANGO_DEBUG="1")
    manage = Path(__file__).resolve().parent.parent / "manage.py"
    proc = subprocess.Popen(
        [sys.executable, manage, "ingest", "--allow-duplicates", "--json", path],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, proc.returncode


def main():
    if sys.argv[1:2] == ["--make"]:
        for label, path in files(Path(sys.argv[2])).items():
            print(f"{label}\t{path}")
        return
    with tempfile.TemporaryDirectory(prefix="mediahub-memory-") as scratch:
        scratch = Path(scratch)
        # A child's peak RSS starts at its parent's size when it forks, so the
        # 2 GB of images are made in a process of their own.
        made = subprocess.run(
            [sys.executable, "-m", "bench.bench_memory", "--make", str(scratch)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        paths = dict(line.split("\t") for line in made.stdout.splitlines())
        var_dir = scratch / "var"
        subprocess.run(
            [sys.executable, str(Path(__file__).resolve().parent.parent / "manage.py"),
             "migrate", "-v0"],
            env=dict(os.environ, MEDIAHUB_VAR_DIR=str(var_dir), DJANGO_DEBUG="1"),
            check=True,
        )  # fmt: skip
        print(f"-- peak RSS importing one {WIDTH}x{HEIGHT} file, starter presets")
        worst = 0.0
        for label, name in paths.items():
            path = Path(name)
            peak, code = peak_mb(path, var_dir)
            target = TARGETS.get(label, TARGETS["other"])
            verdict = f"exit {code}" if code else "ok" if peak <= target else "OVER"
            print(f"   {label:10} {path.stat().st_size / 2**20:5.1f} MB file  "
                  f"{peak:5.0f} MB peak (target {target})  {verdict}")  # fmt: skip
            worst = max(worst, peak)
        print(f"   worst {worst:.0f} MB. Rerun: python -m bench.bench_memory")
    print(f"-- refusing a PNG whose header claims 100000x100000: {bomb_ms():.1f} ms "
          f"(target {BOMB_TARGET_MS} ms, nothing decoded)")  # fmt: skip
    print(f"-- stopping a JPEG scan bomb at max_seconds=1: {scan_bomb_s():.2f} s "
          f"(target {SCAN_BOMB_TARGET_S} s)")  # fmt: skip


def bomb_ms():
    """Return the median time the engine takes to refuse a header pixel bomb."""
    from bench.timing import median_ms
    from bench.workload import LIMITS
    from tests.images import png_claiming_size
    from transcoder.imaging import engine

    data = png_claiming_size(100_000, 100_000)

    def refuse():
        try:
            engine.inspect(data, LIMITS)
        except engine.TooManyPixelsError:
            return
        raise AssertionError("the header bomb was not refused")

    return median_ms(refuse)


def scan_bomb_s():
    """Return how long the engine takes to refuse a JPEG scan bomb (limit 1 s)."""
    import time

    from tests.images import jpeg_scan_bomb
    from transcoder.imaging import engine

    data = jpeg_scan_bomb()
    limits = engine.Limits(max_bytes=2**20, max_pixels=50_000_000, max_seconds=1)
    started = time.monotonic()
    try:
        engine.inspect(data, limits)
    except engine.DecodeTimeoutError:
        return time.monotonic() - started
    raise AssertionError("the scan bomb was not refused")


if __name__ == "__main__":
    main()
