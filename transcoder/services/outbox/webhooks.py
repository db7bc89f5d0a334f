"""Webhooks: the change log turned into signed POSTs, retried with backoff.

1. A change commits with its ``Change`` row (services.outbox.changes), which queues
   ``webhooks_dispatch`` by name.
2. ``webhooks_dispatch`` reads the log after its stored cursor and makes one
   ``WebhookDelivery`` per subscribed endpoint whose creator may view the
   asset's collection (asked of the policy), payload included; the rows and
   the cursor commit together, so each change is dispatched once. Each
   delivery is queued (``webhook_deliver``).
3. ``webhook_deliver`` asks the policy again, POSTs the signed payload and
   records the answer. A failure is retried after
   MEDIAHUB_WEBHOOK_RETRY_SECONDS, four times longer each time, up to
   MEDIAHUB_WEBHOOK_MAX_ATTEMPTS, then the delivery is failed. Retries are
   queued to run later where the task backend can (the database worker), and
   ``webhooks_due`` (scheduled on Lambda) sends whatever is due: the same
   code path locally and on Lambda.
"""

import json
import logging
from datetime import timedelta
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from transcoder import permissions, queue
from transcoder.conf import setting
from transcoder.models import (
    Asset,
    Change,
    DeliveryStatus,
    Event,
    Rendition,
    RenditionStatus,
    ScheduledCursor,
    WebhookDelivery,
    WebhookEndpoint,
)
from transcoder.services.access.tokens import token_creator_usable
from transcoder.services.outbox.changes import changes_head
from transcoder.services.outbox.webhook_http import (
    HEADER,
    post,
    signature_header,
    url_check,
)

logger = logging.getLogger(__name__)

CURSOR = "webhooks"
OPEN = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)


class WebhookError(ValueError):
    """An endpoint or a resend that cannot be saved or done."""


def webhook_url_check(url):
    """Raise WebhookUrlError for a URL webhooks may not be sent to."""
    url_check(url, allow_private=setting("WEBHOOK_ALLOW_PRIVATE"))


def webhook_endpoint_save(*, endpoint, user, collections=None):
    """Check and save an endpoint; a new one is ``user``'s and hears only of
    changes from now on. ``collections`` (None: keep) must be ones ``user``
    may view."""
    webhook_url_check(endpoint.url)
    unknown = sorted(set(endpoint.events) - set(Event.values))
    if unknown or not endpoint.events:
        raise WebhookError(f"Choose events among {', '.join(Event.values)}.")
    if collections is not None:
        creator = endpoint.created_by if endpoint.pk else user
        viewable = permissions.collections(creator, "view")
        if viewable.filter(pk__in=[c.pk for c in collections]).count() != len(
            set(c.pk for c in collections)
        ):
            raise WebhookError("Choose collections you may view.")
    with transaction.atomic():
        if endpoint.pk is None:
            endpoint.created_by = user
            endpoint.after_change = changes_head()
            # The dispatcher starts at the present, not at the log's beginning.
            ScheduledCursor.objects.get_or_create(
                name=CURSOR, defaults={"marker": str(endpoint.after_change)}
            )
        endpoint.save()
        if collections is not None:
            endpoint.collections.set(collections)
    return endpoint


def _reach(endpoint):
    """Return the ids of the collections whose events ``endpoint`` may hear."""
    creator = endpoint.created_by
    if creator is None or not token_creator_usable(creator):
        return set()
    found = permissions.collections(creator, "view")
    chosen = [c.path for c in endpoint.collections.all()]
    if chosen:
        found = found.filter(reduce(or_, (Q(path__startswith=p) for p in chosen)))
    return set(found.values_list("pk", flat=True))


