"""Auto-quality against today's fixed quality: bytes, SSIMULACRA2 and CPU.

Run with ``python -m bench.bench_quality`` (part of ``make bench``). Each
photo is rendered twice as an upload is (the workload's six renditions, with
the placeholder, the engine's own threads): once at the workload's fixed
quality (80) and once with the perceptual target (``MEDIAHUB_BENCH_TARGET``,
default autoquality.DEFAULT_TARGET). The two renders alternate, three times each
(fixed, auto, auto, fixed, fixed, auto), and the lowest CPU time (user +
system, all threads) of each is kept: with two each, the ratio moved by up
to 0.12 between runs of the same code on 2 shared cores.

Each rendition is scored with SSIMULACRA2 against a LANCZOS resize of the
full decode (bench.perceptual). The issue's targets, on photos held out of
the metric's calibration (marked *): total bytes at least 25% lower; no
rendition more than 2 points below the lower of its fixed-quality score and
the target; CPU per upload at most 1.5x the fixed-quality figure.

Environment: ``MEDIAHUB_BENCH_PHOTOS`` picks a subset (bench.workload);
``MEDIAHUB_BENCH_DETAIL=1`` also prints each photo's renditions.
"""

import dataclasses
import io
import os
import statistics
import sys
import time

from PIL import Image

from bench import perceptual, workload
from transcoder.imaging import engine
from transcoder.imaging.encoding import avif
from transcoder.imaging.quality import autoquality, ssimulacra
from transcoder.imaging.specs import RenditionSpec

RERUN = "Rerun: python -m bench.bench_quality   (MEDIAHUB_BENCH_TARGET=70 to vary)"


def _cpu(render):
    """Return (result, CPU seconds of this process, all threads) of ``render()``."""
    started = time.process_time()
    result = render()
    return result, time.process_time() - started


def measure(path, target):
    """Return one photo's figures: per kind (bytes, score, quality) and CPU."""
    data = path.read_bytes()
    fixed_specs = workload.workload(avif=True)
    auto_specs = [dataclasses.replace(s, target=target) for s in fixed_specs]

    def render(specs):
        return engine.render(data, specs, workload.LIMITS, placeholders=True)

    cpu = {"fixed": [], "auto": []}
    outputs = {}
    for name in ("fixed", "auto", "auto", "fixed", "fixed", "auto"):
        outputs[name], seconds = _cpu(
            lambda n=name: render(fixed_specs if n == "fixed" else auto_specs)
        )
        cpu[name].append(seconds)
    full = perceptual.upright(data)
    kinds = {}
    for (kind, spec), fixed, auto in zip(
        workload.WORKLOAD, outputs["fixed"], outputs["auto"], strict=True
    ):
        ref = perceptual.reference(full, spec)
        kinds[kind] = {
            "fixed": (len(fixed.data), perceptual.ssimulacra2(ref, fixed.data)),
            "auto": (len(auto.data), perceptual.ssimulacra2(ref, auto.data)),
            "quality": auto.quality,
            "estimate": auto.score,
        }
    return kinds, {name: min(values) for name, values in cpu.items()}


def margin(row, target):
    """Return the auto score minus the lower of the fixed score and the target."""
    return row["auto"][1] - min(row["fixed"][1], target)


def main():
    """Print per-photo and per-kind tables, held-out photos apart."""
    target = int(os.environ.get("MEDIAHUB_BENCH_TARGET") or autoquality.DEFAULT_TARGET)
    paths = workload.photos()
    print(
        f"{len(paths)} photos (* held out of the calibration), target {target}, "
        f"fixed quality 80, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}\n{RERUN}\n"
    )
    results = {}
    print(
        f"   {'photo':34} {'fixed KB':>9} {'auto KB':>8} {'bytes':>7} "
        f"{'CPU fixed':>9} {'auto':>6} {'x':>6} {'worst margin':>12}"
    )
    for path in paths:
        kinds, cpu = measure(path, target)
        results[path] = (kinds, cpu)
        fixed = sum(k["fixed"][0] for k in kinds.values())
        auto = sum(k["auto"][0] for k in kinds.values())
        worst = min(margin(k, target) for k in kinds.values())
        mark = "*" if perceptual.held_out(path) else " "
        print(
            f" {mark} {path.name[:34]:34} {fixed / 1024:9.0f} {auto / 1024:8.0f} "
            f"{auto / fixed - 1:+7.1%} {cpu['fixed'] * 1000:7.0f}ms "
            f"{cpu['auto'] * 1000:4.0f}ms {cpu['auto'] / cpu['fixed']:5.2f}x "
            f"{worst:+12.1f}"
        )
        if os.environ.get("MEDIAHUB_BENCH_DETAIL"):
            _detail(kinds, target)
        sys.stdout.flush()
    for label, held in (("held-out photos", True), ("calibration photos", False)):
        chosen = {p: r for p, r in results.items() if perceptual.held_out(p) == held}
        if chosen:
            _kind_table(label, chosen, target)
    vector_state()
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}. {RERUN}")


