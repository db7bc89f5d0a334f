"""Check auto-quality's metric against SSIMULACRA2 (bench-only: numpy, scipy).

``python -m bench.calibrate_quality collect`` encodes each photo's renditions
(the workload's kinds but the 1920w WebP, whose 2 MP take half the time, plus
a 160² AVIF) at several qualities and records the bytes and the SSIMULACRA2
score of each whole output against its reference resize (bench.perceptual),
in var/autoquality-calibration.json; photos already there are kept.

``python -m bench.calibrate_quality check`` then scores the same encodes the
way the runtime does (transcoder/imaging/quality/ssimulacra.py, Pillow only): on the
whole image, and on the proxy the search uses (autoquality.proxy, encoded at
the same quality), and prints the error against SSIMULACRA2, held-out photos
(bench.perceptual.held_out) apart.

``python -m bench.calibrate_quality oracle`` prints, per target, what an
exact search would save against quality 80 and the median quality that meets
it per format: the source of autoquality.DEFAULT_TARGET.

``python -m bench.calibrate_quality search`` runs the runtime's search
(autoquality.choose, ceiling 80) on each photo's renditions as the engine
resizes them, and an exact search on the same image (the lowest quality whose
whole-image runtime score meets the target, bisected), and prints bytes
against quality 80 for both, the encodes of the proxy per rendition, and the
worst whole-image score minus the lower of quality 80's and the target's.
No package needed: it is how autoquality's START, SLOPE and MARGIN were
judged, on the calibration photos (held-out photos apart).

``python -m bench.calibrate_quality tables`` encodes each photo's 1280w JPEG
(the bench's LANCZOS resize) at qualities 40-88 with libjpeg's tables and
with auto-quality's perceptual ones (encode.PERCEPTUAL_TABLE), scores each
with SSIMULACRA2 (the package), and prints the perceptual tables' bytes at
scores 60-75 against libjpeg's, interpolated between qualities.

``python -m bench.calibrate_quality proxies`` scores the large JPEG and
WebP renditions (as the engine resizes them) at qualities 40-80 whole, on
the proxy, and as a check on the whole output would (the proxy's two finest
scales with the whole output's coarser ones; docs/benchmarks.md, "Search
5"), with the runtime score, and prints each estimate's error on encodes
scoring 55-80: the source of autoquality's MARGIN. No package needed.
"""

import dataclasses
import io
import json
import math
import statistics
import sys
import time
from pathlib import Path

from PIL import Image

from bench import perceptual, workload
from transcoder.imaging import engine
from transcoder.imaging.encoding import encode
from transcoder.imaging.quality import autoquality, ssimulacra
from transcoder.imaging.specs import RenditionSpec

DATA = Path("var") / "autoquality-calibration.json"
QUALITIES = (45, 60, 70, 80, 88)
# The scales a check on the whole output takes from the proxy (``proxies``).
FINE_SCALES = 2
EXTRA = [("160² cover AVIF", RenditionSpec("cover", 160, 160, "avif"))]
# Left out: the 2 MP 1920w WebP is half the collection's time on a shared
# machine (bench_quality scores it).
SKIP = {"1920w WebP"}


def kinds():
    """Return the (kind, spec) pairs collected."""
    return [(k, s) for k, s in workload.WORKLOAD + EXTRA if k not in SKIP]


def collect():
    """Collect bytes and SSIMULACRA2 scores, one row per encode."""
    rows = json.loads(DATA.read_text()) if DATA.exists() else []
    done = {r["photo"] for r in rows}
    for path in workload.photos():
        if path.name in done:
            continue  # kept from an earlier run: delete the file to start anew
        started = time.monotonic()
        full = perceptual.upright(path.read_bytes())
        for kind, spec in kinds():
            ref = perceptual.reference(full, spec)
            for quality in QUALITIES:
                data = encode.encode(ref.copy(), spec, quality)
                rows.append(
                    {
                        "photo": path.name,
                        "held_out": perceptual.held_out(path),
                        "kind": kind,
                        "format": spec.format,
                        "quality": quality,
                        "bytes": len(data),
                        "ssimulacra2": perceptual.ssimulacra2(ref, data),
                    }
                )
        print(f"{path.name}: {time.monotonic() - started:.0f} s", flush=True)
        DATA.parent.mkdir(exist_ok=True)
        DATA.write_text(json.dumps(rows))  # after each photo: a stop keeps them
    print(f"{len(rows)} rows in {DATA}")


