"""The sweeper: lost rendition work is queued again, lost uploads finalized.

The clock is injected (``now=``); S3 dates objects when they are written, so
"three hours later" is a ``now`` three hours ahead, and local files are aged
with ``os.utime``. Nothing sleeps.
"""

import os
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.conftest import TESTDATA
from tests.lambda_helpers import deliver, upload_photo
from transcoder import services
from transcoder.delivery import presign
from transcoder.models import Asset, Rendition, UploadRefusal

pytest_plugins = ["tests.lambda_support"]
pytestmark = pytest.mark.django_db

HOUR = 3600
PHOTO = TESTDATA / "photos" / "orientation" / "Landscape_5.jpg"


def _command(name, *args):
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def _put_local(media_root, key, data, age):
    path = media_root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


# --- the reproduction -----------------------------------------------------------


def test_a_photo_left_in_uploads_is_kept_by_purge_and_swept_into_an_asset(
    commit, presets, admin_user, media_root, caplog
):
    """A valid photo left three hours in uploads/ (its finalize and event never
    came) survives purge_orphans; sweep makes it an asset with its renditions,
    byte for byte; the upload is gone and a second sweep and purge change
    nothing."""
    key = presign.upload_key_new(user=admin_user)
    data = PHOTO.read_bytes()
    path = _put_local(media_root, key, data, 3 * HOUR)

    assert "Deleted 0 object(s)." in _command("purge_orphans")
    assert path.read_bytes() == data
    assert f"Keeping upload {key}" in caplog.text
    assert not Asset.objects.exists()

    with commit():
        out = _command("sweep")
    assert f"finalized {key}" in out
    asset = Asset.objects.get(upload_key=key)
    assert asset.uploaded_by == admin_user
    assert (media_root / asset.original).read_bytes() == data
    assert sorted(asset.renditions.values_list("status", flat=True)) == ["ready"] * 3
    assert not path.exists()

    with commit():
        assert "finalized 0 upload(s)" in _command("sweep")
    assert "Deleted 0 object(s)." in _command("purge_orphans")
    assert Asset.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_on_s3_the_sweeper_finalizes_what_the_event_never_did(
    media_events, faulty_s3, presets, admin_user
):
    """On S3: the photo's event is lost; purge keeps it; the sweeper makes the
    asset though deleting the upload fails; the late event finds that asset
    (no second one); purge then deletes the leftover upload."""
    s3 = faulty_s3
    key = presign.upload_key_new(user=admin_user)
    data = upload_photo(s3, key)
    later = timezone.now() + timedelta(hours=3)

    assert services.orphans_purge(now=later) == []
    assert key in s3.keys("uploads/")

    rule = s3.fail("DeleteObject", times=1, storage="default")
    report = services.sweep(now=later)
    assert rule["seen"] == 1 and report.left == [key]
    asset = Asset.objects.get(upload_key=key)
    assert key in s3.keys("uploads/")
    assert s3.client.get_object(Bucket=s3.bucket, Key=asset.original)[
        "Body"
    ].read() == (data)

    assert deliver(media_events, s3, key, len(data)) == [str(asset.pk)]
    assert Asset.objects.count() == 1
    assert set(asset.renditions.values_list("status", flat=True)) == {"ready"}

    assert services.orphans_purge(now=later) == [("default", key, "stale upload")]
    assert s3.keys("uploads/") == []
    assert Asset.objects.count() == 1 and not UploadRefusal.objects.exists()


# --- uploads -----------------------------------------------------------------------


