"""Test settings: production settings, with HTTPS-only switches off for the tests."""

import os
import secrets

os.environ.setdefault("MEDIAHUB_HTTPS", "0")
# DEBUG is off in the tests, as in production, so a secret is required; a fresh
# one per run (and for the subprocesses the tests start) is never reused.
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))

from mediahub.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# Serve static files from the apps directly; the tests never run collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# SQLite's shared in-memory test database refuses a second writer instead of
# waiting, which live_server's thread plus the browser's parallel uploads hit;
# a file waits for the lock like a real deployment's database would.
# The OPTIONS (IMMEDIATE transactions, the lock timeout) are the app's own:
# the tests run the SQLite that users get. Each run has its own file, so two
# runs in one checkout never share a database; subprocesses the tests start
# inherit the name through the environment.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    os.environ.setdefault(
        "MEDIAHUB_TEST_DATABASE",
        str(VAR_DIR / f"test-{os.getpid()}.sqlite3"),  # noqa: F405
    )
    DATABASES["default"]["TEST"] = {"NAME": os.environ["MEDIAHUB_TEST_DATABASE"]}  # noqa: F405

# Most tests want renditions built by the time a request returns; the database
# queue and its worker have tests of their own (tests/test_worker.py).
# The tests' webhook receivers listen on 127.0.0.1.
MEDIAHUB_WEBHOOK_ALLOW_PRIVATE = True

TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
