"""Rows of the door table: the admins of API tokens and of publishable keys,
where each editor has their own."""

from types import SimpleNamespace

from django.urls import reverse

from tests.doors import TOKEN_OWNERS, Probe, Row, contains, redirects_to
from tests.personas import REACH, SECRETS
from transcoder.models import ApiToken, PublishableKey


def _get(url):
    return lambda c: c.get(url())


def _token_rows():
    def created(c, response):
        token = ApiToken.objects.get(name="Door token")
        assert token.created_by == c.user and token.scope_read

    def form(c, **extra):
        return {"name": "Door token", "active": "on", "scope_read": "on", **extra}

    return _owned_rows(ApiToken, lambda c: c.target_token, form, created)


_MISSING = SimpleNamespace(pk=987654)


def _publishable_rows():
    def created(c, response):
        key = PublishableKey.objects.get(name="Door token")
        assert key.created_by == c.user and key.collections.exists()

    def form(c, **extra):
        # A collection the persona's creator may view: the target's, or the
        # first the persona sees (a new key is the persona's own).
        target = c.target if c.target in ("A", "B") else None
        seen = target or sorted(REACH[c.persona].get("view", {"A"}))[0]
        return {
            "name": "Door token",
            "allowed_origins": "https://door.example",
            "collections": [c.world.coll[seen].pk],
            **extra,
        }

    return _owned_rows(
        PublishableKey,
        lambda c: c.world.publishable.get(c.target, _MISSING),
        form,
        created,
    )


def _owned_rows(model, target, form, created):
    """The six pages of a ModelAdmin whose objects belong to who made them."""
    name = f"admin:transcoder_{model._meta.model_name}_"

    def url(view, c):
        return reverse(name + view, args=[target(c).pk])

    def saved(c, response):
        assert model.objects.get(pk=target(c).pk).name == "Renamed door token"

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
                    lambda c: c.post(reverse(name + "add"), form(c)),
                    "token_admin",
                    created,
                    (None,),
                    # The token's key is shown once; a key's page lists it.
                    status=(200,) if model is ApiToken else (302,),
                    method="POST",
                ),
            ],
        ),
        Row(
            f"/admin/transcoder/{model._meta.model_name}/<path:object_id>/",
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
                    lambda c: c.post(
                        url("change", c), form(c, name="Renamed door token")
                    ),
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
                    lambda c, r: not model.objects.filter(pk=target(c).pk).exists(),
                    status=(302,),
                    method="POST",
                ),
            ],
        ),
    ]


TOKEN_ROWS = _token_rows() + _publishable_rows()
