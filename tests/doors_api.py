"""Rows of the door table: the JSON API, one row per operation of /api/schema/."""

from django.core import signing
from django.core.files.storage import storages

from tests.doors import Probe, Row, store_upload
from tests.doors_widget import WIDGET_API_ROWS
from tests.personas import SECRETS, may
from transcoder.models import Asset, Preset
from transcoder.storage import keys

LIVE_WRITERS = {"superuser", "editor_b", "uploader", "write_token_a"}
LIVE_WRITERS.add("view_a_edit_b")


def _detail(c):
    return f"/api/assets/{c.asset.pk}/"


def _key_for(c, seed, **purpose):
    """Return an upload key of the token's creator, with a file stored at it."""
    owner = c.user or c.world.users["ed_a"]
    return store_upload(keys.upload_key_mint(user=owner, **purpose), seed)


def _content_url(c):
    """Return the one-time upload URL of the persona's own token, or another's."""
    own = c.target == "own" and c.api_token is not None
    other = "ed_b" if c.persona == "write_token_a" else "write_a"
    token = c.api_token if own else c.world.tokens[other]
    owner = token.created_by if token.created_by and token.created_by.pk else None
    owner = owner or c.world.users["ed_a"]
    key = keys.upload_key_mint(user=owner, collection=c.world.coll["A"])
    c.key = key
    signed = signing.dumps({"k": key, "t": token.pk}, salt="mediahub.api-upload")
    return f"/api/uploads/content/{signed}/"


def _listed(c, response):
    titles = {a["title"] for a in response.json()["results"]}
    assert titles == {SECRETS[t]["title"] for t in c.expected}


def _changes_listed(c, response):
    """The change feed names the assets of the collections the persona views."""
    named = {row["asset_id"] for row in response.json()["results"]}
    world = {t: str(c.world.asset[t].pk) for t in "AB"}
    assert {t for t, pk in world.items() if pk in named} == c.expected


API_ROWS = [
    Row(
        "transcoder:api-schema",
        [Probe("get", lambda c: c.get("/api/schema/"), "public", None, (None,))],
    ),
    Row(
        "/^api/",
        [
            Probe(
                "get", lambda c: c.get("/api/no-such-thing/"), "nobody", targets=(None,)
            )
        ],
    ),
    Row(
        "GET /api/assets/",
        [
            Probe(
                "list",
                lambda c: c.get("/api/assets/?page_size=100"),
                "read_api",
                _listed,
                (None,),
                shown=lambda p: {t for t in "AB" if may(p, "view", t)},
            ),
            Probe(
                "search",
                lambda c: c.get("/api/assets/?q=zb93"),
                "read_api",
                _listed,
                (None,),
                shown=lambda p: {t for t in "B" if may(p, "view", t)},
            ),
            Probe(
                "collection filter",
                lambda c: c.get(f"/api/assets/?collection={c.coll.pk}"),
                "view",
                lambda c, r: (
                    [a["title"] for a in r.json()["results"]]
                    == [SECRETS[c.target]["title"]]
                ),
            ),
        ],
    ),
    Row(
        "GET /api/changes/",
        [
            Probe(
                "list",
                lambda c: c.get("/api/changes/?limit=500"),
                "view_api",
                _changes_listed,
                (None,),
                shown=lambda p: {t for t in "AB" if may(p, "view", t)},
            )
        ],
    ),
    Row(
        "GET /api/assets/{asset_id}/",
        [
            Probe(
                "get",
                lambda c: c.get(_detail(c)),
                "view",
                lambda c, r: r.json()["title"] == SECRETS[c.target]["title"],
            )
        ],
    ),
    Row(
        "PATCH /api/assets/{asset_id}/",
        [
            Probe(
                "patch",
                lambda c: c.send(
                    "patch", _detail(c), {"title": "Patched door", "tags": ["pd"]}
                ),
                "change",
                lambda c, r: Asset.objects.get(pk=c.asset.pk).title == "Patched door",
            )
        ],
    ),
    Row(
        "DELETE /api/assets/{asset_id}/",
        [
            Probe(
                "delete",
                lambda c: c.send("delete", _detail(c)),
                "delete",
                lambda c, r: not Asset.objects.filter(pk=c.asset.pk).exists(),
                status=(204,),
            )
        ],
    ),
    Row(
        "POST /api/assets/{asset_id}/replace/",
        [
            Probe(
                "replace",
                lambda c: c.send(
                    "post", _detail(c) + "replace/", {"key": c.prepared["key"]}
                ),
                "change",
                lambda c, r: (
                    Asset.objects.get(pk=c.asset.pk).content_hash
                    != c.asset.content_hash
                ),
                prepare=lambda c: {"key": _key_for(c, c.seed(41), asset=c.asset)},
            )
        ],
    ),
    Row(
        "GET /api/presets/",
        [
            Probe(
                "list presets",
                lambda c: c.get("/api/presets/"),
                "view_api",
                lambda c, r: (
                    [p["slug"] for p in r.json()["results"]]
                    == list(
                        Preset.objects.filter(active=True)
                        .order_by("slug")
                        .values_list("slug", flat=True)
                    )
                ),
                (None,),
            )
        ],
    ),
    Row(
        "POST /api/uploads/",
        [
            Probe(
                "create",
                lambda c: c.send(
                    "post",
                    "/api/uploads/",
                    {
                        "content_type": "image/jpeg",
                        "filename": "door.jpg",
                        "collection": c.coll.pk,
                    },
                ),
                lambda p, t: p in LIVE_WRITERS and may(p, "add", t),
                lambda c, r: (
                    keys.upload_key_parse(r.json()["key"]).collection_id == c.coll.pk
                ),
                status=(201,),
            )
        ],
    ),
    Row(
        "PUT /api/uploads/content/{upload}/",
        [
            Probe(
                "put",
                lambda c: c.put_bytes(c.prepared["url"]),
                lambda p, t: t == "own" and p in LIVE_WRITERS,
                lambda c, r: storages["default"].exists(c.key),
                ("own", "other"),
                status=(201,),
                prepare=lambda c: {"url": _content_url(c)},
            )
        ],
    ),
    Row(
        "POST /api/uploads/finalize/",
        [
            Probe(
                "finalize",
                lambda c: c.send(
                    "post",
                    "/api/uploads/finalize/",
                    {"key": c.prepared["key"], "collection": c.coll.pk},
                ),
                "add",
                lambda c, r: Asset.objects.filter(
                    upload_key=c.prepared["key"], collection=c.coll
                ).exists(),
                status=(201,),
                prepare=lambda c: {"key": _key_for(c, c.seed(42), collection=c.coll)},
            )
        ],
    ),
]
API_ROWS += WIDGET_API_ROWS
