"""API request bodies: nesting is bounded and lone surrogates are refused, in JSON."""

import json

import pytest

from transcoder import services
from transcoder.api.core.bodies import MAX_JSON_DEPTH, text_field
from transcoder.api.core.errors import ApiError
from transcoder.models import ApiToken, Asset, TaggedAsset

pytestmark = pytest.mark.django_db


@pytest.fixture
def writer(admin_user):
    return services.api_token_issue(
        token=ApiToken(name="cms", scope_write=True, created_by=admin_user)
    )


@pytest.fixture
def asset(presets, jpeg):
    return services.asset_create(content=jpeg, filename="a.jpg", title="Harbour")


def _nested(depth):
    """A JSON object whose ``tags`` nests lists so the whole is ``depth`` deep."""
    return '{"tags": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


def _send(client, method, path, text, key):
    return getattr(client, method)(
        path,
        text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text,
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )


def _snapshot(asset):
    """What a refused request must leave as it was."""
    asset.refresh_from_db()
    return (
        Asset.objects.count(),
        asset.title,
        asset.alt_text,
        asset.original,
        TaggedAsset.objects.count(),
    )


ENDPOINTS = [
    ("patch", "/api/assets/{asset}/"),
    ("post", "/api/assets/{asset}/replace/"),
    ("post", "/api/uploads/"),
    ("post", "/api/uploads/finalize/"),
]


def _refused(response, message):
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == 400
    assert message in response.json()["error"]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize(
    "text",
    [
        _nested(MAX_JSON_DEPTH + 1),
        # Far past Python's recursion limit, yet under the 64 KiB body cap.
        "[" * 30_000 + "]" * 30_000,
        '{"a": ' * 10_000,  # deep and never closed
    ],
    ids=["limit+1", "30000", "unclosed"],
)
def test_deep_json_is_a_400_and_changes_nothing(
    client, asset, writer, stored_files, method, path, text
):
    """Nesting past MAX_JSON_DEPTH answers a JSON 400 naming the limit, not a 500."""
    before, files = _snapshot(asset), stored_files()
    response = _send(client, method, path.format(asset=asset.pk), text, writer)
    _refused(response, f"too deeply: at most {MAX_JSON_DEPTH} levels")
    assert _snapshot(asset) == before and stored_files() == files


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "text",
    [
        '"' + '\\"' * 32_000,  # a string that never ends, all escaped quotes
        '{"a": "' + "[" * 60_000,
        '"\\' * 30_000,
    ],
    ids=["escaped-quotes", "brackets-in-open-string", "backslashes"],
)
def test_hostile_text_is_scanned_in_linear_time(client, asset, writer, text):
    """Unclosed strings full of escapes cost one pass, then a 400, never minutes."""
    before = _snapshot(asset)
    response = _send(client, "patch", f"/api/assets/{asset.pk}/", text, writer)
    _refused(response, "The body is not valid JSON.")
    assert _snapshot(asset) == before


def test_a_session_does_not_lift_the_json_cap(admin_client, asset, writer):
    """Signed in as well, a JSON body past 64 KiB is a JSON 413, not parsed."""
    body = json.dumps({"title": "x", "tags": ["t" * 90] * 50, "alt": " " * 70_000})
    response = _send(admin_client, "patch", f"/api/assets/{asset.pk}/", body, writer)
    assert response.status_code == 413
    assert response.json()["error"] == (
        "The request body is too large: this endpoint takes at most 65536 bytes "
        "of JSON."
    )
    assert _snapshot(asset)[1:] == ("Harbour", "", asset.original, 0)


def test_nesting_up_to_the_limit_is_parsed(client, asset, writer):
    """At exactly MAX_JSON_DEPTH the body is parsed, and checked like any other."""
    response = _send(
        client, "patch", f"/api/assets/{asset.pk}/", _nested(MAX_JSON_DEPTH), writer
    )
    _refused(response, "Each tag must be text")


