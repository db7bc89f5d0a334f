"""The suggested focal area as a service: stored at upload, used by crops until
the editor decides (accepts, moves or clears it), kept with each version."""

import io

import pytest
from django.core.management import call_command
from PIL import Image, ImageDraw

from tests.images import encode
from transcoder import services
from transcoder.models import Asset, AssetVersion, Rendition
from transcoder.services.assets import focal_suggestions

pytestmark = pytest.mark.django_db

# A red disc near the right edge of a 640 x 480 grey photo: the 100 x 100
# cover thumb (a 480 x 480 crop) cuts it when centred (x 80..560).
DISC = (500, 60, 620, 180)


def _photo(disc=DISC, size=(640, 480)):
    image = Image.new("RGB", size, (128, 130, 129))
    ImageDraw.Draw(image).ellipse(disc, fill=(210, 30, 40))
    return encode(image, "JPEG", quality=92)


def _current(asset, slug):
    return Rendition.objects.filter(
        asset=asset, preset__slug=slug, superseded_at__isnull=True
    )


def _red_columns(media_root, row):
    """Return the fraction of the rendition's columns that show the red disc."""
    with Image.open(media_root / row.name) as image:
        rgb = image.convert("RGB")
    red = set()
    for x in range(rgb.width):
        for y in range(0, rgb.height, 2):
            r, g, b = rgb.getpixel((x, y))
            if r > 150 and g < 90:
                red.add(x)
    return len(red) / rgb.width


def test_upload_stores_a_suggestion_and_cover_crops_use_it(commit, presets, media_root):
    with commit():
        asset = services.asset_create(content=_photo(), filename="disc.jpg")
    asset.refresh_from_db()
    found = asset.focal_suggestion
    assert set(found) == {"x", "y", "width", "height"}
    # The disc (x 0.78..0.97, y 0.125..0.375) is inside the suggested area.
    assert found["x"] - found["width"] / 2 <= 500 / 640 + 1 / 24
    assert found["x"] + found["width"] / 2 >= 620 / 640 - 1 / 24
    assert (asset.focal_source, asset.focal_decided) == ("suggested", False)
    assert asset.crop_focal == (found["x"], found["y"])
    thumbs = list(_current(asset, "thumb"))
    assert len(thumbs) == 2
    # The rendition rows are the specs with the suggestion as their focal point.
    thumb_preset = presets[0]
    digests = {s.digest for s in thumb_preset.specs((found["x"], found["y"]))}
    assert {r.digest for r in thumbs} == digests
    assert digests.isdisjoint(s.digest for s in thumb_preset.specs())
    # And the built thumb shows the whole disc: 120 px of a 480 px crop.
    jpeg_thumb = next(r for r in thumbs if r.format == "jpeg")
    assert _red_columns(media_root, jpeg_thumb) >= 0.22


def test_centre_crop_would_have_cut_the_disc(commit, presets, media_root):
    """The control of the test above: decided with no area, the thumb is centred."""
    with commit():
        asset = services.asset_create(content=_photo(), filename="disc.jpg")
    with commit():
        services.asset_update(
            asset=asset, title="t", alt_text="", focal=None, focal_decided=True
        )
    thumb = _current(asset, "thumb").get(format="jpeg")
    assert _red_columns(media_root, thumb) < 0.15


def test_an_editors_point_wins_and_keeps_winning(commit, presets):
    with commit():
        asset = services.asset_create(content=_photo(), filename="disc.jpg")
    suggestion = dict(asset.focal_suggestion)
    with commit():
        services.asset_update(asset=asset, title="t", alt_text="", focal=(0.1, 0.9))
    asset.refresh_from_db()
    assert (asset.focal_source, asset.crop_focal) == ("editor", (0.1, 0.9))
    assert asset.focal_decided and asset.focal_suggestion == suggestion
    spec_digests = {s.digest for s in presets[0].specs((0.1, 0.9))}
    assert {r.digest for r in _current(asset, "thumb")} == spec_digests
    # Removing the editor's own area decides too: centre, not the suggestion.
    with commit():
        services.asset_update(asset=asset, title="t", alt_text="", focal=None)
    asset.refresh_from_db()
    assert (asset.focal_source, asset.crop_focal) == (None, None)
    assert {r.digest for r in _current(asset, "thumb")} == {
        s.digest for s in presets[0].specs()
    }


