"""The upload widget: upload keys, the widget API, and the moderation queue."""

import datetime
import logging

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.urls import reverse

from tests.images import make_image
from tests.support import grant, logged_in
from transcoder.models import (
    Asset,
    UploadWidgetKey,
    WidgetUpload,
    WidgetUploadState,
    root_collection,
)
from transcoder.services import collection_create
from transcoder.services.access import moderation
from transcoder.services.access import widget as service

pytestmark = pytest.mark.django_db

SITE = "http://site.example:8001"
ASK = "/api/widget/uploads/"
FINALIZE = "/api/widget/uploads/finalize/"


@pytest.fixture
def world(presets):
    root = root_collection()
    a = collection_create(parent=root, name="Visitor photos")
    b = collection_create(parent=root, name="Press")
    editors_a = Group.objects.create(name="editors A")
    grant(editors_a, a, "add", "view", "change")
    editors_b = Group.objects.create(name="editors B")
    grant(editors_b, b, "add", "view", "change")

    def staff(name, *groups):
        user = User.objects.create_user(name, password="x", is_staff=True)
        user.groups.add(*groups)
        return user

    creator = staff("creator", editors_a)
    moderator = staff("moderator", editors_a, editors_b)
    outsider = staff("outsider", editors_b)
    widget_key = service.widget_key_issue(
        widget_key=UploadWidgetKey(
            name="Site",
            allowed_origins=SITE,
            collection=a,
            formats="jpeg webp",
            max_bytes=200_000,
            rate_per_hour=50,
            rate_per_visitor=5,
        ),
        created_by=creator,
    )

    class World:
        pass

    w = World()
    w.a, w.b, w.key = a, b, widget_key
    w.creator, w.moderator, w.outsider = creator, moderator, outsider
    w.editors_a = editors_a
    return w


def _ask(client, key, *, origin=SITE, **body):
    payload = {
        "key": key,
        "filename": "holiday.jpg",
        "content_type": "image/jpeg",
        "size": 1000,
        **body,
    }
    return client.post(
        ASK,
        payload,
        content_type="application/json",
        headers={"Origin": origin} if origin else {},
    )


def _send(client, answer, data, *, origin=SITE, content_type="image/jpeg"):
    assert answer["method"] == "PUT"
    return client.put(
        answer["url"], data, content_type=content_type, headers={"Origin": origin}
    )


def _finalize(client, key, upload_id, *, origin=SITE):
    return client.post(
        FINALIZE,
        {"key": key, "id": upload_id},
        content_type="application/json",
        headers={"Origin": origin},
    )


def _status(client, key, upload_id, *, origin=SITE):
    return client.get(
        f"/api/widget/uploads/{upload_id}/?key={key}", headers={"Origin": origin}
    )


def _pending(client, world, data=None):
    """Send one photo through the API and return its id, awaiting review."""
    data = data or make_image("JPEG", size=(320, 240))
    answer = _ask(client, world.key.key, size=len(data)).json()
    assert _send(client, answer, data).status_code == 201
    response = _finalize(client, world.key.key, answer["id"])
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "pending"
    return answer["id"]


def _moderate(user, ids, decision, **fields):
    url = reverse("admin:transcoder_widgetupload_changelist")
    return logged_in(user).post(url, {"selected": ids, "decision": decision, **fields})


def test_upload_waits_for_review_then_becomes_an_asset(client, world, caplog, commit):
    """Sent, checked and held: no asset until approved; then one, in the key's
    collection, with the exact bytes; the site's poll says approved."""
    data = make_image("JPEG", size=(320, 240))
    upload_id = _pending(client, world, data)
    upload = WidgetUpload.objects.get(pk=upload_id)
    assert (upload.format, upload.width, upload.height) == ("jpeg", 320, 240)
    assert storages["default"].exists(upload.key)
    assert upload.key.startswith("widget/")
    assert Asset.all_objects.count() == 0
    assert _status(client, world.key.key, upload_id).json() == {
        "id": upload_id,
        "status": "pending",
    }
    with (
        caplog.at_level(logging.INFO, logger="transcoder.services.access.moderation"),
        commit(),
    ):
        response = _moderate(world.moderator, [upload_id], "approve")
    assert response.status_code == 302
    asset = Asset.objects.get()
    assert asset.collection == world.a and asset.uploaded_by == world.moderator
    assert asset.renditions.filter(status="ready").exists()
    with storages["default"].open(asset.original, "rb") as f:
        assert f.read() == data
    assert not storages["default"].exists(upload.key)
    assert _status(client, world.key.key, upload_id).json() == {
        "id": upload_id,
        "status": "approved",
        "asset": str(asset.pk),
    }
    # One upload.moderated event for the webhooks, with what the site polls.
    from transcoder.models import Change

    (event,) = Change.objects.filter(event="upload.moderated")
    assert event.data == {"id": upload_id, "status": "approved", "asset": str(asset.pk)}
    assert event.collection_id == world.key.collection_id


