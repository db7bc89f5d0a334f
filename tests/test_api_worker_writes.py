"""API writes while the worker writes: no "database is locked", on either database.

A PATCH reads the image, then writes it, inside one transaction. On SQLite a
deferred transaction that read first cannot take the write lock while the
worker holds it, and fails at once ("database is locked", a 500); the app's
IMMEDIATE transactions wait their turn instead. Run on SQLite by default and
on PostgreSQL with DATABASE_URL, as .ci/run does.
"""

import json
import threading
import urllib.request

import pytest

from tests.worker_support import wait_for
from transcoder import services
from transcoder.models import ApiToken, Asset, Rendition

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 4
PATCHES = 8


def _patch(url, key, title):
    request = urllib.request.Request(
        url,
        data=json.dumps({"title": title}).encode(),
        method="PATCH",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, json.load(response)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def test_patches_from_several_clients_while_the_worker_builds(
    db_worker, live_server, presets, jpeg, admin_user
):
    key = services.api_token_issue(
        token=ApiToken(
            name="cms", scope_read=True, scope_write=True, created_by=admin_user
        )
    )
    # Each upload queues its builds: the worker writes renditions throughout.
    assets = [
        services.asset_create(content=jpeg, filename=f"a{n}.jpg", allow_duplicate=True)
        for n in range(THREADS)
    ]
    answers = {a.pk: [] for a in assets}

    def client(asset):
        url = f"{live_server.url}/api/assets/{asset.pk}/"
        for n in range(PATCHES):
            answers[asset.pk].append(_patch(url, key, f"Title {n}"))

    threads = [threading.Thread(target=client, args=(a,)) for a in assets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)

    statuses = [status for runs in answers.values() for status, _ in runs]
    assert statuses == [200] * THREADS * PATCHES, [
        body for runs in answers.values() for status, body in runs if status != 200
    ][:3]
    for asset in assets:
        assert Asset.objects.get(pk=asset.pk).title == f"Title {PATCHES - 1}"
    wait_for(
        lambda: (
            Rendition.objects.filter(status="ready").count()
            == Rendition.objects.count()
            > 0
        ),
        what=f"the renditions (worker log: {db_worker.log.name})",
    )
