"""Assets: take an upload in (direct or through Django), edit it, erase it.

Deleting moves an asset to the Trash (services.library.trash); erasing is for good.
"""

import contextlib
import hashlib
import logging
import uuid

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from transcoder.conf import image_limits
from transcoder.i18n import worded
from transcoder.imaging import engine
from transcoder.imaging.limits import check_size
from transcoder.models import Asset, Event
from transcoder.services.assets.focal_suggestions import decision, hash_and_suggestion
from transcoder.services.assets.metadata import (
    file_metadata,
    metadata_fill,
    metadata_tags_apply,
)
from transcoder.services.assets.objects import object_delete, objects_erase
from transcoder.services.assets.refusals import (
    duplicate_refusal_record,
    upload_refusal_record,
)
from transcoder.services.library.collections import collection_default
from transcoder.services.library.duplicates import (
    DuplicateAssetError,
    asset_hash_forget,
    asset_hash_set,
    duplicate_check,
    library_write_lock,
)
from transcoder.services.outbox.changes import changes_record
from transcoder.services.rendering.renditions import renditions_enqueue
from transcoder.storage.keys import original_name

logger = logging.getLogger(__name__)


class AssetRefusedError(ValidationError):
    """The upload is not an image that mediahub accepts."""


def _read_limited(content, limit):
    """Read bytes from a file or bytes, never more than one byte past ``limit``."""
    if isinstance(content, bytes | bytearray):
        return bytes(content)
    if hasattr(content, "seek"):
        content.seek(0)
    return content.read(limit + 1)


@contextlib.contextmanager
def _refusing():
    """Turn the engine's refusal into the error that forms and views show."""
    try:
        yield
    except engine.ImageError as e:
        raise AssetRefusedError(worded(e), code=type(e).__name__) from e


def validate_image(data):
    """Return the engine's facts about ``data``, or raise AssetRefusedError."""
    with _refusing():
        return engine.inspect(data, image_limits())


def _asset_insert(asset, *, dhash, preset_ids, queue_renditions, duplicates_in, found):
    with transaction.atomic():
        library_write_lock()
        if duplicates_in is not None:
            # Again, under the lock: another upload of this file may have
            # committed since the first check.
            duplicate_check(content_hash=asset.content_hash, assets=duplicates_in)
        asset.save(force_insert=True)
        changes_record(
            event=Event.CREATED,
            assets=[(asset.pk, asset.collection_id)],
            actor=asset.uploaded_by,
        )
        asset_hash_set(asset=asset, dhash=dhash)
        metadata_tags_apply(asset=asset, found=found)
        if queue_renditions:
            renditions_enqueue(asset_id=asset.pk, preset_ids=preset_ids)
    return asset


