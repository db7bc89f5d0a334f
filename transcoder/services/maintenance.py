"""Maintenance: remove the objects and rows that nothing needs any more."""

from datetime import timedelta

from django.core.files.storage import storages
from django.utils import timezone

from transcoder.conf import setting
from transcoder.models import Asset, Rendition

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
    plan += [
        ("default", name, "no asset refers to it")
        for name, modified in _objects(storages["default"], "originals")
        if name not in originals and modified < now - ORIGINAL_GRACE
    ]
    if not dry_run:
        for alias, name, _ in plan:
            storages[alias].delete(name)
    return plan


def _objects(storage, prefix):
    """Yield ``(name, last modified)`` of every object under ``prefix``."""
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:
        # One S3 listing gives the dates too: no HEAD request per object.
        for summary in bucket.objects.filter(Prefix=f"{prefix}/"):
            yield summary.key, summary.last_modified
        return
    try:
        dirs, files = storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{prefix}/{name}", storage.get_modified_time(f"{prefix}/{name}")
    for name in dirs:
        yield from _objects(storage, f"{prefix}/{name}")
