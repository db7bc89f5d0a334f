"""Direct uploads: finalize an object under uploads/ as its key says, and no other way.

A minted key (``keys.upload_key_parse``) names its user and its purpose: a new
image in one collection, or a new file for one asset. Every finalize (the
admin's, the API's, the API's replace, the S3 event) comes here, acts as that
user, asks the policy again at that moment, and honours the purpose: a
replace key never becomes a new asset, and a new asset goes to the collection
the key names and is never moved by a later finalize. A file copied into
uploads/ by hand is the system's work (``permissions.SYSTEM``).

A key whose purpose is refused (its user gone, deactivated or no longer
allowed, its asset gone) is deleted and logged in one place, ``upload_refuse``.
"""

import hashlib
import logging

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import transaction
from django.utils.translation import gettext as _

from transcoder import permissions
from transcoder.conf import image_limits
from transcoder.models import Asset, Collection, Event
from transcoder.services.assets.assets import (
    AssetRefusedError,
    UploadNotFoundError,
    UploadOwnerError,
    UploadStateError,
    _finalize,
    _is_missing,
    _title_from_filename,
    not_received,
)
from transcoder.services.assets.refusals import upload_refusal_record
from transcoder.services.assets.versions import asset_replace
from transcoder.services.library.collections import collection_default
from transcoder.services.library.duplicates import library_write_lock
from transcoder.services.outbox.changes import changes_record
from transcoder.storage import keys

logger = logging.getLogger(__name__)


class UploadPurposeError(ValidationError):
    """The upload's key is for something its user may not (or no longer) do."""


def upload_refuse(*, key, reason, filename=""):
    """Record a refused upload, delete it and log why; raise UploadPurposeError.

    The one place an upload is refused for what its key says. The refusal is
    recorded before the delete, so a failed record keeps the upload.
    """
    logger.warning("Refused upload %s: %s", key, reason)
    upload_refusal_record(key=key, reason=reason, code="refused", filename=filename)
    storages["default"].delete(key)
    raise UploadPurposeError(reason, code="refused")


def _owner_checked(upload, uploaded_by):
    """Check that ``uploaded_by`` is the user the key was minted for."""
    if (
        uploaded_by is None
        or isinstance(uploaded_by, permissions.SystemActor)
        or uploaded_by.pk != upload.user_id
    ):
        who = getattr(uploaded_by, "pk", None) or str(uploaded_by)
        logger.warning("%s may not finalize %s", who, upload.key)
        raise UploadOwnerError(
            _("This upload was started by another user; upload the file again.")
        )


def upload_key_user(upload):
    """Return the user ``upload`` was minted for, or refuse it if they are gone."""
    user = get_user_model().objects.filter(pk=upload.user_id).first()
    if user is None:
        upload_refuse(
            key=upload.key,
            reason=_("The user who started this upload no longer exists."),
        )
    return user


def _new_target(upload, user, filename=""):
    """Return the key's collection if ``user`` may still add there, else refuse."""
    collection = Collection.objects.filter(pk=upload.collection_id).first()
    if not user.is_active:
        upload_refuse(
            key=upload.key,
            reason=_("The user who started this upload is deactivated."),
            filename=filename,
        )
    if collection is None or not permissions.may_in(user, "add", collection):
        upload_refuse(
            key=upload.key,
            reason=_(
                "You may no longer add images to the collection this upload "
                "was started for."
            ),
            filename=filename,
        )
    return collection


