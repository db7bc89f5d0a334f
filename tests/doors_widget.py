"""Rows of the door table: the upload widget's API and its moderation queue.

The widget's API takes no token: a public upload key and its origin decide,
whoever else the request claims to be. The queue shows each editor the
uploads of keys for collections they may add to and view.
"""

import uuid

from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.urls import reverse

from tests.doors import Probe, Row
from tests.personas import WIDGET_SITE, may, picture
from transcoder.models import Asset, WidgetUpload, WidgetUploadState
from transcoder.services.access import widget

QUEUE = "admin:transcoder_widgetupload_changelist"


def _moderates(persona, target):
    return may(persona, "add", target) and may(persona, "view", target)


def _upload_id(c):
    upload = c.world.widget_upload.get(c.target)
    return upload.pk if upload else uuid.uuid4()


def _lists_what_it_moderates(c, response):
    body = c.body(response)
    for t in ("A", "B"):
        assert (f"widget-{t}.jpg" in body) == _moderates(c.persona, t), t


def _approved(c, response):
    upload = WidgetUpload.objects.get(pk=_upload_id(c))
    assert upload.state == WidgetUploadState.APPROVED
    assert Asset.objects.filter(pk=upload.asset_id, collection=c.coll).exists()


WIDGET_ADMIN_ROWS = [
    Row(
        QUEUE,
        [
            Probe(
                "get",
                lambda c: c.get(reverse(QUEUE)),
                "add_any",
                _lists_what_it_moderates,
                (None,),
            ),
            Probe(
                "approve",
                lambda c: c.post(
                    reverse(QUEUE), {"selected": [_upload_id(c)], "decision": "approve"}
                ),
                _moderates,
                _approved,
                status=(302,),
                method="POST",
                # The form of a queue without this upload: shown again, unchanged.
                also_refused=(200,),
            ),
        ],
    ),
    Row(
        "admin:transcoder_widgetupload_preview",
        [
            Probe(
                "get",
                lambda c: c.get(
                    reverse(
                        "admin:transcoder_widgetupload_preview", args=[_upload_id(c)]
                    )
                ),
                _moderates,
                lambda c, r: c.raw(r)[:3] == b"\xff\xd8\xff",
            )
        ],
    ),
]


def _key(c):
    widget_key = c.world.widget_key.get(c.target)
    return widget_key.key if widget_key else "uk_missing"


def _from_site(c, origin=WIDGET_SITE):
    c.headers = {**c.headers, "Origin": origin}
    return c


def _ask_body(c):
    return {"key": _key(c), "content_type": "image/jpeg", "size": 5000}


def _asked(c):
    upload = widget.widget_upload_ask(
        widget_key=c.world.widget_key[c.target],
        filename="door.jpg",
        content_type="image/jpeg",
        size=5000,
    )
    signed = signing.dumps({"u": upload.pk.hex}, salt="mediahub.widget-upload")
    return {"id": upload.pk, "key": upload.key, "signed": signed}


def _sent(c):
    prepared = _asked(c)
    storages["default"].save(prepared["key"], ContentFile(picture(c.seed(46))))
    return prepared


WIDGET_API_ROWS = [
    Row(
        "POST /api/widget/uploads/",
        [
            Probe(
                "ask",
                lambda c: _from_site(c).send(
                    "post", "/api/widget/uploads/", _ask_body(c)
                ),
                "public",
                lambda c, r: WidgetUpload.objects.filter(
                    pk=r.json()["id"], widget_key=c.world.widget_key[c.target]
                ).exists(),
                status=(201,),
            ),
            Probe(
                "other origin",
                lambda c: _from_site(c, "https://elsewhere.example").send(
                    "post", "/api/widget/uploads/", _ask_body(c)
                ),
                "nobody",
            ),
        ],
    ),
    Row(
        "PUT /api/widget/uploads/content/{signed}/",
        [
            Probe(
                "put",
                lambda c: _from_site(c).put_bytes(
                    f"/api/widget/uploads/content/{c.prepared['signed']}/"
                ),
                "public",
                lambda c, r: storages["default"].exists(c.prepared["key"]),
                status=(201,),
                prepare=_asked,
            )
        ],
    ),
    Row(
        "POST /api/widget/uploads/finalize/",
        [
            Probe(
                "finalize",
                lambda c: _from_site(c).send(
                    "post",
                    "/api/widget/uploads/finalize/",
                    {"key": _key(c), "id": str(c.prepared["id"])},
                ),
                "public",
                lambda c, r: (
                    WidgetUpload.objects.get(pk=c.prepared["id"]).state
                    == WidgetUploadState.PENDING
                ),
                status=(200,),
                prepare=_sent,
            )
        ],
    ),
    Row(
        "GET /api/widget/uploads/{upload_id}/",
        [
            Probe(
                "get",
                lambda c: _from_site(c).get(
                    f"/api/widget/uploads/{_upload_id(c)}/?key={_key(c)}"
                ),
                "public",
                lambda c, r: r.json()["status"] == "pending",
            )
        ],
    ),
]
