"""The change log under concurrent writers: a follower misses nothing.

Ids are handed out under the library's write lock, held until the commit, so
no change commits behind a cursor already read. Run on SQLite by default and
on PostgreSQL with DATABASE_URL set (where the lock matters most).
"""

import threading

import pytest
from django.db import connections

from tests.fixtures_library import add_asset
from tests.support import race
from transcoder import services
from transcoder.models import Asset, Change

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_follower_reading_during_writes_sees_every_change(presets):
    from transcoder.models import root_collection

    assets = [add_asset(root_collection(), f"r{i}", seed=40 + i) for i in range(6)]
    start = Change.objects.order_by("-id").values_list("id", flat=True).first()
    seen, done = [], threading.Event()

    def follow():
        cursor = start
        try:
            while True:
                finished = done.is_set()
                rows = list(
                    Change.objects.filter(id__gt=cursor)
                    .order_by("id")
                    .values_list("id", flat=True)
                )
                seen.extend(rows)
                cursor = rows[-1] if rows else cursor
                if finished and not rows:
                    return
        finally:
            connections.close_all()

    reader = threading.Thread(target=follow)
    reader.start()
    counter = iter(range(10_000))

    def write():
        for _ in range(5):
            n = next(counter)
            asset = Asset.objects.get(pk=assets[n % len(assets)].pk)
            services.asset_update(asset=asset, title=f"t{n}", alt_text="", focal=None)

    errors = race(6, write)
    done.set()
    reader.join(60)
    assert errors == []
    written = list(
        Change.objects.filter(id__gt=start).order_by("id").values_list("id", flat=True)
    )
    assert len(written) == 30
    assert seen == written
