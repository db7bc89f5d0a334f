"""Rows of the door table: the API-token admin, where each editor has their own."""

from django.urls import reverse

from tests.doors import TOKEN_OWNERS, Probe, Row, contains, redirects_to
from tests.personas import SECRETS
from transcoder.models import ApiToken


def _get(url):
    return lambda c: c.get(url())


def _token_rows():
    name = "admin:transcoder_apitoken_"

    def url(view, c):
        return reverse(name + view, args=[c.target_token.pk])

    def created(c, response):
        token = ApiToken.objects.get(name="Door token")
        assert token.created_by == c.user and token.scope_read

    def saved(c, response):
        assert ApiToken.objects.get(pk=c.target_token.pk).name == "Renamed door token"

    def form(**extra):
        return {"name": "Door token", "active": "on", "scope_read": "on", **extra}

    def token_name(c, response):
        assert SECRETS[c.target]["token"] in c.body(response)

    return [
        Row(
            name + "changelist",
            [
                Probe(
                    "get",
                    _get(lambda: reverse(name + "changelist")),
                    "token_admin",
                    targets=(None,),
                    shown=lambda p: set(),
                    ok=lambda c, r: [
                        contains(SECRETS[t]["token"])(c, r)
                        for t in TOKEN_OWNERS[c.persona]
                    ],
                )
            ],
        ),
        Row(
            name + "add",
            [
                Probe(
                    "form",
                    _get(lambda: reverse(name + "add")),
                    "token_admin",
                    targets=(None,),
                ),
                Probe(
                    "create",
                    lambda c: c.post(reverse(name + "add"), form()),
                    "token_admin",
                    created,
                    (None,),
                    method="POST",
                ),
            ],
        ),
        Row(
            "/admin/transcoder/apitoken/<path:object_id>/",
            [
                Probe(
                    "get",
                    lambda c: c.get(reverse(name + "changelist") + "1/"),
                    "staff",
                    redirects_to("/1/change/"),
                    (None,),
                    status=(301, 302),
                )
            ],
        ),
        Row(
            name + "change",
            [
                Probe("form", lambda c: c.get(url("change", c)), "owner", token_name),
                Probe(
                    "save",
                    lambda c: c.post(url("change", c), form(name="Renamed door token")),
                    "owner",
                    saved,
                    status=(302,),
                    method="POST",
                ),
            ],
        ),
        Row(
            name + "history",
            [Probe("get", lambda c: c.get(url("history", c)), "owner", token_name)],
        ),
        Row(
            name + "delete",
            [
                Probe(
                    "confirm", lambda c: c.get(url("delete", c)), "owner", token_name
                ),
                Probe(
                    "post",
                    lambda c: c.post(url("delete", c), {"post": "yes"}),
                    "owner",
                    lambda c, r: (
                        not ApiToken.objects.filter(pk=c.target_token.pk).exists()
                    ),
                    status=(302,),
                    method="POST",
                ),
            ],
        ),
    ]


TOKEN_ROWS = _token_rows()
