"""Animated sources: bytes against the source, and CPU per frame, beside pyvips.

Run with ``python -m bench.bench_animation`` (part of ``make bench``).

Sources, all offline:
- real files: tests/files/animated/ (Pillow's test images: a GIF, an animated
  WebP with alpha, an AVIF sequence; see its ORIGINS.md);
- pan-and-zoom clips made here from the benchmark photos (24 frames of
  480x320 at 80 ms, a slow zoom across each photo), saved the ways such clips
  reach an upload: a GIF (Pillow's per-frame adaptive palette), an APNG and a
  lossy animated WebP (quality 90).

Each source is rendered as an upload builds it (``engine.render``, one
thread) with the workload below: animated WebP at the source's own size
(the bytes to compare with the source), 240w WebP, a 160² cover WebP, a 320w
AVIF, and a 480w JPEG still. CPU is the process time of the whole render,
per source frame; "check ms" is the upload's check (``engine.inspect``,
which decodes every frame). The reference for the WebP outputs is pyvips on one
thread (``VIPS_CONCURRENCY=1``) doing the same work: ``thumbnail_buffer``
with every page (``n=-1``) per output, then ``webpsave`` at the same quality
and effort (libvips' effort = libwebp's method), for the two contained WebP
outputs (libvips crops a strip of pages as one image, so the cover crop has
no reference); it decodes the source once per output. pyvips' AVIF saver
writes pages as separate images, not a sequence, so AVIF has no reference
here. Peak RSS is read from a fresh process per source.

Environment: ``MEDIAHUB_BENCH_PHOTOS`` picks the photos for the clips (see
``bench.workload``; default the first 3), ``MEDIAHUB_BENCH_ROUNDS`` the
rounds (default 2; the median is shown). ``MEDIAHUB_BENCH_AVIF_SPEEDS=6,7,8``
instead prints the AVIF bytes and CPU at each libaom speed, the measurement
behind ``animation_encoders.AVIF_ANIMATION_SPEED``;
``MEDIAHUB_BENCH_WEBP_KEYFRAMES=3:5`` runs with gif2webp's key frame interval
instead of ``animation_encoders.WEBP_KMIN`` and ``WEBP_KMAX``;
``MEDIAHUB_BENCH_EDITS=1`` instead prints what an edit costs (the workload
turned and mirrored, then also cropped, against none) and what the stills'
own decode of the first frame costs (the CPU one decode for both would save);
``MEDIAHUB_BENCH_STARTER=0`` skips the starter presets table.
"""

import io
import multiprocessing
import os
import resource
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("VIPS_CONCURRENCY", "1")

import pyvips  # noqa: E402
from PIL import Image  # noqa: E402

from bench import workload  # noqa: E402
from transcoder.imaging import engine  # noqa: E402
from transcoder.imaging.decode import opening  # noqa: E402
from transcoder.imaging.edits import Recipe  # noqa: E402
from transcoder.imaging.encoding import animation, animation_encoders  # noqa: E402
from transcoder.imaging.specs import RenditionSpec  # noqa: E402

REAL_DIR = Path(__file__).resolve().parents[1] / "tests" / "files" / "animated"
REAL = ("chi.gif", "iss634.webp", "star.avifs")
CLIP_FRAMES = 24
CLIP_SIZE = (480, 320)
CLIP_MS = 80
QUALITY = 80
RERUN = (
    "Rerun: python -m bench.bench_animation   (photos: MEDIAHUB_BENCH_PHOTOS=4; "
    "rounds: MEDIAHUB_BENCH_ROUNDS=3)"
)


def specs_for(width: int) -> list[RenditionSpec]:
    """Return the workload for a source ``width`` pixels wide, with motion asked."""
    specs = [
        RenditionSpec("contain", width, None, "webp", quality=QUALITY),
        RenditionSpec("contain", 240, None, "webp", quality=QUALITY),
        RenditionSpec("cover", 160, 160, "webp", quality=QUALITY),
        RenditionSpec("contain", 320, None, "avif", quality=QUALITY),
        RenditionSpec("contain", 480, None, "jpeg", quality=QUALITY),
    ]
    return animation.with_motion(specs, "gif", 2)


