"""Where each asset's renditions stand: what the status endpoint and badges read.

An asset is *processing* while a spec of an active preset has no row yet or a
pending one, *failed* once every spec is built or has failed and one failed,
else *ready*. Rows are matched to the specs of the presets as they are now
(the digest follows the focal point), so rows of an older spec do not count.
A ready row of the same spec built by an earlier engine version counts as
ready: it is current and served until something rebuilds it.
"""

from transcoder.models import Asset, Preset, Rendition, RenditionStatus

PROCESSING, READY, FAILED = "processing", "ready", "failed"


def asset_states(*, asset_ids):
    """Return ``{asset id: state dict}`` for the assets that exist among the ids."""
    assets = list(Asset.objects.filter(pk__in=asset_ids))
    presets = list(Preset.objects.filter(active=True))
    rows = {}
    for row in Rendition.objects.filter(asset__in=assets, preset__in=presets).only(
        "asset_id", "preset_id", "digest", "status", "error"
    ):
        rows[(row.asset_id, row.preset_id, row.digest)] = row
    return {str(a.pk): asset_state(asset=a, presets=presets, rows=rows) for a in assets}


def asset_state(*, asset, presets, rows):
    """Return the state of one asset from its rows keyed by (asset, preset, digest)."""
    counts = {READY: 0, FAILED: 0, PROCESSING: 0}
    error = ""
    for preset in presets:
        for spec in asset.rendition_specs(preset):
            row = rows.get((asset.pk, preset.pk, spec.digest))
            if row is None:
                row = _built_by_an_earlier_engine(asset, preset, spec, rows)
            if row is None or row.status == RenditionStatus.PENDING:
                counts[PROCESSING] += 1
            elif row.status == RenditionStatus.FAILED:
                counts[FAILED] += 1
                error = error or f"{preset.name}: {row.error}"
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
        "error": error,
    }


def _built_by_an_earlier_engine(asset, preset, spec, rows):
    """Return a ready row of ``spec`` that an earlier engine version built."""
    for digest in spec.earlier_digests:
        row = rows.get((asset.pk, preset.pk, digest))
        if row is not None and row.status == RenditionStatus.READY:
            return row
    return None
