"""Direct uploads: the presigned POST policy, and finalize distrusting the object."""

import base64
import json
import time
from datetime import UTC, datetime

import pytest
import requests
from django.contrib.auth.models import Permission, User
from django.test import Client

from tests.images import make_image, truncate
from transcoder import services
from transcoder.delivery import presign
from transcoder.models import Asset, RenditionStatus
from transcoder.storage import keys

# Plain django_db; the tests that deliver an S3 event take transaction=True, for
# the event entry point calls close_old_connections, which would close a
# connection left inside the test's transaction.
pytestmark = [pytest.mark.s3, pytest.mark.django_db]

PRESIGN = "/admin/transcoder/asset/upload/presign/"
FINALIZE = "/admin/transcoder/asset/upload/finalize/"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>'
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"


def _policy(post):
    return json.loads(base64.b64decode(post["fields"]["policy"]))


def _post_to_bucket(post, data, filename="photo.jpg"):
    """Send the form the way the browser does: the policy's fields, then the file."""
    return requests.post(
        post["url"], data=post["fields"], files={"file": (filename, data)}, timeout=10
    )


def _put_upload(s3, data, user):
    """Put an object straight into the bucket under a fresh key minted for ``user``."""
    key = presign.upload_key_new(user=user)
    s3.client.put_object(Bucket=s3.bucket, Key=key, Body=data)
    return key


def _s3_event(s3, key):
    """Deliver the ObjectCreated event of ``key``; return the assets it made."""
    from tests.lambda_helpers import s3_event
    from transcoder.aws import events

    made = events.on_upload(s3_event(s3.bucket, key, 1), None)
    return [Asset.objects.get(pk=pk) for pk in made]


# --- the policy ------------------------------------------------------------------


def test_policy_allows_one_server_made_key_with_bounded_size_and_image_type(
    s3, settings, admin_user
):
    """The policy pins the bucket and one uploads/ key, the size and image/ types."""
    settings.MEDIAHUB_MAX_UPLOAD_BYTES = 5_000_000
    before = time.time()
    post = presign.upload_presign(
        user=admin_user,
        content_type="image/jpeg",
        filename="../../originals/evil.jpg",
        size=1000,
    )
    policy = _policy(post)
    conditions = policy["conditions"]
    key = post["key"]
    assert keys.is_minted_upload_key(key)
    assert keys.upload_key_owned_by(key, admin_user)
    assert "evil" not in key and ".." not in key
    assert post["fields"]["key"] == key
    assert {"bucket": s3.bucket} in conditions
    assert {"key": key} in conditions
    assert not [c for c in conditions if isinstance(c, list) and "$key" in c]
    assert ["content-length-range", 1, 5_000_000] in conditions
    assert ["starts-with", "$Content-Type", "image/"] in conditions
    assert {"success_action_status": "201"} in conditions
    assert post["fields"]["Content-Type"] == "image/jpeg"
    assert post["fields"]["success_action_status"] == "201"
    expiration = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ")
    expires = expiration.replace(tzinfo=UTC).timestamp()
    assert before + 600 - 2 <= expires <= time.time() + 600
    assert post["url"] == f"{s3.endpoint}/{s3.bucket}"


def test_every_presign_gets_its_own_key(s3, admin_user):
    """Two files, even with the same name, never share a key."""
    minted = {
        presign.upload_presign(
            user=admin_user, content_type="image/png", filename="a.png"
        )["key"]
        for _ in range(20)
    }
    assert len(minted) == 20


def test_policy_expiry_follows_the_upload_ttl(s3, settings, admin_user):
    """MEDIAHUB_UPLOAD_URL_TTL sets when the policy expires."""
    settings.MEDIAHUB_UPLOAD_URL_TTL = 120
    post = presign.upload_presign(user=admin_user, content_type="image/png")
    expiration = datetime.strptime(_policy(post)["expiration"], "%Y-%m-%dT%H:%M:%SZ")
    assert abs(expiration.replace(tzinfo=UTC).timestamp() - time.time() - 120) < 5