def test_reject_tells_the_site_why_and_deletes_the_file(client, world):
    upload_id = _pending(client, world)
    key = WidgetUpload.objects.get(pk=upload_id).key
    refused = _moderate(world.moderator, [upload_id], "reject", reason="")
    assert refused.status_code == 200
    assert "Give a reason" in refused.content.decode()
    assert WidgetUpload.objects.get(pk=upload_id).state == WidgetUploadState.PENDING
    _moderate(world.moderator, [upload_id], "reject", reason="Not a landscape")
    assert _status(client, world.key.key, upload_id).json() == {
        "id": upload_id,
        "status": "rejected",
        "reason": "Not a landscape",
    }
    assert not storages["default"].exists(key)
    assert Asset.all_objects.count() == 0
    from transcoder.models import Change

    (event,) = Change.objects.filter(event="upload.moderated")
    assert event.data["status"] == "rejected"
    assert event.data["reason"] == "Not a landscape"


def test_bulk_approve_into_another_collection(client, world):
    """Approve many at once, into a collection the moderator may add to."""
    ids = [
        _pending(client, world, make_image("JPEG", size=(100 + i, 80)))
        for i in range(2)
    ]
    _moderate(world.moderator, ids, "approve", collection=world.b.pk)
    assert sorted(a.width for a in Asset.objects.filter(collection=world.b)) == [
        100,
        101,
    ]


def test_queue_is_within_the_policy(client, world):
    """Who may not add to the key's collection sees nothing of the upload,
    may not approve it or preview it; nor approve into a collection they
    may not add to."""
    upload_id = _pending(client, world)
    url = reverse("admin:transcoder_widgetupload_changelist")
    preview = reverse("admin:transcoder_widgetupload_preview", args=[upload_id])
    page = logged_in(world.outsider).get(url).content.decode()
    assert "holiday.jpg" not in page and upload_id not in page
    assert logged_in(world.outsider).get(preview).status_code == 404
    _moderate(world.outsider, [upload_id], "approve")
    assert WidgetUpload.objects.get(pk=upload_id).state == WidgetUploadState.PENDING
    shown = logged_in(world.moderator).get(preview)
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    assert shown.content[:3] == b"\xff\xd8\xff"
    assert "holiday.jpg" in logged_in(world.moderator).get(url).content.decode()
    with pytest.raises(moderation.ModerationError, match="may not add images"):
        moderation.widget_upload_approve(
            upload_id=upload_id, moderator=world.creator, collection=world.b
        )
    assert Asset.all_objects.count() == 0


@pytest.mark.parametrize(
    ("origin", "key", "message"),
    [
        ("https://evil.example", None, "not allowed on this site"),
        ("", None, "not allowed on this site"),
        (SITE, "uk_unknown", "unknown or revoked"),
        (SITE, "sk_other", "unknown or revoked"),
    ],
)
def test_wrong_origin_or_key_is_refused(client, world, origin, key, message):
    response = _ask(client, key or world.key.key, origin=origin)
    assert response.status_code == 403
    assert message in response.json()["error"]
    assert WidgetUpload.objects.count() == 0


