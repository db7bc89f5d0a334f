"""Settings for mediahub, decided by the environment alone.

The embedded default (no variables set) uses SQLite, local files under var/
and in-process tasks. Production sets DATABASE_URL, MEDIAHUB_STORAGE=s3 and
the AWS_* names that django-storages already defines.
"""

import contextlib
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from mediahub.storages import local_storages, s3_storages

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MEDIAHUB_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default=False):
    """Read a yes/no variable; anything but a clear yes or no is an error."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number.") from None


def env_list(name, default=()):
    value = os.environ.get(name, "")
    return [v.strip() for v in value.split(",") if v.strip()] or list(default)


DEV_SECRET_KEY = "django-insecure-mediahub-local-development-only"  # noqa: S105

DEBUG = env_bool("DJANGO_DEBUG", default=False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or DEV_SECRET_KEY
# The dev key is public: with it anyone can forge delivery URLs, sessions and
# the messages cookie. Only debug mode (`make run`, a developer's machine) may
# fall back to it; whatever runs with DEBUG off must bring its own secret.
if not DEBUG and SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured(
        "Set DJANGO_SECRET_KEY: DEBUG is off, and the development key is public. "
        "Make one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "mediahub.apps.MediahubAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "axes",
    # The embedded default's task queue (a table and `manage.py db_worker`).
    # Installed everywhere so every database has the same tables, whichever
    # backend a deployment picks.
    "django_tasks_db",
    "taggit",  # free tags on assets; TAGGIT_CASE_INSENSITIVE below
    "transcoder",
]

MIDDLEWARE = [
    # First, before anything can read a body (CSRF parses every POST, and so do
    # the error views of any middleware that raises): see the module.
    "transcoder.web.middleware.BodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before everything that writes a body, so it compresses the final one.
    "transcoder.web.compression.ApiGZipMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After the session, before CommonMiddleware (which may redirect in the
    # chosen language): the language cookie of the switcher, else the
    # browser's Accept-Language, else LANGUAGE_CODE; on the admin's paths only
    # (see the module).
    "transcoder.web.locale.EditorLocaleMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into a 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mediahub.urls"
WSGI_APPLICATION = "mediahub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if not os.environ.get("DATABASE_URL"):
    # SQLite makes its file but not the folder it lives in. Where the folder
    # cannot be made (a read-only package), the first query says why.
    with contextlib.suppress(OSError):
        VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'mediahub.sqlite3'}",
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 0),
        # Behind a pooler in transaction mode (PgBouncer, RDS Proxy) a named
        # cursor would outlive its transaction's server connection.
        disable_server_side_cursors=env_bool("DJANGO_DISABLE_SERVER_SIDE_CURSORS"),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default's web server and worker write to one file. A
    # transaction that reads and then writes cannot upgrade SQLite's lock and
    # fails at once with "database is locked"; taking the write lock when the
    # transaction begins (IMMEDIATE) makes it wait its turn, up to the timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE", timeout=env_int("MEDIAHUB_SQLITE_TIMEOUT", 30)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first: a login locked out is refused before ModelBackend runs the
# password hasher. Its state is in the database (AccessAttempt rows), shared by
# every Lambda container.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

LANGUAGE_CODE = "en-us"
# The languages the admin speaks (docs/editors.md, "Languages"): mediahub's own
# strings are in locale/, Django's admin brings its own translations.
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The switcher's choice (set_language): no script reads it.
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = os.environ.get("DJANGO_STATIC_URL", "static/")
STATIC_ROOT = BASE_DIR / "staticfiles"
# Behind API Gateway the stage (/dev) is SCRIPT_NAME, so a stage sets an absolute
# DJANGO_STATIC_URL (/dev/static/): Django caches STATIC_URL at first read, before
# any request has set the script prefix. WhiteNoise matches path_info, which never
# carries the stage, so its prefix stays /static/.
WHITENOISE_STATIC_PREFIX = "/static/"
WHITENOISE_USE_FINDERS = DEBUG

# --- mediahub's own settings (read lazily through transcoder.conf) -------------
MEDIAHUB_STORAGE = os.environ.get("MEDIAHUB_STORAGE", "local")
MEDIAHUB_MEDIA_ROOT = Path(os.environ.get("MEDIAHUB_MEDIA_ROOT", VAR_DIR / "media"))
# Numeric limits: set only when the environment names them, so the defaults
# live in one place (transcoder.conf.DEFAULTS).
for _name in (
    "ANONYMOUS_BODY_BYTES",
    "ENGINE_THREADS",
    "URL_TTL",
    "URL_WINDOW",
    "API_RATE_LIMIT",
    "PUBLISHABLE_RATE_LIMIT",
    "PUBLISHABLE_VISITOR_RATE_LIMIT",
    "PUBLISHABLE_MAX_AGE",
    "UPLOAD_URL_TTL",
    "MAX_UPLOAD_BYTES",
    "MAX_PIXELS",
    "MAX_FRAMES",
    "MAX_ANIMATION_SECONDS",
    "MAX_ANIMATION_PIXELS",
    "MAX_DECODE_SECONDS",
    "MAX_ATTEMPTS",
    "REBUILD_BATCH",
    "REBUILD_SECONDS",
    "BULK_BATCH",
    "STATE_BATCH",
    "REDRIVE_MAX_MESSAGES",
    "REDRIVE_SECONDS",
    "TRASH_DAYS",
    "WEBHOOK_MAX_ATTEMPTS",
    "WEBHOOK_RETRY_SECONDS",
    "WEBHOOK_TIMEOUT",
    "CHANGES_DAYS",
):
    if os.environ.get(f"MEDIAHUB_{_name}"):
        globals()[f"MEDIAHUB_{_name}"] = env_int(f"MEDIAHUB_{_name}", None)

if os.environ.get("MEDIAHUB_EMBED_KEYS"):
    MEDIAHUB_EMBED_KEYS = os.environ["MEDIAHUB_EMBED_KEYS"].strip().lower()
    if MEDIAHUB_EMBED_KEYS not in ("optional", "required"):
        raise ImproperlyConfigured("MEDIAHUB_EMBED_KEYS must be optional or required.")
# django-cors-headers, under its own names: the API, embed links and local
# rendition URLs answer cross-origin requests only from the listed origins
# (and /e/ and /media/ from origins listed on active site keys: see
# transcoder.web.cors); the admin never does.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/(api|e|media)/.*$"
CORS_EXPOSE_HEADERS = [
    "Retry-After",
    "ETag",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
]

# Webhook receivers on loopback or private addresses: for local development
# (on with DEBUG) and tests; never in production (SSRF).
MEDIAHUB_WEBHOOK_ALLOW_PRIVATE = env_bool("MEDIAHUB_WEBHOOK_ALLOW_PRIVATE", DEBUG)

# Deleting an asset erases every version of its objects, not only the current
# one (see docs/operations.md, "Purging and erasing").
if os.environ.get("MEDIAHUB_ERASE_VERSIONS"):
    MEDIAHUB_ERASE_VERSIONS = env_bool("MEDIAHUB_ERASE_VERSIONS")

# The collection the API, the S3 upload event and `ingest` use when none is
# chosen, as a path of names ("Root/Inbox"); unset, the root collection.
if os.environ.get("MEDIAHUB_DEFAULT_COLLECTION"):
    MEDIAHUB_DEFAULT_COLLECTION = os.environ["MEDIAHUB_DEFAULT_COLLECTION"].strip()

# Lambda's on-failure destination for async invocations, which `redrive` reads
# (the stack's FailureQueueUrl output).
if os.environ.get("MEDIAHUB_FAILURE_QUEUE_URL"):
    MEDIAHUB_FAILURE_QUEUE_URL = os.environ["MEDIAHUB_FAILURE_QUEUE_URL"].strip()

# DATA_UPLOAD_MAX_MEMORY_SIZE bounds the form fields of a request, not its file
# parts: a file part past FILE_UPLOAD_MAX_MEMORY_SIZE is written to a temporary
# file however large it is, and CSRF parses every POST before any view checks
# who is asking. What bounds the whole body is transcoder.web.middleware: 64 KiB
# (MEDIAHUB_ANONYMOUS_BODY_BYTES) unless signed in or holding an API token, and
# MEDIAHUB_MAX_UPLOAD_BYTES plus the form around the file when signed in.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

if MEDIAHUB_STORAGE == "local":
    STORAGES = local_storages(MEDIAHUB_MEDIA_ROOT)
elif MEDIAHUB_STORAGE == "s3":
    if not os.environ.get("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("MEDIAHUB_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
    STORAGES = s3_storages(os.environ)
else:
    raise ImproperlyConfigured("MEDIAHUB_STORAGE must be 'local' or 's3'.")

STORAGES["staticfiles"] = {
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    if not DEBUG
    else "django.contrib.staticfiles.storage.StaticFilesStorage"
}

# The embedded default queues tasks in the database and `manage.py db_worker`
# (started beside the web server by `make run`) builds them; Lambda sets
# MEDIAHUB_TASK_BACKEND=transcoder.aws.task_backends.LambdaBackend.
# "Beach" and "beach" are one tag.
TAGGIT_CASE_INSENSITIVE = True
# Tags are separated by commas only: "still life" is one tag, not two.
TAGGIT_TAGS_FROM_STRING = "transcoder.services.library.tags.tags_split"
TAGGIT_STRING_FROM_TAGS = "transcoder.services.library.tags.tags_join"

TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "MEDIAHUB_TASK_BACKEND", "django_tasks_db.DatabaseBackend"
        )
    }
}

# --- security -----------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Login lockout (django-axes, database handler). Five wrong passwords in a row
# for one username from one address lock that pair out for AXES_COOLOFF_TIME
# hours; further tries while locked restart the wait. Per username and address,
# not per username alone, so nobody can lock the admin out from elsewhere; the
# cool-off holds one address to a handful of guesses an hour. The address is
# API Gateway's sourceIp, never a client-supplied header (transcoder.web.client_ip).
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_TIME", 1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "transcoder.web.client_ip.client_ip"
AXES_RESET_ON_SUCCESS = True

# Production is HTTPS only (API Gateway and CloudFront never speak plain HTTP);
# `make run` and the tests turn this off explicitly.
if env_bool("MEDIAHUB_HTTPS", default=not DEBUG):
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own "django" logger has a console handler of its own (active
        # with DEBUG) and propagates to the root: without this every line
        # printed twice. Its records now reach the root handler once; the
        # runserver access log ("django.server") keeps Django's own setup.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # One line per task start and finish drowns what commands print; failures
        # still show, and the rendition rows record every outcome.
        "django.tasks": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
    },
}
