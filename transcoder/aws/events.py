"""Zappa's entry point for S3 events: finalize direct uploads as their keys say.

zappa_settings.json subscribes ``on_upload`` to ``s3:ObjectCreated:*`` under
``uploads/`` of the media bucket; S3 allows one such subscription per bucket,
so everything is checked again here. Rendition and original writes live under
other prefixes and never come back through this handler.
"""

import logging
from urllib.parse import unquote_plus

from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import close_old_connections

from transcoder import services
from transcoder.storage import keys
from transcoder.tasks import generate_renditions

logger = logging.getLogger(__name__)


def on_upload(event, context=None):
    """Finalize each uploaded object of an S3 event as its key says; return the
    ids of the assets made or changed.

    A minted key acts as the user it was minted for, checked again through
    the policy now: a new-image key makes an asset in its collection, a
    replace key replaces its asset's file (never makes an asset). A file
    copied in by hand is the work of ``permissions.SYSTEM``. S3 delivers at
    least once, so this is idempotent: a repeated record finds the asset
    already made (or the file already replaced). A refused upload is logged,
    not raised, because Lambda would retry a hopeless input; a transient
    error (database, S3) is raised so that Lambda's async retry delivers the
    event again.
    """
    # No request wraps this invocation: drop connections the database closed
    # while the container was frozen.
    close_old_connections()
    asset_ids = []
    try:
        for record in event.get("Records") or ():
            key = upload_key(record)
            if key is None:
                continue
            try:
                asset = _finalize(key)
            except services.DuplicateAssetError as e:
                logger.info(
                    "Upload %s is a duplicate of asset %s; no asset made",
                    key,
                    e.existing.pk,
                )
                continue
            except ValidationError as e:
                logger.warning(
                    "Upload %s was not finalized: %s", key, "; ".join(e.messages)
                )
                continue
            logger.info("Upload %s is asset %s", key, asset.pk)
            # Built here, not queued: this invocation is already asynchronous
            # and retried by Lambda. The build is idempotent, so a redelivery
            # (or an asset the browser's finalize made first) finishes what is
            # missing; a transient fault that outlasts the task's own retries
            # is raised, and Lambda delivers the event again.
            generate_renditions.call(str(asset.pk))
            asset_ids.append(str(asset.pk))
    finally:
        close_old_connections()
    return asset_ids


def _finalize(key):
    """Finalize ``key`` as its purpose says, acting as whom it names.

    The client's own finalize (or replace) may still follow: it decides about
    a duplicate ("upload anyway") and still finds a replace's upload, which
    the sweeper settles if that call never comes.
    """
    return services.upload_finalize_by_key(key=key, client_pending=True)


def upload_key(record):
    """Return the decoded object key of a record that is a new upload, else None."""
    name = record.get("eventName") or ""
    if record.get("eventSource") != "aws:s3" or not name.startswith("ObjectCreated:"):
        logger.debug("Ignoring %s event", name or "unnamed")
        return None
    s3 = record.get("s3") or {}
    # S3 sends keys URL-encoded, with spaces as "+".
    key = unquote_plus((s3.get("object") or {}).get("key") or "")
    if not keys.is_upload_key(key):
        # Under uploads/ but not of an upload key's exact shape: someone may be
        # trying clean_name's rewrites (uploads/..\\originals\\...). Logged
        # with repr() so control characters cannot forge log lines.
        suspicious = key[:8].lower() == "uploads/"
        logger.log(
            logging.WARNING if suspicious else logging.DEBUG,
            "Ignoring %r: not an upload key",
            key,
        )
        return None
    bucket = (s3.get("bucket") or {}).get("name")
    expected = getattr(storages["default"], "bucket_name", None)
    if expected and bucket != expected:
        logger.warning("Ignoring %s in bucket %s, not %s", key, bucket, expected)
        return None
    return key
