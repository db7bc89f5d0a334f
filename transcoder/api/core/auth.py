"""Bearer tokens (or publishable keys), scopes, rate limits, validators and
method dispatch for every API view."""

import logging
from functools import wraps

from django.core.exceptions import RequestDataTooBig
from django.utils import timezone
from django.utils.cache import get_conditional_response, set_response_etag
from django.views.decorators.csrf import csrf_exempt

from transcoder.api.core import publishable
from transcoder.api.core.errors import ApiError, error_response
from transcoder.api.core.ratelimit import rate_limit_take, token_bucket
from transcoder.conf import setting
from transcoder.models import ApiToken
from transcoder.services.access.tokens import (
    SCOPE_ACTIONS,
    api_token_scope_allowed,
    token_creator_usable,
    token_hash,
)
from transcoder.web.errors import SERVER_FAULT, unknown_parameters
from transcoder.web.params import ParamError

logger = logging.getLogger(__name__)

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="mediahub"'}


def authenticate(request):
    """Return the active token of ``Authorization: Bearer <key>``, or raise 401.

    A token acts as its creator, so it stops working as soon as the creator
    is deleted, deactivated or loses staff status; this is asked on every
    call, with the creator fetched in the same query.
    """
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    key = key.strip()
    token = None
    if scheme.lower() == "bearer" and key and len(key) < 200 and key.isascii():
        token = (
            ApiToken.objects.select_related("created_by")
            .filter(key_hash=token_hash(key), active=True)
            .first()
        )
    if token is None:
        raise ApiError(401, "A valid API token is required.", headers=_CHALLENGE)
    if not token_creator_usable(token.created_by):
        raise ApiError(
            401,
            "This token no longer works: the account that made it was removed, "
            "deactivated or is no longer staff. Create a new token.",
            headers=_CHALLENGE,
        )
    return token


def endpoint(*, publishable_reads=False, **handlers):
    """Build a view from ``METHOD=(scope, function[, query parameters])``.

    Each call is authenticated, checked against the token's scopes and the
    rate limit, and every outcome, errors included, is JSON: an unexpected
    exception is logged and answered with a JSON 500. Tokens, not
    cookies, authenticate, so CSRF does not apply. With
    ``publishable_reads``, its read operations also take a publishable key
    (``api/core/publishable.py``); every other endpoint refuses one.

    A successful read carries a strong ETag and answers 304 to a matching
    ``If-None-Match``; every answer that was counted carries the RateLimit
    headers.
    """
    if "GET" in handlers:
        handlers.setdefault("HEAD", handlers["GET"])
    allow = ", ".join(sorted(handlers))

    @csrf_exempt
    def view(request, *args, **kwargs):
        try:
            response = _dispatch(
                request, handlers, allow, args, kwargs, publishable_reads
            )
        except ApiError as e:
            response = e.response()
        except ParamError as e:
            response = error_response(400, str(e))
        except RequestDataTooBig:
            response = error_response(413, "The request body is too large.")
        except Exception:
            # A fault of ours or of a service (S3, the database): a client of
            # a JSON API must still get JSON, and the traceback goes to the log.
            logger.exception("API %s %s failed", request.method, request.path)
            response = error_response(500, SERVER_FAULT)
        return _finish(request, response)

    first = next(iter(handlers.values()))[1]
    return wraps(first)(view)


def _finish(request, response):
    """Add the caching, validator and RateLimit headers; answer 304 if unchanged."""
    if request.method in ("GET", "HEAD") and response.status_code == 200:
        response["Cache-Control"] = publishable.cache_control(request, response)
        set_response_etag(response)
        response = get_conditional_response(
            request, etag=response["ETag"], response=response
        )
    else:
        response["Cache-Control"] = "private, no-store"
    verdict = getattr(request, "mediahub_rate", None)
    if verdict is not None:
        for name, value in verdict.headers().items():
            response[name] = value
    return response


def _unknown_parameters(request, known, *extra):
    unknown = unknown_parameters(request.GET, {*(known[0] if known else ()), *extra})
    if unknown:
        # A misspelt filter must not silently list everything.
        raise ApiError(400, unknown)


def _dispatch(request, handlers, allow, args, kwargs, publishable_reads):
    if request.method not in handlers:
        raise ApiError(
            405, f"{request.method} is not allowed here.", headers={"Allow": allow}
        )
    scope, function, *known = handlers[request.method]
    if publishable.presented(request):
        caller = publishable.authenticate_publishable(
            request, scope=scope, allowed_here=publishable_reads
        )
        _unknown_parameters(request, known, publishable.PARAMETER)
        publishable.limit_publishable(request, caller)
        return function(request, *args, token=caller, **kwargs)
    token = authenticate(request)
    _unknown_parameters(request, known)
    if scope not in token.scopes:
        raise ApiError(403, f"This token does not have the {scope} scope.")
    if not api_token_scope_allowed(scope=scope, user=token.created_by):
        # The creator lost the permission since the token was made.
        *others, last = SCOPE_ACTIONS[scope]
        actions = f"{', '.join(others)} or {last}" if others else last
        raise ApiError(
            403,
            f"This token's creator may no longer {actions} images in any "
            f"collection, so the {scope} scope no longer works.",
        )
    verdict = rate_limit_take(
        bucket=token_bucket(token), limit=setting("API_RATE_LIMIT")
    )
    if not verdict.allowed:
        raise ApiError(
            429,
            "Too many requests for this token; try again later.",
            headers=verdict.headers(),
        )
    request.mediahub_rate = verdict
    if (
        token.last_used_at is None
        or (timezone.now() - token.last_used_at).total_seconds() > 60
    ):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return function(request, *args, token=token, **kwargs)
