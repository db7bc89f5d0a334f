"""Time the admin requests that used to build renditions, on a large library.

Run with ``python -m bench.bench_admin [N]`` (N assets, default 1140). It makes
a throw-away SQLite database in a temporary folder, N asset rows (no files:
only the queue is measured, no worker runs) and prints how long a preset save,
a "Regenerate renditions" of every asset and a status poll of 100 assets take,
and how many tasks each queued.
"""

import os
import sys
import time

from bench import django_setup
from tests.seed import asset_rows


def main(n):
    # The embedded default: SQLite and the database task queue.
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("MEDIAHUB_TASK_BACKEND", None)
    django_setup.configure(DJANGO_DEBUG="1")
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client
    from django_tasks_db.models import DBTaskResult

    from transcoder.models import Asset, Preset

    call_command("migrate", verbosity=0)
    asset_rows(n)
    client = Client()
    client.force_login(User.objects.create_superuser("bench", "", "bench"))
    hero = Preset.objects.get(slug="hero")
    form = {
        "name": hero.name,
        "slug": hero.slug,
        "fit": hero.fit,
        "width": hero.width,
        "height": hero.height,
        "widths": "480, 960, 1440",
        "formats": hero.formats,
        "quality": hero.quality,
        "background": hero.background,
        "active": "on",
    }
    ids = [str(pk) for pk in Asset.objects.values_list("pk", flat=True)]
    requests = [
        (
            f"preset save over {n} assets",
            lambda: client.post(f"/admin/transcoder/preset/{hero.pk}/change/", form),
        ),
        (
            f"regenerate {n} assets",
            lambda: client.post(
                "/admin/transcoder/asset/",
                # "Select all N" on the list: the page's ids plus select_across.
                {
                    "action": "regenerate_renditions",
                    "select_across": "1",
                    "index": "0",
                    "_selected_action": ids[:50],
                },
            ),
        ),
        (
            "status of 100 assets",
            lambda: client.get(
                "/admin/transcoder/asset/status/", {"ids": ",".join(ids[:100])}
            ),
        ),
        ("asset list", lambda: client.get("/admin/transcoder/asset/")),
    ]
    for label, call in requests:
        before = DBTaskResult.objects.count()
        started = time.perf_counter()
        response = call()
        ms = (time.perf_counter() - started) * 1000
        queued = DBTaskResult.objects.count() - before
        print(f"{label}: HTTP {response.status_code}, {ms:.0f} ms, {queued} task(s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1140)
