"""API tokens act as their creator, through the policy, on every use.

A token reaches what its creator may reach now: it stops when the creator is
deleted, deactivated or demoted (401), or loses the permission behind a scope
(403). Personas are in ``tests/token_personas.py``.
"""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests import token_personas
from tests.token_personas import auth, group, issue, staff
from transcoder.models import ApiToken, Asset
from transcoder.services.access import tokens

pytestmark = pytest.mark.django_db
world = token_personas.world  # the personas fixture


# --- making a token: its scopes against the creator, through the policy ----


@pytest.mark.parametrize(
    ("who", "scopes", "refused"),
    [
        ("editor_a", ("read",), None),
        ("editor_a", ("read", "write"), None),
        ("uploader", ("write",), None),
        ("superuser", ("read", "write"), None),
        ("uploader", ("read",), "read scope needs a creator who may view"),
        ("nobody", ("read",), "read scope needs a creator who may view"),
        ("nobody", ("write",), "write scope needs a creator who may add, change"),
        ("demoted", ("read",), "read scope needs a creator who may view"),
    ],
)
def test_scopes_are_checked_against_the_creator(world, who, scopes, refused):
    """A collection editor may make read and write tokens; nobody gets more."""
    if who == "nobody":
        world.users[who] = staff("nobody")
    elif who == "demoted":
        world.users[who] = world.users["editor_a"]
        User.objects.filter(username="editor_a").update(is_staff=False)
        world.users[who].refresh_from_db()
    if refused is None:
        key = issue(world, who, *scopes)
        token = ApiToken.objects.get()
        assert token.created_by == world.users[who] and key.startswith(token.prefix)
    else:
        with pytest.raises(tokens.TokenScopeError, match=refused):
            issue(world, who, *scopes)
        assert not ApiToken.objects.exists()


# --- using a token: the creator is asked again on every call --------------


def _deactivate(world, user):
    user.is_active = False
    user.save()


def _demote(world, user):
    user.is_staff = False
    user.save()


def _delete(world, user):
    user.delete()


def _lose_groups(world, user):
    user.groups.clear()


def _view_only(world, user):
    user.groups.set([group("A viewers", world.alpha, "view")])


TOKENS = {
    # name: (creator, scopes, what happens to the creator after the token is made)
    "a_read": ("editor_a", ("read",), None),
    "a_write": ("editor_a", ("read", "write"), None),
    "b_write": ("editor_b", ("read", "write"), None),
    "uploader_write": ("uploader", ("write",), None),
    "superuser": ("superuser", ("read", "write"), None),
    "deactivated": ("editor_a", ("read", "write"), _deactivate),
    "demoted": ("editor_a", ("read", "write"), _demote),
    "deleted": ("editor_a", ("read", "write"), _delete),
    "lost_groups": ("editor_a", ("read", "write"), _lose_groups),
    "view_only_now": ("editor_a", ("read", "write"), _view_only),
}

OPS = {
    "list": ("get", "/api/assets/", None),
    "detail_b": ("get", "/api/assets/{b}/", None),
    "patch_a": ("patch", "/api/assets/{a}/", {"title": "Changed"}),
    "patch_b": ("patch", "/api/assets/{b}/", {"title": "Changed"}),
    "delete_a": ("delete", "/api/assets/{a}/", None),
    "delete_b": ("delete", "/api/assets/{b}/", None),
    # An upload names its collection (Alpha); the key then carries it.
    "upload": ("post", "/api/uploads/", {"content_type": "image/jpeg"}),
    "upload_default": ("post", "/api/uploads/", {"content_type": "image/jpeg"}),
}

GONE = "This token no longer works: the account that made it was removed"
NO_VIEW = "creator may no longer view images in any collection"
NO_WRITE = "creator may no longer add, change or delete images in any collection"

