"""The JSON API for sites: token auth, signed URLs, embed links."""

import pytest

from transcoder import services
from transcoder.models import ApiToken

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def token():
    return services.api_token_issue(token=ApiToken(name="site"))


@pytest.fixture
def asset(presets, jpeg):
    return services.asset_create(content=jpeg, filename="a.jpg", alt_text="A cat")


def test_api_needs_a_token(client, asset):
    """Without a valid bearer token the API answers 401."""
    assert client.get("/api/assets/").status_code == 401
    response = client.get("/api/assets/", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_inactive_token_is_refused(client, asset, token):
    """A revoked token no longer opens the API."""
    ApiToken.objects.update(active=False)
    response = client.get("/api/assets/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_only_the_hash_of_a_token_is_stored(token):
    """The database never holds the key itself."""
    row = ApiToken.objects.get()
    assert token not in (row.key_hash, row.prefix) and row.key_hash != token
    assert token.startswith(row.prefix)


def test_asset_detail_lists_signed_rendition_urls(client, asset, token):
    """The detail gives every ready rendition with a working signed URL."""
    response = client.get(
        f"/api/assets/{asset.pk}/", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    data = response.json()
    assert data["alt"] == "A cat" and data["width"] == 640
    assert len(data["renditions"]) == 3
    for r in data["renditions"]:
        image = client.get(r["url"])
        assert image.status_code == 200
    assert set(data["embed"]) == {"thumb", "card"}
    assert client.get(data["embed"]["card"]).status_code == 302


def test_asset_list_searches(client, asset, token):
    """The list filters by title and alt text."""
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/assets/?q=cat", headers=auth).json()["count"] == 1
    assert client.get("/api/assets/?q=dog", headers=auth).json()["count"] == 0
