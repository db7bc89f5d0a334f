"""Open untrusted image bytes after checking them, and decode the first frame once.

No Django. ``opened`` sniffs the bytes, checks them against the limits from
their headers, and yields them opened but not decoded; ``decode`` then decodes
the first frame once, upright, edited, in 8-bit sRGB. The engine's ``inspect``
and ``render`` both start here.
"""

import contextlib
import dataclasses
import logging
import math
import struct
import time
import warnings
from collections.abc import Iterator, Sequence

from PIL import Image, ImageFile, ImageOps

from transcoder.imaging import edits
from transcoder.imaging.decode import heif, png
from transcoder.imaging.decode.colour import to_srgb
from transcoder.imaging.decode.sniff import (
    ACCEPTED,
    LABELS,
    PILLOW_FORMATS,
    classify,
    header_size,
    is_cut_short,
    refusal_message,
)
from transcoder.imaging.decode.webp import decode_still
from transcoder.imaging.limits import (
    DeadlineReader,
    EmptyFileError,
    Limits,
    UnsupportedFormatError,
    check_bytes,
    check_frames,
    check_pixels,
    guarded,
)
from transcoder.imaging.messages import gettext_noop as _
from transcoder.imaging.resize import libvips
from transcoder.imaging.resize.cascade import crop_box
from transcoder.imaging.specs import RenditionSpec

logger = logging.getLogger(__name__)

# Bytes handed to a decoder per read; see DeadlineReader.
DECODE_BLOCK = 4096
# Decoders that turn the image upright themselves: libheif applies the HEIF
# rotation (pillow-heif then resets the tag) and Pillow's TIFF plugin reports
# the turned size and transposes on load. Turning these again would be twice.
_SELF_ORIENTING = {"heif", "tiff"}


@dataclasses.dataclass
class _Source:
    image: ImageFile.ImageFile
    format: str
    frames: int
    orientation: int
    data: bytes

    @property
    def size(self) -> tuple[int, int]:
        """Return the upright size of the first frame, before any draft."""
        width, height = self.image.size
        return (height, width) if self.orientation in (5, 6, 7, 8) else (width, height)


def sniff(data: bytes) -> str:
    """Return the accepted format of ``data`` from its magic bytes alone."""
    if not data:
        raise EmptyFileError(_("The file is empty. Choose the image again and upload."))
    kind = classify(data)
    if kind not in ACCEPTED or (kind == "heif" and not heif.register()):
        raise UnsupportedFormatError(refusal_message(kind))
    return kind


@contextlib.contextmanager
def opened(data: bytes, limits: Limits) -> Iterator[_Source]:
    """Check ``data`` against the limits and yield it opened but not decoded.

    Pillow errors raised inside the block come out as ``ImageError``.
    """
    check_bytes(data, limits)
    fmt = sniff(data)
    label = LABELS[fmt]
    if declared := header_size(data, fmt):
        check_pixels(*declared, limits, label)
    with guarded(limits, label, cut_short=is_cut_short(data, fmt)):
        with warnings.catch_warnings():
            # Only the header is read here; the exact check below names the
            # size, which Pillow's warning cannot.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            reader = DeadlineReader(data, time.monotonic() + limits.max_seconds)
            image = Image.open(reader, formats=PILLOW_FORMATS[fmt])
        # Feed decoders small blocks, so the deadline is checked often: one
        # 64 KiB block of a hostile JPEG can hold a thousand full-image scans.
        image.decodermaxblock = DECODE_BLOCK
        check_pixels(*image.size, limits, label)
        frames = check_frames(image, fmt, data, limits)
        yield _Source(image, fmt, frames, _orientation(image, fmt, data), data)


def _orientation(image: Image.Image, fmt: str, data: bytes) -> int:
    """Return the EXIF/XMP orientation to undo, 1 when none or invalid."""
    if fmt in _SELF_ORIENTING:
        return 1
    if fmt == "png" and not png.may_orient(data):
        return 1  # asking Pillow would decode the whole image (see png)
    try:
        value = image.getexif().get(0x0112, 1)
    except (SyntaxError, ValueError, TypeError, struct.error) as exc:
        logger.info("Ignoring unreadable EXIF: %r", exc)
        return 1
    return value if value in range(2, 9) else 1


def decode(
    source: _Source,
    specs: Sequence[RenditionSpec],
    recipe: edits.Recipe | None = None,
) -> Image.Image:
    """Decode the first frame once, upright, edited, in 8-bit sRGB."""
    image = source.image
    if source.format == "jpeg":
        # Let libjpeg scale down while decoding, to the largest size any
        # spec needs (in stored orientation, which may be turned). The specs
        # see the edited picture: a crop keeps fewer pixels, so the whole
        # decode may be drafted only by what the crop needs.
        width, height = source.size
        edited = recipe.size if recipe is not None else (width, height)
        scale = max((_scale_needed(spec, *edited) for spec in specs), default=1)
        if scale < 1:
            need = (math.ceil(width * scale), math.ceil(height * scale))
            if source.orientation in (5, 6, 7, 8):
                need = need[::-1]
            image.draft("RGB", need)
    if source.format == "webp" and source.frames == 1:
        # Only the first frame's header is checked when Pillow is not used.
        still = decode_still(source.data, image.size)
        if still is not None:
            still.info = image.info
            image = still
    if source.format == "png" and png.plain(image):
        decoded = libvips.decode_png(source.data, image.size, image.mode)
        if decoded is not None:
            decoded.info = image.info
            image = decoded
    if image is source.image:
        image.load()
    if source.orientation != 1:
        ImageOps.exif_transpose(image, in_place=True)
    # Keep the pixels but not the file object: some plugins hold the whole
    # decoded frame a second and third time (WebP keeps its decoder's canvas
    # and a bytes copy), which would live as long as the image.
    image = image._new(image.im)
    source.image = None
    if recipe is not None:
        # Before the colour conversion: only the kept pixels are converted.
        image = recipe.apply(image)
    return to_srgb(image)


def _scale_needed(spec: RenditionSpec, width: int, height: int) -> float:
    """Return the fraction of the full-size source that ``spec`` needs."""
    target = spec.target_size(width, height)
    left, top, right, bottom = crop_box(spec, target, width, height)
    return max(target[0] / (right - left), target[1] / (bottom - top))
