"""WebP through libwebp's own API (imaging.encoding.webp), and auto-quality's
sharp YUV alternate."""

import io

import pytest
from PIL import Image, ImageDraw

from transcoder.imaging import engine
from transcoder.imaging.encoding import encode, webp
from transcoder.imaging.quality import autoquality, ssimulacra
from transcoder.imaging.specs import RenditionSpec

pytestmark = pytest.mark.skipif(
    not webp.available(), reason="libwebp is not reachable through ctypes here"
)
LIMITS = engine.Limits(max_bytes=200 * 1024 * 1024, max_pixels=100_000_000)


def _photo_like(mode="RGB", size=(320, 200)):
    """Return an image with gradients, noise-like detail and hard edges."""
    image = Image.radial_gradient("L").resize(size).convert("RGB")
    image = Image.merge(
        "RGB",
        (
            image.getchannel(0),
            Image.linear_gradient("L").resize(size),
            Image.effect_noise(size, 6),
        ),
    )
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 30, 140, 120), fill="#c03020")
    if mode == "RGBA":
        alpha = Image.new("L", size, 255)
        alpha.paste(96, (0, 0, size[0] // 2, size[1] // 3))
        image.putalpha(alpha)
    return image


def _stripes(size=(384, 256)):
    """Return one-pixel stripes of saturated red on blue: the worst case for
    chroma averaged over 2x2 blocks."""
    image = Image.new("RGB", size, "#2040c0")
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], 2):
        draw.line((x, 0, x, size[1]), fill="#e02020")
    return image


def _score(image, data):
    with Image.open(io.BytesIO(data)) as decoded:
        return ssimulacra.Reference(image).score(decoded.convert("RGB"))


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
@pytest.mark.parametrize("quality", [40, 80])
def test_without_sharp_yuv_the_bytes_are_pillows(mode, quality):
    """The structures are laid out right: the same settings give Pillow's file."""
    image = _photo_like(mode)
    pillow = io.BytesIO()
    image.save(pillow, "WEBP", quality=quality, method=encode.WEBP_METHOD)
    assert webp.encode(image, quality, encode.WEBP_METHOD) == pillow.getvalue()


def test_sharp_yuv_keeps_saturated_edges():
    image = _stripes()
    plain = webp.encode(image, 80, encode.WEBP_METHOD)
    sharp = webp.encode(image, 80, encode.WEBP_METHOD, sharp_yuv=True)
    with Image.open(io.BytesIO(sharp)) as decoded:
        assert (decoded.format, decoded.size) == ("WEBP", image.size)
    assert _score(image, sharp) > _score(image, plain) + 20


def test_a_mode_it_cannot_encode_is_left_to_pillow():
    assert webp.encode(Image.new("L", (16, 16)), 80, 4) is None
    spec = RenditionSpec("contain", 16, None, "webp")
    data = encode.encode(Image.new("L", (16, 16)), spec, 80, sharp=True)
    assert Image.open(io.BytesIO(data)).format == "WEBP"


def _choose(image, ceiling=80, target=65):
    spec = RenditionSpec("contain", image.width, None, "webp", target=target)
    calls = []

    def sharp(small, quality):
        calls.append(quality)
        return encode.encode(small, spec, quality, tuned=True, sharp=True)

    choice = autoquality.choose(
        image,
        "webp",
        target,
        lambda small, q: encode.encode(small, spec, q, tuned=True),
        ceiling=ceiling,
        alternate=sharp,
    )
    return choice, calls


@pytest.mark.parametrize("size", [(384, 256), (1024, 640)])  # whole, proxied
def test_sharp_yuv_is_chosen_where_nothing_else_meets_the_target(size):
    """Plain WebP at the ceiling scores far under the target on these stripes;
    sharp YUV two qualities lower meets it in fewer bytes, so it is chosen."""
    image = _stripes(size)
    spec = RenditionSpec("contain", image.width, None, "webp")
    ceiling = encode.encode(image, spec, 80)
    assert _score(image, ceiling) < 65
    choice, calls = _choose(image)
    assert choice.alternate
    assert calls == [choice.quality] == [80 - autoquality.ALTERNATE_BELOW]
    output = encode.encode(image, spec, choice.quality, tuned=True, sharp=True)
    assert _score(image, output) >= 65
    assert len(output) <= len(ceiling)


