"""The change log: every change to an asset, written with the change itself.

A service that changes assets calls ``changes_record`` inside its own
transaction, so a change and its row commit (or roll back) together. The row's
id is handed out under the library's write lock, held until the commit, so ids
commit in increasing order: a reader that has seen id N never meets a later
commit below N (``GET /api/changes/`` and the webhook dispatcher rely on it).

Once the rows commit, the webhook dispatcher is queued by name (only while
some endpoint is active). ``changes_batch`` makes one request's several writes
to an asset (an API ``PATCH`` of title, tags and collection) one change.
"""

import contextlib
import contextvars

from django.db import transaction
from django.utils import timezone

from transcoder import queue
from transcoder.models import Change, Event, WebhookEndpoint
from transcoder.services.duplicates import library_write_lock

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
