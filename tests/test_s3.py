"""Storage on S3 (moto's server over HTTP): layout, headers, privacy, cleanup."""

import json
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.db import transaction

from tests.conftest import ORIENTATION_PHOTOS
from transcoder import checks, services
from transcoder.delivery import serving
from transcoder.models import Asset, RenditionStatus
from transcoder.storage.headers import IMMUTABLE, MIME_BY_EXT

pytestmark = [pytest.mark.s3, pytest.mark.django_db]

PUBLIC_GRANTEES = {
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
}


def _anonymous_get(url):
    """GET ``url`` with no credentials at all; return the HTTP status."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def _public_grants(s3, key):
    grants = s3.client.get_object_acl(Bucket=s3.bucket, Key=key)["Grants"]
    return [g for g in grants if g["Grantee"].get("URI") in PUBLIC_GRANTEES]


def test_asset_create_writes_renditions_with_type_and_immutable_caching(
    commit, s3, presets, jpeg
):
    """Every rendition is in the bucket with its exact type and a year of caching."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    rows = list(asset.renditions.all())
    assert len(rows) == 3 and {r.status for r in rows} == {RenditionStatus.READY}
    for row in rows:
        assert row.name.startswith(f"renditions/{asset.pk}/")
        head = s3.client.head_object(Bucket=s3.bucket, Key=row.name)
        assert head["ContentType"] == MIME_BY_EXT[row.name.rsplit(".", 1)[1]]
        assert head["CacheControl"] == IMMUTABLE
        assert head["ContentLength"] == row.bytes
    assert s3.keys() == sorted([asset.original, *(r.name for r in rows)])


def test_original_is_stored_untouched_and_private(s3, presets, jpeg):
    """The original keeps its bytes, is not cached publicly and has no public grant."""
    asset = services.asset_create(content=jpeg, filename="../My Photo.jpg")
    assert asset.original.startswith(f"originals/{asset.pk}/")
    assert "My Photo" not in asset.original
    obj = s3.client.get_object(Bucket=s3.bucket, Key=asset.original)
    assert obj["Body"].read() == jpeg
    assert obj["CacheControl"] == "private, no-store"
    for key in s3.keys():
        assert _public_grants(s3, key) == [], key


def test_unsigned_get_is_refused_for_every_object(commit, s3, presets, jpeg):
    """moto refuses an anonymous GET of originals and renditions alike."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    keys = s3.keys()
    assert asset.original in keys and len(keys) == 4
    for key in keys:
        assert _anonymous_get(f"{s3.endpoint}/{s3.bucket}/{key}") == 403, key


def test_presigned_rendition_url_without_cloudfront_serves_the_object(
    commit, s3, settings, presets, jpeg
):
    """Without a CloudFront key, URLs are S3 presigned URLs expiring after the TTL."""
    settings.MEDIAHUB_URL_TTL = 900
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    row = asset.renditions.get(preset__slug="card")
    url = serving.rendition_url(row)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == s3.endpoint
    assert parse_qs(parts.query)["X-Amz-Expires"] == ["900"]
    assert parse_qs(parts.query)["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
        assert response.read()[:3] == b"\xff\xd8\xff"


def test_original_view_redirects_staff_to_a_one_minute_s3_url(
    s3, admin_client, presets, jpeg
):
    """On S3, staff get the original through a 60-second presigned S3 URL."""
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    response = admin_client.get(f"/admin/transcoder/asset/{asset.pk}/original/")
    assert response.status_code == 302
    location = response["Location"]
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}" == s3.endpoint
    assert parts.path == f"/{s3.bucket}/{asset.original}"
    assert parse_qs(parts.query)["X-Amz-Expires"] == ["60"]
    with urllib.request.urlopen(location, timeout=10) as fetched:  # noqa: S310
        assert fetched.read() == jpeg


def test_original_view_is_not_for_anonymous_visitors(s3, client, presets, jpeg):
    """An anonymous visitor is sent to the login page, not to a presigned URL."""
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    response = client.get(f"/admin/transcoder/asset/{asset.pk}/original/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db(transaction=True)
def test_asset_erase_removes_objects_only_after_commit(s3, presets, jpeg):
    """Objects stay while the erasure may still roll back, and go once it commits."""
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    before = s3.keys()
    assert len(before) == 4
    with transaction.atomic():
        services.asset_erase(asset_id=asset.pk, versions=False)
        assert s3.keys() == before
    assert s3.keys() == []
    assert Asset.objects.count() == 0


# Without a real commit no on_commit delete would run, and this could not fail.
@pytest.mark.django_db(transaction=True)
def test_rolled_back_delete_keeps_every_object(s3, presets, jpeg):
    """A deletion that rolls back leaves the asset and all its objects in place."""
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    asset_id, before = asset.pk, s3.keys()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.asset_delete(asset=asset)
        raise RuntimeError("roll back")
    assert s3.keys() == before
    assert Asset.objects.filter(pk=asset_id).exists()


def test_storage_never_overwrites_an_object(s3):
    """Saving to a taken name yields a new name and leaves the first object intact."""
    storage = storages["renditions"]
    first = storage.save("renditions/x/y/0123456789abcdef-10.jpg", ContentFile(b"a"))
    second = storage.save(first, ContentFile(b"b"))
    assert second != first
    body = s3.client.get_object(Bucket=s3.bucket, Key=first)["Body"].read()
    assert body == b"a"


def test_ingest_json_reports_renditions_that_are_in_the_bucket(s3, presets, capsys):
    """`ingest --json` of real photos reports renditions that are in the bucket."""
    call_command("ingest", "--json", *map(str, ORIENTATION_PHOTOS[1:3]))
    results = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in results] == ["ok", "ok"]
    keys = s3.keys()
    for result in results:
        asset = Asset.objects.get(pk=result["asset"])
        assert asset.original in keys
        assert len(result["renditions"]) == 3
        for rendition in result["renditions"]:
            head = s3.client.head_object(Bucket=s3.bucket, Key=rendition["name"])
            assert head["CacheControl"] == IMMUTABLE
            assert head["ContentLength"] == rendition["bytes"]


def test_deploy_check_warns_only_without_a_cloudfront_key(s3, settings, cloudfront_key):
    """mediahub.W001 fires on S3 without a CloudFront key and not with one."""
    assert [w.id for w in checks.check_signed_delivery(None)] == ["mediahub.W001"]
    from mediahub.storages import s3_storages

    settings.STORAGES = {
        **settings.STORAGES,
        **s3_storages(
            s3.env
            | {
                "AWS_S3_CUSTOM_DOMAIN": "media.example.test",
                "AWS_CLOUDFRONT_KEY_ID": cloudfront_key.key_id,
                "AWS_CLOUDFRONT_KEY": cloudfront_key.pem,
            }
        ),
    }
    assert checks.check_signed_delivery(None) == []