def asset_finalize_upload(
    *,
    key,
    uploaded_by=permissions.SYSTEM,
    filename="",
    queue_renditions=True,
    allow_duplicate=False,
    keep_duplicate=False,
    title="",
    alt_text="",
):
    """Turn a direct upload into an asset as its key says, treating the object
    as untrusted.

    ``uploaded_by`` is the acting user: for a minted key exactly the user it
    was minted for, who must still be active and allowed to add to the key's
    collection; for a file copied in by hand, ``permissions.SYSTEM``. The
    object is checked as any upload (size, sniffed format, pixels); a refused
    object is deleted. So is a duplicate (DuplicateAssetError, unless
    ``allow_duplicate``), except with ``keep_duplicate``: the S3 event passes
    it for a minted key, whose own finalize may still say "upload anyway".

    Idempotent per key: the client's finalize and the S3 event may race, and
    S3 may deliver an event twice; all yield one asset. Only the finalize that
    creates it sets its texts; a later one fills in the file name, title and
    alt text only where they are still blank (an editor's text is never
    overwritten), and never moves the asset.
    """
    if not keys.is_upload_key(key):
        logger.warning("Refusing to finalize %r: not an upload key", key)
        raise UploadNotFoundError(_("That is not an upload key mediahub made."))
    if keys.is_minted_upload_key(key) or keys.is_legacy_upload_key(key):
        upload = keys.upload_key_parse(key)
        _owner_checked(upload, uploaded_by)
        if upload.is_replace:
            raise UploadPurposeError(
                _(
                    "This upload was started to replace the file of an image; "
                    "send it to that image's replace instead."
                ),
                code="replace",
            )
        collection = _new_target(upload, uploaded_by, filename)
    else:
        if uploaded_by is not permissions.SYSTEM:
            raise UploadOwnerError(
                _("Files copied into uploads/ by hand are finalized by the system.")
            )
        # A file copied in by hand is named by its key; only as metadata.
        filename = filename or key.rsplit("/", 1)[-1]
        collection = collection_default()
        if not permissions.may_in(uploaded_by, "add", collection):
            raise UploadPurposeError(_("The system may not add images there."))
    visible = permissions.assets(uploaded_by, "view")
    existing = Asset.objects.filter(upload_key=key).first()
    if existing is not None:
        moved = existing.collection_id != collection.pk
        if moved and not visible.filter(pk=existing.pk).exists():
            # Made from this key, then moved out of the user's sight.
            raise UploadStateError(_("This upload was made into an image already."))
        return _with_late_details(
            existing, filename=filename, title=title, alt_text=alt_text
        )
    asset = _finalize(
        key=key,
        filename=filename,
        uploaded_by=None if uploaded_by is permissions.SYSTEM else uploaded_by,
        queue_renditions=queue_renditions,
        allow_duplicate=allow_duplicate,
        keep_duplicate=keep_duplicate,
        visible=visible,
        collection=collection,
        title=title,
        alt_text=alt_text,
    )
    # A no-op for the call that created it; fills blanks for one that raced it.
    return _with_late_details(asset, filename=filename, title=title, alt_text=alt_text)


def _with_late_details(asset, *, filename, title, alt_text):
    """Fill in what a later finalize knows, only where the asset is still blank.

    The S3 event makes a minted upload's asset knowing no file name, title or
    alt text; the client's finalize brings them. Whatever is not blank was
    set by the creating finalize or by an editor since, and stays.
    """
    changes = {}
    if filename and not asset.original_filename:
        changes["original_filename"] = filename[:255]
    typed = {
        "title": (title or "")[:255].strip(),
        "alt_text": (alt_text or "")[:500].strip(),
    }
    if not typed["title"] and filename:
        typed["title"] = _title_from_filename(filename)
    for field, value in typed.items():
        if value and not getattr(asset, field):
            changes[field] = value
    if changes:
        # Filter on blank again: an editor's save that raced this one wins.
        with transaction.atomic():
            library_write_lock()  # before any row: see services.outbox.changes
            filled = False
            for field, value in changes.items():
                blank = {field: ""}
                if Asset.objects.filter(pk=asset.pk, **blank).update(**{field: value}):
                    setattr(asset, field, value)
                    filled = True
            if filled:
                changes_record(
                    event=Event.UPDATED, assets=[(asset.pk, asset.collection_id)]
                )
    return asset