def test_the_sweeper_ends_each_old_upload_as_an_asset_or_a_refusal(
    commit, presets, admin_user, media_root, stored_files
):
    """Old uploads: a photo becomes an asset, a text file a recorded refusal, a
    young upload waits; in batches of two, from the stored cursor, wrapping
    around at the end of uploads/."""
    photo = presign.upload_key_new(user=admin_user)
    text = presign.upload_key_new(user=admin_user)
    copied = "uploads/2026/Pier.jpg"
    young = presign.upload_key_new(user=admin_user)
    _put_local(media_root, photo, PHOTO.read_bytes(), 2 * HOUR)
    _put_local(media_root, text, b"no image", 2 * HOUR)
    _put_local(
        media_root,
        copied,
        (TESTDATA / "photos/orientation/Landscape_3.jpg").read_bytes(),
        2 * HOUR,
    )
    _put_local(media_root, young, PHOTO.read_bytes(), 60)
    seen = []
    with commit():
        for _ in range(4):
            report = services.sweep(batch=2)
            seen.append(report)
            if report.uploads_done:
                break
    # Three to finalize, two per run: the second run goes on after the cursor.
    tried = [len(r.finalized) + len(r.refused) + len(r.left) for r in seen]
    assert tried == [2, 1]
    # The second run lists only what sorts after the first one's cursor.
    assert seen[0].listed == 4 and 1 <= seen[1].listed <= 2
    assert seen[-1].uploads_done and not seen[0].uploads_done
    finalized = sorted(k for r in seen for k in r.finalized)
    assert finalized == sorted([photo, copied])
    assert [k for r in seen for k in r.refused] == [text]
    assert UploadRefusal.objects.get().key == text
    assert Asset.objects.filter(upload_key__in=[photo, copied]).count() == 2
    assert [k for k in stored_files() if k.startswith("uploads/")] == [young]
    assert services.sweep(batch=10).finalized == []


# --- renditions -------------------------------------------------------------------


def test_stale_pending_renditions_are_queued_again_and_built(
    commit, presets, jpeg, settings
):
    """A build lost mid-way (rows pending an hour after their last touch) and
    one lost before it began (no rows at all) are queued again and built."""
    with commit():
        built = services.asset_create(content=jpeg, filename="a.jpg")
    lost = services.asset_create(
        content=jpeg, filename="b.jpg", allow_duplicate=True, queue_renditions=False
    )
    row = built.renditions.get(preset__slug="card")
    Rendition.objects.filter(pk=row.pk).update(status="pending", attempts=1, name="")
    later = timezone.now() + timedelta(hours=2)

    with commit():
        report = services.sweep(now=later)
    assert report.requeued == sorted([str(built.pk), str(lost.pk)])
    assert Rendition.objects.get(pk=row.pk).status == "ready"
    assert set(lost.renditions.values_list("status", flat=True)) == {"ready"}
    assert lost.renditions.count() == 3
    # The sweep counts as an attempt, and so does the build it queued.
    assert Rendition.objects.get(pk=row.pk).attempts == 3
    with commit():
        assert services.sweep(now=later).requeued == []


def test_a_job_whose_task_was_lost_is_swept_to_its_end(commit, presets, jpeg, settings):
    """A bulk job whose first batch never ran (its task dropped) is queued
    again by the sweep an hour on, and tags its images."""
    from django.contrib.auth.models import User

    from transcoder.models import Job

    boss = User.objects.create_superuser("boss", password="pw")
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    with commit():
        job = services.job_start(
            action="tags_add",
            label="Add tags",
            asset_ids=[asset.pk],
            params={"tags": ["swept"]},
            user=boss,
        )
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    }
    with commit():
        assert services.sweep(now=timezone.now() + timedelta(minutes=5)).jobs == 0
    assert not asset.tags.exists()
    with commit():
        assert services.sweep(now=timezone.now() + timedelta(hours=2)).jobs == 1
    job = Job.objects.get(pk=job.pk)
    assert job.finished_at is not None and job.done == 1
    assert list(asset.tags.names()) == ["swept"]