def check():
    """Print the runtime metric's error against SSIMULACRA2, whole and proxy."""
    rows = json.loads(DATA.read_text())
    specs = dict(kinds())
    errors = {}
    for photo in sorted({r["photo"] for r in rows}):
        full = perceptual.upright((workload.PHOTOS_DIR / photo).read_bytes())
        for kind, spec in specs.items():
            mine = [r for r in rows if r["photo"] == photo and r["kind"] == kind]
            if not mine:
                continue
            ref = perceptual.reference(full, spec)
            fmt = spec.format
            small = autoquality.proxy(
                ref, autoquality.PROXY_PIXELS[fmt], autoquality.TILES[fmt]
            )
            for label, image in (("whole", ref), ("proxy", small)):
                reference = ssimulacra.Reference(perceptual.flat(image))
                # The runtime encodes an AVIF proxy at the draft speed.
                for r in mine:
                    data = encode.encode(
                        image.copy(), spec, r["quality"], draft=label == "proxy"
                    )
                    with Image.open(io.BytesIO(data)) as decoded:
                        score = reference.score(perceptual.flat(decoded))
                    for k in (kind, "all"):  # per kind, and all kinds
                        key = (label, r["held_out"], k)
                        errors.setdefault(key, []).append(
                            (score - r["ssimulacra2"], r["ssimulacra2"])
                        )
    print("runtime score minus SSIMULACRA2, on encodes scoring 60-90:")
    for (label, held, kind), pairs in sorted(errors.items()):
        near = [e for e, s in pairs if 60 <= s <= 90]
        if not near:
            continue
        rms = statistics.fmean(e * e for e in near) ** 0.5
        print(
            f"   {label:5} {'held-out' if held else 'other':8} {kind:22} {len(near):4} "
            f"encodes: mean {statistics.fmean(near):+.2f}, RMS {rms:.2f}, "
            f"over by > 2: {sum(e > 2 for e in near)}, "
            f"under by > 2: {sum(e < -2 for e in near)}"
        )


def oracle(targets=(65, 68, 70, 72, 75, 78, 80)):
    """Print what an exact search would save per target, from the collected curves.

    Per photo and kind, the lowest quality whose SSIMULACRA2 meets the target
    (linear between the collected qualities) and its bytes (log-linear),
    against the bytes at quality 80; and the median quality per format.
    """
    rows = json.loads(DATA.read_text())
    curves = {}
    for r in rows:
        key = (r["photo"], r["kind"], r["format"], r["held_out"])
        curves.setdefault(key, []).append((r["quality"], r["ssimulacra2"], r["bytes"]))
    workload_kinds = {kind for kind, _ in workload.WORKLOAD}
    for target in targets:
        saved = {True: [0, 0], False: [0, 0]}
        chosen = {}
        for (_photo, kind, fmt, held), points in curves.items():
            points.sort()
            q, b = _meet(points, target)
            chosen.setdefault(fmt, []).append(q)
            if kind in workload_kinds:
                fixed = next(p[2] for p in points if p[0] == 80)
                saved[held][0] += fixed
                saved[held][1] += b
        medians = ", ".join(
            f"{fmt} q{statistics.median(qs):.0f}" for fmt, qs in sorted(chosen.items())
        )
        change = saved[False][1] / saved[False][0] - 1
        line = f"target {target}: bytes vs q80 {change:+.1%}"
        if saved[True][0]:
            line += f", held out {saved[True][1] / saved[True][0] - 1:+.1%}"
        print(f"{line}; median {medians}")


def _meet(points, target):
    """Return (quality, bytes) where the score curve first meets ``target``."""
    import math

    if points[0][1] >= target:
        return points[0][0], points[0][2]
    for (q1, s1, b1), (q2, s2, b2) in zip(points, points[1:], strict=False):
        if s2 >= target:
            t = (target - s1) / max(s2 - s1, 1e-6)
            quality = q1 + t * (q2 - q1)
            size = math.exp(math.log(b1) + t * (math.log(b2) - math.log(b1)))
            return quality, size
    return points[-1][0], points[-1][2]


