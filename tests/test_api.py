"""The JSON API for sites: token auth, signed URLs, embed links."""

import pytest
from django.contrib.auth.models import User

from transcoder import services
from transcoder.models import ApiToken, Asset

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(admin_user):
    """A read token acting as a superuser (a token reaches its owner's assets)."""
    return services.api_token_issue(token=ApiToken(name="site", created_by=admin_user))


@pytest.fixture
def asset(presets, jpeg, django_capture_on_commit_callbacks):
    """An asset whose renditions were built when its row was committed."""
    with django_capture_on_commit_callbacks(execute=True):
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


# --- API v1: JSON errors, paging, filters, scopes, writes, limits, CORS -------


def _auth(key):
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def writer(admin_user):
    """A read-write token; its uploads are bound to the user who made it."""
    return services.api_token_issue(
        token=ApiToken(
            name="cms", scope_read=True, scope_write=True, created_by=admin_user
        )
    )


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/assets/00000000-0000-4000-8000-000000000000/", 404),
        ("get", "/api/assets/not-a-uuid/", 404),
        ("get", "/api/nothing-here/", 404),
        ("get", "/api/assets/?page=99", 404),
        ("get", "/api/assets/?page=%C2%B2", 400),
        ("get", "/api/assets/?page=" + "9" * 5000, 400),
        ("get", "/api/assets/?updated_since=yesterday", 400),
        ("get", "/api/assets/?updated_since=2026-01-01T00:00:00", 400),
        ("get", "/api/assets/?updated_since=2026-02-30T00:00:00Z", 400),
        ("get", "/api/assets/?page=", 400),
        ("put", "/api/assets/", 405),
        ("post", "/api/assets/", 405),
    ],
)
def test_every_error_is_json(client, asset, token, method, path, status):
    """Unknown ids and paths, bad parameters, wrong methods: JSON with a status."""
    response = getattr(client, method)(path, headers=_auth(token))
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == status and response.json()["error"]
    if status == 405:
        assert response["Allow"]


def test_pages_carry_count_and_links(client, presets, jpeg, token):
    """Pages give the total count and absolute next/previous links."""
    for n in range(3):
        services.asset_create(content=jpeg, filename=f"p{n}.jpg", allow_duplicate=True)
    auth = _auth(token)
    first = client.get("/api/assets/?page_size=2&q=p", headers=auth).json()
    assert (first["count"], first["pages"], first["previous"]) == (3, 2, None)
    assert first["next"].startswith("http://testserver/api/assets/?")
    # Next is a cursor: the rest after the first page's last image.
    assert "cursor=" in first["next"] and "page=" not in first["next"]
    second = client.get(first["next"], headers=auth).json()
    assert (second["count"], second["next"], second["previous"]) == (1, None, None)
    ids = [a["id"] for a in first["results"] + second["results"]]
    assert len(set(ids)) == 3
    numbered = client.get("/api/assets/?page_size=2&q=p&page=2", headers=auth).json()
    assert numbered["previous"].endswith("page=1")
    assert numbered["results"] == second["results"]


def test_cursor_pages_walk_past_a_bounded_count(client, presets, jpeg, token, settings):
    """Past MEDIAHUB_LIST_COUNT_LIMIT, next links still reach every image once."""
    settings.MEDIAHUB_LIST_COUNT_LIMIT = 2
    made = {
        str(
            services.asset_create(
                content=jpeg, filename=f"c{n}.jpg", allow_duplicate=True
            ).pk
        )
        for n in range(5)
    }
    auth = _auth(token)
    page = client.get("/api/assets/?page_size=2", headers=auth).json()
    assert (page["count"], page["count_exact"]) == (2, False)
    seen = [a["id"] for a in page["results"]]
    while page["next"]:
        page = client.get(page["next"], headers=auth).json()
        seen += [a["id"] for a in page["results"]]
    assert sorted(seen) == sorted(made)


@pytest.mark.parametrize(
    "cursor",
    ["nonsense", "MjAyNnxub3QtYS11dWlk", "MjAyNi0wMS0wMVQwMDowMDowMHx4"],
)
def test_a_cursor_not_given_out_is_not_found(client, asset, token, cursor):
    """A made-up cursor names no place in the list: 404, with a clear message."""
    response = client.get(f"/api/assets/?cursor={cursor}", headers=_auth(token))
    assert response.status_code == 404
    assert response.json()["error"] == "cursor is not one a list gave out."


