"""Upload keys say what they are for: the API and the admin honour it.

Two collections, A and B; Alice edits A (and B until a test takes it away).
Effects are checked on the rows, the stored originals and the bucket.
"""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from tests.images import make_image
from tests.upload_purpose_support import (
    FINALIZE,
    PRESIGN,
    grant,
    library,
    limit,
    s3_reader,
    snapshot,
)
from transcoder import services
from transcoder.delivery import presign
from transcoder.models import ApiToken, Asset, AssetVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def lib(presets):
    """Collections A and B with an asset each; Alice edits both, for now."""
    return library()


# --- the API ------------------------------------------------------------------

NEW = make_image("PNG", size=(30, 50), color=(20, 90, 200))


def _token(user, scopes=("read", "write")):
    token = ApiToken(name="cms", created_by=user)
    token.scope_read, token.scope_write = "read" in scopes, "write" in scopes
    return {"Authorization": f"Bearer {services.api_token_issue(token=token)}"}


def _api(client, path, body, auth):
    return client.post(path, body, content_type="application/json", headers=auth)


def _api_upload(client, auth, data=NEW, **purpose):
    """Ask /api/uploads/ for an upload and PUT ``data``; return the key."""
    made = _api(client, "/api/uploads/", {"content_type": "image/png", **purpose}, auth)
    assert made.status_code == 201, made.content
    put = client.put(
        made.json()["url"], data, content_type="application/octet-stream", headers=auth
    )
    assert put.status_code == 201, put.content
    return made.json()["key"]


def _local_reader(media_root):
    return lambda key: (media_root / key).read_bytes()


def _view_only_on_b(lib):
    lib.alice.groups.remove(lib.editors_b)
    viewers = Group.objects.create(name="B viewers")
    grant(viewers, lib.b, "view")
    lib.alice.groups.add(viewers)


@pytest.mark.parametrize(
    ("how", "status"), [("limited", 404), ("view-only", 403)], ids=["limited", "view"]
)
def test_api_replace_after_the_creator_lost_b_changes_nothing_of_b(
    client, lib, media_root, admin_user, how, status
):
    """A write token whose creator was limited to A cannot replace B's asset with
    a key minted before: 404 (or 403 if they may still view it), and B's bytes,
    versions and JSON are as they were, and nothing of B is in the answer."""
    auth = _token(lib.alice)
    key = _api_upload(client, auth, replace=str(lib.asset_b.pk))
    detail = f"/api/assets/{lib.asset_b.pk}/"
    json_before = client.get(detail, headers=_token(admin_user)).json()
    before = snapshot(lib.asset_b, _local_reader(media_root))
    if how == "limited":
        limit(lib, "limited")
    else:
        _view_only_on_b(lib)
    answer = _api(client, f"{detail}replace/", {"key": key}, auth)
    assert answer.status_code == status
    assert answer.json()["status"] == status
    assert "B secret" not in answer.content.decode()
    assert "B alt" not in answer.content.decode()
    assert snapshot(lib.asset_b, _local_reader(media_root)) == before
    after = client.get(detail, headers=_token(admin_user)).json()
    assert {k: v for k, v in after.items() if k != "renditions"} == {
        k: v for k, v in json_before.items() if k != "renditions"
    }


@pytest.mark.parametrize("how", ["deleted", "deactivated"])
def test_api_replace_refuses_a_token_whose_creator_is_gone(
    client, lib, media_root, how
):
    """A deleted or deactivated creator's token replaces nothing, even with a
    key minted before (or another user's key)."""
    auth = _token(lib.alice)
    key = _api_upload(client, auth, replace=str(lib.asset_a.pk))
    bob = User.objects.create_superuser("bob", password="pw")
    bobs = _api_upload(
        client, _token(bob), data=make_image("PNG"), replace=str(lib.asset_a.pk)
    )
    before = snapshot(lib.asset_a, _local_reader(media_root))
    limit(lib, how)
    for attempt in (key, bobs):
        answer = _api(
            client, f"/api/assets/{lib.asset_a.pk}/replace/", {"key": attempt}, auth
        )
        # 401 once the token itself stops working with its creator.
        assert answer.status_code in (401, 403), answer.content
        assert "A photo" not in answer.content.decode()
    assert snapshot(lib.asset_a, _local_reader(media_root)) == before


