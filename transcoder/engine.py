"""Turn untrusted image bytes into checked facts and encoded renditions.

No Django, no storage: ``inspect`` validates an upload; ``render`` validates it
the same way, decodes it once and builds every spec from that one decode.

- Only the sniffed format's Pillow plugin may open the bytes (never Ghostscript).
- Bytes, pixels and every frame are checked from headers before decoding;
  Pillow's bomb guard stays on behind that, its warning raised as an error.
  Decoding stops at a wall-clock deadline checked on every read.
- Animations and multi-page files become stills of their first frame.
- Orientation is applied exactly once; colours are converted once to sRGB.
  Outputs are 8-bit RGB(A), carry no metadata and are deterministic.

The checks and refusals live in ``limits``, the colour conversion in
``colour``, and the byte-level sniffing in ``sniff``.

``Image.MAX_IMAGE_PIXELS`` and the warning filters are process-wide; every call
sets the same limits, so concurrent calls with one set of settings are safe.
"""

import concurrent.futures
import contextlib
import dataclasses
import io
import logging
import math
import os
import struct
import threading
import time
import warnings
from collections.abc import Iterator, Sequence

from PIL import Image, ImageFile, ImageOps

from transcoder.colour import to_srgb
from transcoder.limits import (
    CorruptImageError,
    DeadlineReader,
    DecodeTimeoutError,
    EmptyFileError,
    FileTooLargeError,
    ImageError,
    Limits,
    MemoryLimitError,
    TooManyFramesError,
    TooManyPixelsError,
    TruncatedImageError,
    UnsupportedFormatError,
    check_bytes,
    check_frames,
    check_pixels,
    guarded,
)
from transcoder.sniff import (
    ACCEPTED,
    LABELS,
    MIME_TYPES,
    PILLOW_FORMATS,
    classify,
    header_size,
    is_cut_short,
    refusal_message,
)
from transcoder.specs import Fit, RenditionSpec
from transcoder.webp import decode_still

try:
    import pillow_heif
except ImportError:  # pragma: no cover - HEIC is optional
    HEIF_SUPPORTED = False
else:
    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True

__all__ = [
    "CorruptImageError",
    "DecodeTimeoutError",
    "EmptyFileError",
    "FileTooLargeError",
    "ImageError",
    "Limits",
    "MemoryLimitError",
    "Output",
    "SourceInfo",
    "TooManyFramesError",
    "TooManyPixelsError",
    "TruncatedImageError",
    "UnsupportedFormatError",
    "crop_box",
    "inspect",
    "render",
    "render_iter",
    "sniff",
]

logger = logging.getLogger(__name__)

# Shrink by whole factors (fast box filter) until within this factor of the
# target, then finish with LANCZOS: Pillow documents 3 as indistinguishable.
REDUCING_GAP = 3.0
# Speed 7 encodes about 1.7x faster than 6 for a few percent more bytes;
# speed 4 took over 9 s for one 1600 px image.
AVIF_SPEED = 7
WEBP_METHOD = 4
# A spec is resized from an earlier, smaller output only when that output
# has at least this many times the pixels it needs on each side.
CASCADE_MIN = 2.0
# Encodes run in threads (Pillow releases the GIL while resizing and
# encoding); more than this gains nothing and costs memory.
MAX_THREADS = 4
PILLOW_BLOCK_SIZE = 64 * 1024 * 1024
# Bytes handed to a decoder per read; see DeadlineReader.
DECODE_BLOCK = 4096
# Decoders that turn the image upright themselves: libheif applies the HEIF
# rotation (pillow-heif then resets the tag) and Pillow's TIFF plugin reports
# the turned size and transposes on load. Turning these again would be twice.
_SELF_ORIENTING = {"heif", "tiff"}


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
    data: bytes

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
    _use_returnable_memory()
    with _opened(data, limits) as source:
        # Decoding the whole first frame is the only sure test for damage.
        if not (
            source.format == "webp"
            and source.frames == 1
            and decode_still(data, source.image.size) is not None
        ):
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


