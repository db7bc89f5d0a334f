"""Decode a still WebP straight into the image's own memory.

No Django. Pillow decodes WebP through libwebp's animation decoder, which
keeps two canvases of the whole image and hands back a third copy as bytes
before Pillow copies it into the image: four times the pixels, about 800 MB
for a 50 MP photo. Calling libwebp's simple decoder (the copy Pillow ships
and has already loaded) into one buffer that the image then shares needs
the pixels once. Anything this cannot do (animations, a libwebp it cannot
find, data libwebp refuses) returns ``None`` and the caller uses Pillow.
"""

import ctypes
import ctypes.util
import functools
import logging
from pathlib import Path

import PIL
from PIL import Image

logger = logging.getLogger(__name__)


@functools.cache
def library() -> ctypes.CDLL | None:
    """Return libwebp through ctypes, preferring the one bundled with Pillow."""
    bundled = Path(PIL.__file__).resolve().parent.parent / "pillow.libs"
    candidates = sorted(bundled.glob("libwebp-*.so*")) if bundled.is_dir() else []
    names = [str(p) for p in candidates] + [ctypes.util.find_library("webp")]
    for name in filter(None, names):
        try:
            lib = ctypes.CDLL(name)
            decode = lib.WebPDecodeRGBAInto
        except (OSError, AttributeError):
            continue
        decode.restype = ctypes.c_void_p
        decode.argtypes = [
            ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t,
            ctypes.c_int,
        ]  # fmt: skip
        return lib
    logger.info("libwebp not found through ctypes; WebP uses Pillow's paths")
    return None


def decode_still(data: bytes, size: tuple[int, int]) -> Image.Image | None:
    """Return the still WebP ``data`` of ``size`` as an RGBA image, or ``None``."""
    lib = library()
    if lib is None:
        return None
    width, height = size
    stride = width * 4
    buffer = bytearray(stride * height)
    target = (ctypes.c_char * len(buffer)).from_buffer(buffer)
    if not lib.WebPDecodeRGBAInto(data, len(data), target, len(buffer), stride):
        return None  # animated, damaged or unsupported: Pillow says which
    del target  # the image below must own the only view of the buffer
    return Image.frombuffer("RGBA", size, buffer, "raw", "RGBA", 0, 1)
