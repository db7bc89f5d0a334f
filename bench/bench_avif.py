"""SSIMULACRA2 of the engine's AVIF against libvips' AVIF at equal bytes.

Run with ``python -m bench.bench_avif`` (part of ``make bench``). Each photo is
resized once per size of the starter presets' AVIF renditions (the hero
preset: 640, 1024, 1440 and 1920 px wide, 2.4:1 cover crops) with LANCZOS
from the full upright sRGB decode. That one resize is both encoders' input
and the reference the score is taken against, so only the AVIF encode
differs. Each encoder runs over a ladder of qualities; the score of libvips'
curve is interpolated (linearly in log bytes) at the byte count of each of
the engine's points, so the two compare at equal bytes. The headline is the
engine's point at the preset's quality.

Both sides are decoded by the same decoder (Pillow's libavif by default,
``--decoder vips`` for libheif), so a decoder's error cannot favour one.
Encode CPU is the process CPU time of the encode calls alone (all threads),
each encoder with its library's default thread count on the same machine.

Environment: ``MEDIAHUB_BENCH_PHOTOS`` picks a subset (see ``bench.workload``).
Options: ``--sizes``, ``--qualities``, ``--quick`` (the engine at the preset's
quality only, as ``make bench`` runs it), ``--decoder``, ``--pipeline`` (whole
renders from the file, the engine against pyvips chained, instead of encodes
of the same pixels) and ``--variants`` (extra encoders beside the engine, for
finding a path: see ``VARIANTS``).
"""

import argparse
import dataclasses
import io
import math
import statistics
import time

from PIL import Image

from bench import workload
from bench.reference import VIPS_AVIF_EFFORT, _flat, lanczos_reference, vips_cascaded
from transcoder.imaging import engine
from transcoder.imaging.encoding import avif, encode
from transcoder.imaging.specs import build_specs
from transcoder.starter_presets import STARTER_PRESETS

LADDER = (45, 55, 65, 75, 85, 89)
RERUN = (
    "Rerun: python -m bench.bench_avif   (quicker: --quick --qualities 70,80; "
    "--sizes 640; --decoder vips; --pipeline; subset: MEDIAHUB_BENCH_PHOTOS=4)"
)


def starter_avif_specs(quality=None):
    """Return the AVIF specs of the starter presets (at ``quality`` if given)."""
    specs = []
    for preset in STARTER_PRESETS:
        if "avif" not in preset["formats"]:
            continue
        fields = {k: preset[k] for k in ("fit", "width", "height") if k in preset}
        specs += build_specs(
            **fields,
            widths=preset.get("widths", ()),
            formats=["avif"],
            quality=quality or preset["quality"],
        )
    return specs


def _pillow(image, quality, **options):
    buffer = io.BytesIO()
    image.save(buffer, "AVIF", quality=quality, speed=encode.AVIF_SPEED, **options)
    return buffer.getvalue()


def _vips(image, quality, **options):
    import pyvips

    vips = pyvips.Image.new_from_memory(
        image.tobytes(), image.width, image.height, len(image.mode), "uchar"
    ).copy(interpretation="srgb")
    return vips.heifsave_buffer(
        Q=quality, compression="av1", effort=VIPS_AVIF_EFFORT, keep="none", **options
    )


def _engine(image, quality):
    spec = build_specs(
        fit="contain", width=image.width, formats=["avif"], quality=quality
    )[0]
    return encode.encode(image, spec)


# Whole renders from the file (``--pipeline``): the engine, and pyvips
# decoded once and chained, as ``make bench`` runs it.
PIPELINES = {
    "engine": lambda data, specs: [
        o.data for o in engine.render(data, specs, workload.LIMITS)
    ],
    "libvips": vips_cascaded,
}