def asset_create(
    *,
    content,
    filename="",
    title="",
    alt_text="",
    uploaded_by=None,
    focal=None,
    upload_key=None,
    preset_ids=None,
    queue_renditions=True,
    allow_duplicate=False,
    visible=None,
    collection=None,
):
    """Validate an upload, store the original untouched, and queue its renditions.

    ``content`` is bytes or a file. A refused upload raises AssetRefusedError and
    leaves nothing stored. A file whose content is already in the library (among
    the ``visible`` assets, default all) raises DuplicateAssetError, again with
    nothing stored, unless ``allow_duplicate``. With ``upload_key``, creating
    twice returns the first asset. A caller that builds the renditions itself
    passes ``queue_renditions=False``. Without ``collection`` the asset goes to
    MEDIAHUB_DEFAULT_COLLECTION (the S3 event, ``ingest``, code).
    """
    if upload_key:
        existing = Asset.all_objects.filter(upload_key=upload_key).first()
        if existing:
            return existing
    data = _read_limited(content, image_limits().max_bytes)
    info = validate_image(data)
    found = file_metadata(data, info.format)
    content_hash = hashlib.sha256(data).hexdigest()
    if not allow_duplicate:
        duplicate_check(content_hash=content_hash, assets=visible)
    # One reduced decode: the perceptual hash and the suggested focal area.
    dhash, suggestion = hash_and_suggestion(data)
    asset = Asset(
        id=uuid.uuid4(),
        # The uploader's title, else the file's own, else its name.
        title=title or found.title or _title_from_filename(filename),
        alt_text=alt_text,
        original_filename=(filename or "")[:255],
        content_hash=content_hash,
        format=info.format,
        mime_type=info.mime,
        width=info.width,
        height=info.height,
        frames=info.frames,
        bytes=len(data),
        upload_key=upload_key,
        uploaded_by=uploaded_by,
        collection=collection or collection_default(),
        focal_suggestion=suggestion,
    )
    metadata_fill(asset=asset, found=found)
    if focal:
        asset.focal_x, asset.focal_y = focal
    storage = storages["default"]
    asset.original = storage.save(
        original_name(asset.id, content_hash, info.format), ContentFile(data)
    )
    try:
        return _asset_insert(
            asset,
            dhash=dhash,
            preset_ids=preset_ids,
            queue_renditions=queue_renditions,
            found=found,
            duplicates_in=None
            if allow_duplicate
            else (Asset.objects.all() if visible is None else visible),
        )
    except IntegrityError:
        storage.delete(asset.original)
        if upload_key:
            existing = Asset.all_objects.filter(upload_key=upload_key).first()
            if existing:
                return existing
        raise
    except BaseException:
        storage.delete(asset.original)
        raise


class UploadNotFoundError(ValidationError):
    """The direct upload is not (or no longer) in the bucket."""


class UploadStateError(UploadNotFoundError):
    """A key mediahub minted names nothing to finalize now: no file was
    received for it (or it expired), or it was made into an image already.
    A conflict with the upload's state, where the key itself is good."""


def not_received():
    """Return the reason finalizing a key that names no file fails."""
    return _(
        "No file was received for this upload, or it expired; upload the file again."
    )


class UploadOwnerError(ValidationError):
    """The direct upload was started by another user."""


def _finalize(
    *,
    key,
    filename,
    uploaded_by,
    queue_renditions,
    allow_duplicate,
    keep_duplicate,
    visible,
    collection,
    title="",
    alt_text="",
):
    """Make an asset of the object under ``key`` (see uploads.asset_finalize_upload)."""
    existing = Asset.all_objects.filter(upload_key=key).first()
    if existing:
        return existing
    storage = storages["default"]
    limits = image_limits()
    try:
        size = storage.size(key)
    except FileNotFoundError:
        size = None
    except Exception as e:
        if _is_missing(e):
            size = None
        else:
            raise
    if size is None:
        return _finalized_elsewhere(key)
    try:
        with _refusing():
            check_size(size, limits)
        try:
            with storage.open(key, "rb") as f:
                data = f.read(limits.max_bytes + 1)
        except FileNotFoundError:
            # A racing finalize (browser or S3 event) took and deleted it.
            return _finalized_elsewhere(key)
        asset = asset_create(
            content=data,
            filename=filename,
            title=title[:255].strip(),
            alt_text=alt_text[:500].strip(),
            uploaded_by=uploaded_by,
            upload_key=key,
            queue_renditions=queue_renditions,
            allow_duplicate=allow_duplicate,
            visible=visible,
            collection=collection,
        )
    except DuplicateAssetError:
        # A racing finalize of this very key made the asset it "duplicates".
        if existing := Asset.all_objects.filter(upload_key=key).first():
            return existing
        if not keep_duplicate:
            # Recorded before the delete: a failed record keeps the upload.
            duplicate_refusal_record(key=key, filename=filename)
            storage.delete(key)
        raise
    except AssetRefusedError as e:
        upload_refusal_record(
            key=key, reason=e.messages[0], code=e.code, filename=filename
        )
        storage.delete(key)
        raise
    storage.delete(key)
    return asset


def _finalized_elsewhere(key):
    """Return the asset made from ``key`` by a racing finalize, or raise not found."""
    existing = Asset.all_objects.filter(upload_key=key).first()
    if existing:
        return existing
    raise UploadStateError(not_received())


