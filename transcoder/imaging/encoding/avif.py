"""Encode AVIF through the libavif that Pillow ships, with a precise RGB to YUV step.

No Django. Pillow's AVIF plugin hands RGB to libavif with the default
conversion settings, so libavif converts to 8-bit YUV with libyuv: 7-bit
fixed-point coefficients, truncated. That costs about 0.5 dB PSNR at every
quality (libheif, which libvips uses, converts exactly). Pillow has no option
to change it. This module calls the same libavif (the copy Pillow bundles and
has already loaded, as ``decode.webp`` does for libwebp) with the same encoder
settings as Pillow, and asks libavif for its own exact conversion instead of
libyuv's. The file is the same kind of AVIF as Pillow's: 8-bit, full range,
BT.601 matrix, sRGB (CICP 1/13/6), with alpha where the image has it.

The structures below are libavif's public ABI (soname 16, libavif 1.x); the
library is used only if its soname and version say so. Anything this cannot
do returns ``None`` and the caller uses Pillow's plugin.
"""

import ctypes
import functools
import io
import logging
import os
import re

from PIL import Image

logger = logging.getLogger(__name__)

# avif.h (libavif 1.x) values used here.
AVIF_RESULT_OK = 0
AVIF_PIXEL_FORMAT_YUV444 = 1
AVIF_PIXEL_FORMAT_YUV420 = 3
AVIF_RANGE_FULL = 1
AVIF_COLOR_PRIMARIES_BT709 = 1
AVIF_TRANSFER_CHARACTERISTICS_SRGB = 13
AVIF_MATRIX_COEFFICIENTS_BT601 = 6
AVIF_RGB_FORMAT_RGB = 0
AVIF_RGB_FORMAT_RGBA = 1
AVIF_CHROMA_DOWNSAMPLING_AUTOMATIC = 0
AVIF_CHROMA_DOWNSAMPLING_AVERAGE = 3
AVIF_CHROMA_DOWNSAMPLING_SHARP_YUV = 4
AVIF_SPEED_SLOWEST, AVIF_SPEED_FASTEST = 0, 10
# libavif 1.x keeps its ABI (soname 16); 1.2 is the oldest measured here.
MIN_MINOR = 2

# How the chroma planes are made from RGB (``encode(downsampling=...)``):
#   "exact":  libavif's own conversion, floating point, 2x2 average (the default)
#   "sharp":  libsharpyuv (bundled in libavif), iterative; 4:2:0 only
#   "libyuv": libavif's default, what Pillow's plugin does
DOWNSAMPLING = {
    "exact": (AVIF_CHROMA_DOWNSAMPLING_AVERAGE, True),
    "sharp": (AVIF_CHROMA_DOWNSAMPLING_SHARP_YUV, True),
    "libyuv": (AVIF_CHROMA_DOWNSAMPLING_AUTOMATIC, False),
}


class _RWData(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("size", ctypes.c_size_t)]


class _Image(ctypes.Structure):
    """The leading fields of ``avifImage``; libavif allocates it (never us)."""

    _fields_ = [
        ("width", ctypes.c_uint32),
        ("height", ctypes.c_uint32),
        ("depth", ctypes.c_uint32),
        ("yuvFormat", ctypes.c_int),
        ("yuvRange", ctypes.c_int),
        ("yuvChromaSamplePosition", ctypes.c_int),
        ("yuvPlanes", ctypes.c_void_p * 3),
        ("yuvRowBytes", ctypes.c_uint32 * 3),
        ("imageOwnsYUVPlanes", ctypes.c_int),
        ("alphaPlane", ctypes.c_void_p),
        ("alphaRowBytes", ctypes.c_uint32),
        ("imageOwnsAlphaPlane", ctypes.c_int),
        ("alphaPremultiplied", ctypes.c_int),
        ("icc", _RWData),
        ("colorPrimaries", ctypes.c_uint16),
        ("transferCharacteristics", ctypes.c_uint16),
        ("matrixCoefficients", ctypes.c_uint16),
    ]


