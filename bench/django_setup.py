"""One way for the benchmarks to start Django: a throwaway secret, plain HTTP,
scratch files, and whatever else a benchmark names."""

import os
import secrets
import tempfile

IMMEDIATE_TASKS = "django.tasks.backends.immediate.ImmediateBackend"


def configure(**environ):
    """Set the environment a benchmark runs Django in, set Django up, return the
    scratch folder. ``environ`` adds or overrides variables."""
    scratch = tempfile.mkdtemp(prefix="mediahub-bench-")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "mediahub.settings",
            # With DEBUG off the settings refuse the public development key.
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "MEDIAHUB_HTTPS": "0",
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "MEDIAHUB_VAR_DIR": scratch,
            "MEDIAHUB_MEDIA_ROOT": os.path.join(scratch, "media"),
            "LOG_LEVEL": "WARNING",
            **environ,
        }
    )
    import django

    django.setup()
    return scratch