def clip(photo: Path, size=CLIP_SIZE, count=CLIP_FRAMES) -> list[Image.Image]:
    """Return a slow pan and zoom across ``photo``: ``count`` frames of ``size``."""
    with Image.open(photo) as image:
        image.draft("RGB", (size[0] * 2, size[1] * 2))
        image = image.convert("RGB")
    width, height = image.size
    ratio = size[0] / size[1]
    frames = []
    for i in range(count):
        t = i / (count - 1)
        zoom = 1.0 - 0.3 * t
        crop_h = min(height, width / ratio) * zoom
        crop_w = crop_h * ratio
        left = (width - crop_w) * t
        top = (height - crop_h) * (0.5 - 0.3 * t)
        frames.append(
            image.resize(
                size,
                Image.Resampling.LANCZOS,
                box=(left, top, left + crop_w, top + crop_h),
            )
        )
    return frames


def saved(frames: list[Image.Image], fmt: str, **options) -> bytes:
    """Return ``frames`` saved as one animation in ``fmt``."""
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        fmt,
        save_all=True,
        append_images=frames[1:],
        duration=CLIP_MS,
        loop=0,
        **options,
    )
    return buffer.getvalue()


def sources() -> list[tuple[str, bytes]]:
    """Return (label, bytes) of every source: real files, then photo clips."""
    found = [(name, (REAL_DIR / name).read_bytes()) for name in REAL]
    if not os.environ.get("MEDIAHUB_BENCH_PHOTOS"):
        os.environ["MEDIAHUB_BENCH_PHOTOS"] = "3"
    for photo in workload.photos():
        frames = clip(photo)
        stem = photo.stem[:14]
        found.append((f"{stem} clip.gif", saved(frames, "GIF")))
        found.append((f"{stem} clip.apng", saved(frames, "PNG")))
        found.append((f"{stem} clip.webp", saved(frames, "WEBP", quality=90)))
    return found


def engine_render(data: bytes, specs) -> tuple[list[engine.Output], float]:
    """Render as an upload does, on one thread; return outputs and CPU seconds."""
    started = time.process_time()
    outputs = engine.render(data, specs, workload.LIMITS, threads=1, placeholders=True)
    return outputs, time.process_time() - started


def vips_webp(data: bytes, specs) -> tuple[list[bytes], float]:
    """Render contained WebP specs with pyvips, every page, one thumbnail each."""
    # The engine blocks libvips' loaders; this reference decodes with them.
    pyvips.operation_block_set("VipsForeignLoad", False)
    started = time.process_time()
    outs = []
    for spec in specs:
        image = pyvips.Image.thumbnail_buffer(
            data, spec.width, option_string="n=-1", size="down"
        )
        outs.append(image.webpsave_buffer(Q=spec.quality, effort=4))
    return outs, time.process_time() - started