# Encoders to compare; "engine" and "libvips" are the headline.
VARIANTS = {
    "engine": _engine,
    "libvips": _vips,
    "pillow": _pillow,
    "pillow-tune-ssim": lambda im, q: _pillow(im, q, advanced={"tune": "ssim"}),
    "exact": lambda im, q: avif.encode(im, q, encode.AVIF_SPEED),
    "sharp": lambda im, q: avif.encode(im, q, encode.AVIF_SPEED, downsampling="sharp"),
    "libyuv": lambda im, q: avif.encode(
        im, q, encode.AVIF_SPEED, downsampling="libyuv"
    ),
    "exact-no-intrabc": lambda im, q: avif.encode(
        im, q, encode.AVIF_SPEED, options={"enable-intrabc": "0"}
    ),
    "exact-tune-ssim": lambda im, q: avif.encode(
        im, q, encode.AVIF_SPEED, options={"tune": "ssim"}
    ),
    "sharp-tune-ssim": lambda im, q: avif.encode(
        im, q, encode.AVIF_SPEED, downsampling="sharp", options={"tune": "ssim"}
    ),
}


def decode(data: bytes, decoder: str) -> Image.Image:
    """Decode an AVIF with Pillow's libavif or libvips' libheif, flattened on white."""
    if decoder == "pillow":
        return _flat(Image.open(io.BytesIO(data)))
    import pyvips

    # The engine blocks libvips' loaders; this reference decodes with them.
    pyvips.operation_block_set("VipsForeignLoad", False)
    image = pyvips.Image.new_from_buffer(data, "")
    mode = {3: "RGB", 4: "RGBA"}[image.bands]
    return _flat(
        Image.frombytes(mode, (image.width, image.height), image.write_to_memory())
    )


def ssimulacra2(reference: Image.Image, distorted: Image.Image) -> float:
    """Return the SSIMULACRA2 score of ``distorted`` against ``reference``."""
    from ssimulacra2 import compute_ssimulacra2

    files = []
    for image in (reference, distorted):
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, "PPM")
        buffer.seek(0)
        files.append(buffer)
    return float(compute_ssimulacra2(*files))


def at_bytes(curve, size):
    """Interpolate a [(bytes, score)] curve at ``size`` bytes, in log bytes."""
    points = sorted(curve)
    for (b0, s0), (b1, s1) in zip(points, points[1:], strict=False):
        if b0 <= size <= b1:
            if b1 == b0:
                return max(s0, s1)
            t = (math.log(size) - math.log(b0)) / (math.log(b1) - math.log(b0))
            return s0 + t * (s1 - s0)
    return math.nan  # outside the other side's ladder: no honest comparison


def measure(paths, specs, ladder, names, decoder, pipeline=False, only_at=None):
    """Return rows of (photo, size, name, quality, bytes, score, cpu_s).

    Without ``pipeline`` each encoder gets the reference pixels; with it, the
    engine and pyvips each render every spec from the file themselves (decode,
    resize, encode), and the CPU is the whole render's. With ``only_at``, all
    but libvips run at that one quality (libvips' ladder is still needed to
    compare at equal bytes).
    """
    rows = []
    for path in paths:
        data = path.read_bytes()
        references = [_flat(lanczos_reference(data, spec)) for spec in specs]
        for name in names:
            qualities = ladder if only_at is None or name == "libvips" else [only_at]
            for quality in qualities:
                specs_q = [dataclasses.replace(s, quality=quality) for s in specs]
                if pipeline:
                    render = PIPELINES[name]
                    render(data, specs_q[:1])  # load codecs outside the timing
                    started = time.process_time()
                    blobs = render(data, specs_q)
                    cpus = [(time.process_time() - started) / len(specs)] * len(specs)
                else:
                    encoder = VARIANTS[name]
                    encoder(references[0], quality)  # likewise
                    blobs, cpus = [], []
                    for reference in references:
                        started = time.process_time()
                        blobs.append(encoder(reference, quality))
                        cpus.append(time.process_time() - started)
                for reference, blob, cpu in zip(references, blobs, cpus, strict=True):
                    score = ssimulacra2(reference, decode(blob, decoder))
                    rows.append(
                        (
                            path.name,
                            reference.size,
                            name,
                            quality,
                            len(blob),
                            score,
                            cpu,
                        )
                    )
    return rows


