"""Bulk jobs: one action over many selected assets, worked in bounded batches."""

import uuid

from django.conf import settings
from django.db import models


class BulkJob(models.Model):
    """An admin bulk action (tags, delete, move…) run in the background.

    The selection is stored as sorted asset ids, taken once when the action is
    chosen (through the ModelAdmin's permission-filtered queryset). The task
    advances ``cursor`` with a compare-and-set, so a batch delivered twice is
    done once, and each action is itself idempotent.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    action = models.CharField(max_length=50)
    label = models.CharField(max_length=200)
    params = models.JSONField(default=dict, blank=True)
    asset_ids = models.JSONField(default=list)
    total_assets = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    cursor = models.CharField(max_length=36, blank=True)
    error = models.TextField(blank=True)
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