def webhooks_dispatch(*, limit=None):
    """Turn the next changes into deliveries; return how many were made."""
    limit = limit or setting("WEBHOOK_DISPATCH_BATCH")
    made = []
    with transaction.atomic():
        cursor, created = ScheduledCursor.objects.select_for_update().get_or_create(
            name=CURSOR, defaults={"marker": str(changes_head())}
        )
        if created:
            return 0
        after = int(cursor.marker or 0)
        rows = list(Change.objects.filter(id__gt=after).order_by("id")[:limit])
        if not rows:
            return 0
        endpoints = [
            (e, _reach(e))
            for e in WebhookEndpoint.objects.filter(active=True)
            .select_related("created_by")
            .prefetch_related("collections")
        ]
        payloads = {}
        for row in rows:
            for endpoint, reach in endpoints:
                event = _event_for(row, endpoint, reach)
                if event is None:
                    continue
                key = (row.id, event)
                if key not in payloads:
                    payloads[key] = _payload(row, event)
                made.append(
                    WebhookDelivery(
                        endpoint=endpoint,
                        change_id=row.id,
                        event=event,
                        collection_id=(
                            row.collection_id
                            if row.collection_id in reach
                            else row.previous_collection_id
                        ),
                        payload=payloads[key],
                    )
                )
        made = WebhookDelivery.objects.bulk_create(made)
        cursor.marker = str(rows[-1].id)
        cursor.save(update_fields=["marker", "updated_at"])
        for delivery in made:
            queue.enqueue_on_commit("webhook_deliver", delivery.pk)
        if len(rows) == limit:
            queue.enqueue_on_commit("webhooks_dispatch")
    return len(made)


def _event_for(row, endpoint, reach):
    """Return the event ``endpoint`` hears of ``row`` (None: nothing)."""
    if row.id <= endpoint.after_change:
        return None
    event = row.event
    if row.collection_id not in reach:
        if row.previous_collection_id not in reach:
            return None
        event = Event.DELETED  # moved out of the endpoint's view
    return event if event in endpoint.events else None


def _payload(row, event):
    data = dict(row.data) if row.event == Event.UPLOAD_MODERATED else {}
    if row.asset_id is not None:
        data.update(
            asset_id=str(row.asset_id),
            collection=row.collection_id,
            moved_out=event != row.event,
            asset=None if event == Event.DELETED else _asset_data(row.asset_id),
        )
    return {
        "id": f"evt_{row.id}",
        "type": event,
        "created": int(row.at.timestamp()),
        "data": data,
    }


def _asset_data(asset_id):
    """Return a short description of an asset as it is now (None if gone)."""
    asset = Asset.objects.filter(pk=asset_id).first()
    if asset is None:
        return None
    ready = (
        Rendition.objects.filter(
            asset=asset,
            status=RenditionStatus.READY,
            superseded_at__isnull=True,
            preset__active=True,
        )
        .values_list("preset__slug", flat=True)
        .distinct()
    )
    return {
        "id": str(asset.pk),
        "title": asset.title,
        "alt": "" if asset.decorative else asset.alt_text,
        "decorative": asset.decorative,
        "tags": sorted(asset.tags.names()),
        "width": asset.width,
        "height": asset.height,
        "format": asset.format,
        "collection": asset.collection_id,
        "status": asset.rendition_state,
        "created_at": asset.created_at.isoformat(),
        "updated_at": asset.updated_at.isoformat(),
        "api": reverse("transcoder:api-asset-detail", args=[asset.pk]),
        "embed": {
            slug: reverse("transcoder:embed", args=[asset.pk, slug])
            for slug in sorted(ready)
        },
    }


def webhook_backoff(attempts):
    """Return how long to wait after ``attempts`` failed attempts."""
    return timedelta(seconds=setting("WEBHOOK_RETRY_SECONDS") * 4 ** (attempts - 1))


def _may_deliver(delivery):
    """Ask the policy again: is the endpoint's creator still to hear this?"""
    endpoint = delivery.endpoint
    if not endpoint.active:
        return False
    if delivery.collection_id is None:
        return endpoint.created_by is not None and endpoint.created_by.is_superuser
    return delivery.collection_id in _reach(endpoint)


def webhook_body(delivery):
    """Return the exact bytes sent (and signed) for ``delivery``."""
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()


