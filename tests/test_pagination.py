"""transcoder.web.pagination: pages by ids first, in the list's own order."""

import pytest
from django.core.paginator import Paginator

from transcoder.models import Preset
from transcoder.web.pagination import IdsFirstPaginator

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
