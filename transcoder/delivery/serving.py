"""Delivery: signed, expiring URLs (CloudFront or local) and the views behind them.

On the embedded default a URL carries ``Expires`` and ``Signature`` like a
CloudFront canned-policy URL, and ``serve`` checks both the way CloudFront
would. On S3 the URL comes from django-storages (its CloudFront signer when a
key is configured). Both expire on window boundaries (``url_expiry``), so a
rendition's URL stays the same across renders and caches keep working.
"""

import math
import re
import time
import unicodedata
import weakref
from datetime import UTC, datetime

from django.core.exceptions import PermissionDenied
from django.core.files.storage import storages
from django.core.signing import Signer
from django.http import (
    FileResponse,
    Http404,
    HttpResponseForbidden,
    HttpResponseRedirect,
)
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import filepath_to_uri
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe
from storages.utils import clean_name

from transcoder import permissions, selectors
from transcoder.conf import setting
from transcoder.imaging.decode.sniff import MIME_TYPES
from transcoder.models import Asset, DeletedAsset
from transcoder.services.access import sitekeys, usage
from transcoder.storage import keys
from transcoder.storage.headers import IMMUTABLE, MIME_BY_EXT, SERVED_CSP
from transcoder.web import params
from transcoder.web.errors import json_error, safe_methods_only, unknown_parameters

# The one clock URLs are signed and checked with; tests pin it.
clock = time.time

_RENDITION_NAME = re.compile(
    r"^renditions/[0-9a-f-]{36}/[-A-Za-z0-9_]{1,50}/[0-9a-f]{16}-\d{1,5}\.(jpg|png|webp|avif)$"
)
# The one form a local signed URL takes: no leading zeros, no other parameter.
_CANONICAL_QUERY = re.compile(
    r"^Expires=([1-9][0-9]{0,11})&Signature=([A-Za-z0-9_-]{1,128})$", re.ASCII
)
# Signed CloudFront URLs per storage, per (name, expiry): RSA signing costs about
# a millisecond, and within a window every render asks for the same URLs again.
_SIGNED = weakref.WeakKeyDictionary()
_SIGNED_MAX = 50_000


def _signer():
    return Signer(salt="mediahub.delivery")


def _signature(name, expires):
    return _signer().signature(f"{name}:{expires}")


def url_expiry(*, ttl=None, now=None):
    """Return the expiry for a URL minted at ``now``: the next window boundary.

    Every URL minted within one window carries the same expiry, so the same
    rendition keeps the same URL and browsers and CDNs reuse it; and each is
    valid for at least ``ttl`` seconds (at most ``ttl`` + one window).
    """
    ttl = setting("URL_TTL") if ttl is None else ttl
    window = setting("URL_WINDOW") or ttl
    now = clock() if now is None else now
    return max(1, math.ceil((now + ttl) / window)) * window


def _cloudfront_url(storage, name, expires):
    """Sign ``name`` with django-storages' CloudFront signer, memoized per expiry."""
    memo = _SIGNED.setdefault(storage, {})
    url = memo.get((name, expires))
    if url is None:
        if len(memo) >= _SIGNED_MAX:
            memo.clear()
        # The resource URL exactly as S3Storage.url builds it, signed with an
        # absolute expiry (S3Storage.url only takes seconds from its own now).
        path = filepath_to_uri(storage._normalize_name(clean_name(name)))
        resource = f"{storage.url_protocol}//{storage.custom_domain}/{path}"
        url = storage.cloudfront_signer.generate_presigned_url(
            resource, date_less_than=datetime.fromtimestamp(expires, UTC)
        )
        memo[(name, expires)] = url
    return url


def signed_url(name, *, ttl=None, now=None):
    """Return a URL for a rendition, the same for every call within a window."""
    expires = url_expiry(ttl=ttl, now=now)
    if setting("STORAGE") == "local":
        path = reverse("transcoder:serve", args=[name])
        return f"{path}?Expires={expires}&Signature={_signature(name, expires)}"
    storage = storages["renditions"]
    if getattr(storage, "cloudfront_signer", None) and storage.custom_domain:
        return _cloudfront_url(storage, name, expires)
    # Plain S3 presigned URLs carry their signing time (X-Amz-Date), so they
    # cannot be stable; they simply live the TTL.
    return storage.url(name, expire=setting("URL_TTL") if ttl is None else ttl)


def rendition_url(rendition, *, ttl=None, now=None):
    return signed_url(rendition.name, ttl=ttl, now=now)


@require_safe
def serve(request, name):
    """Serve a rendition on the embedded default after checking its signature."""
    if not _RENDITION_NAME.fullmatch(name):
        raise Http404("No such rendition.")
    query = _CANONICAL_QUERY.fullmatch(request.META.get("QUERY_STRING", ""))
    if not query or not constant_time_compare(
        query[2], _signature(name, int(query[1]))
    ):
        return HttpResponseForbidden("Bad signature.", content_type="text/plain")
    if int(query[1]) < clock():
        return HttpResponseForbidden("The URL has expired.", content_type="text/plain")
    storage = storages["renditions"]
    try:
        f = storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404("No such rendition.") from None
    response = FileResponse(f, content_type=MIME_BY_EXT[name.rsplit(".", 1)[1]])
    response["Cache-Control"] = IMMUTABLE
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SERVED_CSP
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


