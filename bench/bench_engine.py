"""Measure the engine against pyvips chained from one decode, and plain Pillow.

Run with ``make bench`` (or ``python -m bench.bench_engine``). The machine may
be shared and noisy, so the recipes are interleaved photo by photo: for each
photo, each recipe in turn (the order rotates) renders it, in 1 process and
then in 2 processes that start each render together at a barrier. A burst of
load then slows every recipe alike, and the ratios to pyvips are the figures
to compare between machines, not seconds. Peak RSS is measured in a separate
fresh process per recipe.

The engine renders as uploads do, with the placeholder (ThumbHash and
dominant colour); a last table gives the placeholder's own milliseconds per
upload against the render's, measured on the same photos in the same run.

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
    "Rerun: make bench   (subset: MEDIAHUB_BENCH_PHOTOS=png make bench; "
    "rounds: MEDIAHUB_BENCH_ROUNDS=3)"
)


def recipe(name):
    """Return ``render(data, specs) -> list of bytes`` for a recipe."""
    if name == "engine":
        from transcoder.imaging import engine

        return lambda data, specs: [
            o.data
            for o in engine.render(data, specs, workload.LIMITS, placeholders=True)
        ]
    from bench import reference

    return {"pyvips": reference.vips_render, "naive": reference.naive_render}[name]


def timing_worker(share, steps, avif, rounds, barrier, results):
    """Render each photo with each recipe in lockstep with the other workers."""
    renders = {name: recipe(name) for name in RECIPES}
    specs = workload.workload(avif)
    blobs = [p.read_bytes() for p in share]
    for render in renders.values():
        render(blobs[0], specs[:1])  # import and load codecs outside the timing
    records = []
    for r in range(rounds):
        for i in range(steps):
            offset = (i + r) % len(RECIPES)
            for name in RECIPES[offset:] + RECIPES[:offset]:
                barrier.wait()
                started = time.monotonic()
                if i < len(blobs):
                    renders[name](blobs[i], specs)
                records.append((r, i, name, started, time.monotonic()))
    results.put(([p.name for p in share], records))


def peak_worker(name, paths, results):
    """Render every photo with one recipe; report this process's peak RSS."""
    render = recipe(name)
    for path in paths:
        render(path.read_bytes(), workload.workload(True))
    results.put(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def shares(paths, processes):
    """Split photos between processes with about equal pixels each."""
    from PIL import Image

    def pixels(path):
        with Image.open(path) as image:
            return image.size[0] * image.size[1]

    buckets, loads = [[] for _ in range(processes)], [0] * processes
    for path in sorted(paths, key=pixels, reverse=True):
        target = loads.index(min(loads))
        buckets[target].append(path)
        loads[target] += pixels(path)
    return [b for b in buckets if b]


def timed(ctx, paths, avif, processes, rounds):
    """Return {recipe: {(round, step): wall seconds}} and the photos per step."""
    groups = shares(paths, processes)
    steps = max(len(g) for g in groups)
    barrier, results = ctx.Barrier(len(groups)), ctx.Queue()
    procs = [
        ctx.Process(
            target=timing_worker, args=(g, steps, avif, rounds, barrier, results)
        )
        for g in groups
    ]
    for proc in procs:
        proc.start()
    got = [results.get() for _ in procs]
    for proc in procs:
        proc.join()
        if proc.exitcode:
            raise SystemExit(f"a benchmark worker failed ({proc.exitcode})")
    walls = {name: {} for name in RECIPES}
    for _, records in got:
        for r, i, name, start, end in records:
            first, last = walls[name].get((r, i), (start, end))
            walls[name][(r, i)] = (min(first, start), max(last, end))
    return {
        name: {key: end - start for key, (start, end) in steps_.items()}
        for name, steps_ in walls.items()
    }, [g for g in groups]


def peaks(ctx, paths):
    """Return each recipe's peak RSS in MB over all photos, in a fresh process."""
    out = {}
    for name in RECIPES:
        results = ctx.Queue()
        proc = ctx.Process(target=peak_worker, args=(name, paths, results))
        proc.start()
        out[name] = results.get() / 1024
        proc.join()
    return out


def main():
    """Print throughput ratios, single-asset times, peak RSS, bytes and PSNR."""
    paths = workload.photos()
    rounds = int(os.environ.get("MEDIAHUB_BENCH_ROUNDS", "2"))
    ctx = multiprocessing.get_context("spawn")
    print(
        f"{len(paths)} photos, {rounds} rounds, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}; renditions per photo: "
        + ", ".join(kind for kind, _ in workload.WORKLOAD)
    )
    print(RERUN, "\n")
    peak = peaks(ctx, paths)
    for avif in (True, False):
        for processes in (1, 2):
            walls, groups = timed(ctx, paths, avif, processes, rounds)
            count = len(paths) * len(workload.workload(avif))
            _print_block(avif, processes, walls, groups, count, rounds, peak)
    placeholder_table(paths)
    if os.environ.get("MEDIAHUB_BENCH_QUALITY", "1") != "0":
        print()
        quality_table(paths)
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}. {RERUN}")


