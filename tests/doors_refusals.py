"""Rows of the door table: refused uploads, seen by who may add and view there."""

from django.urls import reverse

from tests.doors import Probe, Row, redirects_to
from tests.personas import SECRETS, may

NAME = "admin:transcoder_uploadrefusal_"
MISSING = 987654


def refused_filename(target):
    """Return the file name the door library's refusal of ``target`` records."""
    return f"refused-{SECRETS[target]['filename']}"


def _url(view, c):
    refusal = c.world.refusal.get(c.target)
    return reverse(NAME + view, args=[refusal.pk if refusal else MISSING])


def _sees(persona, target):
    """Refusals of a collection show to who may add and view there."""
    return may(persona, "add", target) and may(persona, "view", target)


def _shows_own(c, response):
    assert refused_filename(c.target) in c.body(response)


def _lists_where_it_may_add(c, response):
    body = c.body(response)
    for t in ("A", "B"):
        assert (refused_filename(t) in body) == _sees(c.persona, t), t


def _refusal_rows():
    return [
        Row(
            NAME + "changelist",
            [
                Probe(
                    "get",
                    lambda c: c.get(reverse(NAME + "changelist")),
                    "add_any",
                    _lists_where_it_may_add,
                    (None,),
                )
            ],
        ),
        Row(
            NAME + "add",
            [Probe("get", lambda c: c.get(reverse(NAME + "add")), "nobody")],
        ),
        Row(
            "/admin/transcoder/uploadrefusal/<path:object_id>/",
            [
                Probe(
                    "get",
                    lambda c: c.get(reverse(NAME + "changelist") + "1/"),
                    "staff",
                    redirects_to("/1/change/"),
                    (None,),
                    status=(301, 302),
                )
            ],
        ),
        Row(
            NAME + "change",
            [Probe("get", lambda c: c.get(_url("change", c)), _sees, _shows_own)],
        ),
        Row(
            NAME + "history",
            [Probe("get", lambda c: c.get(_url("history", c)), _sees, _shows_own)],
        ),
        Row(
            NAME + "delete",
            [
                Probe("confirm", lambda c: c.get(_url("delete", c)), "nobody"),
                Probe(
                    "post",
                    lambda c: c.post(_url("delete", c), {"post": "yes"}),
                    "nobody",
                    method="POST",
                ),
            ],
        ),
    ]


REFUSAL_ROWS = _refusal_rows()
