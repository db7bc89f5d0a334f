"""Rebuilds of many assets: one job, worked through a bounded batch per task run.

A preset save or a "Regenerate renditions" over many assets queues ONE task.
Each run builds at most MEDIAHUB_REBUILD_BATCH assets (or MEDIAHUB_REBUILD_SECONDS
of work) after the job's cursor, advances the cursor with a compare-and-set and
queues the next run. A run delivered twice (Lambda's at-least-once delivery)
finds the cursor moved and stops, so every batch is done once.
"""

import logging
import time

from django.db import transaction
from django.utils import timezone

from transcoder import permissions, queue
from transcoder.conf import setting
from transcoder.models import Asset, Preset, RebuildJob

logger = logging.getLogger(__name__)


def rebuild_start(*, label, preset_ids=None, asset_ids=None, force=False, user=None):
    """Create a rebuild job and queue its first batch once the transaction commits.

    ``preset_ids`` None means every active preset; ``asset_ids`` None means every
    asset. ``user`` started it (None: the system); only they are told its
    progress. Returns the job, whose totals say how much was queued.
    """
    presets = Preset.objects.filter(active=True)
    if preset_ids is not None:
        presets = presets.filter(pk__in=preset_ids)
    specs_per_asset = sum(len(p.specs()) for p in presets)
    if asset_ids is not None:
        asset_ids = sorted({str(pk) for pk in asset_ids})
        total = len(asset_ids)
    else:
        total = Asset.objects.count()
    job = RebuildJob.objects.create(
        label=label,
        preset_ids=list(preset_ids) if preset_ids is not None else None,
        asset_ids=asset_ids,
        force=force,
        created_by=user,
        total_assets=total,
        total_renditions=total * specs_per_asset,
        finished_at=timezone.now() if total == 0 or not specs_per_asset else None,
    )
    if job.finished_at is None:
        _enqueue(job.pk, "")
    return job


def _enqueue(job_id, cursor):
    queue.enqueue_on_commit("rebuild_batch", str(job_id), cursor)


def _reach():
    """The assets a rebuild batch may touch: the worker's (see permissions)."""
    return permissions.assets(permissions.WORKER, "change")


def rebuild_next_ids(*, job, limit):
    """Return the next ``limit`` asset ids of ``job`` after its cursor, in order."""
    if job.asset_ids is not None:
        ids = [pk for pk in job.asset_ids if pk > job.cursor][:limit]
        found = _reach().filter(pk__in=ids).values_list("pk", flat=True)
        existing = {str(pk) for pk in found}
        # Deleted assets are skipped; they still count as done.
        return ids, existing
    queryset = _reach().order_by("pk")
    if job.cursor:
        queryset = queryset.filter(pk__gt=job.cursor)
    ids = [str(pk) for pk in queryset.values_list("pk", flat=True)[:limit]]
    return ids, set(ids)


def rebuild_step(*, job_id, cursor, build):
    """Run one bounded batch of a job from ``cursor``; queue the next one.

    ``build(asset_id, preset_ids, force)`` builds one asset's renditions. A
    stale ``cursor`` (the batch was already done) does nothing. Returns the
    number of assets this run handled.
    """
    job = RebuildJob.objects.filter(pk=job_id).first()
    if job is None or job.finished_at is not None or job.cursor != cursor:
        return 0
    size = max(1, setting("REBUILD_BATCH"))
    deadline = time.monotonic() + setting("REBUILD_SECONDS")
    ids, existing = rebuild_next_ids(job=job, limit=size)
    handled = []
    for asset_id in ids:
        if asset_id in existing:
            build(asset_id, job.preset_ids, job.force)
        handled.append(asset_id)
        if time.monotonic() > deadline:
            break
    if not handled:
        RebuildJob.objects.filter(pk=job.pk, cursor=cursor).update(
            finished_at=timezone.now()
        )
        return 0
    last = handled[-1]
    with transaction.atomic():
        moved = RebuildJob.objects.filter(pk=job.pk, cursor=cursor).update(
            cursor=last, done=job.done + len(handled)
        )
        if not moved:
            return 0  # Another delivery of this batch got there first.
        more = len(ids) > len(handled) or len(ids) == size
        if more:
            _enqueue(job.pk, last)
        else:
            RebuildJob.objects.filter(pk=job.pk).update(finished_at=timezone.now())
    logger.info("Rebuild %s: %d assets up to %s", job.pk, len(handled), last)
    return len(handled)


def rebuild_progress(*, job, visible=None):
    """Return a job's progress as a JSON-ready dict.

    ``visible`` (the assets the reader may view; None: the whole library)
    narrows a job over every asset to the reader's reach, in two counts
    whatever the library's size. A job over chosen assets keeps its totals:
    its starter chose them through the policy.
    """
    total, done = job.total_assets, min(job.done, job.total_assets)
    renditions = job.total_renditions
    if visible is not None and job.asset_ids is None:
        per_asset = job.total_renditions // job.total_assets if job.total_assets else 0
        total = visible.count()
        if job.finished_at is not None:
            done = total
        elif job.cursor:
            done = visible.filter(pk__lte=job.cursor).count()
        else:
            done = 0
        renditions = total * per_asset
    return {
        "id": str(job.pk),
        "label": job.label,
        "total_assets": total,
        "total_renditions": renditions,
        "done": done,
        "finished": job.finished_at is not None,
    }
