"""The table of every door: one row per URL pattern and per API operation.

A row holds one or more probes. A probe says how to knock (``call``), who may
pass (``need``: an action on the target's collection, or a rule of its own),
and what passing looks like (``ok``). tests/test_doors.py drives every probe
for every persona and checks the rest: refusals change nothing, leak nothing,
and look like the answer for an object that does not exist.
"""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.urls import reverse

from tests.personas import PERSONAS, SECRETS, may, picture
from transcoder import delivery, keys
from transcoder.models import Asset, RebuildJob

STAFF = {p for p, persona in PERSONAS.items() if persona.session}
# Tokens that should work: their creators are active staff.
LIVE_READERS = {"superuser", "editor_b", "uploader", "read_token_a", "write_token_a"}
TOKEN_OWNERS = {"superuser": {"A", "B"}, "editor_a": {"A"}, "editor_b": {"B"}}


@dataclass
class Probe:
    name: str
    call: object  # call(ctx) -> response
    need: object = "nobody"  # an action, a rule name, or need(persona, target)
    ok: object = None  # ok(ctx, response): what success looks like
    targets: tuple = ("A", "B")
    status: tuple = (200,)
    shown: object = None  # shown(persona) -> targets whose titles must show
    s3: bool = False


@dataclass
class Row:
    key: str
    probes: list = field(default_factory=list)


def _any(action):
    return lambda p, t: may(p, action, "A") or may(p, action, "B")


RULES = {
    "public": lambda p, t: True,
    "nobody": lambda p, t: False,
    "staff": lambda p, t: p in STAFF,
    "super": lambda p, t: p == "superuser",
    # Tokens and bulk jobs of A are editor A's, of B editor B's.
    "owner": lambda p, t: t in TOKEN_OWNERS.get(p, ()),
    "token_admin": lambda p, t: p in TOKEN_OWNERS,
    "view_api": lambda p, t: p in LIVE_READERS,
    "view_any": lambda p, t: may(p, "view", "A") or may(p, "view", "B"),
    "add_any": lambda p, t: may(p, "add", "A") or may(p, "add", "B"),
}


def allowed(probe, persona, target):
    need = probe.need
    if callable(need):
        return need(persona, target)
    if need in RULES:
        return RULES[need](persona, target)
    return may(persona, need, target)


def _has(text):
    def ok(c, response):
        assert text(c).lower() in c.body(response).lower()

    return ok


def _title(c, response):
    assert SECRETS[c.target]["title"] in c.body(response)


def _visible(p):
    return {t for t in ("A", "B") if may(p, "view", t)}


def _status(code):
    def ok(c, response):
        assert response.status_code == code

    return ok


# --- the asset admin ----------------------------------------------------------

ASSET = "admin:transcoder_asset_"


def _action(name, **extra):
    def call(c):
        data = {"action": name, "_selected_action": [str(c.asset.pk)], **extra}
        return c.post(reverse(ASSET + "changelist"), data)

    return call


def _move(c):
    own = [t for t in ("A", "B") if may(c.persona, "add", t)]
    dest = c.world.sub[c.target if c.target in own else (own or ["A"])[0]]
    c.dest = dest
    return _action("move_to_collection", apply="1", collection=str(dest.pk))(c)


def _fresh(c):
    return Asset.objects.filter(pk=c.asset.pk).first()


def _list(query=""):
    return lambda c: c.get(reverse(ASSET + "changelist") + query)


def _near(p):
    seen = _visible(p)
    return seen if seen == {"A", "B"} else set()