def test_api_replace_takes_only_a_key_minted_to_replace_that_image(
    client, lib, media_root
):
    """A new-image key, a key for another image, or another user's key for this
    image is refused with a message; nothing changes."""
    auth = _token(lib.alice)
    url = f"/api/assets/{lib.asset_a.pk}/replace/"
    new_key = _api_upload(client, auth, collection=lib.a.pk)
    other_key = _api_upload(client, auth, replace=str(lib.asset_b.pk))
    bob = User.objects.create_superuser("bob", password="pw")
    bobs = _api_upload(client, _token(bob), replace=str(lib.asset_a.pk))
    before = snapshot(lib.asset_a, _local_reader(media_root))
    cases = [
        (new_key, 409, "not started to replace this image"),
        (other_key, 409, "not started to replace this image"),
        (bobs, 403, "started by another user"),
        ("uploads/" + "A" * 32 + "." + "B" * 22 + "/upload", 400, "before mediahub"),
    ]
    for key, status, message in cases:
        answer = _api(client, url, {"key": key}, auth)
        assert answer.status_code == status, (key, answer.content)
        assert message in answer.json()["error"]
    assert snapshot(lib.asset_a, _local_reader(media_root)) == before
    assert AssetVersion.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"replace": "not-an-id"}, 400, "replace must be the id of an image"),
        ({"replace": 7}, 400, "replace must be text"),
        ({"replace": "B", "collection": 1}, 400, "not both"),
        ({"replace": "B"}, 403, "may not change this image"),
        ({"replace": "gone"}, 404, "no image with this id"),
    ],
    ids=["bad-id", "number", "both", "view-only", "unknown"],
)
def test_api_upload_for_a_replace_asks_the_policy(client, lib, body, status, message):
    """/api/uploads/ mints a replace key only for an image the creator may change."""
    _view_only_on_b(lib)
    ids = {"B": str(lib.asset_b.pk), "gone": "00000000-0000-4000-8000-000000000000"}
    body = {k: ids.get(v, v) for k, v in body.items()}
    answer = _api(
        client,
        "/api/uploads/",
        {"content_type": "image/png", **body},
        _token(lib.alice),
    )
    assert answer.status_code == status
    assert message in answer.json()["error"]
    assert "B secret" not in answer.content.decode()


def test_api_finalize_honours_the_keys_purpose(client, lib, stored_files):
    """Finalize makes a new-image key an asset in its collection, refuses another
    collection, and never makes an asset of a replace key."""
    auth = _token(lib.alice)
    replace_key = _api_upload(client, auth, replace=str(lib.asset_a.pk))
    refused = _api(client, "/api/uploads/finalize/", {"key": replace_key}, auth)
    assert refused.status_code == 409
    assert f"/api/assets/{lib.asset_a.pk}/replace/" in refused.json()["error"]
    assert replace_key in stored_files() and Asset.objects.count() == 2

    key = _api_upload(client, auth, collection=lib.b.pk)
    other = _api(
        client, "/api/uploads/finalize/", {"key": key, "collection": lib.a.pk}, auth
    )
    assert other.status_code == 409
    assert "another collection" in other.json()["error"]
    made = _api(client, "/api/uploads/finalize/", {"key": key}, auth)
    assert made.status_code == 201, made.content
    asset = Asset.objects.get(pk=made.json()["id"])
    assert (asset.collection, asset.uploaded_by) == (lib.b, lib.alice)


def test_an_add_only_uploader_gets_a_receipt_not_the_image(client, lib):
    """An uploader who may add to A but not view it finalizes into A: 201 with
    the new id and nothing else of the image, then 200 with the same receipt;
    the body matches the schema's UploadAccepted and shows no title."""
    bob = User.objects.create_user("bob", password="pw", is_staff=True)
    uploaders = Group.objects.create(name="A uploaders")
    grant(uploaders, lib.a, "add")
    bob.groups.add(uploaders)
    auth = _token(bob, scopes=("write",))
    key = _api_upload(client, auth, collection=lib.a.pk)
    made = _api(client, "/api/uploads/finalize/", {"key": key}, auth)
    assert made.status_code == 201, made.content
    asset = Asset.objects.get(upload_key=key)
    assert (asset.collection, asset.uploaded_by) == (lib.a, bob)
    assert made.json() == {
        "id": str(asset.pk),
        "collection": lib.a.pk,
        "detail": made.json()["detail"],
    }
    assert "not view" in made.json()["detail"]
    again = _api(client, "/api/uploads/finalize/", {"key": key}, auth)
    assert (again.status_code, again.json()) == (200, made.json())
    schema = client.get("/api/schema/").json()["components"]["schemas"]
    assert set(schema["UploadAccepted"]["required"]) == set(made.json())