def test_revoked_key_refuses_every_step(client, world):
    """A revocation stops asks, sends of URLs already given, finalizes and polls."""
    data = make_image("JPEG", size=(64, 64))
    answer = _ask(client, world.key.key, size=len(data)).json()
    service.widget_key_revoke(widget_key=world.key)
    assert _ask(client, world.key.key).status_code == 403
    assert _send(client, answer, data).status_code == 403
    assert not storages["default"].exists(WidgetUpload.objects.get().key)
    assert _finalize(client, world.key.key, answer["id"]).status_code == 403
    assert _status(client, world.key.key, answer["id"]).status_code == 403


def test_creator_who_lost_add_permission_voids_the_key(client, world):
    world.creator.groups.remove(world.editors_a)
    response = _ask(client, world.key.key)
    assert response.status_code == 403
    assert "may no longer add" in response.json()["error"]


@pytest.mark.parametrize(
    ("body", "message", "status"),
    [
        ({"content_type": "image/png"}, "JPEG, WebP images", 422),
        ({"content_type": "image/svg+xml"}, "JPEG, WebP images", 422),
        ({"size": 200_001}, "at most 200000 bytes", 422),
        ({"size": 0}, "size in bytes", 400),
        ({"size": "12"}, "size in bytes", 400),
    ],
)
def test_ask_outside_the_scope_is_refused(client, world, body, message, status):
    """A declaration the key does not allow is 422; a malformed one, 400."""
    response = _ask(client, world.key.key, **body)
    assert response.status_code == status
    assert message in response.json()["error"]
    assert WidgetUpload.objects.count() == 0


def test_sniffed_format_decides_at_finalize(client, world):
    """A PNG sent as a JPEG is refused at finalize and deleted; its one-time
    URL takes nothing more."""
    png = make_image("PNG", size=(50, 50))
    answer = _ask(client, world.key.key, size=len(png)).json()
    assert _send(client, answer, png).status_code == 201
    response = _finalize(client, world.key.key, answer["id"])
    assert response.status_code == 422
    assert response.json()["status"] == 422
    assert "JPEG, WebP" in response.json()["error"]
    upload = WidgetUpload.objects.get()
    assert upload.state == WidgetUploadState.REFUSED
    assert not storages["default"].exists(upload.key)
    assert _send(client, answer, png).status_code == 409
    assert _status(client, world.key.key, answer["id"]).json()["status"] == "refused"


def test_sent_bytes_beyond_the_key_limit_are_refused(client, world):
    data = make_image("JPEG", size=(64, 64))
    answer = _ask(client, world.key.key, size=len(data)).json()
    big = b"\xff\xd8\xff" + b"\0" * 200_001
    assert _send(client, answer, big).status_code == 413
    assert not storages["default"].exists(WidgetUpload.objects.get().key)


def test_finalize_before_sending_says_so(client, world):
    answer = _ask(client, world.key.key).json()
    response = _finalize(client, world.key.key, answer["id"])
    assert response.status_code == 409 and "not received" in response.json()["error"]
    assert WidgetUpload.objects.get().state == WidgetUploadState.ASKED


def test_another_keys_upload_is_not_found(client, world):
    upload_id = _pending(client, world)
    other = service.widget_key_issue(
        widget_key=UploadWidgetKey(
            name="Other", allowed_origins=SITE, collection=world.a
        ),
        created_by=world.creator,
    )
    assert _status(client, other.key, upload_id).status_code == 404
    assert _finalize(client, other.key, upload_id).status_code == 404


def test_rate_per_visitor_slides_with_the_clock(world):
    """The sixth ask within an hour from one address is refused, with how long
    to wait; another address still may; an hour after the first, one more."""
    start = datetime.datetime(2026, 1, 1, 12, tzinfo=datetime.UTC)

    def ask(minute, visitor="203.0.113.5"):
        return service.widget_upload_ask(
            widget_key=world.key,
            filename="a.jpg",
            content_type="image/jpeg",
            size=10,
            visitor=visitor,
            now=start + datetime.timedelta(minutes=minute),
        )

    for minute in range(5):
        ask(minute * 10)
    with pytest.raises(service.WidgetRateError) as refused:
        ask(50)
    assert refused.value.retry_after == 10 * 60 + 1
    ask(50, visitor="203.0.113.6")
    ask(60.5)  # the first ask is now more than an hour old
    with pytest.raises(service.WidgetRateError):
        ask(61)


