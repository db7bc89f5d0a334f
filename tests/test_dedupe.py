"""Equal outputs are built once: hero widths past a small image are one image."""

import pytest

from transcoder.imaging.dedupe import distinct_outputs
from transcoder.imaging.specs import build_specs


def _hero(**kw):
    return build_specs(
        fit="contain",
        width=1920,
        height=None,
        widths=[640, 1024, 1440],
        formats=["webp", "jpeg"],
        **kw,
    )


@pytest.mark.parametrize(
    ("source", "groups"),
    [
        # 800 px wide: 1024 and 1440 both come out 800 × 600; 640 is its own.
        ((800, 600), {("webp", 1): 1, ("webp", 2): 1, ("jpeg", 1): 1, ("jpeg", 2): 1}),
        # Small: all three widths are the same 500 × 375 image.
        ((500, 375), {("webp", 3): 1, ("jpeg", 3): 1}),
        # Large enough: every width is its own output.
        ((4000, 3000), {("webp", 1): 3, ("jpeg", 1): 3}),
    ],
)
def test_widths_beyond_a_small_source_share_one_output(source, groups):
    """Specs whose effective size is the same are grouped; the rest stay apart."""
    found = distinct_outputs(_hero(), *source)
    counted = {}
    for first, same in found:
        assert {s.format for s in same} == {first.format}
        assert {s.target_size(*source) for s in same} == {first.target_size(*source)}
        key = (first.format, len(same))
        counted[key] = counted.get(key, 0) + 1
    assert counted == groups
    assert sum(len(same) for _, same in found) == 6


def test_different_quality_or_background_is_never_merged():
    """Only what cannot change the bytes may differ within a group."""
    specs = _hero(quality=70) + _hero(quality=90)
    for _, same in distinct_outputs(specs, 500, 375):
        assert len({s.quality for s in same}) == 1
    specs = _hero(background="#000000") + _hero(background="#ffffff")
    groups = distinct_outputs(specs, 500, 375)
    assert len(groups) == 4
    for _, same in groups:
        assert len({s.background for s in same}) == 1