def asset_replace_upload(
    *, key, uploaded_by, asset_id=None, filename="", keep_upload=False
):
    """Make a direct upload minted to replace an asset's file that asset's file.

    ``uploaded_by`` must be the user the key was minted for, still active and
    still allowed to change the asset; ``asset_id``, when given (the API's
    URL), must be the asset the key names. Idempotent: an upload that is the
    asset's current file already (a repeated call, or the S3 event came
    first) answers the asset and changes nothing. The S3 event passes
    ``keep_upload`` so that the client's own call still finds the upload.
    """
    upload = keys.upload_key_parse(key)
    _owner_checked(upload, uploaded_by)
    if not upload.is_replace:
        raise UploadPurposeError(
            _("This upload was started for a new image; finalize it instead."),
            code="new",
        )
    if asset_id is not None and str(asset_id) != str(upload.asset_id):
        raise UploadPurposeError(
            _("This upload was started to replace another image's file."),
            code="other",
        )
    if not uploaded_by.is_active:
        upload_refuse(
            key=key,
            reason=_("The user who started this upload is deactivated."),
            filename=filename,
        )
    asset = permissions.visible_asset(uploaded_by, upload.asset_id, "change")
    if asset is None:
        upload_refuse(
            key=key,
            reason=_("You may no longer change the image this upload was started for."),
            filename=filename,
        )
    data = _read_upload(key)
    try:
        if hashlib.sha256(data).hexdigest() != asset.content_hash:
            asset = asset_replace(
                asset=asset, content=data, filename=filename, uploaded_by=uploaded_by
            )
    except AssetRefusedError as e:
        upload_refusal_record(
            key=key, reason=e.messages[0], code=e.code, filename=filename
        )
        storages["default"].delete(key)
        raise
    # Any other failure (S3, the database) keeps the upload, so the same key
    # can be sent again; purge_orphans removes what is never finalized.
    if not keep_upload:
        storages["default"].delete(key)
    return asset


def _read_upload(key):
    storage = storages["default"]
    try:
        with storage.open(key, "rb") as f:
            return f.read(image_limits().max_bytes + 1)
    except FileNotFoundError:
        pass
    except Exception as e:
        if not _is_missing(e):
            raise
    raise UploadStateError(not_received())


def upload_finalize_by_key(*, key, client_pending=True, queue_renditions=False):
    """Finalize ``key`` as its purpose says, acting as whom it names; return the
    asset made or changed.

    The S3 event and the sweeper come here, with no client at hand. While the
    client's own call may still follow (``client_pending``), a duplicate and a
    replace's upload are kept for it: it may say "upload anyway", and it finds
    its upload. The sweeper, long past that, settles both: a duplicate is
    refused and recorded, a replaced file's upload is deleted.
    """
    if not (keys.is_minted_upload_key(key) or keys.is_legacy_upload_key(key)):
        return asset_finalize_upload(
            key=key,
            uploaded_by=permissions.SYSTEM,
            queue_renditions=queue_renditions,
        )
    try:
        upload = keys.upload_key_parse(key)
    except keys.UploadKeyError as e:
        # Altered, or minted before keys said what they are for: nobody may
        # finalize it, so it goes.
        upload_refuse(key=key, reason=" ".join(e.messages))
    user = upload_key_user(upload)
    if upload.is_replace:
        if not client_pending and (done := _replaced_once(upload)) is not None:
            storages["default"].delete(key)
            return done
        return asset_replace_upload(
            key=key, uploaded_by=user, keep_upload=client_pending
        )
    return asset_finalize_upload(
        key=key,
        uploaded_by=user,
        queue_renditions=queue_renditions,
        keep_duplicate=client_pending,
    )


def _replaced_once(upload):
    """Return the asset if the upload's file is, or was, its file; else None.

    The S3 event replaces the file and keeps the upload for the client's call;
    when that never comes, the sweeper must not make the file current again
    after an editor has replaced it since.
    """
    asset = Asset.objects.filter(pk=upload.asset_id).first()
    if asset is None:
        return None
    digest = hashlib.sha256(_read_upload(upload.key)).hexdigest()
    if (
        asset.content_hash == digest
        or asset.versions.filter(content_hash=digest).exists()
    ):
        return asset
    return None