def render(
    data: bytes,
    specs: Sequence[RenditionSpec],
    limits: Limits,
    *,
    threads: int | None = None,
) -> list[Output]:
    """Validate like ``inspect``, decode once and return one output per spec."""
    return list(render_iter(data, specs, limits, threads=threads))


def render_iter(
    data: bytes,
    specs: Sequence[RenditionSpec],
    limits: Limits,
    *,
    threads: int | None = None,
) -> Iterator[Output]:
    """Validate like ``inspect``, decode once and yield one output per spec.

    Outputs come in the order of ``specs``, each as soon as it and those before
    it are encoded, so a caller can store one while the next is being made.
    Refusals are raised before the first output.
    """
    specs = list(specs)
    _use_returnable_memory()
    with _opened(data, limits) as source:
        size, fmt = source.size, source.format
        image = _decode(source, specs)
    del source  # it holds the full decode; the nodes below free it sooner
    started = time.perf_counter()
    steps = plan(specs, size, image.size)
    # Pillow premultiplies alpha around every resize, a full-size copy each
    # time; doing it once saves most of the time on big RGBA images.
    root = _Node(image.convert("RGBa") if image.mode == "RGBA" else image)
    del image
    nodes = [root]
    for step in steps:
        nodes.append(_Node(None, parent=nodes[step.parent + 1]))
    for node in nodes:
        if node.parent is not None:
            node.parent.children += 1
    workers = max(1, min(len(specs), threads or default_threads()))
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        # Steps are submitted parents first and the pool starts them in that
        # order, so a step waiting on its parent never waits on a queued one.
        futures = [
            pool.submit(_build, step, nodes[i + 1]) for i, step in enumerate(steps)
        ]
        del root, nodes
        in_order = [None] * len(specs)
        for future, step in zip(futures, steps, strict=True):
            in_order[step.index] = future
        try:
            for future in in_order:
                try:
                    output = future.result()
                except _ParentFailedError:
                    # Raise the step's own failure, not its child's echo of it.
                    for other in futures:
                        if not isinstance(other.exception(), _ParentFailedError):
                            other.result()
                    raise
                yield output
        finally:
            for future in futures:
                future.cancel()
    logger.debug(
        "Rendered %d specs from %s %s in %.0f ms",
        len(specs),
        fmt,
        size,
        (time.perf_counter() - started) * 1000,
    )


def _use_returnable_memory() -> None:
    """Make Pillow allocate big images in blocks the C library gives back.

    glibc serves blocks under its mmap threshold (at most 32 MiB) from per-
    thread heaps that keep freed memory, so with encodes in threads a 50 MP
    image measured 130-160 MB more peak RSS. Pillow's default blocks are
    16 MiB; 64 MiB blocks are always mapped, and unmapped when freed.
    """
    Image.core.set_block_size(PILLOW_BLOCK_SIZE)


def default_threads() -> int:
    """Return how many encodes run at once: one per CPU, at most ``MAX_THREADS``."""
    return max(1, min(os.cpu_count() or 1, MAX_THREADS))


@dataclasses.dataclass(frozen=True)
class Step:
    """One spec's resize: from which image (-1 the decode), what box, what size."""

    index: int
    spec: RenditionSpec
    parent: int
    box: tuple[float, float, float, float]
    size: tuple[int, int]
    full_frame: bool


