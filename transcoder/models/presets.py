"""Presets (named rendition specs) and renditions built from them."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from transcoder.i18n import worded
from transcoder.imaging import specs


class Fit(models.TextChoices):
    COVER = specs.Fit.COVER, "Cover: crop to fill the box"
    CONTAIN = specs.Fit.CONTAIN, "Contain: fit inside the box"


class Preset(models.Model):
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    fit = models.CharField(max_length=10, choices=Fit.choices, default=Fit.CONTAIN)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    widths = models.JSONField(
        default=list,
        blank=True,
        help_text="Widths for a responsive preset (srcset); empty for one size.",
    )
    formats = models.JSONField(default=list)
    quality = models.PositiveSmallIntegerField(
        default=80, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    background = models.CharField(
        max_length=7,
        default="#ffffff",
        help_text="Colour behind transparent areas in JPEG output.",
    )
    active = models.BooleanField(default=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

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
            focal=focal,
            background=self.background,
        )


class RenditionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


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
    name = models.CharField(max_length=255)
    status = models.CharField(
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


# --- Sites: API tokens, embed keys, rate limits, deleted assets ---------------
