"""Faults during a transcode: S3 errors and time-outs, crashes mid-write, rollbacks.

S3 faults are injected into botocore's own request pipeline (its
``before-send`` event) of the storages talking to moto's server over HTTP, so
everything above the socket runs as in production (see ``faulty_s3``).
"""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.fixtures_s3 import s3_error, s3_timeout
from transcoder import services, tasks
from transcoder.models import Asset, Rendition, RenditionStatus

# Plain django_db; the delete in the middle of a transcode takes
# transaction=True, as its point is what each step has really committed.
pytestmark = pytest.mark.django_db


@pytest.mark.s3
@pytest.mark.parametrize("fault", [s3_error, s3_timeout], ids=["error", "timeout"])
def test_s3_fault_is_retried_with_backoff_until_ready(
    commit, faulty_s3, presets, jpeg, fault
):
    """Two failed PUTs: the task waits 0.5 s, then 1 s, and makes every rendition."""
    puts = faulty_s3.fail("PutObject", times=2, fault=fault, storage="renditions")
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    assert puts["seen"] == 2
    assert faulty_s3.sleeps == [0.5, 1.0]
    rows = Rendition.objects.filter(asset=asset)
    assert {r.status for r in rows} == {RenditionStatus.READY}
    assert max(r.attempts for r in rows) == 3
    stored = faulty_s3.keys("renditions/")
    assert stored == sorted(r.name for r in rows)
    assert all(k.startswith(f"renditions/{asset.pk}/") for k in stored)


@pytest.mark.s3
def test_persistent_s3_fault_fails_with_the_reason_after_max_attempts(
    commit, faulty_s3, presets, jpeg, settings
):
    """A PUT that always fails stops after MAX_ATTEMPTS with the reason recorded."""
    settings.MEDIAHUB_MAX_ATTEMPTS = 3
    puts = faulty_s3.fail(
        "PutObject", times=10**6, fault=s3_timeout, storage="renditions"
    )
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    assert faulty_s3.sleeps == [0.5, 1.0]
    rows = Rendition.objects.filter(asset=asset)
    assert {r.status for r in rows} == {RenditionStatus.FAILED}
    assert all("Storage error while writing" in r.error for r in rows)
    assert all("timeout" in r.error.lower() for r in rows)
    assert max(r.attempts for r in rows) == 3
    # Nothing half-written under a final key, and the original is intact.
    assert faulty_s3.keys("renditions/") == []
    original = faulty_s3.client.get_object(Bucket=faulty_s3.bucket, Key=asset.original)
    assert original["Body"].read() == jpeg
    # A later run (a Lambda redelivery) does not retry rows out of attempts...
    services.renditions_generate(asset_id=asset.pk)
    assert max(r.attempts for r in rows.all()) == 3
    # ...but an editor's regenerate does, once S3 is back.
    puts["failures"] = 0
    services.renditions_generate(asset_id=asset.pk, force=True)
    assert {r.status for r in rows.all()} == {RenditionStatus.READY}
    assert len(faulty_s3.keys("renditions/")) == rows.count() == 3


@pytest.mark.s3
def test_task_raises_when_attempts_run_out_so_lambda_can_redeliver(
    faulty_s3, presets, jpeg, settings
):
    """The last transient fault is raised from the task, for the backend to record."""
    settings.MEDIAHUB_MAX_ATTEMPTS = 2
    faulty_s3.fail("PutObject", times=10**6, storage="renditions")
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    Rendition.objects.all().delete()
    faulty_s3.sleeps.clear()
    with pytest.raises(services.RenditionStorageError, match="InternalError"):
        tasks.generate_renditions.call(str(asset.pk))
    assert faulty_s3.sleeps == [0.5]
    assert faulty_s3.keys("renditions/") == []


@pytest.mark.s3
@pytest.mark.parametrize(
    ("operation", "fault"),
    [("HeadObject", s3_error), ("GetObject", s3_error), ("GetObject", s3_timeout)],
    ids=["head-error", "get-error", "get-timeout"],
)
def test_failed_read_of_the_original_is_retried_then_built(
    faulty_s3, presets, jpeg, operation, fault
):
    """A failed read of the original is a storage fault too: retried, then built.

    A time-out on GetObject is retried by s3transfer itself (five tries)
    before it reaches mediahub, so that one needs five faults in a row.
    """
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    Rendition.objects.all().delete()
    times = 5 if fault is s3_timeout else 1
    reads = faulty_s3.fail(operation, times=times, fault=fault, storage="default")
    del faulty_s3.requests[:]

    result = tasks.generate_renditions.call(str(asset.pk))

    assert result == {RenditionStatus.READY: 3}
    assert reads["seen"] == times
    assert faulty_s3.sleeps == [0.5]
    # The original's body was fetched once more after the faults, and only once.
    gets = times if operation == "GetObject" else 0
    assert faulty_s3.operations("default").count("GetObject") == gets + 1
    rows = Rendition.objects.filter(asset=asset)
    assert {(r.status, r.attempts, r.error) for r in rows} == {
        (RenditionStatus.READY, 2, "")
    }
    assert len(faulty_s3.keys("renditions/")) == 3