def test_search_covers_file_names_and_updated_since(client, asset, token):
    """q matches the file name too; updated_since drops what did not change."""
    auth = _auth(token)
    assert client.get("/api/assets/?q=a.jpg", headers=auth).json()["count"] == 1
    future = "2999-01-01T00:00:00Z"
    past = "2000-01-01T00:00:00%2B02:00"
    assert (
        client.get(f"/api/assets/?updated_since={future}", headers=auth).json()["count"]
        == 0
    )
    assert (
        client.get(f"/api/assets/?updated_since={past}", headers=auth).json()["count"]
        == 1
    )


def _snapshot():
    """Return every asset row and tag, to show that a refusal changed nothing."""
    return (
        list(Asset.objects.order_by("pk").values()),
        sorted(Asset.tags.through.objects.values_list("content_object_id", "tag_id")),
    )


def test_scopes_limit_what_a_token_does(client, asset, admin_user):
    """A read token cannot write; a write-only token cannot read; nothing changes."""
    reader = services.api_token_issue(token=ApiToken(name="r"), user=admin_user)
    write_only = services.api_token_issue(
        token=ApiToken(name="w", scope_read=False, scope_write=True), user=admin_user
    )
    url = f"/api/assets/{asset.pk}/"
    before = _snapshot()
    patch = client.patch(
        url, {"title": "x"}, content_type="application/json", headers=_auth(reader)
    )
    assert patch.status_code == 403 and "write" in patch.json()["error"]
    read = client.get(url, headers=_auth(write_only))
    assert read.status_code == 403 and "read" in read.json()["error"]
    assert "title" not in read.json()
    delete = client.delete(url, headers=_auth(reader))
    assert delete.status_code == 403 and "write" in delete.json()["error"]
    assert _snapshot() == before


def test_patch_changes_title_alt_and_focal_point(client, asset, writer):
    """PATCH changes only the fields sent, through the service; twice is the same."""
    url = f"/api/assets/{asset.pk}/"
    body = {"alt": "A grey cat", "focal_point": [0.25, 0.75]}
    for _ in range(2):
        response = client.patch(
            url, body, content_type="application/json", headers=_auth(writer)
        )
        assert response.status_code == 200
        data = response.json()
        assert data["alt"] == "A grey cat" and data["focal_point"] == [0.25, 0.75]
        assert data["title"] == asset.title
    cleared = client.patch(
        url,
        {"focal_point": None},
        content_type="application/json",
        headers=_auth(writer),
    )
    assert cleared.json()["focal_point"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"id": "x"},
        {"title": 5},
        {"alt": "x" * 501},
        {"focal_point": [2, 0]},
        {"focal_point": [True, 0.5]},
        {"focal_point": "middle"},
        [1, 2],
    ],
)
def test_bad_patch_is_a_400_and_changes_nothing(client, asset, writer, body):
    """A field that is unknown, of the wrong type or out of range is refused."""
    response = client.patch(
        f"/api/assets/{asset.pk}/",
        body,
        content_type="application/json",
        headers=_auth(writer),
    )
    assert response.status_code == 400
    asset.refresh_from_db()
    assert (asset.alt_text, asset.focal) == ("A cat", None)


def test_patch_needs_json(client, asset, writer):
    """A body that is not JSON gets a JSON 415 or 400."""
    url = f"/api/assets/{asset.pk}/"
    form = client.patch(url, "title=x", headers=_auth(writer))
    assert form.status_code == 415
    broken = client.patch(
        url, "{", content_type="application/json", headers=_auth(writer)
    )
    assert broken.status_code == 400


def test_delete_is_idempotent_and_moves_to_the_trash(client, asset, writer, token):
    """DELETE moves the asset to the Trash; again answers the same; GET then
    answers 404 while it is trashed, and 410 once it is erased."""
    url = f"/api/assets/{asset.pk}/"
    assert client.delete(url, headers=_auth(writer)).status_code == 204
    assert client.delete(url, headers=_auth(writer)).status_code == 204
    trashed = client.get(url, headers=_auth(token))
    assert trashed.status_code == 404 and trashed.json()["status"] == 404
    assert not Asset.objects.exists()
    assert Asset.trash.get().pk == asset.pk
    services.trash_erase(asset_id=asset.pk)
    gone = client.get(url, headers=_auth(token))
    assert gone.status_code == 410 and gone.json()["status"] == 410
    assert client.delete(url, headers=_auth(writer)).status_code == 204


