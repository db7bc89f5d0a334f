"""The automatic focal area on pictures whose subject is known
(imaging.analysis.saliency).

Pure: no Django. A small saturated, skin-toned or detailed subject off centre
on a plain background must land inside the suggestion, and the cover crops
centred on it must keep the subject where centre crops cut it.
"""

import io
import random

import pytest
from PIL import Image, ImageDraw

from tests.images import encode
from transcoder.imaging.analysis import focal, perceptual, saliency

SIZE = (1200, 800)
# (left, top, right, bottom) in pixels: off centre, towards the top right.
SUBJECT = (900, 120, 1040, 300)
GREY = (128, 132, 130)


def _background(size=SIZE, colour=GREY, noise=6, seed=1):
    """A plain background with a little sensor-like noise."""
    image = Image.new("RGB", size, colour)
    rng = random.Random(seed)
    speckle = Image.new("L", (size[0] // 8, size[1] // 8))
    speckle.putdata([rng.randrange(256) for _ in range(speckle.width * speckle.height)])
    speckle = speckle.resize(size, Image.Resampling.BILINEAR)
    tint = Image.merge("RGB", [speckle] * 3)
    return Image.blend(image, tint, noise / 255)


def _saturated(image):
    ImageDraw.Draw(image).ellipse(SUBJECT, fill=(210, 30, 40))
    return image


def _skin(image):
    # A face-like oval in a skin tone, with darker eyes and mouth.
    draw = ImageDraw.Draw(image)
    draw.ellipse(SUBJECT, fill=(224, 172, 140))
    left, top, right, bottom = SUBJECT
    w, h = right - left, bottom - top
    for ex in (0.32, 0.68):
        cx, cy = left + ex * w, top + 0.4 * h
        draw.ellipse((cx - 8, cy - 5, cx + 8, cy + 5), fill=(60, 40, 35))
    draw.line((left + 0.35 * w, top + 0.72 * h, left + 0.65 * w, top + 0.72 * h),
              fill=(150, 70, 70), width=5)  # fmt: skip
    return image


def _edgy(image):
    # A grey checkerboard: no colour at all, only detail.
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = SUBJECT
    step = 10
    for y in range(top, bottom, step):
        for x in range(left, right, step):
            if (x // step + y // step) % 2:
                draw.rectangle((x, y, x + step - 1, y + step - 1), fill=(20, 20, 20))
            else:
                draw.rectangle((x, y, x + step - 1, y + step - 1), fill=(235, 235, 235))
    return image


def _fractions(box, size=SIZE):
    return (box[0] / size[0], box[1] / size[1], box[2] / size[0], box[3] / size[1])


def _contains(outer, inner, slack=0.0):
    return (
        outer[0] <= inner[0] + slack
        and outer[1] <= inner[1] + slack
        and outer[2] >= inner[2] - slack
        and outer[3] >= inner[3] - slack
    )


@pytest.mark.parametrize("paint", [_saturated, _skin, _edgy], ids=lambda f: f.__name__)
def test_a_small_subject_off_centre_lands_inside_the_suggestion(paint):
    found = saliency.suggest(paint(_background()))
    subject = _fractions(SUBJECT)
    # Within one grid cell of the whole subject, and much smaller than the frame.
    cell = 1 / saliency.GRID
    assert _contains(found.box, subject, slack=cell), (found, subject)
    assert found.width < 0.35 and found.height < 0.5, found


@pytest.mark.parametrize("paint", [_saturated, _skin, _edgy], ids=lambda f: f.__name__)
@pytest.mark.parametrize("out", [(200, 200), (1920, 800), (400, 800)])
def test_crops_around_the_suggestion_keep_the_subject_that_centre_crops_cut(paint, out):
    found = saliency.suggest(paint(_background()))
    subject = _fractions(SUBJECT)

    def kept(point):
        box = focal.crop_box(out, *SIZE, focal=point)
        return _contains(_fractions(box), subject)

    assert not kept(None)  # the centre crop cuts the subject...
    assert kept((found.x, found.y))  # ...the suggested one keeps it whole


def test_skin_outweighs_detail_of_the_same_size():
    """A face beside an equally large patch of texture wins the suggestion."""
    image = _skin(_background())
    draw = ImageDraw.Draw(image)
    for y in range(450, 630, 10):
        for x in range(150, 290, 10):
            if (x // 10 + y // 10) % 2:
                draw.rectangle((x, y, x + 9, y + 9), fill=(90, 95, 92))
    found = saliency.suggest(image)
    assert _contains(found.box, _fractions(SUBJECT), slack=1 / saliency.GRID)
    assert found.x > 0.5


def test_transparent_pixels_count_for_nothing():
    """A cut-out product: bright colours hidden under alpha 0 are not the subject."""
    image = _saturated(_background()).convert("RGBA")
    alpha = Image.new("L", SIZE, 0)
    ImageDraw.Draw(alpha).ellipse(SUBJECT, fill=255)
    # Under the transparent part: loud colours and detail no one sees.
    ImageDraw.Draw(image).rectangle((100, 400, 500, 750), fill=(0, 255, 0))
    image.putalpha(alpha)
    found = saliency.suggest(image)
    assert _contains(found.box, _fractions(SUBJECT), slack=1 / saliency.GRID)


def test_a_plain_picture_gets_no_suggestion():
    """Nothing stands out: crops keep the centre, as before suggestions."""
    assert saliency.suggest(Image.new("RGB", (600, 400), GREY)) is None
    # Busy all over is the same: the area would be the whole frame.
    assert saliency.suggest(_background(noise=255)) is None


def test_tiny_pictures_get_no_suggestion():
    assert saliency.suggest(Image.new("RGB", (12, 40), GREY)) is None


def test_modes_without_rgb_are_analysed():
    image = _saturated(_background())
    for mode in ("P", "L", "CMYK", "I;16"):
        found = saliency.suggest(
            image.convert(mode)
            if mode != "I;16"
            else image.convert("L").convert("I;16")
        )
        assert found is not None
        assert 0 <= found.box[0] <= found.box[2] <= 1


def test_the_input_image_is_not_changed():
    image = _saturated(_background())
    before = image.tobytes()
    saliency.suggest(image)
    assert image.tobytes() == before and image.size == SIZE


def test_suggestions_stay_inside_the_frame():
    # A subject in the very corner: the area is clipped, never outside 0..1.
    image = _background()
    ImageDraw.Draw(image).rectangle((0, 0, 40, 40), fill=(255, 0, 0))
    found = saliency.suggest(image)
    assert 0 <= found.box[0] and 0 <= found.box[1]
    assert found.box[2] <= 1 and found.box[3] <= 1
    assert found.x < 0.2 and found.y < 0.25


def test_the_hash_decode_gives_the_suggestion_of_the_upright_picture():
    """Stored turned (EXIF Orientation 6), the subject is found where it shows."""
    upright = _saturated(_background())
    # Orientation 6 means "rotate 90° clockwise to show": store it turned back.
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    data = encode(stored, "JPEG", orientation=6, quality=90)
    value, found = perceptual.dhash_and_look(data, saliency.suggest)
    assert value == perceptual.dhash_bytes(encode(upright, "JPEG", quality=90)) or (
        perceptual.distance(
            value, perceptual.dhash_bytes(encode(upright, "JPEG", quality=90))
        )
        <= 3
    )
    assert _contains(found.box, _fractions(SUBJECT), slack=1 / saliency.GRID)


def test_a_large_jpeg_is_analysed_from_its_draft_decode():
    """The look sees the reduced decode (1/8 scale), not the 12 MP pixels."""
    big = Image.new("RGB", (4000, 3000), GREY)
    ImageDraw.Draw(big).ellipse((3000, 300, 3400, 800), fill=(210, 30, 40))
    data = encode(big, "JPEG", quality=85)
    sizes = []

    def look(image):
        sizes.append(image.size)
        return saliency.suggest(image)

    _, found = perceptual.dhash_and_look(data, look)
    assert sizes == [(500, 375)]
    assert _contains(found.box, (0.75, 0.1, 0.85, 0.2667), slack=1 / saliency.GRID)


def test_encode_round_trip_of_helpers():
    # The helper pictures are what the tests think they are.
    image = _saturated(_background())
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    assert Image.open(buffer).getpixel((970, 210)) == (210, 30, 40)


def test_the_nine_orientations_of_a_real_photo_get_the_same_suggestion():
    """EXIF Orientation 0 to 8 of one photo: the area is found on the upright
    picture, so all nine agree with orientation 1 to within a grid cell."""
    from tests.conftest import ORIENTATION_PHOTOS

    found = {
        path.stem: perceptual.dhash_and_look(path.read_bytes(), saliency.suggest)[1]
        for path in ORIENTATION_PHOTOS
    }
    reference = found["Landscape_1"]
    assert reference is not None and reference.x > 0.6  # the waterfall, right
    cell = 1 / saliency.GRID
    for name, other in found.items():
        assert other is not None, name
        assert abs(other.x - reference.x) <= cell, (name, other, reference)
        assert abs(other.y - reference.y) <= cell, (name, other, reference)


def test_a_large_palette_picture_with_transparency_is_sampled_not_converted():
    """A big GIF-like picture: sampled down first (no full-size RGBA copy),
    its transparent index counting for nothing."""
    big = (SIZE[0] * 2, SIZE[1] * 2)
    image = Image.new("RGB", big, (0, 255, 0))  # loud, but to be transparent
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, big[0], big[1] // 2), fill=GREY)
    draw.ellipse(tuple(2 * v for v in SUBJECT), fill=(210, 30, 40))
    palette = image.quantize(colors=4)
    green = palette.getpixel((10, big[1] - 10))
    palette.info["transparency"] = green
    found = saliency.suggest(palette)
    assert _contains(found.box, _fractions(SUBJECT), slack=1 / saliency.GRID)
    assert saliency.proxy(palette)[0].size == (saliency.PROXY, saliency.PROXY * 2 // 3)
