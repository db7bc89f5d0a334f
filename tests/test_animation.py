"""Animation kept: WebP and AVIF renditions of animations move; others stay stills.

Pure tests: bytes in, bytes out, no database. Real files (Pillow's own test
images, tests/files/animated/ORIGINS.md) check disposal, blending and
transparency against Pillow's composited source frames.
"""

import bisect
import io
import itertools
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageSequence, ImageStat

from tests import images
from tests.support import LIMITS, MIB
from transcoder.imaging import engine, limits
from transcoder.imaging.encoding import animation
from transcoder.imaging.messages import Message
from transcoder.imaging.specs import RenditionSpec

FILES = Path(__file__).parent / "files" / "animated"
COLOURS = [(255, 0, 0), (0, 0, 255), (0, 255, 0), (255, 255, 0), (0, 255, 255)]


def gif(durations, *, loop=0, size=(40, 30), **kwargs):
    """Return a GIF with one solid colour per frame and the given durations."""
    frames = [
        Image.new("RGB", size, COLOURS[i % len(COLOURS)]) for i in range(len(durations))
    ]
    buffer = io.BytesIO()
    if loop is not None:
        kwargs["loop"] = loop
    frames[0].save(
        buffer,
        "GIF",
        save_all=True,
        append_images=frames[1:],
        duration=list(durations),
        **kwargs,
    )
    return buffer.getvalue()


def moving(data, *specs, limits=LIMITS):
    """Inspect ``data`` as an upload would, then render ``specs`` with motion."""
    info = engine.inspect(data, limits)
    specs = animation.with_motion(specs, info.format, info.frames)
    return engine.render(data, specs, limits)


def opened(output):
    return Image.open(io.BytesIO(output.data))


def frames_of(image):
    """Return each frame of an opened file as RGBA, with its duration."""
    return [
        (frame.convert("RGBA"), frame.info.get("duration"))
        for frame in ImageSequence.Iterator(image)
    ]


def spec(fmt="webp", width=40, height=None, fit="contain", **kwargs):
    return RenditionSpec(fit=fit, width=width, height=height, format=fmt, **kwargs)


def diff(a, b):
    """Return the mean absolute difference of two RGBA images, per channel."""
    return max(ImageStat.Stat(ImageChops.difference(a, b)).mean)


# -- which specs move ------------------------------------------------------


def test_only_webp_and_avif_of_animations_move():
    """WebP and AVIF specs of an animation ask for motion; JPEG and PNG do not."""
    specs = [spec("jpeg"), spec("png"), spec("webp"), spec("avif")]
    moved = animation.with_motion(specs, "gif", 3)
    assert [s.animated for s in moved] == [False, False, True, True]
    # A still, and pages of a TIFF or HEIF, never move.
    assert not any(s.animated for s in animation.with_motion(specs, "gif", 1))
    assert not any(s.animated for s in animation.with_motion(specs, "tiff", 4))
    assert not any(s.animated for s in animation.with_motion(specs, "heif", 2))


def test_animations_past_4k_frames_stay_stills():
    """A frame larger than 4K UHD keeps still renditions (memory: see
    animation.MAX_MOVING_PIXELS)."""
    specs = [spec("webp"), spec("avif")]
    assert all(s.animated for s in animation.with_motion(specs, "gif", 3, (3840, 2160)))
    assert not any(
        s.animated for s in animation.with_motion(specs, "gif", 3, (3841, 2160))
    )


def test_formats_that_cannot_move_drop_the_wish():
    """A JPEG or PNG spec asked to move stays a still, with the still's digest."""
    assert not spec("jpeg", animated=True).animated
    assert spec("jpeg", animated=True).digest == spec("jpeg").digest


def test_motion_has_its_own_digest_and_stills_keep_theirs():
    """Motion changes the bytes, so the digest; a still's digest is unchanged."""
    still, moves = spec("webp"), spec("webp", animated=True)
    assert moves.digest != still.digest
    # The digest this still spec had before motion existed (engine version 3).
    assert still.digest_for(3) == "54c93336203f4e95"
    # The still renditions built before keep serving until a rebuild.
    assert still.digest in moves.earlier_digests
    assert set(still.earlier_digests) <= set(moves.earlier_digests)