# --- the admin, and finding 8 ---------------------------------------------------


@pytest.mark.s3
def test_a_repeated_finalize_changes_nothing_an_editor_curated(s3, lib, admin_client):
    """The finalize that creates sets the typed texts; a repeated one, after an
    editor changed the texts and moved the image, changes nothing."""
    alice = Client()
    alice.force_login(lib.alice)
    post = alice.post(PRESIGN, {"content_type": "image/png", "collection": lib.a.pk})
    key = post.json()["key"]
    assert keys_collection(key) == lib.a.pk
    s3.client.put_object(Bucket=s3.bucket, Key=key, Body=NEW)
    typed = {"key": key, "filename": "a.png", "title": "Mine", "alt_text": "Mine too"}
    assert alice.post(FINALIZE, typed).status_code == 201
    asset = Asset.objects.get(upload_key=key)
    assert (asset.title, asset.alt_text, asset.collection) == (
        "Mine",
        "Mine too",
        lib.a,
    )
    services.asset_update(
        asset=asset, title="Curated", alt_text="Curated alt", focal=None
    )
    services.assets_move(asset_ids=[asset.pk], collection=lib.b)

    again = alice.post(FINALIZE, {**typed, "title": "Again", "alt_text": "Again"})
    assert again.status_code == 201
    asset.refresh_from_db()
    assert (asset.title, asset.alt_text, asset.collection) == (
        "Curated",
        "Curated alt",
        lib.b,
    )
    limit(lib, "limited")
    hidden = alice.post(FINALIZE, typed)
    assert hidden.status_code == 400 and "Curated" not in hidden.content.decode()


def keys_collection(key):
    from transcoder.storage import keys

    return keys.upload_key_parse(key).collection_id


@pytest.mark.s3
def test_admin_finalize_refuses_and_deletes_after_the_editor_lost_the_collection(
    s3, lib
):
    """Alice presigns for B, then loses B: her finalize is refused (403), the
    upload deleted, no asset made."""
    alice = Client()
    alice.force_login(lib.alice)
    key = alice.post(
        PRESIGN, {"content_type": "image/png", "collection": lib.b.pk}
    ).json()["key"]
    s3.client.put_object(Bucket=s3.bucket, Key=key, Body=NEW)
    limit(lib, "limited")
    refused = alice.post(FINALIZE, {"key": key, "collection": lib.a.pk})
    assert refused.status_code == 403
    assert "no longer add images" in refused.json()["error"]
    assert Asset.objects.count() == 2 and s3.keys("uploads/") == []


@pytest.mark.s3
def test_admin_finalize_never_makes_an_asset_of_a_replace_key(s3, lib):
    """The upload page's finalize refuses a key minted to replace an image's
    file: 400, no asset, the image and the upload as they were."""
    alice = Client()
    alice.force_login(lib.alice)
    key = presign.upload_key_new(user=lib.alice, asset=lib.asset_a)
    s3.client.put_object(Bucket=s3.bucket, Key=key, Body=NEW)
    before = snapshot(lib.asset_a, s3_reader(s3))
    refused = alice.post(FINALIZE, {"key": key, "filename": "x.png"})
    assert refused.status_code == 400
    assert "replace the file of an image" in refused.json()["error"]
    assert Asset.objects.count() == 2 and s3.keys("uploads/") == [key]
    assert snapshot(lib.asset_a, s3_reader(s3)) == before


def test_api_finalize_after_the_creator_lost_the_collection_deletes_the_upload(
    client, lib, stored_files
):
    """A key minted for B, finalized after Alice lost B: 403, the upload deleted
    and no asset made."""
    auth = _token(lib.alice)
    key = _api_upload(client, auth, collection=lib.b.pk)
    assert key in stored_files()
    limit(lib, "limited")
    refused = _api(client, "/api/uploads/finalize/", {"key": key}, auth)
    assert refused.status_code == 403
    assert "no longer add images" in refused.json()["error"]
    assert key not in stored_files() and Asset.objects.count() == 2