def vector_state(repeats=5):
    """Print the score's cost on a thread that has just encoded an AVIF.

    An AVIF encode leaves its thread slow at the SSE code that runs on it
    after (encoding.avif.settle, which says why): here one
    Reference and score of a 640w photo, after a fresh JPEG encode, after
    libavif's encode alone, and after it with ``settle``, as the engine does.
    """
    (out,) = engine.render(
        (workload.PHOTOS_DIR / "volna_progressive.jpg").read_bytes(),
        [RenditionSpec("contain", 640, 400, "png")],
        workload.LIMITS,
    )
    image = Image.open(io.BytesIO(out.data)).convert("RGB")

    def score_after(before):
        seconds = []
        for _ in range(repeats):
            before()
            started = time.thread_time()
            ssimulacra.Reference(image).score(image)
            seconds.append(time.thread_time() - started)
        return min(seconds) * 1000

    fresh = score_after(lambda: image.save(io.BytesIO(), "JPEG"))
    dirty = score_after(lambda: avif.encode(image, 60, 8, max_threads=1))
    settled = score_after(
        lambda: (avif.encode(image, 60, 8, max_threads=1), avif.settle())
    )
    print(
        f"\n-- the score of a 640w photo on a thread that has just encoded an AVIF"
        f" (thread CPU, best of {repeats})\n   after a JPEG encode {fresh:.0f} ms; "
        f"after an AVIF encode {dirty:.0f} ms ({dirty / fresh:.1f}x); "
        f"the same with avif.settle {settled:.0f} ms ({settled / fresh:.1f}x)"
    )


def _detail(kinds, target):
    """Print one photo's renditions: bytes and score, fixed and auto."""
    for kind, row in kinds.items():
        print(
            f"     {kind:24} {row['fixed'][0] / 1024:7.0f} KB {row['fixed'][1]:5.1f}"
            f" -> q{row['quality']:<3} {row['auto'][0] / 1024:7.0f} KB "
            f"{row['auto'][1]:5.1f} (estimate {row['estimate']:5.1f}, margin "
            f"{margin(row, target):+.1f})"
        )


def _kind_table(label, results, target):
    print(f"\n-- {label}: per rendition kind (bytes summed, SSIMULACRA2 mean)")
    print(
        f"   {'kind':24} {'fixed KB':>9} {'auto KB':>8} {'bytes':>7} "
        f"{'fixed':>6} {'auto':>6} {'worst':>6} {'quality':>8} {'est. err':>8}"
    )
    kinds = [kind for kind, _ in workload.WORKLOAD]
    total = {"fixed": 0, "auto": 0}
    for kind in kinds:
        rows = [r[0][kind] for r in results.values()]
        fixed = sum(r["fixed"][0] for r in rows)
        auto = sum(r["auto"][0] for r in rows)
        total["fixed"] += fixed
        total["auto"] += auto
        qualities = [r["quality"] for r in rows]
        errors = [r["estimate"] - r["auto"][1] for r in rows]
        print(
            f"   {kind:24} {fixed / 1024:9.0f} {auto / 1024:8.0f} "
            f"{auto / fixed - 1:+7.1%} "
            f"{statistics.mean(r['fixed'][1] for r in rows):6.1f} "
            f"{statistics.mean(r['auto'][1] for r in rows):6.1f} "
            f"{min(margin(r, target) for r in rows):+6.1f} "
            f"{min(qualities):>3}-{max(qualities):<4} "
            f"{statistics.mean(errors):+8.1f}"
        )
    cpu_fixed = sum(r[1]["fixed"] for r in results.values())
    cpu_auto = sum(r[1]["auto"] for r in results.values())
    print(
        f"   total bytes {total['auto'] / total['fixed'] - 1:+.1%} (target ≤ -25%); "
        f"CPU per upload {cpu_auto / cpu_fixed:.2f}x fixed (target ≤ 1.5x), "
        f"{cpu_fixed / len(results) * 1000:.0f} ms fixed, "
        f"{cpu_auto / len(results) * 1000:.0f} ms auto"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
