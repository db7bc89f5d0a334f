"""Turn untrusted image bytes into checked facts and encoded renditions.

No Django, no storage: ``inspect`` validates an upload; ``render`` validates it
the same way, decodes it once and builds every spec from that one decode.

- Only the sniffed format's Pillow plugin may open the bytes (never Ghostscript).
- Bytes, pixels and every frame are checked from headers before decoding;
  Pillow's bomb guard stays on behind that, its warning raised as an error.
- Animations and multi-page files become stills of their first frame.
- Orientation is applied exactly once; colours are converted once to sRGB.
  Outputs are 8-bit RGB(A), carry no metadata and are deterministic.

``Image.MAX_IMAGE_PIXELS`` and the warning filters are process-wide; every call
sets the same limits, so concurrent calls with one set of settings are safe.
"""

import contextlib
import dataclasses
import functools
import io
import logging
import math
import re
import struct
import warnings
from collections.abc import Iterator, Sequence

from PIL import Image, ImageCms, ImageFile, ImageOps

from transcoder.sniff import (
    ACCEPTED,
    LABELS,
    MIME_TYPES,
    PILLOW_FORMATS,
    apng_frame_sizes,
    classify,
    gif_frame_sizes,
    header_size,
    is_cut_short,
    refusal_message,
)
from transcoder.specs import Fit, RenditionSpec

try:
    import pillow_heif
except ImportError:  # pragma: no cover - HEIC is optional
    HEIF_SUPPORTED = False
else:
    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True

logger = logging.getLogger(__name__)

# Shrink by whole factors (fast box filter) until within this factor of the
# target, then finish with LANCZOS: Pillow documents 3 as indistinguishable.
REDUCING_GAP = 3.0
# Speed 7 encodes about 1.7x faster than 6 for a few percent more bytes;
# speed 4 took over 9 s for one 1600 px image.
AVIF_SPEED = 7
WEBP_METHOD = 4
MIB = 1024 * 1024

TRUNCATED = "The file ends early: it looks truncated. Re-export it and upload again."
# Pillow's words for data that stops early. "broken data stream" is not among
# them: zlib says that about damage anywhere, and a cut PNG is caught by its
# missing IEND chunk instead.
_TRUNCATION_HINTS = ("truncated", "not enough data", "unexpected end")
# Pillow and its plugins report damaged data with all of these.
_DECODE_ERRORS = (
    OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, KeyError,
    TypeError, ZeroDivisionError, RuntimeError,
)  # fmt: skip
# Decoders that turn the image upright themselves: libheif applies the HEIF
# rotation (pillow-heif then resets the tag) and Pillow's TIFF plugin reports
# the turned size and transposes on load. Turning these again would be twice.
_SELF_ORIENTING = {"heif", "tiff"}
# Formats whose frames or pages may each have their own size; seeking reads
# only the next header.
_MULTI_IMAGE = {"jpeg", "tiff", "heif"}


class ImageError(ValueError):
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


class TruncatedImageError(ImageError):
    """The image data stops before the image does."""


class CorruptImageError(ImageError):
    """The image data is damaged in a way other than truncation."""


@dataclasses.dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_pixels: int
    max_frames: int = 1000


@dataclasses.dataclass(frozen=True)
class SourceInfo:
    format: str
    mime: str
    width: int
    height: int
    frames: int
    has_alpha: bool


@dataclasses.dataclass(frozen=True)
class Output:
    spec: RenditionSpec
    data: bytes
    width: int
    height: int


@dataclasses.dataclass
class _Source:
    image: ImageFile.ImageFile
    format: str
    frames: int
    orientation: int

    @property
    def size(self) -> tuple[int, int]:
        """Return the upright size of the first frame, before any draft."""
        width, height = self.image.size
        return (height, width) if self.orientation in (5, 6, 7, 8) else (width, height)


def sniff(data: bytes) -> str:
    """Return the accepted format of ``data`` from its magic bytes alone."""
    if not data:
        raise EmptyFileError("The file is empty. Choose the image again and upload.")
    kind = classify(data)
    if kind not in ACCEPTED or (kind == "heif" and not HEIF_SUPPORTED):
        raise UnsupportedFormatError(refusal_message(kind))
    return kind