def plan(
    specs: Sequence[RenditionSpec],
    upright: tuple[int, int],
    decoded: tuple[int, int],
) -> list[Step]:
    """Order the resizes largest first, each from the smallest image that allows.

    A spec may be resized from an earlier ``contain`` output (the whole frame,
    smaller) instead of the decode when that output still has at least
    ``CASCADE_MIN`` times the pixels it needs on each side: the second
    LANCZOS pass then removes nothing the first one kept.
    """
    entries = []
    for index, spec in enumerate(specs):
        target = spec.target_size(*upright)
        box = crop_box(spec, target, *upright)
        # The box in the decoded image, which a draft may have made smaller.
        sx, sy = decoded[0] / upright[0], decoded[1] / upright[1]
        box = (box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy)
        entries.append((index, spec, target, box))
    # Largest output first, ties in spec order: a stable, deterministic plan.
    entries.sort(key=lambda e: (-e[2][0] * e[2][1], e[0]))
    steps: list[Step] = []
    for index, spec, target, box in entries:
        parent, parent_box = -1, box
        best = None
        for position, step in enumerate(steps):
            if not step.full_frame:
                continue
            rx, ry = step.size[0] / decoded[0], step.size[1] / decoded[1]
            scaled = (box[0] * rx, box[1] * ry, box[2] * rx, box[3] * ry)
            if (
                (scaled[2] - scaled[0]) >= CASCADE_MIN * target[0]
                and (scaled[3] - scaled[1]) >= CASCADE_MIN * target[1]
                and (best is None or step.size[0] < steps[best].size[0])
            ):
                best, parent_box = position, scaled
        if best is not None:
            parent = best
        full = box == (0.0, 0.0, float(decoded[0]), float(decoded[1])) or (
            spec.fit is Fit.CONTAIN
        )
        steps.append(Step(index, spec, parent, parent_box, target, full))
    return steps


class _Node:
    """An image that steps resize from; dropped once its last child has."""

    def __init__(self, image, parent=None):
        self.image = image
        self.parent = parent
        self.children = 0
        self.ready = threading.Event()
        self.lock = threading.Lock()
        if image is not None:
            self.ready.set()

    def release(self):
        """Count one child done; free the image after the last one."""
        with self.lock:
            self.children -= 1
            if self.children <= 0:
                self.image = None


def _build(step: Step, node: _Node) -> Output:
    """Resize ``step`` from its parent's image, publish it, then encode it."""
    parent = node.parent
    try:
        parent.ready.wait()
        source = parent.image
        if source is None:  # the parent failed
            raise _ParentFailedError
        out = source.resize(
            step.size,
            Image.Resampling.LANCZOS,
            box=step.box,
            reducing_gap=REDUCING_GAP,
        )
        del source
        parent.release()
        if node.children:
            node.image = out
    except MemoryError as exc:
        raise MemoryLimitError(
            "The image needs more memory than the server may use for one "
            "file. Upload a smaller image."
        ) from exc
    finally:
        # Children must never wait forever, even when this step failed.
        node.ready.set()
    if out.mode == "RGBa":
        out = out.convert("RGBA")
    return Output(step.spec, _encode(out, step.spec), *out.size)


class _ParentFailedError(Exception):
    """The image this step resizes from could not be made."""


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
        yield _Source(image, fmt, frames, _orientation(image, fmt), data)


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
    if source.format == "webp" and source.frames == 1:
        # Only the first frame's header is checked when Pillow is not used.
        still = decode_still(source.data, image.size)
        if still is not None:
            still.info = image.info
            image = still
    if image is source.image:
        image.load()
    if source.orientation != 1:
        ImageOps.exif_transpose(image, in_place=True)
    # Keep the pixels but not the file object: some plugins hold the whole
    # decoded frame a second and third time (WebP keeps its decoder's canvas
    # and a bytes copy), which would live as long as the image.
    image = image._new(image.im)
    source.image = None
    return to_srgb(image)


def _scale_needed(spec: RenditionSpec, width: int, height: int) -> float:
    """Return the fraction of the full-size source that ``spec`` needs."""
    target = spec.target_size(width, height)
    left, top, right, bottom = crop_box(spec, target, width, height)
    return max(target[0] / (right - left), target[1] / (bottom - top))


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
