"""Presets: save one, then build its renditions for every asset."""

from django.db import transaction

from transcoder.models import Asset
from transcoder.services.renditions import renditions_enqueue


def preset_save(*, preset):
    """Validate and save a preset, then build its renditions for every asset."""
    preset.full_clean()
    with transaction.atomic():
        preset.save()
        if preset.active:
            _preset_enqueue(preset)
    return preset


def _preset_enqueue(preset):
    for asset_id in Asset.objects.values_list("pk", flat=True).iterator():
        renditions_enqueue(asset_id=asset_id, preset_ids=[preset.pk])
