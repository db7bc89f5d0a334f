"""Where the CPU goes: the engine's steps beside cascaded pyvips', one thread.

Run with ``python -m bench.profile_steps [photo name fragments]`` (default:
every benchmark photo). Each photo is rendered step by step the way
``engine.render`` and ``reference.vips_cascaded`` do it, on one thread each
(``VIPS_CONCURRENCY=1``), and the process CPU time of each step is printed in
ms: open and decode (with the colour conversion; plain PNGs through libspng
as the engine does), then per output its resize (libvips in both)
and its encode. pyvips' resize is forced into memory before its encode so the
two can be told apart; together they cost what the streamed pipeline does
to within a few percent. Best of ``MEDIAHUB_PROFILE_REPEAT`` runs (default 3).
"""

import math
import os
import sys
import time

from bench import reference, workload
from transcoder.imaging import engine
from transcoder.imaging.decode import opening
from transcoder.imaging.resize import cascade, memory

cpu = time.process_time


def engine_steps(data, specs):
    """Return {step: CPU seconds} for the engine's decode, resizes and encodes."""
    took = {}
    started = cpu()
    with opening.opened(data, workload.LIMITS) as source:
        size = source.size
        image = opening.decode(source, specs)
    took["open, decode, sRGB"] = cpu() - started
    started = cpu()
    steps = cascade.plan(specs, size, image.size)
    if image.mode == "RGBA":
        image = image.convert("RGBa")
    took["premultiply"] = cpu() - started
    made = {}
    for position, step in enumerate(steps):
        source = image if step.parent < 0 else made[step.parent]
        started = cpu()
        made[position] = out = cascade.resize(source, step.size, step.box)
        took[_name("resize", step)] = cpu() - started
        started = cpu()
        engine._finish(out, step)
        took[_name("encode", step)] = cpu() - started
    return took


def vips_steps(data, specs):
    """Return {step: CPU seconds} for the same work done by libvips."""
    pyvips = reference._vips()
    took = {}
    started = cpu()
    probe = pyvips.Image.new_from_buffer(data, "")
    upright = (probe.width, probe.height)  # the benchmark photos are upright
    if probe.get("vips-loader").startswith("jpegload"):
        scale = max(reference._scale_needed(s, *upright) for s in specs)
        need = (math.ceil(upright[0] * scale), math.ceil(upright[1] * scale))
        shrink = reference._draft_shrink(upright, need) if scale < 1 else 1
        image = pyvips.Image.jpegload_buffer(data, shrink=shrink, access="sequential")
    else:
        image = pyvips.Image.new_from_buffer(data, "", access="sequential")
    image = reference._to_srgb(image).copy_memory()
    took["open, decode, sRGB"] = cpu() - started
    started = cpu()
    alpha = image.hasalpha()
    if alpha and image.extract_band(image.bands - 1).min() == 255:
        image, alpha = image.extract_band(0, n=image.bands - 1).copy_memory(), False
    if alpha:
        image = image.premultiply().cast("uchar").copy_memory()
    took["premultiply"] = cpu() - started
    steps = cascade.plan(specs, upright, (image.width, image.height))
    made = {}
    for position, step in enumerate(steps):
        source = image if step.parent < 0 else made[step.parent]
        started = cpu()
        out = reference._vips_resize(source, step.box, step.size).copy_memory()
        made[position] = out
        took[_name("resize", step)] = cpu() - started
        started = cpu()
        if alpha:
            out = out.unpremultiply().cast("uchar")
        reference._vips_encode(out, step.spec)
        took[_name("encode", step)] = cpu() - started
    return took


def _name(what, step):
    return f"{what} {step.size[0]}x{step.size[1]} {step.spec.format}"


def best(function, data, specs, repeat):
    """Return the per-step minimum over ``repeat`` runs (after one warm-up)."""
    function(data, specs)
    runs = [function(data, specs) for _ in range(repeat)]
    return {key: min(run[key] for run in runs) for key in runs[0]}


def main():
    """Print the per-step CPU table for each photo asked for."""
    reference.set_threads(1)  # libvips' one thread count, the engine's resizes too
    memory.use_returnable_memory(workload.LIMITS)  # as render: images in one block
    wanted = sys.argv[1:]
    paths = [
        p for p in workload.photos() if not wanted or any(w in p.name for w in wanted)
    ]
    repeat = int(os.environ.get("MEDIAHUB_PROFILE_REPEAT", "3"))
    specs = workload.workload(True)
    load = os.getloadavg()[0]
    print(f"CPU ms per step, one thread, best of {repeat}; load {load:.1f}")
    for path in paths:
        data = path.read_bytes()
        mine = best(engine_steps, data, specs, repeat)
        theirs = best(vips_steps, data, specs, repeat)
        total_mine, total_theirs = sum(mine.values()), sum(theirs.values())
        print(
            f"\n{path.name}: engine {total_mine * 1000:.0f} ms, pyvips "
            f"{total_theirs * 1000:.0f} ms, engine ÷ pyvips per CPU-second "
            f"{total_theirs / total_mine:.2f}×"
        )
        print(f"   {'step':32} {'engine':>8} {'pyvips':>8}")
        for key in mine:
            print(f"   {key:32} {mine[key] * 1000:8.1f} {theirs[key] * 1000:8.1f}")
        for what in ("resize", "encode"):
            a = sum(v for k, v in mine.items() if k.startswith(what))
            b = sum(v for k, v in theirs.items() if k.startswith(what))
            print(f"   {'all ' + what + 's':32} {a * 1000:8.1f} {b * 1000:8.1f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
