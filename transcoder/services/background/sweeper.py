"""The sweeper: notice work that nobody is doing, and have it done.

Scheduled every few minutes, in bounded batches (MEDIAHUB_SWEEP_BATCH,
MEDIAHUB_SWEEP_SECONDS), it

- queues ``generate_renditions`` again for renditions pending longer than
  MEDIAHUB_SWEEP_PENDING_AFTER (their task was lost: a dropped async
  invocation, a killed worker), and for assets whose task was lost before it
  made any row. Each such queueing counts as an attempt; a row that has used
  up MEDIAHUB_MAX_ATTEMPTS is marked failed with the reason instead.
- queues again the next batch of each job (a rebuild, a bulk action) that has
  not moved for as long: its task was lost the same ways.
- finalizes every upload under uploads/ older than MEDIAHUB_SWEEP_UPLOADS_AFTER
  that is neither an asset nor a recorded refusal, through the S3 event's own
  path, so each ends as one or the other. The listing goes on from a stored
  cursor and starts again from the beginning once it reaches the end.
- drops upload widget asks never finalized within as long, with any bytes
  sent under widget/ (files awaiting review are never touched).

Everything it does is idempotent: two sweeps at once, or a sweep racing the
S3 event or the client's finalize, make one asset per upload key (the unique
``Asset.upload_key``) and one refusal per key.
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from transcoder.conf import setting
from transcoder.models import (
    Asset,
    Rendition,
    RenditionState,
    RenditionStatus,
    UploadRefusal,
)
from transcoder.services.access.widget import widget_uploads_expire
from transcoder.services.assets.uploads import upload_finalize_by_key
from transcoder.services.background.cursors import cursor_get, cursor_set
from transcoder.services.background.jobs import jobs_requeue_stalled
from transcoder.services.background.maintenance import listed_page
from transcoder.services.library.duplicates import DuplicateAssetError
from transcoder.services.outbox.changes import changes_prune
from transcoder.services.rendering.renditions import renditions_enqueue, renditions_plan
from transcoder.services.rendering.states import asset_state_refresh
from transcoder.storage import keys

logger = logging.getLogger(__name__)

CURSOR = "sweep_uploads"
LIST_PAGE = 1000
WAITING = (RenditionState.PENDING, RenditionState.FAILED_PENDING)


@dataclass
class SweepReport:
    """What one sweep did: asset ids queued again, rows failed for good, upload
    keys made into assets, refused, or left (an error, logged); how many
    uploads it listed, and whether the listing of uploads/ came to its end."""

    requeued: list = field(default_factory=list)
    jobs: int = 0
    failed: int = 0
    finalized: list = field(default_factory=list)
    refused: list = field(default_factory=list)
    left: list = field(default_factory=list)
    listed: int = 0
    pending_full: bool = False
    uploads_done: bool = False
    widget_expired: int = 0

    @property
    def done(self):
        """Tell whether a further sweep now would find nothing more to start."""
        return self.uploads_done and not self.pending_full


def sweep(*, now=None, batch=None, seconds=None):
    """Run one bounded sweep: lost rendition work first, then unfinished uploads."""
    now = now or timezone.now()
    batch = max(1, batch or setting("SWEEP_BATCH"))
    stop_at = time.monotonic() + (seconds or setting("SWEEP_SECONDS"))
    report = SweepReport()
    _pending(now, batch, report)
    report.jobs = jobs_requeue_stalled(
        older_than=timedelta(seconds=setting("SWEEP_PENDING_AFTER")),
        now=now,
        limit=batch,
    )
    _uploads(now, batch, stop_at, report)
    changes_prune(now=now)
    # Upload widget asks never finalized (their bytes under widget/, if any).
    report.widget_expired = widget_uploads_expire(
        now=now, ttl=setting("SWEEP_UPLOADS_AFTER"), limit=batch
    )
    logger.info(
        "Sweep: %d asset(s) and %d job(s) queued again, %d rendition(s) failed, "
        "%d upload(s) finalized, %d refused, %d left",
        len(report.requeued),
        report.jobs,
        report.failed,
        len(report.finalized),
        len(report.refused),
        len(report.left),
    )
    return report


def _pending(now, batch, report):
    """Queue lost rendition work again, at most ``batch`` rows (and assets)."""
    cutoff = now - timedelta(seconds=setting("SWEEP_PENDING_AFTER"))
    # An asset whose task was lost before it began has no rows to count on.
    rowless = (
        Asset.objects.filter(rendition_state__in=WAITING, created_at__lt=cutoff)
        .exclude(Exists(Rendition.objects.filter(asset=OuterRef("pk"))))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    fresh = []
    for asset_id in rowless:
        rows = renditions_plan(asset_id=asset_id)
        if not rows:
            # Nothing to build (no active preset fits): say so on the asset,
            # so it is not picked again.
            asset_state_refresh(asset_id=asset_id)
        fresh += [row.pk for row in rows]
    stale = (
        Rendition.objects.filter(
            status=RenditionStatus.PENDING,
            superseded_at__isnull=True,
            preset__active=True,
        )
        .filter(updated_at__lt=cutoff)
        .order_by("updated_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    ids = list(dict.fromkeys([*stale, *fresh]))
    rows = Rendition.objects.filter(pk__in=ids, status=RenditionStatus.PENDING)
    limit = setting("MAX_ATTEMPTS")
    spent = rows.filter(attempts__gte=limit)
    touched = set(spent.values_list("asset_id", flat=True))
    report.failed = spent.update(
        status=RenditionStatus.FAILED,
        error=_(
            "No build finished after %(count)d attempts; regenerate the "
            "renditions to try again."
        )
        % {"count": limit},
        updated_at=now,
    )
    retry = rows.filter(attempts__lt=limit)
    assets = sorted({str(a) for a in retry.values_list("asset_id", flat=True)})
    # Counted as an attempt: a task lost every time must not be queued for ever.
    retry.update(attempts=F("attempts") + 1, updated_at=now)
    for asset_id in sorted({str(a) for a in touched} - set(assets)):
        asset_state_refresh(asset_id=asset_id)
    for asset_id in assets:
        logger.warning("Renditions of %s were pending too long; queued again", asset_id)
        renditions_enqueue(asset_id=asset_id)
    report.requeued = assets
    # A full batch that changed something may have left more behind it.
    report.pending_full = len(ids) >= batch and bool(assets or report.failed)


def _uploads(now, batch, stop_at, report):
    """Finalize at most ``batch`` unfinished uploads of one listed page, from
    the stored cursor."""
    cutoff = now - timedelta(seconds=setting("SWEEP_UPLOADS_AFTER"))
    marker = cursor_get(name=CURSOR)
    # Listing is cheap next to a finalize: a page of S3's size per run, of
    # which at most ``batch`` uploads are finalized.
    page, last = listed_page(storages["default"], "uploads", marker, LIST_PAGE)
    report.listed = len(page)
    old = {name for name, modified in page if modified < cutoff}
    # A trashed asset was made from its upload all the same.
    made = Asset.all_objects.filter(upload_key__in=old).values_list(
        "upload_key", flat=True
    )
    refused = UploadRefusal.objects.filter(key__in=old).values_list("key", flat=True)
    settled = set(made) | set(refused)
    tried = 0
    for name, _modified in page:
        if tried >= batch or time.monotonic() >= stop_at:
            last = False
            break
        marker = name
        if name in old and name not in settled and keys.is_upload_key(name):
            _finalize(name, report)
            tried += 1
    report.uploads_done = last
    cursor_set(name=CURSOR, marker="" if last else marker)


def _finalize(key, report):
    """Finalize one upload through the S3 event's path; count how it ended."""
    try:
        asset = upload_finalize_by_key(
            key=key, client_pending=False, queue_renditions=True
        )
    except DuplicateAssetError:
        report.refused.append(key)
    except ValidationError as e:
        if UploadRefusal.objects.filter(key=key).exists():
            report.refused.append(key)
        else:
            logger.warning("Sweep left upload %s: %s", key, "; ".join(e.messages))
            report.left.append(key)
    except Exception:
        # One upload S3 or the database fails on must not stop the rest; the
        # next pass over uploads/ finds it again.
        logger.exception("Sweep could not finalize upload %s", key)
        report.left.append(key)
    else:
        logger.info("Sweep finalized upload %s as asset %s", key, asset.pk)
        report.finalized.append(key)
