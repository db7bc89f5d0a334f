"""Edits as versions (services.assets.edits): the original untouched byte for byte, a
version per edit with its recipe, new rendition names, restore in one click,
the focal area following; on local storage and S3."""

import hashlib
import io

import pytest
from django.core.files.storage import storages
from PIL import Image

from tests.images import encode
from transcoder import services
from transcoder.imaging.edits import Recipe
from transcoder.models import Asset, AssetVersion, RenditionStatus

pytestmark = pytest.mark.django_db


def quadrants(size=(400, 300)):
    """Return a PNG whose quadrants are red, green, blue and white (reading order)."""
    width, height = size
    image = Image.new("RGB", size)
    colours = [(220, 0, 0), (0, 200, 0), (0, 0, 220), (255, 255, 255)]
    for index, colour in enumerate(colours):
        x, y = index % 2 * width // 2, index // 2 * height // 2
        image.paste(colour, (x, y, x + width // 2, y + height // 2))
    return encode(image, "PNG")


PICTURE = quadrants()


@pytest.fixture(params=["local", "s3"])
def storage(request):
    if request.param == "s3":
        return request.getfixturevalue("s3")
    return None


def _current(asset, preset="card"):
    return asset.renditions.filter(
        preset__slug=preset, superseded_at__isnull=True, status=RenditionStatus.READY
    ).get()


def _pixels(rendition):
    with storages["renditions"].open(rendition.name, "rb") as f:
        image = Image.open(io.BytesIO(f.read()))
        image.load()
    return image.convert("RGB")


def _near(actual, expected, tolerance=12):
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def _original_bytes(asset):
    with storages["default"].open(asset.original, "rb") as f:
        return f.read()


def test_an_edit_keeps_the_original_and_rebuilds_under_new_names(
    commit, storage, presets
):
    """A turn: same original key and bytes, a version with the picture before,
    the edited size, new renditions turned, the old ones superseded."""
    with commit():
        asset = services.asset_create(content=PICTURE, filename="q.png")
    before = _current(asset)
    original, digest = asset.original, hashlib.sha256(PICTURE).hexdigest()
    assert _pixels(before).size == (300, 225)

    with commit():
        assert services.asset_edit_apply(asset=asset, rotate=1) is True

    asset = Asset.objects.get(pk=asset.pk)
    assert asset.original == original and asset.content_hash == digest
    assert hashlib.sha256(_original_bytes(asset)).hexdigest() == digest
    assert (asset.width, asset.height) == (300, 400)
    assert asset.edit == {"source": [400, 300], "crop": None, "turns": 1, "flip": False}
    [version] = asset.versions.all()
    assert (version.original, version.edit, version.width, version.height) == (
        original,
        {},
        400,
        300,
    )
    after = _current(asset)
    assert after.name != before.name and after.digest != before.digest
    image = _pixels(after)
    # Turned clockwise: the red top-left quadrant is now top right, blue top left.
    assert image.size == (225, 300)
    assert _near(image.getpixel((200, 20)), (220, 0, 0))
    assert _near(image.getpixel((20, 20)), (0, 0, 220))
    assert _near(image.getpixel((20, 280)), (255, 255, 255))
    before.refresh_from_db()
    assert before.superseded_at is not None and before.status == RenditionStatus.READY


def test_a_crop_sizes_the_picture_and_clips_the_focal_area(commit, presets):
    """A crop: the renditions show only the kept part; the focal area is
    clipped to what stays."""
    with commit():
        asset = services.asset_create(content=PICTURE, filename="q.png")
        asset.focal_x, asset.focal_y = 0.5, 0.25
        asset.focal_width, asset.focal_height = 0.2, 0.2
        asset.save()
    with commit():
        services.asset_edit_apply(asset=asset, crop=(0, 0, 200, 150))
    asset = Asset.objects.get(pk=asset.pk)
    assert (asset.width, asset.height) == (200, 150)
    # 160..240 x 45..105 px, cut at x=200: 160..200 x 45..105 of 200 x 150.
    assert (asset.focal_x, asset.focal_y, asset.focal_width, asset.focal_height) == (
        0.9,
        0.5,
        0.2,
        0.4,
    )
    image = _pixels(_current(asset))
    assert image.size == (200, 150)
    assert all(
        _near(image.getpixel((x, y)), (220, 0, 0)) for x in (5, 195) for y in (5, 145)
    )


def test_flip_then_restore_the_first_version_in_one_click(commit, presets):
    """Turn, mirror, restore the first: the unedited picture, its size and
    focal point back; every state kept as a version of the same original."""
    with commit():
        asset = services.asset_create(content=PICTURE, filename="q.png")
        services.asset_update(asset=asset, title="", alt_text="", focal=(0.25, 0.25))
    first_digest = _current(asset).digest
    with commit():
        services.asset_edit_apply(asset=asset, rotate=1)
    with commit():
        services.asset_edit_apply(asset=asset, flip="horizontal")
    asset = Asset.objects.get(pk=asset.pk)
    assert asset.focal == (0.25, 0.25)  # turned to (0.75, 0.25), mirrored back
    image = _pixels(_current(asset))
    assert _near(image.getpixel((20, 20)), (220, 0, 0))  # red top left again
    assert _near(image.getpixel((200, 20)), (0, 0, 220))  # blue top right

    first = asset.versions.get(edit={})
    assert asset.versions.count() == 2
    with commit():
        services.asset_version_restore(version=first)
    asset = Asset.objects.get(pk=asset.pk)
    assert (asset.edit, asset.width, asset.height) == ({}, 400, 300)
    assert asset.focal == (0.25, 0.25)
    assert asset.versions.count() == 2
    assert set(asset.versions.values_list("original", flat=True)) == {asset.original}
    current = _current(asset)
    assert current.digest != first_digest  # a restore builds under new names
    image = _pixels(current)
    assert image.size == (300, 225)
    assert _near(image.getpixel((20, 20)), (220, 0, 0))
    assert _near(image.getpixel((280, 20)), (0, 200, 0))
    assert hashlib.sha256(_original_bytes(asset)).hexdigest() == asset.content_hash


def test_restoring_a_turned_version_turns_the_focal_point_again(commit, presets):
    with commit():
        asset = services.asset_create(content=PICTURE, filename="q.png")
        services.asset_update(asset=asset, title="", alt_text="", focal=(0.2, 0.3))
    with commit():
        services.asset_edit_apply(asset=asset, rotate=-1)
    asset = Asset.objects.get(pk=asset.pk)
    assert asset.focal == (0.3, 0.8)
    with commit():
        services.asset_version_restore(version=asset.versions.get())
    with commit():
        services.asset_version_restore(
            version=Asset.objects.get(pk=asset.pk).versions.get()
        )
    asset = Asset.objects.get(pk=asset.pk)
    assert asset.recipe.turns == 3 and asset.focal == (0.3, 0.8)


def test_the_same_edit_again_changes_nothing(commit, presets):
    with commit():
        asset = services.asset_create(content=PICTURE, filename="q.png")
    recipe = Recipe(source=(400, 300)).rotated(2)
    with commit():
        assert services.asset_edit(asset=asset, recipe=recipe)
    with commit():
        assert not services.asset_edit(asset=asset, recipe=recipe)
    assert AssetVersion.objects.filter(asset=asset).count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(crop=(300, 0, 200, 100)), "inside the picture"),
        (dict(crop=(0, 0, 4, 100)), "at least 8 pixels"),
        (dict(rotate=0.5), "whole quarter turns"),
        (dict(flip="diagonal"), "horizontally or vertically"),
    ],
)
def test_an_edit_that_does_not_fit_is_refused_and_nothing_stored(
    commit, presets, change, message
):
    with commit():
        asset = services.asset_create(content=PICTURE, filename="q.png")
    with pytest.raises(services.AssetEditError, match=message):
        services.asset_edit_apply(asset=asset, **change)
    asset = Asset.objects.get(pk=asset.pk)
    assert asset.edit == {} and not asset.versions.exists()


