"""Maintenance: remove the objects and rows that nothing needs any more.

The purge is bounded: one invocation looks at no more than
MEDIAHUB_PURGE_BATCH rows and listed objects, for no longer than
MEDIAHUB_PURGE_SECONDS, and stores where it stopped (a ``ScheduledCursor``)
for the next. Nothing holds the library in memory: each page of listed keys
is checked against the database with one query for that page.
"""

import itertools
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.files.storage import storages
from django.utils import timezone

from transcoder.conf import setting
from transcoder.models import Asset, AssetVersion, Rendition, UploadRefusal
from transcoder.services.assets.assets import asset_object_names
from transcoder.services.assets.objects import object_delete, s3_client
from transcoder.services.background.cursors import cursor_get, cursor_set
from transcoder.services.library.trash import trash_days, trash_erase, trash_expired
from transcoder.storage import keys

logger = logging.getLogger(__name__)

CURSOR = "purge_orphans"
# The order of one pass: the Trash's expired assets and superseded rows
# first, so that their objects are gone before the listings.
PHASES = ("trash", "superseded", "renditions", "uploads", "originals")
# Where each listed phase looks, and what it may hold; anything else there is
# not ours to delete.
LISTED = {
    "renditions": ("renditions", keys.is_rendition_key),
    "uploads": ("default", keys.is_upload_key),
    "originals": ("default", keys.is_original_key),
}
# S3 lists at most 1,000 keys per request.
PAGE = 1000

# An upload is finalized right after its POST; the margin covers retried S3 events.
UPLOAD_GRACE = timedelta(hours=1)
# An original is stored just before its row is inserted.
ORIGINAL_GRACE = timedelta(days=1)


@dataclass
class PurgeStep:
    """What one bounded invocation did: its plan, how much it looked at, where
    it stopped (``marker``), and whether the pass is over (``done``)."""

    plan: list = field(default_factory=list)
    touched: int = 0
    marker: str = ""
    done: bool = False


def orphans_purge(*, dry_run=False, now=None, budget=None, until_done=True):
    """Delete objects and rows nothing needs any more; return ``(alias, name, why)``.

    Superseded renditions and unreferenced rendition objects go once
    MEDIAHUB_URL_TTL has passed (old signed URLs keep working until then, and a
    build writes its object before its row); an upload once its POST policy
    and a margin have expired and it became an asset or a recorded refusal
    (an upload that is neither is left for the sweeper, and logged);
    originals without an asset after a day.

    With ``until_done`` the bounded invocations (``orphans_purge_step``) run
    one after another until the pass is over; otherwise one runs. A dry run
    starts from the beginning, deletes nothing and stores no cursor.

    Objects are listed and deleted by their raw key, never through a name
    storage would rewrite, and a key of no shape mediahub makes or accepts is
    logged and kept: ``uploads/..\\originals\\...`` is not a stale upload.
    """
    now = now or timezone.now()
    marker = "" if dry_run else None
    plan = []
    while True:
        step = orphans_purge_step(
            dry_run=dry_run, now=now, budget=budget, marker=marker
        )
        plan += step.plan
        if step.done or not until_done:
            return plan
        if dry_run:
            marker = step.marker


def orphans_purge_step(
    *, dry_run=False, now=None, budget=None, seconds=None, marker=None
):
    """Do one bounded part of a purge pass; return a ``PurgeStep``.

    The pass starts by erasing the assets in the Trash for over
    MEDIAHUB_TRASH_DAYS (each counts as one row), as "Erase now" would.

    At most ``budget`` (default MEDIAHUB_PURGE_BATCH) rows and listed objects
    are looked at, and no new page is started after ``seconds`` (default
    MEDIAHUB_PURGE_SECONDS). Without ``marker`` the pass goes on from the
    stored cursor, which is stored again after every page: a fault midway
    loses nothing, and the next run takes the page again. Deleting is
    idempotent, so a page done twice, or two purges at once, do no harm.
    """
    now = now or timezone.now()
    budget = max(1, budget or setting("PURGE_BATCH"))
    stop_at = time.monotonic() + (seconds or setting("PURGE_SECONDS"))
    stored = marker is None
    step = PurgeStep(marker=cursor_get(name=CURSOR) if stored else marker)
    phase, position = _parse(step.marker)
    while step.touched < budget and time.monotonic() < stop_at:
        limit = min(budget - step.touched, PAGE)
        if phase == "trash":
            looked, position, last = _trash(now, position, limit, dry_run)
        elif phase == "superseded":
            looked, position, last = _superseded(now, position, limit, dry_run)
        else:
            looked, position, last = _listed_page(phase, now, position, limit, dry_run)
        step.plan += looked["plan"]
        step.touched += looked["count"]
        if last:
            following = PHASES.index(phase) + 1
            if following == len(PHASES):
                step.done, step.marker = True, ""
                break
            phase, position = PHASES[following], ""
        step.marker = f"{phase}:{position}"
        if stored and not dry_run:
            cursor_set(name=CURSOR, marker=step.marker)
    if stored and not dry_run:
        cursor_set(name=CURSOR, marker=step.marker)
    logger.info(
        "purge_orphans looked at %d, planned %d, %s",
        step.touched,
        len(step.plan),
        "pass done" if step.done else f"goes on from {step.marker!r}",
    )
    return step


def _parse(marker):
    phase, _, position = (marker or "").partition(":")
    if phase not in PHASES:
        return PHASES[0], ""
    return phase, position


