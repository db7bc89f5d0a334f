"""API tokens act as their creator, through the policy, on every use.

Personas: a superuser, an editor of collection Alpha, an editor of Beta and
an add-only uploader of Alpha, all staff. A token reaches what its creator
may reach now: it stops when the creator is deleted, deactivated or demoted
(401), or loses the permission behind a scope (403). In the admin each user
sees and manages only their own tokens, and revoking one is final.
"""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client

from transcoder import services
from transcoder.admin_keys import ApiTokenForm
from transcoder.models import (
    ApiToken,
    Asset,
    GroupCollectionPermission,
    root_collection,
)
from transcoder.services import tokens

pytestmark = pytest.mark.django_db

ACTIONS = ("view", "add", "change", "delete")
TOKEN_ADMIN = ["add_apitoken", "change_apitoken", "view_apitoken", "delete_apitoken"]


def _group(name, collection, *actions):
    group = Group.objects.create(name=name)
    for action in actions:
        GroupCollectionPermission.objects.create(
            group=group,
            collection=collection,
            permission=Permission.objects.get(
                content_type__app_label="transcoder", codename=f"{action}_asset"
            ),
        )
    return group


def _staff(username, *groups):
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.groups.set(groups)
    return user


@pytest.fixture
def world(presets, jpeg):
    """Root > Alpha, Root > Beta, one photo in each, and the four personas."""
    root = root_collection()
    alpha = services.collection_create(parent=root, name="Alpha")
    beta = services.collection_create(parent=root, name="Beta")
    makers = Group.objects.create(name="Token makers")
    makers.permissions.set(Permission.objects.filter(codename__in=TOKEN_ADMIN))
    users = {
        "superuser": User.objects.create_superuser("super", password="pw"),
        "editor_a": _staff("editor_a", makers, _group("A eds", alpha, *ACTIONS)),
        "editor_b": _staff("editor_b", makers, _group("B eds", beta, *ACTIONS)),
        "uploader": _staff("uploader", makers, _group("A up", alpha, "add")),
    }
    assets = {
        name: services.asset_create(
            content=jpeg,
            filename=f"{name}.jpg",
            title=f"{name} photo",
            collection=collection,
            allow_duplicate=True,
        )
        for name, collection in [("a", alpha), ("b", beta)]
    }
    return SimpleNamespace(alpha=alpha, beta=beta, users=users, assets=assets)


def _issue(world, who, *scopes, name="t"):
    token = ApiToken(
        name=name, scope_read="read" in scopes, scope_write="write" in scopes
    )
    return services.api_token_issue(token=token, user=world.users[who])


def _auth(key):
    return {"Authorization": f"Bearer {key}"}


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
        world.users[who] = _staff("nobody")
    elif who == "demoted":
        world.users[who] = world.users["editor_a"]
        User.objects.filter(username="editor_a").update(is_staff=False)
        world.users[who].refresh_from_db()
    if refused is None:
        key = _issue(world, who, *scopes)
        token = ApiToken.objects.get()
        assert token.created_by == world.users[who] and key.startswith(token.prefix)
    else:
        with pytest.raises(tokens.TokenScopeError, match=refused):
            _issue(world, who, *scopes)
        assert not ApiToken.objects.exists()