def test_a_recipe_for_another_file_is_refused(commit, presets):
    with commit():
        asset = services.asset_create(content=PICTURE, filename="q.png")
    with pytest.raises(services.AssetEditError, match="another file"):
        services.asset_edit(asset=asset, recipe=Recipe(source=(10, 10)).rotated(1))
    assert not AssetVersion.objects.filter(asset=asset).exists()


def test_a_replace_after_an_edit_starts_unedited(commit, presets):
    """A new file starts unedited; the edited picture stays a version."""
    with commit():
        asset = services.asset_create(content=PICTURE, filename="q.png")
    with commit():
        services.asset_edit_apply(asset=asset, rotate=1)
    with commit():
        services.asset_replace(
            asset=asset, content=quadrants((200, 100)), filename="r.png"
        )
    asset = Asset.objects.get(pk=asset.pk)
    assert (asset.edit, asset.width, asset.height) == ({}, 200, 100)
    edited = asset.versions.exclude(edit={}).get()
    assert (edited.width, edited.height, edited.edit["turns"]) == (300, 400, 1)
    assert _pixels(_current(asset)).size == (200, 100)


def test_embed_links_show_the_picture_before_until_the_edit_is_built(
    client, commit, presets
):
    """While the edited picture's renditions wait in the queue, an embed link
    still answers with the picture before; once built, with the edited one."""
    with commit():
        asset = services.asset_create(content=PICTURE, filename="q.png")
    before = _current(asset)
    embed = f"/e/{asset.pk}/card/"
    assert before.digest in client.get(embed)["Location"]
    services.asset_edit_apply(asset=asset, rotate=1)  # queued, not built yet
    assert before.digest in client.get(embed)["Location"]
    with commit():
        services.renditions_enqueue(asset_id=asset.pk)
    after = _current(asset)
    location = client.get(embed)["Location"]
    assert after.digest in location and before.digest not in location
    served = client.get(location)
    image = Image.open(io.BytesIO(b"".join(served.streaming_content)))
    assert image.size == (225, 300)


