"""Request body caps, applied before anything reads a body.

Django parses a POST body the first time something reads ``request.POST``,
and ``CsrfViewMiddleware`` does so for every POST before any view checks who
is asking. Its multipart parser writes each file part past
FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file, and DATA_UPLOAD_MAX_MEMORY_SIZE
does not count file parts, so an anonymous 300 MB POST to /admin/login/ was
written to disk in full before the CSRF check refused it. Error views read it
too: they run CSRF's ``process_view``.

This middleware looks at the declared length only, and answers 413 before
the body is read:

- a request from a signed-in user, or one that carries an active API token,
  may send up to MEDIAHUB_MAX_UPLOAD_BYTES plus room for the form around the
  file (``FORM_OVERHEAD``);
- anything else may send MEDIAHUB_ANONYMOUS_BODY_BYTES (64 KiB: a login form
  is well under 1 KiB).

A body without a Content-Length (``Transfer-Encoding: chunked``) is refused
with 411 unless the request is authenticated; Django's WSGI handler reads
such a body as empty anyway.
"""

import logging
from importlib import import_module
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user
from django.http import HttpResponse

from transcoder.conf import setting

logger = logging.getLogger(__name__)

# Multipart boundaries, the title and alt text fields and the CSRF token.
FORM_OVERHEAD = 1024 * 1024


def _declared_length(request):
    """Return the Content-Length, None when absent, or -1 when it is not a number."""
    value = request.META.get("CONTENT_LENGTH", "")
    if value in ("", None):
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 19:
        return -1
    return int(value)


def _has_api_token(request):
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return False
    from transcoder.models import ApiToken
    from transcoder.services.tokens import token_hash

    return ApiToken.objects.filter(
        key_hash=token_hash(key.strip()), active=True
    ).exists()


def _signed_in(request):
    """Tell whether the session cookie names a signed-in user.

    Runs before SessionMiddleware, so it reads the session itself, on a copy:
    the request is left as it was for the middleware after it.
    """
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(key)
    return get_user(SimpleNamespace(session=store)).is_authenticated


def _authenticated(request):
    return _signed_in(request) or _has_api_token(request)


def _refuse(status, message):
    return HttpResponse(
        message, status=status, content_type="text/plain; charset=utf-8"
    )


class BodyLimitMiddleware:
    """Refuse a body larger than the sender may send, before anything reads it.

    Goes first in MIDDLEWARE. Anything before it could read the body: an
    exception there (a bad Host header in CommonMiddleware, say) is answered
    by an error view that runs CSRF's ``process_view``, which parses the POST.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = _declared_length(request)
        chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        if length == -1:
            return _refuse(400, "The Content-Length header is not a number.")
        if length is None and not chunked:
            return self.get_response(request)
        if length is not None and length <= setting("ANONYMOUS_BODY_BYTES"):
            return self.get_response(request)
        if not _authenticated(request):
            logger.warning(
                "Refused an anonymous %s %s with a body of %s bytes",
                request.method,
                request.path,
                "unknown" if length is None else length,
            )
            if length is None:
                return _refuse(411, "Send a Content-Length with the request body.")
            return _refuse(413, "The request body is too large. Sign in first.")
        if length is not None and length > setting("MAX_UPLOAD_BYTES") + FORM_OVERHEAD:
            return _refuse(413, "The request body is larger than uploads may be.")
        return self.get_response(request)