def test_a_collection_editor_makes_a_usable_token_in_the_admin(world):
    """Through the admin form, Alpha's editor gets a read-write key for Alpha."""
    client = Client()
    client.force_login(world.users["editor_a"])
    form = client.get("/admin/transcoder/apitoken/add/").content.decode()
    assert 'name="scope_write"' in form and 'name="active"' not in form
    response = client.post(
        "/admin/transcoder/apitoken/add/",
        {"name": "site", "active": "on", "scope_read": "on", "scope_write": "on"},
    )
    assert response.status_code == 200, response.content
    html = response.content.decode()
    key = html.split('id="api-token-key"')[1].split(">", 1)[1].split("<", 1)[0]
    token = ApiToken.objects.get()
    assert token.created_by == world.users["editor_a"] and token.scopes == [
        "read",
        "write",
    ]
    listed = Client().get("/api/assets/", headers=_auth(key)).json()
    assert [a["title"] for a in listed["results"]] == ["a photo"]


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
    user.groups.set([_group("A viewers", world.alpha, "view")])


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
    "upload": ("post", "/api/uploads/", {"content_type": "image/jpeg"}),
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
    key = _issue(world, creator, *scopes)
    if then is not None:
        then(world, world.users[creator])
    before = _rows()
    method, path, body = OPS[op]
    path = path.format(a=world.assets["a"].pk, b=world.assets["b"].pk)
    extra = {"content_type": "application/json"} if body is not None else {}
    response = getattr(Client(), method)(path, body, headers=_auth(key), **extra)
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
    if status in (401, 403):
        assert ApiToken.objects.get().last_used_at is None


@pytest.mark.parametrize("who", ["superuser", "editor_a"])
def test_the_creator_comes_with_the_token(world, who, django_assert_max_num_queries):
    """The creator is read in the token's own query, never loaded again."""
    key = _issue(world, who, "read", "write")
    client = Client()
    url = f"/api/assets/{world.assets['a'].pk}/"
    with django_assert_max_num_queries(30) as captured:
        patch = client.patch(
            url, {"title": "x"}, content_type="application/json", headers=_auth(key)
        )
    assert patch.status_code == 200
    sql = [q["sql"] for q in captured.captured_queries]
    assert not [q for q in sql if 'FROM "auth_user" ' in q]
    joined = [q for q in sql if 'JOIN "auth_user" ' in q]
    assert len(joined) == 1 and 'FROM "transcoder_apitoken"' in joined[0]


# --- the token admin: your own tokens only; revoking is final --------------


@pytest.fixture
def owned(world):
    """One token each for Alpha's editor, Beta's editor and the superuser."""
    keys = {
        who: _issue(world, who, "read", name=f"{who} site")
        for who in ("editor_a", "editor_b", "superuser")
    }
    rows = {who: ApiToken.objects.get(name=f"{who} site") for who in keys}
    return SimpleNamespace(keys=keys, rows=rows)


def _login(world, who):
    client = Client()
    client.force_login(world.users[who])
    return client


def _snapshot():
    return sorted(
        ApiToken.objects.values_list(
            "pk", "name", "active", "scope_read", "scope_write", "created_by"
        )
    )


@pytest.mark.parametrize(
    ("who", "shown"),
    [
        ("editor_a", {"editor_a site"}),
        ("editor_b", {"editor_b site"}),
        ("superuser", {"editor_a site", "editor_b site", "superuser site"}),
    ],
)
def test_the_token_list_shows_your_own_tokens(world, owned, who, shown):
    """An editor's changelist lists only their tokens; a superuser's, all."""
    html = _login(world, who).get("/admin/transcoder/apitoken/").content.decode()
    for name in ("editor_a site", "editor_b site", "superuser site"):
        assert (name in html) == (name in shown), name


@pytest.mark.parametrize("victim", ["editor_b", "superuser"])
@pytest.mark.parametrize(
    ("how", "status"),
    [
        ("view", 404),
        ("change", 404),
        ("delete", 404),
        ("revoke", 403),
        ("delete_selected", 403),
        ("revoke_mixed", 403),
    ],
)
def test_another_users_token_cannot_be_touched(world, owned, victim, how, status):
    """Alpha's editor cannot see, change, delete or revoke someone else's token."""
    client = _login(world, "editor_a")
    pk = owned.rows[victim].pk
    before = _snapshot()
    url = f"/admin/transcoder/apitoken/{pk}/"
    if how == "view":
        response = client.get(f"{url}change/")
    elif how == "change":
        response = client.post(
            f"{url}change/",
            {"name": "stolen", "scope_read": "on", "scope_write": "on"},
        )
    elif how == "delete":
        response = client.post(f"{url}delete/", {"post": "yes"})
    elif how == "revoke_mixed":  # one's own token does not carry another's
        response = client.post(
            "/admin/transcoder/apitoken/",
            {"action": "revoke", "_selected_action": [owned.rows["editor_a"].pk, pk]},
        )
    else:
        response = client.post(
            "/admin/transcoder/apitoken/",
            {"action": how, "_selected_action": [pk], "post": "yes"},
        )
    assert response.status_code == status
    assert _snapshot() == before
    api = Client().get("/api/assets/", headers=_auth(owned.keys[victim]))
    assert api.status_code == 200