ASSET_ROWS = [
    Row(
        ASSET + "changelist",
        [
            Probe("list", _list(), "view_any", targets=(None,), shown=_visible),
            Probe(
                "search",
                _list("?q=zb93"),
                "view_any",
                targets=(None,),
                shown=lambda p: _visible(p) & {"B"},
            ),
            Probe(
                "tag filter",
                _list("?tag=bravotag-zb93"),
                "view_any",
                targets=(None,),
                shown=lambda p: _visible(p) & {"B"},
            ),
            Probe(
                "near duplicates",
                _list("?near_duplicates=yes"),
                "view_any",
                targets=(None,),
                shown=_near,
            ),
            Probe(
                "add tags",
                _action("add_tags", apply="1", tags="added-door-tag"),
                "change",
                lambda c, r: _fresh(c).tags.filter(name="added-door-tag").exists(),
                status=(302,),
            ),
            Probe(
                "remove tags",
                lambda c: (
                    _action("remove_tags", apply="1", tags=SECRETS[c.target]["tag"])(c)
                    if c.target in SECRETS
                    else _action("remove_tags", apply="1", tags="x")(c)
                ),
                "change",
                lambda c, r: not _fresh(c).tags.exists(),
                status=(302,),
            ),
            Probe(
                "move",
                _move,
                "change",
                lambda c, r: _fresh(c).collection_id == c.dest.pk,
                status=(302,),
            ),
            Probe(
                "regenerate",
                _action("regenerate_renditions"),
                "change",
                lambda c, r: RebuildJob.objects.filter(
                    asset_ids=[str(c.asset.pk)]
                ).exists(),
                status=(302,),
            ),
            Probe(
                "delete in background",
                _action("delete_in_background", apply="1"),
                "delete",
                lambda c, r: _fresh(c) is None,
                status=(302,),
            ),
        ],
    ),
    Row(
        ASSET + "add",
        [
            Probe(
                "page",
                lambda c: c.get(reverse(ASSET + "add")),
                "add_any",
                None,
                (None,),
            )
        ],
    ),
    Row(
        ASSET + "upload",
        [
            Probe(
                "page",
                lambda c: c.get(reverse(ASSET + "upload")),
                "add_any",
                None,
                (None,),
            )
        ],
    ),
    Row(
        ASSET + "upload_file",
        [
            Probe(
                "post",
                lambda c: c.post(
                    reverse(ASSET + "upload_file"),
                    {
                        "file": c.upload_file(),
                        "collection": str(c.coll.pk),
                        "title": "Door upload",
                    },
                ),
                "add",
                lambda c, r: Asset.objects.get(title="Door upload", collection=c.coll),
                status=(201,),
            )
        ],
    ),
    Row(
        ASSET + "upload_presign",
        [
            Probe(
                "post",
                lambda c: c.post(
                    reverse(ASSET + "upload_presign"),
                    {"collection": str(c.coll.pk), "content_type": "image/jpeg"},
                ),
                "add",
                lambda c, r: keys.upload_key_owned_by(r.json()["key"], c.user),
                s3=True,
            )
        ],
    ),
    Row(
        ASSET + "upload_finalize",
        [
            Probe(
                "post",
                lambda c: c.post(
                    reverse(ASSET + "upload_finalize"),
                    {
                        "collection": str(c.coll.pk),
                        "key": c.uploaded_key(),
                        "title": "Door finalize",
                    },
                ),
                "add",
                lambda c, r: Asset.objects.get(
                    title="Door finalize", collection=c.coll
                ),
                status=(201,),
                s3=True,
            )
        ],
    ),
    Row(
        ASSET + "original",
        [
            Probe(
                "get",
                lambda c: c.get(reverse(ASSET + "original", args=[c.asset.pk])),
                "view",
                lambda c, r: (
                    c.raw(r) == storages["default"].open(c.asset.original).read()
                ),
            )
        ],
    ),
    Row(
        ASSET + "status",
        [
            Probe(
                "assets",
                lambda c: c.get(reverse(ASSET + "status") + f"?ids={c.asset.pk}"),
                "view",
                lambda c, r: str(c.asset.pk) in r.json()["assets"],
            ),
            Probe(
                "jobs",
                lambda c: c.get(reverse(ASSET + "status") + f"?jobs={c.job.pk}"),
                "owner",
                lambda c, r: (
                    r.json()["jobs"][str(c.job.pk)]["label"] == SECRETS[c.target]["job"]
                ),
            ),
        ],
    ),
    Row(
        ASSET + "gallery",
        [
            Probe(
                "get",
                lambda c: c.get(reverse(ASSET + "gallery", args=[c.asset.pk])),
                "view",
                lambda c, r: f"/e/{c.asset.pk}/" in c.body(r),
            )
        ],
    ),
    Row(
        ASSET + "replace",
        [
            Probe(
                "form",
                lambda c: c.get(reverse(ASSET + "replace", args=[c.asset.pk])),
                "change",
                _title,
            ),
            Probe(
                "post",
                lambda c: c.post(
                    reverse(ASSET + "replace", args=[c.asset.pk]),
                    {"file": c.upload_file()},
                ),
                "change",
                lambda c, r: _fresh(c).content_hash != c.asset.content_hash,
                status=(302,),
            ),
        ],
    ),
    Row(
        ASSET + "restore",
        [
            Probe(
                "post",
                lambda c: c.post(
                    reverse(ASSET + "restore", args=[c.asset.pk, c.version_id])
                ),
                "change",
                lambda c, r: _fresh(c).content_hash == c.version_hash,
                status=(302,),
            )
        ],
    ),
    Row(
        ASSET + "history",
        [
            Probe(
                "get",
                lambda c: c.get(reverse(ASSET + "history", args=[c.asset.pk])),
                "view",
                _title,
            )
        ],
    ),
    Row(
        ASSET + "delete",
        [
            Probe(
                "confirm",
                lambda c: c.get(reverse(ASSET + "delete", args=[c.asset.pk])),
                "delete",
                _title,
            ),
            Probe(
                "post",
                lambda c: c.post(
                    reverse(ASSET + "delete", args=[c.asset.pk]), {"post": "yes"}
                ),
                "delete",
                lambda c, r: _fresh(c) is None,
                status=(302,),
            ),
        ],
    ),
    Row(
        ASSET + "change",
        [
            Probe(
                "form",
                lambda c: c.get(reverse(ASSET + "change", args=[c.asset.pk])),
                "view",
                _title,
            ),
            Probe(
                "save",
                lambda c: c.post(
                    reverse(ASSET + "change", args=[c.asset.pk]),
                    {"title": "Renamed by door", "alt_text": "door", "tags": "d"},
                ),
                "change",
                lambda c, r: _fresh(c).title == "Renamed by door",
                status=(302,),
            ),
        ],
    ),
    Row(
        "/admin/transcoder/asset/<path:object_id>/",
        [
            Probe(
                "get",
                lambda c: c.get(reverse(ASSET + "changelist") + f"{c.asset.pk}/"),
                "staff",
                lambda c, r: r["Location"].endswith(f"/{c.asset.pk}/change/"),
                status=(301, 302),
            )
        ],
    ),
    Row(
        ASSET + "tags",
        [
            Probe(
                "suggestions",
                lambda c: c.get(reverse(ASSET + "tags")),
                "view_any",
                targets=(None,),
                shown=lambda p: set(),
                ok=lambda c, r: (
                    set(r.json()["tags"])
                    == {SECRETS[t]["tag"] for t in _visible(c.persona)}
                ),
            )
        ],
    ),
]


def content_type_id(model):
    return ContentType.objects.get_for_model(model).pk


def store_upload(key, seed):
    """Put an uploaded file at ``key`` in the default storage, as a client would."""
    storages["default"].save(key, ContentFile(picture(seed)))
    return key


def rendition_url(asset):
    return delivery.rendition_url(asset.renditions.filter(status="ready").first())