def test_rows_that_used_up_their_attempts_fail_with_a_reason(
    commit, presets, jpeg, settings, django_capture_on_commit_callbacks
):
    """A row pending after MEDIAHUB_MAX_ATTEMPTS attempts is failed with the
    reason, not queued again; one attempt short, it is queued once more."""
    settings.MEDIAHUB_MAX_ATTEMPTS = 3
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    spent, short = asset.renditions.all()[:2]
    Rendition.objects.filter(pk=spent.pk).update(status="pending", attempts=3)
    Rendition.objects.filter(pk=short.pk).update(status="pending", attempts=2)
    later = timezone.now() + timedelta(hours=2)

    with django_capture_on_commit_callbacks() as queued:
        report = services.sweep(now=later)
    assert report.failed == 1 and report.requeued == [str(asset.pk)]
    assert len(queued) == 1
    spent.refresh_from_db()
    assert spent.status == "failed" and "after 3 attempts" in spent.error
    assert Rendition.objects.get(pk=short.pk).attempts == 3

    # Lost again: now it too has used up its attempts.
    with django_capture_on_commit_callbacks() as queued:
        report = services.sweep(now=later + timedelta(hours=2))
    assert report.failed == 1 and report.requeued == [] and queued == []
    assert Rendition.objects.get(pk=short.pk).status == "failed"
    asset.refresh_from_db()
    assert asset.rendition_state == "failed"


def test_the_sweeper_queues_at_most_a_batch_per_run(
    presets, jpeg, django_capture_on_commit_callbacks
):
    """Five assets whose tasks were lost: a batch of two queues two per run,
    each once, the oldest first, until none is left."""
    from tests.images import make_image

    assets = [
        services.asset_create(
            content=make_image("JPEG", size=(40, 30), color=(i * 40, 10, 10)),
            queue_renditions=False,
        )
        for i in range(5)
    ]
    later = timezone.now() + timedelta(hours=2)
    runs = []
    for _ in range(4):
        with django_capture_on_commit_callbacks() as queued:
            report = services.sweep(now=later, batch=2)
        assert len(queued) == len(report.requeued) <= 2
        runs.append(report.requeued)
    assert [len(r) for r in runs] == [2, 2, 1, 0]
    assert sorted(a for r in runs for a in r) == sorted(str(a.pk) for a in assets)


def test_a_replace_upload_the_event_applied_never_undoes_a_later_replace(
    commit, presets, jpeg, admin_user, media_root, stored_files
):
    """The event replaced the file and kept the upload for the client's call,
    which never came; an editor replaced the file again since. The sweeper
    deletes the upload and leaves the editor's file current."""
    import hashlib

    from tests.images import make_image

    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
    first = make_image("JPEG", size=(50, 40), color=(10, 120, 200))
    second = make_image("JPEG", size=(50, 40), color=(200, 120, 10))
    key = presign.upload_key_new(user=admin_user, asset=asset)
    _put_local(media_root, key, first, 2 * HOUR)
    with commit():
        services.upload_finalize_by_key(key=key)  # what the S3 event does
    assert key in stored_files()
    with commit():
        services.asset_replace(asset=Asset.objects.get(pk=asset.pk), content=second)

    with commit():
        report = services.sweep()
    assert report.finalized == [key]
    assert key not in stored_files()
    current = Asset.objects.get(pk=asset.pk).content_hash
    assert current == hashlib.sha256(second).hexdigest()


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_make_one_asset_and_one_refusal(
    presets, admin_user, media_root, stored_files
):
    """Two sweeps racing over the same old uploads: one asset for the photo,
    one refusal for the text file, no error, nothing left in uploads/."""
    from tests.support import race

    photo = presign.upload_key_new(user=admin_user)
    text = presign.upload_key_new(user=admin_user)
    _put_local(media_root, photo, PHOTO.read_bytes(), 2 * HOUR)
    _put_local(media_root, text, b"no image", 2 * HOUR)

    assert race(2, services.sweep) == []

    assert list(Asset.objects.values_list("upload_key", flat=True)) == [photo]
    assert list(UploadRefusal.objects.values_list("key", flat=True)) == [text]
    assert [k for k in stored_files() if k.startswith("uploads/")] == []
