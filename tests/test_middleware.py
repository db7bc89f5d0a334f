"""Body caps: nobody who is not signed in gets a large body read, let alone spooled."""

import io
import json
import os

import pytest
from django.core.files import uploadhandler
from django.core.handlers.wsgi import WSGIHandler
from django.test import RequestFactory
from django.urls import reverse
from PIL import Image

from transcoder import services
from transcoder.conf import setting
from transcoder.models import ApiToken, Asset

pytestmark = pytest.mark.django_db
# Real commits: Django's WSGIHandler closes the connection when the request
# ends, which a test's own transaction would not survive.
REAL_COMMITS = pytest.mark.django_db(transaction=True)

BOUNDARY = "mediahubBoundary"
MB = 1024 * 1024


class MultipartBody:
    """A multipart body with one ``size``-byte file part, made as it is read.

    Nothing of it is in memory beforehand, and ``read`` counts how many bytes
    the server actually took.
    """

    def __init__(self, size, fields=()):
        head = "".join(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in fields
        )
        head += (
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; "
            f'name="file"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        )
        self.head = head.encode()
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.size = size
        self.length = len(self.head) + size + len(self.tail)
        self.position = 0

    def _byte_at(self, start, end):
        out = bytearray()
        head, body_end = len(self.head), len(self.head) + self.size
        if start < head:
            out += self.head[start : min(end, head)]
        if end > head and start < body_end:
            out += b"\0" * (min(end, body_end) - max(start, head))
        if end > body_end:
            out += self.tail[max(start, body_end) - body_end : end - body_end]
        return bytes(out)

    def read(self, size=-1):
        end = self.length if size is None or size < 0 else self.position + size
        end = min(end, self.length)
        data = self._byte_at(self.position, end)
        self.position = end
        return data

    def readline(self, size=-1):
        return self.read(size if size and size > 0 else 64 * 1024)


@pytest.fixture
def spooled(monkeypatch):
    """Count the temporary files Django's upload handler makes."""
    made = []
    real = uploadhandler.TemporaryUploadedFile

    def counting(*args, **kwargs):
        f = real(*args, **kwargs)
        made.append(f.temporary_file_path())
        return f

    monkeypatch.setattr(uploadhandler, "TemporaryUploadedFile", counting)
    return made


# Anyone gets a CSRF cookie from a GET of the login page; with it, CSRF reads
# the POST body before it can compare tokens.
CSRF_COOKIE = "csrftoken=" + "a" * 32


def _send(method, path, body, **headers):
    """Send a request through Django's real WSGI handler and every middleware.

    Return the status, the headers (lower-case names) and the body.
    """
    headers["HTTP_COOKIE"] = "; ".join(
        filter(None, [CSRF_COOKIE, headers.get("HTTP_COOKIE")])
    )
    headers.setdefault("CONTENT_TYPE", f"multipart/form-data; boundary={BOUNDARY}")
    environ = RequestFactory()._base_environ(
        PATH_INFO=path, REQUEST_METHOD=method, **headers
    )
    environ["wsgi.input"] = body
    if "CONTENT_LENGTH" not in headers:
        environ["CONTENT_LENGTH"] = str(body.length)
    started = []

    def start_response(line, response_headers, exc_info=None):
        started.append((int(line.split()[0]), response_headers))

    response = WSGIHandler()(environ, start_response)
    content = b"".join(response)
    response.close()
    status, response_headers = started[0]
    return status, {k.lower(): v for k, v in response_headers}, content


def _post(path, body, **headers):
    """POST through the real handler; return the status and the body."""
    status, _, content = _send("POST", path, body, **headers)
    return status, content


def test_anonymous_large_post_to_login_is_refused_unread(spooled):
    """300 MB to /admin/login/ from nobody: 413, no byte read, no temporary file."""
    body = MultipartBody(300 * MB, [("username", "admin"), ("password", "x")])
    status, content = _post("/admin/login/", body)
    assert status == 413
    assert b"too large" in content
    assert body.position == 0
    assert spooled == []


def test_anonymous_large_post_with_a_bad_host_is_refused_unread(spooled):
    """A bad Host makes an error view, which parses the body: the cap comes first."""
    body = MultipartBody(30 * MB, [("username", "admin")])
    status, _ = _post("/admin/login/", body, HTTP_HOST="evil.example")
    assert status == 413
    assert body.position == 0 and spooled == []


def test_without_the_cap_the_same_post_is_spooled_to_disk(settings, spooled):
    """The control: without the middleware Django reads and spools all of it."""
    settings.MIDDLEWARE = [
        m
        for m in settings.MIDDLEWARE
        if m != "transcoder.web.middleware.BodyLimitMiddleware"
    ]
    body = MultipartBody(30 * MB, [("username", "admin"), ("password", "x")])
    status, _ = _post("/admin/login/", body)
    assert status == 403  # CSRF, after the whole body was parsed
    assert body.position == body.length
    assert len(spooled) == 1


def test_small_anonymous_login_post_still_reaches_the_form(client):
    """A login form (well under the cap) gets the normal answer."""
    response = client.post("/admin/login/", {"username": "a", "password": "b"})
    assert response.status_code == 200
    assert b"Please enter the correct username and password" in response.content


def test_chunked_anonymous_body_is_refused(spooled):
    """A body with no Content-Length from nobody is refused with 411, unread."""
    body = MultipartBody(5 * MB)
    status, _ = _post(
        "/admin/login/", body, CONTENT_LENGTH="", HTTP_TRANSFER_ENCODING="chunked"
    )
    assert status == 411
    assert body.position == 0 and spooled == []


@pytest.mark.parametrize("value", ["12a", "\u00b2", "1" * 30, "-5"])
def test_bad_content_length_is_refused(value):
    """A Content-Length that is not a plain number is a 400, not a guess."""
    body = MultipartBody(10)
    status, _ = _post("/admin/login/", body, CONTENT_LENGTH=value)
    assert status == 400
    assert body.position == 0


def _noisy_jpeg(min_bytes):
    image = Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    data = out.getvalue()
    assert len(data) > min_bytes
    return data


def test_signed_in_editor_still_uploads_large_files(admin_client, presets, settings):
    """An editor's upload far over the anonymous cap goes through Django as before."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = _noisy_jpeg(4 * setting("ANONYMOUS_BODY_BYTES"))
    response = admin_client.post(
        reverse("admin:transcoder_asset_upload_file"),
        {"file": SimpleUploadedFile("big.jpg", data)},
    )
    assert response.status_code == 201, response.content
    assert Asset.objects.get().bytes == len(data)


@REAL_COMMITS
def test_signed_in_body_over_the_upload_limit_is_refused_unread(
    admin_client, settings, spooled
):
    """Even signed in, a body past MAX_UPLOAD_BYTES plus the form is not read."""
    settings.MEDIAHUB_MAX_UPLOAD_BYTES = 2 * MB
    cookie = admin_client.cookies[settings.SESSION_COOKIE_NAME].value
    body = MultipartBody(4 * MB)
    status, content = _post(
        reverse("admin:transcoder_asset_upload_file"),
        body,
        HTTP_COOKIE=f"{settings.SESSION_COOKIE_NAME}={cookie}",
    )
    assert status == 413
    assert b"larger than uploads may be" in content
    assert body.position == 0 and spooled == []


@REAL_COMMITS
def test_signed_in_body_under_the_limit_is_read(admin_client, settings, spooled):
    """The control: signed in, the same kind of body under the limit is parsed."""
    cookie = admin_client.cookies[settings.SESSION_COOKIE_NAME].value
    body = MultipartBody(3 * MB)
    status, _ = _post(
        reverse("admin:transcoder_asset_upload_file"),
        body,
        HTTP_COOKIE=f"{settings.SESSION_COOKIE_NAME}={cookie}",
    )
    assert status == 403  # CSRF: the body was read and parsed first
    assert body.position == body.length and len(spooled) == 1


# --- API tokens: a larger body only for uploads, with the write scope ---------

SITE = "https://site.example"


@pytest.fixture
def tokens(admin_user, settings):
    """A read token and a write token of the same user; CORS allows SITE."""
    settings.CORS_ALLOWED_ORIGINS = [SITE]
    return {
        "read": services.api_token_issue(
            token=ApiToken(name="read", created_by=admin_user)
        ),
        "write": services.api_token_issue(
            token=ApiToken(name="write", scope_write=True, created_by=admin_user)
        ),
        "bad": "not-a-key",
    }


@pytest.mark.parametrize("scope", ["read", "write"])
@pytest.mark.parametrize(
    "path", ["/admin/login/", "/admin/transcoder/asset/upload/file/", "/e/x/y/"]
)
def test_a_token_does_not_lift_the_cap_outside_the_api(tokens, scope, path, spooled):
    """1 MiB with any token to a page: 413 before a byte is read or spooled."""
    body = MultipartBody(MB, [("username", "admin"), ("password", "x")])
    status, _, content = _send(
        "POST", path, body, HTTP_AUTHORIZATION=f"Bearer {tokens[scope]}"
    )
    assert (status, content) == (413, b"The request body is too large. Sign in first.")
    assert body.position == 0 and spooled == []


UPLOAD = "/api/uploads/content/anything/"
ASSET = "/api/assets/00000000-0000-4000-8000-000000000000/"


@REAL_COMMITS
@pytest.mark.parametrize(
    ("method", "path", "scope", "status", "message"),
    [
        ("PUT", UPLOAD, None, 401, "A valid API token is required."),
        ("PUT", UPLOAD, "bad", 401, "A valid API token is required."),
        ("PUT", UPLOAD, "read", 403, "This token does not have the write scope."),
        ("POST", "/api/uploads/", "bad", 401, "A valid API token is required."),
        ("POST", "/api/uploads/", "write", 413, "at most 65536 bytes of JSON"),
        ("POST", "/api/uploads/finalize/", "write", 413, "at most 65536 bytes"),
        ("PATCH", ASSET, "write", 413, "at most 65536 bytes of JSON"),
        ("POST", ASSET + "replace/", "write", 413, "at most 65536 bytes of JSON"),
        ("POST", "/api/nothing-here/", None, 401, "A valid API token is required."),
    ],
)
def test_large_api_bodies_get_the_apis_json_answer_unread(
    tokens, method, path, scope, status, message
):
    """On the API the refusal is JSON with CORS headers, and a bad token is a 401."""
    body = MultipartBody(MB)
    headers = {"HTTP_ORIGIN": SITE, "CONTENT_TYPE": "application/json"}
    if scope:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {tokens[scope]}"
    got, response_headers, content = _send(method, path, body, **headers)
    assert got == status
    assert response_headers["content-type"] == "application/json"
    assert json.loads(content)["status"] == status
    assert message in json.loads(content)["error"]
    assert response_headers["access-control-allow-origin"] == SITE
    assert "origin" in response_headers["vary"].lower()
    assert response_headers["cache-control"] == "private, no-store"
    if status == 401:
        assert response_headers["www-authenticate"].startswith("Bearer")
    assert body.position == 0


def test_api_refusal_has_no_cors_for_another_origin(tokens):
    """CORS headers on a refusal follow the same list as every API answer."""
    body = MultipartBody(MB)
    _, headers, _ = _send(
        "PUT", UPLOAD, body, HTTP_ORIGIN="https://evil.example", CONTENT_TYPE="x/y"
    )
    assert "access-control-allow-origin" not in headers
    assert body.position == 0


def test_a_write_token_puts_a_large_file_through_the_upload_url(client, tokens):
    """The one route that takes a file lets a write token send it, CORS and all."""
    from django.core.files.storage import storages

    auth = {"Authorization": f"Bearer {tokens['write']}", "Origin": SITE}
    made = client.post(
        "/api/uploads/",
        {"content_type": "image/jpeg"},
        content_type="application/json",
        headers=auth,
    ).json()
    data = _noisy_jpeg(4 * setting("ANONYMOUS_BODY_BYTES"))
    put = client.put(
        made["url"], data, content_type="application/octet-stream", headers=auth
    )
    assert put.status_code == 201, put.content
    assert put["Access-Control-Allow-Origin"] == SITE
    with storages["default"].open(made["key"]) as stored:
        assert stored.read() == data


@REAL_COMMITS
def test_a_write_token_is_still_held_to_the_upload_limit(tokens, settings, spooled):
    """Past MAX_UPLOAD_BYTES plus the form, even the upload route refuses unread."""
    settings.MEDIAHUB_MAX_UPLOAD_BYTES = 100 * 1024
    body = MultipartBody(2 * MB)
    status, headers, content = _send(
        "PUT",
        UPLOAD,
        body,
        HTTP_AUTHORIZATION=f"Bearer {tokens['write']}",
        HTTP_ORIGIN=SITE,
        CONTENT_TYPE="application/octet-stream",
    )
    assert status == 413
    assert json.loads(content)["error"] == (
        "The request body is larger than uploads may be."
    )
    assert headers["access-control-allow-origin"] == SITE
    assert body.position == 0 and spooled == []