# -- timing and loops --------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [(0, 100), (None, 100), (10, 100), (11, 11), (20, 20), (50, 50), (1000, 1000)],
)
def test_frames_of_ten_ms_or_less_play_as_browsers_play_them(raw, shown):
    """Browsers show a frame of 0-10 ms for 100 ms; the rendition says so."""
    assert animation.frame_ms(raw) == shown


@pytest.mark.parametrize(
    ("fmt", "info", "plays"),
    [
        ("gif", {}, 1),  # no NETSCAPE block: once
        ("gif", {"loop": 0}, 0),  # forever
        ("gif", {"loop": 2}, 3),  # two repeats after the first play
        ("gif", {"loop": 65535}, 65535),
        ("png", {"loop": 1}, 1),  # APNG counts plays
        ("png", {"loop": 0}, 0),
        ("webp", {"loop": 4}, 4),
        ("avif", {}, 0),
    ],
)
def test_loops_are_counted_as_browsers_count_them(fmt, info, plays):
    """A GIF's loop count is repeats after the first play; the others count plays."""
    assert animation.plays(fmt, info) == plays


def test_gif_to_webp_keeps_frames_durations_and_loop():
    """Every frame, each duration (browser-adjusted) and the plays survive."""
    data = gif([50, 0, 10, 200], loop=2)
    [out] = moving(data, spec("webp"))
    assert out.motion == animation.Motion(frames=4, duration_ms=450, loop=3)
    image = opened(out)
    assert image.n_frames == 4 and image.info["loop"] == 3
    frames = frames_of(image)
    assert [d for _, d in frames] == [50, 100, 100, 200]
    for (frame, _), colour in zip(frames, COLOURS, strict=False):
        assert diff(frame, Image.new("RGBA", frame.size, (*colour, 255))) < 4


def test_gif_without_loop_count_plays_once():
    """No NETSCAPE block means one play in browsers, and in the rendition."""
    [out] = moving(gif([100, 100], loop=None), spec("webp"))
    assert out.motion.loop == 1 and opened(out).info["loop"] == 1


def test_avif_rendition_keeps_frames_and_durations():
    """An AVIF rendition is an image sequence with the same frames and timing."""
    [out] = moving(gif([70, 0, 300]), spec("avif", 20))
    image = opened(out)
    assert image.n_frames == 3
    frames = frames_of(image)
    assert [d for _, d in frames] == [70, 100, 300]
    assert out.motion.duration_ms == 470
    assert diff(frames[1][0], Image.new("RGBA", (20, 15), (0, 0, 255, 255))) < 8


def test_jpeg_and_png_stay_stills_of_the_first_frame():
    """Beside moving renditions, JPEG and PNG show the first frame alone."""
    data = gif([100, 100, 100])
    outs = moving(data, spec("jpeg"), spec("webp"), spec("png"), spec("avif"))
    assert [o.spec.format for o in outs] == ["jpeg", "webp", "png", "avif"]
    assert [o.motion is not None for o in outs] == [False, True, False, True]
    for out in (outs[0], outs[2]):
        image = opened(out)
        assert getattr(image, "n_frames", 1) == 1
        assert diff(image.convert("RGBA"), Image.new("RGBA", image.size, "red")) < 3
    assert opened(outs[1]).n_frames == opened(outs[3]).n_frames == 3


def test_a_still_source_asked_to_move_gives_a_still():
    """Motion asked of a still source yields the still, under the spec asked."""
    data = images.make_image("PNG", size=(40, 30))
    asked = spec("webp", animated=True)
    [out] = engine.render(data, [asked], LIMITS)
    assert out.spec == asked and out.motion is None
    assert getattr(opened(out), "n_frames", 1) == 1


