"""API tokens, publishable read keys, rate windows, and site keys for embed links."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A key that lets a site use the JSON API; only its hash is stored."""

    name = models.CharField(
        _("name"), max_length=100, help_text=_("Which site or service uses it.")
    )
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    scope_read = models.BooleanField(
        _("read"),
        default=True,
        help_text=_("List and view images (needs view image)."),
    )
    scope_write = models.BooleanField(
        _("write"),
        default=False,
        help_text=_(
            "Upload, edit and delete images (needs add, change and delete image)."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(
        _("last used at"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def scopes(self):
        return [
            s
            for s, on in (("read", self.scope_read), ("write", self.scope_write))
            if on
        ]


class RateWindow(models.Model):
    """Requests counted in one minute for one bucket: a token, a publishable
    key, or a publishable key and one visitor address (hashed).

    A row in the database, so the limit holds across Lambda containers. The
    limiter weighs the previous minute's row with the current one (a sliding
    window), so a burst across a minute boundary is not let through twice.
    """

    bucket = models.CharField(max_length=80)
    minute = models.BigIntegerField(db_index=True)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["bucket", "minute"], name="rate_window_unique"
            )
        ]

    def __str__(self):
        return f"{self.bucket} @ {self.minute}: {self.count}"


class OriginBoundKey:
    """What every public key bound to origins shares (site, publishable and
    upload widget keys): its name in lists, and its origins, normalised."""

    def __str__(self):
        return f"{self.name} ({self.key})"

    @property
    def origins(self):
        return [
            o.strip().rstrip("/").lower()
            for o in self.allowed_origins.split()
            if o.strip()
        ]


class SiteKey(OriginBoundKey, models.Model):
    """A public key a site puts on its embed links, optionally bound to origins."""

    name = models.CharField(
        _("name"), max_length=100, help_text=_("Which site uses it.")
    )
    key = models.CharField(_("key"), max_length=40, unique=True, editable=False)
    allowed_origins = models.TextField(
        _("allowed origins"),
        blank=True,
        help_text=_(
            "One origin a line, such as https://www.example.com. Empty: any "
            "site may use the key."
        ),
    )
    active = models.BooleanField(_("active"), default=True, db_index=True)
    request_count = models.PositiveBigIntegerField(
        _("requests"), default=0, editable=False
    )
    last_used_at = models.DateTimeField(
        _("last used at"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(
        _("revoked at"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("site key")
        verbose_name_plural = _("site keys")


class PublishableKey(OriginBoundKey, models.Model):
    """A read-only API key a site ships in its page's JavaScript.

    It is public by design (anyone can read it in the page), so it is kept
    in full, like a site key; what makes it safe is what it cannot do: it
    only reads, only from its origins, only in its collections, and only what
    its creator may still view there.
    """

    name = models.CharField(
        _("name"), max_length=100, help_text=_("Which site uses it.")
    )
    key = models.CharField(_("key"), max_length=40, unique=True, editable=False)
    allowed_origins = models.TextField(
        _("allowed origins"),
        help_text=_(
            "One origin a line, such as https://www.example.com. Only pages "
            "on these origins may use the key."
        ),
    )
    collections = models.ManyToManyField(
        "transcoder.Collection",
        verbose_name=_("collections"),
        related_name="+",
        help_text=_(
            "The key reads only images in these collections (and the ones "
            "below them) that its creator may view."
        ),
    )
    active = models.BooleanField(_("active"), default=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(
        _("last used at"), null=True, blank=True, editable=False
    )
    revoked_at = models.DateTimeField(
        _("revoked at"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("publishable key")
        verbose_name_plural = _("publishable keys")
