"""Jobs: one action over many assets, worked through bounded batches.

A preset save or "Regenerate renditions" (the ``rebuild`` action), and an
admin bulk action ("Add tags…", "Remove tags…", "Delete") over a selection - up
to "select all N across pages" - each store ONE Job and queue ONE task; the
request does no per-asset work. Each task run handles a bounded batch of assets
after the job's cursor, advances the cursor with a compare-and-set and queues
the next run. A run delivered twice (Lambda's at-least-once delivery) finds the
cursor moved and stops, so every batch is done once.

An action is one of two kinds (``job_register``):

- a **bulk** action acts as the job's starter, asked of the policy again at
  every batch, so a starter who lost a collection, or was deactivated or
  deleted, changes nothing more. Its batch runs in the transaction that moves
  the cursor: the batch's changes and the cursor commit together.
- a **worker** action (a rebuild) acts as ``permissions.WORKER``. It builds one
  asset at a time outside any transaction (a build takes seconds and writes to
  S3), stops when its time is up, and moves the cursor after the work: a run
  cut short is delivered again and builds the same renditions again, which
  rebuilds nothing that is ready.
"""

import contextlib
import logging
import time
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from transcoder import permissions, queue
from transcoder.conf import setting
from transcoder.models import Asset, Job, Preset

logger = logging.getLogger(__name__)


class JobActionError(ValueError):
    """An unknown job action, or parameters it cannot take."""


@dataclass(frozen=True)
class _Action:
    handler: object
    # The policy action each batch needs of whom it acts as.
    needs: str
    # True: acts as the worker, one asset at a time (see the module docstring).
    worker: bool


_ACTIONS = {}


def job_register(action, handler, *, needs, worker=False):
    """Make ``action`` runnable as a job.

    A bulk action's ``handler(asset_ids, params)`` gets each batch's assets
    that the starter may still ``needs`` at that moment. A worker action's
    ``handler(asset_id, params, build)`` gets one asset at a time, with the
    ``build`` the task passed to ``job_step``.
    """
    _ACTIONS[action] = _Action(handler=handler, needs=needs, worker=worker)


def _tags_add(asset_ids, params):
    from transcoder.services.library.tags import tags_add

    tags_add(asset_ids=asset_ids, names=params["tags"])


def _tags_remove(asset_ids, params):
    from transcoder.services.library.tags import tags_remove

    tags_remove(asset_ids=asset_ids, names=params["tags"])


def _delete(asset_ids, params):
    """Move a batch to the Trash, as deleted by the job's starter (``params["by"]``)."""
    from django.contrib.auth import get_user_model

    from transcoder.services.library.trash import asset_delete

    by = get_user_model().objects.filter(pk=params.get("by")).first()
    for asset in Asset.objects.filter(pk__in=asset_ids):
        asset_delete(asset=asset, by=by)


def _rebuild(asset_id, params, build):
    build(asset_id, params.get("preset_ids"), params.get("force", False))


job_register("tags_add", _tags_add, needs="change")
job_register("tags_remove", _tags_remove, needs="change")
job_register("delete", _delete, needs="delete")
job_register("rebuild", _rebuild, needs="change", worker=True)


def job_start(
    *,
    action,
    label,
    user,
    queryset=None,
    asset_ids=None,
    every_asset=False,
    params=None,
    total_renditions=0,
):
    """Store a job and queue its first batch once the transaction commits.

    The selection is ``queryset`` (the admin's permission-filtered one; only
    its ids are read, in one query) or ``asset_ids``; ``every_asset`` takes
    every asset within the action's reach instead, read batch by batch.
    ``user`` starts it (None: the system). Returns the job, whose totals say
    how much was queued.
    """
    if action not in _ACTIONS:
        raise JobActionError(f"Unknown job action {action!r}.")
    if every_asset:
        ids, total = None, _reach(_ACTIONS[action], user).count()
    else:
        if queryset is not None:
            asset_ids = queryset.order_by().values_list("pk", flat=True)
        ids = sorted({str(pk) for pk in asset_ids or ()})
        total = len(ids)
    job = Job.objects.create(
        action=action,
        label=label,
        params=params or {},
        asset_ids=ids,
        total_assets=total,
        total_renditions=total_renditions * total,
        created_by=user,
        moved_at=timezone.now(),
        finished_at=timezone.now() if not total else None,
    )
    if total:
        _enqueue(job.pk, "")
    return job