def test_brackets_inside_text_do_not_count_as_nesting(client, asset, writer):
    """A title full of brackets (and escaped quotes) is text, not depth."""
    title = '[{"' * 30 + "\\" + "]}" * 30
    response = _send(
        client,
        "patch",
        f"/api/assets/{asset.pk}/",
        json.dumps({"title": title[:255]}),
        writer,
    )
    assert response.status_code == 200, response.content
    asset.refresh_from_db()
    assert asset.title == title[:255]


LONE = "\\ud800"  # as written in the JSON text: a valid escape, not a character


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("patch", "/api/assets/{asset}/", f'{{"title": "a{LONE}b"}}', "title"),
        ("patch", "/api/assets/{asset}/", f'{{"alt": "{LONE}"}}', "alt"),
        ("patch", "/api/assets/{asset}/", '{"alt": "\\udfff x"}', "alt"),
        ("patch", "/api/assets/{asset}/", f'{{"tags": ["ok", "{LONE}"]}}', "tags"),
        ("patch", "/api/assets/{asset}/", f'{{"title": "x", "{LONE}": 1}}', "field"),
        ("post", "/api/uploads/", f'{{"filename": "{LONE}.jpg"}}', "filename"),
        (
            "post",
            "/api/uploads/",
            f'{{"content_type": "image/jpeg{LONE}"}}',
            "content_type",
        ),
        ("post", "/api/uploads/finalize/", f'{{"key": "uploads/{LONE}"}}', "key"),
        (
            "post",
            "/api/uploads/finalize/",
            f'{{"key": "k", "filename": "{LONE}"}}',
            "filename",
        ),
        ("post", "/api/assets/{asset}/replace/", f'{{"key": "{LONE}"}}', "key"),
        (
            "post",
            "/api/assets/{asset}/replace/",
            f'{{"key": "k", "filename": "{LONE}"}}',
            "filename",
        ),
        # Encoded surrogates in the raw bytes (CESU-style), not as an escape.
        ("patch", "/api/assets/{asset}/", b'{"title": "\xed\xa0\x80"}', "title"),
    ],
)
def test_lone_surrogates_are_a_400_and_change_nothing(
    client, asset, writer, stored_files, method, path, body, field
):
    """Each text field with a lone surrogate answers a JSON 400 naming the field."""
    before, files = _snapshot(asset), stored_files()
    response = _send(client, method, path.format(asset=asset.pk), body, writer)
    name = "A field name" if field == "field" else field
    _refused(response, f"{name} is not valid Unicode text: it holds a lone surrogate")
    assert _snapshot(asset) == before and stored_files() == files


def test_a_surrogate_pair_is_one_character_and_is_kept(client, asset, writer):
    """The control: an escaped pair is a real character (an emoji), stored as such."""
    body = '{"title": "Sun \\ud83c\\udf1e", "tags": ["\\ud83c\\udf1e"]}'
    response = _send(client, "patch", f"/api/assets/{asset.pk}/", body, writer)
    assert response.status_code == 200, response.content
    asset.refresh_from_db()
    assert asset.title == "Sun \U0001f31e"
    assert list(asset.tags.names()) == ["\U0001f31e"]


@pytest.mark.parametrize("name", ["q", "tag"])
def test_query_text_with_a_lone_surrogate_is_refused(name):
    """Query parameters go through the same check as the text of a body."""
    with pytest.raises(ApiError, match=f"^{name} is not valid Unicode text"):
        text_field({name: "a\ud800"}, name)


def test_query_bytes_that_are_not_utf8_do_not_break_the_list(client, asset, writer):
    """Broken UTF-8 in the query is replaced, never a 500: nothing matches it."""
    response = client.get(
        "/api/assets/?q=%ED%A0%80", headers={"Authorization": f"Bearer {writer}"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 0


@pytest.mark.parametrize("key", ["\ud800", "caf\u00e9", "\u202egnp.exe"])
def test_a_token_that_is_not_ascii_is_a_json_401(client, key):
    """A bearer key with a surrogate or any non-ASCII character is refused in
    the API's JSON shape (keys are ASCII), not with an HTML 500."""
    response = client.get("/api/assets/", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401
    assert response.json()["status"] == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
