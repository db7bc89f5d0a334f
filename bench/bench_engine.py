"""Measure the engine against pyvips cascaded the engine's way, on the same threads.

Run with ``make bench`` (or ``python -m bench.bench_engine``).

The reference is ``bench.reference.vips_cascaded``: one shrink-on-load decode,
then ``cascade.plan``'s steps, each output resized from the nearest larger
whole-frame output with the engine's 1.5 rule, same encoder settings. Both
recipes get the same thread budget: the engine's ``default_threads()`` (the
CPU quota) for the engine's pool, and as libvips' ``VIPS_CONCURRENCY``.

The headline figures, each engine ÷ pyvips so above 1 means the engine is
better, for all photos and for the PNG sources alone:

- renditions per CPU-second: renditions over the process CPU time the renders
  took (every thread's, and any child's), in 1 process;
- throughput in 2 processes: both processes render the same photo, started
  together at a barrier, so the machine is saturated; renditions over the
  wall time until both have finished;
- one asset's speed (1 process, the median over photos of pyvips' wall time
  over the engine's): the latency an editor sees, beside the two above.

Each block also prints the cores each recipe kept busy in 2 processes (CPU
over wall time): on a machine others load too, a recipe with more runnable
threads gets a larger share, which moves the wall-clock figures but not the
CPU ones.

The old reference, pyvips resizing every spec from the full decode (no
cascade), is kept as a second, labelled line. The machine may be shared and
noisy, so the recipes are interleaved photo by photo, the order rotating: a
burst of load slows every recipe alike, and the ratios are the figures to
compare between machines, not seconds. The per-round range shows how far
the noise moved each ratio. Peak RSS is measured in a fresh process per
recipe.

The engine renders as uploads do, with the placeholder (ThumbHash and
dominant colour); a last table gives the placeholder's own milliseconds per
upload against the render's, measured on the same photos in the same run.

Environment: ``MEDIAHUB_BENCH_PHOTOS`` picks a subset (see ``bench.workload``),
``MEDIAHUB_BENCH_ROUNDS`` sets the rounds (default 2),
``MEDIAHUB_BENCH_THREADS`` overrides the thread budget of both recipes,
``MEDIAHUB_BENCH_NAIVE=1`` also times plain Pillow, ``MEDIAHUB_BENCH_AVIF=1``
runs only the workload with AVIF, ``MEDIAHUB_BENCH_QUALITY=0`` skips the bytes
and PSNR table and ``MEDIAHUB_BENCH_PEAK=0`` the peak RSS.
"""

import multiprocessing
import os
import resource
import statistics
import sys
import time

from bench import workload
from bench.quality import quality_table

LABELS = {
    "engine": "engine",
    "pyvips": "pyvips, cascaded (the reference)",
    "direct": "pyvips, not cascaded (old reference)",
    "naive": "plain Pillow, not cascaded",
}
RERUN = (
    "Rerun: make bench   (subset: MEDIAHUB_BENCH_PHOTOS=png make bench; "
    "rounds: MEDIAHUB_BENCH_ROUNDS=3)"
)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def recipes() -> tuple[str, ...]:
    """Return the recipes to time: the engine, the two pyvips, maybe Pillow."""
    names = ("engine", "pyvips", "direct")
    if os.environ.get("MEDIAHUB_BENCH_NAIVE", "0") == "1":
        names += ("naive",)
    return names


def threads() -> int:
    """Return the thread budget both recipes get: the engine's own default."""
    if wanted := os.environ.get("MEDIAHUB_BENCH_THREADS"):
        return int(wanted)
    from transcoder.imaging import engine

    return engine.default_threads()


def recipe(name, budget):
    """Return ``render(data, specs) -> list of bytes`` for a recipe."""
    if name == "engine":
        from transcoder.imaging import engine

        return lambda data, specs: [
            o.data
            for o in engine.render(
                data, specs, workload.LIMITS, threads=budget, placeholders=True
            )
        ]
    from bench import reference

    reference.set_threads(budget)
    return {
        "pyvips": reference.vips_cascaded,
        "direct": reference.vips_direct,
        "naive": reference.naive_render,
    }[name]


