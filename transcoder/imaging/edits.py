"""Non-destructive edits of an original: a crop, quarter turns and a mirror.

No Django. An edit is a ``Recipe``, never changed bytes: the original stays as
uploaded and the engine applies the recipe once per decode, after the EXIF
orientation and before the resize cascade (``apply``). The recipe's ``key``
enters every rendition digest (``RenditionSpec.edit``), so an edited picture's
renditions get new content-addressed names.

A recipe is kept in one canonical form, whatever order the editor clicked in:
first the crop, in pixels of the *upright original* (EXIF orientation
applied), then ``turns`` clockwise quarter turns, then a left-right mirror.
Every rotate-and-flip combination is one of these eight; a top-bottom mirror
is a half turn and a left-right mirror. Cropping first keeps memory low: only
the kept pixels are turned.

The API speaks the same edit as the editor sees it (``from_api``/``to_api``):
turn, mirror, then crop in pixels of the turned and mirrored original.

``carry_focal`` moves a focal point or area from the picture one recipe makes
to the picture another makes of the same original: a subject stays under its
focal area across a rotate, a flip, a crop or a restore.
"""

import dataclasses
import json

from PIL import Image

from transcoder.imaging.limits import ImageError
from transcoder.imaging.messages import MessageError
from transcoder.imaging.messages import gettext_noop as _

# The smallest side a crop may keep, in pixels of the original.
MIN_SIDE = 8
# The one Pillow transpose of each (turns, mirror): turns are clockwise, the
# mirror is left-right and comes after the turns.
_TRANSPOSE = {
    (0, True): Image.Transpose.FLIP_LEFT_RIGHT,
    (1, False): Image.Transpose.ROTATE_270,
    (1, True): Image.Transpose.TRANSPOSE,
    (2, False): Image.Transpose.ROTATE_180,
    (2, True): Image.Transpose.FLIP_TOP_BOTTOM,
    (3, False): Image.Transpose.ROTATE_90,
    (3, True): Image.Transpose.TRANSVERSE,
}
_API_FIELDS = {"rotate", "flip_horizontal", "flip_vertical", "crop"}
_CROP_FIELDS = ("left", "top", "width", "height")


