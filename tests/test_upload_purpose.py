"""Upload keys say what they are for, and every finalize honours it.

Two collections, A and B. Alice edits A; the S3 event is delivered through
Zappa's own handler against moto, and the API and admin through Django's
client. Effects are checked on the rows, the stored originals and the bucket.
"""

import json
import logging
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client

from tests.images import make_image
from tests.lambda_helpers import MEDIA_ARN, s3_event, upload_photo
from transcoder import permissions, services, uploads
from transcoder.models import (
    ApiToken,
    Asset,
    AssetVersion,
    GroupCollectionPermission,
    root_collection,
)

pytest_plugins = ["tests.lambda_support"]
pytestmark = pytest.mark.django_db(transaction=True)

OLD = make_image("JPEG", size=(64, 48), color=(200, 40, 40))
PRESIGN = "/admin/transcoder/asset/upload/presign/"
FINALIZE = "/admin/transcoder/asset/upload/finalize/"


def _grant(group, collection, *actions):
    for action in actions:
        GroupCollectionPermission.objects.create(
            group=group,
            collection=collection,
            permission=Permission.objects.get(
                content_type__app_label="transcoder", codename=f"{action}_asset"
            ),
        )


@pytest.fixture
def lib(presets):
    """Collections A and B, each with one asset; Alice edits A (and B, for now)."""
    root = root_collection()
    a = services.collection_create(parent=root, name="A")
    b = services.collection_create(parent=root, name="B")
    editors_a = Group.objects.create(name="A editors")
    _grant(editors_a, a, "view", "add", "change", "delete")
    editors_b = Group.objects.create(name="B editors")
    _grant(editors_b, b, "view", "add", "change", "delete")
    alice = User.objects.create_user("alice", password="pw", is_staff=True)
    alice.groups.add(editors_a, editors_b)
    asset_a = services.asset_create(
        content=OLD, title="A photo", alt_text="A alt", collection=a
    )
    asset_b = services.asset_create(
        content=make_image("JPEG", size=(64, 48), color=(10, 200, 10)),
        title="B secret",
        alt_text="B alt",
        collection=b,
    )
    return SimpleNamespace(
        a=a, b=b, alice=alice, asset_a=asset_a, asset_b=asset_b, editors_b=editors_b
    )


def _snapshot(asset, storage_read):
    """What must not change about an asset a refused upload aimed at."""
    row = Asset.objects.get(pk=asset.pk)
    return (
        row.original,
        row.content_hash,
        row.title,
        row.alt_text,
        row.collection_id,
        list(AssetVersion.objects.filter(asset=row).values_list("pk", flat=True)),
        storage_read(row.original),
    )


def _s3_reader(s3):
    return lambda key: s3.client.get_object(Bucket=s3.bucket, Key=key)["Body"].read()


def _limit(lib, how):
    """Take away Alice's reach to B (or all of it) after her keys were minted."""
    if how == "limited":
        lib.alice.groups.remove(lib.editors_b)
    elif how == "deactivated":
        User.objects.filter(pk=lib.alice.pk).update(is_active=False)
    elif how == "deleted":
        User.objects.filter(pk=lib.alice.pk).delete()


# --- the S3 event, through Zappa's handler ------------------------------------


@pytest.fixture
def media_events(zappa_handler, s3, caplog, settings):
    """Route the test bucket's events as the dev stage routes its media bucket's."""
    mapping = zappa_handler.settings.AWS_EVENT_MAPPING
    mapping[f"arn:aws:s3:::{s3.bucket}"] = mapping[MEDIA_ARN]
    # The stage's hosts, and Django's test client's.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # Django's LOGGING, applied again by the handler, drops caplog's handler.
    loggers = [
        logging.getLogger(name)
        for name in ("transcoder.lambda_events", "transcoder.services.uploads")
    ]
    for logger in loggers:
        logger.addHandler(caplog.handler)
    yield zappa_handler
    for logger in loggers:
        logger.removeHandler(caplog.handler)


