"""The edit recipe (imaging.edits) and the engine applying it: pixels, sizes,
digests, the focal area following an edit. No Django."""

import io
import itertools

import pytest
from PIL import Image, ImageChops, ImageOps, ImageStat

from tests.support import LIMITS
from transcoder.imaging import edits, engine
from transcoder.imaging.edits import EditError, Recipe, carry_focal
from transcoder.imaging.specs import RenditionSpec, SpecError

from .test_engine import ORIENTATION_DIR

LANDSCAPE = ORIENTATION_DIR / "Landscape_1.jpg"
# The corners of a 4 x 3 picture, each its own colour.
CORNERS = {(0, 0): "red", (3, 0): "lime", (0, 2): "blue", (3, 2): "yellow"}


def corners_image():
    image = Image.new("RGB", (4, 3), "black")
    for xy, colour in CORNERS.items():
        image.putpixel(xy, Image.new("RGB", (1, 1), colour).getpixel((0, 0)))
    return image


def png(image):
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def opened(output):
    image = Image.open(io.BytesIO(output.data))
    image.load()
    return image.convert("RGB")


def mean_difference(a, b):
    stat = ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB")))
    return sum(stat.mean) / len(stat.mean)


def spec(recipe, width=2000, height=None, fit="contain", fmt="png", **kwargs):
    return RenditionSpec(
        fit=fit, width=width, height=height, format=fmt, edit=recipe.key, **kwargs
    )


# Each click sequence, and what Pillow does for it step by step.
CLICKS = [
    ([], []),
    ([("rotate", 1)], [Image.Transpose.ROTATE_270]),
    ([("rotate", -1)], [Image.Transpose.ROTATE_90]),
    ([("rotate", 2)], [Image.Transpose.ROTATE_180]),
    ([("flip", True)], [Image.Transpose.FLIP_LEFT_RIGHT]),
    ([("flip", False)], [Image.Transpose.FLIP_TOP_BOTTOM]),
    (
        [("rotate", 1), ("flip", True)],
        [Image.Transpose.ROTATE_270, Image.Transpose.FLIP_LEFT_RIGHT],
    ),
    (
        [("flip", True), ("rotate", 1)],
        [Image.Transpose.FLIP_LEFT_RIGHT, Image.Transpose.ROTATE_270],
    ),
    (
        [("flip", False), ("rotate", -1), ("flip", True), ("rotate", 3)],
        [
            Image.Transpose.FLIP_TOP_BOTTOM,
            Image.Transpose.ROTATE_90,
            Image.Transpose.FLIP_LEFT_RIGHT,
            Image.Transpose.ROTATE_90,
        ],
    ),
]


def click(recipe, clicks):
    for kind, value in clicks:
        recipe = (
            recipe.rotated(value)
            if kind == "rotate"
            else recipe.flipped(horizontal=value)
        )
    return recipe


@pytest.mark.parametrize(("clicks", "pillow"), CLICKS)
def test_any_clicks_make_the_picture_pillow_makes(clicks, pillow):
    """Every sequence of turns and mirrors is one canonical recipe whose
    output is, pixel for pixel, what the same steps in Pillow give."""
    image = corners_image()
    expected = image
    for method in pillow:
        expected = expected.transpose(method)
    recipe = click(Recipe(source=image.size), clicks)
    assert 0 <= recipe.turns <= 3
    assert recipe.size == expected.size
    assert list(recipe.apply(image).get_flattened_data()) == list(
        expected.get_flattened_data()
    )
    out = engine.render(png(image), [spec(recipe)], LIMITS)[0]
    assert list(opened(out).get_flattened_data()) == list(expected.get_flattened_data())


def test_a_turned_photo_has_its_corners_where_they_turned():
    """A real photo turned clockwise: its top-left corner is now top right,
    at the full size; the whole matches Pillow's turn within JPEG noise."""
    data = LANDSCAPE.read_bytes()
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    recipe = Recipe(source=upright.size).rotated(1)
    out = engine.render(data, [spec(recipe, fmt="jpeg", quality=95)], LIMITS)[0]
    image = opened(out)
    assert (out.width, out.height) == (1200, 1800) == image.size
    expected = upright.transpose(Image.Transpose.ROTATE_270)
    assert mean_difference(image, expected) < 3
    # The corner patches moved with the turn (and differ from where they were).
    patch = (0, 0, 60, 60)
    turned_patch = (1200 - 60, 0, 1200, 60)
    assert (
        mean_difference(
            image.crop(turned_patch),
            upright.crop(patch).transpose(Image.Transpose.ROTATE_270),
        )
        < 6
    )
    assert mean_difference(image.crop(patch), upright.crop(patch)) > 20


