"""The embedded default's queue: django-tasks-db's DatabaseBackend and a real worker.

Run on SQLite by default and on PostgreSQL with DATABASE_URL set, as .ci/run does.
"""

import pytest
from django.core.management import call_command

from tests.worker_support import wait_for
from transcoder import services
from transcoder.models import Asset, Job, Preset, Rendition, RenditionStatus

pytestmark = pytest.mark.django_db(transaction=True)


def test_embedded_default_uses_the_database_backend():
    """Without MEDIAHUB_TASK_BACKEND the settings pick django-tasks-db's backend."""
    import importlib
    import os

    from mediahub import settings as project_settings

    old = os.environ.pop("MEDIAHUB_TASK_BACKEND", None)
    try:
        importlib.reload(project_settings)
        assert project_settings.TASKS["default"]["BACKEND"] == (
            "django_tasks_db.DatabaseBackend"
        )
        assert "django_tasks_db" in project_settings.INSTALLED_APPS
    finally:
        if old is not None:
            os.environ["MEDIAHUB_TASK_BACKEND"] = old


def test_upload_is_queued_not_built_in_the_request(db_backend, presets, jpeg):
    """With the database backend an upload makes its asset and one queued task only."""
    from django_tasks_db.models import DBTaskResult

    asset = services.asset_create(content=jpeg, filename="a.jpg")

    assert not Rendition.objects.filter(asset=asset).exists()
    task = DBTaskResult.objects.get()
    assert task.task_path == "transcoder.tasks.generate_renditions"
    assert task.args_kwargs["args"][0] == str(asset.pk)
    assert task.status == "READY"


def test_worker_batch_builds_what_was_queued(db_backend, presets, jpeg):
    """`db_worker --batch` runs the queued task in this database and builds all."""
    from django_tasks_db.models import DBTaskResult

    asset = services.asset_create(content=jpeg, filename="a.jpg")
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")

    rows = Rendition.objects.filter(asset=asset)
    assert sorted(rows.values_list("status", flat=True)) == [RenditionStatus.READY] * 3
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_a_real_worker_process_builds_uploads_and_preset_saves(
    db_worker, presets, jpeg
):
    """A separate `db_worker` process, started as `make run` does, does the work."""
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    wait_for(
        lambda: Rendition.objects.filter(asset=asset, status="ready").count() == 3,
        what=f"the renditions (worker log: {db_worker.log.name})",
    )
    preset = Preset.objects.get(slug="card")
    preset.width = 200
    services.preset_save(preset=preset)
    job = preset.rebuild
    wait_for(
        lambda: Job.objects.get(pk=job.pk).finished_at is not None,
        what="the rebuild job",
    )
    job.refresh_from_db()
    assert (job.total_assets, job.done, job.total_renditions) == (1, 1, 1)
    card = Rendition.objects.get(
        asset=asset, preset=preset, superseded_at__isnull=True, status="ready"
    )
    assert card.width == 200
    assert Asset.objects.count() == 1
