"""transcoder.web.pagination: pages by ids first, in the list's own order."""

import pytest
from django.core.paginator import Paginator
from django.db import connection

from transcoder.models import Preset
from transcoder.web.pagination import BoundedCountPaginator, IdsFirstPaginator

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_presets():
    for i in range(7):
        Preset.objects.create(
            slug=f"p{i}", name=f"P {i % 3}", width=10 + i, formats=["jpeg"]
        )
    return Preset.objects.order_by("name", "-slug")


@pytest.mark.parametrize(("per_page", "orphans"), [(2, 0), (3, 1), (50, 0)])
def test_every_page_matches_django_paginator(many_presets, per_page, orphans):
    """Each page holds the same rows in the same order as Django's Paginator."""
    ours = IdsFirstPaginator(many_presets, per_page, orphans=orphans)
    django = Paginator(many_presets, per_page, orphans=orphans)
    assert ours.num_pages == django.num_pages
    for number in django.page_range:
        expected = [p.pk for p in django.page(number).object_list]
        assert [p.pk for p in ours.page(number).object_list] == expected


def test_a_page_takes_two_queries_whatever_its_depth(
    many_presets, django_assert_num_queries
):
    """Ids, then rows: the count is asked once, then 2 queries per page."""
    paginator = IdsFirstPaginator(many_presets, 2)
    assert paginator.count
    for number in (1, paginator.num_pages):
        with django_assert_num_queries(2):
            list(paginator.page(number).object_list)


@pytest.mark.parametrize(
    ("limit", "count", "label"),
    [(10, 7, "7"), (7, 7, "7"), (6, 6, "6+"), (3, 3, "3+")],
)
def test_bounded_count_is_exact_up_to_the_limit_then_says_plus(
    many_presets, settings, limit, count, label
):
    """Up to MEDIAHUB_LIST_COUNT_LIMIT the count is exact; past it, "N+"."""
    settings.MEDIAHUB_LIST_COUNT_LIMIT = limit
    filtered = many_presets.filter(width__gte=0)  # A filter: no estimate.
    paginator = BoundedCountPaginator(filtered, 2)
    assert (paginator.count, paginator.count_label) == (count, label)
    # Every page up to the limit stays reachable, full.
    last = paginator.page(paginator.num_pages)
    assert len(last.object_list) == count - 2 * (paginator.num_pages - 1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_class estimate")
def test_bounded_count_estimates_the_whole_table_on_postgresql(many_presets, settings):
    """The unfiltered table past the limit: PostgreSQL's estimate, "about N"."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE transcoder_preset")
    total = Preset.objects.count()
    settings.MEDIAHUB_LIST_COUNT_LIMIT = 3
    paginator = BoundedCountPaginator(Preset.objects.order_by("name"), 2)
    assert paginator.count == total
    assert paginator.count_label == f"about {total}"