def test_the_suggested_area_follows_an_edit_and_its_restore(commit, presets):
    """A suggestion found on the original turns with the picture, is cut away
    with a crop that leaves it out (crops then centre), and comes back with the
    version restored; the crop point the renditions use follows each time."""
    with commit():
        asset = services.asset_create(content=PICTURE, filename="q.png")
    # A suggestion in the top-left (red) quadrant of the 400x300 picture.
    Asset.objects.filter(pk=asset.pk).update(
        focal_suggestion={"x": 0.25, "y": 0.25, "width": 0.2, "height": 0.2}
    )
    asset.refresh_from_db()
    assert asset.focal_source == "suggested"
    with commit():
        services.asset_edit_apply(asset=asset, rotate=1)
    asset.refresh_from_db()
    # Turned clockwise, the top-left corner is the top-right one.
    area = asset.focal_suggestion
    assert (area["x"], area["y"]) == pytest.approx((0.75, 0.25), abs=0.01)
    assert (area["width"], area["height"]) == pytest.approx((0.2, 0.2), abs=0.01)
    assert asset.crop_focal == pytest.approx((0.75, 0.25), abs=0.01)
    # Cropped to the bottom half of the turned picture: the area is gone.
    with commit():
        services.asset_edit_apply(asset=asset, crop=(0, 200, 300, 200))
    asset.refresh_from_db()
    assert asset.focal_suggestion == {} and asset.crop_focal is None
    first = AssetVersion.objects.filter(asset=asset, edit={}).get()
    with commit():
        services.asset_version_restore(version=first)
    asset.refresh_from_db()
    assert asset.edit == {}
    assert (asset.focal_suggestion["x"], asset.focal_suggestion["y"]) == (0.25, 0.25)