def rebuild_start(*, label, preset_ids=None, asset_ids=None, force=False, user=None):
    """Start a rebuild of ``asset_ids`` (None: every asset) for ``preset_ids``.

    ``preset_ids`` None means every active preset. Nothing is queued when
    there is no active preset to build.
    """
    presets = Preset.objects.filter(active=True)
    if preset_ids is not None:
        presets = presets.filter(pk__in=preset_ids)
    specs_per_asset = sum(len(p.specs()) for p in presets)
    return job_start(
        action="rebuild",
        label=label,
        user=user,
        asset_ids=asset_ids if specs_per_asset else (),
        every_asset=asset_ids is None and bool(specs_per_asset),
        params={
            "preset_ids": list(preset_ids) if preset_ids is not None else None,
            "force": force,
        },
        total_renditions=specs_per_asset,
    )


def _enqueue(job_id, cursor):
    queue.enqueue_on_commit("job_batch", str(job_id), cursor)


def _reach(action, user):
    """The assets a batch may touch: the actor's, for the action's need."""
    return permissions.assets(
        permissions.WORKER if action.worker else user, action.needs
    )


def _next_ids(job, action, limit):
    """Return the next ``limit`` asset ids after the cursor, and those in reach.

    Assets deleted or out of reach since the job started are skipped; they
    still count as done.
    """
    reach = _reach(action, job.created_by)
    if job.asset_ids is not None:
        ids = [pk for pk in job.asset_ids if pk > job.cursor][:limit]
        found = reach.filter(pk__in=ids).values_list("pk", flat=True)
        return ids, {str(pk) for pk in found}
    queryset = reach.order_by("pk")
    if job.cursor:
        queryset = queryset.filter(pk__gt=job.cursor)
    ids = [str(pk) for pk in queryset.values_list("pk", flat=True)[:limit]]
    return ids, set(ids)


def job_step(*, job_id, cursor, build=None):
    """Run one bounded batch of a job from ``cursor``; queue the next one.

    ``build(asset_id, preset_ids, force)`` builds one asset's renditions (a
    rebuild's tool, passed by the task). A stale ``cursor`` (the batch was
    already done) does nothing. Returns the number of assets this run handled.
    """
    job = Job.objects.filter(pk=job_id).only("action").first()
    action = _ACTIONS.get(job.action) if job else None
    if job is None:
        return 0
    if action is None:
        Job.objects.filter(pk=job_id, finished_at=None).update(
            finished_at=timezone.now(), error=f"Unknown action {job.action!r}."
        )
        return 0
    # A bulk batch holds the job's row from the first read to the cursor move,
    # so a second delivery waits and then finds the cursor moved.
    atomic = contextlib.nullcontext() if action.worker else transaction.atomic()
    with atomic:
        jobs = Job.objects.filter(pk=job_id)
        job = (jobs if action.worker else jobs.select_for_update()).first()
        if job is None or job.finished_at is not None or job.cursor != cursor:
            return 0
        size = max(1, setting("REBUILD_BATCH" if action.worker else "BULK_BATCH"))
        ids, allowed = _next_ids(job, action, size)
        if not ids:
            Job.objects.filter(pk=job.pk, cursor=cursor).update(
                finished_at=timezone.now()
            )
            return 0
        if len(allowed) < len(ids):
            logger.info(
                "Job %s %s: %d of %d assets are gone or out of reach",
                job.action,
                job.pk,
                len(ids) - len(allowed),
                len(ids),
            )
        handled = _run(job, action, ids, allowed, build)
        # A job over every asset may have more after a full or cut-short batch.
        more = len(handled) < len(ids) or len(ids) == size
        if not _advance(job, cursor, handled, more=more):
            return 0
    logger.info(
        "Job %s %s: %d assets up to %s", job.action, job.pk, len(handled), handled[-1]
    )
    return len(handled)


