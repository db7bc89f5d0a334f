"""The recipes the engine is measured against: pyvips cascaded, pyvips from the
full decode (the old reference) and plain Pillow.

pyvips ships with the app now (the engine resizes through it,
``transcoder/imaging/resize/libvips.py``), but the engine never lets it load a file;
these recipes decode with it, so ``_vips`` unblocks its loaders in the
benchmark's own processes. Every recipe makes the same geometry as the engine
(``RenditionSpec.target_size`` and ``engine.crop_box``) so that bytes and PSNR
compare like with like, and uses matched encoder settings: JPEG optimized and
progressive, WebP effort 4, AVIF effort 3 (aom speed 6).

``vips_cascaded`` is the reference: it does the engine's work the libvips way.
One decode, shrunk on load for JPEG exactly as far as the engine's draft;
alpha dropped when it is all opaque, premultiplied once when it is not; then
``cascade.plan``'s own steps, each resized from the same parent as the
engine's (the decode or the nearest larger whole-frame output, the 1.5 rule),
with LANCZOS3 and the same reducing gap; each output that others are resized
from is kept in memory, the rest stream into their encoder. ``set_threads``
gives libvips the engine's thread budget.
"""

import io
import math
import os

from PIL import Image, ImageOps

from transcoder.imaging.decode.colour import flatten as _flat  # onto white by default
from transcoder.imaging.engine import crop_box
from transcoder.imaging.resize import cascade

VIPS_AVIF_EFFORT = 3
VIPS_WEBP_EFFORT = 4


def set_threads(threads: int) -> None:
    """Give libvips ``threads`` worker threads per pipeline (VIPS_CONCURRENCY).

    Call it before the first render of a process: the environment variable
    is read when libvips starts, ``concurrency_set`` covers a started one.
    """
    os.environ["VIPS_CONCURRENCY"] = str(threads)
    import pyvips

    pyvips.concurrency_set(threads)


def _vips():
    import pyvips

    pyvips.cache_set_max(0)  # each photo is seen once; keep memory honest
    # The engine blocks libvips' loaders (only Pillow parses uploads); the
    # reference decodes with them, in the benchmark's processes only.
    pyvips.operation_block_set("VipsForeignLoad", False)
    return pyvips


def vips_cascaded(data: bytes, specs) -> list[bytes]:
    """Decode once with libvips and resize along the engine's own cascade plan."""
    pyvips = _vips()
    probe = pyvips.Image.new_from_buffer(data, "")
    loader = probe.get("vips-loader")
    orientation = probe.get("orientation") if probe.get_typeof("orientation") else 1
    turned = orientation in (5, 6, 7, 8)
    stored = (probe.width, probe.height)
    upright = stored[::-1] if turned else stored
    if loader.startswith("jpegload"):
        scale = max((_scale_needed(s, *upright) for s in specs), default=1)
        shrink = 1
        if scale < 1:
            need = (math.ceil(upright[0] * scale), math.ceil(upright[1] * scale))
            shrink = _draft_shrink(stored, need[::-1] if turned else need)
        image = pyvips.Image.jpegload_buffer(data, shrink=shrink, access="sequential")
    else:
        image = pyvips.Image.new_from_buffer(data, "", access="sequential")
    image = _to_srgb(image).copy_memory()  # the one decode
    if orientation != 1:
        image = image.autorot().copy_memory()
    alpha = image.hasalpha()
    if alpha and image.extract_band(image.bands - 1).min() == 255:
        # The engine drops an all-opaque alpha channel too.
        image, alpha = image.extract_band(0, n=image.bands - 1).copy_memory(), False
    if alpha:
        # Like the engine's one RGBa conversion: 8-bit, premultiplied once.
        image = image.premultiply().cast("uchar").copy_memory()
    steps = cascade.plan(specs, upright, (image.width, image.height))
    children = [0] * len(steps)
    for step in steps:
        if step.parent >= 0:
            children[step.parent] += 1
    kept = {}
    outputs = [b""] * len(specs)
    for position, step in enumerate(steps):
        source = image if step.parent < 0 else kept[step.parent]
        out = _vips_resize(source, step.box, step.size)
        if children[position]:
            out = kept[position] = out.copy_memory()
        if step.parent >= 0:
            children[step.parent] -= 1
            if not children[step.parent]:
                del kept[step.parent]  # free it, as the engine does
        if alpha:
            out = out.unpremultiply().cast("uchar")
        outputs[step.index] = _vips_encode(out, step.spec)
    return outputs