@pytest.mark.parametrize(
    ("content_type", "filename", "expected"),
    [
        ("image/jpeg", "a.jpg", "image/jpeg"),
        ("IMAGE/PNG", "a.png", "image/png"),
        ("image/heic", "IMG_0001.HEIC", "image/heic"),
        ("", "IMG_0001.HEIC", "image/heic"),
        ("", "IMG_0001.heif", "image/heif"),
        ("application/octet-stream", "IMG_0001.heic", "image/heic"),
        ("", "scan.tif", "image/tiff"),
    ],
)
def test_content_type_is_an_image_type(content_type, filename, expected):
    """A declared image type is kept; a missing one comes from the extension."""
    assert (
        presign.upload_content_type(content_type=content_type, filename=filename)
        == expected
    )


@pytest.mark.parametrize(
    ("content_type", "filename", "message"),
    [
        ("", "IMG_0001", "type of this file is unknown"),
        ("application/octet-stream", "notes.txt", "type of this file is unknown"),
        ("application/pdf", "scan.pdf", r"not an image \(application/pdf\)"),
        ("text/html", "photo.jpg", "not an image"),
        ("image/jpeg\r\nx-amz-acl: public-read", "a.jpg", "not an image"),
    ],
)
def test_non_image_content_type_is_refused(content_type, filename, message):
    """Anything that is not declared or named as an image gets no presigned POST."""
    with pytest.raises(presign.DirectUploadError, match=message):
        presign.upload_content_type(content_type=content_type, filename=filename)


# --- the presign view --------------------------------------------------------------


def test_presign_view_answers_a_post_the_bucket_accepts(s3, admin_client):
    """The page gets {url, fields, key}; posting the file puts it under that key."""
    data = make_image("PNG", size=(40, 30))
    response = admin_client.post(
        PRESIGN, {"filename": "a.png", "content_type": "image/png", "size": len(data)}
    )
    assert response.status_code == 200
    post = response.json()
    assert set(post) == {"url", "fields", "key"}
    sent = _post_to_bucket(post, data, filename="a.png")
    assert sent.status_code == 201
    assert s3.keys() == [post["key"]]
    obj = s3.client.get_object(Bucket=s3.bucket, Key=post["key"])
    assert obj["Body"].read() == data


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"content_type": "image/png", "size": "60000000"}, "limit is 50 MB"),
        ({"content_type": "image/png", "size": "0"}, "empty"),
        ({"content_type": "application/pdf", "filename": "a.pdf"}, "not an image"),
        ({"content_type": "image/png", "size": "²"}, "not a number"),
        ({"content_type": "image/png", "size": "\u0663"}, "not a number"),
        ({"content_type": "image/png", "size": "9" * 5000}, "not a number"),
        ({"content_type": "image/png", "size": " 12"}, "not a number"),
    ],
)
def test_presign_view_refuses_what_cannot_succeed(s3, admin_client, form, message):
    """Oversized, empty or non-image files are refused before any upload."""
    response = admin_client.post(PRESIGN, form)
    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert message in response.json()["error"]


def test_presign_view_is_off_on_local_storage(admin_client):
    """On the embedded default there is nothing to presign: 404 with a reason."""
    response = admin_client.post(PRESIGN, {"content_type": "image/png"})
    assert response.status_code == 404
    assert "S3" in response.json()["error"]
    assert admin_client.post(FINALIZE, {"key": "x"}).status_code == 404


@pytest.mark.parametrize("url", [PRESIGN, FINALIZE])
def test_views_answer_only_post(s3, admin_client, url):
    """GET is not allowed on either endpoint."""
    assert admin_client.get(url).status_code == 405


# --- permissions and CSRF ------------------------------------------------------------


