"""Task entry points: ids in, one service call."""

from django.tasks import task

from transcoder import services


@task
def generate_renditions(asset_id, preset_ids=None, force=False):
    """Build the missing renditions of one asset."""
    rows = services.renditions_generate(
        asset_id=asset_id, preset_ids=preset_ids, force=force
    )
    return {row.status: sum(r.status == row.status for r in rows) for row in rows}
