"""The API says whose focal area crops use: the editor's or the suggested one."""

import pytest
from PIL import Image, ImageDraw

from tests.images import encode
from tests.test_api_schema import Answers
from transcoder import services
from transcoder.models import ApiToken, Asset, Rendition

pytestmark = pytest.mark.django_db

DETAIL = "/api/assets/{asset_id}/"


def _photo():
    image = Image.new("RGB", (640, 480), (128, 130, 129))
    ImageDraw.Draw(image).ellipse((500, 60, 620, 180), fill=(210, 30, 40))
    return encode(image, "JPEG", quality=92)


@pytest.fixture
def answers(client, admin_user):
    token = services.api_token_issue(
        token=ApiToken(
            name="focal", scope_read=True, scope_write=True, created_by=admin_user
        )
    )
    return Answers(client, token)


@pytest.fixture
def asset(presets, commit):
    with commit():
        return services.asset_create(content=_photo(), filename="disc.jpg")


def _get(answers, asset):
    url = f"/api/assets/{asset.pk}/"
    return answers.call("GET", url, DETAIL, 200)


def _patch(answers, asset, body, status=200):
    url = f"/api/assets/{asset.pk}/"
    return answers.call("PATCH", url, DETAIL, status, body)


def test_an_undecided_asset_shows_its_suggested_area(answers, asset):
    data = _get(answers, asset)
    asset.refresh_from_db()
    assert data["focal_point"] is None
    assert data["focal_area"] == {**asset.focal_suggestion, "source": "suggested"}
    assert data["focal_area"]["x"] > 0.7
    # The list says the same.
    listed = answers.call("GET", "/api/assets/", "/api/assets/", 200)["results"]
    assert listed[0]["focal_area"]["source"] == "suggested"


def test_accepting_by_sending_the_suggested_point_makes_it_the_editors(
    answers, asset, commit
):
    area = _get(answers, asset)["focal_area"]
    names = set(Rendition.objects.values_list("name", flat=True))
    with commit():
        data = _patch(answers, asset, {"focal_point": [area["x"], area["y"]]})
    assert data["focal_point"] == [area["x"], area["y"]]
    assert data["focal_area"] == {
        "x": area["x"],
        "y": area["y"],
        "width": None,
        "height": None,
        "source": "editor",
    }
    # Same crop point, same digests: nothing was rebuilt.
    assert set(Rendition.objects.values_list("name", flat=True)) == names


def test_a_null_focal_point_clears_the_suggestion_too(answers, asset, commit):
    with commit():
        data = _patch(answers, asset, {"focal_point": None})
    assert data["focal_point"] is None and data["focal_area"] is None
    asset.refresh_from_db()
    assert asset.focal_decided and asset.focal_suggestion
    assert asset.crop_focal is None


def test_a_patch_without_focal_point_decides_nothing(answers, asset, commit):
    with commit():
        data = _patch(answers, asset, {"title": "Renamed"})
    assert data["focal_area"]["source"] == "suggested"
    assert not Asset.objects.get(pk=asset.pk).focal_decided


def test_an_editors_area_has_its_size(answers, asset, commit):
    with commit():
        services.asset_update(
            asset=Asset.objects.get(pk=asset.pk),
            title="t",
            alt_text="",
            focal=(0.3, 0.4),
        )
    Asset.objects.filter(pk=asset.pk).update(focal_width=0.2, focal_height=0.1)
    assert _get(answers, asset)["focal_area"] == {
        "x": 0.3,
        "y": 0.4,
        "width": 0.2,
        "height": 0.1,
        "source": "editor",
    }
