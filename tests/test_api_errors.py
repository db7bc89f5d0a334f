"""Every error the API answers has one shape: the table of statuses.

Rows come from /api/schema/: each operation (path and method) and each error
status its ``responses`` document has a row that provokes that status for
real, plus the statuses any operation answers (401 without a token, 403
without the scope, 429 over the rate limit) and a 405 for each method a path
does not take. Every answer is ``{"error": str, "status": int}`` (or the
documented schema of that status, which holds both), as JSON that is never
cached. A documented status no row provokes fails, and so does a row whose
status the schema does not list for its operation.
"""

import json

import jsonschema
import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from tests.api_errors_widget import ROWS as WIDGET_ROWS
from tests.images import make_image
from transcoder import services
from transcoder.conf import setting
from transcoder.models import ApiToken, Asset, AssetVersion, root_collection

pytestmark = pytest.mark.django_db

# Statuses that any operation answers before its own code runs.
ANYWHERE = (401, 403, 429)
EMBED = "GET /e/{asset_id}/{preset}/"
# Documented statuses no row provokes, as {(operation, status): why}.
EXEMPT = {
    (EMBED, 500): "a database fault: tests/test_machine_errors.py provokes it "
    "(the rows here fault S3, which an embed link never calls)",
}
OLD = make_image("JPEG", size=(64, 48), color=(200, 40, 40))
NEW = make_image("PNG", size=(30, 50), color=(20, 90, 200))
UNKNOWN = "00000000-0000-4000-8000-000000000000"


class World:
    """A superuser's tokens, one asset, one deleted asset, and a client."""

    def __init__(self, client):
        self.client = client
        boss = User.objects.create_superuser("boss", password=None)
        self.boss = boss
        self.coll = services.collection_create(parent=root_collection(), name="E")
        self.auth = {s: self._token(boss, s) for s in ("read", "write", "read write")}
        self.asset = services.asset_create(
            content=OLD, title="Kept", collection=self.coll
        )
        gone = services.asset_create(content=NEW, title="Gone", collection=self.coll)
        self.gone = gone.pk
        services.asset_erase(asset_id=gone.pk, versions=False)

    @staticmethod
    def _token(user, scopes):
        token = ApiToken(name=scopes, created_by=user)
        token.scope_read, token.scope_write = "read" in scopes, "write" in scopes
        return {"Authorization": f"Bearer {services.api_token_issue(token=token)}"}

    def call(self, method, path, body=None, *, scopes="read write", raw=None, **kw):
        """Send ``body`` as JSON (or ``raw`` bytes) with a token of ``scopes``."""
        kw.setdefault("content_type", "application/json")
        data = raw if raw is not None else (json.dumps(body) if body else "")
        headers = self.auth[scopes] if scopes else {}
        return self.client.generic(method, path, data, headers=headers, **kw)

    def upload(self, **purpose):
        """Ask /api/uploads/ for an upload; return its answer."""
        made = self.call(
            "POST", "/api/uploads/", {"content_type": "image/png", **purpose}
        )
        assert made.status_code == 201, made.content
        return made.json()

    def put(self, url, data=NEW):
        return self.call("PUT", url, raw=data, content_type="application/octet-stream")

    def key(self, data, **purpose):
        """Return a key of ``purpose`` with ``data`` stored at it, as a client would."""
        answer = self.upload(**purpose)
        if answer["method"] == "PUT":
            assert self.put(answer["url"], data).status_code == 201
        else:
            storages["default"].save(answer["key"], ContentFile(data))
        return answer["key"]


def _big(w):
    """A JSON body past MEDIAHUB_ANONYMOUS_BODY_BYTES."""
    return {"title": "x" * (setting("ANONYMOUS_BODY_BYTES") + 1)}


def _content_twice(w):
    url = w.upload(collection=w.coll.pk)["url"]
    assert w.put(url).status_code == 201
    return w.put(url)


def _too_large_file(w):
    w.settings.MEDIAHUB_MAX_UPLOAD_BYTES = len(NEW) - 1
    return w.put(w.upload(collection=w.coll.pk)["url"])


def _unstored_finalize(w):
    key = w.upload(collection=w.coll.pk)["key"]
    return w.call("POST", "/api/uploads/finalize/", {"key": key})


def _duplicate(w):
    key = w.key(OLD, collection=w.coll.pk)
    return w.call("POST", "/api/uploads/finalize/", {"key": key})


def _refused_file(w, **purpose):
    """Finalize (or replace with) an upload whose bytes are no image: 422."""
    key = w.key(b"no image at all", **purpose)
    path = "/api/uploads/finalize/" if purpose.get("collection") else ASSET + "replace/"
    return w.call("POST", path.format(w=w), {"key": key})