def _deliver(media_events, s3, key, size=1000):
    event = s3_event(s3.bucket, quote(key, safe=""), size)
    return media_events.lambda_handler(json.loads(json.dumps(event)), None)


def test_event_makes_a_new_key_an_asset_in_its_collection_for_its_user(
    media_events, s3, lib
):
    """A new-image key becomes one asset in the key's collection, as its user,
    however often S3 delivers the event."""
    key = uploads.upload_key_new(user=lib.alice, collection=lib.b)
    data = upload_photo(s3, key)
    first = _deliver(media_events, s3, key, len(data))
    second = _deliver(media_events, s3, key, len(data))
    asset = Asset.objects.get(upload_key=key)
    assert first == second == [str(asset.pk)]
    assert (asset.collection, asset.uploaded_by) == (lib.b, lib.alice)
    assert Asset.objects.count() == 3
    assert _s3_reader(s3)(asset.original) == data
    assert s3.keys("uploads/") == []


def test_event_replaces_for_a_replace_key_and_makes_no_asset(media_events, s3, lib):
    """A replace key replaces its asset's file as its user, once, and the
    client's own replace call then answers with that asset."""
    key = uploads.upload_key_new(user=lib.alice, asset=lib.asset_a)
    data = upload_photo(s3, key)
    for _ in range(2):
        assert _deliver(media_events, s3, key, len(data)) == [str(lib.asset_a.pk)]
    asset = Asset.objects.get(pk=lib.asset_a.pk)
    assert Asset.objects.count() == 2 and not Asset.objects.filter(upload_key=key)
    assert AssetVersion.objects.filter(asset=asset).count() == 1
    assert (asset.title, asset.uploaded_by) == ("A photo", lib.alice)
    assert _s3_reader(s3)(asset.original) == data
    # Kept for the client's call, which finds the work done.
    assert s3.keys("uploads/") == [key]
    token = services.api_token_issue(
        token=ApiToken(
            name="t", scope_read=True, scope_write=True, created_by=lib.alice
        )
    )
    answer = Client().post(
        f"/api/assets/{asset.pk}/replace/",
        {"key": key},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["id"] == str(asset.pk)
    assert AssetVersion.objects.filter(asset=asset).count() == 1
    assert s3.keys("uploads/") == []


def test_client_replace_first_then_the_event_changes_nothing(media_events, s3, lib):
    """The API replace wins the race; the late event makes no second version."""
    key = uploads.upload_key_new(user=lib.alice, asset=lib.asset_a)
    data = upload_photo(s3, key)
    replaced = services.asset_replace_upload(key=key, uploaded_by=lib.alice)
    assert _deliver(media_events, s3, key, len(data)) == []
    assert AssetVersion.objects.filter(asset=replaced).count() == 1
    assert Asset.objects.get(pk=replaced.pk).content_hash == replaced.content_hash
    assert Asset.objects.count() == 2 and s3.keys("uploads/") == []


@pytest.mark.parametrize(
    "event_first", [True, False], ids=["event-first", "client-first"]
)
def test_event_and_admin_finalize_in_either_order_make_one_asset(
    media_events, s3, lib, event_first
):
    """Whichever comes first, one asset in the key's collection, named by the client."""
    client = Client()
    client.force_login(lib.alice)
    key = uploads.upload_key_new(user=lib.alice, collection=lib.a)
    data = upload_photo(s3, key)
    form = {"key": key, "filename": "Pier.jpg", "alt_text": "A pier"}
    if event_first:
        (made,) = _deliver(media_events, s3, key, len(data))
    response = client.post(FINALIZE, form)
    assert response.status_code == 201, response.content
    if not event_first:
        (made,) = _deliver(media_events, s3, key, len(data))
    asset = Asset.objects.get(upload_key=key)
    assert response.json()["asset"]["id"] == made == str(asset.pk)
    assert (asset.title, asset.alt_text, asset.collection) == ("Pier", "A pier", lib.a)
    assert Asset.objects.count() == 3 and s3.keys("uploads/") == []


@pytest.mark.parametrize("how", ["limited", "deactivated", "deleted"])
@pytest.mark.parametrize("purpose", ["new", "replace"])
def test_event_refuses_a_key_whose_user_may_no_longer(
    media_events, s3, lib, caplog, how, purpose
):
    """Alice loses B (or is deactivated, or deleted) after minting: the event
    makes nothing, changes nothing and deletes the upload, with a log line."""
    target = {"collection": lib.b} if purpose == "new" else {"asset": lib.asset_b}
    key = uploads.upload_key_new(user=lib.alice, **target)
    data = upload_photo(s3, key)
    before = _snapshot(lib.asset_b, _s3_reader(s3))
    _limit(lib, how)
    assert _deliver(media_events, s3, key, len(data)) == []
    assert Asset.objects.count() == 2
    assert _snapshot(lib.asset_b, _s3_reader(s3)) == before
    assert s3.keys("uploads/") == []
    assert f"Refused upload {key}" in caplog.text


def _swap(key, old, new):
    assert old in key
    return key.replace(old, new, 1)


TAMPERS = {
    "collection": lambda k, lib: _swap(k, f"c{lib.a.pk:012d}", f"c{lib.b.pk:012d}"),
    "new-to-replace": lambda k, lib: _swap(
        k, f"new.c{lib.a.pk:012d}", f"replace.a{lib.asset_b.pk.hex}"
    ),
    "user": lambda k, lib: _swap(k, f".u{lib.alice.pk:012d}.", f".u{lib.bob.pk:012d}."),
}


@pytest.mark.parametrize("tamper", TAMPERS.values(), ids=TAMPERS.keys())
def test_event_refuses_a_tampered_key(media_events, s3, lib, caplog, tamper):
    """A key whose purpose or ids were changed (signature kept) is refused and
    deleted; nothing of B changes."""
    lib.bob = User.objects.create_user("bob", is_staff=True)
    lib.bob.groups.add(lib.editors_b)
    lib.alice.groups.remove(lib.editors_b)
    key = tamper(uploads.upload_key_new(user=lib.alice, collection=lib.a), lib)
    data = upload_photo(s3, key)
    before = _snapshot(lib.asset_b, _s3_reader(s3))
    assert _deliver(media_events, s3, key, len(data)) == []
    assert Asset.objects.count() == 2
    assert _snapshot(lib.asset_b, _s3_reader(s3)) == before
    assert s3.keys("uploads/") == []
    assert "upload key was altered" in caplog.text


def test_event_refuses_a_key_of_the_old_shape(media_events, s3, lib, caplog):
    """An upload minted before keys had a purpose is refused, not made a
    system asset, and deleted."""
    key = "uploads/" + "A" * 32 + "." + "B" * 22 + "/upload"
    data = upload_photo(s3, key)
    assert _deliver(media_events, s3, key, len(data)) == []
    assert Asset.objects.count() == 2 and s3.keys("uploads/") == []
    assert "started before mediahub was updated" in caplog.text


def test_file_copied_in_by_hand_is_the_systems_work(media_events, s3, lib, settings):
    """A plain key becomes an asset of the default collection with no uploader."""
    settings.MEDIAHUB_DEFAULT_COLLECTION = "Root/Inbox"
    key = "uploads/2026/Happy Face.jpg"
    data = upload_photo(s3, key)
    (made,) = _deliver(media_events, s3, key, len(data))
    asset = Asset.objects.get(pk=made)
    assert asset.collection.path_names() == "Root/Inbox"
    assert asset.uploaded_by is None and asset.title == "Happy Face"


# --- the system actor ---------------------------------------------------------


def test_the_system_actor_may_add_to_the_default_collection_only(lib, settings):
    """SYSTEM adds (and views) in MEDIAHUB_DEFAULT_COLLECTION; it changes nothing."""
    settings.MEDIAHUB_DEFAULT_COLLECTION = "Root/A"
    system = permissions.SYSTEM
    assert permissions.may_in(system, "add", lib.a)
    assert not permissions.may_in(system, "add", lib.b)
    assert list(permissions.collections(system, "add")) == [lib.a]
    assert list(permissions.assets(system, "view")) == [lib.asset_a]
    for action in ("change", "delete"):
        assert not permissions.may(system, action)
        assert not permissions.assets(system, action).exists()
    with pytest.raises(permissions.PolicyError, match="Unknown action"):
        permissions.may(system, "erase")


def test_a_minted_key_is_never_finalized_as_the_system(lib, stored_files):
    """The service refuses to finalize a user's key without that user."""
    key = uploads.upload_key_new(user=lib.alice, collection=lib.a)
    with pytest.raises(services.UploadOwnerError, match="another user"):
        services.asset_finalize_upload(key=key)
    with pytest.raises(services.UploadOwnerError, match="another user"):
        services.asset_finalize_upload(key=key, uploaded_by=None)
    with pytest.raises(services.UploadOwnerError, match="another user"):
        services.asset_replace_upload(
            key=uploads.upload_key_new(user=lib.alice, asset=lib.asset_a),
            uploaded_by=None,
        )


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
    _grant(viewers, lib.b, "view")
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
    before = _snapshot(lib.asset_b, _local_reader(media_root))
    if how == "limited":
        _limit(lib, "limited")
    else:
        _view_only_on_b(lib)
    answer = _api(client, f"{detail}replace/", {"key": key}, auth)
    assert answer.status_code == status
    assert answer.json()["status"] == status
    assert "B secret" not in answer.content.decode()
    assert "B alt" not in answer.content.decode()
    assert _snapshot(lib.asset_b, _local_reader(media_root)) == before
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
    before = _snapshot(lib.asset_a, _local_reader(media_root))
    _limit(lib, how)
    for attempt in (key, bobs):
        answer = _api(
            client, f"/api/assets/{lib.asset_a.pk}/replace/", {"key": attempt}, auth
        )
        # 401 once the token itself stops working with its creator.
        assert answer.status_code in (401, 403), answer.content
        assert "A photo" not in answer.content.decode()
    assert _snapshot(lib.asset_a, _local_reader(media_root)) == before


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
    before = _snapshot(lib.asset_a, _local_reader(media_root))
    cases = [
        (new_key, 400, "not started to replace this image"),
        (other_key, 400, "not started to replace this image"),
        (bobs, 403, "started by another user"),
        ("uploads/" + "A" * 32 + "." + "B" * 22 + "/upload", 400, "before mediahub"),
    ]
    for key, status, message in cases:
        answer = _api(client, url, {"key": key}, auth)
        assert answer.status_code == status, (key, answer.content)
        assert message in answer.json()["error"]
    assert _snapshot(lib.asset_a, _local_reader(media_root)) == before
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
    assert refused.status_code == 400
    assert f"/api/assets/{lib.asset_a.pk}/replace/" in refused.json()["error"]
    assert replace_key in stored_files() and Asset.objects.count() == 2

    key = _api_upload(client, auth, collection=lib.b.pk)
    other = _api(
        client, "/api/uploads/finalize/", {"key": key, "collection": lib.a.pk}, auth
    )
    assert other.status_code == 400
    assert "another collection" in other.json()["error"]
    made = _api(client, "/api/uploads/finalize/", {"key": key}, auth)
    assert made.status_code == 201, made.content
    asset = Asset.objects.get(pk=made.json()["id"])
    assert (asset.collection, asset.uploaded_by) == (lib.b, lib.alice)


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
    _limit(lib, "limited")
    hidden = alice.post(FINALIZE, typed)
    assert hidden.status_code == 400 and "Curated" not in hidden.content.decode()


def keys_collection(key):
    from transcoder import keys

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
    _limit(lib, "limited")
    refused = alice.post(FINALIZE, {"key": key, "collection": lib.a.pk})
    assert refused.status_code == 403
    assert "no longer add images" in refused.json()["error"]
    assert Asset.objects.count() == 2 and s3.keys("uploads/") == []