def test_accepting_the_suggestion_rebuilds_nothing(commit, presets):
    with commit():
        asset = services.asset_create(content=_photo(), filename="disc.jpg")
    names = set(_current(asset, "thumb").values_list("name", flat=True))
    total = Rendition.objects.count()
    s = asset.focal_suggestion
    with commit():
        asset.focal_width, asset.focal_height = s["width"], s["height"]
        services.asset_update(
            asset=asset, title="t", alt_text="", focal=(s["x"], s["y"]),
            focal_decided=True,
        )  # fmt: skip
    asset.refresh_from_db()
    assert asset.focal_source == "editor" and asset.focal_decided
    assert (asset.focal_width, asset.focal_height) == (s["width"], s["height"])
    assert set(_current(asset, "thumb").values_list("name", flat=True)) == names
    assert Rendition.objects.count() == total


def test_clearing_the_suggestion_recentres_the_crops(commit, presets):
    with commit():
        asset = services.asset_create(content=_photo(), filename="disc.jpg")
    before = set(_current(asset, "thumb").values_list("digest", flat=True))
    card = set(_current(asset, "card").values_list("name", flat=True))
    with commit():
        services.asset_update(
            asset=asset, title="t", alt_text="", focal=None, focal_decided=True
        )
    asset.refresh_from_db()
    assert asset.focal_decided and asset.focal_source is None
    after = set(_current(asset, "thumb").values_list("digest", flat=True))
    assert after == {s.digest for s in presets[0].specs()} and after != before
    # The contained card does not look at focal points: untouched.
    assert set(_current(asset, "card").values_list("name", flat=True)) == card


def test_an_edit_that_does_not_touch_the_focal_area_keeps_the_suggestion(
    commit, presets
):
    """The grid's quick edit saves a title: no decision, no rebuild."""
    with commit():
        asset = services.asset_create(content=_photo(), filename="disc.jpg")
    total = Rendition.objects.count()
    with commit():
        services.asset_update(asset=asset, title="Renamed", alt_text="", focal=None)
    asset.refresh_from_db()
    assert (asset.title, asset.focal_source) == ("Renamed", "suggested")
    assert Rendition.objects.count() == total


def test_a_replaced_file_gets_its_own_suggestion_and_restore_brings_back_the_old(
    commit, presets
):
    with commit():
        asset = services.asset_create(content=_photo(), filename="right.jpg")
    first = dict(asset.focal_suggestion)
    with commit():
        asset = services.asset_replace(
            asset=asset, content=_photo(disc=(20, 300, 140, 420)), filename="left.jpg"
        )
    asset.refresh_from_db()
    second = asset.focal_suggestion
    assert second["x"] < 0.3 < first["x"] and asset.focal_source == "suggested"
    version = AssetVersion.objects.get(asset=asset)
    assert version.focal_suggestion == first
    with commit():
        services.asset_version_restore(version=version)
    asset.refresh_from_db()
    assert asset.focal_suggestion == first
    assert AssetVersion.objects.get(asset=asset).focal_suggestion == second


def test_an_editors_decision_stands_across_a_replace(commit, presets):
    with commit():
        asset = services.asset_create(content=_photo(), filename="right.jpg")
    with commit():
        services.asset_update(
            asset=asset, title="t", alt_text="", focal=None, focal_decided=True
        )
    with commit():
        asset = services.asset_replace(
            asset=asset, content=_photo(disc=(20, 300, 140, 420)), filename="b.jpg"
        )
    asset.refresh_from_db()
    assert asset.focal_suggestion and asset.focal_source is None


def test_tiny_pictures_are_analysed_and_get_none(commit, presets):
    tiny = encode(Image.new("RGB", (12, 12), (200, 40, 30)), "PNG")
    with commit():
        asset = services.asset_create(content=tiny, filename="dot.png")
    asset.refresh_from_db()
    assert asset.focal_suggestion == {} and asset.focal_source is None