def peak_worker(data: bytes, specs, results) -> None:
    """Render once in a fresh process and report its peak RSS in MB.

    Read from VmHWM: ru_maxrss survives exec, so a process spawned by a big
    parent would report the parent's size.
    """
    engine.render(data, specs, workload.LIMITS, threads=1, placeholders=True)
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                results.put(int(line.split()[1]) / 1024)
                return
    results.put(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def peak_mb(ctx, data: bytes, specs) -> float:
    results = ctx.Queue()
    process = ctx.Process(target=peak_worker, args=(data, specs, results))
    process.start()
    value = results.get()
    process.join()
    return value


def avif_speeds(speeds: list[int], found) -> None:
    """Print bytes and CPU of the 320w AVIF at each libaom speed, per source."""
    print(f"AVIF speed (animation_encoders.AVIF_ANIMATION_SPEED), 320w, q {QUALITY}")
    print(f"{'source':24} " + " ".join(f"{f'speed {s}':>17}" for s in speeds))
    spec = animation.with_motion(
        [RenditionSpec("contain", 320, None, "avif", quality=QUALITY)], "gif", 2
    )
    chosen = animation_encoders.AVIF_ANIMATION_SPEED
    try:
        for label, data in found:
            cells = []
            for speed in speeds:
                animation_encoders.AVIF_ANIMATION_SPEED = speed
                [out], cpu = engine_render(data, spec)
                per_frame = cpu * 1000 / out.motion.frames
                cells.append(f"{len(out.data) / 1024:7.1f} KB {per_frame:5.1f} ms")
            print(f"{label:24} " + " ".join(f"{c:>17}" for c in cells), flush=True)
    finally:
        animation_encoders.AVIF_ANIMATION_SPEED = chosen
    print("(ms: CPU per source frame, one thread)\n")


def edits_table(found, rounds: int) -> None:
    """Print the CPU of the workload edited against unedited, per source, and
    the stills' own open and first-frame decode against the whole render."""
    print("Edits (CPU ÷ unedited) and the stills' second decode, one thread")
    print(f"{'source':24} {'ms/frame':>8} {'turn+mirror':>11} {'+crop':>6} "
          f"{'still decode ms':>15} {'share':>6}")  # fmt: skip
    for label, data in found:
        info = engine.inspect(data, workload.LIMITS)
        whole = Recipe(source=(info.width, info.height))
        turned = whole.rotated(1).flipped(horizontal=True)
        # The central half of each side (a quarter of the pixels), turned.
        w, h = turned.size
        cropped = turned.cropped((w // 4, h // 4, w // 2, h // 2))
        # The workload's widths as square boxes: as many output pixels turned
        # as not, so the ratio is the edit's own cost.
        boxes = specs_for(max(info.width, info.height))
        engine_render(data, boxes[:1])  # warm up
        cpu = {}
        for name, recipe in (("none", whole), ("turned", turned), ("crop", cropped)):
            specs = [replace(s, height=s.width, edit=recipe.key) for s in boxes]
            cpu[name] = statistics.median(
                engine_render(data, specs)[1] for _ in range(rounds)
            )
        still = specs_for(info.width)[-1:]
        decode = []
        for _ in range(rounds * 3):
            started = time.process_time()
            with opening.opened(data, workload.LIMITS) as source:
                opening.decode(source, still)
            decode.append(time.process_time() - started)
        decode_ms = statistics.median(decode) * 1000
        print(
            f"{label:24} {cpu['none'] * 1000 / info.frames:>8.2f} "
            f"{cpu['turned'] / cpu['none']:>11.2f} {cpu['crop'] / cpu['none']:>6.2f} "
            f"{decode_ms:>15.2f} {decode_ms / 10 / cpu['none']:>5.2f}%",
            flush=True,
        )
    print(f"load average at the end {os.getloadavg()[0]:.1f}\n")


def starter_table(ctx) -> None:
    """Time the starter presets on a 1920x1080 clip; scale to the pixel-time limit.

    This is the worst case the limits allow on Lambda (300 s, about 1.2 vCPU
    at 2048 MB): every starter preset's WebP and AVIF move, and the clip's
    frames are as large as a screen recording's.
    """
    from transcoder.imaging.specs import build_specs
    from transcoder.starter_presets import STARTER_PRESETS

    specs = []
    for preset in STARTER_PRESETS:
        fields = {k: preset[k] for k in ("fit", "width", "height", "formats")}
        specs += build_specs(widths=preset.get("widths", ()), **fields)
    specs = animation.with_motion(specs, "gif", 2)
    frames = clip(workload.photos()[0], (1920, 1080), 12)
    data = saved(frames, "WEBP", quality=90)
    _, cpu = engine_render(data, specs)
    per_frame = cpu / len(frames)
    limit = workload.LIMITS.max_animation_pixels
    at_limit = limit / (1920 * 1080) * per_frame
    peak = peak_mb(ctx, data, specs)
    print(
        f"Starter presets ({len(specs)} renditions, "
        f"{sum(s.animated for s in specs)} moving) on a 1920x1080 WebP clip of "
        f"{len(frames)} frames: {per_frame:.2f} s CPU per frame, peak {peak:.0f} MB;"
        f" at the pixel-time limit ({limit / 1e6:.0f} MP, "
        f"{limit / (1920 * 1080):.0f} such frames) about {at_limit:.0f} s CPU",
        flush=True,
    )
    # The largest frame that moves (animation.MAX_MOVING_PIXELS), as a GIF:
    # its decoder keeps a second canvas for disposal.
    big = saved(clip(workload.photos()[0], (3840, 2160), 3), "GIF")
    print(
        f"Peak RSS, a 3840x2160 GIF of 3 frames, starter presets: "
        f"{peak_mb(ctx, big, specs):.0f} MB (target 600)\n",
        flush=True,
    )


def main() -> None:
    rounds = int(os.environ.get("MEDIAHUB_BENCH_ROUNDS", "2"))
    if keys := os.environ.get("MEDIAHUB_BENCH_WEBP_KEYFRAMES"):
        # "3:5" tries gif2webp's key frame interval instead of libvips'.
        animation_encoders.WEBP_KMIN, animation_encoders.WEBP_KMAX = map(
            int, keys.split(":")
        )
        print(f"WebP key frames every {keys} frames")
    if speeds := os.environ.get("MEDIAHUB_BENCH_AVIF_SPEEDS"):
        avif_speeds([int(s) for s in speeds.split(",")], sources())
        return
    if os.environ.get("MEDIAHUB_BENCH_EDITS") == "1":
        edits_table(sources(), rounds)
        return
    ctx = multiprocessing.get_context("spawn")
    print("Animated sources: one engine thread; pyvips on one thread (WebP only)")
    print(f"{RERUN}\n")
    if os.environ.get("MEDIAHUB_BENCH_STARTER") != "0":
        starter_table(ctx)
    header = (
        f"{'source':24} {'frames':>6} {'play s':>6} {'src KB':>8} "
        f"{'WebP KB':>8} {'÷src':>6} {'vips KB':>8} {'AVIF320':>8} "
        f"{'ms/frame':>8} {'WebP ms/f':>9} {'vips ms/f':>9} {'check ms':>8} "
        f"{'peak MB':>7}"
    )
    print(header)
    print("-" * len(header))
    ratios, per_frame, webp_vs_vips = [], [], []
    for label, data in sources():
        started = time.process_time()
        info = engine.inspect(data, workload.LIMITS)
        check_ms = (time.process_time() - started) * 1000
        specs = specs_for(info.width)
        # libvips' thumbnail crops the whole strip of pages, not each page, so
        # the cover crop has no reference: compare the two contained WebPs.
        webp_specs = [s for s in specs if s.format == "webp" and not s.height]
        engine.render(data, specs[:1], workload.LIMITS, threads=1)  # warm up
        totals, webp_totals, vips_totals = [], [], []
        for _ in range(rounds):
            outputs, cpu = engine_render(data, specs)
            totals.append(cpu)
            _, cpu = engine_render(data, webp_specs)
            webp_totals.append(cpu)
            try:
                vips_outs, cpu = vips_webp(data, webp_specs)
            except pyvips.Error:
                vips_outs, cpu = None, None  # a format this libvips cannot read
            vips_totals.append(cpu)
        frames = outputs[0].motion.frames
        same_size = len(outputs[0].data)
        ratio = same_size / len(data)
        ratios.append(ratio)
        ms = statistics.median(totals) * 1000 / frames
        webp_ms = statistics.median(webp_totals) * 1000 / frames
        per_frame.append(ms)
        vips_ms = vips_kb = "–"
        if vips_outs is not None:
            vips_ms = statistics.median(vips_totals) * 1000 / frames
            webp_vs_vips.append(webp_ms / vips_ms)
            vips_ms, vips_kb = f"{vips_ms:.2f}", f"{len(vips_outs[0]) / 1024:.1f}"
        peak = peak_mb(ctx, data, specs)
        print(
            f"{label:24} {frames:>6} {outputs[0].motion.duration_ms / 1000:>6.1f} "
            f"{len(data) / 1024:>8.1f} {same_size / 1024:>8.1f} {ratio:>6.2f} "
            f"{vips_kb:>8} {len(outputs[3].data) / 1024:>8.1f} "
            f"{ms:>8.2f} {webp_ms:>9.2f} {vips_ms:>9} {check_ms:>8.1f} "
            f"{peak:>7.0f}",
            flush=True,
        )
    median = statistics.median
    print(
        f"\nWebP at the source's size ÷ source bytes: median {median(ratios):.2f}"
        f" (min {min(ratios):.2f}, max {max(ratios):.2f})"
    )
    print(f"CPU per source frame, whole workload: median {median(per_frame):.2f} ms")
    print(
        "engine ÷ pyvips CPU for the two contained WebP outputs: median "
        f"{statistics.median(webp_vs_vips):.2f} "
        f"(min {min(webp_vs_vips):.2f}, max {max(webp_vs_vips):.2f}); below 1: "
        "the engine spends less"
    )
    print(f"load average at the end {os.getloadavg()[0]:.1f}. {RERUN}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
