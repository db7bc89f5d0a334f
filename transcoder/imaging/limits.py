"""Limits on what an upload may cost, and the errors that refuse it.

No Django. The engine checks bytes, pixels and frames from headers before any
decoding, then decodes inside ``guarded``, which turns every Pillow failure
into an ``ImageError`` whose message an editor can act on.
"""

import contextlib
import dataclasses
import io
import logging
import math
import re
import struct
import time
import warnings
from collections.abc import Iterator

from PIL import Image

from transcoder.imaging.decode.sniff import apng_frame_sizes, gif_frame_sizes
from transcoder.imaging.messages import Message, MessageError
from transcoder.imaging.messages import gettext_noop as _

logger = logging.getLogger(__name__)

MIB = 1024 * 1024

TRUNCATED = _("The file ends early: it looks truncated. Re-export it and upload again.")
TRUNCATED_HEIC = _(
    "The %(label)s file ends early: it looks truncated. Re-export it and upload again."
)
# Pillow's words for data that stops early. "broken data stream" is not among
# them: zlib says that about damage anywhere, and a cut PNG is caught by its
# missing IEND chunk instead.
_TRUNCATION_HINTS = ("truncated", "not enough data", "unexpected end")
# Pillow and its plugins report damaged data with all of these.
_DECODE_ERRORS = (
    OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, KeyError,
    TypeError, ZeroDivisionError, RuntimeError,
)  # fmt: skip
# Formats whose frames or pages may each have their own size; seeking reads
# only the next header.
_MULTI_IMAGE = {"jpeg", "tiff", "heif"}
# Formats whose frames are an animation (every frame shown in turn), not pages.
ANIMATED_FORMATS = ("gif", "png", "webp", "avif")


class ImageError(MessageError):
    """An upload the engine refuses; the message tells the editor what to do."""


class EmptyFileError(ImageError):
    """The upload has no bytes."""


class FileTooLargeError(ImageError):
    """The upload has more bytes than allowed."""


class UnsupportedFormatError(ImageError):
    """The bytes are not one of the accepted image formats."""


class TooManyPixelsError(ImageError):
    """An image or frame has more pixels than allowed."""


class TooManyFramesError(TooManyPixelsError):
    """An animation or multi-page file has more frames than allowed."""


class AnimationTooLongError(ImageError):
    """An animation plays longer, or holds more pixels in all, than allowed."""


class TruncatedImageError(ImageError):
    """The image data stops before the image does."""


class CorruptImageError(ImageError):
    """The image data is damaged in a way other than truncation."""


class DecodeTimeoutError(ImageError):
    """Decoding took longer than the limit allows."""


class MemoryLimitError(ImageError):
    """The image needs more memory than this process may use."""


@dataclasses.dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_pixels: int
    max_frames: int = 1000
    # Wall-clock seconds that reading and decoding one source may take. Every
    # read Pillow makes checks it, so a decoder made to spin on a small hostile
    # file (a JPEG with thousands of scans) stops within one block of input.
    max_seconds: float = 15.0
    # An animation's playing time, and its "pixel-time": frames times canvas
    # pixels, which is what decoding and encoding every frame costs (see
    # imaging.encoding.animation and docs/editors.md, "Animations").
    max_animation_seconds: float = 60.0
    max_animation_pixels: int = 200_000_000


@contextlib.contextmanager
def guarded(limits: Limits, label: str, *, cut_short: bool) -> Iterator[None]:
    """Apply the pixel limit to Pillow and turn its errors into ``ImageError``."""
    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    with warnings.catch_warnings():
        # Pillow warns about odd but readable metadata (corrupt EXIF, a
        # malformed MPO index); the image is judged by its pixels alone.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except ImageError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise TooManyPixelsError(bomb_message(exc, limits, label)) from exc
        except MemoryError as exc:
            raise MemoryLimitError(
                _(
                    "The image needs more memory than the server may use for one "
                    "file. Upload a smaller image."
                )
            ) from exc
        except _DECODE_ERRORS as exc:
            logger.info("Refused a damaged %s: %r", label, exc)
            if (
                cut_short
                or isinstance(exc, EOFError)
                or any(hint in str(exc).lower() for hint in _TRUNCATION_HINTS)
            ):
                if _is_heic(label):
                    raise TruncatedImageError(TRUNCATED_HEIC, label=label) from exc
                raise TruncatedImageError(TRUNCATED) from exc
            raise CorruptImageError(
                _(
                    "The %(label)s file is damaged and cannot be read. "
                    "Re-export it and upload again."
                ),
                label=label,
            ) from exc


def check_bytes(data: bytes, limits: Limits) -> None:
    """Refuse ``data`` if it has more bytes than allowed."""
    check_size(len(data), limits)


def check_size(size: int, limits: Limits) -> None:
    """Refuse a file of ``size`` bytes, known before reading it, if over the limit."""
    if size > limits.max_bytes:
        megabytes = math.ceil(size * 10 / MIB) / 10
        raise FileTooLargeError(
            _("The file is %(size)s MB; the limit is %(limit)s MB."),
            size=_number(megabytes),
            limit=_number(limits.max_bytes / MIB),
        )