def webhook_deliver(*, delivery_id, now=None):
    """Make one attempt at ``delivery_id`` if it is due; return the delivery."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint__created_by")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status not in OPEN:
            return delivery
        if delivery.next_attempt_at and delivery.next_attempt_at > now:
            return delivery  # an early copy of a retry: its time will come
        if not _may_deliver(delivery):
            delivery.status = DeliveryStatus.CANCELLED
            delivery.next_attempt_at = None
            delivery.last_error = (
                "Not sent: the endpoint is off, or its creator may no longer "
                "view this image's collection."
            )
            delivery.save()
            return delivery
        # Claimed until the backoff is over: a copy of this task run meanwhile
        # finds it not due, and a crash mid-send is retried then.
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.next_attempt_at = now + webhook_backoff(delivery.attempts)
        delivery.status = DeliveryStatus.RETRYING
        delivery.save()
    _attempt(delivery, now)
    return delivery


def _attempt(delivery, now):
    body = webhook_body(delivery)
    endpoint = delivery.endpoint
    answer = post(
        endpoint.url,
        body,
        {
            "Content-Type": "application/json",
            "User-Agent": "mediahub-webhooks/1",
            HEADER: signature_header(endpoint.secret, body, now.timestamp()),
            "Mediahub-Event": delivery.event,
            "Mediahub-Delivery": str(delivery.pk),
        },
        timeout=setting("WEBHOOK_TIMEOUT"),
        allow_private=setting("WEBHOOK_ALLOW_PRIVATE"),
    )
    delivery.last_status_code = answer.status
    delivery.response_ms = answer.ms
    delivery.response_excerpt = answer.excerpt
    delivery.last_error = answer.error or (
        "" if answer.status and 200 <= answer.status < 300 else f"HTTP {answer.status}"
    )
    if answer.status is not None and 200 <= answer.status < 300:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.next_attempt_at = None
    elif delivery.attempts >= setting("WEBHOOK_MAX_ATTEMPTS"):
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        logger.warning(
            "Webhook delivery %s to %s failed after %d attempts: %s",
            delivery.pk,
            endpoint.url,
            delivery.attempts,
            delivery.last_error,
        )
    else:
        queue.enqueue_later("webhook_deliver", delivery.next_attempt_at, delivery.pk)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=delivery.status,
        next_attempt_at=delivery.next_attempt_at,
        last_status_code=delivery.last_status_code,
        response_ms=delivery.response_ms,
        response_excerpt=delivery.response_excerpt,
        last_error=delivery.last_error[:500],
    )


def webhooks_due(*, now=None, limit=100):
    """Dispatch what is waiting, then attempt the deliveries that are due.

    Scheduled (every minute on Lambda); it also picks up a delivery whose
    task was lost. Returns the deliveries attempted.
    """
    now = now or timezone.now()
    webhooks_dispatch()
    lost = Q(next_attempt_at__isnull=True, created_at__lte=now - timedelta(minutes=1))
    due = (
        WebhookDelivery.objects.filter(status__in=OPEN)
        .filter(Q(next_attempt_at__lte=now) | lost)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return [webhook_deliver(delivery_id=pk, now=now) for pk in list(due)]


def webhook_resend(*, delivery, user):
    """Send ``delivery``'s payload again, as a new delivery; return it.

    Only for who may see the delivery (``permissions.webhook_deliveries``);
    the endpoint's creator is asked again when it is sent.
    """
    if not permissions.webhook_deliveries(user).filter(pk=delivery.pk).exists():
        raise WebhookError("There is no webhook delivery of yours with this id.")
    with transaction.atomic():
        again = WebhookDelivery.objects.create(
            endpoint=delivery.endpoint,
            change_id=delivery.change_id,
            event=delivery.event,
            collection_id=delivery.collection_id,
            payload=delivery.payload,
            resent_from=delivery,
        )
        queue.enqueue_on_commit("webhook_deliver", again.pk)
    return again


def webhook_event_names():
    """Return the events an endpoint may subscribe to, with their labels."""
    return Event.choices
