"""Two workers building the same renditions at once: one row and one object each.

Real threads, each with its own database connection. PostgreSQL runs them
side by side; SQLite serialises the writers with its file lock (IMMEDIATE
transactions), and the outcome must be the same on both.
"""

import time

import pytest
from django.db import connection, connections

from tests.support import race
from transcoder import services
from transcoder.imaging import engine
from transcoder.models import Asset, Rendition, RenditionStatus

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


def test_two_uploads_of_the_same_file_make_one_asset(jpeg, stored_files):
    """Four editors upload the same file at once: the duplicate check and the
    insert are one step, so one asset is made, the others are told which one,
    and no stray original is left."""
    made, refused = [], []

    def upload():
        try:
            made.append(services.asset_create(content=jpeg, filename="same.jpg"))
        except services.DuplicateAssetError as e:
            refused.append(e.existing.pk)

    assert race(4, upload) == []
    assert Asset.objects.count() == 1
    assert len(made) == 1 and refused == [made[0].pk] * 3
    originals = [f for f in stored_files() if f.startswith("originals/")]
    assert originals == [made[0].original]


def test_look_alikes_made_at_once_count_each_other():
    """Look-alikes uploaded at the same moment still find each other: every
    asset's kept count equals the look-alikes it really has."""
    from tests.images import encode, quadrants

    # The same picture at four sizes: four look-alikes, four different files.
    files = [encode(quadrants((300 + 20 * i, 200 + 10 * i)), "PNG") for i in range(4)]
    remaining = list(files)

    def upload():
        services.asset_create(content=remaining.pop(), queue_renditions=False)

    assert race(4, upload) == []
    assets = list(Asset.objects.all())
    assert len(assets) == 4
    for asset in assets:
        truth = len(services.near_duplicates(asset=asset))
        assert truth == 3
        assert asset.near_duplicates == truth, asset


def test_a_replace_during_a_rebuild_ends_with_the_new_files_renditions(
    presets, jpeg, stored_files
):
    """A rebuild of an asset racing a replace of its file: at the end every
    current rendition is ready and built from the new file."""
    from tests.images import make_image

    asset = services.asset_create(content=jpeg, filename="a.jpg")
    new = make_image("PNG", size=(500, 400), color=(10, 120, 200))

    def rebuild():
        services.renditions_generate(asset_id=asset.pk, force=True)

    def replace():
        services.asset_replace(asset=asset, content=new, filename="b.png")

    jobs = [rebuild, replace, rebuild]
    assert race(3, lambda: jobs.pop()()) == []
    services.renditions_generate(asset_id=asset.pk)  # what the queue would run
    asset.refresh_from_db()
    assert asset.format == "png"
    current = Rendition.objects.filter(asset=asset, digest__in=_digests(asset))
    assert current.count() == 3
    assert {r.status for r in current} == {RenditionStatus.READY}
    assert set(current.values_list("name", flat=True)) <= set(stored_files())


def _digests(asset):
    from transcoder.models import Preset

    return {
        spec.digest
        for preset in Preset.objects.filter(active=True)
        for spec in asset.rendition_specs(preset)
    }
