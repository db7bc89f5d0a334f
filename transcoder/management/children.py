"""Django in worker processes that start from a fresh interpreter.

A process pool whose children come from ``forkserver`` or ``spawn`` (never a
fork of a parent that may run threads) unpickles its initializer before Django
is set up, so this module imports nothing of the app. Each child configures
Django with the parent's settings as they are, overrides included, then sets
it up.
"""

import django
from django.conf import settings


def settings_snapshot():
    """Return the settings this process set explicitly, by name."""
    return {
        name: getattr(settings, name)
        for name in dir(settings)
        if name.isupper() and settings.is_overridden(name)
    }


def child_setup(snapshot):
    """Configure Django in a new child process from ``snapshot`` and set it up."""
    settings.configure(**snapshot)
    django.setup()