class _RGBImage(ctypes.Structure):
    """``avifRGBImage``, whole: the caller owns it."""

    _fields_ = [
        ("width", ctypes.c_uint32),
        ("height", ctypes.c_uint32),
        ("depth", ctypes.c_uint32),
        ("format", ctypes.c_int),
        ("chromaUpsampling", ctypes.c_int),
        ("chromaDownsampling", ctypes.c_int),
        ("avoidLibYUV", ctypes.c_int),
        ("ignoreAlpha", ctypes.c_int),
        ("alphaPremultiplied", ctypes.c_int),
        ("isFloat", ctypes.c_int),
        ("maxThreads", ctypes.c_int),
        ("pixels", ctypes.c_void_p),
        ("rowBytes", ctypes.c_uint32),
    ]


class _Encoder(ctypes.Structure):
    """The leading settings of ``avifEncoder``; libavif allocates it."""

    _fields_ = [
        ("codecChoice", ctypes.c_int),
        ("maxThreads", ctypes.c_int),
        ("speed", ctypes.c_int),
        ("keyframeInterval", ctypes.c_int),
        ("timescale", ctypes.c_uint64),
        ("repetitionCount", ctypes.c_int),
        ("extraLayerCount", ctypes.c_uint32),
        ("quality", ctypes.c_int),
        ("qualityAlpha", ctypes.c_int),
        ("minQuantizer", ctypes.c_int),
        ("maxQuantizer", ctypes.c_int),
        ("minQuantizerAlpha", ctypes.c_int),
        ("maxQuantizerAlpha", ctypes.c_int),
        ("tileRowsLog2", ctypes.c_int),
        ("tileColsLog2", ctypes.c_int),
        ("autoTiling", ctypes.c_int),
    ]


def _declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    """Give the functions used here their C signatures."""
    image_p, encoder_p = ctypes.POINTER(_Image), ctypes.POINTER(_Encoder)
    rgb_p, data_p = ctypes.POINTER(_RGBImage), ctypes.POINTER(_RWData)
    u32, c_int = ctypes.c_uint32, ctypes.c_int
    signatures = {
        "avifVersion": (ctypes.c_char_p, []),
        "avifResultToString": (ctypes.c_char_p, [c_int]),
        "avifImageCreate": (image_p, [u32, u32, u32, c_int]),
        "avifImageDestroy": (None, [image_p]),
        "avifRGBImageSetDefaults": (None, [rgb_p, image_p]),
        "avifImageRGBToYUV": (c_int, [image_p, rgb_p]),
        "avifEncoderCreate": (encoder_p, []),
        "avifEncoderDestroy": (None, [encoder_p]),
        "avifEncoderSetCodecSpecificOption": (
            c_int, [encoder_p, ctypes.c_char_p, ctypes.c_char_p]
        ),
        "avifEncoderWrite": (c_int, [encoder_p, image_p, data_p]),
        "avifRWDataFree": (None, [data_p]),
    }  # fmt: skip
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype, function.argtypes = restype, argtypes
    return lib


@functools.cache
def _libavif() -> ctypes.CDLL | None:
    """Return the libavif that Pillow's AVIF plugin uses, if it is the 1.x ABI.

    Opening Pillow's own extension module finds the library it links (the
    copy in ``pillow.libs`` in the wheels), already loaded, on any platform.
    """
    try:
        from PIL import _avif
    except ImportError:
        logger.info("Pillow has no AVIF support; AVIF encodes use its plugin")
        return None
    try:
        lib = _declare(ctypes.CDLL(_avif.__file__))
        version = lib.avifVersion().decode("ascii", "replace")
    except (OSError, AttributeError) as exc:
        logger.info(
            "libavif not reachable through ctypes (%s); using Pillow's plugin", exc
        )
        return None
    match = re.match(r"(\d+)\.(\d+)\.", version)
    if match and int(match[1]) == 1 and int(match[2]) >= MIN_MINOR:
        return lib
    logger.info(
        "libavif %s is not the 1.x ABI this expects; using Pillow's plugin", version
    )
    return None


# An 8x8 image whose JPEG encode ends the thread's dirty vector state (settle).
_SETTLE = Image.new("RGB", (8, 8))


