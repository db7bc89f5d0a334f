"""Measure the engine against pyvips chained from one decode, and plain Pillow.

Run with ``make bench`` (or ``python -m bench.bench_engine``). Each phase runs
one recipe over every photo in fresh processes (1, then 2 at once), so peak
RSS is the recipe's own; phases alternate between recipes, round after round,
so a machine that gets busier mid-run slows all of them alike. Ratios to
pyvips are the figures to compare between machines, not seconds.

Environment: ``MEDIAHUB_BENCH_PHOTOS`` picks a subset (see ``bench.workload``),
``MEDIAHUB_BENCH_ROUNDS`` sets the rounds (default 2), ``MEDIAHUB_BENCH_QUALITY=0``
skips the bytes and PSNR table.
"""

import multiprocessing
import os
import resource
import statistics
import sys
import time

from bench import workload
from bench.quality import quality_table

RECIPES = ("engine", "pyvips", "naive")
RERUN = (
    "Rerun: make bench   (subset: MEDIAHUB_BENCH_PHOTOS=umang,opal make bench; "
    "rounds: MEDIAHUB_BENCH_ROUNDS=3)"
)


def recipe(name):
    """Return ``render(data, specs) -> list of bytes`` for a recipe."""
    if name == "engine":
        from transcoder import engine

        return lambda data, specs: [
            o.data for o in engine.render(data, specs, workload.LIMITS)
        ]
    from bench import reference

    return {"pyvips": reference.vips_render, "naive": reference.naive_render}[name]


def worker(name, paths, avif, barrier, results):
    """Run one recipe over ``paths`` after the barrier; report times and peak RSS."""
    render = recipe(name)
    specs = workload.workload(avif)
    blobs = [p.read_bytes() for p in paths]
    render(blobs[0], specs[:1])  # import and load codecs outside the timing
    barrier.wait()
    started = time.monotonic()
    per_asset = []
    for path, data in zip(paths, blobs, strict=True):
        t = time.monotonic()
        outputs = render(data, specs)
        per_asset.append((path.name, time.monotonic() - t))
        assert len(outputs) == len(specs)
    ended = time.monotonic()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    results.put((started, ended, per_asset, peak_kb, len(blobs) * len(specs)))


def shares(paths, processes):
    """Split photos between processes with about equal pixels each."""
    from PIL import Image

    sized = sorted(paths, key=lambda p: -Image.open(p).size[0] * Image.open(p).size[1])
    buckets = [[] for _ in range(processes)]
    loads = [0] * processes
    for path in sized:
        with Image.open(path) as image:
            pixels = image.size[0] * image.size[1]
        target = loads.index(min(loads))
        buckets[target].append(path)
        loads[target] += pixels
    return [b for b in buckets if b]


def phase(ctx, name, paths, avif, processes):
    """Run one recipe in ``processes`` fresh processes at once; return its figures."""
    groups = shares(paths, processes)
    barrier = ctx.Barrier(len(groups))
    results = ctx.Queue()
    procs = [
        ctx.Process(target=worker, args=(name, group, avif, barrier, results))
        for group in groups
    ]
    for proc in procs:
        proc.start()
    got = [results.get() for _ in procs]
    for proc in procs:
        proc.join()
        if proc.exitcode:
            raise SystemExit(f"{name} worker failed with exit code {proc.exitcode}")
    wall = max(g[1] for g in got) - min(g[0] for g in got)
    per_asset = [t for g in got for t in g[2]]
    return wall, per_asset, max(g[3] for g in got), sum(g[4] for g in got)


def main():
    """Print throughput ratios, single-asset times, peak RSS, bytes and PSNR."""
    paths = workload.photos()
    rounds = int(os.environ.get("MEDIAHUB_BENCH_ROUNDS", "2"))
    ctx = multiprocessing.get_context("spawn")
    print(
        f"{len(paths)} photos from {workload.PHOTOS_DIR}, {rounds} rounds, "
        f"{os.cpu_count()} CPUs; renditions per photo: "
        + ", ".join(kind for kind, _ in workload.WORKLOAD)
    )
    print(RERUN, "\n")
    table = []
    for avif in (True, False):
        for processes in (1, 2):
            walls = {name: [] for name in RECIPES}
            assets = {name: {} for name in RECIPES}
            peaks = {name: 0 for name in RECIPES}
            count = 0
            for r in range(rounds):
                order = RECIPES if r % 2 == 0 else RECIPES[::-1]
                for name in order:
                    wall, per_asset, peak, count = phase(
                        ctx, name, paths, avif, processes
                    )
                    walls[name].append(wall)
                    for photo, took in per_asset:
                        assets[name].setdefault(photo, []).append(took)
                    peaks[name] = max(peaks[name], peak)
            table.append((avif, processes, walls, assets, peaks, count))
            _print_block(avif, processes, walls, assets, peaks, count)
    if os.environ.get("MEDIAHUB_BENCH_QUALITY", "1") != "0":
        print()
        quality_table(paths)
    print("\n" + RERUN)


def _print_block(avif, processes, walls, assets, peaks, count):
    label = f"{'with' if avif else 'without'} AVIF, {processes} process(es)"
    vips = sum(walls["pyvips"])
    print(f"-- {label}: {count} renditions per round")
    print(
        f"   {'recipe':8} {'rend/s':>7} {'x pyvips':>9} {'spread':>13} "
        f"{'asset x pyvips':>15} {'peak RSS':>9}"
    )
    for name in RECIPES:
        rate = count * len(walls[name]) / sum(walls[name])
        ratio = vips / sum(walls[name])
        # Per round ratios show how noisy the machine was during the run.
        per_round = [v / w for v, w in zip(walls["pyvips"], walls[name], strict=True)]
        spread = f"{min(per_round):.2f}-{max(per_round):.2f}"
        # One asset at a time: the median over photos of the time ratio.
        asset = statistics.median(
            statistics.median(times) / statistics.median(assets["pyvips"][photo])
            for photo, times in assets[name].items()
        )
        print(
            f"   {name:8} {rate:7.1f} {ratio:8.2f}x {spread:>13} "
            f"{asset:14.2f}x {peaks[name] / 1024:7.0f}MB"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