def test_moving_outputs_carry_a_placeholder_when_asked():
    """With only moving specs, the first frame gives the placeholder."""
    data = gif([100, 100])
    specs = animation.with_motion([spec("webp"), spec("avif")], "gif", 2)
    outs = engine.render(data, specs, LIMITS, placeholders=True)
    assert [o.placeholder is not None for o in outs] == [True, False]
    assert outs[0].placeholder.colour == "#ff0000"


# -- geometry ---------------------------------------------------------------


def test_every_frame_is_cropped_around_the_focal_point():
    """A cover crop takes the same region of every frame, by the focal point."""
    frames = []
    for colour in ((255, 0, 0), (0, 255, 0)):
        frame = Image.new("RGB", (200, 100), (0, 0, 255))
        frame.paste(Image.new("RGB", (100, 100), colour), (100, 0))
        frames.append(frame)
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], loop=0)
    right = spec("webp", 50, 50, fit="cover", focal=(0.9, 0.5))
    left = spec("webp", 50, 50, fit="cover", focal=(0.1, 0.5))
    outs = moving(buffer.getvalue(), right, left)
    assert [opened(o).size for o in outs] == [(50, 50), (50, 50)]
    right_frames = [f for f, _ in frames_of(opened(outs[0]))]
    left_frames = [f for f, _ in frames_of(opened(outs[1]))]
    assert diff(right_frames[0], Image.new("RGBA", (50, 50), (255, 0, 0, 255))) < 4
    assert diff(right_frames[1], Image.new("RGBA", (50, 50), (0, 255, 0, 255))) < 4
    for frame in left_frames:
        assert diff(frame, Image.new("RGBA", (50, 50), (0, 0, 255, 255))) < 4


def test_sizes_cascade_like_stills():
    """Several widths of one animation each come out at their own size."""
    data = gif([100, 100], size=(400, 300))
    outs = moving(data, spec("webp", 400), spec("webp", 200), spec("avif", 100))
    assert [(o.width, o.height) for o in outs] == [(400, 300), (200, 150), (100, 75)]
    assert [opened(o).size for o in outs] == [(400, 300), (200, 150), (100, 75)]


# -- disposal, blending, transparency (real files) ---------------------------


@pytest.mark.parametrize(
    "name",
    [
        "chi.gif",
        "dispose_prev.gif",
        "dispose_bgnd.gif",
        "transparent_dispose.gif",
        "iss634.webp",
        "star.avifs",
        "apng_dispose_op_previous.png",
        "apng_blend_op_over.png",
    ],
)
def test_each_frame_is_the_composited_source_frame(name):
    """The frames fed to the encoders are the source's frames as composited
    (disposal, blending, transparency), pixel for pixel, with browser timing."""
    data = (FILES / name).read_bytes()
    source = Image.open(io.BytesIO(data))
    skip = 1 if getattr(source, "default_image", False) else 0
    wanted = [
        (frame.convert("RGBA"), animation.frame_ms(frame.info.get("duration")))
        for frame in ImageSequence.Iterator(source)
    ][skip:]
    image = Image.open(io.BytesIO(data))
    # A frame may share the decoder's pixels until the next one is asked for.
    got = [
        (frame.convert("RGBA"), duration)
        for frame, duration in animation.frames(image, image.format.lower(), LIMITS)
    ]
    assert len(got) == len(wanted)
    for (frame, duration), (expected, wanted_ms) in zip(got, wanted, strict=True):
        assert duration == wanted_ms
        assert diff(_premultiplied(frame), _premultiplied(expected)) < 1


