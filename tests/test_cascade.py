"""The resize plan: largest first, each from the nearest larger whole frame."""

import io

import pytest
from PIL import Image, ImageChops, ImageStat

from tests import images
from tests.test_engine import LIMITS, noisy
from transcoder import cascade, engine
from transcoder.specs import RenditionSpec

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
        if size == (1280, 960):
            raise MemoryError
        return real_resize(self, size, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "resize", failing)
    data = images.encode(noisy((2560, 1920)), "PNG")
    specs = [RenditionSpec("contain", w, None, "jpeg") for w in (160, 1280, 640)]
    with pytest.raises(engine.MemoryLimitError, match="more memory"):
        engine.render(data, specs, LIMITS)
