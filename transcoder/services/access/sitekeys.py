"""Site keys: public keys sites put on embed links, bound to origins, revocable."""

import secrets
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from transcoder.models import SiteKey


class SiteKeyError(PermissionDenied):
    """An embed link's site key is unknown, revoked or used from another site."""


def site_key_issue(*, site_key):
    """Give a new site key its public key and save it."""
    site_key.key = f"sk_{secrets.token_urlsafe(18)}"
    site_key.save()
    return site_key


def site_key_revoke(*, site_key):
    """Revoke a key: no new redirect from now on; signed URLs die at their expiry."""
    SiteKey.objects.filter(pk=site_key.pk).update(
        active=False, revoked_at=timezone.now()
    )
    site_key.active = False
    return site_key


def request_origin(*, origin, referer):
    """Return the lower-case origin of a request from Origin, else Referer, or ""."""
    for value in (origin, referer):
        if not value or value == "null":
            continue
        try:
            parts = urlsplit(value)
        except ValueError:
            continue
        if parts.scheme in ("http", "https") and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}".lower()
    return ""


def origins_clean(text, *, empty=None):
    """Return ``text`` as one lower-case origin a line, or raise ValidationError.

    Each line must be a bare origin (``https://www.example.com``); none at
    all raises ``empty`` when given (a site key may name none: any site).
    """
    lines = text.split()
    if not lines and empty:
        raise ValidationError(empty)
    for line in lines:
        parts = urlsplit(line)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
        ):
            raise ValidationError(
                _("%(line)r is not an origin; write it as https://www.example.com.")
                % {"line": line}
            )
    return "\n".join(line.rstrip("/").lower() for line in lines)


def site_key_check(*, key, origin):
    """Return the active SiteKey for ``key`` used from ``origin``, or raise."""
    site_key = SiteKey.objects.filter(key=key[:40], active=True).first()
    if site_key is None:
        raise SiteKeyError("This site key is unknown or revoked.")
    allowed = site_key.origins
    if allowed and origin not in allowed:
        raise SiteKeyError("This site key is not allowed on this site.")
    return site_key


def site_key_count(*, site_key):
    """Count one request: a single UPDATE, no read-modify-write race."""
    SiteKey.objects.filter(pk=site_key.pk).update(
        request_count=F("request_count") + 1, last_used_at=timezone.now()
    )
