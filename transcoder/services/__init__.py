"""The only writers: every change to assets, presets and renditions.

Callers use the package (``services.asset_create(...)``); the modules below
split it by concern.
"""

from transcoder.keys import is_upload_key, original_name
from transcoder.services.assets import (
    AssetRefusedError,
    UploadNotFoundError,
    UploadOwnerError,
    asset_create,
    asset_delete,
    asset_erase,
    asset_finalize_upload,
    asset_update,
    objects_delete,
    validate_image,
)
from transcoder.services.maintenance import orphans_purge
from transcoder.services.objects import object_delete, objects_erase
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
from transcoder.services.states import asset_state_refresh, asset_states_refresh_all
from transcoder.services.tokens import api_token_issue

__all__ = [
    "AssetRefusedError",
    "RenditionStorageError",
    "UploadNotFoundError",
    "UploadOwnerError",
    "api_token_issue",
    "asset_create",
    "asset_delete",
    "asset_erase",
    "asset_finalize_upload",
    "is_upload_key",
    "asset_update",
    "asset_state_refresh",
    "asset_states_refresh_all",
    "object_delete",
    "objects_delete",
    "objects_erase",
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
