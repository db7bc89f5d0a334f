"""Stored objects: delete by exact key, and erase every version of an asset's objects.

Nothing here hands a key to ``Storage.delete``, whose ``clean_name`` rewrites
``\\`` and ``..``: on S3 an object is deleted through the bucket's client with
the key exactly as listed or stored, and only once ``transcoder.storage.keys`` knows
its shape. Local storage resolves names to paths, so there too a name of an
unknown shape is left alone.
"""

import logging
import uuid

from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages

from transcoder.storage import keys

logger = logging.getLogger(__name__)

# S3's DeleteObjects takes at most 1,000 keys (or versions) per request.
_BATCH = 1000
_DENIED = {"AccessDenied", "AllAccessDisabled"}


class ErasureDeniedError(ImproperlyConfigured):
    """S3 refused to list or delete object versions: the role may not erase."""

    def __init__(self, prefix, code):
        super().__init__(
            f"S3 refused to erase the versions under {prefix} ({code}). Erasure "
            "needs s3:ListBucketVersions and s3:DeleteObjectVersion, which the "
            "function's role holds only when the stack (infra/template.yaml) is "
            "deployed with AllowVersionErasure=true: deploy the stack with it, "
            "then run erase_asset for this asset again."
        )


def s3_client(storage):
    """Return ``(client, bucket name)`` of an S3 storage, or ``(None, None)``."""
    if getattr(storage, "bucket_name", None) is None:
        return None, None
    return storage.connection.meta.client, storage.bucket_name


def object_delete(*, alias, key):
    """Delete the object stored under exactly ``key``; return whether it was tried.

    A key in no shape mediahub makes or accepts is logged and left alone.
    """
    if not keys.is_known_key(key):
        logger.warning("Not deleting %r from %s: not a key mediahub makes", key, alias)
        return False
    storage = storages[alias]
    client, bucket = s3_client(storage)
    if client is None:
        storage.delete(key)
    else:
        # On a versioned bucket this leaves the data as a noncurrent version.
        client.delete_object(Bucket=bucket, Key=key)
    return True


def asset_prefixes(asset_id):
    """Return ``(alias, prefix)`` of every folder that holds an asset's objects."""
    asset_id = str(asset_id)
    return [
        ("default", f"originals/{asset_id}/"),
        ("renditions", f"renditions/{asset_id}/"),
    ]


def objects_erase(*, asset_id):
    """Erase every version of every object stored for an asset.

    On a versioned bucket a plain delete only hides an object behind a delete
    marker, and the bytes stay as a noncurrent version until the lifecycle
    rule expires them. This deletes each version and each delete marker under
    ``originals/<asset id>/`` and ``renditions/<asset id>/``, so nothing of
    the asset is left to restore. On local storage the files are deleted.
    It needs ``s3:ListBucketVersions`` and ``s3:DeleteObjectVersion``; raise
    ``ErasureDeniedError`` when S3 refuses either.
    Return the key of each version (or delete marker) erased, sorted.
    """
    uuid.UUID(str(asset_id))  # a prefix made of anything else is refused
    erased = []
    for alias, prefix in asset_prefixes(asset_id):
        storage = storages[alias]
        client, bucket = s3_client(storage)
        if client is None:
            erased += _local_erase(storage, prefix.rstrip("/"))
        else:
            erased += _versions_erase(client, bucket, prefix)
    return sorted(erased)


def _versions_erase(client, bucket, prefix):
    from botocore.exceptions import ClientError

    try:
        return _versions_erase_pages(client, bucket, prefix)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code in _DENIED:
            raise ErasureDeniedError(prefix, code) from error
        raise


def _versions_erase_pages(client, bucket, prefix):
    erased, batch = [], []
    pages = client.get_paginator("list_object_versions").paginate(
        Bucket=bucket, Prefix=prefix
    )
    for page in pages:
        for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            if not entry["Key"].startswith(prefix):
                continue
            batch.append({"Key": entry["Key"], "VersionId": entry["VersionId"]})
            erased.append(entry["Key"])
            if len(batch) == _BATCH:
                _delete_batch(client, bucket, batch, prefix)
                batch = []
    if batch:
        _delete_batch(client, bucket, batch, prefix)
    return erased


def _delete_batch(client, bucket, batch, prefix):
    response = client.delete_objects(
        Bucket=bucket, Delete={"Objects": batch, "Quiet": True}
    )
    errors = response.get("Errors") or []
    denied = [e for e in errors if e.get("Code") in _DENIED]
    if denied:
        raise ErasureDeniedError(prefix, denied[0]["Code"])
    if errors:
        first = errors[0]
        raise OSError(
            f"Could not erase {len(errors)} object version(s), "
            f"first {first.get('Key')}: {first.get('Code')} {first.get('Message')}"
        )


def _local_erase(storage, prefix):
    try:
        dirs, files = storage.listdir(prefix)
    except FileNotFoundError:
        return []
    erased = []
    for name in files:
        storage.delete(f"{prefix}/{name}")
        erased.append(f"{prefix}/{name}")
    for name in dirs:
        erased += _local_erase(storage, f"{prefix}/{name}")
    return erased
