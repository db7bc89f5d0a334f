"""Personas and a small library for the route-by-route proof (tests/test_doors.py).

Two collections, A and B, each with one image that has a distinctive title,
tag, file name, a replaced version and a bulk job; editors of each, an
add-only uploader of A, a user who views A and edits B, a superuser, and API
tokens: read and write tokens of A's editor, and tokens whose creator was
later deactivated, demoted (staff status removed) or deleted. ``REACH``
states, independently of transcoder.permissions, what each persona may do.
"""

import io
import uuid
from dataclasses import dataclass
from types import SimpleNamespace

from django.contrib.auth.models import Group, Permission, User
from PIL import Image, ImageDraw

from tests.support import grant

ACTIONS = ("view", "add", "change", "delete")

# Strings that only the readers of a collection may ever see in an answer.
SECRETS = {
    "A": {
        "title": "Alpha harbour qa71",
        "tag": "alphatag-qa71",
        "filename": "alpha-file-qa71.jpg",
        "collection": "Alpha coll qa71",
        "job": "Alpha job qa71",
        "token": "Alpha token qa71",
    },
    "B": {
        "title": "Bravo summit zb93",
        "tag": "bravotag-zb93",
        "filename": "bravo-file-zb93.jpg",
        "collection": "Bravo coll zb93",
        "job": "Bravo job zb93",
        "token": "Bravo token zb93",
    },
}


@dataclass(frozen=True)
class Persona:
    """Who knocks: a logged-in user (``session``) and/or an API token, or a
    page on another origin with a publishable key (``publishable``)."""

    session: str | None = None
    token: str | None = None
    publishable: str | None = None


PERSONAS = {
    "anonymous": Persona(),
    "superuser": Persona(session="root", token="root"),
    "editor_a": Persona(session="ed_a"),
    "editor_b": Persona(session="ed_b", token="ed_b"),
    "uploader": Persona(session="up_a", token="up_a"),
    "view_a_edit_b": Persona(session="mixed", token="mixed"),
    "read_token_a": Persona(token="read_a"),
    "write_token_a": Persona(token="write_a"),
    "token_deactivated": Persona(token="gone_inactive"),
    "token_demoted": Persona(token="gone_demoted"),
    "token_deleted": Persona(token="gone_deleted"),
    # A page on https://door.example with A's editor's publishable key for A,
    # and with one that was revoked.
    "publishable_a": Persona(publishable="A"),
    "publishable_revoked": Persona(publishable="revoked"),
}
PUBLISHABLE_ORIGIN = "https://door.example"

_ALL = {a: {"A", "B"} for a in ACTIONS}
# What each persona may do, by collection: the expected answer, written out.
REACH = {
    "anonymous": {},
    "superuser": _ALL,
    "editor_a": {a: {"A"} for a in ACTIONS},
    "editor_b": {a: {"B"} for a in ACTIONS},
    "uploader": {"add": {"A"}},
    "view_a_edit_b": {"view": {"A", "B"}, **{a: {"B"} for a in ACTIONS[1:]}},
    "read_token_a": {"view": {"A"}},
    "write_token_a": {a: {"A"} for a in ACTIONS},
    "token_deactivated": {},
    "token_demoted": {},
    "token_deleted": {},
    "publishable_a": {"view": {"A"}},
    "publishable_revoked": {},
}


def may(persona, action, target):
    """Tell whether ``persona`` may ``action`` the objects of collection ``target``."""
    return target in REACH[persona].get(action, set())


def hidden(persona):
    """Return the collections whose strings must never reach ``persona``."""
    return [t for t in ("A", "B") if not may(persona, "view", t)]


def picture(seed, shift=0):
    """Return a JPEG with a pattern picked by ``seed``; ``shift`` makes a look-alike."""
    image = Image.new("RGB", (160, 120))
    draw = ImageDraw.Draw(image)
    for x in range(160):
        v = (x * 255 // 160 + shift) % 256
        draw.line([(x, 0), (x, 119)], fill=(v, (v * seed) % 256, 255 - v))
    for i in range(seed % 5 + 2):
        top = 10 + (seed * 7 + i * 13) % 60
        box = [10 + i * 20, top, 40 + i * 20, top + 30]
        draw.ellipse(box, fill=((seed * 50) % 256, 30 * i % 256, 90))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90 - shift % 7)
    return buffer.getvalue()