# A real commit: finalize answers with the renditions its commit built.
@pytest.mark.django_db(transaction=True)
def test_upload_put_and_finalize_on_the_embedded_default(client, presets, jpeg, writer):
    """Ask for an upload, PUT the bytes once, finalize twice: one asset."""
    auth = _auth(writer)
    made = client.post(
        "/api/uploads/",
        {"filename": "cat.jpg", "content_type": "image/jpeg", "size": len(jpeg)},
        content_type="application/json",
        headers=auth,
    )
    assert made.status_code == 201, made.content
    upload = made.json()
    assert upload["method"] == "PUT" and upload["fields"] == {}
    put = client.put(
        upload["url"], jpeg, content_type="application/octet-stream", headers=auth
    )
    assert put.status_code == 201 and put.json()["bytes"] == len(jpeg)
    again = client.put(
        upload["url"], jpeg, content_type="application/octet-stream", headers=auth
    )
    assert again.status_code == 409
    body = {"key": upload["key"], "filename": "cat.jpg"}
    first = client.post(
        "/api/uploads/finalize/", body, content_type="application/json", headers=auth
    )
    assert first.status_code == 201, first.content
    assert first.json()["file_name"] == "cat.jpg" and first.json()["renditions"]
    second = client.post(
        "/api/uploads/finalize/", body, content_type="application/json", headers=auth
    )
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]
    assert Asset.objects.count() == 1


def test_upload_url_is_bound_to_its_token_and_size(
    client, presets, jpeg, writer, settings, admin_user
):
    """Another token cannot use the URL; a body over the limit gets a 413."""
    other = services.api_token_issue(
        token=ApiToken(name="other", scope_write=True, created_by=admin_user)
    )
    made = client.post(
        "/api/uploads/",
        {"content_type": "image/jpeg"},
        content_type="application/json",
        headers=_auth(writer),
    ).json()
    stolen = client.put(
        made["url"], jpeg, content_type="image/jpeg", headers=_auth(other)
    )
    assert stolen.status_code == 403
    settings.MEDIAHUB_MAX_UPLOAD_BYTES = 100
    big = client.put(
        made["url"],
        jpeg,
        content_type="application/octet-stream",
        headers=_auth(writer),
    )
    assert big.status_code == 413 and big.json()["status"] == 413


def test_refused_upload_is_a_422_and_nothing_is_kept(
    client, presets, writer, stored_files
):
    """Bytes that are not an image are refused at finalize and deleted."""
    auth = _auth(writer)
    made = client.post(
        "/api/uploads/",
        {"filename": "x.png", "content_type": "image/png"},
        content_type="application/json",
        headers=auth,
    ).json()
    client.put(made["url"], b"<svg/>" * 10, content_type="image/svg+xml", headers=auth)
    response = client.post(
        "/api/uploads/finalize/",
        {"key": made["key"]},
        content_type="application/json",
        headers=auth,
    )
    assert response.status_code == 422
    assert response.json()["status"] == 422
    assert "SVG drawing" in response.json()["error"]
    assert not Asset.objects.exists() and stored_files() == []


def test_rate_limit_answers_429_with_retry_after(
    client, asset, token, settings, monkeypatch
):
    """Past MEDIAHUB_API_RATE_LIMIT in a sliding minute, a token gets 429 with
    Retry-After and the RateLimit headers; the next minute still weighs this
    one, so the limit comes back gradually, when Retry-After said."""
    from transcoder.api.core import ratelimit

    settings.MEDIAHUB_API_RATE_LIMIT = 3
    monkeypatch.setattr(ratelimit, "clock", lambda: 600.0 + 17.25)
    answers = [client.get("/api/assets/", headers=_auth(token)) for _ in range(5)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429, 429]
    assert [r["RateLimit-Remaining"] for r in answers] == ["2", "1", "0", "0", "0"]
    assert {r["RateLimit-Limit"] for r in answers} == {"3"}
    limited = answers[-1]
    assert limited.json()["status"] == 429
    # Three this minute: one more fits once a third of the next has passed,
    # 42.75 + 20 seconds from now.
    assert limited["Retry-After"] == "63"
    assert "Retry-After" not in answers[0]
    # A fixed window would let three more through at 660; this one does not.
    monkeypatch.setattr(ratelimit, "clock", lambda: 660.0)
    assert client.get("/api/assets/", headers=_auth(token)).status_code == 429
    monkeypatch.setattr(ratelimit, "clock", lambda: 617.25 + 63)
    assert client.get("/api/assets/", headers=_auth(token)).status_code == 200


