"""Preset saves and regenerations: one job, bounded batches, each done once."""

import pytest

from tests.images import make_image
from transcoder import services
from transcoder.models import Asset, Job, Preset, Rendition

pytestmark = pytest.mark.django_db


def _assets(n):
    return [
        services.asset_create(
            content=make_image("PNG", size=(40 + i, 30)), filename=f"{i}.png"
        )
        for i in range(n)
    ]


def test_preset_save_queues_one_task_not_one_per_asset(commit, db_backend, presets):
    """Saving a preset over many assets puts ONE task in the queue."""
    from django_tasks_db.models import DBTaskResult

    with commit():
        _assets(5)
    DBTaskResult.objects.all().delete()
    preset = Preset.objects.get(slug="card")
    preset.width = 120
    with commit():
        services.preset_save(preset=preset)

    tasks = list(DBTaskResult.objects.all())
    assert [t.task_path for t in tasks] == ["transcoder.tasks.job_batch"]
    job = preset.rebuild
    assert (job.total_assets, job.total_renditions, job.done) == (5, 5, 0)


@pytest.mark.parametrize("batch", [1, 2, 3, 20])
def test_rebuild_goes_through_every_asset_in_bounded_batches(
    commit, settings, presets, batch
):
    """Each run builds at most MEDIAHUB_REBUILD_BATCH assets, then queues the rest."""
    from django.tasks.signals import task_enqueued

    with commit():
        assets = _assets(5)
    settings.MEDIAHUB_REBUILD_BATCH = batch
    runs = []

    def count(sender, task_result, **kwargs):
        if task_result.task.name == "job_batch":
            runs.append(task_result.args[1])

    task_enqueued.connect(count)
    try:
        preset = Preset.objects.get(slug="thumb")
        preset.height = 50
        with commit():
            services.preset_save(preset=preset)
    finally:
        task_enqueued.disconnect(count)
    job = Job.objects.get(pk=preset.rebuild.pk)
    assert job.finished_at is not None and job.done == 5
    # ceil(5 / batch) runs with work, plus one that finds nothing left when the
    # last batch was full.
    assert len(runs) == -(-5 // batch) + (5 % batch == 0)
    for asset in assets:
        current = Rendition.objects.filter(
            asset=asset, preset=preset, superseded_at__isnull=True
        )
        assert {r.spec_height for r in current} == {50}


def test_a_batch_delivered_twice_is_done_once(db_backend, presets):
    """A repeated delivery with a stale cursor changes nothing."""
    _assets(3)
    job = services.rebuild_start(label="test", force=True)
    built = []

    def build(asset_id, preset_ids, force):
        built.append(asset_id)

    assert services.job_step(job_id=job.pk, cursor="", build=build) == 3
    assert services.job_step(job_id=job.pk, cursor="", build=build) == 0
    job.refresh_from_db()
    assert job.done == 3 and len(built) == 3
    assert built == sorted(built)


def test_deleted_assets_are_skipped_but_counted(db_backend, presets):
    """An asset deleted while its regenerate waits is skipped, and the job ends."""
    assets = _assets(3)
    job = services.rebuild_start(
        label="test", asset_ids=[a.pk for a in assets], force=True
    )
    services.asset_delete(asset=assets[1])
    built = []
    services.job_step(job_id=job.pk, cursor="", build=lambda a, p, f: built.append(a))
    job.refresh_from_db()
    assert sorted(built) == sorted(str(a.pk) for a in (assets[0], assets[2]))
    assert job.done == 3


def test_saving_without_changing_the_output_queues_nothing(db_backend, presets):
    """Renaming a preset changes no rendition, so nothing is rebuilt."""
    preset = Preset.objects.get(slug="card")
    preset.name = "Card, renamed"
    services.preset_save(preset=preset)
    assert preset.rebuild is None


def test_lambda_backend_off_lambda_runs_the_batches_inline(commit, settings, presets):
    """LambdaBackend (immediate off Lambda) goes through every batch too."""
    settings.TASKS = {
        "default": {"BACKEND": "transcoder.aws.task_backends.LambdaBackend"}
    }
    settings.MEDIAHUB_REBUILD_BATCH = 2
    with commit():
        _assets(3)
    preset = Preset.objects.get(slug="card")
    preset.height = 100
    with commit():
        services.preset_save(preset=preset)
    job = Job.objects.get(pk=preset.rebuild.pk)
    assert job.done == 3 and job.finished_at is not None
    assert Asset.objects.count() == 3
    heights = Rendition.objects.filter(
        preset=preset, superseded_at__isnull=True
    ).values_list("spec_height", flat=True)
    assert set(heights) == {100}


def test_a_job_whose_task_was_lost_is_queued_again_from_its_cursor(
    commit, settings, presets
):
    """A job unmoved past the deadline gets its batch queued again, once; the
    chain then runs to the end, and a job still moving is left alone.
    """
    from datetime import timedelta

    from django.utils import timezone

    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    with commit():
        _assets(3)
    with commit():
        lost = services.rebuild_start(label="lost", force=True)
        fresh = services.rebuild_start(label="fresh", force=True)
    later = timezone.now() + timedelta(minutes=30)
    Job.objects.filter(pk=fresh.pk).update(moved_at=later - timedelta(minutes=1))
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    }
    with commit():
        count = services.jobs_requeue_stalled(
            older_than=timedelta(minutes=15), now=later
        )
    assert count == 1
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.finished_at is not None and lost.done == 3
    assert fresh.finished_at is None and fresh.done == 0
    # One finished, the other still moving: a second sweep queues nothing.
    with commit():
        assert (
            services.jobs_requeue_stalled(older_than=timedelta(minutes=15), now=later)
            == 0
        )
