"""The two recipes the engine is measured against: pyvips chained, and plain Pillow.

pyvips is a benchmark-only dependency (``requirements/bench.txt``); it never
ships in the Lambda zip. Both recipes make the same geometry as the engine
(``RenditionSpec.target_size`` and ``engine.crop_box``) so that bytes and PSNR
compare like with like, and use matched encoder settings: JPEG optimized and
progressive, WebP effort 4, AVIF effort 3 (aom speed 6).
"""

import io
import math

from PIL import Image, ImageOps

from transcoder.imaging.engine import crop_box

VIPS_AVIF_EFFORT = 3
VIPS_WEBP_EFFORT = 4


def _vips():
    import pyvips

    pyvips.cache_set_max(0)  # each photo is seen once; keep memory honest
    return pyvips


def vips_render(data: bytes, specs) -> list[bytes]:
    """Decode once with libvips, then chain every spec from that decode."""
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
        flat = Image.new("RGB", image.size, spec.background)
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
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


def _flat(image: Image.Image) -> Image.Image:
    """Flatten onto white, as a page shows it, and return RGB."""
    image = image.convert("RGBA")
    flat = Image.new("RGB", image.size, (255, 255, 255))
    flat.paste(image, mask=image.getchannel("A"))
    return flat


def lanczos_reference(data: bytes, spec) -> Image.Image:
    """Return the spec resized with LANCZOS from the full-size upright decode."""
    from transcoder.imaging.colour import to_srgb

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