@pytest.mark.parametrize("size", [(384, 256), (1024, 640)])  # whole, proxied
def test_sharp_yuv_is_chosen_where_it_beats_the_ceiling_but_misses_the_target(size):
    """A target of 80 that neither encode reaches on these stripes: sharp YUV
    at 78 still looks far better than plain WebP at the ceiling (about 70
    against 40) in fewer bytes, so it is chosen rather than the ceiling."""
    image = _stripes(size)
    spec = RenditionSpec("contain", image.width, None, "webp")
    ceiling = encode.encode(image, spec, 80, tuned=True)
    choice, calls = _choose(image, target=80)
    assert choice.alternate
    assert calls == [choice.quality] == [80 - autoquality.ALTERNATE_BELOW]
    output = encode.encode(image, spec, choice.quality, tuned=True, sharp=True)
    assert _score(image, ceiling) + 20 < _score(image, output) < 80
    assert len(output) <= len(ceiling)


def test_sharp_yuv_is_not_tried_when_plain_webp_meets_the_target():
    image = _photo_like(size=(640, 400))
    choice, calls = _choose(image, target=50)
    assert (choice.alternate, calls) == (False, [])


def test_sharp_yuv_is_refused_when_it_would_cost_more_bytes_than_the_ceiling():
    """A photo whose ceiling misses a high target: sharp YUV at 78 either
    misses it too or costs more, so the ceiling stays, plain."""
    image = _photo_like(size=(640, 400))
    choice, calls = _choose(image, target=95)
    assert calls == [80 - autoquality.ALTERNATE_BELOW]
    assert (choice.alternate, choice.quality) == (False, 80)


def test_the_engine_encodes_the_output_with_sharp_yuv_when_chosen():
    image = _stripes()
    source = io.BytesIO()
    image.save(source, "PNG")
    spec = RenditionSpec("contain", 384, None, "webp", quality=80, target=65)
    (out,) = engine.render(source.getvalue(), [spec], LIMITS)
    assert out.quality == 80 - autoquality.ALTERNATE_BELOW
    assert out.data == encode.encode(image, spec, out.quality, tuned=True, sharp=True)
    assert out.score >= 65


def _pillow_webp(image, quality, method):
    out = io.BytesIO()
    image.save(out, "WEBP", quality=quality, method=method)
    return out.getvalue()


def test_auto_qualitys_webps_are_method_5_and_its_proxies_method_4():
    """A WebP made for a target (``tuned``) takes method 5's trellis
    quantisation; the search's proxies (``draft``) and fixed qualities stay
    at method 4, whose bytes are libvips' and cwebp's."""
    image = _photo_like(size=(640, 400))
    spec = RenditionSpec("contain", 640, None, "webp")
    method_4, method_5 = _pillow_webp(image, 70, 4), _pillow_webp(image, 70, 5)
    assert method_4 != method_5
    assert encode.encode(image, spec, 70, tuned=True) == method_5
    assert encode.encode(image, spec, 70, tuned=True, draft=True) == method_4
    assert encode.encode(image, spec, 70) == method_4
    assert encode.encode(image, spec, 70, tuned=True, sharp=True) == webp.encode(
        image, 70, 5, sharp_yuv=True
    )


def test_the_engine_encodes_a_proxied_webp_at_method_5():
    """A WebP too large to be probed whole is searched on method 4 proxies,
    then made at method 5 at the quality chosen."""
    image = _photo_like(size=(1024, 640))
    assert image.width * image.height > autoquality.WHOLE_PIXELS["webp"]
    source = io.BytesIO()
    image.save(source, "PNG")
    spec = RenditionSpec("contain", 1024, None, "webp", quality=80, target=60)
    (out,) = engine.render(source.getvalue(), [spec], LIMITS)
    assert out.quality < 80
    assert out.data == _pillow_webp(image, out.quality, 5)
    assert out.data != _pillow_webp(image, out.quality, 4)