def cpu_seconds() -> float:
    """Return this process's CPU time so far: every thread's, and children's."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timing_worker(names, paths, avif, rounds, budget, barrier, results):
    """Render every photo with each recipe in lockstep with the other workers."""
    renders = {name: recipe(name, budget) for name in names}
    specs = workload.workload(avif)
    blobs = [p.read_bytes() for p in paths]
    for render in renders.values():
        render(blobs[0], specs[:1])  # import and load codecs outside the timing
    records = []
    for r in range(rounds):
        for i, blob in enumerate(blobs):
            offset = (i + r) % len(names)
            for name in names[offset:] + names[:offset]:
                barrier.wait()
                started, cpu = time.monotonic(), cpu_seconds()
                renders[name](blob, specs)
                ended = time.monotonic()
                records.append((r, i, name, started, ended, cpu_seconds() - cpu))
    results.put(records)


def peak_worker(name, paths, budget, results):
    """Render every photo with one recipe; report this process's peak RSS."""
    render = recipe(name, budget)
    for path in paths:
        render(path.read_bytes(), workload.workload(True))
    results.put(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def timed(ctx, names, paths, avif, processes, rounds, budget):
    """Return {recipe: {(round, photo): (wall seconds, CPU seconds)}}.

    Every process renders every photo; a photo's wall time runs from the
    first start to the last end, its CPU time sums the processes'.
    """
    barrier, results = ctx.Barrier(processes), ctx.Queue()
    procs = [
        ctx.Process(
            target=timing_worker,
            args=(names, paths, avif, rounds, budget, barrier, results),
        )
        for _ in range(processes)
    ]
    for proc in procs:
        proc.start()
    got = [results.get() for _ in procs]
    for proc in procs:
        proc.join()
        if proc.exitcode:
            raise SystemExit(f"a benchmark worker failed ({proc.exitcode})")
    spans = {name: {} for name in names}
    for records in got:
        for r, i, name, start, end, cpu in records:
            first, last, total = spans[name].get((r, i), (start, end, 0.0))
            spans[name][(r, i)] = (min(first, start), max(last, end), total + cpu)
    return {
        name: {key: (end - start, cpu) for key, (start, end, cpu) in by_step.items()}
        for name, by_step in spans.items()
    }


def peaks(ctx, names, paths, budget):
    """Return each recipe's peak RSS in MB over all photos, in a fresh process."""
    out = {}
    for name in names:
        results = ctx.Queue()
        proc = ctx.Process(target=peak_worker, args=(name, paths, budget, results))
        proc.start()
        out[name] = results.get() / 1024
        proc.join()
    return out


def is_png(path) -> bool:
    """Tell a PNG source by its magic bytes."""
    with open(path, "rb") as file:
        return file.read(8) == PNG_MAGIC


def ratio(runs, name, keys, column, rounds):
    """Return (overall, per-round min, max) of pyvips' total ÷ ``name``'s.

    ``column`` 0 compares wall times (throughput), 1 CPU times (renditions per
    CPU-second): the same renditions either way, so the ratio of totals is
    the ratio of rates.
    """

    def total(recipe_, round_=None):
        return sum(
            runs[recipe_][(r, i)][column]
            for r in range(rounds)
            for i in keys
            if round_ is None or r == round_
        )

    overall = total("pyvips") / total(name)
    per_round = [total("pyvips", r) / total(name, r) for r in range(rounds)]
    return overall, min(per_round), max(per_round)


def asset_speed(runs, name, keys, rounds):
    """Return the median over photos of pyvips' wall time ÷ ``name``'s, 1 process."""
    return statistics.median(
        runs["pyvips"][(r, i)][0] / runs[name][(r, i)][0]
        for r in range(rounds)
        for i in keys
    )


def main():
    """Print the headline ratios, the blocks behind them, bytes and PSNR."""
    paths = workload.photos()
    rounds = int(os.environ.get("MEDIAHUB_BENCH_ROUNDS", "2"))
    names, budget = recipes(), threads()
    ctx = multiprocessing.get_context("spawn")
    print(
        f"{len(paths)} photos, {rounds} rounds, {os.cpu_count()} CPUs, "
        f"{budget} threads for each recipe, load average "
        f"{os.getloadavg()[0]:.1f}; renditions per photo: "
        + ", ".join(kind for kind, _ in workload.WORKLOAD)
    )
    print(RERUN, "\n")
    sys.stdout.flush()
    peak = None
    if os.environ.get("MEDIAHUB_BENCH_PEAK", "1") != "0":
        peak = peaks(ctx, names, paths, budget)
    pngs = [i for i, p in enumerate(paths) if is_png(p)]
    groups = {"all sources": list(range(len(paths)))}
    if pngs:
        groups[f"PNG sources ({len(pngs)})"] = pngs
    headline = []
    only_avif = os.environ.get("MEDIAHUB_BENCH_AVIF", "0") == "1"
    for avif in (True,) if only_avif else (True, False):
        runs = {
            processes: timed(ctx, names, paths, avif, processes, rounds, budget)
            for processes in (1, 2)
        }
        count = len(workload.workload(avif))
        label = f"{'with' if avif else 'without'} AVIF"
        _print_block(label, names, runs, groups, count, rounds, peak)
        headline.append((label, runs))
    _print_headline(headline, names, groups, rounds, budget)
    placeholder_table(paths)
    if os.environ.get("MEDIAHUB_BENCH_QUALITY", "1") != "0":
        print()
        quality_table(paths)
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}. {RERUN}")


