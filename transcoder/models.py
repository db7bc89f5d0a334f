"""Assets (originals), presets (named rendition specs) and renditions."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse

from transcoder import specs


class Asset(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=255, blank=True)
    alt_text = models.CharField(
        max_length=500,
        blank=True,
        help_text="Describe the image for people who cannot see it.",
    )
    # The storage name is made by the server; the uploaded file name is only
    # kept as metadata and never becomes a key or a path.
    original = models.CharField(max_length=255, editable=False)
    original_filename = models.CharField(max_length=255, blank=True, editable=False)
    content_hash = models.CharField(max_length=64, db_index=True, editable=False)
    format = models.CharField(max_length=10, editable=False)
    mime_type = models.CharField(max_length=50, editable=False)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    bytes = models.PositiveBigIntegerField(editable=False)
    frames = models.PositiveIntegerField(default=1, editable=False)
    focal_x = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(1)]
    )
    focal_y = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(1)]
    )
    # An optional focal area, centred on the focal point: its width and height
    # as fractions of the image. Crops keep all of it in view where their shape
    # allows (see transcoder.focal).
    focal_width = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(1)]
    )
    focal_height = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(1)]
    )
    # The key of a direct upload this asset was made from; it makes finalizing
    # the same upload twice (browser and S3 event racing) yield one asset.
    upload_key = models.CharField(
        max_length=255, unique=True, null=True, blank=True, editable=False
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(focal_x__isnull=True, focal_y__isnull=True)
                    | models.Q(focal_x__isnull=False, focal_y__isnull=False)
                ),
                name="asset_focal_point_complete",
            )
        ]

    def __str__(self):
        return self.title or self.original_filename or str(self.id)

    def get_absolute_url(self):
        return reverse("admin:transcoder_asset_change", args=[self.pk])

    @property
    def focal(self):
        if self.focal_x is None or self.focal_y is None:
            return None
        return (self.focal_x, self.focal_y)

    @property
    def focal_area(self):
        """Return the focal area as (left, top, right, bottom) fractions, or None."""
        if self.focal is None or not self.focal_width or not self.focal_height:
            return None
        from transcoder.focal import area_from_centre

        return area_from_centre(
            self.focal_x, self.focal_y, self.focal_width, self.focal_height
        )


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
            raise ValidationError(str(e)) from e

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
        Asset, on_delete=models.CASCADE, related_name="renditions"
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


class ApiToken(models.Model):
    """A key that lets a site use the JSON API; only its hash is stored."""

    name = models.CharField(max_length=100, help_text="Which site or service uses it.")
    prefix = models.CharField(max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(default=True)
    scope_read = models.BooleanField(
        "read", default=True, help_text="List and view images (needs view image)."
    )
    scope_write = models.BooleanField(
        "write",
        default=False,
        help_text="Upload, edit and delete images (needs add, change and delete "
        "image).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def scopes(self):
        return [
            s
            for s, on in (("read", self.scope_read), ("write", self.scope_write))
            if on
        ]


class ApiRateWindow(models.Model):
    """Requests one token made in one minute; one row per token per minute.

    A row in the database, so the limit holds across Lambda containers.
    """

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    minute = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["token", "minute"], name="api_rate_window_unique"
            )
        ]

    def __str__(self):
        return f"{self.token_id} @ {self.minute}: {self.count}"


class SiteKey(models.Model):
    """A public key a site puts on its embed links, optionally bound to origins."""

    name = models.CharField(max_length=100, help_text="Which site uses it.")
    key = models.CharField(max_length=40, unique=True, editable=False)
    allowed_origins = models.TextField(
        blank=True,
        help_text="One origin a line, such as https://www.example.com. Empty: any "
        "site may use the key.",
    )
    active = models.BooleanField(default=True, db_index=True)
    request_count = models.PositiveBigIntegerField(default=0, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "site key"

    def __str__(self):
        return f"{self.name} ({self.key})"

    @property
    def origins(self):
        return [
            o.strip().rstrip("/").lower()
            for o in self.allowed_origins.split()
            if o.strip()
        ]


class DeletedAsset(models.Model):
    """A tombstone: this asset existed, so its embed links answer 410 Gone."""

    id = models.UUIDField(primary_key=True, editable=False)
    deleted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "deleted asset"

    def __str__(self):
        return str(self.id)


@receiver(post_delete, sender=Asset, dispatch_uid="mediahub.asset_tombstone")
def _asset_tombstone(sender, instance, **kwargs):
    """Remember a deleted asset, inside the deleting transaction."""
    DeletedAsset.objects.get_or_create(id=instance.pk)


class RebuildJob(models.Model):
    """A bounded rebuild of many assets, worked through a batch per task run.

    The task advances ``cursor`` (the last asset id done) with a compare-and-set,
    so a task delivered twice does a batch once; ``done`` counts the assets.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    label = models.CharField(max_length=200)
    preset_ids = models.JSONField(null=True, blank=True)
    # None: every asset. Otherwise the chosen asset ids, sorted.
    asset_ids = models.JSONField(null=True, blank=True)
    force = models.BooleanField(default=False)
    total_assets = models.PositiveIntegerField(default=0)
    total_renditions = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    cursor = models.CharField(max_length=36, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.label
