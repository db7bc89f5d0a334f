"""Replace an asset's file and restore an earlier one, on local storage and S3."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.images import make_image
from transcoder import services
from transcoder.delivery import presign
from transcoder.models import ApiToken, Asset, AssetVersion, Rendition, RenditionStatus
from transcoder.storage import keys

pytestmark = pytest.mark.django_db

OLD = make_image("JPEG", size=(640, 480), color=(200, 40, 40))
NEW = make_image("PNG", size=(300, 500), color=(20, 90, 200))


@pytest.fixture(params=["local", "s3"])
def storage(request):
    """Run a test on the embedded default and on moto's S3."""
    if request.param == "s3":
        return request.getfixturevalue("s3")
    return None


def _current_names(asset):
    return set(
        asset.renditions.filter(
            superseded_at__isnull=True, status=RenditionStatus.READY
        ).values_list("name", flat=True)
    )


def _stored(storage_fixture, stored_files, prefix):
    if storage_fixture is not None:
        return sorted(storage_fixture.keys(prefix))
    return sorted(n for n in stored_files() if n.startswith(prefix))


def test_replace_keeps_the_asset_and_rebuilds_under_new_names(
    commit, storage, presets, stored_files, admin_user
):
    """Replace: same id and texts, new file, new rendition names, old superseded."""
    with commit():
        asset = services.asset_create(
            content=OLD,
            filename="old.jpg",
            title="Harbour",
            alt_text="Boats",
            focal=(0.2, 0.3),
        )
    old_names = _current_names(asset)
    old_original = asset.original
    assert len(old_names) == 3

    with commit():
        services.asset_replace(
            asset=asset, content=NEW, filename="new.png", uploaded_by=admin_user
        )

    asset = Asset.objects.get(pk=asset.pk)
    assert (asset.title, asset.alt_text, asset.focal) == (
        "Harbour",
        "Boats",
        (0.2, 0.3),
    )
    assert (asset.format, asset.width, asset.height) == ("png", 300, 500)
    assert asset.original != old_original and keys.is_original_key(asset.original)
    assert asset.uploaded_by == admin_user and asset.spec_source
    new_names = _current_names(asset)
    assert len(new_names) == 3 and not new_names & old_names
    superseded = asset.renditions.filter(superseded_at__isnull=False)
    assert set(superseded.values_list("name", flat=True)) == old_names
    [version] = asset.versions.all()
    assert (version.original, version.format, version.bytes) == (
        old_original,
        "jpeg",
        len(OLD),
    )
    originals = _stored(storage, stored_files, "originals/")
    assert originals == sorted([old_original, asset.original])
    # Old renditions stay until purged, so old signed URLs keep working.
    assert old_names <= set(_stored(storage, stored_files, "renditions/"))


def test_restore_makes_the_old_file_current_again(
    commit, storage, presets, stored_files
):
    """Restore swaps the files: the restored one is current, the other a version."""
    with commit():
        asset = services.asset_create(content=OLD, filename="old.jpg")
    first_original = asset.original
    services.asset_replace(asset=asset, content=NEW, filename="new.png")
    second_original = Asset.objects.get(pk=asset.pk).original
    version = AssetVersion.objects.get(asset=asset)

    services.asset_version_restore(version=version)

    asset = Asset.objects.get(pk=asset.pk)
    assert asset.original == first_original and asset.format == "jpeg"
    assert asset.content_hash == version.content_hash
    assert list(asset.versions.values_list("original", flat=True)) == [second_original]
    current = asset.renditions.filter(superseded_at__isnull=True)
    assert current.count() == 3
    assert set(current.values_list("status", flat=True)) == {RenditionStatus.READY}
    assert all(r.width <= 640 for r in current)


def test_replacing_with_the_current_file_is_refused(presets):
    """The same bytes again is refused and stores nothing."""
    asset = services.asset_create(content=OLD)
    with pytest.raises(services.AssetRefusedError, match="current file already"):
        services.asset_replace(asset=asset, content=OLD)
    assert not AssetVersion.objects.exists()


def test_replacing_with_a_non_image_stores_nothing(presets, stored_files):
    """A refused replacement leaves the asset and storage as they were."""
    asset = services.asset_create(content=OLD)
    before = stored_files()
    with pytest.raises(services.AssetRefusedError):
        services.asset_replace(asset=asset, content=b"<svg></svg>")
    assert stored_files() == before
    assert Asset.objects.get(pk=asset.pk).original == asset.original