def check_pixels(width: int, height: int, limits: Limits, label: str = "image") -> None:
    """Refuse an image or frame with no pixels or more than the limit."""
    if width <= 0 or height <= 0:
        raise CorruptImageError(
            _(
                "The %(label)s file is damaged: it says the image is %(width)s × "
                "%(height)s pixels, so there is nothing to show. Re-export it and "
                "upload again."
            ),
            label=Message(_("image")) if label == "image" else label,
            width=width,
            height=height,
        )
    if width * height > limits.max_pixels:
        text = (
            _(
                "The %(label)s image is %(width)s × %(height)s pixels "
                "(%(megapixels)s megapixels); the limit is %(limit)s megapixels."
            )
            if _is_heic(label)
            else _(
                "The image is %(width)s × %(height)s pixels (%(megapixels)s "
                "megapixels); the limit is %(limit)s megapixels."
            )
        )
        raise TooManyPixelsError(
            text,
            label=label,
            width=width,
            height=height,
            megapixels=_megapixels(width * height),
            limit=_megapixels(limits.max_pixels),
        )


def check_pixel_time(frames: int, width: int, height: int, limits: Limits) -> None:
    """Refuse an animation whose frames hold more pixels in all than allowed."""
    if frames * width * height > limits.max_animation_pixels:
        raise AnimationTooLongError(
            _(
                "The animation has %(frames)s frames of %(width)s × %(height)s "
                "pixels, %(megapixels)s megapixels in all; the limit is %(limit)s "
                "megapixels. Upload a shorter or smaller animation."
            ),
            frames=frames,
            width=width,
            height=height,
            megapixels=_megapixels(frames * width * height),
            limit=_megapixels(limits.max_animation_pixels),
        )


def check_duration(milliseconds: int, limits: Limits, *, whole: bool = True) -> None:
    """Refuse an animation that plays longer than allowed.

    ``whole`` says ``milliseconds`` is the whole playing time; otherwise it is
    the time so far, counted while decoding, and the message says "more than".
    """
    if milliseconds <= limits.max_animation_seconds * 1000:
        return
    if not whole:
        raise AnimationTooLongError(
            _(
                "The animation plays for more than %(limit)s seconds, the limit. "
                "Upload a shorter animation."
            ),
            limit=_number(limits.max_animation_seconds),
        )
    raise AnimationTooLongError(
        _(
            "The animation plays for %(seconds)s seconds; the limit is "
            "%(limit)s seconds. Upload a shorter animation."
        ),
        seconds=_number(math.ceil(milliseconds / 100) / 10),
        limit=_number(limits.max_animation_seconds),
    )


def check_frames(image: Image.Image, fmt: str, data: bytes, limits: Limits) -> int:
    """Check every frame's size without decoding; return the number of frames."""
    if fmt in ("gif", "png"):
        # Read the frame headers directly: Pillow would decode every frame
        # before the one it seeks to.
        sizes = (gif_frame_sizes if fmt == "gif" else apng_frame_sizes)(data)
        frames = max(1, len(sizes))
    else:
        sizes = []
        frames = getattr(image, "n_frames", 1)
    if frames > limits.max_frames:
        raise TooManyFramesError(
            _("The animation has %(frames)s frames; the limit is %(limit)s."),
            frames=frames,
            limit=limits.max_frames,
        )
    if fmt in _MULTI_IMAGE and frames > 1:
        for index in range(frames):
            image.seek(index)
            sizes.append(image.size)
        image.seek(0)
    for width, height in sizes:
        check_pixels(width, height, limits)
    if fmt in ANIMATED_FORMATS and frames > 1:
        width, height = image.size
        for w, h in sizes:
            width, height = max(width, w), max(height, h)
        check_pixel_time(frames, width, height, limits)
    return frames


class DeadlineReader(io.BytesIO):
    """Bytes that refuse to be read past a deadline, to bound decoding time."""

    def __init__(self, data: bytes, deadline: float):
        super().__init__(data)
        self.deadline = deadline

    def read(self, size: int | None = -1, /) -> bytes:
        """Return up to ``size`` bytes, or raise once the deadline has passed."""
        if time.monotonic() > self.deadline:
            raise DecodeTimeoutError(
                _(
                    "The image takes too long to decode; it may be built to "
                    "overload the server. Re-export it (a baseline JPEG or a PNG) "
                    "and upload again."
                )
            )
        return super().read(size)


def bomb_message(exc: Exception, limits: Limits, label: str = "image") -> Message:
    """Word Pillow's decompression-bomb error for an editor."""
    limit = _megapixels(limits.max_pixels)
    heic = _is_heic(label)
    if match := re.search(r"\((\d+) pixels\)", str(exc)):
        text = (
            _(
                "The %(label)s image has %(megapixels)s megapixels; the limit is "
                "%(limit)s megapixels."
            )
            if heic
            else _(
                "The image has %(megapixels)s megapixels; the limit is %(limit)s "
                "megapixels."
            )
        )
        return Message(
            text, label=label, megapixels=_megapixels(int(match[1])), limit=limit
        )
    text = (
        _("The %(label)s image has too many pixels; the limit is %(limit)s megapixels.")
        if heic
        else _("The image has too many pixels; the limit is %(limit)s megapixels.")
    )
    return Message(text, label=label, limit=limit)


def _is_heic(label: str) -> bool:
    """Tell whether a message should name HEIC ("HEIC/HEIF image").

    Phones save HEIC under names and types that hide it, so an editor needs
    the message to say which file it means; other formats read "image".
    """
    return label.startswith("HEIC")


def _megapixels(pixels: int) -> str:
    """Format a pixel count in megapixels for a message."""
    value = pixels / 1_000_000
    return _number(value) if value >= 1 else f"{value:.2g}"


def _number(value: float) -> str:
    """Format a number with at most one decimal, and none when it is whole."""
    return f"{value:,.1f}".removesuffix(".0")