def test_rate_limit_counts_one_row_per_bucket_and_minute(asset, token):
    """The counter is an atomic upsert per bucket and minute; a refused request
    is taken back; a new minute clears the rows that no longer weigh."""
    from transcoder.api.core.ratelimit import rate_limit_take
    from transcoder.models import RateWindow

    def rows():
        return sorted(RateWindow.objects.values_list("bucket", "minute", "count"))

    first = rate_limit_take(bucket="t1", limit=2, now=600.5)
    assert (first.allowed, first.remaining) == (True, 1)
    assert rate_limit_take(bucket="t1", limit=2, now=659.5).remaining == 0
    assert not rate_limit_take(bucket="t1", limit=2, now=659.6).allowed
    assert rows() == [("t1", 10, 2)]
    rate_limit_take(bucket="t2", limit=2, now=660.0)
    assert rows() == [("t1", 10, 2), ("t2", 11, 1)]
    rate_limit_take(bucket="t2", limit=2, now=720.0)
    assert rows() == [("t2", 11, 1), ("t2", 12, 1)]


def test_cors_only_for_configured_origins(client, asset, token, settings):
    """A listed origin gets CORS headers on the API; another origin gets none."""
    settings.CORS_ALLOWED_ORIGINS = ["https://site.example"]
    ok = client.get(
        "/api/assets/", headers={**_auth(token), "Origin": "https://site.example"}
    )
    assert ok["Access-Control-Allow-Origin"] == "https://site.example"
    other = client.get(
        "/api/assets/", headers={**_auth(token), "Origin": "https://evil.example"}
    )
    assert "Access-Control-Allow-Origin" not in other
    preflight = client.options(
        "/api/assets/",
        headers={
            "Origin": "https://site.example",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200
    assert "authorization" in preflight["Access-Control-Allow-Headers"]


def test_inactive_presets_leave_the_embed_map_and_renditions(client, asset, token):
    """Deactivating a preset drops it from the API's embed map and renditions."""
    from transcoder.models import Preset

    Preset.objects.filter(slug="card").update(active=False)
    data = client.get(f"/api/assets/{asset.pk}/", headers=_auth(token)).json()
    assert set(data["embed"]) == {"thumb"}
    assert {r["preset"] for r in data["renditions"]} == {"thumb"}


def test_unknown_query_parameters_are_refused(client, asset, token):
    """A misspelt filter is a 400, not a silent list of everything."""
    response = client.get("/api/assets/?search=cat", headers=_auth(token))
    assert response.status_code == 400 and "search" in response.json()["error"]


def test_a_json_body_over_the_limit_is_a_json_413(client, asset, writer):
    """A PATCH body past Django's in-memory limit answers 413 in JSON."""
    big = '{"title": "' + "x" * 3_000_000 + '"}'
    response = client.patch(
        f"/api/assets/{asset.pk}/",
        big,
        content_type="application/json",
        headers=_auth(writer),
    )
    assert response.status_code == 413 and response.json()["status"] == 413


def test_schema_refuses_other_methods_in_json():
    """Even the schema's 405 is JSON (CSRF checks on, as for a browser)."""
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/api/schema/")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"


def test_search_with_a_nul_is_a_400(client, asset, token):
    """PostgreSQL cannot compare text with NUL: refuse it up front."""
    response = client.get("/api/assets/?q=a%00b", headers=_auth(token))
    assert response.status_code == 400


def test_token_writes_need_no_csrf_token(asset, writer):
    """Bearer tokens, not cookies, authenticate the API, so CSRF does not apply."""
    from django.test import Client

    response = Client(enforce_csrf_checks=True).patch(
        f"/api/assets/{asset.pk}/",
        {"title": "New"},
        content_type="application/json",
        headers=_auth(writer),
    )
    assert response.status_code == 200 and response.json()["title"] == "New"


def test_upload_needs_a_token_with_an_owner(client, presets, stored_files):
    """Upload keys are bound to a user: a token whose creator was deleted is a 401."""
    gone = User.objects.create_user("gone", is_staff=True, is_superuser=True)
    orphan = services.api_token_issue(
        token=ApiToken(name="orphan", scope_read=True, scope_write=True), user=gone
    )
    gone.delete()
    made = client.post(
        "/api/uploads/",
        {"content_type": "image/jpeg"},
        content_type="application/json",
        headers=_auth(orphan),
    )
    assert made.status_code == 401
    assert "no longer works" in made.json()["error"]
    assert stored_files() == [] and ApiToken.objects.get().last_used_at is None


# --- tags and decorative (the asset library) ----------------------------------
def test_api_patch_sets_tags_and_decorative_and_filters_by_tag(client, asset, writer):
    """PATCH replaces tags and sets decorative; ?tag= and ?q= find the asset."""
    auth = {"Authorization": f"Bearer {writer}"}
    response = client.patch(
        f"/api/assets/{asset.pk}/",
        {"tags": ["Beach", " sea ", ""], "decorative": True},
        content_type="application/json",
        headers=auth,
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["tags"] == ["Beach", "sea"]
    assert data["decorative"] is True and data["alt"] == ""
    for query in ({"tag": "beach"}, {"q": "sea"}):
        found = client.get("/api/assets/", query, headers=auth).json()
        assert [a["id"] for a in found["results"]] == [str(asset.pk)]
    assert (
        client.get("/api/assets/", {"tag": "boat"}, headers=auth).json()["count"] == 0
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"tags": "beach"}, "tags must be a list"),
        ({"tags": [1]}, "Each tag must be text"),
        ({"tags": ["x" * 101]}, "Each tag must be text"),
        ({"tags": ["t"] * 51}, "at most 50"),
        ({"decorative": "yes"}, "decorative must be true or false"),
    ],
)
def test_api_patch_refuses_bad_tags(client, asset, writer, body, message):
    """Malformed tags or decorative answer 400 and change nothing."""
    response = client.patch(
        f"/api/assets/{asset.pk}/",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {writer}"},
    )
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not asset.tags.exists()


