"""The upload widget's API: ask, send, finalize, and poll, with a public upload key.

No token: the page holds an upload key (``uk_...``), public like a site key
and bound to origins, so every call checks the key and the request's
``Origin`` (``services.access.widget.widget_key_check``). Cross-origin calls get
CORS headers only from the origins of a key (``cors_enabled``).
On S3 the bytes go straight to the bucket with a presigned POST; on the
embedded default they go to a one-time signed PUT under /api/widget/.
"""

import logging
import uuid

from django.core import signing
from django.core.files.storage import storages
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from transcoder.api.core.bodies import json_body, text_field
from transcoder.api.core.errors import ApiError, error_response
from transcoder.api.views.uploads import body_length, body_store, signed_upload
from transcoder.conf import setting
from transcoder.delivery import presign
from transcoder.models.widget import WidgetUpload, WidgetUploadState
from transcoder.services.access import widget as service
from transcoder.services.access.sitekeys import request_origin
from transcoder.web import params
from transcoder.web.client_ip import client_ip
from transcoder.web.errors import SERVER_FAULT, unknown_parameters

logger = logging.getLogger(__name__)

_SALT = "mediahub.widget-upload"
_CHUNK = 1024 * 1024
PREFIX = "/api/widget/"


def cors_enabled(sender, request, **kwargs):
    """Let django-cors-headers answer an origin bound to an upload key, under
    /api/widget/ only (the check_request_enabled signal)."""
    if not request.path_info.startswith(PREFIX):
        return False
    return service.origin_allowed(request.headers.get("Origin", ""))


def widget_endpoint(*, query=(), **handlers):
    """Build a view from ``METHOD=function``: JSON answers, errors included;
    a query parameter not in ``query`` is refused by name."""
    allow = ", ".join(sorted(handlers))

    @csrf_exempt
    def view(request, *args, **kwargs):
        try:
            handler = handlers.get(request.method)
            if handler is None:
                raise ApiError(
                    405,
                    f"{request.method} is not allowed here.",
                    headers={"Allow": allow},
                )
            unknown = unknown_parameters(request.GET, query)
            if unknown:
                raise ApiError(400, unknown)
            response = handler(request, *args, **kwargs)
        except ApiError as e:
            response = e.response()
        except params.ParamError as e:
            response = error_response(400, str(e))
        except Exception:
            logger.exception("Widget API %s %s failed", request.method, request.path)
            response = error_response(500, SERVER_FAULT)
        response["Cache-Control"] = "private, no-store"
        return response

    view.query_parameters = frozenset(query)
    return view


def _origin(request):
    return request_origin(
        origin=request.headers.get("Origin"), referer=request.headers.get("Referer")
    )


def _key(request, value):
    try:
        return service.widget_key_check(key=value, origin=_origin(request))
    except service.WidgetKeyError as e:
        raise ApiError(403, str(e)) from None


def _upload(widget_key, value):
    try:
        upload_id = uuid.UUID(str(value))
    except ValueError:
        raise ApiError(
            400, "id must be the id /api/widget/uploads/ answered with."
        ) from None
    upload = WidgetUpload.objects.filter(pk=upload_id, widget_key=widget_key).first()
    if upload is None:
        raise ApiError(404, "There is no such upload for this key.")
    return upload


def _ask(request):
    """Answer where and how to send one file, within the key's scope and rate."""
    body = json_body(request)
    widget_key = _key(request, body.get("key"))
    size = body.get("size")
    if isinstance(size, float) and size.is_integer():
        size = int(size)
    try:
        upload = service.widget_upload_ask(
            widget_key=widget_key,
            filename=text_field(body, "filename"),
            content_type=text_field(body, "content_type", 100),
            size=size,
            visitor=client_ip(request),
            origin=_origin(request),
        )
    except service.WidgetScopeError as e:
        raise ApiError(scope_status(e), " ".join(e.messages)) from None
    except service.WidgetRateError as e:
        raise ApiError(
            429, e.message, headers={"Retry-After": str(e.retry_after)}
        ) from None
    limit = service.max_bytes(widget_key)
    if setting("STORAGE") == "s3":
        target = {
            "method": "POST",
            **presign.presigned_post(
                key=upload.key, content_type=upload.content_type, max_bytes=limit
            ),
        }
    else:
        signed = signing.dumps({"u": upload.pk.hex}, salt=_SALT)
        url = reverse("transcoder:api-widget-content", args=[signed])
        target = {"method": "PUT", "url": request.build_absolute_uri(url), "fields": {}}
    status_url = reverse("transcoder:api-widget-status", args=[upload.pk])
    return JsonResponse(
        {
            "id": str(upload.pk),
            **target,
            "content_type": upload.content_type,
            "max_bytes": limit,
            "expires_in": setting("UPLOAD_URL_TTL"),
            "status_url": request.build_absolute_uri(status_url),
        },
        status=201,
    )


def _content(request, signed):
    """Take the bytes of one widget upload on the embedded default, once."""
    if setting("STORAGE") != "local":
        raise ApiError(404, "Uploads go straight to S3 here.")
    data = signed_upload(signed, _SALT)
    upload = (
        WidgetUpload.objects.select_related("widget_key")
        .filter(pk=uuid.UUID(hex=data["u"]))
        .first()
    )
    if upload is None:
        raise ApiError(404, "There is no such upload URL.")
    _key(request, upload.widget_key.key)
    storage = storages["default"]
    if upload.state != WidgetUploadState.ASKED or storage.exists(upload.key):
        raise ApiError(409, "This upload URL was used already.")
    length = body_length(request, limit=service.max_bytes(upload.widget_key))
    received = body_store(request, storage=storage, key=upload.key, length=length)
    return JsonResponse({"id": str(upload.pk), "bytes": received}, status=201)


def _finalize(request):
    """Check the sent file and put it in the moderation queue."""
    body = json_body(request)
    widget_key = _key(request, body.get("key"))
    upload = _upload(widget_key, body.get("id"))
    try:
        upload = service.widget_upload_finalize(upload=upload)
    except service.WidgetScopeError as e:
        raise ApiError(scope_status(e), " ".join(e.messages)) from None
    answer = service.widget_upload_json(upload)
    if upload.state == WidgetUploadState.REFUSED:
        return JsonResponse(
            {"error": upload.reason, "status": 422, "upload": answer}, status=422
        )
    return JsonResponse(answer, status=200)


def _status(request, upload_id):
    """Answer where an upload stands: pending, approved or rejected (and why)."""
    widget_key = _key(request, request.GET.get("key"))
    return JsonResponse(service.widget_upload_json(_upload(widget_key, upload_id)))


def scope_status(error):
    """Return the status of a WidgetScopeError: 422 for a file or declaration
    outside the key's scope, 409 for a finalize before the file was sent, 400
    for a malformed request."""
    if error.code == "missing":
        return 409
    if error.code == "invalid":
        return 400
    return 422


upload_ask = widget_endpoint(POST=_ask)
upload_content = widget_endpoint(PUT=_content)
upload_finalize = widget_endpoint(POST=_finalize)
upload_status = widget_endpoint(GET=_status, HEAD=_status, query=("key",))
