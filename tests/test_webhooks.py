"""Webhooks: signed, once per change, within reach, retried with backoff."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.fixtures_library import pattern
from tests.support import logged_in
from tests.webhook_support import endpoint_for
from transcoder import services
from transcoder.models import (
    Asset,
    DeliveryStatus,
    Event,
    GroupCollectionPermission,
    WebhookDelivery,
)

pytestmark = pytest.mark.django_db


def _asset(pk):
    return Asset.objects.get(pk=pk)


def test_each_change_is_one_signed_event(hooks_world, receiver, commit):
    """Upload, ready, edit (one PATCH-like batch), replace and delete each reach
    the receiver once, signed, naming the asset."""
    endpoint_for(receiver, hooks_world["editor"])
    with commit():
        asset = services.asset_create(
            content=pattern(21), title="new one", collection=hooks_world["A"]
        )
    assert receiver.types == ["asset.created", "asset.ready"]
    with commit(), services.changes_batch():
        services.asset_update(
            asset=_asset(asset.pk), title="t2", alt_text="", focal=None
        )
        services.tags_set(asset=_asset(asset.pk), names=["x", "y"])
    with commit():
        services.asset_replace(asset=_asset(asset.pk), content=pattern(22))
    with commit():
        services.asset_delete(asset=_asset(asset.pk))
    assert receiver.types == [
        "asset.created",
        "asset.ready",
        "asset.updated",
        "asset.replaced",
        "asset.ready",
        "asset.deleted",
    ]
    assert all(r["verified"] for r in receiver.received)
    assert {r["payload"]["data"]["asset_id"] for r in receiver.received} == {
        str(asset.pk)
    }
    assert [r["event"] for r in receiver.received] == receiver.types
    updated = receiver.received[2]["payload"]["data"]["asset"]
    assert updated["title"] == "t2" and updated["tags"] == ["x", "y"]
    ready = receiver.received[1]["payload"]["data"]["asset"]
    assert set(ready["embed"]) == {"thumb", "card"}
    assert ready["embed"]["card"] == f"/e/{asset.pk}/card/"
    assert receiver.received[-1]["payload"]["data"]["asset"] is None
    ids = [r["payload"]["id"] for r in receiver.received]
    assert len(set(ids)) == len(ids)
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {
        DeliveryStatus.DELIVERED
    }


def test_only_subscribed_events_and_only_after_subscribing(
    hooks_world, receiver, commit
):
    """Edits made before the endpoint existed are not sent; an endpoint hears
    only the events it chose."""
    with commit():
        services.asset_update(
            asset=_asset(hooks_world["asset_a"].pk),
            title="before",
            alt_text="",
            focal=None,
        )
    endpoint_for(receiver, hooks_world["editor"], events=[Event.DELETED])
    with commit():
        services.asset_update(
            asset=_asset(hooks_world["asset_a"].pk),
            title="after",
            alt_text="",
            focal=None,
        )
        services.asset_delete(asset=_asset(hooks_world["asset_a"].pk))
    assert receiver.types == ["asset.deleted"]


def test_reach_of_the_endpoint_creator(hooks_world, receiver, commit):
    """An editor of A hears nothing of B; a move from A to B is, for them, a
    deletion, while the superuser's endpoint hears an edit."""
    endpoint_for(receiver, hooks_world["editor"])
    with commit():
        services.asset_update(
            asset=_asset(hooks_world["asset_b"].pk), title="b!", alt_text="", focal=None
        )
    assert receiver.received == []
    with commit():
        services.assets_move(
            asset_ids=[hooks_world["asset_a"].pk], collection=hooks_world["B"]
        )
    assert receiver.types == ["asset.deleted"]
    data = receiver.received[0]["payload"]["data"]
    assert data["moved_out"] is True and data["asset"] is None
    boss = WebhookDelivery.objects.filter(endpoint__created_by=hooks_world["boss"])
    assert not boss.exists()


def test_superuser_hears_a_move_as_an_edit(hooks_world, receiver, commit):
    endpoint_for(receiver, hooks_world["boss"])
    with commit():
        services.assets_move(
            asset_ids=[hooks_world["asset_a"].pk], collection=hooks_world["B"]
        )
    assert receiver.types == ["asset.updated"]
    assert receiver.received[0]["payload"]["data"]["asset"]["collection"] == (
        hooks_world["B"].pk
    )


def test_endpoint_limited_to_chosen_collections(hooks_world, receiver, commit):
    endpoint_for(receiver, hooks_world["boss"], collections=[hooks_world["B"]])
    with commit():
        for key in ("asset_a", "asset_b"):
            services.asset_update(
                asset=_asset(hooks_world[key].pk), title="x", alt_text="", focal=None
            )
    assert [r["payload"]["data"]["asset_id"] for r in receiver.received] == [
        str(hooks_world["asset_b"].pk)
    ]


def test_collections_beyond_the_creator_reach_are_refused(hooks_world, receiver):
    with pytest.raises(services.WebhookError, match="collections you may view"):
        endpoint_for(receiver, hooks_world["editor"], collections=[hooks_world["B"]])


