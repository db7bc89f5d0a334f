"""Turn untrusted image bytes into checked facts and encoded renditions.

No Django, no storage: ``inspect`` validates an upload; ``render`` validates it
the same way, decodes it once and builds every spec from that one decode.

- Only the sniffed format's Pillow plugin may open the bytes (never Ghostscript).
- Bytes, pixels and every frame are checked from headers before decoding;
  Pillow's bomb guard stays on behind that, its warning raised as an error.
  Decoding stops at a wall-clock deadline checked on every read.
- Multi-page files become stills of their first page; animations too, except
  in specs asking for motion (``RenditionSpec.animated``), which ``encoding.animation``
  builds from every frame.
- Orientation is applied exactly once; colours are converted once to sRGB.
  Outputs are 8-bit RGB(A), carry no metadata and are deterministic.

The checks and refusals live in ``limits``, the colour conversion in
``decode.colour``, and the byte-level sniffing in ``decode.sniff``; opening a
checked source and its one decode in ``decode.opening``.

``Image.MAX_IMAGE_PIXELS`` and the warning filters are process-wide; every call
sets the same limits, so concurrent calls with one set of settings are safe.
"""

import dataclasses
import functools
import logging
import time
from collections.abc import Iterator, Sequence

from PIL import Image

from transcoder.imaging import edits
from transcoder.imaging.analysis.placeholder import Placeholder
from transcoder.imaging.analysis.placeholder import from_image as placeholder_of
from transcoder.imaging.decode import heif
from transcoder.imaging.decode.opening import decode, opened
from transcoder.imaging.decode.sniff import MIME_TYPES
from transcoder.imaging.decode.webp import decode_still
from transcoder.imaging.encoding import animation, encode, webp
from transcoder.imaging.limits import (
    AnimationTooLongError,
    CorruptImageError,
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
)
from transcoder.imaging.messages import gettext_noop as _
from transcoder.imaging.quality import autoquality
from transcoder.imaging.resize import cascade, libvips, memory
from transcoder.imaging.resize.cascade import crop_box
from transcoder.imaging.resize.cpus import default_threads
from transcoder.imaging.specs import RenditionSpec

# pillow-heif is imported the first time a HEIF file turns up (see decode.heif).
HEIF_SUPPORTED = heif.SUPPORTED

__all__ = [
    "CorruptImageError",
    "DecodeTimeoutError",
    "EmptyFileError",
    "FileTooLargeError",
    "AnimationTooLongError",
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
]

logger = logging.getLogger(__name__)

REDUCING_GAP = cascade.REDUCING_GAP
# Nanoseconds of CPU per output pixel for each encoder (``encoding.encode``),
# and per source pixel a LANCZOS resize reads (the same photos, 2 shared
# cores; the resize in libvips, a quarter of Pillow's 16). Only their
# proportions matter: they order the steps so the longest start first.
ENCODE_NS_PER_PIXEL = {"avif": 250, "jpeg": 12, "png": 1500, "webp": 80}
RESIZE_NS_PER_PIXEL = 4
# The same words as limits.guarded, for memory that runs out after decoding.
_NO_MEMORY = _(
    "The image needs more memory than the server may use for one file. "
    "Upload a smaller image."
)


@dataclasses.dataclass(frozen=True)
class SourceInfo:
    format: str
    mime: str
    width: int
    height: int
    frames: int
    has_alpha: bool
    # An animation's playing time as browsers play it (ms); 0 for a still.
    duration_ms: int = 0


@dataclasses.dataclass(frozen=True)
class Output:
    spec: RenditionSpec
    data: bytes
    width: int
    height: int
    # Set on one output of a render asked for placeholders (see render_iter).
    placeholder: Placeholder | None = None
    # Frames, playing time and loops of an animated output; None for a still.
    motion: animation.Motion | None = None
    # The encoder quality used (None for PNG) and, when the spec asked for a
    # perceptual target, the score that quality reached (see quality.autoquality).
    quality: int | None = None
    score: float | None = None


def inspect(data: bytes, limits: Limits) -> SourceInfo:
    """Validate an upload fully and describe it; raise ``ImageError`` if refused."""
    memory.use_returnable_memory(limits)
    with opened(data, limits) as source:
        # Decoding the whole first frame is the only sure test for damage.
        if not (
            source.format == "webp"
            and source.frames == 1
            and decode_still(data, source.image.size) is not None
        ):
            source.image.load()
        motion = None
        if animation.is_animation(source.format, source.frames):
            motion = animation.survey(source.image, source.format, limits)
        width, height = source.size
        return SourceInfo(
            format=source.format,
            mime=MIME_TYPES[source.format],
            width=width,
            height=height,
            frames=source.frames,
            has_alpha=source.image.has_transparency_data,
            duration_ms=motion.duration_ms if motion else 0,
        )


def render(
    data: bytes,
    specs: Sequence[RenditionSpec],
    limits: Limits,
    *,
    threads: int | None = None,
    placeholders: bool = False,
) -> list[Output]:
    """Validate like ``inspect``, decode once and return one output per spec."""
    return list(
        render_iter(data, specs, limits, threads=threads, placeholders=placeholders)
    )


