"""mediahub's own settings, read lazily through one accessor so tests can override."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULTS = {
    "STORAGE": "local",
    "URL_TTL": 3600,
    "MAX_UPLOAD_BYTES": 50 * 1024 * 1024,
    "MAX_PIXELS": 50_000_000,
    "MAX_FRAMES": 1000,
    # An animation's playing time, and its frames times canvas pixels (what
    # decoding and encoding every frame costs; see imaging.encoding.animation).
    "MAX_ANIMATION_SECONDS": 60,
    "MAX_ANIMATION_PIXELS": 200_000_000,
    "MAX_DECODE_SECONDS": 15,
    "MAX_ATTEMPTS": 5,
    "UPLOAD_URL_TTL": 600,
    # Signed URLs expire on window boundaries (0: the window is URL_TTL).
    "URL_WINDOW": 0,
    # "optional" or "required": whether embed links need a site key.
    "EMBED_KEYS": "optional",
    # API requests per token per minute.
    "API_RATE_LIMIT": 600,
    # Publishable keys: requests per key per minute, per visitor address and
    # key per minute, and how long browsers and CDNs may keep an answer (and
    # so how long a revoked key's answers may still be served from a cache).
    "PUBLISHABLE_RATE_LIMIT": 3000,
    "PUBLISHABLE_VISITOR_RATE_LIMIT": 120,
    "PUBLISHABLE_MAX_AGE": 60,
    # What a request that is not signed in (nor carries an API token) may send.
    "ANONYMOUS_BODY_BYTES": 64 * 1024,
    # Erasing an asset ("Erase now", the purge of the Trash) erases every
    # version of its objects, not only the current ones (see asset_erase).
    "ERASE_VERSIONS": False,
    # Days a deleted asset waits in the Trash, restorable, before the purge
    # erases it.
    "TRASH_DAYS": 30,
    # A rebuild task (preset save, regenerate) does at most this many assets,
    # or this many seconds of work, then queues itself for the rest.
    "REBUILD_BATCH": 20,
    "REBUILD_SECONDS": 60,
    # Encodes run at once per build; 0 means one per whole CPU of the quota
    # (transcoder/imaging/resize/cpus.py), at most 4.
    "ENGINE_THREADS": 0,
    # Where the API, the S3 upload event and `ingest` put assets when nobody
    # chose: a path of collection names such as "Root/Inbox" ("": the root).
    "DEFAULT_COLLECTION": "",
    # A bulk job (tags, delete… over a selection) handles this many assets per
    # task run, then queues itself for the rest.
    "BULK_BATCH": 100,
    # Sites an asset's usage is counted for per day: past that, a new Origin
    # (anyone can send one) is not recorded; one a site key is bound to is.
    "USAGE_MAX_ORIGINS": 20,
    # Assets per UPDATE when every asset's rendition state is worked out again.
    "STATE_BATCH": 5000,
    # The SQS queue Lambda sends failed async invocations to ("": none), and
    # how much one redrive run replays: messages, and seconds before it stops
    # starting replays (the function's timeout is 300 s).
    "FAILURE_QUEUE_URL": "",
    "REDRIVE_MAX_MESSAGES": 50,
    "REDRIVE_SECONDS": 200,
    # One purge_orphans invocation looks at this many rows and listed objects,
    # or works this many seconds, then stores where it stopped for the next.
    "PURGE_BATCH": 100_000,
    "PURGE_SECONDS": 240,
    # The sweeper: renditions pending this long are queued again, uploads this
    # old with neither an asset nor a refusal are finalized again; this many
    # of each per run, for at most this many seconds.
    "SWEEP_PENDING_AFTER": 3600,
    "SWEEP_UPLOADS_AFTER": 3600,
    "SWEEP_BATCH": 100,
    "SWEEP_SECONDS": 240,
    # The asset list counts its matches up to this many, then says "N+".
    "LIST_COUNT_LIMIT": 1000,
    # Webhooks: attempts per delivery, the wait before the first retry (each
    # next one waits four times as long), the time-out of one POST, and
    # whether receivers on private or loopback addresses are allowed (local
    # development and tests only: in production that is an SSRF hole).
    "WEBHOOK_MAX_ATTEMPTS": 6,
    "WEBHOOK_RETRY_SECONDS": 30,
    "WEBHOOK_TIMEOUT": 5,
    "WEBHOOK_ALLOW_PRIVATE": False,
    # Changes one dispatch run turns into deliveries.
    "WEBHOOK_DISPATCH_BATCH": 500,
    # Days the change log (GET /api/changes/) and finished webhook
    # deliveries are kept; the sweep removes older ones.
    "CHANGES_DAYS": 90,
}


def setting(name):
    """Return ``settings.MEDIAHUB_<name>``, or its default."""
    if name not in DEFAULTS:
        raise ImproperlyConfigured(f"Unknown mediahub setting {name!r}.")
    return getattr(settings, f"MEDIAHUB_{name}", DEFAULTS[name])


def image_limits():
    """Return the engine's limits from the current settings."""
    from transcoder.imaging.engine import Limits

    return Limits(
        max_bytes=setting("MAX_UPLOAD_BYTES"),
        max_pixels=setting("MAX_PIXELS"),
        max_frames=setting("MAX_FRAMES"),
        max_animation_seconds=setting("MAX_ANIMATION_SECONDS"),
        max_animation_pixels=setting("MAX_ANIMATION_PIXELS"),
        max_seconds=setting("MAX_DECODE_SECONDS"),
    )
