"""Renditions: queue and build them, one decode of the original per asset."""

import logging
import time

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import IntegrityError
from django.db.models import F
from django.utils import timezone

from transcoder import metrics, permissions, queue
from transcoder.conf import image_limits, setting
from transcoder.imaging import dedupe, engine
from transcoder.imaging.specs import SpecError
from transcoder.models import Asset, Preset, Rendition, RenditionStatus
from transcoder.services.rendering.states import asset_state_refresh

logger = logging.getLogger(__name__)


class RenditionStorageError(Exception):
    """A storage fault (an S3 error or time-out) stopped a build; a retry may work."""


def rendition_name(*, asset_id, preset_slug, spec, width):
    """Return the immutable, content-addressed storage name of a rendition."""
    return (
        f"renditions/{asset_id}/{preset_slug}/{spec.digest}-{width}.{spec.output.ext}"
    )


def renditions_enqueue(*, asset_id, preset_ids=None, force=False):
    """Queue rendition generation for after the current transaction commits."""
    args = [str(asset_id), list(preset_ids) if preset_ids else None, force]
    queue.enqueue_on_commit("generate_renditions", *args)


def renditions_generate(*, asset_id, preset_ids=None, force=False):
    """Build every missing rendition of an asset from one decode of its original.

    Idempotent: what is ready is kept; running twice gives the same rows and
    objects. A refused or failed build is recorded on its rows with the reason.
    Returns the rendition rows of the current specs.
    """
    asset = permissions.assets(permissions.WORKER, "change").filter(pk=asset_id)
    asset = asset.first()
    if asset is None:
        return []  # Deleted while queued.
    plan = _plan(asset, preset_ids)
    if plan is None:
        return []  # Deleted meanwhile: do not bring it back.
    todo = [p for p in plan if force or _wants_build(p[2])]
    if todo:
        _build(asset, todo)
    _supersede_stale(asset, plan)
    asset_state_refresh(asset_id=asset.pk)
    fresh = Rendition.objects.select_related("preset").in_bulk(
        [r.pk for _, _, r in plan]
    )
    return [fresh[row.pk] for _, _, row in plan if row.pk in fresh]


def renditions_plan(*, asset_id):
    """Make the missing rows of an asset's current specs, pending; return the
    current rows of its active presets (none if the asset is gone).

    For the sweeper: an asset whose build task was lost before it began has
    no rows at all, and only rows count attempts.
    """
    asset = permissions.assets(permissions.WORKER, "change").filter(pk=asset_id)
    asset = asset.first()
    plan = _plan(asset, None) if asset is not None else None
    return [row for _, _, row in plan or ()]


def _plan(asset, preset_ids):
    """Return ``(preset, spec, row)`` of each current spec, making missing rows
    pending; None if the asset was deleted meanwhile."""
    presets = Preset.objects.filter(active=True)
    if preset_ids:
        presets = presets.filter(pk__in=preset_ids)
    plan = []
    for preset in presets:
        try:
            specs = asset.rendition_specs(preset)
        except SpecError as e:
            # Saved before a limit it now breaks (say a PNG wider than PNG's
            # cap): skip it rather than fail every other preset's build.
            logger.warning("Preset %s is skipped: %s", preset.slug, e)
            continue
        for spec in specs:
            try:
                row, _ = Rendition.objects.get_or_create(
                    asset=asset,
                    preset=preset,
                    digest=spec.digest,
                    defaults={
                        "format": spec.format,
                        "spec_width": spec.width,
                        "spec_height": spec.height,
                    },
                )
            except IntegrityError:
                if not Asset.objects.filter(pk=asset.pk).exists():
                    return None
                raise
            plan.append((preset, spec, row))
    return plan


def _wants_build(row):
    """Tell whether a row still needs a build: not ready, attempts not used up."""
    if row.status == RenditionStatus.READY:
        return False
    return row.status != RenditionStatus.FAILED or row.attempts < setting(
        "MAX_ATTEMPTS"
    )


def _mark(rows, **fields):
    """Update rows in place without re-inserting any that were deleted meanwhile."""
    return Rendition.objects.filter(pk__in=[r.pk for r in rows]).update(
        updated_at=timezone.now(), **fields
    )


