"""Usage: how often each embedding site asked for each asset, per day."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class UsageDay(models.Model):
    """Requests to an asset's embed links from one site's origin on one day."""

    asset = models.ForeignKey(
        "transcoder.Asset", on_delete=models.CASCADE, related_name="usage_days"
    )
    # Scheme and host (and port) only, e.g. "https://example.com"; "" when the
    # request named no site (a direct visit, or a Referrer-Policy of no-referrer).
    origin = models.CharField(max_length=255, blank=True)
    day = models.DateField()
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "origin", "day"], name="usageday_unique"
            )
        ]
        indexes = [models.Index(fields=["asset", "day"], name="usageday_asset_day")]
        verbose_name = _("usage per day")
        verbose_name_plural = _("usage per day")

    def __str__(self):
        return f"{self.asset_id} {self.origin or '(direct)'} {self.day}: {self.count}"