def search(target=autoquality.DEFAULT_TARGET, ceiling=80):
    """Print the runtime search against an exact one, per format and photo set."""
    totals = {}  # (held out, format) -> [bytes at ceiling, search, exact, encodes, n]
    worst = {True: 99.0, False: 99.0}
    for path in workload.photos():
        held = perceptual.held_out(path)
        specs = workload.workload(avif=True)
        lossless = [dataclasses.replace(s, format="png") for s in specs]
        outs = engine.render(path.read_bytes(), lossless, workload.LIMITS)
        for spec, out in zip(specs, outs, strict=True):
            image = Image.open(io.BytesIO(out.data))
            image.load()
            sizes, probes, margin = _search_one(image, spec, target, ceiling)
            row = totals.setdefault((held, spec.format), [0, 0, 0, 0, 0])
            for i, value in enumerate((*sizes, probes, 1)):
                row[i] += value
            worst[held] = min(worst[held], margin)
        print(f"{path.name}: done", flush=True)
    print(f"target {target}; bytes against quality {ceiling}: the search, exact")
    for held in (False, True):
        rows = {fmt: r for (h, fmt), r in totals.items() if h == held}
        if not rows:
            continue
        fixed = sum(r[0] for r in rows.values())
        line = ", ".join(
            f"{fmt} {r[1] / r[0] - 1:+.1%} {r[2] / r[0] - 1:+.1%} "
            f"({r[3] / r[4]:.2f} encodes)"
            for fmt, r in sorted(rows.items())
        )
        print(
            f"   {'held-out' if held else 'calibration'}: all "
            f"{sum(r[1] for r in rows.values()) / fixed - 1:+.1%} "
            f"{sum(r[2] for r in rows.values()) / fixed - 1:+.1%}; {line}; "
            f"worst margin {worst[held]:+.1f}"
        )


def _search_one(image, spec, target, ceiling):
    """Return one rendition's bytes (ceiling, search, exact), encodes, margin.

    The ceiling is the fixed quality's encode; the search and the exact one
    encode as the engine does with a target (perceptual JPEG tables).
    """

    def final(small, quality):
        return encode.encode(small.copy(), spec, quality, tuned=True)

    def draft(small, quality):
        return encode.encode(small.copy(), spec, quality, tuned=True, draft=True)

    choice = autoquality.choose(
        image, spec.format, target, final, spec.background, ceiling, draft,
        engine.alternate_encoder(spec),
    )  # fmt: skip
    reference = ssimulacra.Reference(perceptual.flat(image))
    whole = {}

    def score(data):
        with Image.open(io.BytesIO(data)) as decoded:
            return reference.score(perceptual.flat(decoded))

    def scored(quality):
        if quality not in whole:
            whole[quality] = score(final(image, quality))
        return whole[quality]

    low, high = autoquality.QUALITY_RANGE[spec.format][0], ceiling
    while low < high:  # bisect for the lowest quality meeting the target
        middle = (low + high) // 2
        low, high = (low, middle) if scored(middle) >= target else (middle + 1, high)
    fixed = encode.encode(image.copy(), spec, ceiling)
    chosen = encode.encode(
        image.copy(), spec, choice.quality, tuned=True, sharp=choice.alternate
    )
    sizes = [len(fixed), len(chosen), len(final(image, low))]
    margin = score(chosen) - min(score(fixed), target)
    return sizes, choice.probes, margin