def report(rows, preset_quality, names, baseline="libvips"):
    """Print per photo and size: each encoder's score minus libvips' at equal bytes."""
    curves = {}
    for photo, size, name, quality, nbytes, score, cpu in rows:
        curves.setdefault((photo, size, name), []).append((quality, nbytes, score, cpu))
    others = [n for n in names if n != baseline]
    print(
        f"-- SSIMULACRA2 at equal bytes, minus {baseline}'s, at quality "
        f"{preset_quality} (+ is better); encode CPU ms at that quality"
    )
    header = f"   {'photo':32} {'size':>9} {baseline + ' KB':>10} {'score':>6}"
    for name in others:
        header += f" {name + ' KB':>12} {'Δ':>6} {'Δ ladder':>8}"
    print(header)
    deltas = {n: [] for n in others}
    ladder_deltas = {n: [] for n in others}
    cpu = {n: 0.0 for n in names}
    keys = sorted({(p, s) for p, s, _ in curves}, key=lambda k: (k[0], k[1][0]))
    for photo, size in keys:
        base = curves[(photo, size, baseline)]
        base_curve = [(b, s) for _, b, s, _ in base]
        at_q = {q: (b, s, c) for q, b, s, c in base}
        b0, s0, c0 = at_q[preset_quality]
        cpu[baseline] += c0
        line = (
            f"   {photo[:32]:32} {size[0]:4}×{size[1]:<4} {b0 / 1024:10.1f} {s0:6.2f}"
        )
        for name in others:
            points = curves[(photo, size, name)]
            mine = {q: (b, s, c) for q, b, s, c in points}
            b1, s1, c1 = mine[preset_quality]
            cpu[name] += c1
            delta = s1 - at_bytes(base_curve, b1)
            every = [s - at_bytes(base_curve, b) for _, b, s, _ in points]
            every = [d for d in every if not math.isnan(d)]
            ladder = statistics.mean(every) if every else math.nan
            if not math.isnan(delta):
                deltas[name].append(delta)
            if not math.isnan(ladder):
                ladder_deltas[name].append(ladder)
            line += f" {b1 / 1024:12.1f} {delta:+6.2f} {ladder:+8.2f}"
        print(line)
    print("-- mean over photos and sizes (Δ at the preset quality; Δ over the ladder)")
    for name in others:
        d, ld = deltas[name], ladder_deltas[name]
        if not d or not ld:
            print(
                f"   {name:18} no output within {baseline}'s range of bytes: "
                "widen --qualities"
            )
            continue
        print(
            f"   {name:18} Δ {statistics.mean(d):+.2f} (min {min(d):+.2f}, "
            f"n={len(d)})   ladder Δ {statistics.mean(ld):+.2f}   encode CPU "
            f"{cpu[name] * 1000:.0f} ms = {cpu[name] / cpu[baseline]:.2f}× {baseline}'s"
        )
    print(f"   {baseline:18} encode CPU {cpu[baseline] * 1000:.0f} ms")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", help="widths to keep, e.g. 640,1440")
    parser.add_argument(
        "--qualities", default=",".join(map(str, LADDER)), help="the quality ladder"
    )
    parser.add_argument(
        "--variants", default="", help=f"extra encoders: {', '.join(VARIANTS)}"
    )
    parser.add_argument("--decoder", choices=("pillow", "vips"), default="pillow")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="run the engine (and variants) at the preset quality only",
    )
    parser.add_argument(
        "--pipeline",
        action="store_true",
        help="render from the file (decode, resize, encode) instead of encoding "
        "the reference pixels",
    )
    args = parser.parse_args(argv)
    specs = starter_avif_specs()
    preset_quality = specs[0].quality
    if args.sizes:
        keep = {int(w) for w in args.sizes.split(",")}
        specs = [s for s in specs if s.width in keep]
    ladder = sorted({int(q) for q in args.qualities.split(",")} | {preset_quality})
    names = ["libvips", "engine"] + [
        v for v in args.variants.split(",") if v and v not in ("engine", "libvips")
    ]
    paths = workload.photos()
    started = time.monotonic()
    if args.pipeline:
        names = ["libvips", "engine"]
    only_at = preset_quality if args.quick else None
    rows = measure(paths, specs, ladder, names, args.decoder, args.pipeline, only_at)
    what = "whole renders" if args.pipeline else "encodes of the same pixels"
    print(
        f"== AVIF {what}: {len(paths)} photos × {len(specs)} sizes × qualities "
        f"{ladder}, decoded by {args.decoder}, {time.monotonic() - started:.0f} s"
    )
    report(rows, preset_quality, names)
    print(RERUN)


if __name__ == "__main__":
    main()
