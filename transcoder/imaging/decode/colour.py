"""Bring any decoded pixels to 8-bit sRGB, RGB or RGBA, once.

No Django. The engine calls ``to_srgb`` after decoding and turning the image
upright; everything downstream (resize, encode) sees only RGB or RGBA.
"""

import functools
import io
import logging

from PIL import Image, ImageCms

logger = logging.getLogger(__name__)

_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N")


def to_srgb(image: Image.Image) -> Image.Image:
    """Return ``image`` as 8-bit sRGB, RGB or RGBA, with no metadata."""
    icc = image.info.get("icc_profile")
    if image.mode == "I" or image.mode in _SIXTEEN_BIT:
        image = _to_8bit(image)
    elif image.mode == "F":
        image = _float_to_8bit(image)
    elif image.mode in ("P", "PA") or "transparency" in image.info:
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    elif image.mode == "1":
        image = image.convert("L")
    elif image.mode in ("La", "RGBa"):
        image = image.convert(image.mode[:-1] + "A")
    if image.mode == "RGBA" and not icc:
        # Nothing to convert: keep the pixels, unless the alpha is all opaque.
        if image.getchannel("A").getextrema() == (255, 255):
            image = opaque_as_rgb(image)
        image.info = {}
        return image
    alpha = None
    if image.mode in ("LA", "RGBA"):
        alpha = image.getchannel("A")
        if alpha.getextrema() == (255, 255):
            # A fully opaque alpha channel only costs bytes downstream.
            alpha = None
        image = image.convert(image.mode[:-1])
    if icc:
        image = _apply_profile(image, icc)
    if image.mode != "RGB":
        image = image.convert("RGB")
    if alpha is not None:
        image.putalpha(alpha)
    image.info = {}
    return image


def flatten(image: Image.Image, background="#ffffff") -> Image.Image:
    """Return ``image`` as RGB, any transparency laid on ``background``.

    How a page shows it: what a JPEG rendition and SSIMULACRA2 see.
    """
    if image.mode == "RGB":
        return image
    if "A" in image.mode.upper() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, background)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def opaque_as_rgb(image: Image.Image) -> Image.Image:
    """Return an RGBA image whose alpha is all 255 as RGB, sharing its pixels.

    Pillow keeps RGB in four bytes a pixel, the fourth unused: an all-opaque
    RGBA image already is an RGB one byte for byte, and reading it as such
    through the Arrow interface saves a full-size copy (on a 15 MP PNG, 53 ms
    of CPU and 59 MB). Pixels in more than one block (the engine's blocks
    hold any image its limits allow, see ``resize.memory.use_returnable_memory``)
    cannot be shared, and are converted.
    """
    try:
        return Image.fromarrow(image, "RGB", image.size)
    except ValueError:
        return image.convert("RGB")


def _to_8bit(image: Image.Image) -> Image.Image:
    """Scale 16-bit greyscale to 8 bits; Pillow's convert would clip it."""
    sixteen_bit = image.mode != "I" or image.getextrema()[1] > 255
    image = image.convert("I")
    if sixteen_bit:
        image = image.point(lambda value: value * (1 / 256))
    return image.convert("L")


def _float_to_8bit(image: Image.Image) -> Image.Image:
    """Scale floating-point greyscale to 8 bits.

    Float TIFFs usually hold 0.0-1.0; Pillow's convert would make them black.
    Values already on the 0-255 scale are kept.
    """
    low, high = image.getextrema()
    if high <= 1.0:
        image = image.point(lambda value: value * 255)
    return image.convert("L")


def _apply_profile(image: Image.Image, icc: bytes) -> Image.Image:
    """Convert ``image`` from its embedded ICC profile to sRGB, if usable."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        description = ImageCms.getProfileDescription(profile) or ""
        if image.mode == "RGB" and "srgb" in description.lower():
            return image
        return ImageCms.profileToProfile(
            image, profile, _srgb_profile(), outputMode="RGB"
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
        # A broken profile must not cost the editor the upload.
        logger.info("Ignoring an unusable ICC profile: %s", exc)
        return image


@functools.cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    """Return the sRGB profile that every output is converted to."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