def proxies(qualities=range(40, 81, 5)):
    """Print the proxy's over-estimate of large JPEGs and WebPs, and a check's.

    The check scores the proxy's FINE_SCALES finest scales with the whole
    output's coarser ones.
    """
    errors = {}  # (held out, kind, estimate) -> [estimate - whole score]
    for path in workload.photos():
        held = perceptual.held_out(path)
        # All six, as an upload renders them: smaller ones resize larger ones.
        lossless = [dataclasses.replace(s, format="png") for _, s in workload.WORKLOAD]
        outs = engine.render(path.read_bytes(), lossless, workload.LIMITS)
        for (kind, spec), out in zip(workload.WORKLOAD, outs, strict=True):
            fmt = spec.format
            image = perceptual.flat(Image.open(io.BytesIO(out.data)))
            pixels = autoquality.PROXY_PIXELS.get(fmt, 0)
            if fmt not in ("jpeg", "webp") or image.width * image.height <= pixels:
                continue  # searched whole, or AVIF
            small = autoquality.proxy(image, pixels, autoquality.TILES[fmt])
            whole = ssimulacra.Reference(image)
            fine = ssimulacra.Reference(small)
            for quality in qualities:
                big = _decoded(encode.encode(image.copy(), spec, quality, tuned=True))
                coarse = whole.maps(big)
                score = ssimulacra.weigh(coarse)
                if not 55 <= score <= 80:
                    continue
                draft = encode.encode(
                    small.copy(), spec, quality, tuned=True, draft=True
                )
                maps = fine.maps(_decoded(draft))
                estimates = {"proxy": ssimulacra.weigh(maps)}
                if len(maps) == len(coarse):  # the same weights at each scale
                    estimates["check"] = ssimulacra.weigh(
                        maps[:FINE_SCALES] + coarse[FINE_SCALES:]
                    )
                for name, estimate in estimates.items():
                    for k in (kind, "all"):
                        errors.setdefault((held, k, name), []).append(estimate - score)
        print(f"{path.name}: done", flush=True)
    print("estimate minus whole-image score (runtime metric), scores 55-80:")
    for (held, kind, name), values in sorted(errors.items()):
        values.sort()
        p95 = values[round(0.95 * (len(values) - 1))]
        print(
            f"   {'held-out' if held else 'calibration':11} {kind:22} {name:5} "
            f"{len(values):3} encodes: mean {statistics.fmean(values):+.2f}, "
            f"95th percentile {p95:+.2f}, most {values[-1]:+.2f}"
        )


def _decoded(data):
    with Image.open(io.BytesIO(data)) as decoded:
        return decoded.convert("RGB")


def tables(scores=(60, 65, 70, 75)):
    """Print the perceptual tables' bytes at equal scores against libjpeg's."""
    spec = RenditionSpec("contain", 1280, None, "jpeg")
    ratios = {}  # (held out, score) -> [ratio]
    for path in workload.photos():
        ref = perceptual.reference(perceptual.upright(path.read_bytes()), spec)
        ref = perceptual.flat(ref)
        curves = {}
        for tuned in (False, True):
            curves[tuned] = [
                (perceptual.ssimulacra2(ref, data), len(data))
                for q in range(40, 92, 6)
                for data in [encode.encode(ref.copy(), spec, q, tuned=tuned)]
            ]
        held = perceptual.held_out(path)
        line = []
        for score in scores:
            plain, tuned = (_bytes_at(curves[t], score) for t in (False, True))
            if plain and tuned:
                ratios.setdefault((held, score), []).append(tuned / plain)
                line.append(f"{score}: {tuned / plain:.3f}")
        print(f"{path.name}: {', '.join(line) or 'out of range'}", flush=True)
    print("perceptual tables' bytes at equal SSIMULACRA2, against libjpeg's:")
    for (held, score), values in sorted(ratios.items()):
        mean = math.exp(statistics.fmean(math.log(v) for v in values))
        print(
            f"   {'held-out' if held else 'calibration':11} score {score}: "
            f"{mean:.3f}x (geometric mean of {len(values)}, "
            f"{min(values):.3f}-{max(values):.3f})"
        )


def _bytes_at(curve, score):
    """Return the bytes at ``score``, interpolated in log bytes, or None."""
    ordered = sorted(curve)
    for (s0, b0), (s1, b1) in zip(ordered, ordered[1:], strict=False):
        if s0 <= score <= s1 and s1 > s0:
            share = (score - s0) / (s1 - s0)
            return math.exp(math.log(b0) + share * (math.log(b1) - math.log(b0)))
    return None


if __name__ == "__main__":
    commands = {"collect": collect, "check": check, "oracle": oracle}
    commands |= {"search": search, "proxies": proxies, "tables": tables}
    commands[sys.argv[1] if len(sys.argv) > 1 else "check"]()
