"""The automatic focal area: made at upload, offered until the editor decides.

An upload's suggestion (imaging.analysis.saliency) is made from the reduced decode the
perceptual hash already makes (imaging.analysis.perceptual.dhash_and_look), stored on
the asset (``focal_suggestion``) and on its version when it is replaced, and
used by cover crops (``Asset.crop_focal``) while ``focal_decided`` is False.
The editor decides by setting, accepting, moving or clearing the focal area
(services.assets.assets.asset_update); from then on their choice alone counts.

Assets uploaded before suggestions existed get one from ``focal_suggest_missing``
(the ``suggest_focal`` command, bounded by ``--limit``), which reads each
original once and rebuilds only the renditions whose crop moved.

Edits of the picture (issue 22's rotate, flip and crop recipes) must hand the
suggestion over with the edit: a new version's suggestion is the old one sent
through the recipe's transform, or ``suggestion_of`` run on the edited proxy
(``transform`` below), so crops follow the picture the pipeline renders.
"""

import logging

from django.core.files.storage import storages
from django.db import transaction

from transcoder.conf import image_limits
from transcoder.imaging.analysis import perceptual, saliency
from transcoder.imaging.edits import Recipe, carry_focal
from transcoder.models import Asset
from transcoder.services.library.duplicates import library_write_lock
from transcoder.services.rendering.renditions import renditions_enqueue

logger = logging.getLogger(__name__)


def _look(transform=None):
    """Return the saliency look for dhash_and_look; it never raises."""

    def look(image):
        try:
            if transform is not None:
                image = transform(image)
            found = saliency.suggest(image)
        except Exception:  # noqa: BLE001 - a suggestion must never stop an upload
            logger.exception("No focal suggestion")
            return None
        return found.as_dict() if found else None

    return look


def hash_and_suggestion(data, transform=None):
    """Return ``(dhash as stored, suggestion dict)`` from one decode.

    The suggestion is ``{}`` when the picture says nothing (too small, or not
    decodable here): analysed, none to offer.

    ``transform`` (an upright proxy image -> image) is the hook for edit
    recipes: the suggestion is then that of the edited picture.
    """
    try:
        value, found = perceptual.dhash_and_look(data, _look(transform))
    except perceptual.PerceptualError as e:
        logger.warning("No perceptual hash nor focal suggestion: %s", e)
        return "", {}
    return perceptual.to_hex(value), found or {}


def suggestion_of(data, transform=None):
    """Return the suggestion dict of encoded image bytes ({} for none)."""
    return hash_and_suggestion(data, transform)[1]


def suggestion_carried(suggestion, old, new):
    """Return a stored suggestion (``{x, y, width, height}``, ``{}`` or None)
    moved from ``old``'s picture to ``new``'s: ``{}`` (nothing to suggest)
    when ``new`` cuts it away."""
    if not suggestion:
        return suggestion
    area = tuple(suggestion[k] for k in ("x", "y", "width", "height"))
    moved = carry_focal(area, old, new)
    if moved is None:
        return {}
    return dict(zip(("x", "y", "width", "height"), moved, strict=True))


def focal_suggest_missing(*, limit):
    """Give up to ``limit`` live assets without a suggestion one; return how many.

    Assets whose editor decided are skipped (their crops would not change).
    Each original is read once; cover renditions rebuild only where the crop
    point moved. An original that cannot be decoded gets ``{}`` (analysed,
    nothing to suggest) so the next run moves on; one that cannot be read is
    logged and tried again next time.
    """
    todo = Asset.objects.filter(
        focal_suggestion__isnull=True, focal_decided=False, focal_x__isnull=True
    ).order_by("created_at", "id")[:limit]
    made = 0
    for asset in todo:
        try:
            with storages["default"].open(asset.original, "rb") as f:
                data = f.read(image_limits().max_bytes + 1)
        except Exception as e:  # noqa: BLE001 - one missing original stops no other
            logger.warning("Asset %s: no focal suggestion: %s", asset.pk, e)
            continue
        # Found on the original as uploaded, shown on the picture as edited.
        found = suggestion_carried(
            suggestion_of(data) or {}, Recipe(source=asset.recipe.source), asset.recipe
        )
        with transaction.atomic():
            library_write_lock()
            updated = Asset.objects.filter(
                pk=asset.pk, content_hash=asset.content_hash
            ).update(focal_suggestion=found)
            if updated and found:
                renditions_enqueue(asset_id=asset.pk)
                made += 1
    return made


def decision(*, old, focal, decided):
    """Return the new ``focal_decided`` of an edit.

    ``old`` is (focal_x, focal_y, focal_decided) before the edit; ``focal``
    the editor's point after it (None if none); ``decided`` True when the
    editor said so (accepted or cleared the suggestion), else None. Setting or
    moving an area decides; so does removing one the editor had set.
    """
    old_x, old_y, old_decided = old
    if focal is not None or decided:
        return True
    if old_x is not None:
        return True  # the editor removed their own area: centre crops
    return old_decided
