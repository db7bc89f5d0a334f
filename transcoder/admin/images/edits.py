"""The asset page's "Edit the picture" panel: turn, mirror and crop.

The panel (templates/admin/transcoder/asset/_edit.html, with edit.js drawing
the preview) posts to ``edit_view``, which edits through services.assets.edits and
needs the change permission on the asset, as a replace does. The page works
without JavaScript: the form's own fields say the turn, mirror and crop.
"""

from django import forms
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from transcoder import selectors, services
from transcoder.admin.images.library import _changeable
from transcoder.admin.shell.html import BROWSER_FORMATS
from transcoder.delivery import serving
from transcoder.imaging.edits import MIN_SIDE, Recipe, source_size

FORM_ID = "mh-edit-form"


class EditForm(forms.Form):
    """One more edit of the picture as shown: turn, then mirror, then crop."""

    rotate = forms.TypedChoiceField(
        label=gettext_lazy("Turn"),
        choices=[
            (0, gettext_lazy("Do not turn")),
            (1, gettext_lazy("90° clockwise")),
            (-1, gettext_lazy("90° anticlockwise")),
            (2, gettext_lazy("180°")),
        ],
        coerce=int,
        initial=0,
        required=False,
        empty_value=0,
    )
    flip = forms.ChoiceField(
        label=gettext_lazy("Mirror"),
        choices=[
            ("", gettext_lazy("Do not mirror")),
            ("horizontal", gettext_lazy("Left to right")),
            ("vertical", gettext_lazy("Top to bottom")),
        ],
        required=False,
    )
    crop_left = forms.IntegerField(
        label=gettext_lazy("Left"), min_value=0, required=False
    )
    crop_top = forms.IntegerField(
        label=gettext_lazy("Top"), min_value=0, required=False
    )
    crop_width = forms.IntegerField(
        label=gettext_lazy("Width"), min_value=MIN_SIDE, required=False
    )
    crop_height = forms.IntegerField(
        label=gettext_lazy("Height"), min_value=MIN_SIDE, required=False
    )
    # "Show the original as uploaded": the whole edit undone, as a new version.
    reset = forms.BooleanField(required=False)

    CROP = ("crop_left", "crop_top", "crop_width", "crop_height")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The panel sits inside the change form; its fields belong to the
        # edit form outside it (change_form.html), by the form attribute.
        for name, field in self.fields.items():
            field.widget.attrs.update(form=FORM_ID, **{"data-edit": name})

    def clean(self):
        data = super().clean()
        given = [data.get(name) for name in self.CROP]
        if any(v is not None for v in given) and None in given:
            raise forms.ValidationError(
                _("Give the crop's left, top, width and height, or none of them.")
            )
        data["crop"] = tuple(given) if None not in given else None
        return data


@require_POST
def edit_view(request, object_id, *, model_admin):
    """Edit the picture once more, or show the original again; keep the
    picture before as a version."""
    asset = _changeable(request, model_admin, object_id)
    form = EditForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(asset)
    data = form.cleaned_data
    try:
        if data["reset"]:
            original = Recipe(source=source_size(asset.edit, asset.width, asset.height))
            changed = services.asset_edit(asset=asset, recipe=original)
        else:
            changed = services.asset_edit_apply(
                asset=asset,
                rotate=data["rotate"],
                flip=data["flip"] or None,
                crop=data["crop"],
            )
    except services.AssetEditError as e:
        messages.error(request, e.messages[0])
        return _back(asset)
    if changed:
        messages.success(
            request,
            _(
                "The picture was edited; its renditions are being rebuilt, and "
                "the picture before is listed under Versions."
            ),
        )
    else:
        messages.info(request, _("Nothing to change: the picture already looks so."))
    return _back(asset)


def _back(asset):
    return HttpResponseRedirect(asset.get_absolute_url() + "#mh-edit-heading")


def describe(edit):
    """Return what an edit (``Asset.edit``/``AssetVersion.edit``) does, in words."""
    if not edit:
        return _("As uploaded")
    recipe = Recipe.from_json(edit)
    parts = []
    if recipe.turns:
        parts.append(
            {
                1: _("turned 90° clockwise"),
                2: _("turned 180°"),
                3: _("turned 90° anticlockwise"),
            }[recipe.turns]
        )
    if recipe.flip:
        parts.append(_("mirrored"))
    if recipe.crop:
        width, height = recipe.crop[2:]
        parts.append(
            _("cropped to %(width)s × %(height)s pixels")
            % {"width": width, "height": height}
        )
    text = ", ".join(parts)
    return text[:1].upper() + text[1:]


def panel_context(asset):
    """Return what the panel shows: the current picture, its size and the form.

    The preview is the largest whole-frame rendition of the picture as it is
    now; while an edit's renditions are still being built, the ones served
    show the picture before it, so there is no preview until they are ready.
    """
    rendition = selectors.full_frame_rendition(asset)
    url, building = None, False
    if rendition is not None:
        current = {
            digest
            for spec in asset.rendition_specs(rendition.preset)
            for digest in (spec.digest, *spec.earlier_digests)
        }
        if rendition.digest in current:
            url = serving.rendition_url(rendition)
        else:
            building = True
    elif not asset.edit and asset.format in BROWSER_FORMATS:
        url = reverse("admin:transcoder_asset_original", args=[asset.pk])
    return {
        "asset": asset,
        "url": url,
        "building": building,
        "form": EditForm(auto_id="mh-edit-%s"),
        "summary": describe(asset.edit),
        "edited": bool(asset.edit),
    }
