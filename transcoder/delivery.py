"""Delivery: signed, expiring URLs (CloudFront or local) and the views behind them.

On the embedded default a URL carries ``Expires`` and ``Signature`` like a
CloudFront canned-policy URL, and ``serve`` checks both the way CloudFront
would. On S3 the URL comes from django-storages (its CloudFront signer when a
key is configured).
"""

import re
import time

from django.core.exceptions import PermissionDenied
from django.core.files.storage import storages
from django.core.signing import Signer
from django.http import (
    FileResponse,
    Http404,
    HttpResponseForbidden,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from transcoder import selectors
from transcoder.conf import setting
from transcoder.delivery_headers import IMMUTABLE, MIME_BY_EXT, SERVED_CSP
from transcoder.models import Asset

_RENDITION_NAME = re.compile(
    r"^renditions/[0-9a-f-]{36}/[-A-Za-z0-9_]{1,50}/[0-9a-f]{16}-\d{1,5}\.(jpg|png|webp|avif)$"
)


def _signer():
    return Signer(salt="mediahub.delivery")


def _signature(name, expires):
    return _signer().signature(f"{name}:{expires}")


def signed_url(name, *, ttl=None, now=None):
    """Return a URL for a rendition that stops working ``ttl`` seconds from now."""
    ttl = setting("URL_TTL") if ttl is None else ttl
    if setting("STORAGE") == "local":
        expires = int(now if now is not None else time.time()) + ttl
        path = reverse("transcoder:serve", args=[name])
        return f"{path}?Expires={expires}&Signature={_signature(name, expires)}"
    return storages["renditions"].url(name, expire=ttl)


def rendition_url(rendition, *, ttl=None):
    return signed_url(rendition.name, ttl=ttl)


@require_safe
def serve(request, name):
    """Serve a rendition on the embedded default after checking its signature."""
    if not _RENDITION_NAME.match(name):
        raise Http404("No such rendition.")
    expires = request.GET.get("Expires", "")
    signature = request.GET.get("Signature", "")
    if not expires.isdigit() or not constant_time_compare(
        signature, _signature(name, int(expires))
    ):
        return HttpResponseForbidden("Bad signature.", content_type="text/plain")
    if int(expires) < time.time():
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


def original_response(asset):
    """Answer staff asking for an original: the file locally, a one-minute URL on S3.

    Either way it downloads under the name it was uploaded with.
    """
    storage = storages["default"]
    filename = asset.original_filename or asset.original.rsplit("/", 1)[-1]
    if setting("STORAGE") != "local":
        disposition = content_disposition_header(True, filename)
        return HttpResponseRedirect(
            storage.url(
                asset.original,
                expire=60,
                parameters={"ResponseContentDisposition": disposition},
            )
        )
    response = FileResponse(
        storage.open(asset.original, "rb"),
        content_type=asset.mime_type,
        as_attachment=True,
        filename=filename,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SERVED_CSP
    return response


def original_view(request, object_id, *, model_admin):
    """Answer the admin's original link for staff who may view the asset."""
    asset = get_object_or_404(Asset, pk=object_id)
    if not model_admin.has_view_permission(request, asset):
        raise PermissionDenied
    return original_response(asset)


@require_safe
def embed(request, asset_id, preset_slug):
    """Redirect a stable embed link to a freshly signed URL of the best rendition."""
    width = request.GET.get("w", "")
    rendition = selectors.rendition_best(
        asset_id=asset_id,
        preset_slug=preset_slug,
        format=request.GET.get("format") or None,
        width=int(width) if width.isdigit() else None,
    )
    if rendition is None:
        raise Http404("No rendition is ready for this image yet.")
    ttl = setting("URL_TTL")
    response = HttpResponseRedirect(rendition_url(rendition, ttl=ttl))
    # Browsers may reuse the redirect only while the signed URL it names is fresh.
    response["Cache-Control"] = f"private, max-age={max(0, min(300, ttl // 2))}"
    return response
