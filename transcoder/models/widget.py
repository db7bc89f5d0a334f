"""The upload widget: upload keys sites put in their pages, and what they send.

A widget upload is held as a ``WidgetUpload`` row (and its object under
``widget/``) until an editor approves it; only then does it become an
``Asset``. Pending files are therefore never in the library, the API, the
totals, the search or an embed link, whatever those read, because they are
not assets; and a rejected file leaves no asset behind to erase.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from transcoder.models.keys import OriginBoundKey

# The formats a key may allow: sniffed format names of imaging.decode.sniff.
WIDGET_FORMATS = ("jpeg", "png", "webp", "avif", "gif", "heif")


class UploadWidgetKey(OriginBoundKey, models.Model):  # noqa: DJ008 (the mixin's __str__)
    """A public key a site's upload widget sends files with, bound to origins.

    Scoped to one collection (where approved files go by default), to
    formats, to a size and to a rate. It acts as its creator: when they may
    no longer add to the collection, the key refuses.
    """

    name = models.CharField(
        _("name"), max_length=100, help_text=_("Which site uses it.")
    )
    key = models.CharField(_("key"), max_length=40, unique=True, editable=False)
    allowed_origins = models.TextField(
        _("allowed origins"),
        help_text=_("One origin a line, such as https://www.example.com."),
    )
    collection = models.ForeignKey(
        "transcoder.Collection",
        verbose_name=_("collection"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    formats = models.CharField(
        _("formats"),
        max_length=100,
        default="jpeg png webp",
        help_text=_("Space-separated: jpeg png webp avif gif heif."),
    )
    max_bytes = models.PositiveBigIntegerField(
        _("largest file (bytes)"), default=10 * 1024 * 1024
    )
    rate_per_hour = models.PositiveIntegerField(
        _("uploads an hour"), default=100, help_text=_("For the whole key.")
    )
    rate_per_visitor = models.PositiveIntegerField(
        _("uploads an hour per visitor"),
        default=10,
        help_text=_("From one visitor address."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    active = models.BooleanField(_("active"), default=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(
        _("revoked at"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("upload widget key")
        verbose_name_plural = _("upload widget keys")

    @property
    def format_list(self):
        return [f for f in self.formats.lower().split() if f in WIDGET_FORMATS]


class WidgetUploadState(models.TextChoices):
    ASKED = "asked", _("asked")
    PENDING = "pending", _("awaiting review")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    REFUSED = "refused", _("refused")


class WidgetUpload(models.Model):
    """One file a site's visitor sent through the widget, and where it stands.

    ``asked`` until the bytes are finalized; then ``pending`` (in the
    moderation queue) or ``refused`` (not a file the key allows); an editor
    makes a pending one ``approved`` (``asset`` set) or ``rejected``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    widget_key = models.ForeignKey(
        UploadWidgetKey, on_delete=models.CASCADE, related_name="uploads"
    )
    state = models.CharField(
        max_length=10,
        choices=WidgetUploadState.choices,
        default=WidgetUploadState.ASKED,
        db_index=True,
    )
    key = models.CharField(max_length=255, unique=True, editable=False)
    filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    declared_size = models.PositiveBigIntegerField(null=True, blank=True)
    format = models.CharField(max_length=10, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    visitor = models.GenericIPAddressField(null=True, blank=True)
    origin = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    asset = models.ForeignKey(
        "transcoder.Asset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(db_index=True)
    finalized_at = models.DateTimeField(null=True, blank=True)
    moderated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("widget upload")
        verbose_name_plural = _("uploads awaiting review")
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["widget_key", "created_at"], name="widget_upload_rate")
        ]

    def __str__(self):
        return self.filename or str(self.pk)
