"""Bulk actions over many assets: one job, worked through bounded batches.

Choosing "Add tags…", "Remove tags…", "Delete" (or another registered action)
on a selection - up to "select all N across pages" - stores the selected ids in
a BulkJob and queues ONE task; the request does no per-asset work. Each task run
handles at most MEDIAHUB_BULK_BATCH assets after the job's cursor, advances the
cursor with a compare-and-set and queues the next run, so a run delivered twice
does its batch once. Every action is idempotent on its own as well.

Other modules add actions with ``bulk_register`` (for example "move to
collection"); a handler is ``handler(asset_ids, params)``.
"""

import logging

from django.db import transaction
from django.utils import timezone

from transcoder import permissions, queue
from transcoder.conf import setting
from transcoder.models import Asset, BulkJob

logger = logging.getLogger(__name__)

_HANDLERS = {}
# The policy action each bulk action needs of the job's starter, at each batch.
_NEEDS = {}


class BulkActionError(ValueError):
    """An unknown bulk action, or parameters it cannot take."""


def bulk_register(action, handler, *, needs):
    """Make ``action`` runnable as a bulk job: ``handler(asset_ids, params)``.

    Each batch hands the handler only the assets the job's starter may still
    ``needs`` (a policy action) at that moment: a starter who lost a
    collection, or was deactivated or deleted, changes nothing more.
    """
    _HANDLERS[action] = handler
    _NEEDS[action] = needs


def _tags_add(asset_ids, params):
    from transcoder.services.tags import tags_add

    tags_add(asset_ids=asset_ids, names=params["tags"])


def _tags_remove(asset_ids, params):
    from transcoder.services.tags import tags_remove

    tags_remove(asset_ids=asset_ids, names=params["tags"])


def _delete(asset_ids, params):
    from transcoder.services.assets import asset_delete

    for asset in Asset.objects.filter(pk__in=asset_ids):
        asset_delete(asset=asset)


bulk_register("tags_add", _tags_add, needs="change")
bulk_register("tags_remove", _tags_remove, needs="change")
bulk_register("delete", _delete, needs="delete")


def bulk_start(*, action, label, user, queryset=None, asset_ids=None, params=None):
    """Store a selection and queue the first batch of ``action`` over it.

    The selection is ``queryset`` (the admin's permission-filtered one; only
    its ids are read, in one query) or ``asset_ids``. ``user`` starts the job
    and each batch acts as them (None: nobody, so it changes nothing).
    Returns the job.
    """
    if action not in _HANDLERS:
        raise BulkActionError(f"Unknown bulk action {action!r}.")
    if queryset is not None:
        asset_ids = queryset.order_by().values_list("pk", flat=True)
    ids = sorted({str(pk) for pk in asset_ids or ()})
    job = BulkJob.objects.create(
        action=action,
        label=label,
        params=params or {},
        asset_ids=ids,
        total_assets=len(ids),
        created_by=user,
        finished_at=None if ids else timezone.now(),
    )
    if ids:
        _enqueue(job.pk, "")
    return job


def _enqueue(job_id, cursor):
    queue.enqueue_on_commit("bulk_batch", str(job_id), cursor)


def bulk_step(*, job_id, cursor):
    """Run one bounded batch of a bulk job from ``cursor``; queue the next one.

    A stale ``cursor`` (the batch was already done) does nothing. Returns the
    number of assets this run handled.
    """
    job = BulkJob.objects.filter(pk=job_id).first()
    if job is None or job.finished_at is not None or job.cursor != cursor:
        return 0
    size = max(1, setting("BULK_BATCH"))
    ids = [pk for pk in job.asset_ids if pk > cursor][:size]
    if not ids:
        BulkJob.objects.filter(pk=job.pk, cursor=cursor).update(
            finished_at=timezone.now()
        )
        return 0
    handler = _HANDLERS.get(job.action)
    with transaction.atomic():
        moved = BulkJob.objects.filter(pk=job.pk, cursor=cursor).update(
            cursor=ids[-1], done=job.done + len(ids)
        )
        if not moved:
            return 0  # Another delivery of this batch got there first.
        if handler is None:
            BulkJob.objects.filter(pk=job.pk).update(
                finished_at=timezone.now(), error=f"Unknown action {job.action!r}."
            )
            return 0
        allowed = permissions.assets(job.created_by, _NEEDS[job.action])
        allowed = [
            str(pk) for pk in allowed.filter(pk__in=ids).values_list("pk", flat=True)
        ]
        if len(allowed) < len(ids):
            logger.warning(
                "Bulk %s %s: %d of %d assets are out of its starter's reach now",
                job.action,
                job.pk,
                len(ids) - len(allowed),
                len(ids),
            )
        handler(sorted(allowed), job.params)
        if len(ids) == size and ids[-1] != job.asset_ids[-1]:
            _enqueue(job.pk, ids[-1])
        else:
            BulkJob.objects.filter(pk=job.pk).update(finished_at=timezone.now())
    logger.info("Bulk %s %s: %d assets up to %s", job.action, job.pk, len(ids), ids[-1])
    return len(ids)


def bulk_progress(*, job):
    """Return a job's progress in the shape of a rebuild's (status endpoint)."""
    return {
        "id": str(job.pk),
        "label": job.label,
        "total_assets": job.total_assets,
        "total_renditions": 0,
        "done": min(job.done, job.total_assets),
        "finished": job.finished_at is not None,
        "error": job.error,
    }
