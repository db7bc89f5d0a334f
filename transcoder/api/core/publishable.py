"""Publishable keys at the API's door: presenting one, CORS, rate limits, caching.

A page presents its key as ``?key=pk_...``: a query parameter needs no CORS
preflight (a header would) and makes the key part of the URL a CDN caches
by. The key works from its origins only, read from the ``Origin`` header,
which browsers send on every cross-origin ``fetch``.

Answers to a publishable key may be cached, by the browser and by shared
caches: ``Cache-Control: public, max-age=MEDIAHUB_PUBLISHABLE_MAX_AGE`` with
a strong ``ETag``, and ``Vary: Origin`` (the CORS header depends on it).
There is no ``stale-while-revalidate``: a revoked key's answers are served
from caches at most max-age seconds after the revocation, then a cache must
ask again, and the revoked key is refused (errors are ``no-store``).
"""

from dataclasses import dataclass

from corsheaders.signals import check_request_enabled
from django.dispatch import receiver
from django.utils.cache import patch_vary_headers

from transcoder.api.core import ratelimit
from transcoder.api.core.errors import ApiError
from transcoder.conf import setting
from transcoder.models import PublishableKey
from transcoder.services.access import publishable
from transcoder.services.access.sitekeys import request_origin
from transcoder.web.client_ip import client_ip

PARAMETER = "key"
READS = ("GET", "HEAD")


@dataclass(frozen=True)
class KeyCaller:
    """What an API handler is given for a publishable key, in a token's place.

    ``created_by`` is the actor every handler asks the policy with: for a key,
    its creator's reach cut down to its collections (``permissions.KeyReach``).
    """

    key: PublishableKey
    created_by: object
    pk = None
    scopes = ("read",)


ONLY_READS = (
    "A publishable key only reads: writing needs an API token, sent by a "
    "server, never from a page."
)


def presented(request):
    """Tell whether the request presents a publishable key (``?key=``)."""
    return PARAMETER in request.GET


def _origin(request):
    return request_origin(origin=request.headers.get("Origin"), referer=None)


def authenticate_publishable(request, *, scope, allowed_here):
    """Return the KeyCaller of the request's publishable key, or raise ApiError.

    Counts the request against the key's limit and its visitor's, and leaves
    the tightest verdict on the request for the RateLimit headers.
    """
    request.mediahub_publishable = True
    if request.headers.get("Authorization"):
        # Refused rather than picked: which credential acts would be a guess.
        raise ApiError(
            403, "Send either a bearer token or a publishable key (?key=), not both."
        )
    try:
        key = publishable.publishable_key_find(value=request.GET.get(PARAMETER))
    except publishable.PublishableKeyError as e:
        raise ApiError(403, str(e)) from None
    request.mediahub_publishable_key = key  # for the CORS answer below
    if request.method not in READS or scope != "read":
        raise ApiError(403, ONLY_READS)
    if not allowed_here:
        raise ApiError(
            403,
            "A publishable key cannot be used here: it lists, searches and reads "
            "images (/api/assets/).",
        )
    try:
        reach = publishable.publishable_key_reach(key=key, origin=_origin(request))
    except publishable.PublishableKeyError as e:
        raise ApiError(403, str(e)) from None
    return KeyCaller(key=key, created_by=reach)


def limit_publishable(request, caller):
    """Count the request for its visitor and for its key; raise 429 when over."""
    key = caller.key
    visitor = ratelimit.rate_limit_take(
        bucket=ratelimit.visitor_bucket(key, client_ip(request)),
        limit=setting("PUBLISHABLE_VISITOR_RATE_LIMIT"),
    )
    if not visitor.allowed:
        raise ApiError(
            429,
            "Too many requests from this visitor with this key; try again later.",
            headers=visitor.headers(),
        )
    whole = ratelimit.rate_limit_take(
        bucket=ratelimit.key_bucket(key), limit=setting("PUBLISHABLE_RATE_LIMIT")
    )
    if not whole.allowed:
        ratelimit.rate_limit_release(visitor)
        raise ApiError(
            429,
            "Too many requests for this publishable key; try again later.",
            headers=whole.headers(),
        )
    request.mediahub_rate = ratelimit.rate_limit_tightest([visitor, whole])
    publishable.publishable_key_touch(key=key)


def cache_control(request, response):
    """Return the Cache-Control of a successful read (and add Vary: Origin)."""
    if not getattr(request, "mediahub_publishable", False):
        return "private, no-store"
    patch_vary_headers(response, ["Origin"])
    return f"public, max-age={max(0, setting('PUBLISHABLE_MAX_AGE'))}"


@receiver(check_request_enabled)
def cors_for_publishable_keys(sender, request, **kwargs):
    """Let pages on a publishable key's origins read the API's answers (CORS).

    django-cors-headers asks this for origins outside CORS_ALLOWED_ORIGINS.
    A revoked key's origins may still read its refusal, so the page can say
    why; an unknown key's refusal stays unreadable to every page.
    """
    value = request.GET.get(PARAMETER, "")
    if not request.path_info.startswith("/api/") or not (
        publishable.looks_publishable(value)
    ):
        return False
    origin = _origin(request)
    key = getattr(request, "mediahub_publishable_key", None)
    if key is None or key.key != value:  # a preflight, or a refused key
        key = PublishableKey.objects.filter(key=value).first()
    return bool(origin) and key is not None and origin in key.origins