def _staff(codenames):
    user = User.objects.create_user(f"u{len(codenames)}", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.mark.parametrize("url", [PRESIGN, FINALIZE])
def test_view_only_staff_get_403(s3, client, url):
    """Staff who may only view assets can neither presign nor finalize."""
    client.force_login(_staff(["view_asset"]))
    response = client.post(url, {"content_type": "image/png", "key": "x"})
    assert response.status_code == 403


def test_staff_with_add_permission_may_presign(s3, client):
    """The add permission alone is what the endpoints ask for."""
    client.force_login(_staff(["add_asset"]))
    assert client.post(PRESIGN, {"content_type": "image/png"}).status_code == 200


@pytest.mark.parametrize("url", [PRESIGN, FINALIZE])
def test_anonymous_visitors_are_sent_to_login(s3, client, url):
    """Nobody outside the admin reaches the endpoints."""
    response = client.post(url, {"content_type": "image/png"})
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("url", [PRESIGN, FINALIZE])
def test_csrf_is_enforced(s3, admin_user, url):
    """Without the CSRF token the POST is refused; with it, it goes through."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    form = {"content_type": "image/png", "key": "uploads/x/upload"}
    assert client.post(url, form).status_code == 403
    client.get("/admin/transcoder/asset/upload/")
    token = client.cookies["csrftoken"].value
    response = client.post(url, form, headers={"X-CSRFToken": token})
    assert response.status_code in (200, 400)


# --- finalize -------------------------------------------------------------------------


def test_finalize_makes_the_asset_and_removes_the_upload(
    commit, s3, admin_client, presets
):
    """A good upload becomes an asset with original and renditions, and no leftovers."""
    data = make_image("JPEG", size=(320, 240))
    post = admin_client.post(PRESIGN, {"content_type": "image/jpeg"}).json()
    assert _post_to_bucket(post, data).status_code == 201
    with commit():
        response = admin_client.post(
            FINALIZE, {"key": post["key"], "filename": "Summer Party.jpg"}
        )
    assert response.status_code == 201
    body = response.json()
    asset = Asset.objects.get(pk=body["asset"]["id"])
    assert body == {
        "ok": True,
        "asset": {
            "id": str(asset.pk),
            "title": "Summer Party",
            "url": f"/admin/transcoder/asset/{asset.pk}/change/",
        },
    }
    assert asset.original_filename == "Summer Party.jpg"
    assert asset.upload_key == post["key"]
    assert asset.uploaded_by.username == "admin"
    assert "Summer" not in asset.original
    original = s3.client.get_object(Bucket=s3.bucket, Key=asset.original)
    assert original["Body"].read() == data
    assert s3.keys("uploads/") == []
    ready = asset.renditions.filter(status=RenditionStatus.READY)
    assert sorted(s3.keys("renditions/")) == sorted(r.name for r in ready)
    assert ready.count() == 3


def test_finalize_twice_makes_one_asset(s3, admin_client, admin_user, presets):
    """Calling finalize again (or racing the S3 event) returns the same asset."""
    key = _put_upload(s3, make_image("PNG", size=(50, 40)), admin_user)
    first = admin_client.post(FINALIZE, {"key": key, "filename": "a.png"})
    second = admin_client.post(FINALIZE, {"key": key, "filename": "a.png"})
    assert first.status_code == second.status_code == 201
    assert first.json()["asset"]["id"] == second.json()["asset"]["id"]
    assert Asset.objects.count() == 1
    assert len(s3.keys("originals/")) == 1


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda: SVG, "SVG", id="svg"),
        pytest.param(lambda: PDF, "PDF", id="pdf"),
        pytest.param(
            lambda: truncate(make_image("JPEG", size=(400, 300)), 0.4),
            "truncated",
            id="truncated-jpeg",
        ),
        pytest.param(
            lambda: truncate(make_image("PNG", size=(400, 300)), 0.5),
            "truncated",
            id="truncated-png",
        ),
        pytest.param(
            lambda: make_image("PNG", size=(600, 600)), "the limit is", id="oversized"
        ),
    ],
)
def test_refused_upload_leaves_nothing_behind(
    s3, settings, admin_client, admin_user, presets, make, message
):
    """A refused object is deleted, no original or asset is made, and the editor
    reads why."""
    settings.MEDIAHUB_MAX_UPLOAD_BYTES = 2_000
    data = make()
    assert (len(data) > 2_000) == (message == "the limit is")
    key = _put_upload(s3, data, admin_user)
    response = admin_client.post(FINALIZE, {"key": key, "filename": "photo.jpg"})
    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert message in response.json()["error"]
    assert s3.keys() == []
    assert Asset.objects.count() == 0


def test_finalize_of_an_unknown_key_says_to_upload_again(s3, admin_client, admin_user):
    """A key that is well formed but not in the bucket gets a clear message."""
    key = presign.upload_key_new(user=admin_user)
    response = admin_client.post(FINALIZE, {"key": key})
    assert response.status_code == 400
    assert "No file was received" in response.json()["error"]
    assert "upload the file again" in response.json()["error"]


@pytest.mark.parametrize(
    "key",
    [
        "",
        "originals/0f8fad5b-d9cb-469f-a165-70867728950e/abcdef0123456789.jpg",
        "uploads/short/upload",
        "uploads/../originals/0f8fad5b-d9cb-469f-a165-70867728950e/upload",
        "uploads/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/photo.jpg",
        "uploads/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/upload/../../x",
    ],
)
def test_keys_mediahub_did_not_make_are_refused_and_kept(s3, admin_client, key):
    """Finalize never reads or deletes an object outside the upload key pattern."""
    if key:
        s3.client.put_object(Bucket=s3.bucket, Key=key, Body=make_image("PNG"))
    response = admin_client.post(FINALIZE, {"key": key})
    assert response.status_code == 400
    assert "not an upload key" in response.json()["error"]
    assert s3.keys() == ([key] if key else [])
    assert Asset.objects.count() == 0


def test_cors_rules_let_only_the_admin_origin_post(s3, admin_user):
    """The documented CORS rules answer the admin's preflight and refuse others."""
    admin = "https://media-admin.example.test"
    s3.client.put_bucket_cors(
        Bucket=s3.bucket,
        CORSConfiguration={"CORSRules": presign.upload_cors_rules([admin])},
    )
    post = presign.upload_presign(user=admin_user, content_type="image/png")

    def preflight(origin):
        return requests.options(
            post["url"],
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
            timeout=10,
        )

    allowed = preflight(admin)
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == admin
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    assert preflight("https://evil.example.test").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_finalize_after_the_s3_event_names_the_asset(
    s3, admin_client, admin_user, presets
):
    """When the S3 event wins the race, the browser's finalize still names the asset."""

    key = _put_upload(s3, make_image("PNG", size=(50, 40)), admin_user)
    (made_by_event,) = _s3_event(s3, key)
    assert made_by_event.title == "" and made_by_event.uploaded_by == admin_user
    response = admin_client.post(
        FINALIZE, {"key": key, "filename": "Holiday_in-Rome.png"}
    )
    assert response.status_code == 201
    asset = Asset.objects.get()
    assert response.json()["asset"]["id"] == str(asset.pk) == str(made_by_event.pk)
    assert asset.title == "Holiday in Rome"
    assert asset.original_filename == "Holiday_in-Rome.png"
    assert asset.uploaded_by.username == "admin"
    assert "Holiday" not in asset.original


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("uploads/Zk3-q_8vT2mXc1LbN0aPwE4r/upload", True),
        ("uploads/Happy Face.jpg", True),
        ("uploads/2026/11/IMG_0001.HEIC", True),
        ("uploads/", False),
        ("uploads//x.jpg", False),
        ("uploads/../originals/x.jpg", False),
        ("uploads/./x.jpg", False),
        ("uploads/a\x00b.jpg", False),
        ("uploads/a\nb.jpg", False),
        ("originals/x.jpg", False),
        ("uploadsx/x.jpg", False),
        ("/uploads/x.jpg", False),
        ("uploads/" + "a" * 247, True),
        ("uploads/" + "a" * 248, False),
        ("", False),
    ],
)
def test_which_keys_may_become_assets(key, ok):
    """Only plain keys under uploads/ are read; dot segments and control bytes never."""
    from transcoder import services

    assert services.is_upload_key(key) is ok


