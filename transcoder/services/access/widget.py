"""The upload widget: issue and revoke upload keys, and take files for review.

A site's visitor asks for an upload (``widget_upload_ask``: the key's origin,
scope and rate are checked, and a ``WidgetUpload`` row is made), sends the
bytes under ``widget/`` (a presigned POST on S3, a one-time PUT locally), and
finalizes it (``widget_upload_finalize``: the bytes are sniffed and checked
against the key's scope again). The file then waits in the moderation queue
until an editor approves it into a collection (it becomes an asset there) or
rejects it. The key acts as its creator: whenever they may no longer add to
the key's collection, the key refuses. Moderation is ``services.access.moderation``.
"""

import logging
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from transcoder import permissions
from transcoder.conf import image_limits
from transcoder.imaging import engine
from transcoder.imaging.decode import sniff
from transcoder.imaging.limits import ImageError
from transcoder.models.widget import (
    UploadWidgetKey,
    WidgetUpload,
    WidgetUploadState,
)
from transcoder.storage import keys

logger = logging.getLogger(__name__)

RATE_WINDOW = timedelta(hours=1)
# The declared type a widget asks with, as the sniffed format it must be.
FORMAT_BY_TYPE = {
    "image/jpeg": "jpeg",
    "image/png": "png",
    "image/webp": "webp",
    "image/avif": "avif",
    "image/gif": "gif",
    "image/heic": "heif",
    "image/heif": "heif",
}
TYPE_BY_FORMAT = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "avif": "image/avif",
    "gif": "image/gif",
    "heif": "image/heic",
}


class WidgetKeyError(PermissionDenied):
    """An upload key that is unknown, revoked, used from another site, or whose
    creator may no longer add to its collection."""


class WidgetScopeError(ValidationError):
    """A file outside what the upload key allows: its format or its size."""


class WidgetRateError(Exception):
    """Too many uploads in the last hour, for the key or from one visitor."""

    def __init__(self, message, retry_after):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def widget_key_issue(*, widget_key, created_by):
    """Give a new upload key its public key and its creator, and save it."""
    widget_key.key = f"uk_{secrets.token_urlsafe(18)}"
    widget_key.created_by = created_by
    widget_key.full_clean(exclude=["key"])
    widget_key.save()
    return widget_key


def widget_key_revoke(*, widget_key, now=None):
    """Revoke a key: it asks, sends and finalizes nothing from now on."""
    now = now or timezone.now()
    UploadWidgetKey.objects.filter(pk=widget_key.pk).update(
        active=False, revoked_at=now
    )
    widget_key.active, widget_key.revoked_at = False, now
    return widget_key


def widget_key_check(*, key, origin):
    """Return the active key ``key`` used from ``origin`` whose creator may still
    add to its collection, or raise WidgetKeyError."""
    if not isinstance(key, str) or not key.startswith("uk_"):
        raise WidgetKeyError(_("This upload key is unknown or revoked."))
    widget_key = (
        UploadWidgetKey.objects.select_related("collection", "created_by")
        .filter(key=key[:40], active=True)
        .first()
    )
    if widget_key is None:
        raise WidgetKeyError(_("This upload key is unknown or revoked."))
    if not origin or origin not in widget_key.origins:
        raise WidgetKeyError(_("This upload key is not allowed on this site."))
    creator = widget_key.created_by
    if (
        creator is None
        or not creator.is_active
        or not permissions.may_in(creator, "add", widget_key.collection)
    ):
        raise WidgetKeyError(
            _("Whoever made this upload key may no longer add to its collection.")
        )
    return widget_key


def origin_allowed(origin):
    """Tell whether any upload key is bound to ``origin`` (for CORS).

    A revoked key's origin too: its page may then read the refusal ("This
    upload key is unknown or revoked") rather than a bare network error;
    every call is refused by ``widget_key_check`` all the same.
    """
    if not origin:
        return False
    origin = origin.rstrip("/").lower()
    for allowed in UploadWidgetKey.objects.values_list("allowed_origins", flat=True):
        if origin in (o.strip().rstrip("/").lower() for o in allowed.split()):
            return True
    return False


def _scope_message(widget_key):
    labels = [sniff.LABELS.get(f, f.upper()) for f in widget_key.format_list]
    return _("This site takes %(formats)s images of at most %(size)s bytes.") % {
        "formats": ", ".join(labels),
        "size": widget_key.max_bytes,
    }


def _check_declared(widget_key, content_type, size):
    fmt = FORMAT_BY_TYPE.get((content_type or "").strip().lower())
    if fmt is None or fmt not in widget_key.format_list:
        raise WidgetScopeError(_scope_message(widget_key), code="format")
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise WidgetScopeError(_("Give the file's size in bytes."), code="invalid")
    if size > max_bytes(widget_key):
        raise WidgetScopeError(_scope_message(widget_key), code="size")
    return fmt


def max_bytes(widget_key):
    """Return the largest file the key takes: its own limit within the site's."""
    return min(widget_key.max_bytes, image_limits().max_bytes)