def test_the_bounded_job_suggests_for_older_assets_and_rebuilds_their_crops(
    commit, presets
):
    with commit():
        old = [
            services.asset_create(content=_photo(disc=d), filename=f"{i}.jpg")
            for i, d in enumerate([DISC, (20, 300, 140, 420), (300, 200, 400, 300)])
        ]
    # As stored before suggestions existed; the third one's editor decided.
    Asset.objects.filter(pk__in=[a.pk for a in old]).update(focal_suggestion=None)
    Asset.objects.filter(pk=old[2].pk).update(focal_decided=True)
    for asset in old:  # their renditions, as built then: centred
        services.renditions_generate(asset_id=asset.pk)
    centred = {s.digest for s in presets[0].specs()}
    assert set(_current(old[0], "thumb").values_list("digest", flat=True)) == centred
    before = {r.pk for r in Rendition.objects.filter(superseded_at__isnull=True)}
    out = io.StringIO()
    with commit():
        call_command("suggest_focal", "--limit", "1", stdout=out)
    assert out.getvalue().strip() == "1 suggested."
    states = dict(Asset.objects.values_list("pk", "focal_suggestion"))
    assert states[old[0].pk] and states[old[1].pk] is None
    assert states[old[2].pk] is None  # decided: skipped
    assert _current(old[0], "thumb").exclude(pk__in=before).count() == 2
    assert _current(old[1], "thumb").exclude(pk__in=before).count() == 0
    with commit():
        made = focal_suggestions.focal_suggest_missing(limit=10)
    assert made == 1
    assert Asset.objects.get(pk=old[1].pk).focal_suggestion["x"] < 0.3
    assert Asset.objects.get(pk=old[2].pk).focal_suggestion is None


def test_an_unreadable_original_is_skipped_and_tried_again(commit, presets, media_root):
    with commit():
        asset = services.asset_create(content=_photo(), filename="a.jpg")
    Asset.objects.filter(pk=asset.pk).update(focal_suggestion=None)
    (media_root / asset.original).unlink()
    assert focal_suggestions.focal_suggest_missing(limit=5) == 0
    assert Asset.objects.get(pk=asset.pk).focal_suggestion is None


def test_a_broken_original_is_marked_analysed(commit, presets, media_root):
    with commit():
        asset = services.asset_create(content=_photo(), filename="a.jpg")
    Asset.objects.filter(pk=asset.pk).update(focal_suggestion=None)
    (media_root / asset.original).write_bytes(b"not an image at all")
    assert focal_suggestions.focal_suggest_missing(limit=5) == 0
    assert Asset.objects.get(pk=asset.pk).focal_suggestion == {}


def test_decision_rule():
    decide = focal_suggestions.decision
    assert decide(old=(None, None, False), focal=None, decided=None) is False
    assert decide(old=(None, None, False), focal=(0.2, 0.2), decided=None) is True
    assert decide(old=(None, None, False), focal=None, decided=True) is True
    assert decide(old=(0.3, 0.3, True), focal=None, decided=None) is True
    assert decide(old=(None, None, True), focal=None, decided=None) is True


def test_the_transform_hook_gives_the_suggestion_of_the_edited_picture():
    """Edits (issue 22's recipes) pass their transform: the area follows the
    picture as the pipeline renders it, here turned a quarter to the left."""
    data = _photo()
    _, plain = focal_suggestions.hash_and_suggestion(data)
    _, turned = focal_suggestions.hash_and_suggestion(
        data, transform=lambda image: image.transpose(Image.Transpose.ROTATE_90)
    )
    # Rotating left by 90°: (x, y) of the upright picture goes to (y, 1 - x).
    assert turned["x"] == pytest.approx(plain["y"], abs=1 / 24)
    assert turned["y"] == pytest.approx(1 - plain["x"], abs=1 / 24)
    assert (turned["width"], turned["height"]) == pytest.approx(
        (plain["height"], plain["width"]), abs=1 / 24
    )


def test_a_failing_look_never_stops_an_upload():
    """A transform (an edit recipe) that fails costs the suggestion, not the hash."""

    def broken(image):
        raise ValueError("bad recipe")

    value, found = focal_suggestions.hash_and_suggestion(_photo(), transform=broken)
    assert value == focal_suggestions.hash_and_suggestion(_photo())[0]
    assert len(value) == 16 and found == {}
