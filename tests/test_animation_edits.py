"""An edited animation keeps its motion: the recipe (crop, turns, mirror) is
applied to every frame, in the geometry of the still.

Pure tests: bytes in, bytes out, no database (the upload-and-edit path is in
tests/test_animation_service.py).
"""

import dataclasses
import io

import pytest
from PIL import Image, ImageChops, ImageSequence, ImageStat

from tests import images
from tests.support import LIMITS
from transcoder.imaging import engine
from transcoder.imaging.edits import Recipe
from transcoder.imaging.encoding import animation
from transcoder.imaging.specs import RenditionSpec

# Every frame's quadrants (top left, top right, bottom left, bottom right)
# take these colours, shifted by one per frame, so no two frames are alike.
COLOURS = [(220, 0, 0), (0, 200, 0), (0, 0, 220), (255, 255, 255), (240, 200, 0)]
DURATIONS = [120, 0, 300, 80, 200]
SIZE = (80, 60)
# Cut (20, 10)-(70, 50) of the 80 x 60 canvas, then a quarter turn clockwise
# and a mirror: a transpose, so the picture is 40 x 50 and what was at the
# top right of the canvas is now at the bottom left.
RECIPE = (
    Recipe(source=SIZE).cropped((20, 10, 50, 40)).rotated(1).flipped(horizontal=True)
)