def test_a_crop_keeps_its_size_and_content_at_full_resolution():
    """A crop of a large photo asked at its own size comes from the full decode,
    not from a shrink-on-load draft sized for the whole picture."""
    data = LANDSCAPE.read_bytes()
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    recipe = Recipe(source=upright.size).cropped((700, 400, 240, 180))
    out = engine.render(data, [spec(recipe, width=240, fmt="png")], LIMITS)[0]
    assert (out.width, out.height) == (240, 180)
    expected = upright.crop((700, 400, 940, 580))
    # A 1/8 draft of the whole photo would give a blurred crop: far off.
    assert mean_difference(opened(out), expected) < 1.5


def test_a_crop_then_small_outputs_still_draft():
    """Small outputs of a crop decode at a reduced scale and match a reference."""
    data = LANDSCAPE.read_bytes()
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    recipe = Recipe(source=upright.size).cropped((0, 0, 1200, 1200)).rotated(-1)
    out = engine.render(data, [spec(recipe, width=100, fmt="png")], LIMITS)[0]
    assert (out.width, out.height) == (100, 100)
    expected = (
        upright.crop((0, 0, 1200, 1200))
        .transpose(Image.Transpose.ROTATE_90)
        .resize((100, 100), Image.Resampling.LANCZOS)
    )
    assert mean_difference(opened(out), expected) < 3


def test_an_exif_rotated_original_is_edited_upright():
    """The recipe works on the upright original: EXIF orientation first, once."""
    data = (ORIENTATION_DIR / "Landscape_6.jpg").read_bytes()
    reference = Image.open(LANDSCAPE).convert("RGB")
    recipe = Recipe(source=(1800, 1200)).cropped((0, 0, 900, 1200))
    out = engine.render(data, [spec(recipe, width=450, fmt="png")], LIMITS)[0]
    assert (out.width, out.height) == (450, 600)
    expected = reference.crop((0, 0, 900, 1200)).resize((450, 600))
    assert mean_difference(opened(out), expected) < 6


def test_a_cover_crop_of_an_edit_centres_on_the_edited_focal_point():
    """Specs see the edited picture: focal fractions are of the edit."""
    image = corners_image().resize((40, 30), Image.Resampling.NEAREST)
    recipe = Recipe(source=(40, 30)).rotated(1)  # 30 x 40; red now top right
    out = engine.render(
        png(image),
        [spec(recipe, width=10, height=10, fit="cover", focal=(1.0, 0.0))],
        LIMITS,
    )[0]
    assert opened(out).getpixel((9, 0)) == (255, 0, 0)


def test_a_recipe_for_another_file_is_refused():
    """The recipe names the original's size; another file is not edited."""
    recipe = Recipe(source=(10, 10)).rotated(1)
    with pytest.raises(engine.ImageError, match="another file"):
        engine.render(png(corners_image()), [spec(recipe)], LIMITS)


def test_the_edit_enters_the_digest_and_no_edit_keeps_it():
    """An edited spec gets a new digest; an empty edit is left out of it."""
    plain = RenditionSpec(fit="contain", width=100, height=None, format="jpeg")
    recipe = Recipe(source=(40, 30))
    assert recipe.key == ""
    assert spec(recipe, width=100, fmt="jpeg").digest == plain.digest
    digests = {
        spec(r, width=100, fmt="jpeg").digest
        for r in (
            recipe.rotated(1),
            recipe.rotated(-1),
            recipe.flipped(horizontal=True),
            recipe.cropped((0, 0, 20, 20)),
        )
    }
    assert len(digests) == 4 and plain.digest not in digests
    with pytest.raises(SpecError, match="edit recipe"):
        RenditionSpec(fit="contain", width=1, height=None, format="png", edit="{}")


INVALID = [
    (dict(source=(40, 30), turns=4), "quarter turns"),
    (dict(source=(40, 30), turns=True), "quarter turns"),
    (dict(source=(40, 30), flip=1), "mirror"),
    (dict(source=(40, 30), crop=(0, 0, 41, 30)), "inside the picture"),
    (dict(source=(40, 30), crop=(-1, 0, 10, 10)), "inside the picture"),
    (dict(source=(40, 30), crop=(0, 0, 4, 30)), "at least 8 pixels"),
    (dict(source=(40, 30), crop=(0, 0, 10.5, 30)), "whole numbers"),
    (dict(source=(0, 30)), "size is not known"),
]


@pytest.mark.parametrize(("fields", "message"), INVALID)
def test_invalid_recipes_are_refused(fields, message):
    with pytest.raises(EditError, match=message):
        Recipe(**fields)