# --- keys bound to the user who asked for them (finding 11) ----------------------


def _editor(name):
    user = User.objects.create_user(name, password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_asset"))
    client = Client()
    client.force_login(user)
    return user, client


def test_another_editor_cannot_finalize_an_upload(s3, presets):
    """B cannot finalize A's upload: a clear 403, the object untouched; A can."""
    alice, alice_client = _editor("alice")
    _, bob_client = _editor("bob")
    data = make_image("JPEG", size=(120, 90))
    post = alice_client.post(PRESIGN, {"content_type": "image/jpeg"}).json()
    assert _post_to_bucket(post, data).status_code == 201

    stolen = bob_client.post(FINALIZE, {"key": post["key"], "filename": "b.jpg"})
    assert stolen.status_code == 403
    assert "started by another user" in stolen.json()["error"]
    assert Asset.objects.count() == 0
    assert s3.keys("uploads/") == [post["key"]]
    kept = s3.client.get_object(Bucket=s3.bucket, Key=post["key"])["Body"].read()
    assert kept == data

    mine = alice_client.post(FINALIZE, {"key": post["key"], "filename": "a.jpg"})
    assert mine.status_code == 201
    asset = Asset.objects.get()
    assert asset.uploaded_by == alice and asset.original_filename == "a.jpg"
    assert s3.keys("uploads/") == []


@pytest.mark.django_db(transaction=True)
def test_another_editor_cannot_claim_an_asset_the_s3_event_made(s3, presets):
    """After the S3 event made the asset, B's finalize still gets nothing of it."""
    alice, alice_client = _editor("alice")
    _, bob_client = _editor("bob")
    key = _put_upload(s3, make_image("PNG", size=(50, 40)), alice)
    (made,) = _s3_event(s3, key)
    assert made.uploaded_by == alice

    stolen = bob_client.post(FINALIZE, {"key": key, "filename": "Bob.png"})
    assert stolen.status_code == 403
    assert "asset" not in stolen.json()
    made.refresh_from_db()
    assert made.uploaded_by == alice and made.title == ""

    mine = alice_client.post(FINALIZE, {"key": key, "filename": "Alice.png"})
    assert mine.status_code == 201
    made.refresh_from_db()
    assert (made.uploaded_by, made.title) == (alice, "Alice")


def test_service_refuses_a_key_minted_for_someone_else(s3, presets):
    """asset_finalize_upload itself checks the owner when it is given a user."""
    alice, _ = _editor("alice")
    bob, _ = _editor("bob")
    key = _put_upload(s3, make_image("PNG", size=(50, 40)), alice)
    with pytest.raises(services.UploadOwnerError, match="another user"):
        services.asset_finalize_upload(key=key, uploaded_by=bob)
    assert s3.keys("uploads/") == [key]
    assert services.asset_finalize_upload(key=key, uploaded_by=alice).pk


# --- title and alt text typed per file (the asset library) -------------------
@pytest.mark.django_db(transaction=True)
def test_finalize_keeps_the_title_and_alt_text_typed_for_the_file(
    s3, admin_client, admin_user, presets
):
    """The direct path stores what the editor typed, even after the S3 event won."""

    key = _put_upload(s3, make_image("PNG", size=(50, 40)), admin_user)
    _s3_event(s3, key)
    response = admin_client.post(
        FINALIZE,
        {
            "key": key,
            "filename": "IMG_0001.png",
            "title": " Harbour at dawn ",
            "alt_text": "Fishing boats moored in a calm harbour",
        },
    )
    assert response.status_code == 201
    asset = Asset.objects.get()
    assert asset.title == "Harbour at dawn"
    assert asset.alt_text == "Fishing boats moored in a calm harbour"
    assert response.json()["asset"]["title"] == "Harbour at dawn"


def test_finalize_with_a_description_still_checks_the_uploader(s3, presets):
    """Typed text does not loosen the owner check: B still gets a 403."""
    from django.contrib.auth.models import User
    from django.test import Client

    alice = User.objects.create_superuser("alice2", "a@example.com", "pw")
    bob = User.objects.create_superuser("bob2", "b@example.com", "pw")
    key = _put_upload(s3, make_image("PNG", size=(50, 40)), alice)
    client = Client()
    client.force_login(bob)
    response = client.post(FINALIZE, {"key": key, "title": "Mine", "alt_text": "x"})
    assert response.status_code == 403
    assert not Asset.objects.exists()
