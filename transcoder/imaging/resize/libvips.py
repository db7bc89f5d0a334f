"""Resize Pillow images in libvips: LANCZOS3, vectorised, the pixels shared.

No Django. Pillow decodes and encodes: its limits, sniffing, orientation,
colour handling and encoders stay as they are. Only the resizes run in
libvips, whose LANCZOS3 reduce is vectorised (Highway) where Pillow 13's
resampler is scalar C; on the benchmark photos Pillow's resizes cost 2.8 to
3.6 times libvips' CPU, the whole gap between the engine and libvips
(docs/benchmarks.md).

libvips parses one kind of file here, plain 8-bit PNGs that Pillow has
sniffed and checked (``decode_png``, see ``decode.png``); its other loaders are
blocked. It reads Pillow's pixels in place, through the Arrow C interface
Pillow exports (an image in one block of memory), and writes each output
into a new Pillow image's memory the same way.
"""

import ctypes
import functools

from PIL import Image

# Pillow's raw mode of each mode's pixels as stored, and so as libvips reads
# and writes them. RGB is kept in four bytes a pixel, the fourth padding (255):
# resizing it with the rest measured a third faster than dropping it first
# (a 3840 px PNG to 1920 px, one thread: 26 against 40 ms of CPU; Pillow 105).
_RAW = {"RGB": "RGBX", "RGBA": "RGBA", "RGBa": "RGBa", "RGBX": "RGBX", "L": "L"}


class _ArrowSchema(ctypes.Structure):
    pass


class _ArrowArray(ctypes.Structure):
    pass