def inspect(data: bytes, limits: Limits) -> SourceInfo:
    """Validate an upload fully and describe it; raise ``ImageError`` if refused."""
    with _opened(data, limits) as source:
        # Decoding the whole first frame is the only sure test for damage.
        source.image.load()
        width, height = source.size
        return SourceInfo(
            format=source.format,
            mime=MIME_TYPES[source.format],
            width=width,
            height=height,
            frames=source.frames,
            has_alpha=source.image.has_transparency_data,
        )


def render(data: bytes, specs: Sequence[RenditionSpec], limits: Limits) -> list[Output]:
    """Validate like ``inspect``, decode once and return one output per spec."""
    specs = list(specs)
    with _opened(data, limits) as source:
        size = source.size
        image = _decode(source, specs)
    outputs = []
    for spec in specs:
        target = spec.target_size(*size)
        box = crop_box(spec, target, *image.size)
        out = image.resize(
            target, Image.Resampling.LANCZOS, box=box, reducing_gap=REDUCING_GAP
        )
        outputs.append(Output(spec, _encode(out, spec), *out.size))
    logger.debug("Rendered %d specs from %s %s", len(specs), source.format, size)
    return outputs


def crop_box(
    spec: RenditionSpec, size: tuple[int, int], width: int, height: int
) -> tuple[float, float, float, float]:
    """Return the region of an upright ``width`` x ``height`` image to scale to size.

    ``contain`` uses the whole image. ``cover`` uses the largest region with the
    output's shape, centred on the focal point as far as the edges allow.
    """
    if spec.fit is Fit.CONTAIN:
        return (0.0, 0.0, float(width), float(height))
    out_width, out_height = size
    crop_width = min(width, height * out_width / out_height)
    crop_height = min(height, width * out_height / out_width)
    fx, fy = spec.focal or (0.5, 0.5)
    left = min(max(fx * width - crop_width / 2, 0.0), width - crop_width)
    top = min(max(fy * height - crop_height / 2, 0.0), height - crop_height)
    return (left, top, left + crop_width, top + crop_height)


@contextlib.contextmanager
def _opened(data: bytes, limits: Limits) -> Iterator[_Source]:
    """Check ``data`` against the limits and yield it opened but not decoded.

    Pillow errors raised inside the block come out as ``ImageError``.
    """
    if len(data) > limits.max_bytes:
        size = math.ceil(len(data) * 10 / MIB) / 10
        raise FileTooLargeError(
            f"The file is {_number(size)} MB; "
            f"the limit is {_number(limits.max_bytes / MIB)} MB."
        )
    fmt = sniff(data)
    if declared := header_size(data, fmt):
        _check_pixels(*declared, limits)
    with _guarded(limits, LABELS[fmt], cut_short=is_cut_short(data, fmt)):
        with warnings.catch_warnings():
            # Only the header is read here; the exact check below names the
            # size, which Pillow's warning cannot.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=PILLOW_FORMATS[fmt])
        _check_pixels(*image.size, limits)
        frames = _check_frames(image, fmt, data, limits)
        yield _Source(image, fmt, frames, _orientation(image, fmt))


@contextlib.contextmanager
def _guarded(limits: Limits, label: str, *, cut_short: bool) -> Iterator[None]:
    """Apply the pixel limit to Pillow and turn its errors into ``ImageError``."""
    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except ImageError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise TooManyPixelsError(_bomb_message(exc, limits)) from exc
        except _DECODE_ERRORS as exc:
            logger.info("Refused a damaged %s: %r", label, exc)
            if (
                cut_short
                or isinstance(exc, EOFError)
                or any(hint in str(exc).lower() for hint in _TRUNCATION_HINTS)
            ):
                raise TruncatedImageError(TRUNCATED) from exc
            raise CorruptImageError(
                f"The {label} file is damaged and cannot be read. "
                "Re-export it and upload again."
            ) from exc


def _check_pixels(width: int, height: int, limits: Limits) -> None:
    """Refuse an image or frame of more than ``limits.max_pixels`` pixels."""
    if width * height > limits.max_pixels:
        raise TooManyPixelsError(
            f"The image is {width} x {height} pixels "
            f"({_megapixels(width * height)} megapixels); "
            f"the limit is {_megapixels(limits.max_pixels)} megapixels."
        )


def _check_frames(image: Image.Image, fmt: str, data: bytes, limits: Limits) -> int:
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
            f"The animation has {frames} frames; the limit is {limits.max_frames}."
        )
    if fmt in _MULTI_IMAGE and frames > 1:
        for index in range(frames):
            image.seek(index)
            sizes.append(image.size)
        image.seek(0)
    for width, height in sizes:
        _check_pixels(width, height, limits)
    return frames


