"""Deleting and erasing stored objects, on a versioned bucket (moto) and locally."""

import re
import uuid
from io import StringIO

import pytest
from botocore.awsrequest import AWSResponse
from django.core.management import CommandError, call_command

from transcoder import services
from transcoder.models import Asset

pytestmark = pytest.mark.django_db


@pytest.fixture
def versioned(s3):
    """The test bucket with versioning on, as infra/template.yaml makes it."""
    s3.client.put_bucket_versioning(
        Bucket=s3.bucket, VersioningConfiguration={"Status": "Enabled"}
    )

    def versions(prefix=""):
        pages = s3.client.get_paginator("list_object_versions").paginate(
            Bucket=s3.bucket, Prefix=prefix
        )
        found = []
        for page in pages:
            found += [(v["Key"], "version") for v in page.get("Versions", [])]
            found += [(m["Key"], "marker") for m in page.get("DeleteMarkers", [])]
        return sorted(found)

    s3.versions = versions
    return s3


def _asset_with_history(versioned, jpeg, commit):
    """An asset whose original also has an older version (an overwrite by hand)."""
    with commit():
        asset = services.asset_create(
            content=jpeg, filename="a.jpg", allow_duplicate=True
        )
    versioned.client.put_object(Bucket=versioned.bucket, Key=asset.original, Body=jpeg)
    names = sorted([asset.original, *asset.renditions.values_list("name", flat=True)])
    mine = versioned.versions(f"originals/{asset.pk}/")
    mine += versioned.versions(f"renditions/{asset.pk}/")
    assert len(mine) == len(names) + 1
    return asset, names


@pytest.mark.s3
def test_plain_erase_keeps_noncurrent_versions(
    commit, versioned, presets, jpeg, settings
):
    """By default "Erase now" hides the objects; their versions stay as the guard."""
    settings.MEDIAHUB_ERASE_VERSIONS = False
    asset, names = _asset_with_history(versioned, jpeg, commit)
    with commit():
        services.asset_delete(asset=asset)
    # In the Trash, nothing stored is touched.
    assert sorted(versioned.keys()) == sorted(names)
    with commit():
        services.trash_erase(asset_id=asset.pk)
    assert versioned.keys() == []
    kept = versioned.versions()
    assert {k for k, kind in kept if kind == "version"} == set(names)
    assert {k for k, kind in kept if kind == "marker"} == set(names)


@pytest.mark.s3
def test_erase_now_with_erasure_leaves_no_version(
    commit, versioned, presets, jpeg, settings
):
    """With MEDIAHUB_ERASE_VERSIONS every version and marker of the asset goes."""
    settings.MEDIAHUB_ERASE_VERSIONS = True
    with commit():
        other = services.asset_create(content=jpeg, filename="other.jpg")
    asset, _ = _asset_with_history(versioned, jpeg, commit)
    asset_id = asset.pk
    with commit():
        services.asset_delete(asset=asset)
        services.trash_erase(asset_id=asset_id)
    assert versioned.versions(f"originals/{asset_id}/") == []
    assert versioned.versions(f"renditions/{asset_id}/") == []
    assert not Asset.objects.filter(pk=asset_id).exists()
    # Nothing of another asset is touched.
    assert other.original in versioned.keys()
    assert len(versioned.versions(f"renditions/{other.pk}/")) == 3


@pytest.mark.s3
def test_erase_after_a_plain_delete_honours_the_request(
    commit, versioned, presets, jpeg
):
    """An erasure request that comes after a plain delete still erases everything."""
    asset, names = _asset_with_history(versioned, jpeg, commit)
    asset_id = asset.pk
    with commit():
        services.asset_erase(asset_id=asset_id, versions=False)
    assert versioned.versions() != []
    out = StringIO()
    call_command("erase_asset", str(asset_id), stdout=out)
    assert versioned.versions() == []
    # Two versions of the original, one of each rendition, and the markers.
    assert f"erased {2 * len(names) + 1} object version(s)" in out.getvalue()


@pytest.mark.s3
def test_erase_removes_the_asset_too(commit, versioned, presets, jpeg):
    """asset_erase on a live asset deletes its row and every version of its objects."""
    asset, _ = _asset_with_history(versioned, jpeg, commit)
    erased = services.asset_erase(asset_id=asset.pk)
    assert not Asset.objects.exists()
    assert versioned.versions() == []
    assert asset.original in erased