def _edit(hooks_world, commit, title="edited"):
    with commit():
        services.asset_update(
            asset=_asset(hooks_world["asset_a"].pk),
            title=title,
            alt_text="",
            focal=None,
        )
    return WebhookDelivery.objects.order_by("-id").first()


def test_retries_back_off_then_fail(hooks_world, receiver, commit, settings):
    """A receiver answering 500 is tried again after 30 s, 2, 8, 32 minutes...
    (an injected clock: nothing is sent before its time), then failed."""
    settings.MEDIAHUB_WEBHOOK_MAX_ATTEMPTS = 4
    receiver.statuses = [500] * 10
    endpoint_for(receiver, hooks_world["editor"], events=[Event.UPDATED])
    delivery = _edit(hooks_world, commit)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        "retrying",
        1,
        500,
    )
    waits = []
    while delivery.status == "retrying":
        due = delivery.next_attempt_at
        waits.append((due - delivery.last_attempt_at).total_seconds())
        sent = len(receiver.received)
        services.webhooks_due(now=due - timedelta(seconds=1))
        assert len(receiver.received) == sent, "sent before its time"
        services.webhooks_due(now=due)
        assert len(receiver.received) == sent + 1
        delivery.refresh_from_db()
    assert waits == [30, 120, 480]
    assert (delivery.status, delivery.attempts) == ("failed", 4)
    assert delivery.next_attempt_at is None and delivery.last_error == "HTTP 500"
    services.webhooks_due(now=timezone.now() + timedelta(days=30))
    assert len(receiver.received) == 4
    # Every attempt sent the same body, signed afresh.
    assert len({r["body"] for r in receiver.received}) == 1
    assert all(r["verified"] for r in receiver.received)


def test_a_retry_that_succeeds_is_delivered(hooks_world, receiver, commit):
    receiver.statuses = [503]
    endpoint_for(receiver, hooks_world["editor"], events=[Event.UPDATED])
    delivery = _edit(hooks_world, commit)
    delivery.refresh_from_db()
    services.webhooks_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        "delivered",
        2,
        200,
    )
    assert delivery.response_excerpt == "ok" and delivery.response_ms is not None


def test_unreachable_receiver_is_an_error_not_a_crash(hooks_world, receiver, commit):
    endpoint = endpoint_for(receiver, hooks_world["editor"], events=[Event.UPDATED])
    endpoint.url = "http://127.0.0.1:9/nothing-listens"
    endpoint.save()
    delivery = _edit(hooks_world, commit)
    delivery.refresh_from_db()
    assert delivery.status == "retrying" and delivery.last_status_code is None
    assert "ConnectionRefused" in delivery.last_error


def test_policy_asked_again_at_delivery(hooks_world, receiver, commit):
    """An endpoint whose creator lost the collection since sends nothing more."""
    receiver.statuses = [500]
    endpoint_for(receiver, hooks_world["editor"], events=[Event.UPDATED])
    delivery = _edit(hooks_world, commit)
    GroupCollectionPermission.objects.filter(collection=hooks_world["A"]).delete()
    delivery.refresh_from_db()
    services.webhooks_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == "cancelled" and len(receiver.received) == 1


def test_resend_by_the_owner(hooks_world, receiver, commit):
    """A resend is a new delivery of the same event (same id, so a receiver
    can tell); only who manages the endpoint may resend."""
    endpoint_for(receiver, hooks_world["editor"], events=[Event.UPDATED])
    delivery = _edit(hooks_world, commit)
    with pytest.raises(services.WebhookError, match="no webhook delivery of yours"):
        services.webhook_resend(delivery=delivery, user=hooks_world["viewer"])
    with commit():
        again = services.webhook_resend(delivery=delivery, user=hooks_world["editor"])
    again.refresh_from_db()
    assert again.status == "delivered" and again.resent_from == delivery
    first, second = receiver.received
    assert first["payload"]["id"] == second["payload"]["id"]


def test_resend_from_the_admin(hooks_world, receiver, commit):
    endpoint_for(receiver, hooks_world["boss"], events=[Event.UPDATED])
    delivery = _edit(hooks_world, commit)
    client = logged_in(hooks_world["boss"])
    with commit():
        response = client.post(
            "/admin/transcoder/webhookdelivery/",
            {"action": "resend", "_selected_action": [str(delivery.pk)]},
        )
    assert response.status_code == 302
    assert len(receiver.received) == 2
    assert WebhookDelivery.objects.filter(resent_from=delivery).count() == 1


def test_upload_moderated_is_emitted_within_reach(hooks_world, receiver, commit):
    endpoint_for(receiver, hooks_world["editor"], events=[Event.UPLOAD_MODERATED])
    with commit():
        services.webhooks_emit(
            "upload.moderated",
            {"upload": "u1", "outcome": "approved"},
            collection=hooks_world["B"],
        )
        services.webhooks_emit(
            "upload.moderated",
            {"upload": "u2", "outcome": "rejected"},
            collection=hooks_world["A"],
        )
    assert [r["payload"]["data"] for r in receiver.received] == [
        {"upload": "u2", "outcome": "rejected"}
    ]
    with pytest.raises(ValueError, match="not an event to emit"):
        services.webhooks_emit("asset.deleted", {}, collection=hooks_world["A"])