def test_asset_list_leaves_out_renditions_unless_expanded(client, asset, token):
    """A list page has embed links but no signed URLs; expand=renditions adds them."""
    plain = client.get("/api/assets/", headers=_auth(token)).json()["results"][0]
    assert "renditions" not in plain and set(plain["embed"]) == {"thumb", "card"}
    expanded = client.get("/api/assets/?expand=renditions", headers=_auth(token))
    rows = expanded.json()["results"][0]["renditions"]
    assert len(rows) == 3 and all(client.get(r["url"]).status_code == 200 for r in rows)


@pytest.mark.parametrize("value", ["original", ""])
def test_asset_list_refuses_an_unknown_expansion(client, asset, token, value):
    """expand takes only renditions; anything else, empty too (outside the
    schema's enum), is a 400 that says so."""
    response = client.get(f"/api/assets/?expand={value}", headers=_auth(token))
    assert response.status_code == 400
    assert "expand can only be renditions" in response.json()["error"]


def test_asset_list_queries_do_not_grow_with_the_page(
    client, presets, jpeg, token, monkeypatch
):
    """A page of 4 assets takes as many queries as a page of 1, expanded or not."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from transcoder.api.core import ratelimit

    # One minute throughout: a minute's first request also clears old windows.
    monkeypatch.setattr(ratelimit, "clock", lambda: 600.0)

    for i in range(4):
        services.asset_create(content=jpeg, filename=f"{i}.jpg", allow_duplicate=True)
    client.get("/api/assets/", headers=_auth(token))  # The token's first use.
    for expand in ("", "&expand=renditions"):
        counts = []
        for size in (1, 4):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(
                    f"/api/assets/?page_size={size}{expand}", headers=_auth(token)
                )
            assert len(response.json()["results"]) == size
            counts.append(len(queries))
        assert counts[0] == counts[1]