def _token(name, user, *scopes):
    from transcoder import services
    from transcoder.models import ApiToken

    token = ApiToken(
        name=name,
        created_by=user,
        scope_read="read" in scopes,
        scope_write="write" in scopes,
    )
    return services.api_token_issue(token=token), token


def build_world():
    """Make the library every door is tried on; return its objects and keys."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from transcoder import services
    from transcoder.models import Job, Preset, PublishableKey, SiteKey, root_collection
    from transcoder.services.access import publishable, sitekeys
    from transcoder.storage import keys

    for slug, fit, size, formats in [
        ("thumb", "cover", 100, ["webp", "jpeg"]),
        ("card", "contain", 300, ["jpeg"]),
    ]:
        services.preset_save(
            preset=Preset(
                slug=slug,
                name=slug.title(),
                fit=fit,
                width=size,
                height=size,
                formats=formats,
            )
        )
    root = root_collection()
    w = SimpleNamespace(coll={}, sub={}, asset={}, job={}, keys={}, tokens={})
    for t in ("A", "B"):
        w.coll[t] = services.collection_create(
            parent=root, name=SECRETS[t]["collection"]
        )
        w.sub[t] = services.collection_create(parent=w.coll[t], name=f"Inner {t}")
    superuser = User.objects.create_superuser("root", password="pw")
    users = {"root": superuser}
    token_perms = Permission.objects.filter(
        content_type__app_label="transcoder",
        codename__in=[
            f"{a}_{m}" for a in ACTIONS for m in ("apitoken", "publishablekey")
        ],
    )
    for t, name in (("A", "ed_a"), ("B", "ed_b")):
        group = Group.objects.create(name=f"Editors {t}")
        grant(group, w.coll[t], *ACTIONS)
        # Editors manage their own API tokens (issue 16, findings 6 and 7).
        group.permissions.add(*token_perms)
        w.coll[t].group = group
        users[name] = User.objects.create_user(name, password="pw", is_staff=True)
        users[name].groups.add(group)
    uploaders = Group.objects.create(name="Uploaders A")
    grant(uploaders, w.coll["A"], "add")
    users["up_a"] = User.objects.create_user("up_a", password="pw", is_staff=True)
    users["up_a"].groups.add(uploaders)
    viewers = Group.objects.create(name="Viewers A")
    grant(viewers, w.coll["A"], "view")
    users["mixed"] = User.objects.create_user("mixed", password="pw", is_staff=True)
    users["mixed"].groups.add(viewers, w.coll["B"].group)
    for name in ("gone_inactive", "gone_demoted", "gone_deleted"):
        users[name] = User.objects.create_user(name, password="pw", is_staff=True)
        users[name].groups.add(w.coll["A"].group)
    for t, seed, editor in (("A", 3, "ed_a"), ("B", 8, "ed_b")):
        s = SECRETS[t]
        asset = services.asset_create(
            content=picture(seed),
            filename=s["filename"],
            title=s["title"],
            alt_text=f"{s['title']} alt",
            collection=w.coll[t],
            uploaded_by=users[editor],
        )
        # The current files of A and B look alike (near duplicates).
        asset = services.asset_replace(
            asset=asset, content=picture(1, shift=4 if t == "B" else 0)
        )
        asset.refresh_from_db()
        services.tags_set(asset=asset, names=[s["tag"]])
        w.asset[t] = asset
        w.job[t] = Job.objects.create(
            action="tags_add",
            label=s["job"],
            params={"tags": ["x"]},
            asset_ids=[str(asset.pk)],
            total_assets=1,
            created_by=users[editor],
        )
    for name, user, scopes in [
        ("root", superuser, ("read", "write")),
        ("ed_b", users["ed_b"], ("read", "write")),
        ("up_a", users["up_a"], ("write",)),
        # Writes in B, sees A: every write must ask the policy per image.
        ("mixed", users["mixed"], ("read", "write")),
        ("read_a", users["ed_a"], ("read",)),
        ("write_a", users["ed_a"], ("read", "write")),
        ("gone_inactive", users["gone_inactive"], ("read", "write")),
        ("gone_demoted", users["gone_demoted"], ("read", "write")),
        ("gone_deleted", users["gone_deleted"], ("read", "write")),
    ]:
        label = {"ed_b": SECRETS["B"]["token"], "write_a": SECRETS["A"]["token"]}
        w.keys[name], w.tokens[name] = _token(
            label.get(name, f"Token {name}"), user, *scopes
        )
    w.site_key = sitekeys.site_key_issue(site_key=SiteKey(name="Site key one"))
    w.publishable = {}
    for t, editor in (("A", "ed_a"), ("B", "ed_b"), ("revoked", "ed_a")):
        w.publishable[t] = publishable.publishable_key_issue(
            key=PublishableKey(
                name=f"{SECRETS[t]['token']} pk" if t in SECRETS else "Revoked pk",
                allowed_origins=PUBLISHABLE_ORIGIN,
            ),
            user=users[editor],
            collections=[w.coll[t if t in SECRETS else "A"]],
        )
    publishable.publishable_key_revoke(key=w.publishable["revoked"], user=superuser)
    # The superuser's webhook endpoint, with one delivery in its log.
    from transcoder.models import WebhookDelivery, WebhookEndpoint

    w.webhook = WebhookEndpoint.objects.create(
        url="https://hooks.example/door",
        events=["asset.updated"],
        created_by=superuser,
    )
    w.delivery = WebhookDelivery.objects.create(
        endpoint=w.webhook,
        event="asset.updated",
        payload={"id": "evt_door"},
        status="failed",
    )
    # One refused upload in each collection, started by its editor.
    w.refusal = {}
    for t, editor in (("A", "ed_a"), ("B", "ed_b")):
        key = keys.upload_key_mint(user=users[editor], collection=w.coll[t])
        w.refusal[t] = services.upload_refusal_record(
            key=key,
            reason="This file is not an image.",
            code="UnsupportedFormat",
            filename=f"refused-{SECRETS[t]['filename']}",
        )
    _widget_world(w, users)
    now = timezone.now()
    AccessAttempt.objects.create(
        username="ed_a", ip_address="10.0.0.1", user_agent="ua", failures_since_start=1
    )
    AccessLog.objects.create(username="ed_a", ip_address="10.0.0.1", user_agent="ua")
    AccessFailureLog.objects.create(
        username="ed_a", ip_address="10.0.0.1", user_agent="ua"
    )
    w.task_result = DBTaskResult.objects.create(
        status="READY",
        args_kwargs={"args": [], "kwargs": {}},
        task_path="transcoder.tasks.purge",
        backend_name="default",
        run_after=now,
        exception_class_path="",
        traceback="",
    )
    w.users = users
    w.tokens["ed_a"] = w.tokens["write_a"]
    # The gone users: their tokens were made while they were editors of A.
    User.objects.filter(username="gone_inactive").update(is_active=False)
    User.objects.filter(username="gone_demoted").update(is_staff=False)
    users["gone_deleted"].delete()
    del users["gone_deleted"]
    return w


def missing_id():
    """Return an asset id that does not exist."""
    return uuid.uuid4()


WIDGET_SITE = "https://widget-site.example"


def _widget_world(w, users):
    """Give each collection an upload widget key (made by its editor) and one
    upload sent with it, awaiting review."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    from transcoder.models import UploadWidgetKey
    from transcoder.services.access import widget

    w.widget_key, w.widget_upload = {}, {}
    for n, (t, editor) in enumerate((("A", "ed_a"), ("B", "ed_b"))):
        w.widget_key[t] = widget.widget_key_issue(
            widget_key=UploadWidgetKey(
                name=f"Widget key {t}",
                allowed_origins=WIDGET_SITE,
                collection=w.coll[t],
            ),
            created_by=users[editor],
        )
        data = picture(300 + n)
        upload = widget.widget_upload_ask(
            widget_key=w.widget_key[t],
            filename=f"widget-{t}.jpg",
            content_type="image/jpeg",
            size=len(data),
            visitor="192.0.2.1",
        )
        storages["default"].save(upload.key, ContentFile(data))
        w.widget_upload[t] = widget.widget_upload_finalize(upload=upload)
