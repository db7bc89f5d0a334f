"""Placeholders of assets stored before they were kept, filled in batches.

New files get theirs with their renditions (``services.rendering.renditions``). Older
assets are filled from their smallest whole-frame rendition: a few kilobytes
to decode, never the original.
"""

import logging

from django.core.files.storage import storages
from django.db.models import F

from transcoder import permissions
from transcoder.imaging.analysis import placeholder
from transcoder.models import Asset, Rendition, RenditionStatus

logger = logging.getLogger(__name__)

# A rendition shows the whole frame if its shape is the asset's within this.
SHAPE_TOLERANCE = 0.02


def placeholders_fill(*, after=None, batch=200):
    """Fill the placeholders of up to ``batch`` assets with none, after ``after``.

    Return ``(filled, skipped, last id)``; the last id is None when no asset
    was left. An asset with no ready whole-frame rendition is skipped: its
    placeholder comes with its next build.
    """
    page = permissions.assets(permissions.WORKER, "change").filter(thumbhash="")
    if after is not None:
        page = page.filter(pk__gt=after)
    page = list(
        page.order_by("pk").only("pk", "width", "height", "content_hash")[:batch]
    )
    filled = skipped = 0
    for asset in page:
        if asset_placeholder_fill(asset=asset):
            filled += 1
        else:
            skipped += 1
    return filled, skipped, (page[-1].pk if page else None)


def asset_placeholder_fill(*, asset):
    """Make an asset's placeholder from its smallest whole-frame rendition."""
    row = _smallest_whole(asset)
    if row is None:
        return False
    try:
        with storages["renditions"].open(row.name, "rb") as f:
            made = placeholder.from_rendition(f.read())
    except (OSError, ValueError) as e:
        logger.warning("Asset %s: no placeholder from %s: %s", asset.pk, row.name, e)
        return False
    return bool(
        Asset.objects.filter(
            pk=asset.pk, content_hash=asset.content_hash, thumbhash=""
        ).update(thumbhash=made.thumbhash, dominant_colour=made.colour)
    )


def _smallest_whole(asset):
    """Return the smallest current ready rendition with the asset's shape."""
    rows = Rendition.objects.filter(
        asset_id=asset.pk,
        status=RenditionStatus.READY,
        superseded_at__isnull=True,
        width__gt=0,
        height__gt=0,
    ).order_by(F("width") * F("height"), "pk")
    shape = asset.width / asset.height
    for row in rows.only("name", "width", "height")[:50]:
        if abs(row.width / row.height - shape) <= SHAPE_TOLERANCE * shape:
            return row
    return None