@pytest.mark.parametrize(
    "name",
    [
        "chi.gif",
        "dispose_prev.gif",
        "dispose_bgnd.gif",
        "iss634.webp",
        "star.avifs",
        "apng_dispose_op_previous.png",
        "apng_blend_op_over.png",
    ],
)
def test_webp_frames_look_like_the_composited_source(name):
    """Each WebP frame shows the source frame as composited, within lossy
    coding's error, at the same size and time (libwebp merges identical
    neighbours and picks its own disposal and blending)."""
    data = (FILES / name).read_bytes()
    source = Image.open(io.BytesIO(data))
    width, height = source.size
    skip = 1 if getattr(source, "default_image", False) else 0
    wanted = [
        (frame.convert("RGBA"), animation.frame_ms(frame.info.get("duration")))
        for frame in ImageSequence.Iterator(source)
    ][skip:]
    [out] = moving(data, spec("webp", width, quality=90))
    assert out.motion.frames == len(wanted)
    assert out.motion.duration_ms == sum(d for _, d in wanted)
    got = frames_of(opened(out))
    # libwebp merges identical neighbours into one longer frame, so compare
    # what shows at each source frame's start.
    ends = list(itertools.accumulate(duration or 0 for _, duration in got))
    # One frame left (all alike) is written as a still, with no duration.
    assert len(got) == 1 or ends[-1] == out.motion.duration_ms
    start = 0
    for frame, duration in wanted:
        shown = got[min(bisect.bisect_right(ends, start), len(got) - 1)][0]
        # Lossy coding's own error: the same frame encoded as a still WebP.
        still = Image.open(io.BytesIO(images.encode(frame, "WEBP", quality=90)))
        own = diff(_premultiplied(still.convert("RGBA")), _premultiplied(frame))
        error = diff(_premultiplied(shown), _premultiplied(frame))
        assert error < own + 2, (name, start, error, own)
        start += duration


def _premultiplied(image):
    return image.convert("RGBa").convert("RGBA") if image.mode == "RGBA" else image


def test_transparency_is_kept():
    """Transparent GIF pixels stay transparent in WebP and AVIF."""
    data = (FILES / "transparent_dispose.gif").read_bytes()
    outs = moving(data, spec("webp", 3), spec("avif", 3))
    for out in outs:
        first = next(ImageSequence.Iterator(opened(out))).convert("RGBA")
        source = Image.open(io.BytesIO(data)).convert("RGBA")
        assert [first.getpixel((x, 0))[3] for x in range(3)] == [
            source.getpixel((x, 0))[3] for x in range(3)
        ]


def test_apng_default_image_outside_the_animation_is_skipped():
    """Browsers skip an APNG's default image that no frame control precedes."""
    data = (FILES / "apng_blend_op_over.png").read_bytes()
    assert Image.open(io.BytesIO(data)).default_image
    [out] = moving(data, spec("webp", 128))
    assert out.motion.frames == 2


# -- limits -----------------------------------------------------------------


def test_pixel_time_is_refused_before_decoding():
    """Frames times canvas pixels over the limit is refused with the numbers."""
    data = gif([100] * 10, size=(100, 100))
    limits = engine.Limits(
        max_bytes=MIB, max_pixels=50_000_000, max_animation_pixels=50_000
    )
    with pytest.raises(
        engine.AnimationTooLongError,
        match=(
            r"^The animation has 10 frames of 100 × 100 pixels, 0.1 megapixels in "
            r"all; the limit is 0.05 megapixels\. Upload a shorter or smaller "
            r"animation\.$"
        ),
    ):
        engine.inspect(data, limits)
    with pytest.raises(engine.AnimationTooLongError):
        engine.render(data, animation.with_motion([spec()], "gif", 10), limits)


def test_playing_time_is_refused_at_upload_and_build():
    """An animation playing longer than allowed is refused, in seconds."""
    data = gif([500] * 5)
    limits = engine.Limits(
        max_bytes=MIB, max_pixels=50_000_000, max_animation_seconds=2
    )
    with pytest.raises(
        engine.AnimationTooLongError,
        match=(
            r"^The animation plays for 2.5 seconds; the limit is 2 seconds\. "
            r"Upload a shorter animation\.$"
        ),
    ):
        engine.inspect(data, limits)
    # A build counts while it decodes, and stops at the limit.
    with pytest.raises(
        engine.AnimationTooLongError,
        match=r"^The animation plays for more than 2 seconds, the limit\. ",
    ):
        engine.render(data, animation.with_motion([spec()], "gif", 5), limits)