@pytest.mark.s3
def test_erasure_on_an_unversioned_bucket_deletes_the_objects(
    commit, s3, presets, jpeg
):
    """Without versioning, erasure is simply a delete of every object."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    with commit():
        services.asset_erase(asset_id=asset.pk, versions=True)
    assert s3.keys() == []


def test_erase_on_local_storage_deletes_the_files(commit, presets, jpeg, stored_files):
    """Locally there are no versions: erasing deletes the asset's files."""
    with commit():
        keep = services.asset_create(content=jpeg, filename="keep.jpg")
        asset_id = services.asset_create(
            content=jpeg, filename="a.jpg", allow_duplicate=True
        ).pk
    assert len([f for f in stored_files() if str(asset_id) in f]) == 4
    services.asset_erase(asset_id=asset_id)
    assert not [f for f in stored_files() if str(asset_id) in f]
    assert keep.original in stored_files()


@pytest.mark.parametrize("value", ["../originals", "not-a-uuid", ""])
def test_erase_asset_refuses_what_is_not_an_asset_id(db, value):
    """The command takes asset ids only; no other prefix can be erased."""
    with pytest.raises(CommandError, match="not an asset id"):
        call_command("erase_asset", value)


def test_erase_of_a_prefix_that_is_no_uuid_is_refused(db):
    """objects_erase refuses to build a prefix from anything but a UUID."""
    with pytest.raises(ValueError, match="badly formed"):
        services.objects_erase(asset_id="../originals")
    assert services.objects_erase(asset_id=uuid.uuid4()) == []


def _denied_listing(request, **kwargs):
    """Answer ListObjectVersions as S3 does for a role without the grant."""
    body = b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
    return AWSResponse(request.url, 403, {}, _Body(body))


def _denied_deletes(request, **kwargs):
    """Answer DeleteObjects with every version refused, as S3 does (HTTP 200)."""
    keys = re.findall(rb"<Key>(.*?)</Key><VersionId>(.*?)</VersionId>", request.body)
    errors = b"".join(
        b"<Error><Key>%s</Key><VersionId>%s</VersionId><Code>AccessDenied</Code>"
        b"<Message>Access Denied</Message></Error>" % pair
        for pair in keys
    )
    body = b"<DeleteResult>%s</DeleteResult>" % errors
    return AWSResponse(request.url, 200, {}, _Body(body))


class _Body:
    def __init__(self, body):
        self._body = body

    def stream(self, **kwargs):
        yield self._body


@pytest.mark.s3
@pytest.mark.parametrize(
    ("operation", "fault"),
    [("ListObjectVersions", _denied_listing), ("DeleteObjects", _denied_deletes)],
    ids=["listing-denied", "delete-denied"],
)
def test_erasure_without_the_grant_says_which_stack_parameter_is_missing(
    commit, versioned, presets, jpeg, operation, fault
):
    """A role without AllowVersionErasure: a clear error, and every version stays."""
    from django.core.files.storage import storages

    from transcoder.services.assets.objects import ErasureDeniedError

    asset, _ = _asset_with_history(versioned, jpeg, commit)
    before = versioned.versions()
    for alias in ("default", "renditions"):
        client = storages[alias].connection.meta.client
        client.meta.events.register(f"before-send.s3.{operation}", fault)

    with pytest.raises(
        ErasureDeniedError,
        match=rf"S3 refused to erase the versions under originals/{asset.pk}/ "
        r"\(AccessDenied\).*s3:DeleteObjectVersion.*AllowVersionErasure=true",
    ):
        services.asset_erase(asset_id=asset.pk)

    assert versioned.versions() == before


@pytest.mark.s3
def test_erase_asset_command_reports_a_refusal_without_a_traceback(
    commit, versioned, presets, jpeg
):
    """The command turns S3's refusal into a CommandError with the same advice."""
    from django.core.files.storage import storages

    asset, _ = _asset_with_history(versioned, jpeg, commit)
    before = versioned.versions()
    client = storages["default"].connection.meta.client
    client.meta.events.register("before-send.s3.ListObjectVersions", _denied_listing)

    with pytest.raises(CommandError, match=r"AllowVersionErasure=true"):
        call_command("erase_asset", str(asset.pk), stdout=StringIO())

    assert versioned.versions() == before
