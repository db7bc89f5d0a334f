"""An all-opaque RGBA decode becomes RGB without a copy, and renders the same."""

import pytest
from PIL import Image

from tests import images
from tests.images import noisy
from tests.support import LIMITS
from transcoder.imaging import engine
from transcoder.imaging.decode.colour import opaque_as_rgb, to_srgb
from transcoder.imaging.specs import RenditionSpec

SPECS = [
    RenditionSpec("contain", 600, None, "webp"),
    RenditionSpec("cover", 160, 160, "jpeg"),
    RenditionSpec("contain", 300, None, "avif"),
    RenditionSpec("contain", 200, None, "png"),
]


def opaque_rgba(size=(1200, 800)):
    """Return a noisy RGBA image whose alpha is 255 everywhere."""
    image = noisy(size).convert("RGBA")
    assert image.getchannel("A").getextrema() == (255, 255)
    return image


def test_opaque_rgba_reads_as_rgb_with_the_same_pixels():
    """The RGB image holds exactly the pixels Pillow's conversion gives."""
    image = opaque_rgba()
    rgb = to_srgb(image)
    assert rgb.mode == "RGB"
    assert rgb.size == image.size
    assert rgb.tobytes() == image.convert("RGB").tobytes()


def test_an_image_in_several_blocks_is_converted_instead():
    """Pixels Pillow keeps in more than one block cannot be shared: a copy."""
    old = Image.core.get_block_size()
    Image.core.set_block_size(1024 * 1024)  # 1 MiB: the image takes four
    try:
        image = opaque_rgba((1024, 1024))
        with pytest.raises(ValueError, match="contiguous"):
            Image.fromarrow(image, "RGB", image.size)
        rgb = opaque_as_rgb(image)
    finally:
        Image.core.set_block_size(old)
    assert rgb.mode == "RGB"
    assert rgb.tobytes() == image.convert("RGB").tobytes()


def test_transparent_rgba_stays_rgba():
    """Only an alpha of 255 everywhere is dropped."""
    image = opaque_rgba((300, 200))
    image.putpixel((7, 9), (10, 20, 30, 254))
    assert to_srgb(image).mode == "RGBA"


def test_an_opaque_rgba_png_renders_as_its_rgb_twin():
    """Every output of an opaque RGBA PNG is byte for byte its RGB twin's."""
    image = opaque_rgba()
    rgba = engine.render(images.encode(image, "PNG"), SPECS, LIMITS)
    rgb = engine.render(images.encode(image.convert("RGB"), "PNG"), SPECS, LIMITS)
    assert [o.data for o in rgba] == [o.data for o in rgb]
    assert [(o.width, o.height) for o in rgba] == [(o.width, o.height) for o in rgb]