# The Arrow C data interface's two structs (arrow.apache.org, a stable ABI).
_ArrowSchema._fields_ = [
    ("format", ctypes.c_char_p),
    ("name", ctypes.c_char_p),
    ("metadata", ctypes.c_char_p),
    ("flags", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("children", ctypes.POINTER(ctypes.POINTER(_ArrowSchema))),
    ("dictionary", ctypes.c_void_p),
    ("release", ctypes.c_void_p),
    ("private_data", ctypes.c_void_p),
]
_ArrowArray._fields_ = [
    ("length", ctypes.c_int64),
    ("null_count", ctypes.c_int64),
    ("offset", ctypes.c_int64),
    ("n_buffers", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("buffers", ctypes.POINTER(ctypes.c_void_p)),
    ("children", ctypes.POINTER(ctypes.POINTER(_ArrowArray))),
    ("dictionary", ctypes.c_void_p),
    ("release", ctypes.c_void_p),
    ("private_data", ctypes.c_void_p),
]
_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


@functools.cache
def _setup():
    """Import and configure libvips once per process; return pyvips.

    Imported on the first resize, not with the engine: loading libvips takes
    30 ms, which the web requests of a cold Lambda never need.
    """
    import pyvips

    # Every image is seen once: cached operations would only hold memory.
    pyvips.cache_set_max(0)
    pyvips.cache_set_max_mem(0)
    pyvips.cache_set_max_files(0)
    block_loaders(pyvips)
    # pyvips passes every libvips message to Python logging, info included: a
    # few a resize, each taking the GIL from a libvips worker thread. Only
    # warnings and errors still do (pyvips 3.2's own handler, re-registered);
    # GLib drops the rest.
    flags = pyvips.GLogLevelFlags
    pyvips._remove_log_handler()
    pyvips._log_handler_id = pyvips.glib_lib.g_log_set_handler(
        b"VIPS",
        flags.LEVEL_WARNING
        | flags.LEVEL_CRITICAL
        | flags.LEVEL_ERROR
        | flags.FLAG_FATAL
        | flags.FLAG_RECURSION,
        pyvips._log_handler_cb,
        pyvips.ffi.NULL,
    )
    return pyvips


def block_loaders(pyvips) -> None:
    """Block every libvips loader but libspng's from memory.

    Untrusted bytes are parsed by Pillow behind the engine's checks only, but
    for the PNGs ``decode_png`` is given. Call it again after unblocking.
    """
    pyvips.operation_block_set("VipsForeignLoad", True)
    pyvips.operation_block_set("VipsForeignLoadPngBuffer", False)


def use_threads(threads: int) -> None:
    """Let each libvips resize run on ``threads`` threads (the engine's budget)."""
    _setup().concurrency_set(max(1, threads))


def resize(
    source: Image.Image,
    size: tuple[int, int],
    box: tuple[float, float, float, float],
    reducing_gap: float,
) -> Image.Image:
    """LANCZOS3-resize ``box`` of ``source`` to ``size``; a new image, same mode.

    Like Pillow's ``reducing_gap``, a large reduction first shrinks by a
    whole factor (a box filter) while the rest stays at least that factor.
    The box is rounded to whole pixels, as libvips crops.
    """
    pyvips = _setup()
    if source.mode not in _RAW:
        raise ValueError(f"libvips resizes no {source.mode} images here.")
    image = _shared(pyvips, source)
    width, height = source.size
    left, top = min(round(box[0]), width - 1), min(round(box[1]), height - 1)
    right, bottom = max(round(box[2]), left + 1), max(round(box[3]), top + 1)
    if (left, top, right, bottom) != (0, 0, width, height):
        image = image.crop(left, top, right - left, bottom - top)
    out = image.resize(
        size[0] / image.width,
        vscale=size[1] / image.height,
        kernel="lanczos3",
        gap=reducing_gap,
    )
    if (out.width, out.height) != size:
        # libvips rounds each pass's size; the plan's size is the contract.
        out = out.gravity("north-west", *size, extend="copy")
    try:
        return _into_pillow(pyvips, out, source.mode)
    except pyvips.Error as exc:
        if "memory" in str(exc).lower():
            raise MemoryError(str(exc)) from exc
        raise


def decode_png(data: bytes, size: tuple[int, int], mode: str) -> Image.Image | None:
    """Decode an 8-bit RGB or RGBA PNG with libspng into a new Pillow image.

    Only for what ``decode.png.plain`` accepted, after Pillow checked the header and
    the limits. libspng writes straight into the Pillow image's memory. Return
    None when libspng refuses the file, finds it damaged, or it is not what
    Pillow's header said: Pillow decodes it then, and refuses it if it must.
    """
    pyvips = _setup()
    bands = {"RGB": 3, "RGBA": 4}[mode]
    width, height = size
    try:
        decoded = pyvips.Image.pngload_buffer(
            data, access="sequential", fail_on="warning"
        )
        if (decoded.width, decoded.height, decoded.bands) != (width, height, bands):
            return None
        if decoded.format != "uchar":
            return None
        if bands == 3:
            decoded = decoded.bandjoin(255)  # Pillow's RGB is 4 bytes a pixel
        return _into_pillow(pyvips, decoded, mode)
    except (pyvips.Error, ValueError):
        return None


def _into_pillow(pyvips, image, mode: str) -> Image.Image:
    """Compute ``image`` straight into a new Pillow image of ``mode``.

    libvips writes into the Pillow image's own memory (one block, which the
    engine's block size ensures), with no bytes copy between: a copy and an
    unpack of a 1920 px output was 30 MB held at once per thread.
    """
    width, height = image.width, image.height
    made = Image.new(mode, (width, height), None)  # every byte gets written
    try:
        schema, array = made.__arrow_c_array__()
    except ValueError:  # in several blocks: through bytes
        data = image.write_to_memory()
        return Image.frombytes(mode, (width, height), data, "raw", _RAW[mode])
    nbytes = width * height * image.bands
    target = pyvips.Image.new_from_memory(
        _pixels(schema, array, nbytes), width, height, image.bands, "uchar"
    )
    image.write(target)
    return made


def _shared(pyvips, source: Image.Image):
    """Return ``source``'s pixels as a libvips image, without copying if it can.

    Pillow exports an image in one block of memory through Arrow (the engine
    sizes its blocks for that); an image in several blocks is copied.
    """
    width, height = source.size
    stored = 1 if source.mode == "L" else 4
    try:
        schema, array = source.__arrow_c_array__()
    except ValueError:  # rows in more than one block
        data = source.tobytes("raw", _RAW[source.mode])
    else:
        data = _pixels(schema, array, width * height * stored)
    return pyvips.Image.new_from_memory(data, width, height, stored, "uchar")


def _pixels(schema, array, nbytes: int) -> ctypes.Array:
    """Return the pixel buffer an Arrow export points to, holding the export.

    The export keeps Pillow's memory alive until its capsules are released,
    so the buffer holds them: libvips keeps a reference to the buffer for as
    long as any image made from it lives.
    """
    header = _ArrowArray.from_address(_capsule_pointer(array, b"arrow_array"))
    if header.n_children:  # a pixel is a fixed-size list of bytes
        header = header.children[0].contents
    if (
        header.n_buffers < 2
        or header.offset
        or header.length != nbytes
        or not header.buffers[1]
    ):
        raise ValueError("Pillow exported no plain pixel buffer.")
    pixels = (ctypes.c_ubyte * nbytes).from_address(header.buffers[1])
    pixels.export = (schema, array)
    return pixels
