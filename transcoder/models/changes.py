"""The change log (an outbox), and the webhook endpoints and deliveries it feeds.

Each change to an asset is one ``Change`` row, written in the transaction that
makes the change (services.outbox.changes). ``GET /api/changes/`` reads it with a
cursor; the webhook dispatcher turns it into ``WebhookDelivery`` rows.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    """What happened; the names webhooks and the change feed use."""

    CREATED = "asset.created", _("image uploaded")
    READY = "asset.ready", _("renditions ready")
    UPDATED = "asset.updated", _("image edited")
    REPLACED = "asset.replaced", _("file replaced")
    DELETED = "asset.deleted", _("image deleted")
    RESTORED = "asset.restored", _("image restored from the Trash")
    UPLOAD_MODERATED = "upload.moderated", _("upload approved or rejected")


class Change(models.Model):
    """One change, in commit order: ids are handed out under one lock.

    ``collection_id`` is where the asset is after the change (where it was,
    for a deletion); a move also keeps ``previous_collection_id``, so whoever
    could see only the old collection learns the asset left their view. Plain
    numbers, not keys: the log outlives assets and collections.
    """

    id = models.BigAutoField(primary_key=True)
    event = models.CharField(max_length=40, choices=Event.choices)
    asset_id = models.UUIDField(null=True, blank=True, db_index=True)
    collection_id = models.BigIntegerField(null=True, blank=True)
    previous_collection_id = models.BigIntegerField(null=True, blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)
    # What an event that is not an asset's carries (upload.moderated).
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.id} {self.event} {self.asset_id or ''}".strip()


def _new_secret():
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """A site's URL that receives the events it subscribed to, signed."""

    url = models.URLField(
        _("URL"),
        max_length=500,
        help_text=_(
            "Where events are sent with POST, such as https://example.com/hooks."
        ),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    collections = models.ManyToManyField(
        "transcoder.Collection",
        verbose_name=_("collections"),
        blank=True,
        related_name="+",
        help_text=_(
            "Only images in these collections (and below); none chosen: every "
            "collection you may view."
        ),
    )
    secret = models.CharField(
        _("signing secret"), max_length=100, default=_new_secret, editable=False
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # The last change before this endpoint existed: it hears of later ones only.
    after_change = models.BigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self):
        return self.description or self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    RETRYING = "retrying", _("retrying")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


class WebhookDelivery(models.Model):
    """One event sent to one endpoint: its payload and each attempt's outcome."""

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    change_id = models.BigIntegerField(null=True, blank=True, editable=False)
    event = models.CharField(_("event"), max_length=40, choices=Event.choices)
    # Whose event it is, asked of the policy again at each attempt.
    collection_id = models.BigIntegerField(null=True, blank=True, editable=False)
    payload = models.JSONField(_("payload"), editable=False)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveIntegerField(
        _("last HTTP status"), null=True, blank=True
    )
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    response_ms = models.PositiveIntegerField(_("response time (ms)"), null=True)
    # The first bytes of the answer, for the log; never more.
    response_excerpt = models.CharField(_("response"), max_length=200, blank=True)
    resent_from = models.ForeignKey(
        "self",
        verbose_name=_("resent from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=models.Q(status__in=["pending", "retrying"]),
            )
        ]

    def __str__(self):
        return f"{self.event} #{self.pk}"
