"""The resize plan: largest first, each from the nearest larger whole frame."""

import gc
import io

import pytest
import pyvips
from PIL import Image, ImageChops, ImageFilter, ImageStat

from tests import images
from tests.images import noisy
from tests.support import LIMITS
from transcoder.imaging import engine
from transcoder.imaging.resize import cascade, libvips
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
    real_resize = libvips.resize

    def failing(source, size, *args):
        if size[0] == 1280:
            raise MemoryError
        return real_resize(source, size, *args)

    monkeypatch.setattr(libvips, "resize", failing)
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
        # Over six times smaller: a whole-factor shrink before the LANCZOS.
        ((2400, 1600), (300, 200), (0.0, 0.0, 2400.0, 1600.0)),
        ((1300, 1000), (1250, 961), (0.0, 0.0, 1300.0, 1000.0)),
    ],
)
@pytest.mark.parametrize("mode", ["RGB", "RGBA", "RGBa", "L"])
def test_the_libvips_resize_is_pillows_lanczos_to_within_rounding(
    source_size, size, box, mode
):
    """libvips' LANCZOS3 makes Pillow's LANCZOS image of the box in whole pixels.

    libvips crops whole pixels, so a fractional box moves by at most half a
    source pixel; each library rounds its fixed-point weights its own way,
    a level or so apart.
    """
    source = noisy(source_size).filter(ImageFilter.GaussianBlur(1.5)).convert(mode)
    whole_pixels = tuple(float(round(v)) for v in box)
    pillow = source.resize(
        size,
        Image.Resampling.LANCZOS,
        box=whole_pixels,
        reducing_gap=cascade.REDUCING_GAP,
    )
    vips = cascade.resize(source, size, box)
    assert (vips.mode, vips.size) == (mode, size)
    diff = ImageChops.difference(vips, pillow)
    assert max(band.getextrema()[1] for band in diff.split()) <= 8
    assert max(ImageStat.Stat(diff).mean) < 0.5


def test_pixels_in_several_blocks_resize_the_same_as_in_one():
    """An image Pillow keeps in several blocks is copied for libvips, not lost."""
    source = noisy((1200, 800))
    old = Image.core.get_block_size()
    Image.core.set_block_size(1024 * 1024)  # 1 MiB: the copy takes four
    try:
        split = source.copy()
    finally:
        Image.core.set_block_size(old)
    with pytest.raises(ValueError, match="contiguous"):
        split.__arrow_c_array__()
    whole = cascade.resize(source, (500, 333), (0.0, 0.0, 1200.0, 800.0))
    again = cascade.resize(split, (500, 333), (0.0, 0.0, 1200.0, 800.0))
    assert whole.tobytes() == again.tobytes()


def test_the_resize_reads_its_source_in_place_and_never_writes_it():
    """The source is unchanged, and the output outlives it as its own pixels."""
    source = noisy((900, 600))
    before = source.tobytes()
    out = cascade.resize(source, (300, 200), (0.0, 0.0, 900.0, 600.0))
    assert source.tobytes() == before
    made = out.tobytes()
    del source
    gc.collect()
    assert out.tobytes() == made
    smaller = cascade.resize(out, (150, 100), (0.0, 0.0, 300.0, 200.0))
    assert smaller.size == (150, 100)


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "GIF", "TIFF", "AVIF"])
def test_libvips_refuses_to_parse_files(fmt):
    """Pillow parses uploads: every libvips loader but libspng's is blocked.

    The PNG one is used by ``libvips.decode_png`` only (tests/test_png.py).
    """
    libvips.use_threads(1)
    data = images.encode(noisy((64, 64)), fmt)
    with pytest.raises(pyvips.Error):
        pyvips.Image.new_from_buffer(data, "")


def test_a_mode_libvips_is_not_given_is_refused():
    """Only the modes the engine resizes are handed over; others are a bug."""
    with pytest.raises(ValueError, match="no P images"):
        cascade.resize(Image.new("P", (10, 10)), (5, 5), (0.0, 0.0, 10.0, 10.0))


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