def _run(job, action, ids, allowed, build):
    """Do a batch; return the ids handled, a prefix of ``ids``."""
    if not action.worker:
        action.handler(sorted(allowed), job.params)
        return ids
    deadline = time.monotonic() + setting("REBUILD_SECONDS")
    handled = []
    for asset_id in ids:
        if asset_id in allowed:
            action.handler(asset_id, job.params, build)
        handled.append(asset_id)
        # Show the asset done at once; a stale delivery moves nothing.
        Job.objects.filter(pk=job.pk, cursor=job.cursor).update(
            batch_done=len(handled), reached=asset_id, moved_at=timezone.now()
        )
        if time.monotonic() > deadline:
            break
    return handled


def _advance(job, cursor, handled, *, more):
    """Move the cursor past ``handled`` and queue the rest; False if beaten to it."""
    last = handled[-1]
    with transaction.atomic():
        moved = Job.objects.filter(pk=job.pk, cursor=cursor).update(
            cursor=last,
            done=job.done + len(handled),
            batch_done=0,
            reached=last,
            moved_at=timezone.now(),
        )
        if not moved:
            return False  # Another delivery of this batch got there first.
        if job.asset_ids is not None:
            more = last != job.asset_ids[-1]
        if more:
            _enqueue(job.pk, last)
        else:
            Job.objects.filter(pk=job.pk).update(finished_at=timezone.now())
    return True


def job_progress(*, job, visible=None):
    """Return a job's progress as a JSON-ready dict, one shape for every action.

    ``visible`` (the assets the reader may view), given for a job over every
    asset, narrows it to the reader's reach, in two counts whatever the
    library's size. A job over chosen assets keeps its totals: its starter
    chose them through the policy.
    """
    total = job.total_assets
    done = min(job.done + job.batch_done, total)
    renditions = job.total_renditions
    if visible is not None:
        per_asset = job.total_renditions // job.total_assets if job.total_assets else 0
        total = visible.count()
        reached = job.reached or job.cursor
        if job.finished_at is not None:
            done = total
        elif reached:
            done = visible.filter(pk__lte=reached).count()
        else:
            done = 0
        renditions = total * per_asset
    return {
        "id": str(job.pk),
        # Stored as the English msgid (gettext_noop where it is started), worded
        # in the reader's language here.
        "label": gettext(job.label) if job.label else "",
        "total_assets": total,
        "total_renditions": renditions,
        "done": done,
        "finished": job.finished_at is not None,
        "error": job.error,
    }


def jobs_requeue_stalled(*, older_than, now=None, limit=100):
    """Queue again the next batch of each job that stopped moving; return how many.

    A job unfinished and unmoved for ``older_than`` (a timedelta) lost its
    task: Lambda dropped it, or a worker died mid-run. Its batch is queued
    again from its cursor; if the old task does turn up, the compare-and-set
    lets only one of the two do the batch. At most ``limit`` jobs per call.
    """
    now = now or timezone.now()
    cutoff = now - older_than
    stalled = (
        Job.objects.filter(finished_at=None)
        .filter(Q(moved_at__lt=cutoff) | Q(moved_at=None, created_at__lt=cutoff))
        .order_by("created_at")
        .values_list("pk", "cursor")[:limit]
    )
    count = 0
    for pk, cursor in stalled:
        with transaction.atomic():
            # Stamped so the next sweep gives this batch its time again.
            if Job.objects.filter(pk=pk, cursor=cursor, finished_at=None).update(
                moved_at=now
            ):
                _enqueue(pk, cursor)
                count += 1
    if count:
        logger.warning("Queued again the batch of %d stalled job(s)", count)
    return count
