"""The runtime's SSIMULACRA2 (imaging.quality.ssimulacra): Pillow only, against the
``ssimulacra2`` package."""

import io

import pytest
from PIL import Image, ImageMath, ImageStat

from tests.test_autoquality import HELD_OUT, PHOTOS, _graphic, _photo, _ssimulacra2
from transcoder.imaging.encoding import encode
from transcoder.imaging.quality import autoquality, ssimulacra
from transcoder.imaging.specs import RenditionSpec


def test_identical_images_score_100_and_worse_encodes_score_lower():
    """The metric is 100 for the image itself and falls as the quality drops."""
    image = _graphic()
    reference = ssimulacra.Reference(image)
    assert reference.score(image) == pytest.approx(100.0, abs=0.1)
    spec = RenditionSpec("contain", 640, None, "jpeg")
    scores = []
    for quality in (90, 60, 30):
        with Image.open(io.BytesIO(encode.encode(image.copy(), spec, quality))) as d:
            scores.append(reference.score(d.convert("RGB")))
    assert scores == sorted(scores, reverse=True)
    assert scores[0] - scores[-1] > 5


def test_the_hybrid_score_follows_the_whole_image_where_the_proxy_strays():
    """The proxy's two finest scales with the whole output's coarser ones
    (``Reference.maps`` spliced, then ``weigh``: the check that ``python -m
    bench.calibrate_quality proxies`` measures) score within a point of the
    whole image, closer than the proxy alone."""
    name = HELD_OUT[0]
    if not (PHOTOS / name).exists():
        pytest.skip("the benchmark photos are not here")
    image = _photo(name, 1280)
    spec = RenditionSpec("contain", 1280, None, "jpeg")
    small = autoquality.proxy(image, autoquality.PROXY_PIXELS["jpeg"])

    def decoded(picture):
        data = encode.encode(picture.copy(), spec, 45, tuned=True)
        return Image.open(io.BytesIO(data)).convert("RGB")

    coarse = ssimulacra.Reference(image).maps(decoded(image))
    whole = ssimulacra.weigh(coarse)
    fine = ssimulacra.Reference(small).maps(decoded(small))
    assert len(fine) == len(coarse)  # the same weights at each scale
    hybrid = ssimulacra.weigh(fine[:2] + coarse[2:])
    proxy_alone = ssimulacra.weigh(fine)
    assert abs(hybrid - whole) <= 1
    assert abs(hybrid - whole) < abs(proxy_alone - whole)


def test_the_weights_are_ssimulacra2s():
    """All 108, in its order: one extra or missing weighs every later map with
    its neighbour's weight (a stray zero once shifted the whole B-Y plane)."""
    package = pytest.importorskip("ssimulacra2.ssimulacra2")
    assert list(ssimulacra.WEIGHTS) == [float(w) for w in package.weights]


@pytest.mark.parametrize("quality", [45, 80])
def test_the_pillow_ssimulacra2_agrees_with_the_package(quality):
    """The runtime's SSIMULACRA2 (Pillow only) is within a point of the
    ``ssimulacra2`` package on a photo held out of every tuning."""
    ssimulacra2 = pytest.importorskip("ssimulacra2")
    name = HELD_OUT[1]
    if not (PHOTOS / name).exists():
        pytest.skip("the benchmark photos are not here")
    image = _photo(name, 640)
    spec = RenditionSpec("contain", 640, None, "jpeg")
    data = encode.encode(image.copy(), spec, quality)
    with Image.open(io.BytesIO(data)) as decoded:
        mine = ssimulacra.Reference(image).score(decoded.convert("RGB"))
    theirs = _ssimulacra2(ssimulacra2, image, data)
    assert abs(mine - theirs) <= 1


def test_the_pillow_ssimulacra2_agrees_on_colour_loss_alone():
    """Blue detail lost and nothing else, which only the X and B-Y planes see:
    within a point of the package."""
    ssimulacra2 = pytest.importorskip("ssimulacra2")
    image = Image.merge(
        "RGB",
        (
            Image.linear_gradient("L").resize((320, 240)),
            Image.new("L", (320, 240), 128),
            Image.effect_noise((320, 240), 60),
        ),
    )
    red, green, blue = image.split()
    damaged = Image.merge("RGB", (red, green, blue.reduce(4).resize(blue.size)))
    buffer = io.BytesIO()
    damaged.save(buffer, "PNG")
    mine = ssimulacra.Reference(image).score(damaged)
    theirs = _ssimulacra2(ssimulacra2, image, buffer.getvalue())
    assert theirs < 90  # the damage shows
    assert abs(mine - theirs) <= 1


@pytest.mark.parametrize(
    "expression",
    [
        lambda a: a["x"] + a["y"],
        lambda a: a["x"] - a["y"],
        lambda a: a["x"] * a["y"],
        lambda a: a["x"] / a["y"],
        lambda a: a["x"] ** a["y"],
        lambda a: abs(a["x"] - a["y"]),
        lambda a: a["max"](a["x"] - a["y"], a["z"]),
        lambda a: (a["x"] * a["y"]) / (a["y"] + a["z"] - a["x"]),
    ],
)
def test_the_metrics_arithmetic_is_imagemaths(expression):
    """``ssimulacra._eval`` calls Pillow's C operations without ImageMath's
    wrappers: each operation gives ImageMath's pixels, bit for bit."""
    x = _graphic().convert("L").point(lambda v: v / 255 + 0.01, "F")
    y = (
        _graphic()
        .rotate(90)
        .resize(x.size)
        .convert("L")
        .point(lambda v: v / 200 + 0.5, "F")
    )
    z = Image.new("F", x.size, 0.25)
    ours = ssimulacra._eval(expression, x=x, y=y, z=z)
    theirs = ImageMath.lambda_eval(expression, x=x, y=y, z=z)
    assert ours.mode == "F" and ours.size == x.size
    assert ImageStat.Stat(theirs).stddev[0] > 0  # not a constant that hides faults
    assert ours.tobytes() == theirs.tobytes()


def test_the_metrics_arithmetic_refuses_planes_it_cannot_combine():
    """Pillow's C operations read both planes in full: a smaller one or one
    of another mode is refused, not read past its end."""
    x = Image.new("F", (64, 48), 1.0)
    with pytest.raises(ValueError, match="size"):
        ssimulacra._eval(lambda a: a["x"] + a["y"], x=x, y=Image.new("F", (32, 48)))
    with pytest.raises(ValueError, match="float"):
        ssimulacra._eval(lambda a: a["x"] * a["y"], x=x, y=Image.new("L", (64, 48)))
