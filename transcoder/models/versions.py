"""Versions: the earlier originals of an asset whose file was replaced."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AssetVersion(models.Model):
    """An original an asset had; restoring it makes it current again."""

    asset = models.ForeignKey(
        "transcoder.Asset", on_delete=models.CASCADE, related_name="versions"
    )
    # Not unique: an edit is a version of the same original with a recipe.
    original = models.CharField(max_length=255, db_index=True, editable=False)
    original_filename = models.CharField(max_length=255, blank=True, editable=False)
    content_hash = models.CharField(max_length=64, editable=False)
    format = models.CharField(max_length=10, editable=False)
    mime_type = models.CharField(max_length=50, editable=False)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    bytes = models.PositiveBigIntegerField(editable=False)
    frames = models.PositiveIntegerField(default=1, editable=False)
    dhash = models.CharField(max_length=16, blank=True, editable=False)
    # This file's automatic focal area (see Asset.focal_suggestion).
    focal_suggestion = models.JSONField(null=True, blank=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # The edit the file was shown with (Asset.edit); width and height are
    # the edited picture's.
    edit = models.JSONField(default=dict, blank=True, editable=False)
    # When this file was uploaded (not when it was replaced).
    created_at = models.DateTimeField(editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("asset version")
        verbose_name_plural = _("asset versions")

    def __str__(self):
        return f"{self.original_filename or self.original} ({self.created_at:%Y-%m-%d})"


class AssetHashBand(models.Model):
    """One band of an asset's perceptual hash, indexed to find look-alikes."""

    asset = models.ForeignKey(
        "transcoder.Asset", on_delete=models.CASCADE, related_name="hash_bands"
    )
    band = models.PositiveSmallIntegerField()
    value = models.PositiveSmallIntegerField()
    # The whole hash (imaging.analysis.perceptual.to_signed): the lookup
    # compares candidates from the index alone, without reading their assets.
    hash = models.BigIntegerField(default=0)

    class Meta:
        # On PostgreSQL it also holds asset_id and hash (INCLUDE, migration
        # 0017): a lookup reads only the index, about 10,000 entries at a
        # million assets, never the table's rows nor the assets'.
        indexes = [models.Index(fields=["band", "value"], name="hashband_lookup")]
        constraints = [
            models.UniqueConstraint(fields=["asset", "band"], name="hashband_unique")
        ]

    def __str__(self):
        return f"{self.asset_id} band {self.band}={self.value}"


class AssetLookalike(models.Model):
    """Two live assets within the perceptual threshold, kept once each way.

    Written with the hashes (services.library.duplicates): the asset page and a
    collection editor's "has near duplicates" read an asset's look-alikes
    by index, however large the library.
    """

    asset = models.ForeignKey(
        "transcoder.Asset", on_delete=models.CASCADE, related_name="lookalikes"
    )
    other = models.ForeignKey(
        "transcoder.Asset", on_delete=models.CASCADE, related_name="lookalike_of"
    )
    distance = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["asset", "other"], name="lookalike_unique")
        ]

    def __str__(self):
        return f"{self.asset_id} looks like {self.other_id} ({self.distance} bits)"
