"""The change log: every change to an asset, written with the change itself.

A service that changes assets calls ``changes_record`` inside its own
transaction, so a change and its row commit (or roll back) together. The row's
id is handed out under the library's write lock, held until the commit, so ids
commit in increasing order: a reader that has seen id N never meets a later
commit below N (``GET /api/changes/`` and the webhook dispatcher rely on it).
Each such service takes that lock first, before it locks or writes any row:
taken after a row lock it could deadlock with a delete, which takes the lock
and then the row (PostgreSQL; SQLite's IMMEDIATE transactions serialise
every writer anyway).

Once the rows commit, the webhook dispatcher is queued by name (only while
some endpoint is active). ``changes_batch`` makes one request's several writes
to an asset (an API ``PATCH`` of title, tags and collection) one change.
"""

import contextlib
import contextvars
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from transcoder import queue
from transcoder.conf import setting
from transcoder.models import (
    Change,
    DeliveryStatus,
    Event,
    ScheduledCursor,
    WebhookDelivery,
    WebhookEndpoint,
)
from transcoder.services.library.duplicates import library_write_lock

ASSET_EVENTS = tuple(e for e in Event.values if e.startswith("asset."))

# Inside ``changes_batch``: {(asset id, event): Change id} already written.
_batch = contextvars.ContextVar("mediahub_changes_batch", default=None)


@contextlib.contextmanager
def changes_batch():
    """Make the changes recorded in this block one per asset and event."""
    if _batch.get() is not None:
        yield
        return
    token = _batch.set({})
    try:
        yield
    finally:
        _batch.reset(token)


def changes_record(*, event, assets, actor=None, now=None):
    """Log ``event`` for each of ``assets``: ``(asset id, collection id)`` pairs,
    or ``(asset id, collection id, previous collection id)`` for a move.

    Call inside the transaction that makes the change. Return the rows written.
    """
    rows = [_row(event, item, actor, now) for item in assets]
    if not rows:
        return []
    seen = _batch.get()
    with transaction.atomic():
        if seen is not None:
            rows = _merged(rows, seen)
        if not rows:
            return []
        library_write_lock()
        written = Change.objects.bulk_create(rows)
        if seen is not None:
            for row in written:
                seen[(str(row.asset_id), row.event)] = row.pk
        _dispatch_after_commit()
    return written


def event_emit(*, event, data, collection_id=None, actor=None):
    """Log an event that is not an asset's (``upload.moderated``) for webhooks.

    ``data`` is the JSON the event carries; ``collection_id`` says whose it
    is (only endpoints whose creator may view there hear of it).
    """
    if event not in Event.values or event in ASSET_EVENTS:
        raise ValueError(f"{event!r} is not an event to emit; use {Event.values}.")
    with transaction.atomic():
        library_write_lock()
        row = Change.objects.create(
            event=event,
            data=data,
            collection_id=collection_id,
            actor_id=getattr(actor, "pk", None),
        )
        _dispatch_after_commit()
    return row


def _row(event, item, actor, now):
    asset_id, collection_id, *previous = item
    return Change(
        event=event,
        asset_id=asset_id,
        collection_id=collection_id,
        previous_collection_id=previous[0] if previous else None,
        actor_id=getattr(actor, "pk", None),
        at=now or timezone.now(),
    )


def _merged(rows, seen):
    """Drop rows already written in this batch; fold a move into its edit."""
    fresh = []
    for row in rows:
        earlier = seen.get((str(row.asset_id), row.event))
        if earlier is None:
            fresh.append(row)
        elif row.previous_collection_id is not None:
            found = Change.objects.filter(pk=earlier).first()
            if found is None:  # rolled back since: write it again
                fresh.append(row)
                continue
            found.previous_collection_id = (
                found.previous_collection_id or row.previous_collection_id
            )
            found.collection_id = row.collection_id
            found.save(update_fields=["collection_id", "previous_collection_id"])
        elif not Change.objects.filter(pk=earlier).exists():
            fresh.append(row)
    return fresh


def _dispatch_after_commit():
    """Queue the webhook dispatcher after the commit, if any endpoint listens.

    Without one nothing is queued (an edit then queues no work at all); the
    scheduled ``webhooks_due`` dispatches whatever a lost task left behind.
    """
    if WebhookEndpoint.objects.filter(active=True).exists():
        queue.enqueue_on_commit("webhooks_dispatch")


def changes_head():
    """Return the id of the last change (0: none yet)."""
    last = Change.objects.order_by("-id").values_list("id", flat=True).first()
    return last or 0


PRUNED = "changes-pruned"


def changes_pruned_through():
    """Return the id of the last change removed by ``changes_prune`` (0: none)."""
    found = ScheduledCursor.objects.filter(name=PRUNED)
    return int(found.values_list("marker", flat=True).first() or 0)


def changes_prune(*, now=None, batch=10_000):
    """Remove changes, and finished webhook deliveries, older than
    MEDIAHUB_CHANGES_DAYS, at most ``batch`` of each; return how many changes.

    The highest id removed is kept: a cursor behind it may have missed
    changes, so ``GET /api/changes/`` answers it 410 (list again).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=max(1, setting("CHANGES_DAYS")))
    ids = list(
        Change.objects.filter(at__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:batch]
    )
    with transaction.atomic():
        if ids:
            Change.objects.filter(id__in=ids).delete()
            marker, _ = ScheduledCursor.objects.select_for_update().get_or_create(
                name=PRUNED, defaults={"marker": "0"}
            )
            if ids[-1] > int(marker.marker or 0):
                marker.marker = str(ids[-1])
                marker.save(update_fields=["marker", "updated_at"])
        finished = WebhookDelivery.objects.filter(created_at__lt=cutoff).exclude(
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING]
        )
        old = list(finished.values_list("pk", flat=True)[:batch])
        WebhookDelivery.objects.filter(pk__in=old).delete()
    return len(ids)
