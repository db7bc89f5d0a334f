"""Edits through the API: PATCH /api/assets/{id}/ with "edit", checked like any
input, answered in the documented shape, applied through services.assets.edits."""

import hashlib
import io

import jsonschema
import pytest
from django.contrib.auth.models import Group, User
from django.core.files.storage import storages
from PIL import Image

from tests.support import grant
from tests.test_api_schema import _answer_schema
from tests.test_edit_versions import PICTURE
from transcoder import services
from transcoder.models import (
    ApiToken,
    Asset,
    AssetVersion,
    Collection,
    root_collection,
)

pytestmark = pytest.mark.django_db

PATH = "/api/assets/{asset_id}/"


def _token(user, write=True):
    return services.api_token_issue(
        token=ApiToken(name="cms", scope_read=True, scope_write=write, created_by=user)
    )


@pytest.fixture
def asset(presets, commit):
    with commit():
        return services.asset_create(content=PICTURE, filename="q.png")


def _patch(client, asset, body, token, commit=None):
    def send():
        return client.patch(
            f"/api/assets/{asset.pk}/",
            body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )

    if commit is None:
        return send()
    with commit():
        return send()


def test_patch_an_edit_turns_crops_and_answers_it(client, asset, admin_user, commit):
    """A whole edit in one PATCH: a version of the same original, the edited
    size, the recipe read back in the API's form, renditions built turned."""
    token = _token(admin_user)
    body = {
        "edit": {
            "rotate": 90,
            "flip_horizontal": True,
            "crop": {"left": 0, "top": 0, "width": 150, "height": 200},
        }
    }
    response = _patch(client, asset, body, token, commit)
    assert response.status_code == 200, response.content
    data = response.json()
    jsonschema.validate(data, _answer_schema(PATH, "patch", 200))
    assert (data["width"], data["height"]) == (150, 200)
    assert data["edit"] == {**body["edit"], "flip_vertical": False}
    stored = Asset.objects.get(pk=asset.pk)
    assert stored.original == asset.original
    with storages["default"].open(stored.original, "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == asset.content_hash
    assert AssetVersion.objects.get(asset=asset).edit == {}
    card = stored.renditions.get(preset__slug="card", superseded_at__isnull=True)
    with storages["renditions"].open(card.name, "rb") as f:
        image = Image.open(io.BytesIO(f.read())).convert("RGB")
    # Turned clockwise then mirrored: the top-left 150 x 200 is the red quadrant.
    assert image.size == (150, 200)
    assert all(
        abs(a - b) <= 12
        for x, y in ((5, 5), (145, 195))
        for a, b in zip(image.getpixel((x, y)), (220, 0, 0), strict=True)
    )
    # The same edit again changes nothing; null shows the original again.
    assert _patch(client, asset, body, token).status_code == 200
    assert AssetVersion.objects.filter(asset=asset).count() == 1
    back = _patch(client, asset, {"edit": None}, token).json()
    assert (back["edit"], back["width"], back["height"]) == (None, 400, 300)
    assert AssetVersion.objects.filter(asset=asset).count() == 2


def test_a_flip_vertical_reads_back_as_a_half_turn_and_a_mirror(
    client, asset, admin_user
):
    token = _token(admin_user)
    data = _patch(client, asset, {"edit": {"flip_vertical": True}}, token).json()
    assert data["edit"] == {
        "rotate": 180,
        "flip_horizontal": True,
        "flip_vertical": False,
        "crop": None,
    }


def test_the_focal_point_follows_an_edit_unless_given(client, asset, admin_user):
    token = _token(admin_user)
    _patch(client, asset, {"focal_point": [0.2, 0.3]}, token)
    turned = _patch(client, asset, {"edit": {"rotate": 90}}, token).json()
    assert turned["focal_point"] == [0.7, 0.2]
    given = _patch(
        client, asset, {"edit": {"rotate": -90}, "focal_point": [0.5, 0.5]}, token
    ).json()
    assert given["focal_point"] == [0.5, 0.5] and given["edit"]["rotate"] == 270


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"rotate": 45}, "whole quarter turn"),
        ({"rotate": 450}, "whole quarter turn"),
        ({"rotate": 90.0}, "whole quarter turn"),
        ({"flip_horizontal": 1}, "true or false"),
        ({"crop": {"left": 0, "top": 0, "width": 401, "height": 300}}, "inside"),
        # Turned, the picture is 300 wide.
        (
            {"rotate": 90, "crop": {"left": 0, "top": 0, "width": 400, "height": 9}},
            "inside",
        ),
        ({"crop": {"left": 0, "top": 0, "width": 2, "height": 300}}, "8 pixels"),
        ({"crop": {"left": 0, "top": 0, "width": 10**30, "height": 9}}, "inside"),
        ({"crop": [0, 0, 10, 10]}, "left, top, width and height"),
        ({"scale": 2}, "Unknown edit field"),
        ("rotate", "must be an object"),
    ],
)
def test_a_bad_edit_is_a_clear_400_and_nothing_changes(
    client, asset, admin_user, edit, message
):
    response = _patch(
        client, asset, {"title": "Changed", "edit": edit}, _token(admin_user)
    )
    assert response.status_code == 400
    error = response.json()
    jsonschema.validate(error, _answer_schema(PATH, "patch", 400))
    assert error["status"] == 400 and message in error["error"]
    assert error["error"].startswith("edit: ")
    stored = Asset.objects.get(pk=asset.pk)
    assert (stored.edit, stored.title) == ({}, asset.title) != ({}, "Changed")
    assert not AssetVersion.objects.filter(asset=asset).exists()


def test_editing_needs_the_change_permission(client, asset):
    """A token whose owner may only view the image gets 403, as for a replace;
    nothing changes."""
    viewer = User.objects.create_user("viewer", is_staff=True)
    group = Group.objects.create(name="viewers")
    viewer.groups.add(group)
    grant(group, Collection.objects.get(pk=asset.collection_id), "view")
    # A write token needs a collection its owner may change: another one.
    other = services.collection_create(parent=root_collection(), name="Other")
    grant(group, other, "view", "change")
    response = _patch(client, asset, {"edit": {"rotate": 90}}, _token(viewer))
    assert response.status_code == 403
    assert response.json()["error"] == "This token's owner may not change this image."
    assert Asset.objects.get(pk=asset.pk).edit == {}
    assert not AssetVersion.objects.filter(asset=asset).exists()
