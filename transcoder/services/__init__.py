"""The only writers: every change to assets, presets and renditions.

Callers use the package (``services.asset_create(...)``); its packages split
it by concern (assets, rendering, library, access, outbox, background) and
this module re-exports their public names.
"""

from transcoder.services.access.tokens import api_token_issue
from transcoder.services.access.usage import usage_by_asset, usage_record, usage_summary
from transcoder.services.assets.assets import (
    AssetRefusedError,
    UploadNotFoundError,
    UploadOwnerError,
    UploadStateError,
    asset_create,
    asset_erase,
    asset_update,
    objects_delete,
    validate_image,
)
from transcoder.services.assets.edits import (
    AssetEditError,
    asset_edit,
    asset_edit_apply,
    edit_error,
)
from transcoder.services.assets.objects import object_delete, objects_erase
from transcoder.services.assets.refusals import upload_refusal_record, upload_refused
from transcoder.services.assets.uploads import (
    UploadPurposeError,
    asset_finalize_upload,
    asset_replace_upload,
    upload_finalize_by_key,
    upload_key_user,
    upload_refuse,
)
from transcoder.services.assets.versions import (
    asset_replace,
    asset_version_restore,
)
from transcoder.services.background.jobs import (
    JobActionError,
    job_progress,
    job_register,
    job_start,
    job_step,
    jobs_requeue_stalled,
    rebuild_start,
)
from transcoder.services.background.maintenance import orphans_purge, orphans_purge_step
from transcoder.services.background.sweeper import sweep
from transcoder.services.library.collections import (
    CollectionError,
    assets_move,
    collection_by_path,
    collection_create,
    collection_default,
    collection_delete,
    collection_permissions_set,
    collection_update,
)
from transcoder.services.library.duplicates import (
    DuplicateAssetError,
    duplicate_of,
    near_duplicates,
)
from transcoder.services.library.tags import (
    TagError,
    tags_add,
    tags_parse,
    tags_remove,
    tags_set,
)
from transcoder.services.library.trash import (
    asset_delete,
    asset_restore,
    trash_days,
    trash_days_left,
    trash_erase,
    trash_expired,
)
from transcoder.services.outbox.changes import (
    changes_batch,
    changes_head,
    changes_prune,
    changes_record,
    event_emit,
)
from transcoder.services.outbox.webhook_http import (
    SignatureError,
    WebhookUrlError,
    signature_verify,
)
from transcoder.services.outbox.webhooks import (
    WebhookError,
    webhook_deliver,
    webhook_endpoint_save,
    webhook_resend,
    webhooks_dispatch,
    webhooks_due,
)
from transcoder.services.rendering.presets import preset_save
from transcoder.services.rendering.renditions import (
    RenditionStorageError,
    rendition_name,
    renditions_enqueue,
    renditions_generate,
)
from transcoder.services.rendering.states import (
    asset_state_refresh,
    asset_states_refresh_all,
)
from transcoder.storage.keys import is_upload_key, original_name

__all__ = [
    "AssetEditError",
    "asset_edit",
    "asset_edit_apply",
    "edit_error",
    "changes_batch",
    "changes_head",
    "changes_prune",
    "changes_record",
    "event_emit",
    "webhooks_emit",
    "SignatureError",
    "WebhookError",
    "WebhookUrlError",
    "signature_verify",
    "webhook_deliver",
    "webhook_endpoint_save",
    "webhook_resend",
    "webhooks_dispatch",
    "webhooks_due",
    "CollectionError",
    "assets_move",
    "collection_by_path",
    "collection_create",
    "collection_default",
    "collection_delete",
    "collection_permissions_set",
    "collection_update",
    "TagError",
    "tags_add",
    "tags_parse",
    "tags_remove",
    "tags_set",
    "AssetRefusedError",
    "DuplicateAssetError",
    "RenditionStorageError",
    "UploadNotFoundError",
    "UploadStateError",
    "UploadOwnerError",
    "UploadPurposeError",
    "upload_finalize_by_key",
    "upload_key_user",
    "upload_refuse",
    "upload_refusal_record",
    "upload_refused",
    "api_token_issue",
    "asset_create",
    "asset_delete",
    "asset_erase",
    "asset_restore",
    "trash_days",
    "trash_days_left",
    "trash_erase",
    "trash_expired",
    "asset_finalize_upload",
    "is_upload_key",
    "asset_replace",
    "asset_replace_upload",
    "asset_update",
    "asset_version_restore",
    "duplicate_of",
    "near_duplicates",
    "usage_by_asset",
    "usage_record",
    "usage_summary",
    "asset_state_refresh",
    "asset_states_refresh_all",
    "object_delete",
    "objects_delete",
    "objects_erase",
    "original_name",
    "orphans_purge",
    "orphans_purge_step",
    "preset_save",
    "rebuild_start",
    "JobActionError",
    "job_progress",
    "job_register",
    "job_start",
    "job_step",
    "jobs_requeue_stalled",
    "rendition_name",
    "sweep",
    "renditions_enqueue",
    "renditions_generate",
    "validate_image",
]


def webhooks_emit(event, payload, *, collection=None, actor=None):
    """Send ``event`` (``upload.moderated``) with ``payload`` to the endpoints
    that subscribed to it and whose creator may view ``collection``; call
    inside the transaction of the change it reports."""
    return event_emit(
        event=event,
        data=payload,
        collection_id=getattr(collection, "pk", collection),
        actor=actor,
    )
