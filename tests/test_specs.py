"""Rendition specs: validation up front, a stable digest, and output sizes."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transcoder.imaging.specs import (
    ENGINE_VERSION,
    MAX_DIMENSION,
    Fit,
    RenditionSpec,
    SpecError,
    build_specs,
)

BASE = {"fit": "cover", "width": 300, "height": 200, "format": "jpeg"}

VALID = [
    ({}, {"fit": Fit.COVER, "quality": 80, "focal": None}),
    ({"fit": Fit.CONTAIN, "height": None}, {"fit": Fit.CONTAIN, "height": None}),
    ({"fit": "contain", "width": None}, {"width": None, "height": 200}),
    ({"width": 1, "height": MAX_DIMENSION}, {"width": 1, "height": MAX_DIMENSION}),
    ({"format": "avif", "quality": 1}, {"format": "avif", "quality": 1}),
    ({"format": "png", "quality": 100}, {"quality": 100}),
    ({"focal": (0.123456, 1)}, {"focal": (0.1235, 1.0)}),
    ({"focal": ["0", "0.5"]}, {"focal": (0.0, 0.5)}),
    ({"fit": "contain", "focal": (0.2, 0.2)}, {"focal": None}),
    ({"background": "#A0b1C2"}, {"background": "#a0b1c2"}),
]

INVALID = [
    ({"fit": "stretch"}, r"Unknown fit 'stretch'; use one of cover, contain\."),
    ({"width": 0}, r"The width must be a whole number of pixels from 1 to 8192\."),
    ({"height": MAX_DIMENSION + 1}, r"The height must be a whole number"),
    ({"width": 10.5}, r"The width must be a whole number"),
    ({"width": True}, r"The width must be a whole number"),
    ({"width": "300"}, r"The width must be a whole number"),
    ({"fit": "contain", "width": None, "height": None}, r"Give a width, a height"),
    ({"height": None}, r"A cover crop needs both a width and a height\."),
    ({"format": "gif"}, r"Unknown format 'gif'; use one of jpeg, png, webp, avif\."),
    ({"format": "JPEG"}, r"Unknown format 'JPEG'"),
    ({"format": ["jpeg"]}, r"Unknown format \['jpeg'\]"),
    ({"quality": 0}, r"The quality must be a whole number from 1 to 100\."),
    ({"quality": 101}, r"The quality must be a whole number"),
    ({"quality": 80.0}, r"The quality must be a whole number"),
    ({"background": "white"}, r"The background must be a colour like #ffffff\."),
    ({"background": "#fff"}, r"The background must be a colour like"),
    ({"background": None}, r"The background must be a colour like"),
    ({"focal": (1.5, 0.5)}, r"The focal point must lie inside the image\."),
    ({"focal": (0.5, -0.1)}, r"The focal point must lie inside the image\."),
    ({"focal": (float("nan"), 0.5)}, r"The focal point must lie inside the image\."),
    ({"focal": (0.5,)}, r"The focal point must be two fractions from 0 to 1\."),
    ({"focal": (0.1, 0.2, 0.3)}, r"The focal point must be two fractions"),
    ({"focal": ("left", "top")}, r"The focal point must be two fractions"),
    ({"focal": (None, 0.5)}, r"The focal point must be two fractions"),
    (
        {"format": "png", "width": 2561},
        r"PNG renditions can be at most 2560 pixels wide and high; choose a smaller",
    ),
    ({"format": "png", "height": 8192}, r"PNG renditions can be at most 2560"),
    ({"format": "avif", "width": 3073}, r"AVIF renditions can be at most 3072"),
    (
        {"fit": "contain", "format": "avif", "width": None, "height": 5000},
        r"AVIF renditions can be at most 3072",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), VALID)
def test_valid_spec_is_normalised(changes, expected):
    """A valid spec is accepted and its fields come out normalised."""
    spec = RenditionSpec(**(BASE | changes))
    for name, value in expected.items():
        assert getattr(spec, name) == value


@pytest.mark.parametrize(("changes", "message"), INVALID)
def test_invalid_spec_is_refused_with_a_clear_message(changes, message):
    """An invalid spec raises one SpecError (a ValueError) naming the problem."""
    with pytest.raises(SpecError, match=message):
        RenditionSpec(**(BASE | changes))
    assert issubclass(SpecError, ValueError)


def test_digest_is_stable():
    """The digest of a given spec never changes, so stored names stay valid."""
    spec = RenditionSpec(**BASE)
    assert ENGINE_VERSION == 5
    assert spec.digest == RenditionSpec(**BASE).digest
    assert spec.digest == "cf1941629d55058f"
    assert len(spec.digest) == 16


def test_earlier_digests_are_the_names_earlier_engines_gave():
    """Engines 4, 3 and 2 named this spec d3ced630..., 6d3f7d9e... and 2f566fc4..."""
    spec = RenditionSpec(**BASE)
    assert spec.digest_for(ENGINE_VERSION) == spec.digest
    assert spec.earlier_digests[:3] == [
        "d3ced63079c391bd",
        "6d3f7d9e19bf3a04",
        "2f566fc4d5f75b40",
    ]
    assert len(set(spec.earlier_digests)) == ENGINE_VERSION - 1
    assert spec.digest not in spec.earlier_digests


@pytest.mark.parametrize(
    "changes",
    [
        {"fit": "contain"},
        {"width": 301},
        {"height": 201},
        {"format": "webp"},
        {"quality": 81},
        {"focal": (0.25, 0.75)},
        {"background": "#000000"},
    ],
)
def test_digest_changes_with_anything_that_shapes_the_output(changes):
    """Every field that changes the output bytes changes the digest."""
    assert RenditionSpec(**(BASE | changes)).digest != RenditionSpec(**BASE).digest


def test_digest_ignores_focal_for_contain():
    """Moving the focal point keeps a contain spec's digest: it does not crop."""
    contain = BASE | {"fit": "contain"}
    moved = RenditionSpec(**contain, focal=(0.9, 0.1))
    assert moved.digest == RenditionSpec(**contain).digest


