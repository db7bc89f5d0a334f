"""Rebuild jobs: many assets rebuilt in bounded batches."""

import uuid

from django.conf import settings
from django.db import models


class RebuildJob(models.Model):
    """A bounded rebuild of many assets, worked through a batch per task run.

    The task advances ``cursor`` (the last asset id done) with a compare-and-set,
    so a task delivered twice does a batch once; ``done`` counts the assets.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    label = models.CharField(max_length=200)
    preset_ids = models.JSONField(null=True, blank=True)
    # None: every asset. Otherwise the chosen asset ids, sorted.
    asset_ids = models.JSONField(null=True, blank=True)
    force = models.BooleanField(default=False)
    total_assets = models.PositiveIntegerField(default=0)
    total_renditions = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    cursor = models.CharField(max_length=36, blank=True)
    # Who started it: only they (or a superuser) are told its progress.
    # As on BulkJob; None for a job the system started.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.label