def test_rate_exceeded_answers_429_with_retry_after(client, world):
    UploadWidgetKey.objects.filter(pk=world.key.pk).update(rate_per_hour=1)
    assert _ask(client, world.key.key).status_code == 201
    refused = _ask(client, world.key.key)
    assert refused.status_code == 429
    assert 3500 < int(refused["Retry-After"]) <= 3601
    assert WidgetUpload.objects.count() == 1


def test_cors_only_for_keys_origins(client, world):
    def preflight(origin):
        return client.options(
            ASK,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )

    assert preflight(SITE)["Access-Control-Allow-Origin"] == SITE
    assert "Access-Control-Allow-Origin" not in preflight("https://evil.example")
    # Only under /api/widget/: the rest of the API keeps its own list.
    other = client.options(
        "/api/assets/",
        headers={"Origin": SITE, "Access-Control-Request-Method": "GET"},
    )
    assert "Access-Control-Allow-Origin" not in other
    # A revoked key's page may still read why it is refused.
    service.widget_key_revoke(widget_key=world.key)
    assert preflight(SITE)["Access-Control-Allow-Origin"] == SITE
    refused = _ask(client, world.key.key)
    assert refused.status_code == 403 and refused["Access-Control-Allow-Origin"] == SITE


def test_unfinalized_asks_expire(client, world):
    """The sweeper drops an ask never finalized, and the bytes sent for it."""
    from transcoder import services

    data = make_image("JPEG", size=(64, 64))
    answer = _ask(client, world.key.key, size=len(data)).json()
    _send(client, answer, data)
    upload = WidgetUpload.objects.get()
    later = upload.created_at + datetime.timedelta(hours=2)
    assert services.sweep(now=later).widget_expired == 1
    assert not storages["default"].exists(upload.key)
    assert WidgetUpload.objects.get().state == WidgetUploadState.REFUSED


def test_sweeper_and_purge_leave_held_files_alone(client, world, commit):
    """A file awaiting review is under widget/, not uploads/: neither the
    sweeper nor purge_orphans makes it an image or deletes it, days later."""
    from transcoder import services

    upload_id = _pending(client, world)
    key = WidgetUpload.objects.get(pk=upload_id).key
    later = WidgetUpload.objects.get(pk=upload_id).created_at + datetime.timedelta(
        days=40
    )
    # A file copied into uploads/ by hand, which the sweeper does settle.
    storages["default"].save("uploads/by-hand.png", ContentFile(make_image("PNG")))
    with commit():
        services.sweep(now=later)
        services.orphans_purge(now=later)
    assert storages["default"].exists(key)
    assert [a.original_filename for a in Asset.all_objects.all()] == ["by-hand.png"]
    assert WidgetUpload.objects.get(pk=upload_id).state == WidgetUploadState.PENDING


def test_admin_issues_a_key_for_a_collection_its_maker_may_add_to(world):
    """The add form makes a uk_ key acting as whoever adds it, refuses a bad
    origin or format, and offers only collections they may add to."""
    from tests.support import model_perms

    model_perms(world.creator, "add_uploadwidgetkey", "view_uploadwidgetkey")
    client = logged_in(world.creator)
    url = reverse("admin:transcoder_uploadwidgetkey_add")
    form = {
        "name": "Shop",
        "allowed_origins": "https://Shop.example/",
        "collection": world.a.pk,
        "formats": "jpeg png",
        "max_bytes": 1000000,
        "rate_per_hour": 10,
        "rate_per_visitor": 2,
    }
    bad = client.post(
        url, {**form, "allowed_origins": "shop.example/path", "formats": "svg"}
    )
    assert bad.status_code == 200
    assert "is not an origin" in bad.content.decode()
    assert "Choose among" in bad.content.decode()
    elsewhere = client.post(url, {**form, "collection": world.b.pk})
    assert (
        elsewhere.status_code == 200
        and not UploadWidgetKey.objects.filter(name="Shop").exists()
    )
    assert client.post(url, form).status_code == 302
    made = UploadWidgetKey.objects.get(name="Shop")
    assert made.key.startswith("uk_") and made.created_by == world.creator
    assert made.origins == ["https://shop.example"]
