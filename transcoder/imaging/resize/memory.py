"""Keep a render's peak memory low: big images in blocks the C library
gives back, and threads sharing two heaps.

No Django. The engine calls ``use_returnable_memory`` before each render.
"""

import ctypes
import functools

from PIL import Image

from transcoder.imaging.limits import Limits

PILLOW_BLOCK_SIZE = 64 * 1024 * 1024
_PAGE = 4096  # Pillow's block size is a whole number of these
_M_ARENA_MAX = -8  # glibc's malloc.h


def use_returnable_memory(limits: Limits) -> None:
    """Make Pillow allocate big images in blocks the C library gives back.

    glibc serves blocks under its mmap threshold (at most 32 MiB) from per-
    thread heaps that keep freed memory, so with encodes in threads a 50 MP
    image measured 130-160 MB more peak RSS. Pillow's default blocks are
    16 MiB; blocks of 64 MiB and more are always mapped, and unmapped when
    freed. A block holds the largest image the limits allow (four bytes a
    pixel), so every image is in one piece that libvips reads in place.
    Pillow allocates only the rows an image needs, so small ones stay small.
    """
    largest = -(-4 * limits.max_pixels // _PAGE) * _PAGE  # whole pages
    Image.core.set_block_size(max(PILLOW_BLOCK_SIZE, largest))
    share_heaps()


@functools.cache
def share_heaps() -> None:
    """Let all threads' small allocations share two glibc heaps, not one each.

    glibc gives each new thread its own heap ("arena", up to 8 per core) and
    keeps what is freed in it; libvips' worker threads beside the encode
    threads made six in a render, and a 50 MP RGBA PNG or WebP import measured
    50-70 MB more peak RSS (586 MB against 517), with no more memory in use.
    Two heaps cost no CPU measurably (renders of the benchmark photos, 1.00x
    over 10 rounds); returning freed memory sooner (trim thresholds,
    ``malloc_trim``) cost 3-8% more (docs/benchmarks.md). Threads started
    before this call keep their heaps; elsewhere than glibc (no ``mallopt``)
    nothing changes.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_ARENA_MAX, 2)
