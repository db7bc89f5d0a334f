"""Presets (named rendition specs) and renditions built from them."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from transcoder.i18n import worded
from transcoder.imaging import specs
from transcoder.imaging.quality import autoquality


class Fit(models.TextChoices):
    COVER = specs.Fit.COVER, _("Cover: crop to fill the box")
    CONTAIN = specs.Fit.CONTAIN, _("Contain: fit inside the box")


class Preset(models.Model):
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    fit = models.CharField(
        _("fit"), max_length=10, choices=Fit.choices, default=Fit.CONTAIN
    )
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    widths = models.JSONField(
        _("widths"),
        default=list,
        blank=True,
        help_text=_("Widths for a responsive preset (srcset); empty for one size."),
    )
    formats = models.JSONField(_("formats"), default=list)
    quality = models.PositiveSmallIntegerField(
        _("quality"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    # Null: the fixed quality above. Presets made before auto-quality keep
    # theirs (migration 0025); new ones get the default target.
    target = models.PositiveSmallIntegerField(
        _("perceptual target"),
        null=True,
        blank=True,
        default=autoquality.DEFAULT_TARGET,
        validators=[
            MinValueValidator(autoquality.MIN_TARGET),
            MaxValueValidator(autoquality.MAX_TARGET),
        ],
    )
    background = models.CharField(
        _("background"),
        max_length=7,
        default="#ffffff",
        help_text=_("Colour behind transparent areas in JPEG output."),
    )
    active = models.BooleanField(_("active"), default=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("preset")
        verbose_name_plural = _("presets")

    def __str__(self):
        return self.name

    def clean(self):
        try:
            self.specs()
        except specs.SpecError as e:
            raise ValidationError(worded(e)) from e

    def specs(self, focal=None):
        """Return this preset's rendition specs for an asset's focal point."""
        return specs.build_specs(
            fit=self.fit,
            width=self.width,
            height=self.height,
            widths=self.widths,
            formats=self.formats,
            quality=self.quality,
            target=self.target,
            focal=focal,
            background=self.background,
        )


class RenditionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class Rendition(models.Model):
    asset = models.ForeignKey(
        "transcoder.Asset", on_delete=models.CASCADE, related_name="renditions"
    )
    preset = models.ForeignKey(
        Preset, on_delete=models.CASCADE, related_name="renditions"
    )
    digest = models.CharField(max_length=16)
    format = models.CharField(max_length=10)
    # The box asked for; width/height are the actual output size once ready.
    spec_width = models.PositiveIntegerField(null=True)
    spec_height = models.PositiveIntegerField(null=True)
    width = models.PositiveIntegerField(null=True)
    height = models.PositiveIntegerField(null=True)
    bytes = models.PositiveBigIntegerField(null=True)
    # An animated rendition's frames (the source's) and playing time as
    # browsers play it (imaging.encoding.animation); 1 and None for a still.
    frames = models.PositiveIntegerField(default=1)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    # The encoder quality used, and the score it reached when the preset
    # asked for a perceptual target (SSIMULACRA2 scale; imaging.quality.autoquality).
    quality = models.PositiveSmallIntegerField(_("quality"), null=True, blank=True)
    score = models.FloatField(_("score"), null=True, blank=True)
    name = models.CharField(max_length=255)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RenditionStatus.choices,
        default=RenditionStatus.PENDING,
        db_index=True,
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # Set when a newer spec of the same preset is ready; the object keeps
    # serving old signed URLs until purge_orphans removes it after the URL TTL.
    superseded_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["preset__name", "spec_width", "format"]
        verbose_name = _("rendition")
        verbose_name_plural = _("renditions")
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "preset", "digest"], name="rendition_unique_spec"
            )
        ]

    def __str__(self):
        return f"{self.preset.slug} {self.spec_width or ''}w {self.format}"

    @property
    def mime_type(self):
        return specs.FORMATS[self.format].mime

    @property
    def animated(self):
        return self.frames > 1


# --- Sites: API tokens, embed keys, rate limits, deleted assets ---------------
