"""The grid's quick edit, the asset page's collection picker and Regenerate.

Each refusal is checked in the database: nothing changed, nothing queued.
"""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from tests.support import grant, logged_in
from transcoder.models import Asset, Job

pytestmark = pytest.mark.django_db


def _quick(asset):
    return reverse("admin:transcoder_asset_quick", args=[asset.pk])


def _state(asset):
    fresh = Asset.objects.get(pk=asset.pk)
    return (
        fresh.title,
        fresh.alt_text,
        fresh.caption,
        fresh.credit,
        sorted(fresh.tags.names()),
        fresh.collection_id,
    )


def test_quick_save_writes_the_fields_and_queues_no_image_work(
    library, django_capture_on_commit_callbacks
):
    """Title, alt text, caption, credit and tags are saved; the answer echoes
    them; nothing is queued (the save does no image work)."""
    asset = library["assets"]["marketing"]
    client = logged_in(library["editor"])
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            _quick(asset),
            {
                "title": "Harbour at dawn",
                "alt_text": "Fishing boats moored at dawn",
                "caption": "The old harbour.\nSpring.",
                "credit": "J. Doe / Agency",
                "tags": 'boats, "sea view"',
            },
        )
    assert response.status_code == 200, response.content
    assert response.json()["asset"]["tag_names"] == ["boats", "sea view"]
    assert _state(asset) == (
        "Harbour at dawn",
        "Fishing boats moored at dawn",
        "The old harbour.\nSpring.",
        "J. Doe / Agency",
        ["boats", "sea view"],
        library["marketing"].pk,
    )
    assert callbacks == []


def test_quick_save_changes_only_the_fields_posted(library):
    """A save on blur sends one field: the others stay as they were."""
    asset = library["assets"]["marketing"]
    before = _state(asset)
    response = logged_in(library["editor"]).post(
        _quick(asset), {"alt_text": "Only this"}
    )
    assert response.status_code == 200
    assert _state(asset) == (before[0], "Only this", *before[2:])


INVALID = [
    ({"title": "x" * 256}, "title", "at most 255 characters"),
    ({"alt_text": "x" * 501}, "alt_text", "at most 500 characters"),
    ({"tags": "y" * 101}, "tags", "at most 100 characters"),
    ({"collection": "999999"}, "collection", "Select a valid choice"),
]