def test_playing_time_counts_short_frames_as_browsers_show_them():
    """Twenty 0 ms frames play for two seconds in a browser: over a 1 s limit."""
    limits = engine.Limits(
        max_bytes=MIB, max_pixels=50_000_000, max_animation_seconds=1
    )
    with pytest.raises(engine.AnimationTooLongError, match="plays for 2 seconds"):
        engine.inspect(gif([0] * 20, size=(4, 4)), limits)


def test_refusals_word_in_german():
    """The new refusals have German wording in the catalogue."""
    from django.utils import translation

    error = engine.AnimationTooLongError(
        "The animation plays for %(seconds)s seconds; the limit is %(limit)s "
        "seconds. Upload a shorter animation.",
        seconds="2.5",
        limit="2",
    )
    assert isinstance(error.message, Message)
    with translation.override("de"):
        worded = error.message.render(translation.gettext)
    assert worded != str(error) and "Sekunden" in worded


def test_inspect_reports_the_playing_time():
    """An upload's facts include how long the animation plays."""
    info = engine.inspect(gif([100, 0, 250]), LIMITS)
    assert (info.frames, info.duration_ms) == (3, 450)
    assert engine.inspect(images.make_image("PNG"), LIMITS).duration_ms == 0


def test_a_damaged_later_frame_is_refused_at_upload():
    """Every frame is decoded at upload, so damage past the first is refused."""
    data = (FILES / "iss634.webp").read_bytes()
    cut = data[: len(data) * 3 // 4]
    with pytest.raises(engine.ImageError):
        engine.inspect(cut, LIMITS)


def test_every_frame_is_turned_upright_once():
    """An animated WebP with EXIF orientation 6 moves upright, like its still."""
    frames = [Image.new("RGB", (40, 20), c) for c in ("red", "blue", "green")]
    for frame in frames:
        frame.paste((255, 255, 255), (0, 0, 10, 20))  # a white band on the left
    data = images.encode(
        frames[0],
        "WEBP",
        orientation=6,
        save_all=True,
        append_images=frames[1:],
        duration=100,
        lossless=True,
    )
    outs = moving(data, spec("webp", 64), spec("jpeg", 64))
    for out in outs:
        assert (out.width, out.height) == (20, 40)
    moved = frames_of(opened(outs[0]))
    assert len(moved) == 3
    for (frame, _), colour in zip(moved, ("red", "blue", "green"), strict=True):
        # Turned clockwise: the band is now at the top.
        top, below = frame.getpixel((10, 2)), frame.getpixel((10, 35))
        assert min(top[:3]) > 240
        wanted = Image.new("RGB", (1, 1), colour).getpixel((0, 0))
        assert max(abs(a - b) for a, b in zip(below[:3], wanted, strict=True)) < 8


def test_frames_are_decoded_one_at_a_time():
    """Frames stream: the next is decoded only when asked for, so memory holds
    one canvas whatever the length (bench.bench_animation measures the peak)."""
    image = Image.open(io.BytesIO(gif([100] * 5)))
    stream = animation.frames(image, "gif", LIMITS)
    next(stream)
    assert image.tell() == 0
    next(stream)
    assert image.tell() == 1


def test_encoding_does_not_count_against_the_decode_deadline(monkeypatch):
    """The decode deadline bounds decoding: time spent encoding each frame
    (here a clock moved 8 s a frame, past a 10 s deadline) is not counted."""
    clock = [0.0]
    monkeypatch.setattr(limits.time, "monotonic", lambda: clock[0])
    image = Image.open(limits.DeadlineReader(gif([100] * 4), deadline=10.0))
    seen = 0
    for _frame, _duration in animation.frames(image, "gif", LIMITS):
        seen += 1
        clock[0] += 8.0
    assert seen == 4
    # Decoding itself still stops at the deadline.
    clock[0] = 0.0
    image = Image.open(limits.DeadlineReader(gif([100] * 4), deadline=10.0))
    clock[0] = 11.0
    with pytest.raises(limits.DecodeTimeoutError):
        list(animation.frames(image, "gif", LIMITS))
