"""Maintenance: remove the objects and rows that nothing needs any more."""

import logging
from datetime import timedelta

from django.core.files.storage import storages
from django.utils import timezone

from transcoder.conf import setting
from transcoder.models import Asset, AssetVersion, Rendition
from transcoder.services.objects import object_delete, s3_client
from transcoder.storage import keys

logger = logging.getLogger(__name__)

# What each listed prefix may hold; anything else there is not ours to delete.
SHAPES = {
    "renditions": keys.is_rendition_key,
    "uploads": keys.is_upload_key,
    "originals": keys.is_original_key,
}

# An upload is finalized right after its POST; the margin covers retried S3 events.
UPLOAD_GRACE = timedelta(hours=1)
# An original is stored just before its row is inserted.
ORIGINAL_GRACE = timedelta(days=1)


def orphans_purge(*, dry_run=False, now=None):
    """Delete objects and rows nothing needs any more; return ``(alias, name, why)``.

    Superseded renditions and unreferenced rendition objects go once
    MEDIAHUB_URL_TTL has passed (old signed URLs keep working until then, and a
    build writes its object before its row); uploads once their POST policy
    and a margin have expired; originals without an asset after a day.

    Objects are listed and deleted by their raw key, never through a name
    storage would rewrite, and a key of no shape mediahub makes or accepts is
    logged and kept: ``uploads/..\\originals\\...`` is not a stale upload.
    """
    now = now or timezone.now()
    url_cutoff = now - timedelta(seconds=setting("URL_TTL"))
    stale = Rendition.objects.filter(superseded_at__lt=url_cutoff)
    stale_names = set(stale.exclude(name="").values_list("name", flat=True))
    plan = [("renditions", n, "superseded") for n in sorted(stale_names)]
    if not dry_run:
        stale.delete()
    used = set(Rendition.objects.exclude(name="").values_list("name", flat=True))
    used |= stale_names
    plan += [
        ("renditions", name, "no rendition refers to it")
        for name, modified in _objects(storages["renditions"], "renditions")
        if name not in used and modified < url_cutoff
    ]
    upload_ttl = timedelta(seconds=setting("UPLOAD_URL_TTL"))
    plan += [
        ("default", name, "stale upload")
        for name, modified in _objects(storages["default"], "uploads")
        if modified < now - upload_ttl - UPLOAD_GRACE
    ]
    originals = set(Asset.objects.values_list("original", flat=True))
    # An earlier file of a replaced asset is kept as a version, to restore.
    originals |= set(AssetVersion.objects.values_list("original", flat=True))
    plan += [
        ("default", name, "no asset refers to it")
        for name, modified in _objects(storages["default"], "originals")
        if name not in originals and modified < now - ORIGINAL_GRACE
    ]
    plan = [(alias, name, why) for alias, name, why in plan if _ours(name)]
    if not dry_run:
        for alias, name, _ in plan:
            object_delete(alias=alias, key=name)
    return plan


def _ours(name):
    if keys.is_known_key(name):
        return True
    logger.warning("Keeping %r: not a key mediahub makes", name)
    return False


def _objects(storage, prefix):
    """Yield ``(key, last modified)`` of each object of its prefix's shape."""
    for name, modified in _listed(storage, prefix):
        if SHAPES[prefix.split("/", 1)[0]](name):
            yield name, modified
        else:
            logger.warning("Skipping %r: not a key mediahub makes", name)


def _listed(storage, prefix):
    client, bucket = s3_client(storage)
    if client is not None:
        # One S3 listing gives the dates too: no HEAD request per object.
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=f"{prefix}/"
        )
        for page in pages:
            for summary in page.get("Contents", []):
                yield summary["Key"], summary["LastModified"]
        return
    try:
        dirs, files = storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{prefix}/{name}", storage.get_modified_time(f"{prefix}/{name}")
    for name in dirs:
        yield from _listed(storage, f"{prefix}/{name}")
