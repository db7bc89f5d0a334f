"""The API token admin: each user manages only their own tokens.

A collection editor makes a usable token; an editor's list, change, delete
and actions reach only their tokens (a superuser's reach all), and revoking
is final for everyone. Personas are in ``tests/token_personas.py``.
"""

from types import SimpleNamespace

import pytest
from django.test import Client

from tests import token_personas
from tests.token_personas import auth, issue
from transcoder.admin.integrations.keys import ApiTokenForm
from transcoder.models import ApiToken
from transcoder.services.access import tokens

pytestmark = pytest.mark.django_db
world = token_personas.world  # the personas fixture


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
    listed = Client().get("/api/assets/", headers=auth(key)).json()
    assert [a["title"] for a in listed["results"]] == ["a photo"]


# --- the token admin: your own tokens only; revoking is final --------------


@pytest.fixture
def owned(world):
    """One token each for Alpha's editor, Beta's editor and the superuser."""
    keys = {
        who: issue(world, who, "read", name=f"{who} site")
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
    api = Client().get("/api/assets/", headers=auth(owned.keys[victim]))
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
    api = Client().get("/api/assets/", headers=auth(owned.keys["editor_a"]))
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
    issue(world, "uploader", "write", name="drop box")
    token = ApiToken.objects.get()
    response = _login(world, "superuser").post(
        f"/admin/transcoder/apitoken/{token.pk}/change/",
        {"name": "drop box", "active": "on", "scope_read": "on", "scope_write": "on"},
    )
    assert response.status_code == 200
    assert "uploader may not" in response.content.decode()
    token.refresh_from_db()
    assert token.scopes == ["write"]


def test_your_own_token_can_be_deleted(world, owned):
    """Deleting one's own token removes it, and its key answers 401."""
    client = _login(world, "editor_a")
    pk = owned.rows["editor_a"].pk
    response = client.post(f"/admin/transcoder/apitoken/{pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not ApiToken.objects.filter(pk=pk).exists()
    assert ApiToken.objects.count() == 2
    api = Client().get("/api/assets/", headers=auth(owned.keys["editor_a"]))
    assert api.status_code == 401