def test_digest_ignores_how_values_were_spelt():
    """Equal specs written differently share a digest."""
    a = RenditionSpec(**(BASE | {"fit": Fit.COVER, "focal": (0.5, 0.5)}))
    b = RenditionSpec(**(BASE | {"focal": ["0.50000", 0.5], "background": "#FFFFFF"}))
    assert a == b
    assert a.digest == b.digest


TARGETS = [
    # fit, width, height, source size, output size
    ("cover", 200, 200, (1800, 1200), (200, 200)),
    ("cover", 1200, 630, (1800, 1200), (1200, 630)),
    ("cover", 600, 400, (400, 300), (400, 267)),  # too small: box shape, no upscale
    ("cover", 200, 200, (100, 50), (50, 50)),
    ("cover", 200, 100, (150, 300), (150, 75)),
    ("cover", 600, 400, (600, 400), (600, 400)),
    ("contain", 600, None, (1800, 1200), (600, 400)),
    ("contain", None, 400, (1800, 1200), (600, 400)),
    ("contain", 600, 600, (1200, 1800), (400, 600)),
    ("contain", 600, 600, (300, 200), (300, 200)),  # never upscales
    ("contain", 100, None, (10000, 1), (100, 1)),  # never rounds to zero
    ("contain", 640, None, (1200, 1800), (640, 960)),
]


@pytest.mark.parametrize(("fit", "width", "height", "source", "expected"), TARGETS)
def test_target_size(fit, width, height, source, expected):
    """The output size fits the box, keeps the shape and never upscales."""
    spec = RenditionSpec(fit=fit, width=width, height=height, format="jpeg")
    assert spec.target_size(*source) == expected


@given(
    fit=st.sampled_from(["cover", "contain"]),
    box=st.tuples(st.integers(1, 2560), st.integers(1, 2560)),
    source=st.tuples(st.integers(1, 6000), st.integers(1, 6000)),
)
def test_target_size_never_upscales_or_overflows(fit, box, source):
    """Any output is at least 1x1, within the source and within the box."""
    spec = RenditionSpec(fit=fit, width=box[0], height=box[1], format="png")
    width, height = spec.target_size(*source)
    assert 1 <= width <= min(box[0], source[0])
    assert 1 <= height <= min(box[1], source[1])
    if fit == "cover" and source[0] >= box[0] and source[1] >= box[1]:
        assert (width, height) == box


def test_build_specs_expands_widths_and_formats():
    """A responsive preset gives one spec per width and format, ratio kept."""
    specs = build_specs(
        fit="cover",
        width=1600,
        height=900,
        widths=[1600, 640],
        formats=("webp", "jpeg"),
    )
    assert [(s.width, s.height, s.format) for s in specs] == [
        (640, 360, "webp"),
        (640, 360, "jpeg"),
        (1600, 900, "webp"),
        (1600, 900, "jpeg"),
    ]


def test_build_specs_without_widths_gives_one_size():
    """A fixed preset gives one spec per format at its own size."""
    specs = build_specs(fit="contain", width=300, formats=("png",), quality=90)
    assert specs == [RenditionSpec("contain", 300, None, "png", quality=90)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"widths": list(range(1, 14))}, r"at most 12 widths"),
        ({"widths": [300, 300]}, r"The widths must not repeat\."),
        ({"widths": [0]}, r"Each width must be a whole number of pixels from 1"),
        ({"widths": [True]}, r"Each width must be a whole number"),
        ({"formats": ()}, r"Choose at least one output format\."),
        ({"formats": ("jpeg", "jpeg")}, r"The formats must not repeat\."),
        ({"formats": ("bmp",)}, r"Unknown format 'bmp'"),
    ],
)
def test_build_specs_refuses_bad_presets(kwargs, message):
    """A bad preset raises SpecError with a message an editor can act on."""
    with pytest.raises(SpecError, match=message):
        build_specs(**({"fit": "contain", "width": 300} | kwargs))


@pytest.mark.parametrize(
    ("fmt", "side"), [("jpeg", 8192), ("webp", 8192), ("avif", 3072), ("png", 2560)]
)
def test_each_format_allows_up_to_its_longest_side(fmt, side):
    """A spec may ask for its format's longest side exactly, and no more."""
    spec = RenditionSpec(fit="cover", width=side, height=side, format=fmt)
    assert spec.output.max_side == side
    with pytest.raises(SpecError, match=f"(at most|from 1 to) {side}"):
        RenditionSpec(fit="cover", width=side + 1, height=side, format=fmt)


@pytest.mark.parametrize(
    ("fmt", "width", "height", "source", "expected"),
    [
        ("png", 1000, None, (2000, 20000), (256, 2560)),
        ("avif", None, 100, (100000, 500), (3072, 15)),
        ("jpeg", 1000, None, (2000, 20000), (819, 8192)),
        ("webp", 640, None, (1200, 1800), (640, 960)),
    ],
)
def test_free_side_is_bounded_by_the_format(fmt, width, height, source, expected):
    """A contain spec with one side free never outgrows its format's cap."""
    spec = RenditionSpec(fit="contain", width=width, height=height, format=fmt)
    assert spec.target_size(*source) == expected


def test_starter_presets_stay_valid():
    """Every starter preset expands to specs within the formats' caps."""
    from transcoder.starter_presets import STARTER_PRESETS

    for preset in STARTER_PRESETS:
        options = {k: v for k, v in preset.items() if k not in ("slug", "name")}
        assert build_specs(**options)
