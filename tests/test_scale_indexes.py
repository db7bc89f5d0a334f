"""The list at scale: filters and search that use indexes, and what they still find."""

import importlib

import pytest
from django.db import connection

from transcoder import services

pytestmark = pytest.mark.django_db

LIST = "/admin/transcoder/asset/"


def test_format_filter_offers_every_accepted_format(admin_client, presets, jpeg):
    """The format filter lists the known formats and filters by one."""
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    response = admin_client.get(LIST + "?format__exact=jpeg")
    assert [a.pk for a in response.context["cl"].result_list] == [asset.pk]
    assert not admin_client.get(LIST + "?format__exact=png").context["cl"].result_list
    assert "HEIC/HEIF" in admin_client.get(LIST).content.decode()


def test_search_finds_a_whole_content_hash(admin_client, presets, jpeg):
    """A full content hash finds its asset; a part of one finds nothing."""
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    found = admin_client.get(LIST + f"?q={asset.content_hash.upper()}")
    assert [a.pk for a in found.context["cl"].result_list] == [asset.pk]
    part = admin_client.get(LIST + f"?q={asset.content_hash[:20]}")
    assert not part.context["cl"].result_list


def test_year_urls_still_filter_without_a_date_hierarchy(admin_client, presets, jpeg):
    """?created_at__year= keeps working, as an indexed range."""
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    year = asset.created_at.year
    hit = admin_client.get(LIST + f"?created_at__year={year}")
    assert [a.pk for a in hit.context["cl"].result_list] == [asset.pk]
    miss = admin_client.get(LIST + f"?created_at__year={year - 3}")
    assert not miss.context["cl"].result_list


def _indexes():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'transcoder_asset'"
        )
        return {row[0] for row in cursor.fetchall()}


TRIGRAMS = {"asset_title_trgm", "asset_alt_text_trgm", "asset_original_filename_trgm"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL's")
def test_migration_makes_and_drops_trigram_indexes_on_postgresql():
    """Migration 0008 makes a trigram GIN index per searched column, and its
    reverse drops them.

    The suite's database is built by the migrations, so they exist already.
    """
    assert TRIGRAMS <= _indexes()
    migration = importlib.import_module("transcoder.migrations.0008_scale")
    with connection.schema_editor() as editor:
        migration.drop_trigram_indexes(None, editor)
    assert not TRIGRAMS & _indexes()
    with connection.schema_editor() as editor:
        migration.trigram_indexes(None, editor)
    assert TRIGRAMS <= _indexes()


@pytest.mark.parametrize("dense", [False, True])
def test_search_finds_tags_as_an_id_set_or_row_by_row(
    admin_client, presets, jpeg, monkeypatch, dense
):
    """A word naming a tag finds its assets whichever way the tag is checked
    (an id set for a tag on few assets, an EXISTS per row for one on many)."""
    from transcoder import selectors

    monkeypatch.setattr(selectors, "DENSE_TAG_ASSETS", -1 if dense else 10**9)
    tagged = services.asset_create(content=jpeg, filename="a.jpg", title="Pier")
    services.tags_add(asset_ids=[tagged.pk], names=["Seaside"])
    services.asset_create(
        content=jpeg, filename="b.jpg", title="Pier too", allow_duplicate=True
    )
    found = admin_client.get(LIST + "?q=seaside+pier").context["cl"].result_list
    assert [a.pk for a in found] == [tagged.pk]
    both = admin_client.get(LIST + "?q=pier").context["cl"].result_list
    assert len(both) == 2