def settle() -> None:
    """Leave the calling thread's vector registers as SSE code needs them.

    An AVIF encode (libaom) leaves its thread slow at SSE code, by every
    sign the upper halves of the AVX registers left in use (no
    ``vzeroupper``): here glibc's ``powf`` (auto-quality's cube root) ran 23x
    slower and Pillow's resize 1.5x slower on that thread, until it ran code
    that clears them (libjpeg-turbo's and dav1d's AVX2 code do). An 8x8 JPEG
    encode, about 40 us, is the cheapest such call Pillow offers;
    docs/benchmarks.md ("Vector state after AVIF") has the figures.
    """
    _SETTLE.save(io.BytesIO(), "JPEG")


def available() -> bool:
    """Tell whether ``encode`` can work here (else it returns ``None``)."""
    return _libavif() is not None


def default_threads() -> int:
    """Return the encoder threads Pillow's plugin would use: the usable CPUs."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def encode(
    image: Image.Image,
    quality: int,
    speed: int,
    *,
    subsampling: str = "4:2:0",
    downsampling: str = "exact",
    max_threads: int | None = None,
    options: dict[str, str] | None = None,
) -> bytes | None:
    """Encode an RGB or RGBA ``image`` as AVIF, or return ``None`` if this cannot.

    ``quality`` (0-100) and ``speed`` (0-10) mean what they mean to Pillow's
    plugin; ``options`` are aom's own (``advanced`` in Pillow). Errors from
    libavif itself are raised as ``OSError``.
    """
    lib = _libavif()
    if lib is None or image.mode not in ("RGB", "RGBA"):
        return None
    if not 0 <= quality <= 100:
        raise ValueError("AVIF quality must be 0-100")
    chroma, avoid_libyuv = DOWNSAMPLING[downsampling]
    yuv_format = {"4:2:0": AVIF_PIXEL_FORMAT_YUV420, "4:4:4": AVIF_PIXEL_FORMAT_YUV444}[
        subsampling
    ]
    width, height = image.size
    channels = len(image.mode)
    pixels = image.tobytes()
    avif_image = lib.avifImageCreate(width, height, 8, yuv_format)
    encoder = lib.avifEncoderCreate()
    output = _RWData()
    try:
        if not avif_image or not encoder:
            raise MemoryError("libavif could not allocate an image or encoder")
        fields = avif_image.contents
        fields.yuvRange = AVIF_RANGE_FULL
        fields.colorPrimaries = AVIF_COLOR_PRIMARIES_BT709
        fields.transferCharacteristics = AVIF_TRANSFER_CHARACTERISTICS_SRGB
        fields.matrixCoefficients = AVIF_MATRIX_COEFFICIENTS_BT601
        rgb = _RGBImage()
        lib.avifRGBImageSetDefaults(ctypes.byref(rgb), avif_image)
        rgb.format = AVIF_RGB_FORMAT_RGBA if channels == 4 else AVIF_RGB_FORMAT_RGB
        rgb.chromaDownsampling = chroma
        rgb.avoidLibYUV = int(avoid_libyuv)
        # libavif only reads the pixels, and only during this call.
        rgb.pixels = ctypes.cast(ctypes.c_char_p(pixels), ctypes.c_void_p)
        rgb.rowBytes = width * channels
        _check(lib, lib.avifImageRGBToYUV(avif_image, ctypes.byref(rgb)), "convert")
        del pixels  # the YUV planes hold the image now
        settings = encoder.contents
        settings.maxThreads = max(1, min(64, max_threads or default_threads()))
        settings.speed = max(AVIF_SPEED_SLOWEST, min(AVIF_SPEED_FASTEST, speed))
        settings.quality = quality
        settings.timescale = 1000
        settings.autoTiling = 1
        for key, value in (options or {}).items():
            result = lib.avifEncoderSetCodecSpecificOption(
                encoder, key.encode(), value.encode()
            )
            _check(lib, result, f"set {key}")
        _check(
            lib,
            lib.avifEncoderWrite(encoder, avif_image, ctypes.byref(output)),
            "encode",
        )
        return ctypes.string_at(output.data, output.size)
    finally:
        if output.data:
            lib.avifRWDataFree(ctypes.byref(output))
        if encoder:
            lib.avifEncoderDestroy(encoder)
        if avif_image:
            lib.avifImageDestroy(avif_image)


def _check(lib: ctypes.CDLL, result: int, what: str) -> None:
    if result != AVIF_RESULT_OK:
        message = lib.avifResultToString(result).decode("ascii", "replace")
        raise OSError(f"libavif could not {what}: {message}")