def test_a_private_receiver_is_not_sent_to_in_production(
    hooks_world, receiver, commit, settings
):
    """Checked when sent too: an endpoint saved while allowed sends nothing."""
    endpoint_for(receiver, hooks_world["editor"], events=[Event.UPDATED])
    settings.MEDIAHUB_WEBHOOK_ALLOW_PRIVATE = False
    delivery = _edit(hooks_world, commit)
    delivery.refresh_from_db()
    assert receiver.received == [] and "loopback" in delivery.last_error


def test_the_lambda_schedule_sends_what_is_due(hooks_world, receiver, commit):
    """On Lambda no task can wait: the scheduled entry sends due retries, and a
    delivery whose task was lost, through the same attempt."""
    from transcoder.aws import scheduled

    receiver.statuses = [500]
    endpoint_for(receiver, hooks_world["editor"], events=[Event.UPDATED])
    delivery = _edit(hooks_world, commit)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    lost = WebhookDelivery.objects.create(
        endpoint=delivery.endpoint,
        event="asset.updated",
        collection_id=hooks_world["A"].pk,
        payload={"id": "evt_lost"},
    )
    WebhookDelivery.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    assert scheduled.webhooks({}, None) == 2
    delivery.refresh_from_db()
    lost.refresh_from_db()
    assert (delivery.status, lost.status) == ("delivered", "delivered")
    assert sorted(r["payload"]["id"] for r in receiver.received[1:]) == sorted(
        [delivery.payload["id"], "evt_lost"]
    )


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_waits_out_the_backoff(db_backend, hooks_world, receiver):
    """Locally the retry is a queued task that the worker runs once it is due."""
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    def work():
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")

    receiver.statuses = [500]
    endpoint_for(receiver, hooks_world["editor"], events=[Event.UPDATED])
    services.asset_update(
        asset=_asset(hooks_world["asset_a"].pk), title="queued", alt_text="", focal=None
    )
    work()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, len(receiver.received)) == (
        "retrying",
        1,
        1,
    )
    retry = DBTaskResult.objects.get(
        task_path="transcoder.tasks.webhook_deliver", status="READY"
    )
    assert retry.run_after == delivery.next_attempt_at
    work()  # not due yet: the worker leaves it
    assert len(receiver.received) == 1
    # The backoff is over (for the queue and the delivery alike).
    past = timezone.now() - timedelta(seconds=1)
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=past)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=past)
    work()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(receiver.received)) == (
        "delivered",
        2,
        2,
    )


def test_an_editor_subscribes_in_the_admin(hooks_world, receiver, settings):
    """The add form checks the URL, offers only collections the editor may
    view, and makes the endpoint theirs; its page shows the secret to them
    and to no other editor."""
    from tests.support import model_perms
    from transcoder.models import WebhookEndpoint

    editor, viewer = hooks_world["editor"], hooks_world["viewer"]
    for user in (editor, viewer):
        model_perms(
            user,
            "add_webhookendpoint",
            "change_webhookendpoint",
            "view_webhookendpoint",
            "delete_webhookendpoint",
        )
    client = logged_in(editor)
    form = client.get("/admin/transcoder/webhookendpoint/add/")
    offered = form.context["adminform"].form.fields["collections"].queryset
    assert list(offered) == [hooks_world["A"]]
    data = {
        "url": receiver.url,
        "description": "Site hooks",
        "events": ["asset.ready", "asset.deleted"],
        "active": "on",
    }
    settings.MEDIAHUB_WEBHOOK_ALLOW_PRIVATE = False
    refused = client.post("/admin/transcoder/webhookendpoint/add/", data)
    assert refused.status_code == 200 and not WebhookEndpoint.objects.exists()
    assert "loopback" in refused.content.decode()
    settings.MEDIAHUB_WEBHOOK_ALLOW_PRIVATE = True
    response = client.post(
        "/admin/transcoder/webhookendpoint/add/",
        {**data, "collections": [hooks_world["A"].pk]},
    )
    assert response.status_code == 302, response.content[:2000]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.created_by == editor
    assert endpoint.events == ["asset.ready", "asset.deleted"]
    assert list(endpoint.collections.all()) == [hooks_world["A"]]
    page = client.get(f"/admin/transcoder/webhookendpoint/{endpoint.pk}/change/")
    assert endpoint.secret in page.content.decode()
    other = logged_in(viewer)
    hidden = other.get(f"/admin/transcoder/webhookendpoint/{endpoint.pk}/change/")
    assert hidden.status_code == 404 and endpoint.secret not in hidden.content.decode()
    listing = other.get("/admin/transcoder/webhookendpoint/")
    assert "Site hooks" not in listing.content.decode()
