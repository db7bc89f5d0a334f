"""Keep an animated source's motion in its WebP and AVIF renditions.

No Django. An animated GIF, WebP, APNG or AVIF gives its animated specs
(``RenditionSpec.animated``, set by ``with_motion`` for WebP and AVIF only)
every frame; JPEG and PNG renditions stay stills of the first frame, as
before. The engine hands an opened source to ``render`` and keeps the stills.

- One decode: frame after frame, each composited by Pillow (disposal and
  blending applied, so every frame is a whole canvas), turned upright once,
  edited by the asset's recipe (``edits.Recipe``: crop, turns, mirror, as a
  still is), brought to sRGB, then resized to every spec by the same plan as
  a still (``resize.cascade.plan``: cover crops around the focal point, each size
  from the nearest larger one) and fed straight into each spec's encoder
  (``animation_encoders``). Memory holds one decoded canvas and one resized
  frame per spec, whatever the length.
- Timing is what browsers show: Chromium, Firefox and WebKit play a frame of
  10 ms or less (0 and 1 in a GIF's hundredths) for 100 ms, so such frames are
  written as 100 ms and play at the speed the source played on the web.
- Loops: a GIF's NETSCAPE count N means N repeats after the first play (N + 1
  plays, as browsers and libwebp's gif2webp read it), no count means once;
  WebP and APNG count plays. WebP keeps the count; Pillow's AVIF encoder
  writes no count, so AVIF renditions loop forever (docs/editors.md).
- Limits: the frame count and the pixel-time (frames x canvas pixels) are
  checked from headers before decoding (``limits.check_frames``); the playing
  time is checked while decoding (``survey`` at upload, ``render`` again).
  An edit changes neither: the whole canvas is decoded whatever it crops.
"""

import concurrent.futures
import dataclasses
import io
import time
from collections.abc import Iterator, Sequence

from PIL import Image

from transcoder.imaging.analysis.placeholder import Placeholder
from transcoder.imaging.analysis.placeholder import from_image as placeholder_of
from transcoder.imaging.decode.colour import to_srgb
from transcoder.imaging.edits import Recipe, edited_size
from transcoder.imaging.encoding.animation_encoders import frame_encoder
from transcoder.imaging.limits import (
    ANIMATED_FORMATS,
    DeadlineReader,
    DecodeTimeoutError,
    Limits,
    check_duration,
)
from transcoder.imaging.messages import gettext_noop as _
from transcoder.imaging.resize import cascade
from transcoder.imaging.specs import MOVING_FORMATS, RenditionSpec

# Changing what this module writes (these constants, the timing rule) changes
# the bytes under a name: bump specs.ANIMATION_VERSION with it.
# Browsers show frames of this many ms or less for BROWSER_FRAME_MS.
SHORTEST_FRAME_MS = 10
BROWSER_FRAME_MS = 100
# The largest frame (4K UHD) whose animation moves. A frame is decoded into a
# canvas the decoder keeps (a GIF keeps a second for disposal), then made RGBA
# and premultiplied: four canvases at once, beside the encoders' own state
# (about 300 MB for the starter presets' eleven moving renditions). At 8.3 MP
# that stays within the 600 MB any upload may peak at (bench.bench_animation
# measures it); a 50 MP animation would not, so larger ones stay stills.
# The decoder's canvases are the whole source's whatever an edit crops, so
# this bounds the upright original's size (Asset.rendition_specs).
MAX_MOVING_PIXELS = 3840 * 2160
# WebP's loop count is 16 bits; 0 means forever.
MAX_LOOP = 65535
# Each orientation's single transpose (the table of ImageOps.exif_transpose).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclasses.dataclass(frozen=True)
class Motion:
    """An animation's frames, playing time (ms, as browsers play it) and loops."""

    frames: int
    duration_ms: int
    # Times the animation plays; 0 means forever.
    loop: int


@dataclasses.dataclass(frozen=True)
class Moving:
    """One animated spec's encoded output."""

    spec: RenditionSpec
    data: bytes
    size: tuple[int, int]
    motion: Motion
    placeholder: Placeholder | None = None


def is_animation(fmt: str, frames: int) -> bool:
    """Tell whether a source of format ``fmt`` with ``frames`` frames moves.

    TIFF pages, HEIF image collections and MPO pictures are several images,
    not an animation; only their first is ever shown.
    """
    return fmt in ANIMATED_FORMATS and frames > 1