def _build(asset, todo):
    """Decode the original once and store each output as soon as it is encoded.

    Each row turns ready as its object is stored, so only one encoded output is
    held at a time. A failure midway leaves the rows before it ready and marks
    the rest failed with the reason; renditions of older specs are untouched.
    """
    # Specs with equal outputs for this original (hero widths above a small
    # image) are encoded once and stored under each of their names.
    groups = _equal_outputs(todo, asset)
    todo = [item for group in groups for item in group]
    rows = [row for _, _, row in todo]
    Rendition.objects.filter(pk__in=[r.pk for r in rows]).update(
        attempts=F("attempts") + 1
    )
    try:
        with storages["default"].open(asset.original, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        if Asset.objects.filter(pk=asset.pk).exists():
            _mark(rows, status=RenditionStatus.FAILED, error="The original is missing.")
        return
    except Exception as e:
        _storage_fault(rows, e, "reading the original")
    report = _TranscodeReport(asset.pk, todo)
    outputs = engine.render_iter(
        data,
        [group[0][1] for group in groups],
        image_limits(),
        threads=setting("ENGINE_THREADS") or None,
        placeholders=True,
    )
    del data
    done = 0
    try:
        for group, out in zip(groups, outputs, strict=True):
            if out.placeholder is not None:
                _placeholder_store(asset, out.placeholder)
            for preset, spec, row in group:
                _store(asset, preset, spec, row, out, rows[done:], report)
                done += 1
    except engine.ImageError as e:
        _mark(rows[done:], status=RenditionStatus.FAILED, error=str(e))
        logger.warning("Asset %s could not be transcoded: %s", asset.pk, e)
        report.fail(done, "refused")
    except RenditionStorageError:
        report.fail(done, "storage_error")
        raise
    except Exception as e:
        reason = f"{type(e).__name__}: {e}"
        _mark(rows[done:], status=RenditionStatus.FAILED, error=reason)
        report.fail(done, "error")
        raise
    finally:
        outputs.close()  # stops the encodes still queued
        report.emit()


def _placeholder_store(asset, made):
    """Keep the placeholder made from the asset's current file."""
    # Filtered on the file: a replace meanwhile clears it for its own build.
    Asset.objects.filter(pk=asset.pk, content_hash=asset.content_hash).update(
        thumbhash=made.thumbhash, dominant_colour=made.colour
    )


def _equal_outputs(todo, asset):
    """Group ``(preset, spec, row)`` items whose outputs are equal for this asset."""
    groups = {}
    for item in todo:
        key = dedupe.output_key(item[1], asset.width, asset.height)
        groups.setdefault(key, []).append(item)
    return list(groups.values())


def _store(asset, preset, spec, row, out, remaining, report):
    """Write one output and mark its row ready; a storage fault fails the rest."""
    storage = storages["renditions"]
    name = rendition_name(
        asset_id=asset.pk, preset_slug=preset.slug, spec=spec, width=out.width
    )
    try:
        _write_once(storage, name, out.data)
    except Exception as e:
        _storage_fault(remaining, e, f"writing {name}")
    updated = _mark(
        [row],
        status=RenditionStatus.READY,
        error="",
        name=name,
        width=out.width,
        height=out.height,
        bytes=len(out.data),
        frames=out.motion.frames if out.motion else 1,
        duration_ms=out.motion.duration_ms if out.motion else None,
        quality=out.quality,
        score=out.score,
    )
    if not updated:
        # The asset was deleted while we worked: do not bring it back.
        storage.delete(name)
    report.built(preset.slug, len(out.data))


class _TranscodeReport:
    """Count what one build made, per preset, for one structured line each."""

    def __init__(self, asset_id, todo):
        self.asset_id = asset_id
        self.started = time.monotonic()
        self.slugs = [preset.slug for preset, _, _ in todo]
        self.presets = {
            slug: {"built": 0, "failed": 0, "bytes": 0, "ms": 0.0}
            for slug in self.slugs
        }
        self.outcome = "ready"

    def built(self, slug, size):
        """Count one stored rendition of preset ``slug``."""
        figures = self.presets[slug]
        figures["built"] += 1
        figures["bytes"] += size
        figures["ms"] = (time.monotonic() - self.started) * 1000

    def fail(self, done, outcome):
        """Count every rendition from position ``done`` on as failed."""
        self.outcome = outcome
        for slug in self.slugs[done:]:
            self.presets[slug]["failed"] += 1
            self.presets[slug]["ms"] = (time.monotonic() - self.started) * 1000

    def emit(self):
        """Log one line per preset: asset, preset, ms, bytes, outcome."""
        for slug, figures in self.presets.items():
            metrics.transcode_logged(
                asset=str(self.asset_id),
                preset=slug,
                ms=round(figures["ms"]),
                size=figures["bytes"],
                built=figures["built"],
                failed=figures["failed"],
                outcome="ready" if not figures["failed"] else self.outcome,
            )


def _storage_fault(rows, error, doing):
    """Mark ``rows`` failed with a storage fault's reason and raise it as retryable."""
    reason = f"Storage error while {doing}: {type(error).__name__}: {error}"
    _mark(rows, status=RenditionStatus.FAILED, error=reason[:1000])
    logger.warning("%s", reason)
    raise RenditionStorageError(reason) from error


def _write_once(storage, name, data):
    """Write an immutable object unless it is already there."""
    if storage.exists(name):
        return
    saved = storage.save(name, ContentFile(data))
    if saved != name:
        # Another worker wrote the same content-addressed name first.
        storage.delete(saved)


def _supersede_stale(asset, plan):
    """Once a preset's current specs are all ready, make them the ones served.

    Older specs are marked superseded (they keep serving old URLs until
    purge_orphans removes them); a spec that was superseded and is current
    again, because a preset was changed back, is revived.
    """
    current = {}
    for preset, _spec, row in plan:
        current.setdefault(preset.pk, []).append(row.pk)
    for preset_id, row_ids in current.items():
        ready = Rendition.objects.filter(pk__in=row_ids, status=RenditionStatus.READY)
        if ready.count() != len(row_ids):
            continue
        ready.filter(superseded_at__isnull=False).update(superseded_at=None)
        Rendition.objects.filter(
            asset=asset, preset_id=preset_id, superseded_at__isnull=True
        ).exclude(pk__in=row_ids).update(superseded_at=timezone.now())
