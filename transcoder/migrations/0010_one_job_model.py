"""Rebuild jobs and bulk jobs become one Job model; running jobs carry on.

Every row is copied with its id, cursor, counts and dates, so a batch already
queued (under ``rebuild_batch`` or ``bulk_batch``, both still registered) finds
its job and cursor and continues where it stopped.
"""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

COMMON = (
    "id",
    "label",
    "asset_ids",
    "total_assets",
    "done",
    "cursor",
    "created_by_id",
    "created_at",
    "finished_at",
)


def merge(apps, schema_editor):
    Job = apps.get_model("transcoder", "Job")
    RebuildJob = apps.get_model("transcoder", "RebuildJob")
    BulkJob = apps.get_model("transcoder", "BulkJob")
    jobs = [
        Job(
            action="rebuild",
            params={"preset_ids": old.preset_ids, "force": old.force},
            total_renditions=old.total_renditions,
            **{name: getattr(old, name) for name in COMMON},
        )
        for old in RebuildJob.objects.all().iterator()
    ]
    jobs += [
        Job(
            action=old.action,
            params=old.params,
            error=old.error,
            **{name: getattr(old, name) for name in COMMON},
        )
        for old in BulkJob.objects.all().iterator()
    ]
    Job.objects.bulk_create(jobs, batch_size=500)
    # auto_now_add would have stamped the copies with today; keep the dates.
    for old in [*RebuildJob.objects.all(), *BulkJob.objects.all()]:
        Job.objects.filter(pk=old.pk).update(created_at=old.created_at)


def split(apps, schema_editor):
    Job = apps.get_model("transcoder", "Job")
    RebuildJob = apps.get_model("transcoder", "RebuildJob")
    BulkJob = apps.get_model("transcoder", "BulkJob")
    for job in Job.objects.all().iterator():
        common = {name: getattr(job, name) for name in COMMON}
        if job.action == "rebuild":
            RebuildJob.objects.create(
                preset_ids=job.params.get("preset_ids"),
                force=job.params.get("force", False),
                total_renditions=job.total_renditions,
                **common,
            )
        else:
            common["asset_ids"] = common["asset_ids"] or []
            BulkJob.objects.create(
                action=job.action, params=job.params, error=job.error, **common
            )


class Migration(migrations.Migration):
    dependencies = [
        ("transcoder", "0009_job_starter"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Job",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("action", models.CharField(max_length=50)),
                ("label", models.CharField(max_length=200)),
                ("params", models.JSONField(blank=True, default=dict)),
                ("asset_ids", models.JSONField(blank=True, null=True)),
                ("total_assets", models.PositiveIntegerField(default=0)),
                ("total_renditions", models.PositiveIntegerField(default=0)),
                ("done", models.PositiveIntegerField(default=0)),
                ("cursor", models.CharField(blank=True, max_length=36)),
                ("batch_done", models.PositiveIntegerField(default=0)),
                ("reached", models.CharField(blank=True, max_length=36)),
                ("error", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("moved_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"ordering": ["-created_at"]},
        ),
        migrations.RunPython(merge, split),
        migrations.DeleteModel(name="BulkJob"),
        migrations.DeleteModel(name="RebuildJob"),
    ]