def _storage_fault(w, **purpose):
    """Store an upload of ``purpose``, fail the original's write to S3 once,
    then finalize it (or replace with it): no new asset, version or original,
    the asset as it was, the upload kept for a retry."""
    key = w.key(NEW, **purpose)
    path = "/api/uploads/finalize/" if purpose.get("collection") else ASSET + "replace/"
    originals = w.s3.keys("originals/")
    rule = w.s3.fail("PutObject", storage="default")
    response = w.call("POST", path.format(w=w), {"key": key})
    assert rule["seen"] == 1, w.s3.operations("default")
    assert w.s3.keys("originals/") == originals
    # The upload is kept, so the client can send the same key again.
    assert w.s3.keys("uploads/") == [key]
    return response


def ask(method, path, body=None, **kw):
    """Return a provoker sending ``body`` (or ``body(w)``) to ``path``, a format
    of ``w`` (``{w.asset.pk}``) and ``{unknown}``, an id nothing has."""

    def provoke(w):
        data = body(w) if callable(body) else body
        return w.call(method, path.format(w=w, unknown=UNKNOWN), data, **kw)

    return provoke


TEXT = {"raw": "x", "content_type": "text/plain"}
LIST, ONE = "GET /api/assets/", "GET /api/assets/{asset_id}/"
PATCH, DELETE = "PATCH /api/assets/{asset_id}/", "DELETE /api/assets/{asset_id}/"
REPLACE = "POST /api/assets/{asset_id}/replace/"
CREATE, FINALIZE = "POST /api/uploads/", "POST /api/uploads/finalize/"
CONTENT = "PUT /api/uploads/content/{upload}/"
ASSET, GONE, NOBODY = (
    "/api/assets/{w.asset.pk}/",
    "/api/assets/{w.gone}/",
    "/api/assets/{unknown}/",
)
PNG = {"content_type": "image/png"}


# (operation, status, provoke(w)): the statuses of each operation's own code.
def _pruned_cursor(w):
    """Follow from a cursor whose changes the sweep has since removed."""
    from datetime import timedelta

    from django.utils import timezone

    from transcoder.api.views.changes import cursor_for
    from transcoder.models import Change

    first = Change.objects.order_by("id").first()
    Change.objects.filter(pk=first.pk).update(at=timezone.now() - timedelta(days=91))
    services.changes_prune()
    return w.call("GET", f"/api/changes/?since={cursor_for(first.pk - 1)}")


def _no_accepted_format(w):
    """A ready rendition exists, but in no format the browser accepts."""
    from transcoder.models import Preset

    services.preset_save(
        preset=Preset(slug="modern", name="Modern", width=40, formats=["webp"])
    )
    services.renditions_generate(asset_id=w.asset.pk)
    return w.client.get(
        f"/e/{w.asset.pk}/modern/?format=png", headers={"Accept": "image/png"}
    )


def embed(query="", asset="{w.asset.pk}"):
    """Return a provoker asking an embed link, with no token (it takes none)."""
    return lambda w: w.client.get(
        f"/e/{asset.format(w=w, unknown=UNKNOWN)}/card/{query}"
    )


