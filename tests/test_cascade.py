"""The resize plan: largest first, each from the nearest larger whole frame."""

import concurrent.futures
import io

import pytest
from PIL import Image, ImageChops, ImageFilter, ImageStat

from tests import images
from tests.images import noisy
from tests.support import LIMITS
from transcoder.imaging import cascade, engine
from transcoder.imaging.specs import RenditionSpec

WORKLOAD = [
    RenditionSpec("cover", 160, 160, "jpeg"),
    RenditionSpec("contain", 640, None, "webp"),
    RenditionSpec("contain", 1280, None, "jpeg"),
    RenditionSpec("contain", 1920, None, "webp"),
    RenditionSpec("cover", 1200, 630, "jpeg"),
    RenditionSpec("contain", 800, None, "avif"),
]


def test_plan_resizes_each_spec_from_the_nearest_larger_frame():
    """On a 5120 x 2880 decode, only the 1920 px output reads the full image."""
    steps = cascade.plan(WORKLOAD, (5120, 2880), (5120, 2880))
    by_width = {step.size[0]: step for step in steps}
    parent = {w: steps[s.parent].size[0] if s.parent >= 0 else None
              for w, s in by_width.items()}  # fmt: skip
    assert [s.size for s in steps] == [
        (1920, 1080), (1280, 720), (1200, 630), (800, 450), (640, 360), (160, 160),
    ]  # fmt: skip
    assert parent == {1920: None, 1280: 1920, 1200: 1920, 800: 1280, 640: 1280,
                      160: 640}  # fmt: skip
    # The 1200 x 630 crop, taken from the 1920 px frame, keeps its box's shape.
    left, top, right, bottom = by_width[1200].box
    assert (right - left) / (bottom - top) == pytest.approx(1200 / 630)


@pytest.mark.parametrize(
    ("specs", "expected_parents"),
    [
        # Less than CASCADE_MIN apart: both come from the decode.
        ([RenditionSpec("contain", 1000, None, "jpeg"),
          RenditionSpec("contain", 800, None, "jpeg")], [-1, -1]),
        # A cover crop is never a source: it does not hold the whole frame.
        ([RenditionSpec("cover", 800, 800, "jpeg"),
          RenditionSpec("contain", 100, None, "jpeg")], [-1, -1]),
    ],
)  # fmt: skip
def test_plan_reads_the_decode_when_no_output_is_large_enough(specs, expected_parents):
    """Only whole frames at least CASCADE_MIN times larger are used as sources."""
    steps = cascade.plan(specs, (2000, 1000), (2000, 1000))
    assert [s.parent for s in steps] == expected_parents


def test_cascaded_outputs_match_a_direct_lanczos_resize():
    """Resizing from an intermediate looks like resizing from the full image."""
    source = noisy((2400, 1600)).resize((2400, 1600), Image.Resampling.BICUBIC)
    data = images.encode(source, "PNG")
    specs = [RenditionSpec("contain", w, None, "png") for w in (1200, 600, 300)]
    outputs = engine.render(data, specs, LIMITS)
    for spec, out in zip(specs, outputs, strict=True):
        direct = source.resize((out.width, out.height), Image.Resampling.LANCZOS)
        got = Image.open(io.BytesIO(out.data)).convert("RGB")
        diff = ImageStat.Stat(ImageChops.difference(got, direct)).mean
        assert max(diff) < 1.5, (spec.width, diff)


def test_thread_count_never_changes_the_bytes():
    """One thread or four, the same source and specs give the same outputs."""
    data = images.encode(noisy((1600, 1200)), "JPEG", quality=90)
    one = engine.render(data, WORKLOAD, LIMITS, threads=1)
    four = engine.render(data, WORKLOAD, LIMITS, threads=4)
    assert [o.data for o in one] == [o.data for o in four]
    assert [o.spec for o in four] == WORKLOAD


def test_a_failed_resize_is_raised_not_its_dependants(monkeypatch):
    """When a source resize fails, render raises that error for the editor."""
    real_resize = Image.Image.resize

    def failing(self, size, *args, **kwargs):
        if size[0] == 1280:  # the whole resize, or each of its strips
            raise MemoryError
        return real_resize(self, size, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "resize", failing)
    data = images.encode(noisy((2560, 1920)), "PNG")
    specs = [RenditionSpec("contain", w, None, "jpeg") for w in (160, 1280, 640)]
    with pytest.raises(engine.MemoryLimitError, match="more memory"):
        engine.render(data, specs, LIMITS)