def _trash(now, position, limit, dry_run):
    """Erase one batch of the assets in the Trash for over MEDIAHUB_TRASH_DAYS."""
    rows = trash_expired(now=now).order_by("pk")
    if position:
        rows = rows.filter(pk__gt=uuid.UUID(position))
    rows = list(rows[:limit])
    why = f"in the Trash for over {trash_days()} days"
    plan = [
        (alias, name, why)
        for asset in rows
        for alias, name in asset_object_names(asset)
        if _ours(name)
    ]
    if not dry_run:
        for asset in rows:
            trash_erase(asset_id=asset.pk)
    last = len(rows) < limit
    position = str(rows[-1].pk) if rows else position
    return {"plan": plan, "count": len(rows)}, position, last


def _superseded(now, position, limit, dry_run):
    """Delete one batch of renditions superseded before the URL lifetime."""
    cutoff = now - timedelta(seconds=setting("URL_TTL"))
    rows = Rendition.objects.filter(superseded_at__lt=cutoff).order_by("pk")
    if position:
        rows = rows.filter(pk__gt=int(position))
    rows = list(rows.values_list("pk", "name")[:limit])
    plan = [
        ("renditions", name, "superseded") for _, name in rows if name and _ours(name)
    ]
    if not dry_run and rows:
        # Objects first: a fault keeps the rows, and the next run tries again.
        for alias, name, _ in plan:
            object_delete(alias=alias, key=name)
        Rendition.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
    last = len(rows) < limit
    position = str(rows[-1][0]) if rows else position
    return {"plan": plan, "count": len(rows)}, position, last


def _listed_page(phase, now, position, limit, dry_run):
    """List one page of ``phase``'s prefix after ``position``; delete what qualifies."""
    alias, shape = LISTED[phase]
    page, last = listed_page(storages[alias], phase, position, limit)
    names = []
    for name, modified in page:
        if shape(name):
            names.append((name, modified))
        else:
            logger.warning("Skipping %r: not a key mediahub makes", name)
    plan = [
        (alias, name, why) for name, why in JUDGES[phase](names, now) if _ours(name)
    ]
    if not dry_run:
        for _, name, _ in plan:
            object_delete(alias=alias, key=name)
    position = page[-1][0] if page else position
    return {"plan": plan, "count": len(page)}, position, last


def _judge_renditions(page, now):
    cutoff = now - timedelta(seconds=setting("URL_TTL"))
    names = [name for name, _ in page]
    used = set(Rendition.objects.filter(name__in=names).values_list("name", flat=True))
    for name, modified in page:
        if name not in used and modified < cutoff:
            yield name, "no rendition refers to it"


def _judge_uploads(page, now):
    cutoff = now - timedelta(seconds=setting("UPLOAD_URL_TTL")) - UPLOAD_GRACE
    old = [name for name, modified in page if modified < cutoff]
    made = Asset.all_objects.filter(upload_key__in=old).values_list(
        "upload_key", flat=True
    )
    refused = UploadRefusal.objects.filter(key__in=old).values_list("key", flat=True)
    settled = set(made) | set(refused)
    for name in old:
        if name in settled:
            yield name, "stale upload"
        else:
            logger.warning(
                "Keeping upload %s: neither an asset nor a refusal yet "
                "(the sweeper finalizes it)",
                name,
            )


def _judge_originals(page, now):
    cutoff = now - ORIGINAL_GRACE
    names = [name for name, _ in page]
    used = set(
        # A trashed asset keeps its original until the Trash lets it go.
        Asset.all_objects.filter(original__in=names).values_list("original", flat=True)
    )
    # An earlier file of a replaced asset is kept as a version, to restore.
    used |= set(
        AssetVersion.objects.filter(original__in=names).values_list(
            "original", flat=True
        )
    )
    for name, modified in page:
        if name not in used and modified < cutoff:
            yield name, "no asset refers to it"


JUDGES = {
    "renditions": _judge_renditions,
    "uploads": _judge_uploads,
    "originals": _judge_originals,
}


def _ours(name):
    if keys.is_known_key(name):
        return True
    logger.warning("Keeping %r: not a key mediahub makes", name)
    return False


def listed_page(storage, prefix, after, limit):
    """Return up to ``limit`` ``(key, last modified)`` after ``after``, in key
    order, and whether the listing is over."""
    client, bucket = s3_client(storage)
    if client is not None:
        # One S3 listing gives the dates too: no HEAD request per object.
        kwargs = {"Bucket": bucket, "Prefix": f"{prefix}/", "MaxKeys": limit}
        if after:
            kwargs["StartAfter"] = after
        answer = client.list_objects_v2(**kwargs)
        page = [(s["Key"], s["LastModified"]) for s in answer.get("Contents", [])]
        return page, not answer.get("IsTruncated")
    names = list(itertools.islice(local_keys(storage, prefix, after), limit))
    page = [(name, storage.get_modified_time(name)) for name in names]
    return page, len(page) < limit


def local_keys(storage, prefix, after=""):
    """Yield the keys under ``prefix`` of a local storage in S3's order (by key),
    only those after ``after``, without walking folders wholly before it."""
    try:
        dirs, files = storage.listdir(prefix)
    except FileNotFoundError:
        return
    # A folder sorts as its name and "/", so keys come out in string order.
    entries = sorted(
        [(f"{prefix}/{d}/", True) for d in dirs]
        + [(f"{prefix}/{f}", False) for f in files]
    )
    for path, is_dir in entries:
        if is_dir:
            if after and path < after and not after.startswith(path):
                continue  # every key in it sorts before ``after``
            yield from local_keys(storage, path[:-1], after)
        elif not after or path > after:
            yield path
