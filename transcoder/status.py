"""Where each asset's renditions stand: what the status endpoint and badges read.

An asset is *processing* while a spec of an active preset has no row yet or a
pending one, *failed* once every spec is built or has failed and one failed,
else *ready*. Rows are matched to the specs of the presets as they are now
(the digest follows the focal point), so rows of an older spec do not count.
A ready row of the same spec built by an earlier engine version counts as
ready: it is current and served until something rebuilds it.
"""

from transcoder.models import Asset, Job, Preset, Rendition, RenditionStatus

PROCESSING, READY, FAILED = "processing", "ready", "failed"
# Running rebuilds looked at per poll; more at once is rare, and then the
# oldest ones are shown.
REBUILDS_SHOWN = 5


def asset_states(*, asset_ids):
    """Return ``{asset id: state dict}`` for the assets that exist among the ids."""
    assets = list(Asset.objects.filter(pk__in=asset_ids))
    presets = list(Preset.objects.filter(active=True))
    rows = {}
    for row in Rendition.objects.filter(asset__in=assets, preset__in=presets).only(
        "asset_id", "preset_id", "digest", "status", "error"
    ):
        rows[(row.asset_id, row.preset_id, row.digest)] = row
    states = {
        str(a.pk): asset_state(asset=a, presets=presets, rows=rows) for a in assets
    }
    waiting = _rebuild_waiting(states)
    for pk, state in states.items():
        state["rebuilding"] = pk in waiting
    return states


def _rebuild_waiting(asset_ids):
    """Return the ids among ``asset_ids`` that a running rebuild has yet to reach.

    Their renditions still show the old build (ready), so the grid says a
    rebuild is coming rather than nothing at all.
    """
    jobs = Job.objects.filter(action="rebuild", finished_at=None).order_by("created_at")
    waiting = set()
    for job in jobs.only("asset_ids", "reached", "cursor")[:REBUILDS_SHOWN]:
        mark = job.reached or job.cursor
        chosen = None if job.asset_ids is None else set(job.asset_ids)
        waiting.update(
            pk for pk in asset_ids if pk > mark and (chosen is None or pk in chosen)
        )
    return waiting


def asset_state(*, asset, presets, rows):
    """Return the state of one asset from its rows keyed by (asset, preset, digest)."""
    counts = {READY: 0, FAILED: 0, PROCESSING: 0}
    reasons = []
    started = False
    for preset in presets:
        for spec in asset.rendition_specs(preset):
            row = rows.get((asset.pk, preset.pk, spec.digest))
            if row is None:
                row = _built_by_an_earlier_engine(asset, preset, spec, rows)
            started = started or row is not None
            if row is None or row.status == RenditionStatus.PENDING:
                counts[PROCESSING] += 1
            elif row.status == RenditionStatus.FAILED:
                counts[FAILED] += 1
                reason = f"{preset.name}: {row.error}"
                if reason not in reasons:
                    reasons.append(reason)
            else:
                counts[READY] += 1
    total = sum(counts.values())
    if counts[PROCESSING]:
        state = PROCESSING
    elif counts[FAILED]:
        state = FAILED
    else:
        state = READY
    return {
        "state": state,
        "ready": counts[READY],
        "failed": counts[FAILED],
        "pending": counts[PROCESSING],
        "total": total,
        "error": reasons[0] if reasons else "",
        # Each failed preset's reason once, in preset order (the API's list).
        "reasons": reasons,
        # No build has begun: the asset waits in the queue behind others.
        "queued": state == PROCESSING and not started,
    }


def _built_by_an_earlier_engine(asset, preset, spec, rows):
    """Return a ready row of ``spec`` that an earlier engine version built."""
    for digest in spec.earlier_digests:
        row = rows.get((asset.pk, preset.pk, digest))
        if row is not None and row.status == RenditionStatus.READY:
            return row
    return None
