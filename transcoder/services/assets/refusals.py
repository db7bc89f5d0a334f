"""Refused uploads: record each one once, with what its key says and why.

Every path that refuses an upload (a purpose its user may no longer have, a
file that is no image mediahub takes, a duplicate) records it here before the
upload is deleted, so nothing under uploads/ disappears without a trace and
purge_orphans may remove what a failed delete left behind.
"""

import logging

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from transcoder.models import Asset, Collection, UploadRefusal
from transcoder.storage import keys

logger = logging.getLogger(__name__)


def upload_refusal_record(*, key, reason, code="", filename=""):
    """Record that the upload under ``key`` was refused; return the one row.

    Idempotent per key: a redelivered event or a second finalize of the same
    key finds the first row and changes nothing.
    """
    existing = UploadRefusal.objects.filter(key=key).first()
    if existing is not None:
        return existing
    refusal = UploadRefusal(
        key=key[:255],
        reason=str(reason),
        code=str(code or "")[:40],
        filename=(filename or "")[:255],
        **_targets(key),
    )
    try:
        with transaction.atomic():
            refusal.save(force_insert=True)
    except IntegrityError:
        # Recorded meanwhile by a racing finalize of the same key.
        return UploadRefusal.objects.get(key=key)
    logger.info("Recorded the refusal of upload %s (%s)", key, refusal.code)
    return refusal


def _targets(key):
    """Return the user, collection and asset a minted key names, where they exist."""
    try:
        upload = keys.upload_key_parse(key)
    except keys.UploadKeyError:
        return {}  # copied in by hand, legacy or altered: it names nobody
    found = {
        "user": get_user_model().objects.filter(pk=upload.user_id).first(),
        "collection": None,
        "asset": None,
    }
    if upload.collection_id is not None:
        found["collection"] = Collection.objects.filter(pk=upload.collection_id).first()
    if upload.asset_id is not None:
        asset = Asset.objects.filter(pk=upload.asset_id).first()
        found["asset"] = asset
        found["collection"] = asset.collection if asset is not None else None
    return found


def duplicate_refusal_record(*, key, filename=""):
    """Record a duplicate's refusal without naming the asset it duplicates.

    The list of refusals is shown to everyone who may add to the key's
    collection, who may not see that asset.
    """
    return upload_refusal_record(
        key=key,
        reason=_("This file is already in the library; it was not added again."),
        code="duplicate",
        filename=filename,
    )


def upload_refused(key):
    """Tell whether the upload under ``key`` was refused already."""
    return UploadRefusal.objects.filter(key=key).exists()
