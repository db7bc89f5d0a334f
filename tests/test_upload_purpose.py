"""Upload keys say what they are for: the S3 event honours it.

Two collections, A and B; Alice edits A (and B until a test takes it away).
The S3 event is delivered through Zappa's own handler against moto. Effects
are checked on the rows, the stored originals and the bucket.
"""

import json
import logging
from urllib.parse import quote

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.lambda_helpers import MEDIA_ARN, s3_event, upload_photo
from tests.upload_purpose_support import (
    FINALIZE,
    library,
    limit,
    s3_reader,
    snapshot,
)
from transcoder import permissions, services, uploads
from transcoder.models import ApiToken, Asset, AssetVersion

pytest_plugins = ["tests.lambda_support"]
# Plain django_db; the tests that go through Zappa's handler or the S3 event
# entry point take transaction=True, because both call close_old_connections,
# which would close a connection left inside the test's transaction.
pytestmark = pytest.mark.django_db


@pytest.fixture
def lib(presets):
    """Collections A and B with an asset each; Alice edits both, for now."""
    return library()


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


@pytest.mark.django_db(transaction=True)
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
    assert s3_reader(s3)(asset.original) == data
    assert s3.keys("uploads/") == []


@pytest.mark.django_db(transaction=True)
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
    assert s3_reader(s3)(asset.original) == data
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


@pytest.mark.django_db(transaction=True)
def test_client_replace_first_then_the_event_changes_nothing(media_events, s3, lib):
    """The API replace wins the race; the late event makes no second version."""
    key = uploads.upload_key_new(user=lib.alice, asset=lib.asset_a)
    data = upload_photo(s3, key)
    replaced = services.asset_replace_upload(key=key, uploaded_by=lib.alice)
    assert _deliver(media_events, s3, key, len(data)) == []
    assert AssetVersion.objects.filter(asset=replaced).count() == 1
    assert Asset.objects.get(pk=replaced.pk).content_hash == replaced.content_hash
    assert Asset.objects.count() == 2 and s3.keys("uploads/") == []


@pytest.mark.django_db(transaction=True)
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


@pytest.mark.django_db(transaction=True)
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
    before = snapshot(lib.asset_b, s3_reader(s3))
    limit(lib, how)
    assert _deliver(media_events, s3, key, len(data)) == []
    assert Asset.objects.count() == 2
    assert snapshot(lib.asset_b, s3_reader(s3)) == before
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


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("tamper", TAMPERS.values(), ids=TAMPERS.keys())
def test_event_refuses_a_tampered_key(media_events, s3, lib, caplog, tamper):
    """A key whose purpose or ids were changed (signature kept) is refused and
    deleted; nothing of B changes."""
    lib.bob = User.objects.create_user("bob", is_staff=True)
    lib.bob.groups.add(lib.editors_b)
    lib.alice.groups.remove(lib.editors_b)
    key = tamper(uploads.upload_key_new(user=lib.alice, collection=lib.a), lib)
    data = upload_photo(s3, key)
    before = snapshot(lib.asset_b, s3_reader(s3))
    assert _deliver(media_events, s3, key, len(data)) == []
    assert Asset.objects.count() == 2
    assert snapshot(lib.asset_b, s3_reader(s3)) == before
    assert s3.keys("uploads/") == []
    assert "upload key was altered" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_event_refuses_a_key_of_the_old_shape(media_events, s3, lib, caplog):
    """An upload minted before keys had a purpose is refused, not made a
    system asset, and deleted."""
    key = "uploads/" + "A" * 32 + "." + "B" * 22 + "/upload"
    data = upload_photo(s3, key)
    assert _deliver(media_events, s3, key, len(data)) == []
    assert Asset.objects.count() == 2 and s3.keys("uploads/") == []
    assert "started before mediahub was updated" in caplog.text


@pytest.mark.django_db(transaction=True)
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
