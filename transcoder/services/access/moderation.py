"""Moderation of upload widget files: the queue, approve, reject.

An editor sees the files sent with keys for collections they may add to and
view; approving one makes it an asset in a collection they may add to (by
default the key's), rejecting it deletes the file and tells the site why.
The site hears of either through ``moderation_notify``.
"""

from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from transcoder import permissions
from transcoder.models import Event
from transcoder.models.widget import WidgetUpload, WidgetUploadState
from transcoder.services.access.widget import read_held, widget_upload_json
from transcoder.services.assets.assets import asset_create
from transcoder.services.outbox.changes import event_emit


class ModerationError(ValidationError):
    """A moderation the editor may not do, or not on this upload now."""


def moderation_queue(user):
    """Return the uploads awaiting review that ``user`` may moderate: those sent
    with a key for a collection they may add to and view (to judge a file is
    to see it; to approve it is to add it)."""
    return (
        WidgetUpload.objects.filter(
            state=WidgetUploadState.PENDING,
            widget_key__collection__in=permissions.collections(user, "add"),
        )
        .filter(widget_key__collection__in=permissions.collections(user, "view"))
        .select_related("widget_key", "widget_key__collection")
        .order_by("created_at")
    )


def moderation_collections(user):
    """Return the collections ``user`` may approve uploads into."""
    return permissions.collections(user, "add")


def held_bytes(upload):
    """Return the bytes of a held upload, for the moderator's preview, or None."""
    return read_held(upload)


def _pending_for(user, upload_id):
    upload = moderation_queue(user).filter(pk=upload_id).first()
    if upload is None:
        raise ModerationError(
            _("This upload is not awaiting your review."), code="gone"
        )
    return upload


def widget_upload_approve(*, upload_id, moderator, collection=None, now=None):
    """Make a pending upload an asset in ``collection`` (default: its key's).

    The moderator must be able to add to the key's collection (to see the
    upload) and to the chosen one. The asset is the moderator's upload and
    is built like any other; the held object is deleted.
    """
    now = now or timezone.now()
    upload = _pending_for(moderator, upload_id)
    target = collection or upload.widget_key.collection
    if not permissions.may_in(moderator, "add", target):
        raise ModerationError(
            _("You may not add images to that collection."), code="target"
        )
    data = held_bytes(upload)
    if data is None:
        raise ModerationError(_("The file of this upload is gone."), code="missing")
    with transaction.atomic():
        locked = (
            WidgetUpload.objects.select_for_update()
            .filter(pk=upload.pk, state=WidgetUploadState.PENDING)
            .first()
        )
        if locked is None:
            raise ModerationError(
                _("This upload was reviewed already."), code="reviewed"
            )
        asset = asset_create(
            content=data,
            filename=upload.filename,
            uploaded_by=moderator,
            upload_key=upload.key,
            allow_duplicate=True,
            collection=target,
        )
        locked.state = WidgetUploadState.APPROVED
        locked.asset = asset
        locked.moderated_by = moderator
        locked.moderated_at = now
        locked.save(update_fields=["state", "asset", "moderated_by", "moderated_at"])
        transaction.on_commit(lambda: storages["default"].delete(upload.key))
        moderation_notify(locked)
    return locked


def widget_upload_reject(*, upload_id, moderator, reason, now=None):
    """Reject a pending upload with a reason the site is told; delete its file."""
    now = now or timezone.now()
    reason = (reason or "").strip()[:500]
    if not reason:
        raise ModerationError(_("Give a reason for the rejection."), code="reason")
    upload = _pending_for(moderator, upload_id)
    with transaction.atomic():
        changed = WidgetUpload.objects.filter(
            pk=upload.pk, state=WidgetUploadState.PENDING
        ).update(
            state=WidgetUploadState.REJECTED,
            reason=reason,
            moderated_by=moderator,
            moderated_at=now,
        )
        if not changed:
            raise ModerationError(
                _("This upload was reviewed already."), code="reviewed"
            )
        upload.refresh_from_db()
        moderation_notify(upload)
    storages["default"].delete(upload.key)
    return upload


def moderation_notify(upload):
    """Tell the site that ``upload`` was moderated: the ``upload.moderated``
    webhook, logged in the caller's transaction with the state the site polls
    (``GET /api/widget/uploads/<id>/``) as its data."""
    event_emit(
        event=Event.UPLOAD_MODERATED,
        data=widget_upload_json(upload),
        collection_id=upload.widget_key.collection_id,
        actor=upload.moderated_by,
    )
