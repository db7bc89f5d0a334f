"""purge_orphans: only what nothing needs, and only once its lifetime is over."""

import os
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from transcoder import services
from transcoder.delivery import presign
from transcoder.models import Rendition

pytestmark = pytest.mark.django_db

ORPHAN_ASSET = "0f8fad5b-d9cb-469f-a165-70867728950e"
HOUR = 3600


def _purge(*args):
    out = StringIO()
    call_command("purge_orphans", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def library(commit, presets, jpeg, media_root, admin_user):
    """An asset with renditions, plus orphans of every kind, old and fresh (local)."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    thumb_webp, thumb_jpeg, card = (
        asset.renditions.get(preset__slug="thumb", format="webp"),
        asset.renditions.get(preset__slug="thumb", format="jpeg"),
        asset.renditions.get(preset__slug="card"),
    )
    Rendition.objects.filter(pk=thumb_webp.pk).update(
        superseded_at=timezone.now() - timedelta(hours=2)
    )
    Rendition.objects.filter(pk=thumb_jpeg.pk).update(
        superseded_at=timezone.now() - timedelta(minutes=10)
    )
    files = {
        "old_rendition": f"renditions/{ORPHAN_ASSET}/thumb/0123456789abcdef-100.webp",
        "fresh_rendition": f"renditions/{ORPHAN_ASSET}/thumb/fedcba9876543210-100.jpg",
        "old_upload": presign.upload_key_new(user=admin_user),
        "unsettled_upload": presign.upload_key_new(user=admin_user),
        "fresh_upload": presign.upload_key_new(user=admin_user),
        "old_original": f"originals/{ORPHAN_ASSET}/0123456789abcdef.jpg",
        "fresh_original": f"originals/{ORPHAN_ASSET}/fedcba9876543210.jpg",
    }
    ages = {
        "old_rendition": 2 * HOUR,
        "fresh_rendition": 0,
        "old_upload": 2 * HOUR,
        "unsettled_upload": 3 * HOUR,
        "fresh_upload": 30 * 60,
        "old_original": 2 * 24 * HOUR,
        "fresh_original": 2 * HOUR,
    }
    for label, name in files.items():
        path = media_root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        _age(path, ages[label])
    # Refused (its delete failed): purge may delete what is left of it. The
    # unsettled upload is neither an asset nor a refusal: it waits for the sweeper.
    services.upload_refusal_record(key=files["old_upload"], reason="Not an image.")
    # What rows refer to is kept however old it is.
    for name in (asset.original, card.name, thumb_jpeg.name, thumb_webp.name):
        _age(media_root / name, 3 * 24 * HOUR)
    return {
        "asset": asset,
        "superseded": thumb_webp,
        "recently_superseded": thumb_jpeg,
        "card": card,
        **files,
    }


def _age(path, seconds):
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_dry_run_lists_what_qualifies_and_deletes_nothing(library, stored_files):
    """--dry-run prints each object it would delete, with why, and changes nothing."""
    before, rows = stored_files(), Rendition.objects.count()
    out = _purge("--dry-run")
    assert f"would delete {library['superseded'].name} (superseded)" in out
    assert f"would delete {library['old_rendition']} (no rendition refers" in out
    assert f"would delete {library['old_upload']} (stale upload)" in out
    assert f"would delete {library['old_original']} (no asset refers" in out
    assert "Would delete 4 object(s)." in out
    assert out.count("would delete ") == 4
    assert stored_files() == before
    assert Rendition.objects.count() == rows


def test_purge_removes_only_what_qualifies(library, stored_files):
    """Old orphans and long-superseded renditions go; fresh ones and used ones stay."""
    before = stored_files()
    out = _purge()
    gone = {
        library["superseded"].name,
        library["old_rendition"],
        library["old_upload"],
        library["old_original"],
    }
    assert out.count("deleted ") == 4
    assert "Deleted 4 object(s)." in out
    assert set(before) - set(stored_files()) == gone
    for kept in (
        library["asset"].original,
        library["card"].name,
        library["recently_superseded"].name,
        library["fresh_rendition"],
        library["unsettled_upload"],
        library["fresh_upload"],
        library["fresh_original"],
    ):
        assert kept in stored_files()
    assert not Rendition.objects.filter(pk=library["superseded"].pk).exists()
    assert Rendition.objects.filter(pk=library["recently_superseded"].pk).exists()
    assert "Deleted 0 object(s)." in _purge()


def test_purge_waits_for_the_url_ttl(library, settings, stored_files):
    """With a longer URL lifetime, superseded and orphaned renditions are kept."""
    settings.MEDIAHUB_URL_TTL = 3 * HOUR
    _purge()
    assert library["superseded"].name in stored_files()
    assert library["old_rendition"] in stored_files()
    assert library["old_upload"] not in stored_files()


def test_purge_on_an_empty_library(db):
    """With nothing stored at all, the command says so and succeeds."""
    assert "Would delete 0 object(s)." in _purge("--dry-run")
    assert "Deleted 0 object(s)." in _purge()


@pytest.mark.s3
def test_purge_on_s3_follows_each_lifetime(commit, s3, presets, jpeg, admin_user):
    """On S3 each kind of orphan goes once its own lifetime is over, no sooner."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    superseded = asset.renditions.get(preset__slug="card")
    Rendition.objects.filter(pk=superseded.pk).update(superseded_at=timezone.now())
    used = sorted(
        [
            asset.original,
            *asset.renditions.exclude(pk=superseded.pk).values_list("name", flat=True),
        ]
    )
    rendition = f"renditions/{ORPHAN_ASSET}/thumb/0123456789abcdef-100.webp"
    upload = presign.upload_key_new(user=admin_user)
    original = f"originals/{ORPHAN_ASSET}/0123456789abcdef.jpg"
    for key in (rendition, upload, original):
        s3.client.put_object(Bucket=s3.bucket, Key=key, Body=b"x")
    everything = s3.keys()
    now = timezone.now()

    assert services.orphans_purge(now=now + timedelta(minutes=59)) == []
    plan = services.orphans_purge(now=now + timedelta(minutes=65), dry_run=True)
    assert {name for _, name, _ in plan} == {superseded.name, rendition}
    assert s3.keys() == everything

    services.orphans_purge(now=now + timedelta(minutes=65))
    assert s3.keys() == sorted([*used, upload, original])
    assert not Rendition.objects.filter(pk=superseded.pk).exists()

    # Neither an asset nor a refusal: kept for the sweeper, however old.
    assert services.orphans_purge(now=now + timedelta(hours=2)) == []
    assert upload in s3.keys()
    services.upload_refusal_record(key=upload, reason="Not an image.")
    plan = services.orphans_purge(now=now + timedelta(hours=2))
    assert plan == [("default", upload, "stale upload")]
    assert s3.keys() == sorted([*used, original])

    plan = services.orphans_purge(now=now + timedelta(hours=25))
    assert plan == [("default", original, "no asset refers to it")]
    assert s3.keys() == used


@pytest.mark.s3
@pytest.mark.parametrize("target", ["original", "rendition"])
def test_purge_never_follows_a_planted_backslash_key_on_s3(
    commit, s3, presets, jpeg, target, caplog
):
    """uploads/..\\originals\\<id>\\<hash>.jpg is no stale upload: all stays.

    Deleting it through storage would clean its name into the target's key and
    delete another asset's original (or rendition) every day. The purge lists
    and deletes raw keys only, and keeps keys of no known shape, with a log.
    """
    with commit():
        victim = services.asset_create(content=jpeg, filename="victim.jpg")
    name = (
        victim.original
        if target == "original"
        else victim.renditions.exclude(name="").first().name
    )
    planted = "uploads/..\\" + name.replace("/", "\\")
    s3.client.put_object(Bucket=s3.bucket, Key=planted, Body=b"x")
    stale = presign.upload_key_new(user=victim.uploaded_by or _someone())
    s3.client.put_object(Bucket=s3.bucket, Key=stale, Body=b"x")
    services.upload_refusal_record(key=stale, reason="Not an image.")
    everything = s3.keys()

    later = timezone.now() + timedelta(days=3)
    plan = services.orphans_purge(now=later, dry_run=True)
    assert plan == [("default", stale, "stale upload")]
    services.orphans_purge(now=later)

    assert s3.keys() == sorted(set(everything) - {stale})
    assert name in s3.keys() and planted in s3.keys()
    assert f"Skipping {planted!r}" in caplog.text


def _someone():
    from django.contrib.auth.models import User

    return User.objects.create_user("someone")


@pytest.mark.parametrize(
    "name",
    [
        f"uploads/..\\originals\\{ORPHAN_ASSET}\\0123456789abcdef.jpg",
        "uploads/a\u202eb.jpg",
        f"originals/{ORPHAN_ASSET}/notes.txt",
        f"renditions/{ORPHAN_ASSET}/thumb/x.webp",
    ],
    ids=ascii,
)
def test_purge_keeps_local_files_of_unknown_shape(db, media_root, name, caplog):
    """On local storage, a file of no shape mediahub makes is logged and kept."""
    path = media_root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    _age(path, 30 * 24 * HOUR)
    assert "Deleted 0 object(s)." in _purge()
    assert path.exists()
    assert "not a key mediahub makes" in caplog.text


@pytest.mark.s3
def test_purge_deletes_by_the_listed_key_not_a_cleaned_name(s3, monkeypatch):
    """Stale uploads are deleted through the S3 client, never Storage.delete."""
    from django.core.files.storage import storages

    def refuse(self, name):
        raise AssertionError(f"Storage.delete({name!r}) was called")

    monkeypatch.setattr(type(storages["default"]), "delete", refuse)
    stale = presign.upload_key_new(user=_someone())
    copied = "uploads/2026/Happy Face.jpg"
    for key in (stale, copied):
        s3.client.put_object(Bucket=s3.bucket, Key=key, Body=b"x")
        services.upload_refusal_record(key=key, reason="Not an image.")
    services.orphans_purge(now=timezone.now() + timedelta(hours=2))
    assert s3.keys() == []
