"""mediahub's own settings, read lazily through one accessor so tests can override."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULTS = {
    "STORAGE": "local",
    "URL_TTL": 3600,
    "MAX_UPLOAD_BYTES": 50 * 1024 * 1024,
    "MAX_PIXELS": 50_000_000,
    "MAX_FRAMES": 1000,
    "MAX_DECODE_SECONDS": 15,
    "MAX_ATTEMPTS": 5,
    "UPLOAD_URL_TTL": 600,
    # Encodes run at once per build; 0 means one per CPU, at most 4.
    "ENGINE_THREADS": 0,
}


def setting(name):
    """Return ``settings.MEDIAHUB_<name>``, or its default."""
    if name not in DEFAULTS:
        raise ImproperlyConfigured(f"Unknown mediahub setting {name!r}.")
    return getattr(settings, f"MEDIAHUB_{name}", DEFAULTS[name])


def image_limits():
    """Return the engine's limits from the current settings."""
    from transcoder.engine import Limits

    return Limits(
        max_bytes=setting("MAX_UPLOAD_BYTES"),
        max_pixels=setting("MAX_PIXELS"),
        max_frames=setting("MAX_FRAMES"),
        max_seconds=setting("MAX_DECODE_SECONDS"),
    )
