"""Focal point and area geometry: the same crop as the engine, the area kept in."""

import subprocess
import sys

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from transcoder.imaging import engine
from transcoder.imaging.analysis import focal
from transcoder.imaging.specs import RenditionSpec

SIZES = [(4000, 3000), (3000, 4000), (640, 480), (801, 799)]
OUTS = [(200, 200), (1200, 630), (600, 400), (400, 800)]
POINTS = [None, (0.0, 0.0), (1.0, 1.0), (0.2, 0.8), (0.5, 0.5), (0.93, 0.07)]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("out", OUTS)
@pytest.mark.parametrize("point", POINTS)
def test_crop_box_without_area_is_the_engines(size, out, point):
    """With a point alone the box is exactly engine.crop_box's."""
    spec = RenditionSpec(
        fit="cover", width=out[0], height=out[1], format="jpeg", focal=point
    )
    target = spec.target_size(*size)
    assert focal.crop_box(target, *size, focal=point) == pytest.approx(
        engine.crop_box(spec, target, *size)
    )


fraction = st.floats(min_value=0, max_value=1, allow_nan=False)


@given(
    x=fraction,
    y=fraction,
    w=st.floats(min_value=0.01, max_value=1),
    h=st.floats(min_value=0.01, max_value=1),
    out=st.sampled_from(OUTS),
    size=st.sampled_from(SIZES),
)
@example(x=0.0, y=0.71875, w=1.0, h=0.5, out=(600, 400), size=(3000, 4000))
def test_an_area_centred_on_the_point_is_kept_whole_where_it_fits(
    x, y, w, h, out, size
):
    """The engine's box around the area's centre contains the area whenever it fits.

    This is why engine.crop_box needs no change for focal areas: the point is
    the area's centre.
    """
    area = focal.area_from_centre(x, y, w, h)
    cx, cy = (area[0] + area[2]) / 2, (area[1] + area[3]) / 2
    spec = RenditionSpec(
        fit="cover", width=out[0], height=out[1], format="jpeg", focal=(cx, cy)
    )
    width, height = size
    target = spec.target_size(width, height)
    box = engine.crop_box(spec, target, width, height)
    # The spec rounds the point to 4 decimals, the area is not rounded: at
    # most 0.00005 of 4000 px apart (x=0, y=0.71875, w=1, h=0.5 on 3000x4000
    # was 0.2 px).
    assert box == pytest.approx(
        focal.crop_box(target, width, height, focal=spec.focal, area=area),
        abs=0.5e-4 * max(size) + 1e-6,
    )
    left, top, right, bottom = (
        area[0] * width,
        area[1] * height,
        area[2] * width,
        area[3] * height,
    )
    eps = 1.0  # the spec rounds the point to 4 decimals
    if right - left <= box[2] - box[0] - 2 * eps:
        assert box[0] <= left + eps and right - eps <= box[2]
    if bottom - top <= box[3] - box[1] - 2 * eps:
        assert box[1] <= top + eps and bottom - eps <= box[3]


def test_area_corners_and_centre_round_trip():
    """Corners dragged in any direction give the same centre and size."""
    assert focal.centre_from_area(0.6, 0.7, 0.2, 0.1) == (0.4, 0.4, 0.4, 0.6)
    assert focal.area_from_centre(0.4, 0.4, 0.4, 0.6) == pytest.approx(
        (0.2, 0.1, 0.6, 0.7)
    )
    assert focal.area_from_centre(0.1, 0.9, 0.4, 0.4) == pytest.approx(
        (0.0, 0.7, 0.3, 1.0)
    )


def test_focal_imports_no_django():
    """transcoder.imaging.analysis.focal is pure geometry: importing it loads no
    Django."""
    code = (
        "import sys, transcoder.imaging.analysis.focal; "
        "print(any(m.startswith('django') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