@pytest.mark.parametrize("how", ["save", "revoke"])
def test_the_services_refuse_another_users_token(world, owned, how):
    """Behind the admin, the services check the owner too."""
    token = owned.rows["editor_b"]
    token.scope_write = True
    before = _snapshot()
    call = tokens.api_token_save if how == "save" else tokens.api_token_revoke
    with pytest.raises(tokens.TokenOwnerError, match="API tokens you made"):
        call(token=token, user=world.users["editor_a"])
    assert _snapshot() == before


@pytest.mark.parametrize("who", ["editor_a", "superuser"])
@pytest.mark.parametrize("how", ["action", "untick"])
def test_revoking_is_final(world, owned, who, how):
    """A revoked token stays revoked for everyone, and its key answers 401."""
    client = _login(world, who)
    token = owned.rows["editor_a"]
    url = f"/admin/transcoder/apitoken/{token.pk}/change/"
    if how == "action":
        client.post(
            "/admin/transcoder/apitoken/",
            {"action": "revoke", "_selected_action": [token.pk]},
        )
    else:
        client.post(url, {"name": "editor_a site", "scope_read": "on"})
    token.refresh_from_db()
    assert not token.active
    page = client.get(url).content.decode()
    assert "editor_a site" in page and 'name="active"' not in page
    assert 'name="_save"' not in page  # shown read-only
    again = client.post(url, {"name": "back", "active": "on", "scope_read": "on"})
    assert again.status_code == 403
    token.refresh_from_db()
    assert not token.active and token.name == "editor_a site"
    form = ApiTokenForm(
        instance=token, data={"name": "back", "active": "on", "scope_read": "on"}
    )
    assert not form.is_valid()
    assert "revoking is final" in str(form.non_field_errors())
    token.active = True
    with pytest.raises(tokens.TokenRevokedError, match="revoking is final"):
        tokens.api_token_save(token=token, user=world.users["superuser"])
    assert not ApiToken.objects.get(pk=token.pk).active
    api = Client().get("/api/assets/", headers=_auth(owned.keys["editor_a"]))
    assert api.status_code == 401
    assert api.json() == {"error": "A valid API token is required.", "status": 401}


def test_your_own_token_keeps_its_creator_when_edited(world, owned):
    """An edit changes the name and scopes, never who the token acts as."""
    client = _login(world, "editor_a")
    token = owned.rows["editor_a"]
    page = client.get(f"/admin/transcoder/apitoken/{token.pk}/change/")
    html = page.content.decode()
    assert 'name="active"' in html and 'name="_save"' in html
    assert 'name="created_by"' not in html and "editor_a" in html
    response = client.post(
        f"/admin/transcoder/apitoken/{token.pk}/change/",
        {
            "name": "renamed",
            "active": "on",
            "scope_read": "on",
            "scope_write": "on",
            "created_by": world.users["superuser"].pk,
        },
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.name == "renamed" and token.scopes == ["read", "write"]
    assert token.created_by == world.users["editor_a"]


def test_a_superuser_edit_is_checked_against_the_creator(world):
    """Adding read to an uploader's token is refused: the uploader may not view."""
    _issue(world, "uploader", "write", name="drop box")
    token = ApiToken.objects.get()
    response = _login(world, "superuser").post(
        f"/admin/transcoder/apitoken/{token.pk}/change/",
        {"name": "drop box", "active": "on", "scope_read": "on", "scope_write": "on"},
    )
    assert response.status_code == 200
    assert "uploader may not" in response.content.decode()
    token.refresh_from_db()
    assert token.scopes == ["write"]
