"""The only writers: every change to assets, presets and renditions.

Callers use the package (``services.asset_create(...)``); the modules below
split it by concern.
"""

from transcoder.services.assets import (
    UPLOAD_KEY,
    AssetRefusedError,
    UploadNotFoundError,
    asset_create,
    asset_delete,
    asset_finalize_upload,
    asset_update,
    is_upload_key,
    objects_delete,
    original_name,
    validate_image,
)
from transcoder.services.maintenance import orphans_purge
from transcoder.services.presets import preset_save
from transcoder.services.rebuilds import (
    rebuild_progress,
    rebuild_start,
    rebuild_step,
)
from transcoder.services.renditions import (
    RenditionStorageError,
    rendition_name,
    renditions_enqueue,
    renditions_generate,
)
from transcoder.services.tokens import api_token_issue

__all__ = [
    "UPLOAD_KEY",
    "AssetRefusedError",
    "RenditionStorageError",
    "UploadNotFoundError",
    "api_token_issue",
    "asset_create",
    "asset_delete",
    "asset_finalize_upload",
    "is_upload_key",
    "asset_update",
    "objects_delete",
    "original_name",
    "orphans_purge",
    "preset_save",
    "rebuild_progress",
    "rebuild_start",
    "rebuild_step",
    "rendition_name",
    "renditions_enqueue",
    "renditions_generate",
    "validate_image",
]
