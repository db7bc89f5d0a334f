"""Upload keys say what they are for: the S3 event honours it.

Two collections, A and B; Alice edits A (and B until a test takes it away).
The S3 event is delivered through Zappa's own handler against moto. Effects
are checked on the rows, the stored originals and the bucket.
"""

import pytest
from django.contrib.auth.models import User

from tests.lambda_helpers import deliver, upload_photo
from tests.upload_purpose_support import (
    library,
    limit,
    s3_reader,
    snapshot,
)
from transcoder import permissions, services
from transcoder.delivery import presign
from transcoder.models import Asset

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
# Each kind of key in each order is a row of tests/test_s3_events.py; here,
# the keys an event must refuse.


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["limited", "deactivated", "deleted"])
@pytest.mark.parametrize("purpose", ["new", "replace"])
def test_event_refuses_a_key_whose_user_may_no_longer(
    media_events, s3, lib, caplog, how, purpose
):
    """Alice loses B (or is deactivated, or deleted) after minting: the event
    makes nothing, changes nothing and deletes the upload, with a log line."""
    target = {"collection": lib.b} if purpose == "new" else {"asset": lib.asset_b}
    key = presign.upload_key_new(user=lib.alice, **target)
    data = upload_photo(s3, key)
    before = snapshot(lib.asset_b, s3_reader(s3))
    limit(lib, how)
    assert deliver(media_events, s3, key, len(data)) == []
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
    key = tamper(presign.upload_key_new(user=lib.alice, collection=lib.a), lib)
    data = upload_photo(s3, key)
    before = snapshot(lib.asset_b, s3_reader(s3))
    assert deliver(media_events, s3, key, len(data)) == []
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
    assert deliver(media_events, s3, key, len(data)) == []
    assert Asset.objects.count() == 2 and s3.keys("uploads/") == []
    assert "started before mediahub was updated" in caplog.text


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
    key = presign.upload_key_new(user=lib.alice, collection=lib.a)
    with pytest.raises(services.UploadOwnerError, match="another user"):
        services.asset_finalize_upload(key=key)
    with pytest.raises(services.UploadOwnerError, match="another user"):
        services.asset_finalize_upload(key=key, uploaded_by=None)
    with pytest.raises(services.UploadOwnerError, match="another user"):
        services.asset_replace_upload(
            key=presign.upload_key_new(user=lib.alice, asset=lib.asset_a),
            uploaded_by=None,
        )