def test_engine_refusal_is_not_retried(presets, jpeg, media_root, monkeypatch):
    """A file the engine refuses fails at once with its reason: no backoff."""
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    (media_root / asset.original).write_bytes(jpeg[:200])
    sleeps = []
    monkeypatch.setattr(tasks.time, "sleep", sleeps.append)
    tasks.generate_renditions.call(str(asset.pk), None, True)
    assert sleeps == []
    assert {r.error for r in Rendition.objects.all()} == {
        "The file ends early: it looks truncated. Re-export it and upload again."
    }


def test_backoff_doubles():
    """Each retry waits twice as long as the one before."""
    assert [tasks.backoff(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]


# -- local files: never half-written -----------------------------------------


class _BrokenContent(ContentFile):
    """A file whose stream breaks after the first chunk, like a full disk."""

    def chunks(self, chunk_size=None):
        yield b"first part "
        raise OSError(28, "No space left on device")


def test_local_write_is_atomic(media_root):
    """A write that fails midway leaves nothing under the final name, nor a part."""
    storage = storages["renditions"]
    with pytest.raises(OSError, match="No space"):
        storage.save("renditions/x/y.jpg", _BrokenContent(b""))
    assert not storage.exists("renditions/x/y.jpg")
    assert [p.name for p in media_root.rglob("*") if p.is_file()] == []


def test_local_write_never_overwrites(media_root):
    """A second write of a taken name gets another name; the first is untouched."""
    storage = storages["renditions"]
    first = storage.save("renditions/x/y.jpg", ContentFile(b"one"))
    second = storage.save("renditions/x/y.jpg", ContentFile(b"two"))
    assert first == "renditions/x/y.jpg" and second != first
    assert (media_root / first).read_bytes() == b"one"
    assert sorted(p.name for p in media_root.rglob("*") if p.is_file()) == sorted(
        [first.rsplit("/", 1)[1], second.rsplit("/", 1)[1]]
    )


# -- database rollbacks, deletes, the original -------------------------------


def test_rolled_back_create_leaves_only_an_orphan_that_purge_removes(
    commit, presets, jpeg, stored_files
):
    """An outer transaction that rolls back keeps no asset; purge removes its file.

    The original must be written before its row (the row names it), so a
    rollback of a caller's transaction leaves the object; purge_orphans
    deletes originals that no asset refers to once a day has passed.
    """
    # commit() runs whatever on_commit work survived the rollback: none must.
    with commit(), pytest.raises(RuntimeError), transaction.atomic():
        services.asset_create(content=jpeg, filename="a.jpg")
        raise RuntimeError("the caller fails after the upload")
    assert Asset.objects.count() == 0 and Rendition.objects.count() == 0
    assert [f for f in stored_files() if f.startswith("originals/")]
    assert not [f for f in stored_files() if f.startswith("renditions/")]
    assert services.orphans_purge(dry_run=True) == []  # too young to be sure
    later = timezone.now() + timedelta(days=2)
    plan = services.orphans_purge(now=later)
    assert [why for _, _, why in plan] == ["no asset refers to it"]
    assert stored_files() == []


def test_failed_row_insert_removes_the_original(
    presets, jpeg, stored_files, monkeypatch
):
    """If inserting the asset fails, its just-written original is deleted."""

    def refuse(*args, **kwargs):
        raise IntegrityError("the database said no")

    monkeypatch.setattr(Asset, "save", refuse)
    with pytest.raises(IntegrityError):
        services.asset_create(content=jpeg, filename="a.jpg")
    assert stored_files() == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("where", ["local", pytest.param("s3", marks=pytest.mark.s3)])
def test_asset_deleted_mid_transcode_leaves_no_row_nor_object(
    where, request, presets, jpeg, stored_files, monkeypatch
):
    """Erasing an asset while it is transcoded brings back neither rows nor
    objects (a delete only moves it to the Trash, which keeps both)."""
    from transcoder.imaging import engine

    stored = request.getfixturevalue("s3").keys if where == "s3" else stored_files
    asset_id = services.asset_create(content=jpeg, filename="a.jpg").pk
    assert len(stored()) == 4
    real_render = engine.render_iter

    def render_then_delete(*args, **kwargs):
        for index, out in enumerate(real_render(*args, **kwargs)):
            if index == 1:
                services.asset_erase(asset_id=asset_id)
            yield out

    monkeypatch.setattr(engine, "render_iter", render_then_delete)
    services.renditions_generate(asset_id=asset_id, force=True)
    assert not Asset.all_objects.filter(pk=asset_id).exists()
    assert Rendition.objects.count() == 0
    assert stored() == []


def test_original_is_never_modified(commit, presets, media_root):
    """A build and a forced rebuild leave the original byte for byte, GPS and all."""
    from tests.images import encode, gps_exif_bytes, quadrants

    data = encode(quadrants((300, 200)), "JPEG", exif=gps_exif_bytes(), quality=90)
    with commit():
        asset = services.asset_create(content=data, filename="a.jpg")
    services.renditions_generate(asset_id=asset.pk, force=True)
    asset.refresh_from_db()
    assert (media_root / asset.original).read_bytes() == data
