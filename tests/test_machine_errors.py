"""/api/ and /e/ answer every error as JSON; the API's smaller rough edges.

A site's ``fetch()`` or image loader on another origin must be able to tell
a 404 from a 410 from a refused key, so no answer under those paths is an
HTML page or plain text: not a 404 of the URL resolver, not a 405, not a
CSRF refusal, not a 500.
"""

import gzip
import json
import uuid
from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.test import Client

from transcoder import services
from transcoder.models import ApiToken, Asset, Preset, UploadRefusal

pytestmark = pytest.mark.django_db


@pytest.fixture
def writer(admin_user):
    return services.api_token_issue(
        token=ApiToken(
            name="cms", scope_read=True, scope_write=True, created_by=admin_user
        )
    )


def _auth(key):
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def hero(presets, jpeg, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.preset_save(
            preset=Preset(
                slug="hero",
                name="Hero",
                fit="contain",
                widths=[160, 320],
                formats=["webp", "jpeg"],
            )
        )
        services.preset_save(
            preset=Preset(slug="modern", name="Modern", width=200, formats=["webp"])
        )
        return services.asset_create(content=jpeg, filename="a.jpg", title="Hero")


def _json_error(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == status and body["error"]
    return body["error"]


def test_every_embed_error_is_json(hero, client):
    """400, 403, 404, 405, 406 and 410 from /e/ share the API's error shape."""
    link = f"/e/{hero.pk}/hero/"
    assert client.get(link).status_code == 302
    assert "w" in _json_error(client.get(f"{link}?w=0"), 400)
    assert "site key" in _json_error(client.get(f"{link}?key=sk_nothing"), 403)
    assert "no such image" in _json_error(client.get(f"/e/{uuid.uuid4()}/hero/"), 404)
    assert "not ready" not in _json_error(client.get(f"/e/{hero.pk}/nope/"), 404)
    # Not an embed link's shape at all: the resolver's 404, as JSON too.
    assert "/e/<image id>/<preset>/" in _json_error(client.get("/e/nope/"), 404)
    assert "/e/<image id>/<preset>/" in _json_error(client.get(f"/e/{hero.pk}/"), 404)
    no_png = client.get(
        f"/e/{hero.pk}/modern/?format=png", headers={"Accept": "image/png"}
    )
    assert "format" in _json_error(no_png, 406)
    services.asset_delete(asset=hero)
    assert "deleted" in _json_error(client.get(link), 410)


def test_a_post_to_an_embed_link_is_a_json_405_not_a_csrf_page(hero):
    """With CSRF checks on, as a browser's POST would meet them."""
    browser = Client(enforce_csrf_checks=True)
    for method in ("post", "put", "delete"):
        response = getattr(browser, method)(f"/e/{hero.pk}/hero/")
        assert "not allowed" in _json_error(response, 405)
        assert response["Allow"] == "GET, HEAD"
    assert browser.head(f"/e/{hero.pk}/hero/").status_code == 302


def test_unknown_embed_parameters_are_refused_by_name(hero, client):
    """``?h=`` is not ``?w=``: a misspelt option is a 400 that names it."""
    message = _json_error(client.get(f"/e/{hero.pk}/hero/?w=160&h=90"), 400)
    assert "h" in message and "w, dpr, format and key" in message
    assert "utm_source" in _json_error(
        client.get(f"/e/{hero.pk}/hero/?utm_source=x"), 400
    )
    assert client.get(f"/e/{hero.pk}/hero/?w=160&dpr=2&format=webp").status_code == 302


def _break_the_asset_table():
    """A real database failure on the next read of assets (rolled back after)."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE transcoder_asset RENAME TO transcoder_asset_gone")


@pytest.mark.parametrize("path", ["/api/assets/", "/e/{asset}/hero/"])
def test_a_server_error_under_api_and_e_is_json(hero, writer, path):
    client = Client(raise_request_exception=False)
    _break_the_asset_table()
    response = client.get(path.format(asset=hero.pk), headers=_auth(writer))
    assert "try again" in _json_error(response, 500).lower()


def test_a_server_error_in_the_admin_stays_a_page(admin_user):
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    _break_the_asset_table()
    response = client.get("/admin/transcoder/asset/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


def test_updated_since_takes_any_number_of_fraction_digits(hero, writer, client):
    """RFC 3339 puts no bound on them; Python keeps six, the rest are cut."""
    before = (hero.updated_at - timedelta(seconds=1)).astimezone(UTC)
    after = (hero.updated_at + timedelta(seconds=1)).astimezone(UTC)
    for moment, count in ((before, 1), (after, 0)):
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"
        response = client.get(
            "/api/assets/", {"updated_since": stamp}, headers=_auth(writer)
        )
        assert response.status_code == 200, response.content
        assert response.json()["count"] == count
    late = client.get(
        "/api/assets/",
        {"updated_since": "2026-02-30T00:00:00.1234567890Z"},
        headers=_auth(writer),
    )
    assert "not a real date" in _json_error(late, 400)


@pytest.mark.parametrize(
    ("content_type", "named"),
    [
        ("image/svg+xml", "SVG drawing"),
        ("image/bmp", "BMP image"),
        ("image/x-icon", "icon file"),
        ("image/vnd.adobe.photoshop", "Photoshop"),
        ("image/x-portable-anymap", "image/x-portable-anymap"),
    ],
)
def test_an_upload_of_a_type_mediahub_does_not_take_is_refused_when_asked(
    client, presets, writer, stored_files, content_type, named
):
    """Not only once the bytes arrive at finalize: no URL, no key, nothing stored."""
    response = client.post(
        "/api/uploads/",
        {"filename": "x", "content_type": content_type},
        content_type="application/json",
        headers=_auth(writer),
    )
    message = _json_error(response, 400)
    assert named in message and "JPEG" in message
    assert stored_files() == []


def test_an_upload_url_is_spent_once_its_file_was_refused(
    client, presets, writer, stored_files
):
    """A refused finalize deletes the file; the URL must not take a second one."""
    auth = _auth(writer)
    made = client.post(
        "/api/uploads/",
        {"filename": "x.png", "content_type": "image/png"},
        content_type="application/json",
        headers=auth,
    ).json()
    put = client.put(
        made["url"], b"not an image" * 10, content_type="image/png", headers=auth
    )
    assert put.status_code == 201
    refused = client.post(
        "/api/uploads/finalize/",
        {"key": made["key"]},
        content_type="application/json",
        headers=auth,
    )
    _json_error(refused, 422)
    assert UploadRefusal.objects.filter(key=made["key"]).exists()
    assert stored_files() == []
    again = client.put(
        made["url"], b"not an image" * 10, content_type="image/png", headers=auth
    )
    assert "used already" in _json_error(again, 409)
    assert stored_files() == [] and not Asset.objects.exists()


def test_a_key_nobody_issued_is_not_called_another_users(client, presets, writer):
    """A made-up or altered key is never 'started by another user'."""
    for key in ("uploads/made-up/upload", "uploads/" + "A" * 24 + "/upload"):
        response = client.post(
            "/api/uploads/finalize/",
            {"key": key},
            content_type="application/json",
            headers=_auth(writer),
        )
        assert response.status_code in (400, 403)
        assert "another user" not in response.json()["error"]


def test_api_answers_are_compressed_when_asked(hero, writer, client, admin_user):
    """gzip for clients that ask, the same JSON inside; admin pages are not."""
    plain = client.get("/api/assets/", headers=_auth(writer))
    packed = client.get(
        "/api/assets/", headers={**_auth(writer), "Accept-Encoding": "gzip"}
    )
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert json.loads(gzip.decompress(packed.content)) == plain.json()
    assert len(packed.content) < len(plain.content)
    schema = client.get("/api/schema/", headers={"Accept-Encoding": "gzip"})
    assert schema["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(schema.content))["openapi"]
    client.force_login(admin_user)
    page = client.get("/admin/", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200 and "Content-Encoding" not in page
