"""Totals per collection: kept by PostgreSQL's triggers, live elsewhere, the same.

Every kind of write that moves a figure is made: uploads, renditions built and
failed, alt text written, tags added and removed, assets moved and deleted,
a tag deleted. After each, what selectors.collection_totals and tag_counts
answer must equal a live aggregate over the rows; on PostgreSQL the kept
tables themselves are compared too.
"""

import pytest
from django.db import connection
from django.db.models import Count, Q, Sum
from taggit.models import Tag

from tests.fixtures_library import add_asset
from transcoder import selectors, services
from transcoder.models import (
    Asset,
    CollectionTotals,
    Rendition,
    RenditionStatus,
    TaggedAsset,
    TagTotals,
)

pytestmark = pytest.mark.django_db
POSTGRESQL = connection.vendor == "postgresql"


def _live():
    """Return ``({collection: totals}, {(collection, tag): assets})`` from the rows."""
    rows = Asset.objects.values("collection_id").annotate(
        assets=Count("pk"),
        original_bytes=Sum("bytes"),
        missing_alt=Count("pk", filter=Q(alt_text="", decorative=False)),
        failed=Count("pk", filter=Q(rendition_state__in=selectors.FAILED_STATES)),
    )
    totals = {r.pop("collection_id"): {**r, "rendition_bytes": 0} for r in rows}
    # Renditions and tags of an asset in the Trash count no more than it does.
    live = Q(asset__trashed_at__isnull=True)
    for row in (
        Rendition.objects.filter(live)
        .values("asset__collection_id")
        .annotate(total=Sum("bytes"))
    ):
        totals[row["asset__collection_id"]]["rendition_bytes"] = row["total"] or 0
    tags = {
        (r["content_object__collection_id"], r["tag_id"]): r["n"]
        for r in TaggedAsset.objects.filter(content_object__trashed_at__isnull=True)
        .values("content_object__collection_id", "tag_id")
        .annotate(n=Count("pk"))
    }
    return totals, tags


def _answered(user):
    totals = {
        row["collection_id"]: {k: row[k] for k in selectors.TOTALS}
        for row in selectors.collection_totals(user)
    }
    return totals, dict(selectors.tag_counts(user, limit=1000))


def _check(world):
    """The selectors (and on PostgreSQL the kept rows) agree with the rows."""
    totals, tags = _live()
    answered, tag_counts = _answered(world["boss"])
    assert answered == totals
    names = dict(Tag.objects.values_list("pk", "name"))
    by_name = {}
    for (_, tag), n in tags.items():
        by_name[names[tag]] = by_name.get(names[tag], 0) + n
    assert tag_counts == by_name
    if POSTGRESQL:
        kept = {
            r.pop("collection_id"): r
            for r in CollectionTotals.objects.filter(assets__gt=0).values(
                "collection_id", *selectors.TOTALS
            )
        }
        assert kept == totals
        kept_tags = {
            (r.collection_id, r.tag_id): r.assets
            for r in TagTotals.objects.filter(assets__gt=0)
        }
        assert kept_tags == tags


def test_totals_follow_every_kind_of_write(world):
    """Build, fail, write alt text, tag, untag, move, trash, restore, erase:
    the sums follow."""
    _check(world)
    alpha, bravo = world["alpha"], world["assets"]["twin"].collection
    extra = add_asset(alpha, "extra", seed=40, tags=["shared", "new"])
    _check(world)
    services.renditions_generate(asset_id=extra.pk)
    _check(world)
    Rendition.objects.filter(asset=extra).update(status=RenditionStatus.FAILED)
    services.asset_state_refresh(asset_id=extra.pk)
    _check(world)
    services.asset_update(asset=extra, title="extra", alt_text="A cat", focal=None)
    _check(world)
    services.tags_remove(asset_ids=[extra.pk], names=["shared"])
    _check(world)
    services.assets_move(
        asset_ids=[extra.pk, world["assets"]["lone"].pk], collection=bravo
    )
    _check(world)
    Tag.objects.get(name="new").delete()
    _check(world)
    services.asset_delete(asset=Asset.objects.get(pk=extra.pk))
    _check(world)
    services.asset_restore(asset=Asset.all_objects.get(pk=extra.pk))
    _check(world)
    services.asset_delete(asset=Asset.objects.get(pk=extra.pk))
    services.trash_erase(asset_id=extra.pk)
    _check(world)
    assert not Asset.all_objects.filter(pk=extra.pk).exists()


def test_editor_totals_count_only_their_collections(world):
    """The Alpha editor's sums and tag counts leave Bravo out."""
    answered, tags = _answered(world["editor"])
    assert set(answered) == {world["alpha"].pk}
    assert answered[world["alpha"].pk]["assets"] == 3
    assert tags == {"shared": 1}
    boss_tags = _answered(world["boss"])[1]
    assert boss_tags["shared"] == 2 and boss_tags["bravo-secret"] == 2
