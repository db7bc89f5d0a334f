"""Presets: save one, then rebuild its renditions for every asset in batches."""

from django.db import transaction

from transcoder.models import Preset
from transcoder.services.background.jobs import rebuild_start
from transcoder.services.rendering.states import asset_states_refresh_all


def _digests(preset):
    return sorted(spec.digest for spec in preset.specs())


def preset_save(*, preset, user=None):
    """Validate and save a preset, then queue its renditions for every asset.

    One rebuild job is queued, not one task per asset: the worker goes
    through the library a bounded batch per run. A save that changes no output
    (a new name, say) queues nothing. The job (started by ``user``), or None,
    is left on ``preset.rebuild``.
    """
    preset.full_clean()
    old = Preset.objects.filter(pk=preset.pk).first() if preset.pk else None
    unchanged = old is not None and old.active and _digests(old) == _digests(preset)
    with transaction.atomic():
        preset.save()
        if old is None or old.active != preset.active:
            # The set of active presets changed: every state, once committed,
            # each batch in its own short transaction (no long lock on assets).
            transaction.on_commit(asset_states_refresh_all, robust=True)
        preset.rebuild = None
        if preset.active and not unchanged:
            preset.rebuild = rebuild_start(
                label=f"Preset {preset.name}", preset_ids=[preset.pk], user=user
            )
    return preset
