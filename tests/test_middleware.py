"""Body caps: nobody who is not signed in gets a large body read, let alone spooled."""

import io
import os

import pytest
from django.core.files import uploadhandler
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client, RequestFactory
from django.urls import reverse
from PIL import Image

from transcoder import services
from transcoder.conf import setting
from transcoder.models import ApiToken, Asset

pytestmark = pytest.mark.django_db(transaction=True)

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


def _post(path, body, **headers):
    """Send a POST through Django's real WSGI handler and every middleware."""
    headers["HTTP_COOKIE"] = "; ".join(
        filter(None, [CSRF_COOKIE, headers.get("HTTP_COOKIE")])
    )
    environ = RequestFactory()._base_environ(
        PATH_INFO=path,
        REQUEST_METHOD="POST",
        CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
        **headers,
    )
    environ["wsgi.input"] = body
    if "CONTENT_LENGTH" not in headers:
        environ["CONTENT_LENGTH"] = str(body.length)
    status = []

    def start_response(line, response_headers, exc_info=None):
        status.append(int(line.split()[0]))

    response = WSGIHandler()(environ, start_response)
    content = b"".join(response)
    response.close()
    return status[0], content


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
        if m != "transcoder.middleware.BodyLimitMiddleware"
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


def test_api_token_lifts_the_anonymous_cap():
    """A request with an active API token is not anonymous; a bad token is."""
    key = services.api_token_issue(token=ApiToken(name="site"))
    with_token = Client().post(
        "/api/assets/",
        data=b"x" * (200 * 1024),
        content_type="application/octet-stream",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert with_token.status_code == 405  # the read-only API, reached
    bad = Client().post(
        "/api/assets/",
        data=b"x" * (200 * 1024),
        content_type="application/octet-stream",
        HTTP_AUTHORIZATION="Bearer not-a-key",
    )
    assert bad.status_code == 413