CASES = [
    ("a_read", "list", 200, {"a photo"}),
    ("b_write", "list", 200, {"b photo"}),
    ("superuser", "list", 200, {"a photo", "b photo"}),
    ("a_read", "detail_b", 404, "There is no image with this id."),
    ("a_read", "patch_a", 403, "does not have the write scope"),
    ("a_read", "delete_a", 403, "does not have the write scope"),
    ("a_read", "upload", 403, "does not have the write scope"),
    ("a_write", "patch_a", 200, None),
    ("a_write", "delete_a", 204, None),
    ("a_write", "patch_b", 404, "There is no image with this id."),
    ("a_write", "delete_b", 404, "There is no image with this id."),
    ("b_write", "patch_a", 404, "There is no image with this id."),
    ("uploader_write", "list", 403, "does not have the read scope"),
    ("uploader_write", "patch_a", 404, "There is no image with this id."),
    ("uploader_write", "upload", 201, None),
    ("uploader_write", "upload_default", 403, "may not add to the default collection"),
    ("superuser", "patch_b", 200, None),
    *[
        (dead, op, 401, GONE)
        for dead in ("deactivated", "demoted", "deleted")
        for op in ("list", "patch_a", "delete_a", "upload")
    ],
    ("lost_groups", "list", 403, NO_VIEW),
    ("lost_groups", "patch_a", 403, NO_WRITE),
    ("lost_groups", "delete_a", 403, NO_WRITE),
    ("lost_groups", "upload", 403, NO_WRITE),
    ("view_only_now", "list", 200, {"a photo"}),
    ("view_only_now", "patch_a", 403, NO_WRITE),
    ("view_only_now", "delete_a", 403, NO_WRITE),
]


def _rows():
    return sorted(Asset.objects.values_list("pk", "title", "collection_id"))


@pytest.mark.parametrize(("token", "op", "status", "expected"), CASES)
def test_a_token_reaches_what_its_creator_may_now(world, token, op, status, expected):
    """Each call asks the policy for the creator's reach; refusals change nothing."""
    creator, scopes, then = TOKENS[token]
    key = issue(world, creator, *scopes)
    if then is not None:
        then(world, world.users[creator])
    before = _rows()
    method, path, body = OPS[op]
    path = path.format(a=world.assets["a"].pk, b=world.assets["b"].pk)
    if op == "upload":
        body = {**body, "collection": world.alpha.pk}
    extra = {"content_type": "application/json"} if body is not None else {}
    response = getattr(Client(), method)(path, body, headers=auth(key), **extra)
    assert response.status_code == status, response.content
    after = _rows()
    if isinstance(expected, set):
        data = response.json()
        assert {a["title"] for a in data["results"]} == expected
        assert data["count"] == len(expected)
    elif isinstance(expected, str):
        assert expected in response.json()["error"]
        assert response.json()["status"] == status
    if status == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")
    target = world.assets[op[-1]].pk if op[-1] in "ab" else None
    if status == 200 and op.startswith("patch"):
        assert response.json()["title"] == "Changed"
        assert Asset.objects.get(pk=target).title == "Changed"
        assert len(after) == len(before)
    elif status == 204:
        assert not Asset.objects.filter(pk=target).exists()
        assert [r for r in before if r[0] != target] == after
    else:
        assert after == before
    if status == 401 or (status == 403 and op != "upload_default"):
        # Refused at the door (creator, scope): the token was not used.
        assert ApiToken.objects.get().last_used_at is None


@pytest.mark.parametrize("who", ["superuser", "editor_a"])
def test_the_creator_comes_with_the_token(world, who, django_assert_max_num_queries):
    """The creator is read in the token's own query, never loaded again."""
    key = issue(world, who, "read", "write")
    client = Client()
    url = f"/api/assets/{world.assets['a'].pk}/"
    # The token, its creator, the image, the change log and its lock, status.
    with django_assert_max_num_queries(45) as captured:
        patch = client.patch(
            url, {"title": "x"}, content_type="application/json", headers=auth(key)
        )
    assert patch.status_code == 200
    sql = [q["sql"] for q in captured.captured_queries]
    assert not [q for q in sql if 'FROM "auth_user" ' in q]
    joined = [q for q in sql if 'JOIN "auth_user" ' in q]
    assert len(joined) == 1 and 'FROM "transcoder_apitoken"' in joined[0]
