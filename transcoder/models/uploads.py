"""Refused uploads, and the cursors that let scheduled work resume where it stopped."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class UploadRefusal(models.Model):
    """An upload that did not become an asset, and why: every refusal, once.

    Every upload ends as an asset (``Asset.upload_key``) or as one of these,
    so an editor can tell a refused file from a lost one, and purge_orphans
    may delete what is left of it under uploads/.
    """

    key = models.CharField(_("upload key"), max_length=255, unique=True)
    # What the key says, where it says it: who started it, and for what.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    collection = models.ForeignKey(
        "transcoder.Collection",
        verbose_name=_("collection"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    asset = models.ForeignKey(
        "transcoder.Asset",
        verbose_name=_("image to replace"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    # The message an editor reads, as the upload's own answer said it.
    reason = models.TextField(_("reason"))
    code = models.CharField(_("code"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("refused at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("refused upload")
        verbose_name_plural = _("refused uploads")

    def __str__(self):
        return self.filename or self.key.removeprefix("uploads/")[:60]


class ScheduledCursor(models.Model):
    """Where a bounded scheduled job (purge, sweep) stopped; the next run goes on."""

    name = models.CharField(max_length=50, unique=True)
    marker = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.name}: {self.marker or '(start)'}"