def _draft_shrink(stored: tuple[int, int], need: tuple[int, int]) -> int:
    """Return the DCT shrink Pillow's JPEG draft picks for ``need`` pixels."""
    scale = min(stored[0] // need[0], stored[1] // need[1])
    return next(s for s in (8, 4, 2, 1) if scale >= s)


def _to_srgb(image):
    """8-bit sRGB as the engine's colour.to_srgb: an sRGB profile is not applied."""
    if image.get_typeof("icc-profile-data") and not _is_srgb(
        image.get("icc-profile-data")
    ):
        image = image.icc_transform("srgb")
    elif image.interpretation not in ("srgb", "b-w"):
        image = image.colourspace("srgb")
    if image.format != "uchar":
        image = image.cast("uchar")
    return image


def _is_srgb(icc: bytes) -> bool:
    from PIL import ImageCms

    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    except (ImageCms.PyCMSError, OSError):
        return False
    return "srgb" in (ImageCms.getProfileDescription(profile) or "").lower()


def _vips_resize(source, box, size):
    """LANCZOS3-resize ``box`` of ``source`` to ``size``, Pillow's reducing gap."""
    left, top, right, bottom = (round(v) for v in box)
    region = source
    if (left, top, right, bottom) != (0, 0, source.width, source.height):
        region = source.crop(left, top, right - left, bottom - top)
    out = region.resize(
        size[0] / region.width,
        vscale=size[1] / region.height,
        kernel="lanczos3",
        gap=cascade.REDUCING_GAP,
    )
    if (out.width, out.height) != size:
        out = out.crop(0, 0, min(out.width, size[0]), min(out.height, size[1]))
    return out


def vips_direct(data: bytes, specs) -> list[bytes]:
    """The old reference: one libvips decode, every spec resized from it."""
    pyvips = _vips()
    probe = pyvips.Image.new_from_buffer(data, "")
    loader = probe.get("vips-loader")
    width, height = probe.width, probe.height
    turned = probe.get_typeof("orientation") and probe.get("orientation") > 4
    upright = (height, width) if turned else (width, height)
    if loader.startswith("jpegload"):
        # Shrink on load to the largest size any spec needs, like a draft.
        need = max(_scale_needed(spec, *upright) for spec in specs)
        shrink = max([s for s in (1, 2, 4, 8) if 1 / s >= need] or [1])
        image = pyvips.Image.jpegload_buffer(data, shrink=shrink)
    else:
        image = pyvips.Image.new_from_buffer(data, "")
    image = image.autorot()
    if image.get_typeof("icc-profile-data"):
        image = image.icc_transform("srgb")
    elif image.interpretation not in ("srgb", "b-w"):
        image = image.colourspace("srgb")
    if image.format != "uchar":
        image = image.cast("uchar")
    image = image.copy_memory()  # the one decode
    scale_x = image.width / upright[0]
    outputs = []
    for spec in specs:
        target = spec.target_size(*upright)
        left, top, right, bottom = crop_box(spec, target, *upright)
        box = [round(v * scale_x) for v in (left, top, right, bottom)]
        region = image.crop(box[0], box[1], box[2] - box[0], box[3] - box[1])
        alpha = region.hasalpha()
        if alpha:
            region = region.premultiply()
        out = region.resize(
            target[0] / region.width,
            vscale=target[1] / region.height,
            kernel="lanczos3",
        )
        if alpha:
            out = out.unpremultiply().cast("uchar")
        if out.width != target[0] or out.height != target[1]:
            out = out.crop(0, 0, min(out.width, target[0]), min(out.height, target[1]))
        outputs.append(_vips_encode(out, spec))
    return outputs


def _vips_encode(image, spec) -> bytes:
    q = spec.quality
    if spec.format == "jpeg":
        if image.hasalpha():
            background = [int(spec.background[i : i + 2], 16) for i in (1, 3, 5)]
            image = image.flatten(background=background)
        return image.jpegsave_buffer(
            Q=q, optimize_coding=True, interlace=True, keep="none"
        )
    if spec.format == "webp":
        return image.webpsave_buffer(Q=q, effort=VIPS_WEBP_EFFORT, keep="none")
    if spec.format == "avif":
        return image.heifsave_buffer(
            Q=q, compression="av1", effort=VIPS_AVIF_EFFORT, keep="none"
        )
    return image.pngsave_buffer(keep="none")


def _scale_needed(spec, width, height) -> float:
    target = spec.target_size(width, height)
    left, top, right, bottom = crop_box(spec, target, width, height)
    return max(target[0] / (right - left), target[1] / (bottom - top))


def naive_render(data: bytes, specs) -> list[bytes]:
    """Decode once with plain Pillow and resize every spec from the full image."""
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    outputs = []
    for spec in specs:
        target = spec.target_size(*image.size)
        box = crop_box(spec, target, *image.size)
        out = image.resize(target, Image.Resampling.LANCZOS, box=box)
        outputs.append(_pillow_encode(out, spec))
    return outputs


def _pillow_encode(image, spec) -> bytes:
    """Encode with the settings the engine used before it was tuned."""
    if spec.format == "jpeg" and image.mode == "RGBA":
        image = _flat(image, spec.background)
    q = spec.quality
    options = {
        "jpeg": dict(quality=q, optimize=True, progressive=True),
        "webp": dict(quality=q, method=4),
        "avif": dict(quality=q, speed=7),
        "png": dict(optimize=True),
    }[spec.format]
    buffer = io.BytesIO()
    image.save(buffer, spec.format.upper(), **options)
    return buffer.getvalue()


def psnr(output: bytes, reference: Image.Image) -> float:
    """Return the PSNR in dB of an encoded output against a reference image."""
    from PIL import ImageChops, ImageStat

    image = Image.open(io.BytesIO(output))
    image = _flat(image)
    reference = _flat(reference)
    if image.size != reference.size:
        reference = reference.resize(image.size, Image.Resampling.LANCZOS)
    diff = ImageChops.difference(image, reference)
    mse = sum(v * v for v in ImageStat.Stat(diff).rms) / 3
    return 99.0 if mse == 0 else 10 * math.log10(255 * 255 / mse)


def lanczos_reference(data: bytes, spec) -> Image.Image:
    """Return the spec resized with LANCZOS from the full-size upright decode."""
    from transcoder.imaging.decode.colour import to_srgb

    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    image = to_srgb(image)
    target = spec.target_size(*image.size)
    box = crop_box(spec, target, *image.size)
    if image.mode == "RGBA":
        return (
            image.convert("RGBa")
            .resize(target, Image.Resampling.LANCZOS, box=box)
            .convert("RGBA")
        )
    return image.resize(target, Image.Resampling.LANCZOS, box=box)