@pytest.mark.parametrize(
    ("data", "field", "message"), INVALID, ids=[c[1] for c in INVALID]
)
def test_quick_save_refuses_invalid_input_by_field(library, data, field, message):
    """Invalid input is answered per field, and nothing is saved."""
    asset = library["assets"]["marketing"]
    before = _state(asset)
    response = logged_in(library["editor"]).post(
        _quick(asset), {"credit": "kept?", **data}
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [field]
    assert message in errors[field][0]["message"]
    assert _state(asset) == before


def test_a_viewer_sees_the_panel_read_only_and_may_not_save(library):
    """View permission shows the fields disabled, without Save; a post is refused."""
    asset = library["assets"]["sales"]
    client = logged_in(library["viewer"])
    panel = client.get(_quick(asset))
    assert panel.status_code == 200
    html = panel.content.decode()
    assert "sales photo" in html
    for name in ("title", "alt_text", "caption", "credit", "tags", "collection"):
        tag = re.search(
            rf'<(?:input|textarea|select)[^>]*id="mh-quick-{name}"[^>]*>', html
        )
        assert tag and " disabled" in tag.group(0), name
    assert "You may view this image, not change it." in html
    assert 'type="submit"' not in html
    before = _state(asset)
    response = client.post(_quick(asset), {"title": "Viewer was here"})
    assert response.status_code == 403
    assert _state(asset) == before


def test_an_editor_of_another_collection_gets_not_found(library):
    """An asset outside the editor's reach is answered as missing, and kept."""
    asset = library["assets"]["sales"]
    client = logged_in(library["editor"])
    before = _state(asset)
    assert client.get(_quick(asset)).status_code == 404
    assert client.post(_quick(asset), {"title": "Taken"}).status_code == 404
    assert _state(asset) == before


@pytest.fixture
def sales_changer(library):
    """May change Sales images and add to Events only."""
    group = Group.objects.create(name="Sales changers")
    grant(group, library["sales"], "view", "change")
    grant(group, library["events"], "add")
    user = User.objects.create_user("changer", password="pw", is_staff=True)
    user.groups.add(group)
    return user


def test_moving_needs_add_permission_on_the_target(library, sales_changer):
    """Change on the asset is not enough: the target must allow adding, and the
    panel offers only such collections (plus where the asset is)."""
    asset = library["assets"]["sales"]
    client = logged_in(sales_changer)
    html = client.get(_quick(asset)).content.decode()
    assert "Sales</option>" in html and "Events</option>" in html
    assert "Marketing</option>" not in html
    refused = client.post(_quick(asset), {"collection": library["marketing"].pk})
    assert refused.status_code == 400
    assert Asset.objects.get(pk=asset.pk).collection == library["sales"]
    moved = client.post(_quick(asset), {"collection": library["events"].pk})
    assert moved.status_code == 200
    assert moved.json()["asset"]["collection_name"] == "Events"
    assert Asset.objects.get(pk=asset.pk).collection == library["events"]


def _change(asset):
    return reverse("admin:transcoder_asset_change", args=[asset.pk])


def _change_data(asset, **extra):
    return {"title": asset.title, "alt_text": "", "tags": "", **extra}


def test_the_asset_page_moves_through_its_collection_picker(library, sales_changer):
    """The change form's Collection offers where the user may add; a move
    elsewhere is refused by the form and changes nothing."""
    asset = library["assets"]["sales"]
    client = logged_in(sales_changer)
    page = client.get(_change(asset)).content.decode()
    assert 'name="move_to"' in page
    refused = client.post(
        _change(asset), _change_data(asset, move_to=library["marketing"].pk)
    )
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
    assert Asset.objects.get(pk=asset.pk).collection == library["sales"]
    moved = client.post(
        _change(asset), _change_data(asset, move_to=library["events"].pk)
    )
    assert moved.status_code == 302
    assert Asset.objects.get(pk=asset.pk).collection == library["events"]


def test_a_viewer_gets_no_collection_picker(library):
    """Who may only view sees where the image is, with nothing to choose."""
    page = logged_in(library["viewer"]).get(_change(library["assets"]["sales"]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="move_to"' not in html
    assert "Regenerate" not in html


def test_regenerate_starts_a_rebuild_of_one_image(library):
    """The asset page's Regenerate starts one job over that image, with a
    live progress message; a viewer's post is refused and starts nothing."""
    asset = library["assets"]["marketing"]
    url = reverse("admin:transcoder_asset_regenerate", args=[asset.pk])
    refused = logged_in(library["viewer"]).post(
        reverse(
            "admin:transcoder_asset_regenerate", args=[library["assets"]["sales"].pk]
        )
    )
    assert refused.status_code == 403
    assert not Job.objects.filter(asset_ids__isnull=False).exists()
    client = logged_in(library["editor"])
    assert client.get(url).status_code == 405
    response = client.post(url, follow=True)
    assert Job.objects.get(asset_ids__isnull=False).asset_ids == [str(asset.pk)]
    html = response.content.decode()
    assert "Rebuilding" in html and "data-job=" in html


@pytest.mark.parametrize(
    ("user", "collection", "may_add"),
    [("editor", "marketing", "1"), ("editor", "events", "1"), ("viewer", "sales", "0")],
)
def test_the_grid_says_whether_a_drop_may_upload_there(
    library, user, collection, may_add
):
    """Files dropped on the list go to its collection filter; the page knows
    beforehand whether this user may add there, and refuses before sending."""
    client = logged_in(library[user])
    client.get(reverse("admin:transcoder_asset_changelist") + "?view=grid")
    page = client.get(
        reverse("admin:transcoder_asset_changelist")
        + f"?collection={library[collection].pk}"
    ).content.decode()
    assert f'data-may-add="{may_add}"' in page
    assert f'data-collection="{library[collection].pk}"' in page
