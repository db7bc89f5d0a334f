"""Versions: replace an asset's file and keep everything else; restore a version.

The asset row always describes the current file; each earlier file is an
AssetVersion. Replacing or restoring keeps the asset's id, title, alt text,
focal point and embed links (a replacing file's metadata fills only blank
fields, see services.assets.metadata), and gives its renditions new content-addressed
names (``Asset.spec_source`` enters every spec digest), so the old renditions
are superseded as for a preset edit and old signed URLs keep working until
purge_orphans.
"""

import hashlib
import logging

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from transcoder.conf import image_limits
from transcoder.imaging.edits import Recipe, carry_focal, source_size
from transcoder.models import Asset, AssetVersion, Event, RenditionState
from transcoder.services.assets.assets import (
    AssetRefusedError,
    _read_limited,
    validate_image,
)
from transcoder.services.assets.focal_suggestions import (
    hash_and_suggestion,
    suggestion_carried,
)
from transcoder.services.assets.metadata import (
    file_metadata,
    metadata_fill,
    metadata_tags_apply,
)
from transcoder.services.library.duplicates import (
    asset_hash_set,
    library_write_lock,
)
from transcoder.services.outbox.changes import changes_record
from transcoder.services.rendering.renditions import renditions_enqueue
from transcoder.storage.keys import original_name

logger = logging.getLogger(__name__)

# What a version keeps of a file, and the asset has of its current one.
FILE_FIELDS = (
    "original",
    "original_filename",
    "content_hash",
    "format",
    "mime_type",
    "width",
    "height",
    "bytes",
    "frames",
    "dhash",
    "focal_suggestion",
    "uploaded_by_id",
    # The edit recipe (services.assets.edits): a version may be the same original
    # shown turned, mirrored or cropped; width and height are that picture's.
    "edit",
)


class _AlreadyCurrent(Exception):
    """The file became the asset's current one while this replace was storing it."""


def _version_of_current(asset):
    return AssetVersion(
        asset_id=asset.pk,
        created_at=asset.file_uploaded_at or asset.created_at,
        **{f: getattr(asset, f) for f in FILE_FIELDS},
    )


def _make_current(asset, facts, *, uploaded_at):
    dhash = facts.pop("dhash")
    for field, value in facts.items():
        setattr(asset, field, value)
    asset.file_uploaded_at = uploaded_at
    asset.spec_source = asset.content_hash[:16]
    # The new file's placeholder comes with its renditions.
    asset.thumbhash = asset.dominant_colour = ""
    # Pending until the new file's renditions are built (then asset.ready).
    asset.rendition_state = RenditionState.PENDING
    asset.save()
    changes_record(event=Event.REPLACED, assets=[(asset.pk, asset.collection_id)])
    asset_hash_set(asset=asset, dhash=dhash)
    renditions_enqueue(asset_id=asset.pk)


def asset_replace(*, asset, content, filename="", uploaded_by=None):
    """Make ``content`` the asset's file; the current file becomes a version.

    The new file is checked as any upload (AssetRefusedError, nothing stored);
    the same file as the current one is refused. Return the asset.
    """
    data = _read_limited(content, image_limits().max_bytes)
    info = validate_image(data)
    found = file_metadata(data, info.format)
    content_hash = hashlib.sha256(data).hexdigest()
    if content_hash == asset.content_hash:
        raise AssetRefusedError(
            _("This is the asset's current file already."), code="SameFile"
        )
    dhash, suggestion = hash_and_suggestion(data)
    storage = storages["default"]
    name = storage.save(
        original_name(asset.pk, content_hash, info.format), ContentFile(data)
    )
    facts = {
        "original": name,
        "original_filename": (filename or "")[:255],
        "content_hash": content_hash,
        "format": info.format,
        "mime_type": info.mime,
        "width": info.width,
        "height": info.height,
        "bytes": len(data),
        "frames": info.frames,
        "dhash": dhash,
        "focal_suggestion": suggestion,
        "uploaded_by_id": getattr(uploaded_by, "pk", None),
        # A new file starts unedited.
        "edit": {},
    }
    try:
        with transaction.atomic():
            library_write_lock()  # before any row: see services.outbox.changes
            locked = Asset.objects.select_for_update().get(pk=asset.pk)
            if locked.content_hash == content_hash:
                # A racing replace with the same upload (the S3 event and the
                # client's call) got here first: one version, not two.
                raise _AlreadyCurrent
            _version_of_current(locked).save(force_insert=True)
            # The new file fills only what is blank: an editor's words stay.
            metadata_fill(asset=locked, found=found)
            _make_current(locked, facts, uploaded_at=timezone.now())
            metadata_tags_apply(asset=locked, found=found)
    except _AlreadyCurrent:
        storage.delete(name)
        return locked
    except BaseException:
        storage.delete(name)
        raise
    logger.info("Asset %s: file replaced by %s", asset.pk, name)
    return locked


def version_recipe(version):
    """Return the edit recipe a version's picture was made with."""
    return Recipe.from_json(
        version.edit, source_size(version.edit, version.width, version.height)
    )


def focal_carry(*, asset, old, new):
    """Move the asset's focal point or area, and its suggested area, from
    ``old``'s picture to ``new``'s (not saved); each is cleared when ``new``
    cuts it away (imaging.edits.carry_focal)."""
    focal = asset.focal
    if focal is not None and asset.focal_width and asset.focal_height:
        focal = (*focal, asset.focal_width, asset.focal_height)
    moved = carry_focal(focal, old, new)
    asset.focal_x, asset.focal_y, asset.focal_width, asset.focal_height = (
        (*moved, None, None)[:4] if moved else (None, None, None, None)
    )
    asset.focal_suggestion = suggestion_carried(asset.focal_suggestion, old, new)


def asset_version_restore(*, version):
    """Make an earlier file current again; the current file becomes a version."""
    with transaction.atomic():
        library_write_lock()  # before any row: see services.outbox.changes
        asset = Asset.objects.select_for_update().get(pk=version.asset_id)
        version = AssetVersion.objects.select_for_update().get(pk=version.pk)
        facts = {f: getattr(version, f) for f in FILE_FIELDS}
        uploaded_at = version.created_at
        current = _version_of_current(asset)
        if version.content_hash == asset.content_hash:
            # The same original with another edit: the focal area follows.
            focal_carry(asset=asset, old=asset.recipe, new=version_recipe(version))
        version.delete()
        current.save(force_insert=True)
        _make_current(asset, facts, uploaded_at=uploaded_at)
    logger.info("Asset %s: restored %s", asset.pk, asset.original)
    return asset
