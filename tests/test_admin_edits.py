"""The asset page's "Edit the picture" panel and its view (admin/images/edits.py)."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from tests.support import grant, model_perms
from tests.test_edit_versions import PICTURE
from transcoder import services
from transcoder.models import Asset, AssetVersion, Collection

pytestmark = pytest.mark.django_db


@pytest.fixture
def asset(presets, commit):
    with commit():
        return services.asset_create(content=PICTURE, filename="q.png")


def _edit(client, asset, **data):
    return client.post(reverse("admin:transcoder_asset_edit", args=[asset.pk]), data)


def test_the_panel_posts_turn_mirror_and_crop(admin_client, asset, commit):
    """The panel is on the page; its form turns, mirrors and crops in one
    post, in that order; the versions list says what each picture was."""
    page = admin_client.get(asset.get_absolute_url()).content.decode()
    assert 'id="mh-edit-heading"' in page and 'id="mh-edit-form"' in page
    assert 'form="mh-edit-form"' in page and "Rotate right" in page
    assert (
        admin_client.get(
            reverse("admin:transcoder_asset_edit", args=[asset.pk])
        ).status_code
        == 405
    )
    with commit():
        response = _edit(
            admin_client,
            asset,
            rotate="1",
            flip="horizontal",
            crop_left="0",
            crop_top="0",
            crop_width="150",
            crop_height="200",
        )
    assert response.status_code == 302
    assert response["Location"].endswith("#mh-edit-heading")
    stored = Asset.objects.get(pk=asset.pk)
    assert (stored.width, stored.height) == (150, 200)
    assert stored.edit == {
        "source": [400, 300],
        "crop": [0, 0, 200, 150],
        "turns": 1,
        "flip": True,
    }
    page = admin_client.get(asset.get_absolute_url()).content.decode()
    assert "Turned 90° clockwise, mirrored, cropped to 200 × 150 pixels" in page
    assert "The picture was edited" in page
    # Back to the original in one click, as a new version.
    with commit():
        _edit(admin_client, asset, reset="on")
    stored = Asset.objects.get(pk=asset.pk)
    assert (stored.edit, stored.width, stored.height) == ({}, 400, 300)
    assert AssetVersion.objects.filter(asset=asset).count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rotate": "3"}, "Select a valid choice"),
        ({"crop_left": "0", "crop_top": "0"}, "or none of them"),
        (
            {"crop_left": "300", "crop_top": "0", "crop_width": "200"}
            | {"crop_height": "10"},
            "inside the picture",
        ),
        (
            {"rotate": "1", "crop_left": "0", "crop_top": "0"}
            | {"crop_width": "400", "crop_height": "10"},
            "inside the picture",
        ),
    ],
)
def test_a_bad_edit_says_why_and_changes_nothing(admin_client, asset, data, message):
    response = _edit(admin_client, asset, **data)
    assert response.status_code == 302
    page = admin_client.get(response["Location"]).content.decode()
    assert message in page
    assert Asset.objects.get(pk=asset.pk).edit == {}
    assert not AssetVersion.objects.filter(asset=asset).exists()


def test_editing_needs_the_change_permission(asset):
    """A viewer sees no panel and may not post an edit."""
    viewer = User.objects.create_user("viewer", is_staff=True)
    group = Group.objects.create(name="viewers")
    viewer.groups.add(group)
    grant(group, Collection.objects.get(pk=asset.collection_id), "view")
    model_perms(viewer, "view_asset")
    client = Client()
    client.force_login(viewer)
    page = client.get(asset.get_absolute_url())
    assert page.status_code == 200
    assert "mh-edit-heading" not in page.content.decode()
    assert _edit(client, asset, rotate="1").status_code == 403
    assert Asset.objects.get(pk=asset.pk).edit == {}


def test_no_preview_of_the_picture_before_while_the_edit_builds(
    admin_client, asset, commit
):
    """Until the edited picture's renditions are ready, the panel shows no
    preview (the served renditions are of the picture before); then it does."""
    page = admin_client.get(asset.get_absolute_url()).content.decode()
    assert "data-src=" in page and "being built" not in page
    _edit(admin_client, asset, rotate="1")  # its build is queued, not run
    page = admin_client.get(asset.get_absolute_url()).content.decode()
    assert "The edited picture is being built" in page
    assert "data-edit-canvas" not in page
    with commit():
        services.renditions_enqueue(asset_id=asset.pk)
    page = admin_client.get(asset.get_absolute_url()).content.decode()
    assert "being built" not in page and "data-edit-canvas" in page
