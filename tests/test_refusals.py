"""Every refused upload is recorded once, with the reason its answer gave.

Each door that finalizes an upload (the API's finalize and replace, the
admin's finalize, the S3 event through Zappa's handler) refuses a file that is
no image, too large, a pixel bomb, a duplicate, or of a purpose its user may
no longer have; each refusal leaves exactly one ``UploadRefusal`` row, and
trying the same key again makes neither a second row nor an asset. Editors see
refusals in the admin's "Refused uploads" through the policy.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.images import make_image, png_claiming_size
from tests.lambda_helpers import deliver
from tests.support import grant
from tests.upload_purpose_support import FINALIZE, OLD, library, limit
from transcoder import permissions, services
from transcoder.delivery import presign
from transcoder.models import ApiToken, Asset, UploadRefusal

pytest_plugins = ["tests.lambda_support"]
pytestmark = pytest.mark.django_db

NEW = make_image("PNG", size=(30, 50), color=(20, 90, 200))


@pytest.fixture
def lib(presets):
    """Collections A and B with an asset each; Alice edits both, for now."""
    return library()


def _auth(user):
    token = ApiToken(name="cms", created_by=user, scope_read=True, scope_write=True)
    return {"Authorization": f"Bearer {services.api_token_issue(token=token)}"}


def _post(client, path, body, auth):
    return client.post(path, body, content_type="application/json", headers=auth)


def _api_upload(client, auth, data, **purpose):
    """Ask /api/uploads/ for an upload and PUT ``data`` (local); return the key."""
    made = _post(
        client, "/api/uploads/", {"content_type": "image/png", **purpose}, auth
    )
    assert made.status_code == 201, made.content
    put = client.put(
        made.json()["url"], data, content_type="application/octet-stream", headers=auth
    )
    assert put.status_code == 201, put.content
    return made.json()["key"]


# (name, bytes, what happens before the finalize, code recorded, message part)
API_CASES = [
    ("not_an_image", b"just text, no image", None, "UnsupportedFormatError", "image"),
    ("pixel_bomb", png_claiming_size(30000, 30000), None, None, "pixels"),
    ("too_large", NEW, "small_limit", None, "the limit is"),
    ("duplicate", OLD, None, "duplicate", "already in the library"),
    ("lost_collection", NEW, "limited", "refused", "no longer add images"),
]


def _prepare(lib, settings, how):
    if how == "small_limit":
        settings.MEDIAHUB_MAX_UPLOAD_BYTES = 100
    elif how:
        limit(lib, how)


@pytest.mark.parametrize(
    ("data", "how", "code", "message"),
    [case[1:] for case in API_CASES],
    ids=[case[0] for case in API_CASES],
)
def test_api_finalize_records_each_refusal_once(
    client, lib, settings, stored_files, data, how, code, message
):
    """The API's finalize refuses the upload, deletes it and records one row
    whose reason is the answer's; finalizing it again records nothing more."""
    auth = _auth(lib.alice)
    key = _api_upload(client, auth, data, collection=lib.b.pk)
    _prepare(lib, settings, how)
    answer = _post(
        client, "/api/uploads/finalize/", {"key": key, "filename": "x.png"}, auth
    )
    assert answer.status_code in (400, 403, 409, 413, 422), answer.content
    (row,) = UploadRefusal.objects.filter(key=key)
    assert message in row.reason.lower() or message in row.reason
    if code != "duplicate":
        assert row.reason == answer.json()["error"]
    if code:
        assert row.code == code
    assert (row.user_id, row.collection_id, row.filename) == (
        lib.alice.pk,
        lib.b.pk,
        "x.png",
    )
    assert key not in stored_files() and Asset.objects.count() == 2

    _post(client, "/api/uploads/finalize/", {"key": key}, auth)
    assert UploadRefusal.objects.filter(key=key).count() == 1
    assert Asset.objects.count() == 2


def test_api_replace_records_its_refusal_once(client, lib, stored_files):
    """A replace refused for its file records one row naming the image it was
    for; the image is unchanged, and a second try adds no row."""
    auth = _auth(lib.alice)
    key = _api_upload(client, auth, b"no image at all", replace=str(lib.asset_b.pk))
    before = Asset.objects.get(pk=lib.asset_b.pk).content_hash
    path = f"/api/assets/{lib.asset_b.pk}/replace/"
    answer = _post(client, path, {"key": key, "filename": "x.png"}, auth)
    assert answer.status_code == 422, answer.content
    (row,) = UploadRefusal.objects.filter(key=key)
    assert (row.code, row.asset_id, row.collection_id, row.filename) == (
        "UnsupportedFormatError",
        lib.asset_b.pk,
        lib.b.pk,
        "x.png",
    )
    assert row.reason == answer.json()["error"]
    assert Asset.objects.get(pk=lib.asset_b.pk).content_hash == before
    assert key not in stored_files()
    _post(client, path, {"key": key}, auth)
    assert UploadRefusal.objects.filter(key=key).count() == 1


