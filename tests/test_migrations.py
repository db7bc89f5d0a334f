"""The migrations are the schema: no model change is left without one."""

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_agree():
    """`makemigrations --check` finds nothing to write for any app."""
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as e:  # --check exits 1 when a migration is missing
        pytest.fail(f"makemigrations would write a migration:\n{out.getvalue()}")
        raise AssertionError from e
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_running_rebuild_and_bulk_jobs_carry_on_as_one_job_model(settings):
    """0010 copies each job with its id, cursor and counts, and a batch queued
    under an old task name before the upgrade runs on to the end after it.
    """
    from django.contrib.auth.models import User
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from tests.fixtures_library import add_asset
    from transcoder import queue
    from transcoder.models import Asset, Job, TaggedAsset

    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    }
    settings.MEDIAHUB_BULK_BATCH = 1
    user = User.objects.create_superuser("starter", password="pw")
    ids = sorted(str(add_asset(None, f"a{i}", seed=i).pk) for i in range(3))
    executor = MigrationExecutor(connection)
    before = [("transcoder", "0009_job_starter")]
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        old = MigrationExecutor(connection).loader.project_state(before).apps
        bulk = old.get_model("transcoder", "BulkJob").objects.create(
            action="tags_add",
            label="Add tags",
            params={"tags": ["kept"]},
            asset_ids=ids,
            total_assets=3,
            done=1,
            cursor=ids[0],
            created_by_id=user.pk,
        )
        rebuild = old.get_model("transcoder", "RebuildJob").objects.create(
            label="Regenerate",
            preset_ids=[7],
            asset_ids=None,
            force=True,
            total_assets=3,
            total_renditions=57,
            done=2,
            cursor=ids[1],
        )
    finally:
        MigrationExecutor(connection).migrate(latest)
    jobs = {str(j.pk): j for j in Job.objects.all()}
    moved = jobs[str(bulk.pk)]
    assert (moved.action, moved.params, moved.asset_ids) == (
        "tags_add",
        {"tags": ["kept"]},
        ids,
    )
    assert (moved.cursor, moved.done, moved.created_by_id) == (ids[0], 1, user.pk)
    assert moved.created_at == bulk.created_at
    rebuilt = jobs[str(rebuild.pk)]
    assert (rebuilt.action, rebuilt.params) == (
        "rebuild",
        {"preset_ids": [7], "force": True},
    )
    assert (rebuilt.asset_ids, rebuilt.cursor, rebuilt.done) == (None, ids[1], 2)
    assert rebuilt.total_renditions == 57 and rebuilt.finished_at is None
    # The batch queued before the upgrade, under its old name, carries on.
    queue.task("bulk_batch").enqueue(str(bulk.pk), ids[0])
    moved.refresh_from_db()
    assert moved.finished_at is not None and moved.done == 3
    tagged = TaggedAsset.objects.filter(tag__name="kept")
    assert sorted(str(t.content_object.pk) for t in tagged) == ids[1:]
    assert Asset.objects.count() == 3
