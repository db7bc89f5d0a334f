"""Admin forms: validation lives here, writes go through services."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _
from taggit.forms import TagWidget

from transcoder.i18n import worded
from transcoder.imaging.quality import autoquality
from transcoder.imaging.specs import FORMATS, SpecError, build_specs
from transcoder.models import Asset, Preset

SPEC_FIELDS = (
    "fit",
    "width",
    "height",
    "widths",
    "formats",
    "quality",
    "target",
    "background",
)
# Which field a spec error is about, by the words it starts with.
_ERROR_FIELDS = [
    ("Unknown fit", "fit"),
    ("The widths", "widths"),
    ("The width", "width"),
    ("The height", "height"),
    ("Each width", "widths"),
    ("A preset can have at most", "widths"),
    ("Unknown format", "formats"),
    ("Choose at least one output format", "formats"),
    ("The formats", "formats"),
    ("The quality", "quality"),
    ("The target", "target"),
    ("The background", "background"),
]


def _spec_error_field(message, data):
    for start, field in _ERROR_FIELDS:
        if message.startswith(start):
            return field
    if message.startswith("A cover crop needs both"):
        return "height" if data.get("width") else "width"
    if message.startswith("Give a width"):
        return "width"
    return None


class WidthsField(forms.CharField):
    """A list of widths typed as "480, 800, 1200"."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return []
        parts = [p for p in text.replace(",", " ").split() if p]
        try:
            return [int(p) for p in parts]
        except ValueError:
            raise ValidationError(
                _(
                    "Type widths as whole numbers separated by commas, e.g. 480, "
                    "800, 1200."
                )
            ) from None


class PresetForm(forms.ModelForm):
    widths = WidthsField(
        required=False,
        label=_("Widths"),
        help_text=_(
            "For a responsive preset (srcset): pixel widths separated by "
            "commas, e.g. 640, 1024, 1440. Each keeps the width × height shape. "
            "Leave empty for one size."
        ),
    )
    formats = forms.MultipleChoiceField(
        choices=[(f.name, f.label) for f in FORMATS.values()],
        widget=forms.CheckboxSelectMultiple,
        label=_("Formats"),
        help_text=_(
            "Pick one or several. With several, pages get a picture element "
            "and each browser takes the best format it supports (AVIF, then WebP)."
        ),
    )

    class Meta:
        model = Preset
        fields = [
            "name",
            "slug",
            "fit",
            "width",
            "height",
            "widths",
            "formats",
            "target",
            "quality",
            "background",
            "active",
        ]
        widgets = {"background": forms.ColorInput}
        help_texts = {
            "width": _(
                "In pixels. A cover crop needs both width and height; "
                "contain needs at least one."
            ),
            "height": _("In pixels. Images are never enlarged."),
            "quality": _(
                "1 to 100. Around 75–85 suits photos. With a perceptual target, "
                "the highest quality it may choose, so a target never costs "
                "more bytes than this quality would."
            ),
            "target": _(
                "Each rendition gets the lowest quality that looks at least "
                "this good, measured against the resized image (SSIMULACRA2 "
                "scale: 90 is visually lossless up close, 80 high, 70 good). "
                "Flat graphics then take fewer bytes, detailed photos more. "
                "Leave empty to encode at the quality below. PNG is lossless "
                "and ignores both."
            ),
            "active": _("Only active presets get renditions for new uploads."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # 0 px is refused, so the form (and the browser) say "≥ 1", not "≥ 0".
        for name in ("width", "height"):
            self.fields[name].min_value = 1
            self.fields[name].widget.attrs["min"] = 1
            self.fields[name].validators = [
                v
                for v in self.fields[name].validators
                if not isinstance(v, MinValueValidator)
            ] + [MinValueValidator(1)]
        self.fields["quality"].widget.attrs.update(min=1, max=100)
        self.fields["target"].widget.attrs.update(
            min=autoquality.MIN_TARGET, max=autoquality.MAX_TARGET
        )

    def clean_formats(self):
        chosen = self.cleaned_data["formats"]
        return [name for name in FORMATS if name in chosen]

    def clean(self):
        """Check the preset's specs here, so each problem shows by its field."""
        data = super().clean()
        if any(name in self.errors for name in SPEC_FIELDS):
            self._spec_refused = True
            return data
        try:
            build_specs(
                fit=data.get("fit"),
                width=data.get("width"),
                height=data.get("height"),
                widths=data.get("widths") or [],
                formats=data.get("formats") or [],
                quality=data.get("quality"),
                target=data.get("target"),
                background=data.get("background") or "",
            )
        except SpecError as e:
            self.add_error(_spec_error_field(str(e), data), worded(e))
            self._spec_refused = True
        return data

    def _post_clean(self):
        # Preset.clean would raise the same spec error again, at the top of
        # the form; it is already shown by its field.
        if not getattr(self, "_spec_refused", False):
            super()._post_clean()


class FocalPointWidget(forms.HiddenInput):
    """A hidden coordinate, set by clicking the image (see the change form template)."""


# What the file said at upload (services.assets.metadata), editable; shown apart.
METADATA_FIELDS = ["caption", "creator", "credit", "copyright", "captured_at", "camera"]


class AssetChangeForm(forms.ModelForm):
    # Set by the picker when the editor accepts or clears the suggested area
    # (services.assets.focal_suggestions); setting or moving one decides as well.
    focal_decision = forms.BooleanField(
        label=_("focal area decided"),
        required=False,
        widget=FocalPointWidget(attrs={"data-focal": "decided"}),
    )

    class Meta:
        model = Asset
        fields = [
            "title",
            "alt_text",
            "decorative",
            "tags",
            "focal_x",
            "focal_y",
            "focal_width",
            "focal_height",
            *METADATA_FIELDS,
        ]
        widgets = {
            "tags": TagWidget(attrs={"autocomplete": "off", "data-tags-input": ""}),
            "focal_x": FocalPointWidget(attrs={"data-focal": "x"}),
            "focal_y": FocalPointWidget(attrs={"data-focal": "y"}),
            "focal_width": FocalPointWidget(attrs={"data-focal": "w"}),
            "focal_height": FocalPointWidget(attrs={"data-focal": "h"}),
            "alt_text": forms.Textarea(attrs={"rows": 2}),
            "caption": forms.Textarea(attrs={"rows": 3}),
        }

    def clean(self):
        data = super().clean()
        if (data.get("focal_x") is None) != (data.get("focal_y") is None):
            raise ValidationError(
                _("Set both coordinates of the focal point, or neither.")
            )
        width, height = data.get("focal_width"), data.get("focal_height")
        if data.get("focal_x") is None or not width or not height:
            # An area is a point with a size: without both, it is just a point.
            data["focal_width"] = data["focal_height"] = None
        return data


class UploadForm(forms.Form):
    """One uploaded file (the upload page sends many, one request each)."""

    file = forms.FileField(label=_("File"))
    title = forms.CharField(label=_("Title"), max_length=255, required=False)
    alt_text = forms.CharField(label=_("Alt text"), max_length=500, required=False)
