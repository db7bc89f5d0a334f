"""Admin forms: validation lives here, writes go through services."""

from django import forms
from django.core.exceptions import ValidationError

from transcoder.models import Asset, Preset
from transcoder.specs import FORMATS


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
                "Type widths as whole numbers separated by commas, e.g. 480, 800, 1200."
            ) from None


class PresetForm(forms.ModelForm):
    widths = WidthsField(
        required=False,
        help_text="For a responsive preset (srcset): pixel widths separated by "
        "commas, e.g. 640, 1024, 1440. Each keeps the width × height shape. "
        "Leave empty for one size.",
    )
    formats = forms.MultipleChoiceField(
        choices=[(f.name, f.label) for f in FORMATS.values()],
        widget=forms.CheckboxSelectMultiple,
        help_text="Pick one or several. With several, pages get a picture element "
        "and each browser takes the best format it supports (AVIF, then WebP).",
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
            "quality",
            "background",
            "active",
        ]
        widgets = {"background": forms.ColorInput}
        help_texts = {
            "width": "In pixels. A cover crop needs both width and height; "
            "contain needs at least one.",
            "height": "In pixels. Images are never enlarged.",
            "quality": "1 to 100. Around 75–85 suits photos.",
            "active": "Only active presets get renditions for new uploads.",
        }

    def clean_formats(self):
        chosen = self.cleaned_data["formats"]
        return [name for name in FORMATS if name in chosen]


class FocalPointWidget(forms.HiddenInput):
    """A hidden coordinate, set by clicking the image (see the change form template)."""


class AssetChangeForm(forms.ModelForm):
    class Meta:
        model = Asset
        fields = ["title", "alt_text", "focal_x", "focal_y"]
        widgets = {
            "focal_x": FocalPointWidget(attrs={"data-focal": "x"}),
            "focal_y": FocalPointWidget(attrs={"data-focal": "y"}),
            "alt_text": forms.Textarea(attrs={"rows": 2}),
        }

    def clean(self):
        data = super().clean()
        if (data.get("focal_x") is None) != (data.get("focal_y") is None):
            raise ValidationError(
                "Set both coordinates of the focal point, or neither."
            )
        return data


class UploadForm(forms.Form):
    """One uploaded file (the upload page sends many, one request each)."""

    file = forms.FileField()
    title = forms.CharField(max_length=255, required=False)
    alt_text = forms.CharField(max_length=500, required=False)
