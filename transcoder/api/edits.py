"""The API's side of edits: ``"edit"`` in ``PATCH /api/assets/{id}/`` and in
every image it answers (``imaging.edits.Recipe.from_api``/``to_api``).

An edit is given whole, as the picture should look made from the original:
``rotate`` (clockwise degrees, whole quarter turns), ``flip_horizontal``,
``flip_vertical``, then ``crop`` in pixels of the turned and mirrored
original. ``null`` shows the original as uploaded. Either way the picture
before is kept as a version and the original's bytes never change.
"""

from transcoder.api.core.errors import ApiError
from transcoder.imaging.edits import EditError, Recipe


def edit_of(value, asset):
    """Return the recipe a PATCH body's ``edit`` asks of ``asset``'s original."""
    source = asset.recipe.source
    if value is None:
        return Recipe(source=source)
    try:
        return Recipe.from_api(value, source)
    except EditError as e:
        raise ApiError(400, f"edit: {e}") from None


def edit_json(asset):
    """Return the image's edit as the API shows it, None when it has none."""
    if not asset.edit:
        return None
    return asset.recipe.to_api()