def test_erase_removes_every_version(commit, storage, presets, stored_files):
    """Erasing the asset deletes the current file and every earlier one."""
    with commit():
        asset = services.asset_create(content=OLD)
    services.asset_replace(asset=asset, content=NEW)
    services.asset_replace(
        asset=Asset.objects.get(pk=asset.pk),
        content=make_image("WEBP", size=(200, 200), color=(10, 200, 10)),
    )
    assert len(_stored(storage, stored_files, "originals/")) == 3
    with commit():
        services.asset_delete(asset=Asset.objects.get(pk=asset.pk))
    assert len(_stored(storage, stored_files, "originals/")) == 3
    with commit():
        services.trash_erase(asset_id=asset.pk)
    assert _stored(storage, stored_files, "originals/") == []
    assert _stored(storage, stored_files, "renditions/") == []
    assert not AssetVersion.objects.exists()


def test_purge_keeps_version_originals(storage, presets, stored_files):
    """purge_orphans does not take an earlier file for an orphan."""
    asset = services.asset_create(content=OLD)
    services.asset_replace(asset=asset, content=NEW)
    later = timezone.now() + timedelta(days=3)
    plan = services.orphans_purge(now=later)
    purged = {name for _, name, _ in plan}
    assert not purged & set(AssetVersion.objects.values_list("original", flat=True))
    assert len(_stored(storage, stored_files, "originals/")) == 2
    # The superseded renditions of the first file do go, after the URL TTL.
    assert Rendition.objects.filter(superseded_at__isnull=False).count() == 0


@pytest.mark.s3
def test_api_replace_takes_an_upload_key(s3, client, presets, admin_user):
    """The replace endpoint takes a key from /api/uploads/ and replaces the file."""
    writer = services.api_token_issue(
        token=ApiToken(
            name="cms", scope_read=True, scope_write=True, created_by=admin_user
        )
    )
    auth = {"Authorization": f"Bearer {writer}"}
    asset = services.asset_create(content=OLD, title="Kept")
    key = presign.upload_key_new(user=admin_user, asset=asset)
    s3.client.put_object(Bucket=s3.bucket, Key=key, Body=NEW)
    response = client.post(
        f"/api/assets/{asset.pk}/replace/",
        {"key": key, "filename": "new.png"},
        content_type="application/json",
        headers=auth,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == str(asset.pk) and body["title"] == "Kept"
    assert (body["width"], body["height"], body["format"]) == (300, 500, "png")
    assert s3.keys("uploads/") == []
    again = client.post(
        f"/api/assets/{asset.pk}/replace/",
        {"key": key},
        content_type="application/json",
        headers=auth,
    )
    # The key is spent: nothing is stored at it any more, a conflict.
    assert again.status_code == 409
    assert "No file was received" in again.json()["error"]


def test_admin_replace_and_restore_views(admin_client, presets):
    """The Replace file page and the Restore button work through the admin."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    asset = services.asset_create(content=OLD, title="Pier")
    url = f"/admin/transcoder/asset/{asset.pk}/replace/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url, {"file": SimpleUploadedFile("new.png", NEW, content_type="image/png")}
    )
    assert response.status_code == 302
    page = admin_client.get(f"/admin/transcoder/asset/{asset.pk}/change/")
    html = page.content.decode()
    assert "Versions" in html and "Restore" in html
    version = AssetVersion.objects.get(asset=asset)
    restore = f"/admin/transcoder/asset/{asset.pk}/versions/{version.pk}/restore/"
    assert admin_client.get(restore).status_code == 405
    assert admin_client.post(restore).status_code == 302
    assert Asset.objects.get(pk=asset.pk).format == "jpeg"


def test_replace_needs_the_change_permission(client, presets):
    """Staff who may only view an asset cannot replace its file."""
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_asset"))
    client.force_login(user)
    asset = services.asset_create(content=OLD)
    assert client.get(f"/admin/transcoder/asset/{asset.pk}/replace/").status_code == 403


def test_a_replace_that_lost_the_race_adds_no_version(storage, presets, stored_files):
    """Two replaces with the same file (the S3 event and the client's call) that
    both read the asset before either wrote: one version, no extra original."""
    asset = services.asset_create(content=OLD)
    stale = Asset.objects.get(pk=asset.pk)
    services.asset_replace(asset=asset, content=NEW, filename="new.png")
    again = services.asset_replace(asset=stale, content=NEW, filename="new.png")
    current = Asset.objects.get(pk=asset.pk)
    assert again.content_hash == current.content_hash != stale.content_hash
    assert AssetVersion.objects.filter(asset=current).count() == 1
    originals = _stored(storage, stored_files, "originals/")
    assert originals == sorted([stale.original, current.original])