ROWS = [
    (EMBED, 400, embed("?h=90")),
    (EMBED, 403, embed("?key=sk_nothing")),
    (EMBED, 404, embed(asset="{unknown}")),
    (EMBED, 406, _no_accepted_format),
    (EMBED, 410, embed(asset="{w.gone}")),
    (LIST, 400, ask("GET", "/api/assets/?nope=1")),
    (LIST, 404, ask("GET", "/api/assets/?page=9")),
    ("GET /api/changes/", 400, ask("GET", "/api/changes/?limit=0")),
    ("GET /api/changes/", 404, ask("GET", "/api/changes/?since=forged")),
    ("GET /api/changes/", 410, lambda w: _pruned_cursor(w)),
    (ONE, 400, ask("GET", ASSET + "?nope=1")),
    (ONE, 404, ask("GET", NOBODY)),
    (ONE, 410, ask("GET", GONE)),
    (PATCH, 400, ask("PATCH", ASSET, {"x": 1})),
    (PATCH, 400, ask("PATCH", ASSET, {"edit": {"rotate": 45}})),
    (PATCH, 404, ask("PATCH", NOBODY, {"title": "t"})),
    (PATCH, 410, ask("PATCH", GONE, {"title": "t"})),
    (PATCH, 413, ask("PATCH", ASSET, _big)),
    (PATCH, 415, ask("PATCH", ASSET, **TEXT)),
    (DELETE, 400, ask("DELETE", ASSET + "?nope=1")),
    (DELETE, 404, ask("DELETE", NOBODY)),
    ("GET /api/presets/", 400, ask("GET", "/api/presets/?nope=1")),
    (REPLACE, 400, ask("POST", ASSET + "replace/", {"key": "uploads/x"})),
    (REPLACE, 404, ask("POST", NOBODY + "replace/", {"key": "k"})),
    (REPLACE, 410, ask("POST", GONE + "replace/", {"key": "k"})),
    (REPLACE, 413, ask("POST", ASSET + "replace/", _big)),
    (REPLACE, 415, ask("POST", ASSET + "replace/", **TEXT)),
    (
        REPLACE,
        409,
        lambda w: w.call(
            "POST",
            ASSET.format(w=w) + "replace/",
            {"key": w.key(NEW, collection=w.coll.pk)},
        ),
    ),
    (REPLACE, 422, lambda w: _refused_file(w, replace=str(w.asset.pk))),
    (REPLACE, 500, lambda w: _storage_fault(w, replace=str(w.asset.pk))),
    (CREATE, 400, ask("POST", "/api/uploads/", {"content_type": "text/plain"})),
    (CREATE, 404, ask("POST", "/api/uploads/", {**PNG, "replace": UNKNOWN})),
    (
        CREATE,
        410,
        ask("POST", "/api/uploads/", lambda w: {**PNG, "replace": str(w.gone)}),
    ),
    (CREATE, 413, ask("POST", "/api/uploads/", _big)),
    (CREATE, 415, ask("POST", "/api/uploads/", **TEXT)),
    (CONTENT, 400, lambda w: w.put(w.upload(collection=w.coll.pk)["url"], b"")),
    (CONTENT, 404, lambda w: w.put("/api/uploads/content/forged/")),
    (CONTENT, 409, _content_twice),
    (CONTENT, 413, _too_large_file),
    (FINALIZE, 400, ask("POST", "/api/uploads/finalize/", {"key": "uploads/x"})),
    (FINALIZE, 409, _unstored_finalize),
    (FINALIZE, 409, _duplicate),
    (FINALIZE, 422, lambda w: _refused_file(w, collection=w.coll.pk)),
    (FINALIZE, 413, ask("POST", "/api/uploads/finalize/", _big)),
    (FINALIZE, 415, ask("POST", "/api/uploads/finalize/", **TEXT)),
    (FINALIZE, 500, lambda w: _storage_fault(w, collection=w.coll.pk)),
]
ROWS += WIDGET_ROWS
S3_ROWS = {(op, status) for op, status, _ in ROWS if status == 500}


def _schema(client):
    return client.get("/api/schema/").json()


def _operations(document):
    """Return ``{"METHOD /path/": responses}`` of every operation of the schema."""
    return {
        f"{method.upper()} {path}": operation["responses"]
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    }


def _sample(path, w):
    path = path.replace("{asset_id}", str(w.asset.pk)).replace("{preset}", "card")
    return path.replace("{upload}", "x")


def _provokers():
    """Yield (operation, status, provoke) for every row, and for every status
    of ANYWHERE on every operation of the paths /api/schema/ serves."""
    from transcoder.api.schema.paths import PATHS

    yield from ROWS
    for path, item in PATHS.items():
        for method in item:
            if method == "parameters":
                continue
            op = f"{method.upper()} {path}"
            if item[method].get("security") == []:
                continue  # no token asked: no 401, 403 for a scope, or 429
            for status in ANYWHERE:
                yield op, status, _anywhere(method.upper(), path, status)


def _anywhere(method, path, status):
    def provoke(w):
        if status == 429:
            w.settings.MEDIAHUB_API_RATE_LIMIT = 0
        # The scope the operation does not need: write for reads, read for writes.
        scopes = {401: None, 429: "read write"}.get(status)
        if status == 403:
            scopes = "write" if method == "GET" else "read"
        return w.call(method, _sample(path, w), {"k": 1}, scopes=scopes)

    return provoke


CASES = [pytest.param(op, s, f, id=f"{op} {s}") for op, s, f in _provokers()]


def test_every_documented_error_status_has_a_row(client):
    """A status the schema lists for an operation without a row fails, named;
    so does a row for a status or an operation the schema does not list."""
    documented = {
        (op, int(status))
        for op, responses in _operations(_schema(client)).items()
        for status in responses
        if int(status) >= 400
    }
    rows = {(op, status) for op, status, _ in _provokers()}
    assert sorted(documented - rows - set(EXEMPT)) == [], "no row provokes these"
    assert sorted(rows - documented) == [], "the schema does not list these"
    assert set(EXEMPT) <= documented