def _rate_check(widget_key, visitor, now):
    since = now - RATE_WINDOW
    recent = WidgetUpload.objects.filter(widget_key=widget_key, created_at__gt=since)
    for queryset, limit in (
        (recent, widget_key.rate_per_hour),
        (recent.filter(visitor=visitor), widget_key.rate_per_visitor),
    ):
        times = list(
            queryset.order_by("-created_at").values_list("created_at", flat=True)[
                : max(limit, 1)
            ]
        )
        if len(times) >= limit:
            # The window slides: a place frees up when the oldest counted
            # upload is an hour old.
            oldest = times[-1] if times else now
            wait = max(1, int((oldest + RATE_WINDOW - now).total_seconds()) + 1)
            raise WidgetRateError(
                _("Too many uploads; try again in %(s)d seconds.") % {"s": wait}, wait
            )


def widget_upload_ask(
    *, widget_key, filename, content_type, size, visitor=None, origin="", now=None
):
    """Check the file against the key's scope and rate; return its new upload row.

    The rate is counted in rows made in the last hour, for the key and for
    the visitor's address, under a lock on the key's row so that concurrent
    asks cannot both take the last place.
    """
    now = now or timezone.now()
    _check_declared(widget_key, content_type, size)
    with transaction.atomic():
        UploadWidgetKey.objects.select_for_update().filter(pk=widget_key.pk).first()
        _rate_check(widget_key, visitor, now)
        upload = WidgetUpload(
            widget_key=widget_key,
            filename=(filename or "")[:255],
            content_type=content_type.strip().lower(),
            declared_size=size,
            visitor=visitor,
            origin=origin[:200],
            created_at=now,
        )
        upload.key = keys.widget_upload_name(upload.pk)
        upload.save()
    return upload


def _read(key, limit):
    storage = storages["default"]
    try:
        with storage.open(key, "rb") as f:
            return f.read(limit + 1)
    except FileNotFoundError:
        return None
    except Exception as e:
        if str(getattr(e, "response", {}).get("Error", {}).get("Code")) in {
            "404",
            "NoSuchKey",
            "NotFound",
        }:
            return None
        raise


def _refuse(upload, reason, now):
    storages["default"].delete(upload.key)
    WidgetUpload.objects.filter(pk=upload.pk, state=WidgetUploadState.ASKED).update(
        state=WidgetUploadState.REFUSED, reason=reason, finalized_at=now
    )
    upload.refresh_from_db()
    return upload


def widget_upload_finalize(*, upload, now=None):
    """Check the sent bytes as untrusted and queue them for moderation.

    The format is sniffed, not taken from the name or the declared type, and
    must be one the key allows; the size must be within its limit; the image
    must decode within the site's limits. Anything else is deleted and the
    upload ends ``refused`` with the reason. Finalizing again answers the
    upload as it stands.
    """
    now = now or timezone.now()
    if upload.state != WidgetUploadState.ASKED:
        return upload
    widget_key = upload.widget_key
    limit = max_bytes(widget_key)
    data = _read(upload.key, limit)
    if data is None:
        raise WidgetScopeError(
            _("The file was not received; send it before finalizing."), code="missing"
        )
    if len(data) > limit:
        return _refuse(upload, _scope_message(widget_key), now)
    try:
        info = engine.inspect(data, image_limits())
    except ImageError as e:
        return _refuse(upload, str(e), now)
    if info.format not in widget_key.format_list:
        return _refuse(upload, _scope_message(widget_key), now)
    WidgetUpload.objects.filter(pk=upload.pk, state=WidgetUploadState.ASKED).update(
        state=WidgetUploadState.PENDING,
        format=info.format,
        size=len(data),
        width=info.width,
        height=info.height,
        finalized_at=now,
    )
    upload.refresh_from_db()
    return upload


def read_held(upload):
    """Return the bytes of a held upload (under widget/), or None if gone."""
    if not keys.is_widget_upload_key(upload.key):
        return None
    return _read(upload.key, image_limits().max_bytes)


def widget_upload_json(upload):
    """Return what the site is told of an upload: its state, and why."""
    answer = {"id": str(upload.pk), "status": upload.state}
    if upload.state in (WidgetUploadState.REFUSED, WidgetUploadState.REJECTED):
        answer["reason"] = upload.reason
    if upload.state == WidgetUploadState.APPROVED and upload.asset_id:
        answer["asset"] = str(upload.asset_id)
    return answer


def widget_uploads_expire(*, now=None, ttl, limit=None):
    """Drop asks never finalized within ``ttl`` seconds, with any bytes sent
    (at most ``limit`` of them); return how many. The sweeper calls it."""
    now = now or timezone.now()
    stale = WidgetUpload.objects.filter(
        state=WidgetUploadState.ASKED, created_at__lt=now - timedelta(seconds=ttl)
    ).order_by("created_at")
    dropped = 0
    for upload in stale[:limit] if limit else stale.iterator():
        storages["default"].delete(upload.key)
        dropped += WidgetUpload.objects.filter(
            pk=upload.pk, state=WidgetUploadState.ASKED
        ).update(state=WidgetUploadState.REFUSED, reason=_("Never finalized."))
    return dropped