class EditError(MessageError):
    """An edit that does not fit the picture (a crop outside it, half a turn)."""


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclasses.dataclass(frozen=True)
class Recipe:
    """Crop ``crop`` (left, top, width, height) of the upright ``source``
    (width, height), then turn clockwise ``turns`` times, then mirror."""

    source: tuple[int, int]
    crop: tuple[int, int, int, int] | None = None
    turns: int = 0
    flip: bool = False

    def __post_init__(self):
        width, height = self.source
        if not (_is_int(width) and _is_int(height) and width > 0 and height > 0):
            raise EditError(_("The original's size is not known."))
        if not (_is_int(self.turns) and 0 <= self.turns <= 3):
            raise EditError(_("Turn the picture by whole quarter turns only."))
        if not isinstance(self.flip, bool):
            raise EditError(_("A mirror is on or off."))
        if self.crop is not None:
            crop = tuple(self.crop)
            if len(crop) != 4 or not all(_is_int(v) for v in crop):
                raise EditError(_("A crop is four whole numbers of pixels."))
            left, top, w, h = crop
            if left < 0 or top < 0 or left + w > width or top + h > height:
                raise EditError(_("The crop must lie inside the picture."))
            if w < MIN_SIDE or h < MIN_SIDE:
                raise EditError(
                    _("A crop must keep at least %(min)s pixels on each side."),
                    min=MIN_SIDE,
                )
            # The whole picture is no crop: one recipe, one digest.
            object.__setattr__(
                self, "crop", None if crop == (0, 0, width, height) else crop
            )

    # What it makes.

    @property
    def is_identity(self) -> bool:
        return self.crop is None and self.turns == 0 and not self.flip

    @property
    def size(self) -> tuple[int, int]:
        """Return the edited picture's (width, height)."""
        width, height = self.crop[2:] if self.crop else self.source
        return (height, width) if self.turns % 2 else (width, height)

    @property
    def key(self) -> str:
        """Return the canonical text that enters digests; empty for no edit."""
        if self.is_identity:
            return ""
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))

    def to_json(self) -> dict:
        """Return the stored form (``Asset.edit``); ``{}`` for no edit."""
        if self.is_identity:
            return {}
        return {
            "source": list(self.source),
            "crop": list(self.crop) if self.crop else None,
            "turns": self.turns,
            "flip": self.flip,
        }

    @classmethod
    def from_json(cls, data, source=None) -> "Recipe":
        """Return the recipe stored as ``data``; ``{}``/None is no edit of
        an upright original of size ``source``."""
        if not data:
            if source is None:
                raise EditError(_("The original's size is not known."))
            return cls(source=tuple(source))
        if not isinstance(data, dict) or set(data) != {
            "source",
            "crop",
            "turns",
            "flip",
        }:
            raise EditError(_("This is not an edit recipe."))
        source = data["source"]
        if not isinstance(source, list | tuple) or len(source) != 2:
            raise EditError(_("The original's size is not known."))
        crop = data["crop"]
        if crop is not None and not isinstance(crop, list | tuple):
            raise EditError(_("A crop is four whole numbers of pixels."))
        return cls(
            source=tuple(source),
            crop=tuple(crop) if crop is not None else None,
            turns=data["turns"],
            flip=data["flip"],
        )

    @classmethod
    def from_key(cls, key: str) -> "Recipe | None":
        """Return the recipe of a digest ``key``, None for the empty key."""
        if not key:
            return None
        try:
            data = json.loads(key)
        except (TypeError, ValueError):
            raise EditError(_("This is not an edit recipe.")) from None
        if not data or not isinstance(data, dict):
            raise EditError(_("This is not an edit recipe."))
        recipe = cls.from_json(data)
        if recipe.key != key:
            raise EditError(_("This is not an edit recipe."))
        return recipe

    # Editing: each returns the recipe of the current picture edited once more.

    def rotated(self, quarter_turns: int) -> "Recipe":
        """Turn the picture clockwise (negative: anticlockwise)."""
        if not _is_int(quarter_turns):
            raise EditError(_("Turn the picture by whole quarter turns only."))
        # A turn after a mirror is the mirror after the opposite turn.
        step = -quarter_turns if self.flip else quarter_turns
        return dataclasses.replace(self, turns=(self.turns + step) % 4)

    def flipped(self, *, horizontal: bool) -> "Recipe":
        """Mirror the picture left-right (``horizontal``) or top-bottom."""
        turns = self.turns if horizontal else (self.turns + 2) % 4
        return dataclasses.replace(self, turns=turns, flip=not self.flip)

    def cropped(self, box) -> "Recipe":
        """Keep ``box`` (left, top, width, height) in pixels of the picture."""
        box = tuple(box) if isinstance(box, list | tuple) else ()
        if len(box) != 4 or not all(_is_int(v) for v in box):
            raise EditError(_("A crop is four whole numbers of pixels."))
        left, top, w, h = box
        width, height = self.size
        if left < 0 or top < 0 or w <= 0 or h <= 0:
            raise EditError(_("The crop must lie inside the picture."))
        if left + w > width or top + h > height:
            raise EditError(_("The crop must lie inside the picture."))
        x0, y0 = self.from_picture(left, top)
        x1, y1 = self.from_picture(left + w, top + h)
        x0, x1 = sorted((round(x0), round(x1)))
        y0, y1 = sorted((round(y0), round(y1)))
        return dataclasses.replace(self, crop=(x0, y0, x1 - x0, y1 - y0))

    # Geometry, in continuous pixel coordinates (0 is the left edge).

    def to_picture(self, x: float, y: float) -> tuple[float, float]:
        """Map a point of the upright original into the edited picture."""
        left, top, width, height = self.crop or (0, 0, *self.source)
        x, y = x - left, y - top
        for _turn in range(self.turns):
            x, y, width, height = height - y, x, height, width
        if self.flip:
            x = width - x
        return x, y

    def from_picture(self, x: float, y: float) -> tuple[float, float]:
        """Map a point of the edited picture back into the upright original."""
        left, top, width, height = self.crop or (0, 0, *self.source)
        turned = (height, width) if self.turns % 2 else (width, height)
        if self.flip:
            x = turned[0] - x
        w, h = turned
        for _turn in range(self.turns):
            # Undo one clockwise turn of a w x h picture.
            x, y, w, h = y, w - x, h, w
        return x + left, y + top

    # The pipeline.

    def apply(self, image: Image.Image) -> Image.Image:
        """Return ``image`` (the upright original, maybe drafted smaller) edited."""
        if self.crop is not None:
            sx = image.width / self.source[0]
            sy = image.height / self.source[1]
            left, top, w, h = self.crop
            box = (
                round(left * sx),
                round(top * sy),
                max(round(left * sx) + 1, round((left + w) * sx)),
                max(round(top * sy) + 1, round((top + h) * sy)),
            )
            image = image.crop(box)
        method = _TRANSPOSE.get((self.turns, self.flip))
        if method is not None:
            image = image.transpose(method)
        return image

    # The API's form: turn, mirror, then crop the turned and mirrored original.

    @classmethod
    def from_api(cls, data, source) -> "Recipe":
        """Return the recipe an API client asked for, of an upright original
        of size ``source``; raise EditError naming what is wrong."""
        if not isinstance(data, dict):
            raise EditError(_("The edit must be an object."))
        unknown = sorted(set(data) - _API_FIELDS)
        if unknown:
            raise EditError(
                _("Unknown edit field %(field)r; use rotate, flip_horizontal, "
                  "flip_vertical and crop."),
                field=unknown[0],
            )  # fmt: skip
        rotate = data.get("rotate", 0)
        if not _is_int(rotate) or rotate % 90 or abs(rotate) > 270:
            raise EditError(
                _("rotate must be a whole quarter turn: 0, 90, 180 or 270 "
                  "(negative turns anticlockwise).")
            )  # fmt: skip
        recipe = cls(source=tuple(source)).rotated(rotate // 90)
        for field, horizontal in (("flip_horizontal", True), ("flip_vertical", False)):
            value = data.get(field, False)
            if not isinstance(value, bool):
                raise EditError(_("%(field)s must be true or false."), field=field)
            if value:
                recipe = recipe.flipped(horizontal=horizontal)
        crop = data.get("crop")
        if crop is not None:
            if not isinstance(crop, dict) or set(crop) != set(_CROP_FIELDS):
                raise EditError(
                    _("crop must be an object with left, top, width and height.")
                )
            values = [crop[f] for f in _CROP_FIELDS]
            if not all(_is_int(v) for v in values):
                raise EditError(_("A crop is four whole numbers of pixels."))
            recipe = recipe.cropped(values)
        return recipe

    def to_api(self) -> dict:
        """Return this recipe as the API shows it (``from_api`` reads it back)."""
        crop = None
        if self.crop is not None:
            whole = dataclasses.replace(self, crop=None)
            left, top, w, h = self.crop
            x0, y0 = whole.to_picture(left, top)
            x1, y1 = whole.to_picture(left + w, top + h)
            x0, x1 = sorted((round(x0), round(x1)))
            y0, y1 = sorted((round(y0), round(y1)))
            crop = {"left": x0, "top": y0, "width": x1 - x0, "height": y1 - y0}
        return {
            "rotate": self.turns * 90,
            "flip_horizontal": self.flip,
            "flip_vertical": False,
            "crop": crop,
        }


def edited_size(recipe: Recipe | None, upright: tuple[int, int]) -> tuple[int, int]:
    """Return the size ``recipe`` makes of the ``upright`` original's size (no
    recipe: that size); refuse, as the engine does, one made for another file."""
    if recipe is None:
        return upright
    if recipe.source != tuple(upright):
        raise ImageError(_("The edit was made for another file."))
    return recipe.size


def source_size(edit, width: int, height: int) -> tuple[int, int]:
    """Return the upright original's size of a picture of ``width`` x ``height``
    made by the stored ``edit`` (no edit: the same size)."""
    if not edit:
        return (width, height)
    return Recipe.from_json(edit).source


def carry_focal(focal, old: Recipe, new: Recipe):
    """Move a focal point or area from ``old``'s picture to ``new``'s.

    ``focal`` is (x, y) or (x, y, width, height) in fractions of the old
    picture (the area centred on the point), as ``Asset`` stores it. Return
    the same shape for the new picture, or None when the new picture no
    longer shows it: a point its crop cut away, an area wholly outside it.
    An area partly outside is clipped to what stays, and centred on that.
    Both recipes must edit the same original.
    """
    if focal is None:
        return None
    if old.source != new.source:
        raise EditError(_("Both edits must be of the same original."))
    ow, oh = old.size
    nw, nh = new.size
    if len(focal) == 2 or not focal[2] or not focal[3]:
        x, y = new.to_picture(*old.from_picture(focal[0] * ow, focal[1] * oh))
        if not (0 <= x <= nw and 0 <= y <= nh):
            return None
        return (round(x / nw, 4), round(y / nh, 4), *focal[2:])
    x, y, w, h = focal
    corners = [
        new.to_picture(*old.from_picture(cx * ow, cy * oh))
        for cx, cy in ((x - w / 2, y - h / 2), (x + w / 2, y + h / 2))
    ]
    left, right = sorted(max(0.0, min(nw, c[0])) for c in corners)
    top, bottom = sorted(max(0.0, min(nh, c[1])) for c in corners)
    if right - left <= 0 or bottom - top <= 0:
        return None
    return (
        round((left + right) / 2 / nw, 4),
        round((top + bottom) / 2 / nh, 4),
        round((right - left) / nw, 4),
        round((bottom - top) / nh, 4),
    )
