"""Jobs: one action over many assets, worked through in bounded batches."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    """A rebuild or a bulk action (tags, delete…) over many assets, in the background.

    ``asset_ids`` is the selection, sorted, taken once when the job starts
    (through the policy); None means every asset within the action's reach,
    read batch by batch. A task run advances ``cursor`` (the last asset id
    done) with a compare-and-set, so a run delivered twice does its batch
    once; ``done`` counts the assets handled.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # A name given to services.job_register: "rebuild", "tags_add", "delete"…
    action = models.CharField(max_length=50)
    label = models.CharField(max_length=200)
    # The action's parameters: tag names, or a rebuild's presets and force.
    params = models.JSONField(default=dict, blank=True)
    asset_ids = models.JSONField(null=True, blank=True)
    total_assets = models.PositiveIntegerField(default=0)
    total_renditions = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    cursor = models.CharField(max_length=36, blank=True)
    # Progress within the batch being worked, moved as each asset is done, so
    # a progress bar moves before the batch's cursor does: how many assets,
    # and the last one. For display only; ``cursor`` says what is done.
    batch_done = models.PositiveIntegerField(default=0)
    reached = models.CharField(max_length=36, blank=True)
    error = models.TextField(blank=True)
    # Who started it: only they (or a superuser) are told its progress, and a
    # bulk action's batches act as them. None for a job the system started.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When a run last moved it: a job unfinished and unmoved for long lost its
    # task (services.jobs_requeue_stalled queues its batch again).
    moved_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")

    def __str__(self):
        return self.label