def _check_shape(response, status, documented):
    """The answer is the JSON error the schema documents for ``status``, not cached."""
    where = f"{response.status_code} {response.content[:300]!r}"
    assert response.status_code == status, where
    assert response["Content-Type"] == "application/json", where
    assert response["Cache-Control"] == "private, no-store", where
    body = response.json()
    assert isinstance(body["error"], str) and body["error"].strip(), where
    assert body["status"] == status and type(body["status"]) is int, where
    if documented is not None:
        jsonschema.validate(body, documented)


def _documented(document, op, status):
    """Return the JSON schema documented for ``op`` answering ``status``."""
    answer = document["paths"][op.split(" ", 1)[1]][op.split(" ")[0].lower()]
    ref = answer["responses"][str(status)]["content"]["application/json"]["schema"]
    schemas = document["components"]["schemas"]
    if "oneOf" in ref:  # an error, or an error with more (a refused upload)
        schema = {**ref, "$defs": schemas}
    else:
        schema = {**schemas[ref["$ref"].rsplit("/", 1)[1]], "$defs": schemas}
    text = json.dumps(schema).replace("#/components/schemas/", "#/$defs/")
    return json.loads(text)


def _library(w):
    """What no error may change: the rows, and the asset as it was."""
    asset = Asset.objects.get(pk=w.asset.pk)
    fields = (asset.title, asset.original, asset.content_hash, asset.collection_id)
    return Asset.objects.count(), AssetVersion.objects.count(), fields


@pytest.mark.parametrize(("op", "status", "provoke"), CASES)
def test_error_has_the_documented_shape(client, settings, request, op, status, provoke):
    """Each row's status is answered for real, in the documented JSON shape; it
    is one the schema lists for that operation, and it changed nothing."""
    s3 = request.getfixturevalue("faulty_s3") if (op, status) in S3_ROWS else None
    document = _schema(client)
    responses = _operations(document)[op]
    assert str(status) in responses, f"{op} answers {status}, which it does not list"
    w = World(client)
    w.settings, w.s3 = settings, s3
    caplog = request.getfixturevalue("caplog")
    before = _library(w)
    response = provoke(w)
    _check_shape(response, status, _documented(document, op, status))
    assert _library(w) == before
    if status == 500:  # logged with its traceback, not only answered
        (record,) = [r for r in caplog.records if r.name == "transcoder.api.core.auth"]
        assert record.levelname == "ERROR" and "PutObject" in record.exc_text
    if status == 429:
        assert int(response["Retry-After"]) >= 1
    if status == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")


METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _wrong_methods():
    from transcoder.api.schema.paths import PATHS

    for path, item in PATHS.items():
        allowed = {m.upper() for m in item if m != "parameters"}
        allowed |= {"HEAD"} if "GET" in allowed else set()
        for method in sorted(set(METHODS) - allowed):
            yield pytest.param(path, method, allowed, id=f"{method} {path}")


@pytest.mark.parametrize(("path", "method", "allowed"), list(_wrong_methods()))
def test_a_method_a_path_does_not_take_is_a_json_405(client, path, method, allowed):
    """Each method the schema does not give a path answers a JSON 405 whose
    Allow header lists exactly the methods the schema gives it."""
    w = World(client)
    response = w.call(method, _sample(path, w), {"k": 1})
    _check_shape(response, 405, None)
    assert set(response["Allow"].split(", ")) == allowed
    assert Asset.objects.get(pk=w.asset.pk).title == "Kept"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/api/nothing-here/", 404), ("POST", "/api/schema/", 405)],
)
def test_answers_outside_the_operations_have_the_same_shape(
    client, method, path, status
):
    """An unknown path under /api/ and a wrong method on the schema itself
    answer the same JSON error shape, never cached."""
    _check_shape(client.generic(method, path), status, None)


@pytest.mark.parametrize("purpose", ["collection", "replace"])
def test_after_a_storage_fault_the_same_key_goes_through(client, faulty_s3, purpose):
    """A 500 from S3 during finalize or replace keeps the upload: calling again
    with the same key makes the image (or replaces the file) and then drops it."""
    w = World(client)
    w.s3 = faulty_s3
    value = w.coll.pk if purpose == "collection" else str(w.asset.pk)
    path = "/api/uploads/finalize/" if purpose == "collection" else ASSET + "replace/"
    key = w.key(NEW, **{purpose: value})
    faulty_s3.fail("PutObject", storage="default")
    assert w.call("POST", path.format(w=w), {"key": key}).status_code == 500
    retry = w.call("POST", path.format(w=w), {"key": key})
    assert retry.status_code in (200, 201), retry.content
    assert w.s3.keys("uploads/") == []
    if purpose == "replace":
        assert AssetVersion.objects.filter(asset=w.asset).count() == 1
    else:
        assert Asset.objects.filter(upload_key=key, collection=w.coll).exists()