API_INVALID = [
    ([], "must be an object"),
    ({"rotate": 45}, "whole quarter turn"),
    ({"rotate": 360}, "whole quarter turn"),
    ({"rotate": "90"}, "whole quarter turn"),
    ({"rotate": True}, "whole quarter turn"),
    ({"flip_horizontal": "yes"}, "true or false"),
    ({"turn": 90}, "Unknown edit field 'turn'"),
    ({"crop": [0, 0, 10, 10]}, "left, top, width and height"),
    ({"crop": {"left": 0, "top": 0, "width": 10}}, "left, top, width and height"),
    ({"crop": {"left": 0, "top": 0, "width": 10, "height": 1e3}}, "whole numbers"),
    # The turned picture is 30 wide: a crop 40 wide is outside it.
    (
        {"rotate": 90, "crop": {"left": 0, "top": 0, "width": 40, "height": 30}},
        "inside the picture",
    ),
    ({"crop": {"left": 35, "top": 0, "width": 10, "height": 10}}, "inside the"),
]


@pytest.mark.parametrize(("data", "message"), API_INVALID)
def test_invalid_api_edits_are_refused(data, message):
    with pytest.raises(EditError, match=message):
        Recipe.from_api(data, (40, 30))


@pytest.mark.parametrize(
    ("turns", "flip"), list(itertools.product(range(4), (False, True)))
)
def test_points_map_there_and_back(turns, flip):
    """Every orientation with a crop maps points both ways, and the API form
    reads back to the same recipe."""
    recipe = Recipe(source=(40, 30), crop=(5, 4, 20, 16), turns=turns, flip=flip)
    for point in ((5, 4), (25, 20), (12.5, 7.25)):
        there = recipe.to_picture(*point)
        assert recipe.from_picture(*there) == pytest.approx(point)
    assert Recipe.from_api(recipe.to_api(), (40, 30)) == recipe
    assert Recipe.from_json(recipe.to_json()) == recipe
    assert Recipe.from_key(recipe.key) == recipe


def test_a_crop_of_a_turned_picture_is_in_the_turned_pixels():
    """Cropping after a turn crops what the editor sees."""
    image = corners_image().resize((40, 30), Image.Resampling.NEAREST)
    recipe = Recipe(source=(40, 30)).rotated(1).cropped((20, 0, 10, 10))
    assert recipe.crop == (0, 0, 10, 10)  # the top-left of the original
    out = recipe.apply(image)
    assert out.size == (10, 10) and out.getpixel((9, 0)) == (255, 0, 0)


def test_the_whole_picture_is_no_crop():
    assert Recipe(source=(40, 30), crop=(0, 0, 40, 30)).is_identity


def test_the_focal_point_follows_turns_and_mirrors():
    """A point on a subject points at it after each edit, and back on undo."""
    start = Recipe(source=(400, 300))
    focal = (0.2, 0.3)
    turned = start.rotated(1)
    assert carry_focal(focal, start, turned) == (0.7, 0.2)
    mirrored = turned.flipped(horizontal=True)
    assert carry_focal((0.7, 0.2), turned, mirrored) == (0.3, 0.2)
    assert carry_focal((0.3, 0.2), mirrored, start) == focal


def test_the_focal_area_follows_a_turn_keeping_its_shape():
    start = Recipe(source=(400, 300))
    turned = start.rotated(-1)
    # 80 x 30 px around (100, 90) becomes 30 x 80 px around (90, 300).
    assert carry_focal((0.25, 0.3, 0.2, 0.1), start, turned) == (
        0.3,
        0.75,
        0.1,
        0.2,
    )


def test_a_crop_clips_or_clears_the_focal_area():
    """An area partly outside a crop is clipped to what stays; an area or a
    point wholly outside is cleared, and crops then centre again."""
    start = Recipe(source=(400, 300))
    cropped = start.cropped((0, 0, 200, 300))
    # 40..120 x 60..120 px stays whole: the same place in a picture half as wide.
    assert carry_focal((0.2, 0.3, 0.2, 0.2), start, cropped) == (0.4, 0.3, 0.4, 0.2)
    # 160..240 px across is cut at 200: what stays is 160..200.
    assert carry_focal((0.5, 0.5, 0.2, 0.2), start, cropped) == (0.9, 0.5, 0.2, 0.2)
    assert carry_focal((0.8, 0.5, 0.1, 0.1), start, cropped) is None
    assert carry_focal((0.8, 0.5), start, cropped) is None
    assert carry_focal(None, start, cropped) is None


def test_source_size_reads_the_stored_source():
    recipe = Recipe(source=(400, 300)).rotated(1)
    assert edits.source_size(recipe.to_json(), 300, 400) == (400, 300)
    assert edits.source_size({}, 300, 400) == (300, 400)