@pytest.mark.parametrize(
    ("source_size", "size", "box"),
    [
        ((2560, 1440), (1920, 1080), (0.0, 0.0, 2560.0, 1440.0)),
        # A cover crop with a fractional box, and an odd number of rows.
        ((2400, 1600), (1200, 631), (37.25, 101.5, 2361.75, 1324.75)),
        # An upscale-free shrink that is still over the strip threshold.
        ((1300, 1000), (1250, 961), (0.0, 0.0, 1300.0, 1000.0)),
    ],
)
@pytest.mark.parametrize("mode", ["RGB", "RGBa", "L"])
def test_a_resize_in_strips_is_the_same_image_as_one_resize(
    source_size, size, box, mode
):
    """Strips run by helper threads or in place are the same bytes, near Pillow's.

    Pillow fits the fixed-point precision of its weights to each pass and, in
    13, picks which pass runs first by cost, so a strip may round a little
    differently from the whole image: at most two levels, and only where the
    filter's overshoot was clipped between passes.
    """
    source = noisy(source_size).filter(ImageFilter.GaussianBlur(1.5)).convert(mode)
    assert (box[2] - box[0]) * (box[3] - box[1]) >= cascade.STRIP_MIN_PIXELS
    whole = source.resize(
        size, Image.Resampling.LANCZOS, box=box, reducing_gap=cascade.REDUCING_GAP
    )
    with concurrent.futures.ThreadPoolExecutor(1) as helpers:
        threaded = cascade.resize(source, size, box, helpers)
    alone = cascade.resize(source, size, box)
    assert threaded.mode == alone.mode == mode
    assert threaded.tobytes() == alone.tobytes()
    diff = ImageChops.difference(alone, whole)
    assert max(band.getextrema()[1] for band in diff.split()) <= 2
    assert max(ImageStat.Stat(diff).mean) < 0.5


@pytest.fixture
def resizes(monkeypatch):
    """Return the list of sizes every Image.resize call from now on asks for."""
    calls = []
    real_resize = Image.Image.resize

    def counting(self, size, *args, **kwargs):
        calls.append(size)
        return real_resize(self, size, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "resize", counting)
    return calls


def test_a_big_resize_runs_in_strips_and_a_reducing_one_does_not(resizes):
    """Only a resize over the threshold that Pillow will not reduce() is cut."""
    calls = resizes
    source = Image.new("RGB", (2000, 1000))
    cascade.resize(source, (1500, 750), (0.0, 0.0, 2000.0, 1000.0))
    assert calls == [(1500, 375), (1500, 375)]
    calls.clear()
    cascade.resize(source, (300, 150), (0.0, 0.0, 2000.0, 1000.0))  # 6.7x: reduces
    cascade.resize(source, (900, 450), (0.0, 0.0, 900.0, 900.0))  # 0.8 MP read
    cascade.resize(source, (1500, 750), (0.0, 0.0, 2000.0, 1000.0), cut=False)
    assert calls == [(300, 150), (900, 450), (1500, 750)]


def test_only_the_first_resize_is_cut(resizes):
    """The 1920 px resize everything waits for is cut; the 1280 px one is not."""
    data = images.encode(noisy((2600, 1500)), "PNG")
    resizes.clear()  # only the render's resizes count
    calls = resizes
    engine.render(data, WORKLOAD, LIMITS, threads=2)
    assert calls.count((1920, 554)) == 2  # two strips of 1920 x 1108
    assert (1280, 738) in calls  # read 2.1 MP of the 1920 px output, whole


def test_steps_start_parents_first_and_the_costliest_chain_first():
    """The 1920 px WebP chain starts first; the AVIF's chain before lone JPEGs."""
    steps = cascade.plan(WORKLOAD, (5120, 2880), (2560, 1440))
    cost = {"webp": 10, "avif": 40, "jpeg": 1}
    starts = cascade.order(steps, lambda step: cost[step.spec.format])
    started = [steps[p].size[0] for p in starts]
    assert started[0] == 1920
    for position in starts:
        parent = steps[position].parent
        assert parent < 0 or starts.index(parent) < starts.index(position)
    # 1280 leads to the AVIF (1 + 40), so it goes before the 1200 crop (1).
    assert started.index(1280) < started.index(1200)
    assert started.index(800) < started.index(1200)
    assert sorted(starts) == list(range(len(steps)))


def test_the_start_order_never_changes_the_bytes():
    """Ordered by cost or by plan, every output is the same."""
    data = images.encode(noisy((2600, 1500)), "JPEG", quality=90)
    ordered = engine.render(data, WORKLOAD, LIMITS, threads=2)
    steps = cascade.plan(WORKLOAD, (2600, 1500), (2600, 1500))
    image = Image.open(io.BytesIO(data)).convert("RGB")
    plain = list(cascade.run(steps, image, engine._finish, workers=1, cost=None))
    assert [o.data for o in ordered] == [o.data for o in plain]
