"""Fit the auto-quality metric's weights to SSIMULACRA2 (bench-only: numpy, scipy).

``python -m bench.calibrate_quality collect`` encodes each calibration photo's
renditions (the workload's six kinds, plus AVIF at two more sizes) at several
qualities, and records for each: the SSIMULACRA2 score of the whole output
against its reference resize, and the runtime metric's features measured on
the proxy the search uses (autoquality.proxy). Held-out photos
(bench.perceptual.held_out) are collected too, marked, and never fitted.
``python -m bench.calibrate_quality fit`` then fits non-negative weights
(scipy's NNLS) on SSIMULACRA2's own distance scale and prints the weights
for transcoder/imaging/autoquality.py, with the error on fitted and held-out
rows. The collected rows are kept in var/autoquality-calibration.json.
"""

import json
import sys
import time
from pathlib import Path

from bench import perceptual, workload
from transcoder.imaging import autoquality, engine
from transcoder.imaging.specs import RenditionSpec

DATA = Path("var") / "autoquality-calibration.json"
QUALITIES = (30, 45, 60, 70, 80, 90)
EXTRA = [
    ("160² cover AVIF", RenditionSpec("cover", 160, 160, "avif")),
    ("1280w AVIF", RenditionSpec("contain", 1280, None, "avif")),
]


def collect():
    """Collect features and SSIMULACRA2 scores, one row per encode."""
    rows = []
    kinds = workload.WORKLOAD + EXTRA
    for path in workload.photos():
        started = time.monotonic()
        full = perceptual.upright(path.read_bytes())
        for kind, spec in kinds:
            ref = perceptual.reference(full, spec)
            small = autoquality.proxy(ref, autoquality.PROXY_PIXELS[spec.format])
            proxy_ref = autoquality.Reference(autoquality._flat(small, "#ffffff"))
            whole_ref = autoquality.Reference(autoquality._flat(ref, "#ffffff"))
            for quality in QUALITIES:
                data = engine._encode(ref.copy(), spec, quality)
                small_data = engine._encode(small.copy(), spec, quality)
                rows.append(
                    {
                        "photo": path.name,
                        "held_out": perceptual.held_out(path),
                        "kind": kind,
                        "format": spec.format,
                        "quality": quality,
                        "bytes": len(data),
                        "ssimulacra2": perceptual.ssimulacra2(ref, data),
                        "proxy": _vector(proxy_ref, small_data),
                        "whole": _vector(whole_ref, data),
                    }
                )
        print(f"{path.name}: {time.monotonic() - started:.0f} s", flush=True)
    DATA.parent.mkdir(exist_ok=True)
    DATA.write_text(json.dumps(rows))
    print(f"{len(rows)} rows in {DATA}")


def _vector(reference, data):
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as decoded:
        features = reference.features(autoquality._flat(decoded, "#ffffff"))
    return [features[key] for key in autoquality.WEIGHTS]


def fit(which="proxy"):
    """Fit weights on the calibration rows; print them and the errors."""
    import numpy as np
    from scipy.optimize import nnls

    rows = json.loads(DATA.read_text())
    keys = list(autoquality.WEIGHTS)
    # Rows far below any target teach the fit nothing it needs.
    usable = [r for r in rows if r["ssimulacra2"] >= 20]
    train = [r for r in usable if not r["held_out"]]
    x = np.array([r[which] for r in train])
    y = np.array([_distance(r["ssimulacra2"]) for r in train])
    weights, _ = nnls(x, y)
    print("WEIGHTS.update(\n    {")
    for key, w in zip(keys, weights, strict=True):
        if w > 0:
            print(f"        {key!r}: {w:.4f},")
    print("    }\n)")
    for label, subset in (
        ("fitted", train),
        ("held out", [r for r in usable if r["held_out"]]),
    ):
        errors = []
        for r in subset:
            d = float(np.dot(weights, r[which]))
            predicted = 100 - 10 * max(d, 0) ** autoquality.EXPONENT
            errors.append(predicted - r["ssimulacra2"])
        near = [
            e
            for e, r in zip(errors, subset, strict=True)
            if 60 <= r["ssimulacra2"] <= 90
        ]
        errors = np.array(errors)
        near = np.array(near)
        print(
            f"{label:9} {len(errors):4} rows: mean error {errors.mean():+.2f}, "
            f"RMS {np.sqrt((errors**2).mean()):.2f}; scores 60-90: "
            f"RMS {np.sqrt((near**2).mean()):.2f}, "
            f"over-estimates > 2: {(near > 2).sum()} of {len(near)}"
        )


def _distance(score):
    """Invert SSIMULACRA2's final mapping: 100 - 10 * d ** EXPONENT."""
    return (max(100.0 - score, 0.0) / 10.0) ** (1 / autoquality.EXPONENT)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "fit"
    if command == "collect":
        collect()
    else:
        fit(sys.argv[2] if len(sys.argv) > 2 else "proxy")