def with_motion(
    specs: Sequence[RenditionSpec],
    fmt: str,
    frames: int,
    size: tuple[int, int] = (0, 0),
) -> list[RenditionSpec]:
    """Return ``specs`` with motion asked of those that can move, for this source.

    An animation larger than ``MAX_MOVING_PIXELS`` a frame keeps still
    renditions, as before motion was kept.
    """
    if not is_animation(fmt, frames) or size[0] * size[1] > MAX_MOVING_PIXELS:
        return list(specs)
    return [
        dataclasses.replace(spec, animated=True)
        if spec.format in MOVING_FORMATS
        else spec
        for spec in specs
    ]


def frame_ms(duration) -> int:
    """Return how long a browser shows a frame whose file says ``duration`` ms."""
    try:
        value = round(float(duration or 0))
    except (TypeError, ValueError):
        value = 0
    return BROWSER_FRAME_MS if value <= SHORTEST_FRAME_MS else value


def plays(fmt: str, info: dict) -> int:
    """Return how many times the source plays (0: forever), as browsers read it."""
    loop = info.get("loop")
    if fmt == "gif":
        if loop is None:
            return 1
        return 0 if loop == 0 else min(int(loop) + 1, MAX_LOOP)
    if fmt == "avif" or loop is None:
        return 0
    return min(max(int(loop), 0), MAX_LOOP)


def survey(image: Image.Image, fmt: str, limits: Limits) -> Motion:
    """Decode every frame of an opened animation; return its motion.

    Decoding each frame is the only sure test for damage in any of them, and
    gives each frame's time; the playing time is refused past the limit.
    """
    started = time.monotonic()
    loop = plays(fmt, image.info)
    total = 0
    first, count = _frame_range(image)
    for index in range(first, count):
        image.seek(index)
        image.load()
        total += frame_ms(image.info.get("duration"))
        _check_deadline(started, limits)
    check_duration(total, limits)
    image.seek(0)
    return Motion(count - first, total, loop)


def render(
    image: Image.Image,
    fmt: str,
    specs: Sequence[RenditionSpec],
    limits: Limits,
    *,
    orientation: int = 1,
    recipe: Recipe | None = None,
    threads: int = 1,
    placeholder: bool = False,
    webp_method: int = 4,
) -> list[Moving]:
    """Decode ``image`` frame by frame and encode every spec's animation.

    ``image`` is an opened, undecoded animation; ``recipe`` edits every frame
    (of the upright canvas). Outputs come in the order of ``specs``; with
    ``placeholder`` the first carries the first frame's.
    """
    alpha = _has_alpha(image, fmt)
    loop = plays(fmt, image.info)
    # Refused before any frame is decoded if made for another file.
    canvas = edited_size(recipe, _upright(image.size, orientation))
    steps = cascade.plan(specs, canvas, canvas)
    encoders = [frame_encoder(step, alpha, loop, webp_method) for step in steps]
    made = None
    timestamp = count = 0
    workers = max(1, min(threads, len(steps)))
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for frame, duration in frames(
            image, fmt, limits, orientation=orientation, recipe=recipe
        ):
            count += 1
            if placeholder and made is None:
                made = placeholder_of(frame)
            if alpha:
                # Premultiplied once per frame, as engine.render does per image.
                frame = frame.convert("RGBa")
            resized = _resize(steps, frame)
            del frame
            adds = [
                pool.submit(encoder.add, out, timestamp, duration)
                for encoder, out in zip(encoders, resized, strict=True)
            ]
            del resized
            for added in adds:
                added.result()
            timestamp += duration
        datas = [
            done.result()
            for done in [pool.submit(enc.finish, timestamp) for enc in encoders]
        ]
    motion = Motion(count, timestamp, loop)
    by_spec = {}
    for step, data in zip(steps, datas, strict=True):
        by_spec[step.index] = Moving(step.spec, data, step.size, motion)
    outputs = [by_spec[index] for index in range(len(specs))]
    if made is not None and outputs:
        outputs[0] = dataclasses.replace(outputs[0], placeholder=made)
    return outputs