def quadrants(index, size=SIZE):
    """Return frame ``index``: four solid quadrants, colours shifted by it."""
    width, height = size
    frame = Image.new("RGB", size)
    for corner in range(4):
        x, y = corner % 2 * width // 2, corner // 2 * height // 2
        colour = COLOURS[(corner + index) % len(COLOURS)]
        frame.paste(colour, (x, y, x + width // 2, y + height // 2))
    return frame


def animated(fmt="GIF", **kwargs):
    frames = [quadrants(i) for i in range(len(DURATIONS))]
    return images.encode(
        frames[0],
        fmt,
        save_all=True,
        append_images=frames[1:],
        duration=DURATIONS,
        loop=0,
        **kwargs,
    )


def spec(fmt="webp", width=40, height=None, fit="contain", **kwargs):
    return RenditionSpec(
        fit=fit, width=width, height=height, format=fmt, edit=RECIPE.key, **kwargs
    )


def edited(data, *specs, limits=LIMITS):
    """Render ``specs`` of the edited ``data`` with motion where it can move."""
    info = engine.inspect(data, limits)
    moving = animation.with_motion(specs, info.format, info.frames)
    return engine.render(data, moving, limits)


def frames_of(output):
    image = Image.open(io.BytesIO(output.data))
    frames = []
    for frame in ImageSequence.Iterator(image):
        frame.load()  # AVIF reads a frame's duration as it decodes it
        frames.append((frame.convert("RGB"), frame.info.get("duration")))
    return frames


def diff(a, b):
    """Return the mean absolute difference of two RGB images, worst channel.

    Lossy 4:2:0 chroma costs up to about 7 at these small pictures' sharp
    colour edges; a frame turned the wrong way differs by 150 or more.
    """
    return max(ImageStat.Stat(ImageChops.difference(a, b)).mean)


def near(pixel, colour, tolerance=16):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def expected(index, size):
    """Return frame ``index`` edited by RECIPE, cut and transposed by hand."""
    frame = quadrants(index).crop((20, 10, 70, 50))
    return frame.transpose(Image.Transpose.TRANSPOSE).resize(size, Image.LANCZOS)


@pytest.mark.parametrize("fmt", ["webp", "avif"])
def test_every_frame_is_edited_and_keeps_its_time(fmt):
    """Cropped, turned and mirrored GIF: every frame, each duration (browser-
    adjusted), the edited size, and each frame's pixels where the edit put them."""
    [out] = edited(animated(), spec(fmt))
    assert (out.width, out.height) == (40, 50)
    assert out.motion == animation.Motion(frames=5, duration_ms=800, loop=0)
    frames = frames_of(out)
    assert [d for _, d in frames] == [120, 100, 300, 80, 200]
    for index, (frame, _) in enumerate(frames):
        assert frame.size == (40, 50)
        assert diff(frame, expected(index, (40, 50))) < 12
        # The canvas's top right quadrant is now at the bottom left, its
        # bottom left at the top right; the top left stays.
        top_left, top_right, bottom_left = (
            COLOURS[(corner + index) % len(COLOURS)] for corner in (0, 1, 2)
        )
        assert near(frame.getpixel((5, 5)), top_left)
        assert near(frame.getpixel((5, 45)), top_right)
        assert near(frame.getpixel((35, 5)), bottom_left)


def test_the_first_frame_is_the_edited_still():
    """An animated WebP's first frame is the still of the same edit, for a
    contained and a cover-cropped spec alike (the focal point is of the edited
    picture); the JPEG beside them is that still."""
    cover = dict(fit="cover", height=20, focal=(0.5, 0.9))
    specs = [spec("webp"), spec("webp", **cover), spec("jpeg")]
    outs = edited(animated(), *specs)
    assert [o.motion is not None for o in outs] == [True, True, False]
    stills = engine.render(animated(), [spec("webp"), spec("webp", **cover)], LIMITS)
    for out, still in zip(outs, stills, strict=False):
        first, _ = frames_of(out)[0]
        assert first.size == (still.width, still.height)
        assert diff(first, Image.open(io.BytesIO(still.data)).convert("RGB")) < 2
    # The cover crop is the bottom of the edited picture: the canvas's top
    # right quadrant, turned and mirrored there, in every frame.
    for index, (frame, _) in enumerate(frames_of(outs[1])):
        assert near(frame.getpixel((5, 10)), COLOURS[(1 + index) % len(COLOURS)])
    jpeg = Image.open(io.BytesIO(outs[2].data))
    assert getattr(jpeg, "n_frames", 1) == 1 and jpeg.size == (40, 50)
    assert diff(jpeg.convert("RGB"), expected(0, (40, 50))) < 12


def test_an_animated_webp_with_exif_orientation_is_edited_upright():
    """EXIF orientation first, then the recipe, as for a still: a WebP stored
    turned (orientation 6) moves with the same edited frames as the GIF."""
    frames = [
        quadrants(i).transpose(Image.Transpose.ROTATE_90) for i in range(len(DURATIONS))
    ]
    data = images.encode(
        frames[0],
        "WEBP",
        orientation=6,
        save_all=True,
        append_images=frames[1:],
        duration=DURATIONS,
        lossless=True,
    )
    [out] = edited(data, spec("webp"))
    frames = frames_of(out)
    assert len(frames) == 5 and (out.width, out.height) == (40, 50)
    for index, (frame, _) in enumerate(frames):
        assert diff(frame, expected(index, (40, 50))) < 12


def test_an_edit_for_another_file_is_refused():
    """A recipe made for another size is refused before any frame is encoded."""
    other = dataclasses.replace(
        spec("webp", animated=True), edit=Recipe(source=(81, 60), turns=1).key
    )
    with pytest.raises(engine.ImageError, match="made for another file"):
        engine.render(animated(), [other], LIMITS)


def test_limits_still_apply_to_an_edited_animation():
    """Playing time is the source's whatever the edit; the pixel-time counts
    the whole canvas, which is decoded whatever the crop keeps."""
    data = animated()
    short = dataclasses.replace(LIMITS, max_animation_seconds=0.5)
    with pytest.raises(engine.AnimationTooLongError, match="more than 0.5 seconds"):
        engine.render(data, [spec("webp", animated=True)], short)
    # 5 frames of the 80 x 60 canvas are 24,000 pixels; the 50 x 40 crop
    # alone would be 10,000.
    few = dataclasses.replace(LIMITS, max_animation_pixels=20_000)
    with pytest.raises(engine.AnimationTooLongError, match="5 frames of 80 × 60"):
        engine.render(data, [spec("webp", animated=True)], few)


def test_stills_of_an_edit_built_before_keep_serving():
    """An animation edited before edits moved has still renditions under the
    still spec's digest: the moving spec lists it among its earlier digests,
    so they keep serving until a rebuild makes the moving ones."""
    moving, still = spec("webp", animated=True), spec("webp")
    assert moving.animated and moving.digest != still.digest
    assert still.digest in moving.earlier_digests