# What a download name keeps of the uploader's: letters, marks and digits of
# any script, space, and punctuation no file system or browser gives a
# meaning to. Anything else (a path, a control or bidi character) becomes "_".
_NAME_PUNCTUATION = frozenset(" ._-()+,=@!&'~[]")


def original_download_name(asset):
    """Return the name an original downloads under: the upload's stem, and the
    extension of the format sniffed from its bytes.

    The uploader's extension says nothing: a JPEG/HTML polyglot uploaded as
    ``invoice.html`` downloads as ``invoice.jpg``, which no browser or desktop
    opens as a page.
    """
    name = (asset.original_filename or asset.original).replace("\\", "/")
    stem = name.rsplit("/", 1)[-1]
    if "." in stem:
        stem = stem.rsplit(".", 1)[0]
    stem = "".join(
        c if c in _NAME_PUNCTUATION or unicodedata.category(c)[0] in "LMN" else "_"
        for c in stem
    )
    stem = stem.strip(" .")[:100].strip(" .") or "image"
    return f"{stem}.{keys.ORIGINAL_EXTENSIONS[asset.format]}"


def original_response(asset):
    """Answer staff asking for an original: the file locally, a one-minute URL on S3.

    Either way it is an attachment named by ``original_download_name``, of the
    sniffed type.
    """
    storage = storages["default"]
    filename = original_download_name(asset)
    content_type = MIME_TYPES[asset.format]
    if setting("STORAGE") != "local":
        disposition = content_disposition_header(True, filename)
        return HttpResponseRedirect(
            storage.url(
                asset.original,
                expire=60,
                parameters={
                    "ResponseContentDisposition": disposition,
                    "ResponseContentType": content_type,
                },
            )
        )
    response = FileResponse(
        storage.open(asset.original, "rb"),
        content_type=content_type,
        as_attachment=True,
        filename=filename,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SERVED_CSP
    return response


def original_view(request, object_id, *, model_admin):
    """Answer the admin's original link for staff who may view the asset."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    # An asset of a collection this user may not see is as good as missing.
    asset = permissions.visible_asset(request.user, object_id)
    if asset is None:
        raise Http404("No such asset.")
    return original_response(asset)


# What an embed link takes; anything else is refused, not silently ignored.
EMBED_PARAMETERS = ("w", "dpr", "format", "key")


@safe_methods_only
def embed(request, asset_id, preset_slug):
    """Redirect a stable embed link to the signed URL of the best rendition.

    ``format`` (any case) or the browser's ``Accept`` picks the format, ``w``
    times ``dpr`` the width. With a site key (``key``), the key must be active
    and used from one of its origins; ``MEDIAHUB_EMBED_KEYS=required`` refuses
    links without one.
    """
    unknown = unknown_parameters(request.GET, EMBED_PARAMETERS)
    if unknown:
        return json_error(400, f"{unknown} Embed links take w, dpr, format and key.")
    try:
        width = params.optional_integer(request.GET, "w", low=1, high=16384)
        dpr = params.optional_decimal(request.GET, "dpr", low=1, high=4)
        fmt = params.optional_format(request.GET)
    except params.ParamError as e:
        return json_error(400, str(e))
    key = request.GET.get("key", "")
    site_key = None
    if key:
        try:
            site_key = sitekeys.site_key_check(
                key=key,
                origin=sitekeys.request_origin(
                    origin=request.headers.get("Origin"),
                    referer=request.headers.get("Referer"),
                ),
            )
        except sitekeys.SiteKeyError as e:
            return json_error(403, str(e))
    elif setting("EMBED_KEYS") == "required":
        return json_error(403, "This embed link needs a site key (?key=...).")
    if width and dpr:
        width = min(16384, math.ceil(width * dpr))
    rendition = selectors.rendition_best(
        asset_id=asset_id,
        preset_slug=preset_slug,
        format=fmt,
        width=width,
        accept=request.headers.get("Accept"),
    )
    if rendition is None:
        return _embed_miss(asset_id, preset_slug)
    if site_key is not None:
        sitekeys.site_key_count(site_key=site_key)
    usage.usage_record(
        asset_id=asset_id,
        origin=usage.usage_origin(
            origin=request.headers.get("Origin"), referer=request.headers.get("Referer")
        ),
        # The key check passed, so the origin is one an administrator listed.
        proven=site_key is not None and bool(site_key.origins),
    )
    response = HttpResponseRedirect(rendition_url(rendition))
    response["Vary"] = "Accept" if site_key is None else "Accept, Origin, Referer"
    # Anonymous links: browsers may reuse the redirect for a while (the signed
    # URL it names lives longer). Keyed links are checked on every load, so a
    # revoked key stops working at once.
    ttl = setting("URL_TTL")
    response["Cache-Control"] = (
        f"private, max-age={max(0, min(300, ttl // 2))}"
        if site_key is None
        else "private, no-cache"
    )
    return response


def _embed_miss(asset_id, preset_slug):
    if selectors.ready_renditions(asset_id=asset_id, preset_slug=preset_slug).exists():
        return json_error(406, "No rendition is in a format this browser accepts.")
    if DeletedAsset.objects.filter(pk=asset_id).exists():
        return json_error(410, "This image was deleted.")
    if Asset.trash.filter(pk=asset_id).exists():
        # Gone while it is in the Trash; a restore brings the link back.
        return json_error(410, "This image was deleted.")
    if not Asset.objects.filter(pk=asset_id).exists():
        return json_error(404, "There is no such image.")
    return json_error(
        404, "No rendition of this image is ready, or its preset is inactive."
    )