def _fmt(figure):
    overall, low, high = figure
    return f"{overall:.2f}× ({low:.2f}–{high:.2f})"


def _print_block(label, names, runs, groups, count, rounds, peak):
    """Print rates and ratios per recipe for one workload, 1 and 2 processes."""
    print(f"-- {label}: {count} renditions per photo; ratios engine ÷ pyvips")
    head = (
        f"   {'recipe':38} {'rend/CPU-s':>10} {'× pyvips (rounds)':>18} "
        f"{'2-proc rend/s':>13} {'× pyvips (rounds)':>18} {'asset speed':>11} "
        f"{'cores used':>10}"
    )
    if peak:
        head += f" {'peak RSS':>9}"
    for group, keys in groups.items():
        print(f"   {group}")
        print(head)
        for name in names:
            one, two = runs[1][name], runs[2][name]
            cpu = sum(one[(r, i)][1] for r in range(rounds) for i in keys)
            wall = sum(two[(r, i)][0] for r in range(rounds) for i in keys)
            per_cpu = count * len(keys) * rounds / cpu
            per_wall = 2 * count * len(keys) * rounds / wall
            # CPU over wall in 2 processes: the share of the machine a recipe
            # got; on a loaded machine, more runnable threads get more.
            cores = sum(two[(r, i)][1] for r in range(rounds) for i in keys) / wall
            row = (
                f"   {LABELS[name]:38} {per_cpu:10.1f} "
                f"{_fmt(ratio(runs[1], name, keys, 1, rounds)):>18} "
                f"{per_wall:13.1f} {_fmt(ratio(runs[2], name, keys, 0, rounds)):>18} "
                f"{asset_speed(runs[1], name, keys, rounds):10.2f}× "
                f"{cores:10.2f}"
            )
            if peak:
                row += f" {peak[name]:7.0f}MB"
            print(row)
    sys.stdout.flush()


def _print_headline(headline, names, groups, rounds, budget):
    """Print the headline: engine ÷ cascaded pyvips, then the old reference."""
    print(
        f"\n== headline: engine ÷ pyvips cascaded, both on {budget} threads "
        "(above 1: the engine is better; range over rounds)"
    )
    print(f"   {'figure':52} " + " ".join(f"{g:>24}" for g in groups))
    for label, runs in headline:
        rows = [
            ("renditions per CPU-second, 1 process", 1, 1),
            ("renditions per CPU-second, 2 processes", 2, 1),
            ("throughput, 2 processes (machine saturated)", 2, 0),
        ]
        for title, processes, column in rows:
            cells = " ".join(
                f"{_fmt(ratio(runs[processes], 'engine', k, column, rounds)):>24}"
                for k in groups.values()
            )
            print(f"   {label + ', ' + title:52} {cells}")
        cells = " ".join(
            f"{asset_speed(runs[1], 'engine', k, rounds):23.2f}×"
            for k in groups.values()
        )
        print(f"   {label + ', one asset alone (speed, median)':52} {cells}")
    if "direct" in names:
        print("   second line, the old reference (pyvips NOT cascaded):")
        for label, runs in headline:
            for title, processes, column in (
                ("renditions per CPU-second, 1 process", 1, 1),
                ("throughput, 2 processes", 2, 0),
            ):
                cells = []
                for keys in groups.values():
                    direct = sum(
                        runs[processes]["direct"][(r, i)][column]
                        for r in range(rounds)
                        for i in keys
                    )
                    mine = sum(
                        runs[processes]["engine"][(r, i)][column]
                        for r in range(rounds)
                        for i in keys
                    )
                    cells.append(f"{direct / mine:23.2f}×")
                print(f"   {label + ', ' + title:52} {' '.join(cells)}")
    sys.stdout.flush()


def placeholder_table(paths, repeats=5):
    """Print the placeholder's ms per upload against the whole render's.

    The placeholder is made from the smallest whole-frame output (here the
    640w WebP's resize), so it is timed on that image; the render is the
    engine's, with AVIF, in one process. Medians over ``repeats`` runs.
    """
    from PIL import Image

    from transcoder.imaging import engine
    from transcoder.imaging.analysis import placeholder

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


if __name__ == "__main__":
    main()