def test_a_replace_the_api_turns_away_ends_as_a_refusal_by_the_sweeper(
    client, lib, stored_files
):
    """Alice loses B before her replace call: the API answers 404 and leaves
    the upload (the request was refused, not yet the upload); the sweeper then
    refuses it as the S3 event would, records why, and deletes it."""
    auth = _auth(lib.alice)
    key = _api_upload(client, auth, NEW, replace=str(lib.asset_b.pk))
    limit(lib, "limited")
    path = f"/api/assets/{lib.asset_b.pk}/replace/"
    assert _post(client, path, {"key": key}, auth).status_code == 404
    assert key in stored_files() and not UploadRefusal.objects.exists()

    report = services.sweep(now=timezone.now() + timedelta(hours=2))
    assert report.refused == [key]
    (row,) = UploadRefusal.objects.all()
    assert (row.code, row.asset_id) == ("refused", lib.asset_b.pk)
    assert "no longer change the image" in row.reason
    assert key not in stored_files()


@pytest.mark.s3
def test_admin_finalize_records_its_refusal(s3, lib):
    """The upload page's finalize of a file that is no image: 400 with the
    reason, one row with it, the upload gone; again, no second row."""
    alice = Client()
    alice.force_login(lib.alice)
    key = presign.upload_key_new(user=lib.alice, collection=lib.a)
    s3.client.put_object(Bucket=s3.bucket, Key=key, Body=b"<svg></svg>")
    answer = alice.post(FINALIZE, {"key": key, "filename": "drawing.svg"})
    assert answer.status_code == 400
    (row,) = UploadRefusal.objects.all()
    assert (row.key, row.reason, row.filename) == (
        key,
        answer.json()["error"],
        "drawing.svg",
    )
    assert s3.keys("uploads/") == []
    alice.post(FINALIZE, {"key": key, "filename": "drawing.svg"})
    assert UploadRefusal.objects.count() == 1 and Asset.objects.count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["not_an_image", "purpose", "hand_copied"])
def test_s3_event_records_one_refusal_and_a_redelivery_none(
    media_events, s3, lib, kind
):
    """The S3 event, through Zappa's handler, records the refusal; S3
    delivering the same event again makes no second row and no asset."""
    if kind == "hand_copied":
        key, data = "uploads/2026/notes.jpg", b"not a jpeg"
    else:
        key = presign.upload_key_new(user=lib.alice, collection=lib.b)
        data = b"not an image" if kind == "not_an_image" else NEW
    s3.client.put_object(Bucket=s3.bucket, Key=key, Body=data)
    if kind == "purpose":
        limit(lib, "limited")
    assert deliver(media_events, s3, key, len(data)) == []
    assert deliver(media_events, s3, key, len(data)) == []
    (row,) = UploadRefusal.objects.all()
    assert row.key == key and row.reason
    assert row.code == ("refused" if kind == "purpose" else "UnsupportedFormatError")
    assert row.collection_id == (None if kind == "hand_copied" else lib.b.pk)
    assert Asset.objects.count() == 2 and s3.keys("uploads/") == []


def test_refusals_show_where_the_editor_may_add_and_view(lib):
    """Alice sees her refusal in B; Bob, editor of A only, does not; Bob sees
    his own; a superuser sees all; an add-only uploader of B sees only theirs."""
    alice_key = presign.upload_key_new(user=lib.alice, collection=lib.b)
    alice_row = services.upload_refusal_record(key=alice_key, reason="r", code="c")
    bob = User.objects.create_user("bob", is_staff=True)
    editors_a = Group.objects.create(name="Only A")
    grant(editors_a, lib.a, "view", "add", "change", "delete")
    bob.groups.add(editors_a)
    bob_key = presign.upload_key_new(user=bob, collection=lib.a)
    bob_row = services.upload_refusal_record(key=bob_key, reason="r", code="c")
    uploader = User.objects.create_user("uploader", is_staff=True)
    adders = Group.objects.create(name="Add B")
    grant(adders, lib.b, "add")
    uploader.groups.add(adders)
    root = User.objects.create_superuser("root")

    def seen(user):
        return set(permissions.upload_refusals(user))

    assert seen(lib.alice) == {alice_row, bob_row}  # Alice edits A and B
    assert seen(bob) == {bob_row}
    assert seen(uploader) == set()
    assert seen(root) == {alice_row, bob_row}


def test_the_admin_list_shows_an_editor_their_refusals_only(lib, client):
    """The "Refused uploads" list and page: the editor reads the reason; an
    editor of another collection gets neither (404 on the page)."""
    key = presign.upload_key_new(user=lib.alice, collection=lib.b)
    row = services.upload_refusal_record(
        key=key, reason="This file is an SVG drawing.", filename="logo.svg"
    )
    lib.alice.groups.remove(lib.editors_b)
    bob = User.objects.create_user("bob", is_staff=True)
    bob.groups.add(lib.editors_b)
    carol = User.objects.create_user("carol", is_staff=True)
    editors_a = Group.objects.create(name="Only A")
    grant(editors_a, lib.a, "view", "add")
    carol.groups.add(editors_a)
    changelist = reverse("admin:transcoder_uploadrefusal_changelist")
    page = reverse("admin:transcoder_uploadrefusal_change", args=[row.pk])
    for user, sees in ((lib.alice, True), (bob, True), (carol, False)):
        client.force_login(user)
        listed = client.get(changelist)
        assert listed.status_code == 200
        assert ("logo.svg" in listed.content.decode()) is sees, user
        shown = client.get(page)
        assert shown.status_code == (200 if sees else 404), user
        if sees:
            assert "This file is an SVG drawing." in shown.content.decode()