def render_iter(
    data: bytes,
    specs: Sequence[RenditionSpec],
    limits: Limits,
    *,
    threads: int | None = None,
    placeholders: bool = False,
) -> Iterator[Output]:
    """Validate like ``inspect``, decode once and yield one output per spec.

    Outputs come in the order of ``specs``, each as soon as it and those before
    it are encoded, so a caller can store one while the next is being made.
    Refusals are raised before the first output.

    With ``placeholders``, exactly one output carries the image's placeholder,
    made from the smallest whole-frame resize (no extra decode or large
    resize), or from the decode when every spec crops.
    """
    specs = list(specs)
    recipe = _recipe_of(specs)
    if any(spec.animated for spec in specs):
        yield from _render_moving(data, specs, limits, threads, placeholders)
        return
    memory.use_returnable_memory(limits)
    with opened(data, limits) as source:
        size, fmt = edits.edited_size(recipe, source.size), source.format
        image = decode(source, specs, recipe)
    del source  # it holds the full decode; the nodes below free it sooner
    started = time.perf_counter()
    steps = cascade.plan(specs, size, image.size)
    early, chosen = None, None
    if placeholders:
        chosen = cascade.smallest_whole(steps)
        if chosen is None and specs:
            early = placeholder_of(image)
    # Pillow premultiplies alpha around every resize, a full-size copy each
    # time; doing it once saves most of the time on big RGBA images.
    if image.mode == "RGBA":
        image = image.convert("RGBa")
    threads = threads or default_threads()
    libvips.use_threads(threads)
    workers = min(len(specs), threads)
    finish = functools.partial(_finish, placeholder_step=chosen)
    outputs = cascade.run(steps, image, finish, workers, _cost)
    del image  # so the decode is freed as soon as no resize needs it
    try:
        for output in outputs:
            if early is not None:
                output, early = dataclasses.replace(output, placeholder=early), None
            yield output
    except MemoryError as exc:
        raise MemoryLimitError(_NO_MEMORY) from exc
    logger.debug(
        "Rendered %d specs from %s %s in %.0f ms",
        len(specs),
        fmt,
        size,
        (time.perf_counter() - started) * 1000,
    )


def _render_moving(data, specs, limits, threads, placeholders) -> Iterator[Output]:
    """Build the animated specs from every frame, the rest as stills; in spec order.

    The animations are made first, so a refusal still comes before any output.
    """
    moving = [i for i, spec in enumerate(specs) if spec.animated]
    made, recipe = {}, _recipe_of(specs)
    memory.use_returnable_memory(limits)
    libvips.use_threads(threads or default_threads())
    with opened(data, limits) as source:
        if animation.is_animation(source.format, source.frames):
            outs = animation.render(
                source.image,
                source.format,
                [specs[i] for i in moving],
                limits,
                orientation=source.orientation,
                recipe=recipe,
                threads=threads or default_threads(),
                placeholder=placeholders and len(moving) == len(specs),
                webp_method=encode.WEBP_METHOD,
            )
            for i, out in zip(moving, outs, strict=True):
                made[i] = Output(specs[i], out.data, *out.size, out.placeholder,
                                 out.motion)  # fmt: skip
    still = [i for i in range(len(specs)) if i not in made]
    stills = render_iter(
        data,
        [dataclasses.replace(specs[i], animated=False) for i in still],
        limits,
        threads=threads,
        placeholders=placeholders and bool(still),
    )
    try:
        for i in range(len(specs)):
            if i in made:
                yield made.pop(i)
            else:
                yield dataclasses.replace(next(stills), spec=specs[i])
    finally:
        stills.close()


def _cost(step: cascade.Step) -> float:
    """Estimate a step's CPU time in ns: its resize and its encode."""
    left, top, right, bottom = step.box
    pixels = step.size[0] * step.size[1]
    return (right - left) * (bottom - top) * RESIZE_NS_PER_PIXEL + (
        pixels * ENCODE_NS_PER_PIXEL[step.spec.format]
    )


def _finish(
    image: Image.Image, step: cascade.Step, placeholder_step: int | None = None
) -> Output:
    """Encode one resized image into its output (with the placeholder if chosen)."""
    if image.mode == "RGBa":
        image = image.convert("RGBA")
    made = placeholder_of(image) if step.index == placeholder_step else None
    spec, score = step.spec, None
    quality = None if spec.format == "png" else spec.quality
    if spec.target is not None:
        choice = autoquality.choose(
            image,
            spec.format,
            spec.target,
            lambda small, q: encode.encode(small, spec, q, tuned=True),
            spec.background,
            ceiling=spec.quality,
            draft=lambda small, q: encode.encode(
                small, spec, q, tuned=True, draft=True
            ),
            alternate=alternate_encoder(spec),
        )
        quality, score = choice.quality, choice.score
        data = choice.data or encode.encode(
            image, spec, quality, tuned=True, sharp=choice.alternate
        )
    else:
        data = encode.encode(image, spec)
    return Output(spec, data, *image.size, made, quality=quality, score=score)


def alternate_encoder(spec: RenditionSpec):
    """Return auto-quality's second encoder for ``spec`` (WebP's sharp YUV), or
    None; ``bench.calibrate_quality`` searches with the same one."""
    if spec.format != "webp" or not webp.available():
        return None
    return lambda small, q: encode.encode(small, spec, q, tuned=True, sharp=True)


def _recipe_of(specs: Sequence[RenditionSpec]) -> edits.Recipe | None:
    """Return the one edit all ``specs`` are of (None: the original as is)."""
    keys = {spec.edit for spec in specs}
    if len(keys) > 1:
        raise ValueError("One render makes renditions of one edit.")
    return edits.Recipe.from_key(keys.pop()) if keys else None
