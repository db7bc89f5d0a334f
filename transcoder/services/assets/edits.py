"""Edits: turn, mirror or crop an asset's picture without touching its file.

An edit is a recipe (``imaging.edits.Recipe``) kept on the asset, never
changed bytes: the original stays byte for byte under its storage key. Each
edit keeps the picture before it as an ``AssetVersion`` of the same original
with that picture's recipe, so any version restores in one click
(``services.assets.versions.asset_version_restore``), as after a replace. The recipe
enters every rendition digest, so the edited picture's renditions get new
names and are built in the background; the old ones keep serving (embed links
too) until every new one of a preset is ready (services.rendering.renditions).

The focal point or area follows the edit (``imaging.edits.carry_focal``).
"""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from transcoder.imaging.edits import EditError, Recipe
from transcoder.models import Asset, Event, RenditionState
from transcoder.services.assets.versions import _version_of_current, focal_carry
from transcoder.services.library.duplicates import library_write_lock
from transcoder.services.outbox.changes import changes_record
from transcoder.services.rendering.renditions import renditions_enqueue

logger = logging.getLogger(__name__)

# What an edit changes on the asset row (the rest of the file stays).
EDITED_FIELDS = (
    "edit",
    "width",
    "height",
    "focal_x",
    "focal_y",
    "focal_width",
    "focal_height",
    "focal_suggestion",
    "file_uploaded_at",
    "thumbhash",
    "dominant_colour",
    "rendition_state",
)


class AssetEditError(ValidationError):
    """An edit that does not fit the picture; the message says what to change."""


def edit_error(error):
    """Return an ``AssetEditError`` worded in the reader's language."""
    return AssetEditError(error.message.render(_), code="edit")


def asset_edit(*, asset, recipe):
    """Make ``recipe`` (of the asset's original, see ``Recipe``) its picture.

    The picture before becomes a version; the asset's width and height become
    the edited picture's; the focal area follows; the renditions rebuild in
    the background. The same recipe again changes nothing. ``asset`` gets the
    new values too. Return whether anything changed.
    """
    if not isinstance(recipe, Recipe):
        raise TypeError("recipe must be an imaging.edits.Recipe")
    with transaction.atomic():
        library_write_lock()  # before any row: see services.outbox.changes
        current = Asset.objects.select_for_update().get(pk=asset.pk)
        old = current.recipe
        if recipe.source != old.source:
            raise AssetEditError(
                _("This edit was made for another file of the image; reload it."),
                code="edit",
            )
        if recipe == old:
            return False
        _version_of_current(current).save(force_insert=True)
        focal_carry(asset=current, old=old, new=recipe)
        current.edit = recipe.to_json()
        current.width, current.height = recipe.size
        # The picture dates from now: versions list in this order.
        current.file_uploaded_at = timezone.now()
        # The edited picture's placeholder comes with its renditions.
        current.thumbhash = current.dominant_colour = ""
        current.rendition_state = RenditionState.PENDING
        current.save(update_fields=[*EDITED_FIELDS, "updated_at"])
        changes_record(
            event=Event.UPDATED, assets=[(current.pk, current.collection_id)]
        )
        renditions_enqueue(asset_id=current.pk)
    for field in (*EDITED_FIELDS, "updated_at"):
        setattr(asset, field, getattr(current, field))
    logger.info("Asset %s: edited to %s", asset.pk, recipe.key or "the original")
    return True


def asset_edit_apply(*, asset, rotate=0, flip=None, crop=None):
    """Edit the asset's current picture once more: ``rotate`` quarter turns
    clockwise (negative: anticlockwise), ``flip`` "horizontal" or "vertical",
    ``crop`` (left, top, width, height) in pixels of the picture as shown.

    The steps apply in that order. Raise ``AssetEditError`` when they do not
    fit the picture; return whether anything changed.
    """
    if flip not in (None, "", "horizontal", "vertical"):
        raise AssetEditError(_("Mirror horizontally or vertically."), code="edit")
    try:
        recipe = asset.recipe.rotated(rotate)
        if flip:
            recipe = recipe.flipped(horizontal=flip == "horizontal")
        if crop is not None:
            recipe = recipe.cropped(crop)
    except EditError as e:
        raise edit_error(e) from None
    return asset_edit(asset=asset, recipe=recipe)
