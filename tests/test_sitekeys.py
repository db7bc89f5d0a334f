"""Site keys on embed links, and the admin for keys and scoped API tokens."""

import pytest
from django.contrib.auth.models import Permission, User

from transcoder import services
from transcoder.models import ApiToken, SiteKey
from transcoder.services.access import sitekeys

pytestmark = pytest.mark.django_db

SITE = "https://shop.example"


@pytest.fixture
def asset(presets, jpeg, django_capture_on_commit_callbacks):
    """An asset whose renditions were built when its row was committed."""
    with django_capture_on_commit_callbacks(execute=True):
        return services.asset_create(content=jpeg, filename="a.jpg")


@pytest.fixture
def site_key():
    return sitekeys.site_key_issue(
        site_key=SiteKey(name="Shop", allowed_origins=f"{SITE}\nhttp://localhost:8000")
    )


def _embed(client, asset, key=None, **headers):
    query = f"?key={key}" if key else ""
    return client.get(f"/e/{asset.pk}/card/{query}", headers=headers)


def test_required_mode_refuses_anonymous_links(client, settings, asset, site_key):
    """MEDIAHUB_EMBED_KEYS=required: no key, 403; a good key, the redirect."""
    assert _embed(client, asset).status_code == 302
    settings.MEDIAHUB_EMBED_KEYS = "required"
    refused = _embed(client, asset)
    assert refused.status_code == 403 and b"site key" in refused.content
    ok = _embed(client, asset, site_key.key, Referer=f"{SITE}/products/1")
    assert ok.status_code == 302


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Referer": f"{SITE}/a/page?x=1"}, 302),
        ({"Origin": SITE}, 302),
        ({"Referer": "HTTPS://SHOP.EXAMPLE/"}, 302),
        ({"Referer": "http://localhost:8000/"}, 302),
        ({"Referer": "https://evil.example/"}, 403),
        ({"Referer": "https://shop.example.evil.example/"}, 403),
        ({"Referer": "http://shop.example/"}, 403),
        ({"Origin": "https://evil.example", "Referer": f"{SITE}/"}, 403),
        ({"Origin": "null"}, 403),
        ({}, 403),
    ],
)
def test_allowed_origins_are_checked(client, asset, site_key, headers, status):
    """A key with origins works only from them (Origin first, else Referer)."""
    assert _embed(client, asset, site_key.key, **headers).status_code == status


def test_a_key_without_origins_works_anywhere(client, asset):
    """Leaving the origins empty lets any site use the key."""
    key = sitekeys.site_key_issue(site_key=SiteKey(name="Any"))
    assert _embed(client, asset, key.key).status_code == 302
    assert _embed(client, asset, "sk_unknown").status_code == 403


def test_revoking_stops_new_redirects_at_once(client, asset, site_key):
    """After revoking, the link answers 403; a URL signed before still serves."""
    first = _embed(client, asset, site_key.key, Origin=SITE)
    assert first.status_code == 302
    assert first["Cache-Control"] == "private, no-cache"
    sitekeys.site_key_revoke(site_key=site_key)
    assert _embed(client, asset, site_key.key, Origin=SITE).status_code == 403
    assert client.get(first["Location"]).status_code == 200


def test_requests_are_counted_per_key(client, asset, site_key):
    """Each redirect adds one to its key's count; refusals count nothing."""
    for _ in range(3):
        _embed(client, asset, site_key.key, Origin=SITE)
    _embed(client, asset, site_key.key, Origin="https://evil.example")
    site_key.refresh_from_db()
    assert site_key.request_count == 3 and site_key.last_used_at


def test_admin_makes_and_revokes_site_keys(admin_client, asset):
    """The admin issues the key, checks origins and revokes with an action."""
    bad = admin_client.post(
        "/admin/transcoder/sitekey/add/",
        {"name": "Blog", "allowed_origins": "blog.example/path"},
    )
    assert bad.status_code == 200 and not SiteKey.objects.exists()
    admin_client.post(
        "/admin/transcoder/sitekey/add/",
        {"name": "Blog", "allowed_origins": "https://Blog.example/"},
    )
    key = SiteKey.objects.get()
    assert key.key.startswith("sk_") and key.origins == ["https://blog.example"]
    admin_client.post(
        "/admin/transcoder/sitekey/",
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    key.refresh_from_db()
    assert not key.active and key.revoked_at


# --- API tokens in the admin: scopes (finding 7), the key in the body (10) ----


def _staff(*codenames):
    user = User.objects.create_user("editor", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@pytest.mark.parametrize(
    ("perms", "scopes", "allowed"),
    [
        (["add_apitoken"], {"scope_read": "on"}, False),
        (["add_apitoken"], {}, True),
        (["add_apitoken", "view_asset"], {"scope_read": "on"}, True),
        (["add_apitoken", "view_asset"], {"scope_write": "on"}, False),
        # Changing implies viewing; each write call then asks for its own action.
        (
            ["add_apitoken", "change_asset"],
            {"scope_read": "on", "scope_write": "on"},
            True,
        ),
        (
            ["add_apitoken", "view_asset", "add_asset", "change_asset", "delete_asset"],
            {"scope_read": "on", "scope_write": "on"},
            True,
        ),
    ],
)
def test_only_users_who_could_do_it_get_a_scope(client, perms, scopes, allowed):
    """A token's scope needs its creator to hold the same through the policy."""
    client.force_login(_staff(*perms))
    response = client.post(
        "/admin/transcoder/apitoken/add/", {"name": "site", "active": "on", **scopes}
    )
    assert ApiToken.objects.exists() == allowed
    if not allowed:
        assert b"needs a creator who may" in response.content


def test_editing_a_token_cannot_add_a_scope_beyond_the_editor(client):
    """Changing a token is checked like making one."""
    user = _staff("add_apitoken", "change_apitoken", "view_apitoken")
    token = ApiToken(name="site", scope_read=False)
    services.api_token_issue(token=token, user=user)
    client.force_login(user)
    response = client.post(
        f"/admin/transcoder/apitoken/{token.pk}/change/",
        {"name": "site", "active": "on", "scope_read": "on"},
    )
    assert response.status_code == 200
    assert b"needs a creator who may view images" in response.content
    token.refresh_from_db()
    assert not token.scope_read


def test_new_key_is_shown_in_the_body_and_never_in_a_cookie(admin_client):
    """The key appears once in the response body; no cookie carries it."""
    response = admin_client.post(
        "/admin/transcoder/apitoken/add/",
        {"name": "site", "active": "on", "scope_read": "on"},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    key = html.split('id="api-token-key"')[1].split(">", 1)[1].split("<", 1)[0]
    token = ApiToken.objects.get()
    assert key.startswith(token.prefix) and len(key) > 40
    assert all(key not in morsel.value for morsel in response.cookies.values())
    assert all(key not in c.value for c in admin_client.cookies.values())
    api = admin_client.get("/api/assets/", headers={"Authorization": f"Bearer {key}"})
    assert api.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/admin/transcoder/sitekey/",
        "/admin/transcoder/sitekey/add/",
        "/admin/transcoder/apitoken/",
        "/admin/transcoder/apitoken/add/",
    ],
)
def test_key_admin_pages_render(admin_client, site_key, path):
    """The lists show counts and scopes; the add forms render."""
    services.api_token_issue(token=ApiToken(name="cms", scope_write=True))
    response = admin_client.get(path)
    assert response.status_code == 200
    if path == "/admin/transcoder/sitekey/":
        assert site_key.key in response.content.decode()
        assert "https://shop.example" in response.content.decode()
