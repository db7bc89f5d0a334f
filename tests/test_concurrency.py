"""Two workers building the same renditions at once: one row and one object each.

Real threads, each with its own database connection. PostgreSQL runs them
side by side; SQLite serialises the writers with its file lock (IMMEDIATE
transactions), and the outcome must be the same on both.
"""

import time

import pytest
from django.db import connection, connections

from tests.support import race
from transcoder import engine, services
from transcoder.models import Rendition, RenditionStatus

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_workers_make_one_row_and_one_object(
    presets, jpeg, stored_files, monkeypatch
):
    """Racing builds of the same asset end with one ready row and file per spec."""
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    Rendition.objects.all().delete()
    for name in stored_files():
        if name.startswith("renditions/"):
            services.objects_delete(names=[name])
    real_render = engine.render

    def slow_render(*args, **kwargs):
        # Widen the window between reading the rows and writing the objects.
        time.sleep(0.3)
        return real_render(*args, **kwargs)

    monkeypatch.setattr(engine, "render", slow_render)
    errors = race(4, lambda: services.renditions_generate(asset_id=asset.pk))
    assert errors == []
    rows = Rendition.objects.filter(asset=asset)
    assert rows.count() == 3
    assert {r.status for r in rows} == {RenditionStatus.READY}
    renditions = sorted(f for f in stored_files() if f.startswith("renditions/"))
    assert renditions == sorted(r.name for r in rows)


def test_racing_get_or_create_of_rows_makes_one(presets, jpeg):
    """Many workers creating the rows of a new preset at once create each once."""
    from transcoder.models import Preset

    asset = services.asset_create(content=jpeg, filename="a.jpg")
    preset = Preset.objects.create(
        slug="wide", name="Wide", fit="contain", width=200, formats=["png", "webp"]
    )
    errors = race(
        6,
        lambda: services.renditions_generate(asset_id=asset.pk, preset_ids=[preset.pk]),
    )
    assert errors == []
    assert Rendition.objects.filter(asset=asset, preset=preset).count() == 2


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="kills a server backend; SQLite has no server (the PostgreSQL pass runs it)",
)
def test_task_retry_reconnects_after_the_database_drops_it(presets, jpeg):
    """A killed connection is replaced between attempts: the renditions get built."""
    from transcoder.tasks import generate_renditions

    asset = services.asset_create(content=jpeg, queue_renditions=False)
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    generate_renditions.call(str(asset.pk))
    statuses = set(
        Rendition.objects.filter(asset=asset).values_list("status", flat=True)
    )
    assert statuses == {RenditionStatus.READY}
