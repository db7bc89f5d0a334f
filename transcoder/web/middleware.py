"""Request body caps, applied before anything reads a body.

Django parses a POST body the first time something reads ``request.POST``,
and ``CsrfViewMiddleware`` does so for every POST before any view checks who
is asking. Its multipart parser writes each file part past
FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file, and DATA_UPLOAD_MAX_MEMORY_SIZE
does not count file parts, so an anonymous 300 MB POST to /admin/login/ was
written to disk in full before the CSRF check refused it. Error views read it
too: they run CSRF's ``process_view``.

This middleware looks at the declared length only, and answers before the
body is read:

- a signed-in user may send up to MEDIAHUB_MAX_UPLOAD_BYTES plus room for the
  form around the file (``FORM_OVERHEAD``), on any path;
- an API token lifts the cap only on the routes named in
  ``LARGE_BODY_ROUTES`` (resolved by URL name) and only with the write scope:
  tokens are handed to browser JavaScript, so a read token must not let
  anyone push 50 MiB at /admin/login/;
- anything else may send MEDIAHUB_ANONYMOUS_BODY_BYTES (64 KiB: a login form
  is well under 1 KiB, an API JSON body well under that).

A body without a Content-Length (``Transfer-Encoding: chunked``) is refused
with 411 unless the sender may send a large body; Django's WSGI handler reads
such a body as empty anyway.

On the API's routes the answers are the API's own: JSON errors, 401 for a
missing or bad token before 413, and CORS headers. This middleware runs
before ``CorsMiddleware``, so a response it returns never passes through it;
it adds the headers with corsheaders' own code.
"""

import logging
from importlib import import_module
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user
from django.http import HttpResponse
from django.urls import Resolver404, resolve

from transcoder.api.core.errors import ApiError, error_response, json_too_large
from transcoder.conf import setting

logger = logging.getLogger(__name__)

# Multipart boundaries, the title and alt text fields and the CSRF token.
FORM_OVERHEAD = 1024 * 1024
# API routes that take a file in the body, by URL name: the one-time PUT of
# the embedded default. Every other API call is a small JSON object.
LARGE_BODY_ROUTES = frozenset({"transcoder:api-upload-content"})
# The upload widget's one-time PUT: no token, a signed URL (api/views/widget.py).
SIGNED_BODY_ROUTES = frozenset({"transcoder:api-widget-content"})
KEYED_ROUTES = frozenset(
    {
        "transcoder:api-widget-ask",
        "transcoder:api-widget-finalize",
        "transcoder:api-widget-status",
    }
)
_CORS = "corsheaders.middleware.CorsMiddleware"


def _declared_length(request):
    """Return the Content-Length, None when absent, or -1 when it is not a number."""
    value = request.META.get("CONTENT_LENGTH", "")
    if value in ("", None):
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 19:
        return -1
    return int(value)


def _route(request):
    """Return the URL match of the request's path, or None."""
    try:
        return resolve(request.path_info)
    except Resolver404:
        return None


def _is_api(match):
    return match is not None and match.func.__module__.startswith("transcoder.api.")


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


def _refuse(request, match, status, message, *, headers=None):
    """Answer as the route's own views would: JSON with CORS on the API."""
    if not _is_api(match):
        return HttpResponse(
            message, status=status, content_type="text/plain; charset=utf-8"
        )
    response = error_response(status, message, headers=headers)
    if _CORS in settings.MIDDLEWARE:
        from corsheaders.middleware import CorsMiddleware

        CorsMiddleware(lambda _: response).add_response_headers(request, response)
    return response


def _api_refusal(request, match):
    """Return the API's answer to a large body on ``match``, or None to let it in.

    The token is checked first, as the API does: a bad token is a 401 whatever
    the body. The endpoint checks it again before it reads the body.
    """
    from transcoder.api.core import publishable
    from transcoder.api.core.auth import authenticate

    if publishable.presented(request) and not request.headers.get("Authorization"):
        # A page's read key never sends a body: the API's own 403, not a 401.
        return _refuse(request, match, 403, publishable.ONLY_READS)
    try:
        token = authenticate(request)
    except ApiError as e:
        return _refuse(request, match, e.status, e.message, headers=e.headers)
    if match.view_name not in LARGE_BODY_ROUTES:
        error = json_too_large()
        return _refuse(request, match, error.status, error.message)
    if "write" not in token.scopes:
        return _refuse(request, match, 403, "This token does not have the write scope.")
    return None


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
            return _refuse(
                request,
                _route(request),
                400,
                "The Content-Length header is not a number.",
            )
        if length is None and not chunked:
            return self.get_response(request)
        if length is not None and length <= setting("ANONYMOUS_BODY_BYTES"):
            return self.get_response(request)
        refusal = self._large_body_refusal(request, length)
        if refusal is not None:
            return refusal
        return self.get_response(request)

    def _large_body_refusal(self, request, length):
        match = _route(request)
        if _signed_in(request):
            pass
        elif match is not None and match.view_name in SIGNED_BODY_ROUTES:
            # A one-time signed URL, no token: the view checks the signature
            # and the length (within the upload key's limit) before it reads.
            pass
        elif match is not None and match.view_name in KEYED_ROUTES:
            # No token to check first: a public key in a small JSON body.
            error = json_too_large()
            return _refuse(request, match, error.status, error.message)
        elif _is_api(match):
            refusal = _api_refusal(request, match)
            if refusal is not None:
                return refusal
        else:
            logger.warning(
                "Refused an anonymous %s %s with a body of %s bytes",
                request.method,
                request.path,
                "unknown" if length is None else length,
            )
            if length is None:
                return _refuse(
                    request, match, 411, "Send a Content-Length with the request body."
                )
            return _refuse(
                request, match, 413, "The request body is too large. Sign in first."
            )
        if length is not None and length > setting("MAX_UPLOAD_BYTES") + FORM_OVERHEAD:
            return _refuse(
                request, match, 413, "The request body is larger than uploads may be."
            )
        return None
