"""Rows of tests/test_api_errors.py for the upload widget's operations.

Each provokes one documented error status for real, from an allowed origin
unless the row is about the key or origin.
"""

import json
import uuid

from django.core import signing

from tests.images import make_image
from transcoder.conf import setting
from transcoder.models import UploadWidgetKey
from transcoder.services.access import widget

SITE = "https://errors-site.example"
ASK = "POST /api/widget/uploads/"
CONTENT = "PUT /api/widget/uploads/content/{signed}/"
FINALIZE = "POST /api/widget/uploads/finalize/"
STATUS = "GET /api/widget/uploads/{upload_id}/"
JPEG = make_image("JPEG", size=(40, 30))


def _key(w, **scope):
    return widget.widget_key_issue(
        widget_key=UploadWidgetKey(
            name="errors", allowed_origins=SITE, collection=w.coll, **scope
        ),
        created_by=w.boss,
    )


def _call(w, method, path, body=None, *, raw=None, content_type="application/json"):
    data = raw if raw is not None else (json.dumps(body) if body is not None else "")
    return w.client.generic(
        method, path, data, content_type=content_type, headers={"Origin": SITE}
    )


def _ask_body(widget_key, **extra):
    return {
        "key": widget_key.key,
        "content_type": "image/jpeg",
        "size": len(JPEG),
        **extra,
    }


def _asked(w, **scope):
    widget_key = _key(w, **scope)
    answer = _call(w, "POST", "/api/widget/uploads/", _ask_body(widget_key))
    assert answer.status_code == 201, answer.content
    return widget_key, answer.json()


def _put(w, url, data=JPEG):
    return _call(w, "PUT", url, raw=data, content_type="image/jpeg")


def _big(w):
    return {"key": "x" * (setting("ANONYMOUS_BODY_BYTES") + 1)}


def _revoked_put(w):
    widget_key, answer = _asked(w)
    widget.widget_key_revoke(widget_key=widget_key)
    return _put(w, answer["url"])


def _twice(w):
    _, answer = _asked(w)
    assert _put(w, answer["url"]).status_code == 201
    return _put(w, answer["url"])


def _too_large(w):
    _, answer = _asked(w)
    UploadWidgetKey.objects.update(max_bytes=len(JPEG) - 1)
    return _put(w, answer["url"])


def _forged(w):
    signed = signing.dumps({"u": uuid.uuid4().hex}, salt="other")
    return _put(w, f"/api/widget/uploads/content/{signed}/")


def _unsent(w):
    widget_key, answer = _asked(w)
    return _call(w, "POST", FIN_PATH, {"key": widget_key.key, "id": answer["id"]})


def _refused(w):
    """Send bytes that are no image, then finalize: refused, with the upload."""
    widget_key, answer = _asked(w)
    assert _put(w, answer["url"], b"\xff\xd8 not a JPEG").status_code == 201
    return _call(w, "POST", FIN_PATH, {"key": widget_key.key, "id": answer["id"]})


def _text(path):
    return lambda w: _call(w, "POST", path, raw="x", content_type="text/plain")


def _post(path, body):
    return lambda w: _call(w, "POST", path, body(w))


ASK_PATH, FIN_PATH = "/api/widget/uploads/", "/api/widget/uploads/finalize/"
ROWS = [
    (ASK, 400, _post(ASK_PATH, lambda w: _ask_body(_key(w), size="12"))),
    (ASK, 422, _post(ASK_PATH, lambda w: _ask_body(_key(w), content_type="text/x"))),
    (ASK, 403, _post(ASK_PATH, lambda w: {"key": "uk_nothing", "size": 1})),
    (ASK, 413, _post(ASK_PATH, _big)),
    (ASK, 415, _text(ASK_PATH)),
    (ASK, 429, _post(ASK_PATH, lambda w: _ask_body(_key(w, rate_per_hour=0)))),
    (CONTENT, 400, lambda w: _put(w, _asked(w)[1]["url"], b"")),
    (CONTENT, 403, _revoked_put),
    (CONTENT, 404, _forged),
    (CONTENT, 409, _twice),
    (CONTENT, 413, _too_large),
    (FINALIZE, 400, _post(FIN_PATH, lambda w: {"key": _key(w).key, "id": "x"})),
    (FINALIZE, 403, _post(FIN_PATH, lambda w: {"key": "uk_x", "id": "x"})),
    (
        FINALIZE,
        404,
        _post(FIN_PATH, lambda w: {"key": _key(w).key, "id": str(uuid.uuid4())}),
    ),
    (FINALIZE, 409, _unsent),
    (FINALIZE, 422, _refused),
    (FINALIZE, 413, _post(FIN_PATH, _big)),
    (FINALIZE, 415, _text(FIN_PATH)),
    (
        STATUS,
        403,
        lambda w: _call(w, "GET", f"/api/widget/uploads/{uuid.uuid4()}/?key=uk_x"),
    ),
    (
        STATUS,
        404,
        lambda w: _call(
            w, "GET", f"/api/widget/uploads/{uuid.uuid4()}/?key={_key(w).key}"
        ),
    ),
    (
        STATUS,
        400,
        lambda w: _call(
            w, "GET", f"/api/widget/uploads/{uuid.uuid4()}/?key={_key(w).key}&h=1"
        ),
    ),
]
