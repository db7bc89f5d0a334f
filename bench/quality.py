"""Bytes and PSNR per rendition kind, for the engine, pyvips and plain Pillow.

PSNR is measured against a LANCZOS resize of the full-size, upright, sRGB
decode with the same crop box (alpha flattened onto white, as a page shows
it), so a draft decode or a cascade that loses detail shows up here.
"""

import io

from PIL import Image, ImageOps

from bench import workload
from bench.reference import naive_render, psnr, vips_cascaded, vips_direct
from transcoder.imaging import engine
from transcoder.imaging.decode.colour import to_srgb

RECIPES = {
    "engine": lambda data, specs: [
        o.data for o in engine.render(data, specs, workload.LIMITS)
    ],
    "pyvips": vips_cascaded,
    "direct": vips_direct,
    "naive": naive_render,
}


def measure(paths):
    """Return {kind: {recipe: (bytes, [psnr per photo])}} over ``paths``."""
    specs = workload.workload(avif=True)
    kinds = [kind for kind, _ in workload.WORKLOAD]
    figures = {kind: {name: [0, []] for name in RECIPES} for kind in kinds}
    for path in paths:
        data = path.read_bytes()
        full = to_srgb(ImageOps.exif_transpose(Image.open(io.BytesIO(data))))
        premultiplied = full.convert("RGBa") if full.mode == "RGBA" else full
        references = []
        for spec in specs:
            target = spec.target_size(*full.size)
            box = engine.crop_box(spec, target, *full.size)
            ref = premultiplied.resize(target, Image.Resampling.LANCZOS, box=box)
            references.append(ref.convert("RGBA") if ref.mode == "RGBa" else ref)
        for name, render in RECIPES.items():
            for kind, blob, ref in zip(
                kinds, render(data, specs), references, strict=True
            ):
                figures[kind][name][0] += len(blob)
                figures[kind][name][1].append(psnr(blob, ref))
    return figures


def quality_table(paths):
    """Print bytes and mean PSNR per rendition kind, each recipe vs cascaded pyvips."""
    figures = measure(paths)
    others = ("engine", "direct", "naive")
    print("-- bytes and PSNR per rendition kind (sum of bytes, mean PSNR in dB)")
    print("   against pyvips cascaded; direct: pyvips not cascaded; naive: Pillow")
    print(
        f"   {'kind':24} {'pyvips KB':>9} "
        + " ".join(f"{n:>7}" for n in others)
        + f" {'pyvips dB':>9} "
        + " ".join(f"{n + ' Δ':>8}" for n in others)
    )
    for kind, by in figures.items():
        vips_bytes = by["pyvips"][0]
        vips_db = sum(by["pyvips"][1]) / len(by["pyvips"][1])
        row = [f"   {kind:24} {vips_bytes / 1024:9.0f}"]
        for name in others:
            row.append(f"{by[name][0] / vips_bytes:6.3f}x")
        row.append(f"{vips_db:9.2f}")
        for name in others:
            db = sum(by[name][1]) / len(by[name][1])
            row.append(f"{db - vips_db:+8.2f}")
        print(" ".join(row))
