"""Exact duplicates: the same file twice is refused on every way in, unless forced."""

import json

import pytest

from tests.images import make_image
from tests.lambda_helpers import s3_event
from tests.support import run_ingest
from transcoder import services
from transcoder.delivery import presign
from transcoder.models import ApiToken, Asset
from transcoder.services.library.duplicates import duplicate_of

# Plain django_db; the tests that go through Zappa's handler or the S3 event
# entry point take transaction=True, because both call close_old_connections,
# which would close a connection left inside the test's transaction.
pytestmark = pytest.mark.django_db

UPLOAD_FILE = "/admin/transcoder/asset/upload/file/"
PRESIGN = "/admin/transcoder/asset/upload/presign/"
FINALIZE = "/admin/transcoder/asset/upload/finalize/"


@pytest.fixture
def first(presets, jpeg):
    return services.asset_create(content=jpeg, filename="cat.jpg", title="The cat")


def test_same_file_is_refused_and_nothing_is_stored(first, jpeg, stored_files):
    """A second upload of the same bytes names the first asset and stores nothing."""
    before = stored_files()
    with pytest.raises(
        services.DuplicateAssetError, match="Already in the library as The cat"
    ) as caught:
        services.asset_create(content=jpeg, filename="again.jpg")
    assert caught.value.existing == first
    assert Asset.objects.count() == 1
    assert stored_files() == before


def test_allow_duplicate_makes_a_second_asset(first, jpeg):
    """With allow_duplicate the same file becomes a second, separate asset."""
    second = services.asset_create(content=jpeg, allow_duplicate=True)
    assert second.pk != first.pk and second.content_hash == first.content_hash
    assert second.original != first.original


def test_only_visible_assets_count_as_duplicates(first, jpeg):
    """The lookup takes the caller's visible queryset (the collection policy's)."""
    hidden = Asset.objects.exclude(pk=first.pk)
    assert duplicate_of(content_hash=first.content_hash, assets=hidden) is None
    asset = services.asset_create(content=jpeg, visible=hidden)
    assert asset.pk != first.pk


def test_upload_page_answers_409_with_the_existing_asset(admin_client, first, jpeg):
    """The upload view answers a duplicate with its title and link; anyway works."""
    files = {"file": _file(jpeg)}
    response = admin_client.post(UPLOAD_FILE, files)
    assert response.status_code == 409
    body = response.json()
    assert body["duplicate"] is True and body["ok"] is False
    assert body["error"] == "Already in the library as The cat."
    assert body["asset"] == {
        "id": str(first.pk),
        "title": "The cat",
        "url": f"/admin/transcoder/asset/{first.pk}/change/",
    }
    assert Asset.objects.count() == 1
    anyway = admin_client.post(
        UPLOAD_FILE, {"file": _file(jpeg), "allow_duplicate": "1"}
    )
    assert anyway.status_code == 201
    assert Asset.objects.count() == 2


def _file(data, name="cat.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/jpeg")


@pytest.mark.s3
def test_s3_finalize_of_a_duplicate_deletes_the_upload(s3, admin_client, admin_user):
    """A direct upload of a known file is deleted at finalize; anyway keeps it."""
    data = make_image("PNG", size=(90, 60))
    first = services.asset_create(content=data, title="Known")
    key = presign.upload_key_new(user=admin_user)
    s3.client.put_object(Bucket=s3.bucket, Key=key, Body=data)
    response = admin_client.post(FINALIZE, {"key": key, "filename": "b.png"})
    assert response.status_code == 409
    assert response.json()["asset"]["id"] == str(first.pk)
    assert s3.keys("uploads/") == []
    assert s3.keys("originals/") == [first.original]
    key = presign.upload_key_new(user=admin_user)
    s3.client.put_object(Bucket=s3.bucket, Key=key, Body=data)
    anyway = admin_client.post(
        FINALIZE, {"key": key, "filename": "b.png", "allow_duplicate": "1"}
    )
    assert anyway.status_code == 201
    assert Asset.objects.count() == 2 and s3.keys("uploads/") == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.s3
def test_s3_event_of_a_duplicate_makes_no_asset_and_deletes_it(s3, caplog):
    """The S3 event logs a duplicate copied in by hand and deletes the upload."""
    from transcoder.aws import events

    data = make_image("PNG", size=(80, 50))
    first = services.asset_create(content=data)
    key = "uploads/copied-by-hand.png"
    s3.client.put_object(Bucket=s3.bucket, Key=key, Body=data)
    with caplog.at_level("INFO", logger="transcoder.aws.events"):
        made = events.on_upload(s3_event(s3.bucket, key, len(data)), None)
    assert made == []
    assert Asset.objects.get() == first
    assert s3.keys("uploads/") == []
    assert f"duplicate of asset {first.pk}" in caplog.text


@pytest.mark.django_db(transaction=True)
@pytest.mark.s3
def test_s3_event_leaves_a_browser_duplicate_for_its_finalize(s3, admin_user):
    """A minted upload's duplicate stays, so the browser may still say "anyway"."""
    from transcoder.aws import events

    data = make_image("PNG", size=(70, 50))
    services.asset_create(content=data)
    key = presign.upload_key_new(user=admin_user)
    s3.client.put_object(Bucket=s3.bucket, Key=key, Body=data)
    assert events.on_upload(s3_event(s3.bucket, key, len(data)), None) == []
    assert s3.keys("uploads/") == [key]
    asset = services.asset_finalize_upload(
        key=key, uploaded_by=admin_user, allow_duplicate=True
    )
    assert Asset.objects.count() == 2 and asset.upload_key == key


def test_api_finalize_of_a_duplicate_is_a_409_with_the_asset(client, admin_user, first):
    """The API answers 409 with the existing image; allow_duplicate makes a copy."""
    writer = services.api_token_issue(
        token=ApiToken(
            name="cms", scope_read=True, scope_write=True, created_by=admin_user
        )
    )
    auth = {"Authorization": f"Bearer {writer}"}
    jpeg = make_image("JPEG", size=(640, 480))

    def upload(**extra):
        made = client.post(
            "/api/uploads/",
            {"content_type": "image/jpeg", "size": len(jpeg)},
            content_type="application/json",
            headers=auth,
        ).json()
        client.put(
            made["url"], jpeg, content_type="application/octet-stream", headers=auth
        )
        return client.post(
            "/api/uploads/finalize/",
            {"key": made["key"], **extra},
            content_type="application/json",
            headers=auth,
        )

    refused = upload()
    assert refused.status_code == 409, refused.content
    assert refused.json()["asset"]["id"] == str(first.pk)
    assert refused.json()["status"] == 409
    bad = upload(allow_duplicate="yes")
    assert bad.status_code == 400
    assert upload(allow_duplicate=True).status_code == 201
    assert Asset.objects.count() == 2


def test_ingest_reports_a_duplicate_and_exits_0(tmp_path, first, jpeg):
    """ingest says duplicate with the existing id, exit 0; --allow-duplicates forces."""
    path = tmp_path / "cat.jpg"
    path.write_bytes(jpeg)
    code, out, _ = run_ingest("--json", str(path))
    assert code == 0
    [result] = json.loads(out)
    assert result["status"] == "duplicate" and result["asset"] == str(first.pk)
    code, out, _ = run_ingest(str(path))
    assert code == 0 and f"duplicate {first.pk}" in out
    assert Asset.objects.count() == 1
    code, out, _ = run_ingest("--allow-duplicates", str(path))
    assert code == 0 and " ok " in f" {out}"
    assert Asset.objects.count() == 2
