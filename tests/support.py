"""Small helpers several test modules share: threads racing, ingest in-process,
the engine's limits, collection and model permissions, a logged-in client."""

import threading
from io import StringIO

from django.core.management import call_command
from django.db import connections

from transcoder.imaging import engine

MIB = 1024 * 1024
# The engine's limits in the pipeline tests: 20 MB and 50 megapixels.
LIMITS = engine.Limits(max_bytes=20 * MIB, max_pixels=50_000_000)
# The collection actions an asset permission names.
ACTIONS = ["view", "add", "change", "delete"]


def race(workers, target):
    """Start ``workers`` threads on ``target`` together; return their errors.

    Each thread closes its own database connections when it is done.
    """
    barrier = threading.Barrier(workers)
    errors = []

    def run():
        try:
            barrier.wait()
            target()
        except Exception as e:  # noqa: BLE001 - reported to the test
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return errors


def run_ingest(*args):
    """Run ingest in-process; return (exit code, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("ingest", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as e:
        code = e.code
    return code, out.getvalue(), err.getvalue()


def grant(group, collection, *actions):
    """Give ``group`` the ``<action>_asset`` permissions on ``collection``."""
    from django.contrib.auth.models import Permission

    from transcoder.models import GroupCollectionPermission

    for action in actions:
        GroupCollectionPermission.objects.create(
            group=group,
            collection=collection,
            permission=Permission.objects.get(
                content_type__app_label="transcoder", codename=f"{action}_asset"
            ),
        )


def model_perms(user, *codenames):
    """Give ``user`` the model-wide ``transcoder`` permissions named."""
    from django.contrib.auth.models import Permission

    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="transcoder", codename__in=codenames
        )
    )


def logged_in(user):
    """Return a test client logged in as ``user``."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client