def placeholder_table(paths, repeats=5):
    """Print the placeholder's ms per upload against the whole render's.

    The placeholder is made from the smallest whole-frame output (here the
    640w WebP's resize), so it is timed on that image; the render is the
    engine's, with AVIF, in one process. Medians over ``repeats`` runs.
    """
    from PIL import Image

    from transcoder.imaging import engine, placeholder

    specs = workload.workload(True)
    smallest = min((s for s in specs if s.fit == "contain"), key=lambda s: s.width or 0)
    print(f"\n-- placeholder per upload (from the {smallest.width}w resize)")
    print(f"   {'photo':32} {'render ms':>10} {'placeholder ms':>15} {'share':>7}")
    shares_ = []
    for path in paths:
        data = path.read_bytes()
        render_ms = []
        for _ in range(2):
            started = time.perf_counter()
            engine.render(data, specs, workload.LIMITS, placeholders=True)
            render_ms.append((time.perf_counter() - started) * 1000)
        with Image.open(path) as image:
            image = image.convert("RGBA" if image.has_transparency_data else "RGB")
            size = smallest.target_size(*image.size)
            small = image.resize(size, Image.Resampling.LANCZOS)
        ms = []
        for _ in range(repeats):
            started = time.perf_counter()
            placeholder.from_image(small)
            ms.append((time.perf_counter() - started) * 1000)
        render, made = statistics.median(render_ms), statistics.median(ms)
        shares_.append(made / render)
        print(
            f"   {path.name[:32]:32} {render:10.0f} {made:15.1f} {made / render:6.1%}"
        )
    print(f"   median share of the render: {statistics.median(shares_):.1%}")
    sys.stdout.flush()


def _print_block(avif, processes, walls, groups, count, rounds, peak):
    label = f"{'with' if avif else 'without'} AVIF, {processes} process(es)"
    print(f"-- {label}: {count} renditions per round")
    print(
        f"   {'recipe':8} {'rend/s':>7} {'x pyvips':>9} {'per round':>11} "
        f"{'asset time x pyvips':>20} {'peak RSS':>9}"
    )
    vips = walls["pyvips"]
    for name in RECIPES:
        mine = walls[name]
        rate = count * rounds / sum(mine.values())
        ratio = sum(vips.values()) / sum(mine.values())
        # Per-round ratios show how much the machine's noise moved the result.
        per_round = [
            sum(v for (r, _), v in vips.items() if r == k)
            / sum(v for (r, _), v in mine.items() if r == k)
            for k in range(rounds)
        ]
        spread = f"{min(per_round):.2f}-{max(per_round):.2f}"
        asset = ""
        if processes == 1:
            # One asset alone: the median over photos of the time ratio.
            asset = f"{statistics.median(mine[k] / vips[k] for k in mine):.2f}x"
        print(
            f"   {name:8} {rate:7.1f} {ratio:8.2f}x {spread:>11} {asset:>20} "
            f"{peak[name]:7.0f}MB"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