def _orientation(image: Image.Image, fmt: str) -> int:
    """Return the EXIF/XMP orientation to undo, 1 when none or invalid."""
    if fmt in _SELF_ORIENTING:
        return 1
    try:
        value = image.getexif().get(0x0112, 1)
    except (SyntaxError, ValueError, TypeError, struct.error) as exc:
        logger.info("Ignoring unreadable EXIF: %r", exc)
        return 1
    return value if value in range(2, 9) else 1


def _decode(source: _Source, specs: Sequence[RenditionSpec]) -> Image.Image:
    """Decode the first frame once, upright, in 8-bit sRGB."""
    image = source.image
    if source.format == "jpeg":
        # Let libjpeg scale down while decoding, to the largest size any
        # spec needs (in stored orientation, which may be turned).
        width, height = source.size
        scale = max((_scale_needed(spec, width, height) for spec in specs), default=1)
        if scale < 1:
            need = (math.ceil(width * scale), math.ceil(height * scale))
            if source.orientation in (5, 6, 7, 8):
                need = need[::-1]
            image.draft("RGB", need)
    image.load()
    if source.orientation != 1:
        ImageOps.exif_transpose(image, in_place=True)
    return _to_srgb(image)


def _scale_needed(spec: RenditionSpec, width: int, height: int) -> float:
    """Return the fraction of the full-size source that ``spec`` needs."""
    target = spec.target_size(width, height)
    left, top, right, bottom = crop_box(spec, target, width, height)
    return max(target[0] / (right - left), target[1] / (bottom - top))


def _to_srgb(image: Image.Image) -> Image.Image:
    """Return ``image`` as 8-bit sRGB, RGB or RGBA, with no metadata."""
    icc = image.info.get("icc_profile")
    if image.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N"):
        image = _to_8bit(image)
    elif image.mode in ("P", "PA") or "transparency" in image.info:
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    elif image.mode in ("1", "F"):
        image = image.convert("L")
    elif image.mode in ("La", "RGBa"):
        image = image.convert(image.mode[:-1] + "A")
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


def _to_8bit(image: Image.Image) -> Image.Image:
    """Scale 16-bit greyscale to 8 bits; Pillow's convert would clip it."""
    sixteen_bit = image.mode != "I" or image.getextrema()[1] > 255
    image = image.convert("I")
    if sixteen_bit:
        image = image.point(lambda value: value * (1 / 256))
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
        logger.warning("Ignoring an unusable ICC profile: %s", exc)
        return image


@functools.cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    """Return the sRGB profile that every output is converted to."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _encode(image: Image.Image, spec: RenditionSpec) -> bytes:
    """Encode ``image`` for ``spec`` without any metadata."""
    if spec.format == "jpeg" and image.mode == "RGBA":
        flat = Image.new("RGB", image.size, spec.background)
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    image.info = {}
    quality = spec.quality
    options = {
        # Halved chroma is invisible in photos except at near-lossless quality.
        "jpeg": dict(quality=quality, optimize=True, progressive=True,
                     subsampling="4:4:4" if quality >= 90 else "4:2:0"),
        "png": dict(optimize=True),
        "webp": dict(quality=quality, method=WEBP_METHOD),
        "avif": dict(quality=quality, speed=AVIF_SPEED),
    }  # fmt: skip
    buffer = io.BytesIO()
    image.save(buffer, spec.format.upper(), **options[spec.format])
    return buffer.getvalue()


def _bomb_message(exc: Exception, limits: Limits) -> str:
    """Word Pillow's decompression-bomb error for an editor."""
    limit = f"the limit is {_megapixels(limits.max_pixels)} megapixels."
    if match := re.search(r"\((\d+) pixels\)", str(exc)):
        return f"The image has {_megapixels(int(match[1]))} megapixels; {limit}"
    return f"The image has too many pixels; {limit}"


def _megapixels(pixels: int) -> str:
    """Format a pixel count in megapixels for a message."""
    value = pixels / 1_000_000
    return _number(value) if value >= 1 else f"{value:.2g}"


def _number(value: float) -> str:
    """Format a number with at most one decimal, and none when it is whole."""
    return f"{value:,.1f}".removesuffix(".0")
