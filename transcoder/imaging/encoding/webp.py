"""Encode a still lossy WebP through libwebp's own API, with sharp YUV if asked.

No Django. Pillow's WebP plugin has no way to ask libwebp for its sharp
RGB to YUV conversion (``use_sharp_yuv``, cwebp's ``-sharp_yuv``): it
averages each 2x2 block's chroma in gamma space, which darkens and blurs
edges between saturated colours, and SSIMULACRA2 weighs that heavily. This
module calls the libwebp Pillow ships (``decode.webp.library``) through its
advanced API with Pillow's settings, so that without sharp YUV its bytes are
Pillow's (a test holds it to that). Anything this cannot do returns ``None``
and the caller uses Pillow's plugin.

The structures are libwebp's public encoder ABI (major version 2, which
1.x keeps; ``use_sharp_yuv`` since 1.0.3 fills what was padding).
"""

import ctypes

from PIL import Image

from transcoder.imaging.decode import webp as webp_decode

# encode.h: WEBP_ENCODER_ABI_VERSION whose major byte libwebp 1.x checks.
ENCODER_ABI = 0x020F
WEBP_PRESET_DEFAULT = 0


class _Config(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_float if name in ("quality", "target_PSNR") else ctypes.c_int)
        for name in (
            "lossless", "quality", "method", "image_hint", "target_size",
            "target_PSNR", "segments", "sns_strength", "filter_strength",
            "filter_sharpness", "filter_type", "autofilter", "alpha_compression",
            "alpha_filtering", "alpha_quality", "pass_", "show_compressed",
            "preprocessing", "partitions", "partition_limit", "emulate_jpeg_size",
            "thread_level", "low_memory", "near_lossless", "exact",
            "use_delta_palette", "use_sharp_yuv", "qmin", "qmax",
        )
    ]  # fmt: skip


class _MemoryWriter(ctypes.Structure):
    _fields_ = [
        ("mem", ctypes.c_void_p),
        ("size", ctypes.c_size_t),
        ("max_size", ctypes.c_size_t),
        ("pad", ctypes.c_uint32 * 1),
    ]


class _Picture(ctypes.Structure):
    _fields_ = [
        ("use_argb", ctypes.c_int),
        ("colorspace", ctypes.c_int),
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("y", ctypes.c_void_p), ("u", ctypes.c_void_p), ("v", ctypes.c_void_p),
        ("y_stride", ctypes.c_int), ("uv_stride", ctypes.c_int),
        ("a", ctypes.c_void_p), ("a_stride", ctypes.c_int),
        ("pad1", ctypes.c_uint32 * 2),
        ("argb", ctypes.c_void_p), ("argb_stride", ctypes.c_int),
        ("pad2", ctypes.c_uint32 * 3),
        ("writer", ctypes.c_void_p), ("custom_ptr", ctypes.c_void_p),
        ("extra_info_type", ctypes.c_int), ("extra_info", ctypes.c_void_p),
        ("stats", ctypes.c_void_p),
        ("error_code", ctypes.c_int),
        ("progress_hook", ctypes.c_void_p),
        ("user_data", ctypes.c_void_p),
        ("pad3", ctypes.c_uint32 * 3),
        ("pad4", ctypes.c_void_p), ("pad5", ctypes.c_void_p),
        ("pad6", ctypes.c_uint32 * 8),
        ("memory_", ctypes.c_void_p), ("memory_argb_", ctypes.c_void_p),
        ("pad7", ctypes.c_void_p * 2),
    ]  # fmt: skip


def _library() -> ctypes.CDLL | None:
    lib = webp_decode.library()
    if lib is None or not hasattr(lib, "WebPEncode"):
        return None
    return lib


def available() -> bool:
    """Tell whether ``encode`` can work here (else it returns ``None``)."""
    return _library() is not None


def encode(
    image: Image.Image, quality: int, method: int, *, sharp_yuv: bool = False
) -> bytes | None:
    """Encode an RGB or RGBA ``image`` as a lossy WebP, or return ``None``.

    ``quality`` and ``method`` mean what they mean to Pillow's plugin.
    Errors from libwebp itself are raised as ``OSError``.
    """
    lib = _library()
    if lib is None or image.mode not in ("RGB", "RGBA"):
        return None
    config = _Config()
    if not lib.WebPConfigInitInternal(
        ctypes.byref(config), WEBP_PRESET_DEFAULT, ctypes.c_float(quality), ENCODER_ABI
    ):
        return None  # a libwebp of another ABI
    config.method = method
    config.use_sharp_yuv = int(sharp_yuv)
    if not lib.WebPValidateConfig(ctypes.byref(config)):
        raise ValueError(f"libwebp refused quality {quality}, method {method}")
    picture = _Picture()
    if not lib.WebPPictureInitInternal(ctypes.byref(picture), ENCODER_ABI):
        return None
    picture.width, picture.height = image.size
    picture.use_argb = 1  # libwebp converts to YUV itself, sharp if asked
    writer = _MemoryWriter()
    lib.WebPMemoryWriterInit(ctypes.byref(writer))
    pixels = image.tobytes()
    channels = len(image.mode)
    importer = lib.WebPPictureImportRGBA if channels == 4 else lib.WebPPictureImportRGB
    try:
        if not importer(
            ctypes.byref(picture), ctypes.c_char_p(pixels), image.width * channels
        ):
            raise MemoryError("libwebp could not import the picture")
        del pixels
        picture.writer = ctypes.cast(lib.WebPMemoryWrite, ctypes.c_void_p)
        picture.custom_ptr = ctypes.addressof(writer)
        if not lib.WebPEncode(ctypes.byref(config), ctypes.byref(picture)):
            raise OSError(f"libwebp could not encode (error {picture.error_code})")
        return ctypes.string_at(writer.mem, writer.size)
    finally:
        lib.WebPPictureFree(ctypes.byref(picture))
        lib.WebPMemoryWriterClear(ctypes.byref(writer))