def _is_missing(error):
    """Tell whether a storage error means the object does not exist (S3's 404)."""
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code")) in {
        "404",
        "NoSuchKey",
        "NotFound",
    }


def _title_from_filename(filename):
    stem = (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rsplit(".", 1)[0]
    return stem.replace("_", " ").replace("-", " ").strip()[:255]


def asset_update(
    *, asset, title, alt_text, focal, caption=None, credit=None, focal_decided=None
):
    """Save an editor's changes; a moved crop point re-crops the cover renditions.

    ``caption`` and ``credit`` are left as they are when None (the change
    form sets them on ``asset`` itself; the grid's quick edit passes them).
    Setting, moving or removing the focal area, or ``focal_decided=True``
    (the editor accepted or cleared the suggested one), decides it: the
    suggestion no longer counts (services.assets.focal_suggestions).
    """
    # The row as saved: the change form has already set its fields on ``asset``.
    saved = Asset.objects.filter(pk=asset.pk).only(
        "focal_x", "focal_y", "focal_decided", "focal_suggestion"
    )
    saved = saved.first() or Asset()
    old = (saved.focal_x, saved.focal_y, saved.focal_decided)
    old_crop = saved.crop_focal
    asset.title = title
    asset.alt_text = alt_text
    if caption is not None:
        asset.caption = caption
    if credit is not None:
        asset.credit = credit
    asset.focal_x, asset.focal_y = focal if focal else (None, None)
    asset.focal_decided = decision(old=old, focal=focal, decided=focal_decided)
    if asset.focal_x is None:
        asset.focal_width = asset.focal_height = None
    with transaction.atomic():
        library_write_lock()  # before any row: see services.outbox.changes
        asset.full_clean()
        asset.save()
        changes_record(event=Event.UPDATED, assets=[(asset.pk, asset.collection_id)])
        if old_crop != asset.crop_focal:
            renditions_enqueue(asset_id=asset.pk)
    return asset


def asset_erase(*, asset_id, versions=True):
    """Remove an asset at once, trashed or not, and its stored objects; return
    the keys erased or deleted.

    With ``versions`` (an erasure request, ``erase_asset``) every version of
    every object under the asset's folders is erased, delete markers too, and
    this works after the row is gone, for as long as noncurrent versions
    remain. Without, the current objects are deleted once the deletion commits
    and a versioned bucket keeps them as noncurrent versions for a while (the
    guard against accidents): "Erase now" and the purge of the Trash pass
    MEDIAHUB_ERASE_VERSIONS.
    """
    names = []
    with transaction.atomic():
        library_write_lock()  # before any row: see services.outbox.changes
        asset = Asset.all_objects.select_for_update().filter(pk=asset_id).first()
        if asset is not None:
            names = [name for _, name in asset_object_names(asset)]
            if asset.trashed_at is None:
                # A trashed asset left its look-alikes' counts already, and
                # the change log has its deletion.
                asset_hash_forget(asset=asset)
                changes_record(
                    event=Event.DELETED, assets=[(asset.pk, asset.collection_id)]
                )
            asset.delete()
            if not versions:
                transaction.on_commit(lambda: objects_delete(names=names))
    if versions:
        return objects_erase(asset_id=asset_id)
    return sorted(names)


def asset_object_names(asset):
    """Return ``(alias, name)`` of each object an asset's rows name."""
    names = [
        asset.original,
        *asset.versions.values_list("original", flat=True),
        *asset.renditions.exclude(name="").values_list("name", flat=True),
    ]
    # Edits are versions of the same original: each name once.
    return [(_alias_of(name), name) for name in dict.fromkeys(names)]


def _alias_of(name):
    return "default" if name.startswith("originals/") else "renditions"


def objects_delete(*, names):
    """Delete stored originals and renditions by name, logging what fails."""
    for name in names:
        alias = _alias_of(name)
        try:
            object_delete(alias=alias, key=name)
        except Exception:
            # purge_orphans removes what a failed delete leaves behind.
            logger.exception("Could not delete %s", name)