def frames(
    image: Image.Image,
    fmt: str,
    limits: Limits,
    *,
    orientation: int = 1,
    recipe: Recipe | None = None,
) -> Iterator[tuple[Image.Image, int]]:
    """Yield each frame browsers show, composited, upright, edited by
    ``recipe``, in sRGB, and its ms.

    Every frame has the first one's canvas (edited) and one mode: RGBA if any
    frame may be transparent, else RGB. A frame may share the decoder's pixels, so
    it is good until the next one is asked for. The playing time is refused
    past the limit.
    """
    first, count = _frame_range(image)
    canvas = _upright(image.size, orientation)
    alpha = _has_alpha(image, fmt)
    # GIF and APNG frames are read as they are decoded; the reader's deadline
    # bounds decoding, so the time the caller spends on each frame (encoding
    # it) moves the deadline on.
    reader = getattr(image, "fp", None)
    elapsed = 0
    for index in range(first, count):
        image.seek(index)
        image.load()
        duration = frame_ms(image.info.get("duration"))
        elapsed += duration
        check_duration(elapsed, limits, whole=False)
        paused = time.monotonic()
        yield _frame(image, canvas, orientation, recipe, alpha), duration
        if isinstance(reader, DeadlineReader):
            reader.deadline += time.monotonic() - paused


def _frame_range(image: Image.Image) -> tuple[int, int]:
    """Return the first and past-the-last frame that browsers play.

    An APNG's default image may stand outside the animation (no frame control
    before it): viewers without APNG show it, browsers skip it, and Pillow
    counts it as frame 0.
    """
    skip = 1 if getattr(image, "default_image", False) else 0
    return skip, image.n_frames


def _check_deadline(started: float, limits: Limits) -> None:
    """Refuse an animation whose frames take longer to decode than allowed."""
    if time.monotonic() - started > limits.max_seconds:
        raise DecodeTimeoutError(
            _(
                "The animation takes too long to decode; upload a shorter or "
                "smaller one."
            )
        )


def _upright(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    """Return the canvas size once turned upright."""
    return size[::-1] if orientation in (5, 6, 7, 8) else size


def _has_alpha(image: Image.Image, fmt: str) -> bool:
    """Tell whether any frame may be transparent, before decoding them all.

    Every frame of one animation is encoded in one mode, so this is decided
    up front: from the file's mode, and for GIFs from every frame's graphic
    control block (a later frame may be the first to use transparency).
    """
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in (
        image.info
    ):
        return True
    fp = getattr(image, "fp", None)
    if fmt == "gif" and isinstance(fp, io.BytesIO):
        return gif_has_transparency(fp.getvalue())
    return False


def gif_has_transparency(data: bytes) -> bool:
    """Tell whether any graphic control block of a GIF sets a transparent index."""
    if len(data) < 13:
        return False
    flags = data[10]
    pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    while pos < len(data):
        block = data[pos]
        pos += 1
        if block == 0x2C and pos + 9 <= len(data):
            flags = data[pos + 8]
            pos += 9 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0) + 1
            pos = _skip_sub_blocks(data, pos)
        elif block == 0x21 and pos < len(data):
            if data[pos] == 0xF9 and pos + 3 <= len(data) and data[pos + 2] & 1:
                return True
            pos = _skip_sub_blocks(data, pos + 1)
        else:
            break
    return False


def _skip_sub_blocks(data: bytes, pos: int) -> int:
    """Return the position after a chain of GIF data sub-blocks."""
    while pos < len(data) and data[pos]:
        pos += data[pos] + 1
    return pos + 1


def _frame(
    image: Image.Image,
    canvas: tuple[int, int],
    orientation: int,
    recipe: Recipe | None,
    alpha: bool,
) -> Image.Image:
    """Return the decoded frame upright, on the first frame's canvas, edited
    and in sRGB: the pixels a still of it gets (``decode.opening.decode``)."""
    # A view of the decoder's pixels: later steps make new images, and the
    # decoder's own info (which the next frame's decode reads) is left alone.
    frame = image._new(image.im)
    if orientation in _TRANSPOSE:
        frame = frame.transpose(_TRANSPOSE[orientation])
    if frame.size != canvas:
        # A GIF frame may grow the canvas; every frame keeps the first's.
        frame = frame.crop((0, 0, *canvas))
    if recipe is not None:
        # Before the colour conversion, as for a still: only kept pixels.
        frame = recipe.apply(frame)
    frame = to_srgb(frame)
    mode = "RGBA" if alpha else "RGB"
    if frame.mode != mode:
        frame = frame.convert(mode)
    return frame


def _resize(steps: Sequence[cascade.Step], frame: Image.Image) -> list[Image.Image]:
    """Resize one frame for every step, each from its parent, as for a still."""
    done: list[Image.Image] = []
    for step in steps:
        source = frame if step.parent < 0 else done[step.parent]
        done.append(cascade.resize(source, step.size, step.box))
    return [out.convert("RGBA") if out.mode == "RGBa" else out for out in done]
