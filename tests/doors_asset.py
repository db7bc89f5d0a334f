"""Rows of the door table: the asset admin, its list, actions and own views."""

from django.core.files.storage import storages
from django.urls import reverse

from tests.doors import TOKEN_OWNERS, Probe, Row
from tests.personas import SECRETS, may
from transcoder.models import Asset, Job
from transcoder.storage import keys


def _title(c, response):
    assert SECRETS[c.target]["title"] in c.body(response)


# Django shows the list again ("No action selected") to a user an action is
# not offered to; the snapshot proves nothing changed.
NOT_OFFERED = (200,)


def _job_reader(p, t):
    """A job is its creator's (and a superuser's); for another reader of its
    images either answer will do (None), as long as nothing else leaks."""
    if t in TOKEN_OWNERS.get(p, ()):
        return True
    return None if may(p, "view", t) else False


def _visible(p):
    return {t for t in ("A", "B") if may(p, "view", t)}


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


def _quick_move(c):
    own = [t for t in ("A", "B") if may(c.persona, "add", t)]
    c.dest = c.world.sub[c.target if c.target in own else (own or ["A"])[0]]
    url = reverse(ASSET + "quick", args=[c.asset.pk])
    return c.post(url, {"collection": str(c.dest.pk)})


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
                also_refused=NOT_OFFERED,
                method="POST",
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
                also_refused=NOT_OFFERED,
                method="POST",
            ),
            Probe(
                "move",
                _move,
                "change",
                lambda c, r: _fresh(c).collection_id == c.dest.pk,
                status=(302,),
                also_refused=NOT_OFFERED,
                method="POST",
            ),
            Probe(
                "regenerate",
                _action("regenerate_renditions"),
                "change",
                lambda c, r: Job.objects.filter(asset_ids=[str(c.asset.pk)]).exists(),
                status=(302,),
                also_refused=NOT_OFFERED,
                method="POST",
            ),
            Probe(
                "delete in background",
                _action("delete_in_background", apply="1"),
                "delete",
                lambda c, r: _fresh(c) is None,
                status=(302,),
                also_refused=NOT_OFFERED,
                method="POST",
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
                method="POST",
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
                method="POST",
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
                        "key": c.prepared["key"],
                        "title": "Door finalize",
                    },
                ),
                "add",
                lambda c, r: Asset.objects.get(
                    title="Door finalize", collection=c.coll
                ),
                status=(201,),
                s3=True,
                prepare=lambda c: {"key": c.uploaded_key()},
                method="POST",
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
                _job_reader,
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
                method="POST",
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
                method="POST",
            )
        ],
    ),
    Row(
        ASSET + "edit",
        [
            Probe(
                "post",
                lambda c: c.post(
                    reverse(ASSET + "edit", args=[c.asset.pk]), {"rotate": "1"}
                ),
                "change",
                lambda c, r: _fresh(c).edit.get("turns") == 1,
                status=(302,),
                method="POST",
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
                method="POST",
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
                method="POST",
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
    # Issue 20: the grid's details panel and the asset page's one-image rebuild.
    Row(
        ASSET + "quick",
        [
            Probe(
                "panel",
                lambda c: c.get(reverse(ASSET + "quick", args=[c.asset.pk])),
                "view",
                _title,
            ),
            Probe(
                "save",
                lambda c: c.post(
                    reverse(ASSET + "quick", args=[c.asset.pk]),
                    {"title": "Quick by door", "alt_text": "quick door"},
                ),
                "change",
                lambda c, r: (
                    _fresh(c).title == "Quick by door"
                    and r.json()["asset"]["alt_text"] == "quick door"
                ),
                method="POST",
            ),
            Probe(
                "move",
                _quick_move,
                # Change where it is, add where it goes (always one of the
                # persona's own collections here).
                lambda p, t: (
                    may(p, "change", t) and (may(p, "add", "A") or may(p, "add", "B"))
                ),
                lambda c, r: _fresh(c).collection_id == c.dest.pk,
                method="POST",
            ),
        ],
    ),
    Row(
        ASSET + "regenerate",
        [
            Probe(
                "post",
                lambda c: c.post(reverse(ASSET + "regenerate", args=[c.asset.pk])),
                "change",
                lambda c, r: Job.objects.filter(asset_ids=[str(c.asset.pk)]).exists(),
                status=(302,),
                method="POST",
            )
        ],
    ),
]
