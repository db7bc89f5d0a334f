"""Every request the scale benchmark times takes as many queries at 40 assets as at 5.

The ``world`` library (Alpha and Bravo, an editor limited to Alpha, a
superuser) grows by 35 assets of every kind the lists filter by: tagged,
failed, look-alikes, without alt text, in both collections. Each request the
benchmark times is asked before and after, as each persona; the query
counts must match. The list is bench/scale_requests.py, the one the benchmark
times; the timings are the benchmark's, not the suite's.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.scale_requests import LIST, scale_requests
from tests.fixtures_library import add_asset
from tests.support import logged_in
from transcoder import services
from transcoder.models import ApiToken, Asset, Rendition, RenditionStatus
from transcoder.web.pagination import cursor_for

pytestmark = pytest.mark.django_db


def _requests(world):
    """Return ``(label, kind, path)`` for the benchmark's requests in ``world``."""
    built = world["assets"]["lone"]  # It has a ready Card rendition.
    pair = world["assets"]["pair1"]
    second = Asset.objects.order_by("-created_at", "-id")[1]
    return scale_requests(
        asset=built,
        lookalike=pair,
        collection_id=world["alpha"].pk,
        tag="shared",
        tag_search="alpha shared",
        word="alpha",
        file_name="alpha pair one.jpg",
        cursor=cursor_for(second),
        status_ids=[str(pair.pk)],
        embed=(built.pk, "card"),
    )


def _clients(user):
    grid, table = logged_in(user), logged_in(user)
    grid.get(f"{LIST}?view=grid")
    table.get(f"{LIST}?view=table")
    key = services.api_token_issue(token=ApiToken(name="bench", created_by=user))
    api = Client(headers={"Authorization": f"Bearer {key}"})
    return {"grid": grid, "table": table, "api": api}


def _counts(clients, requests):
    counts = {}
    for label, kind, path in requests:
        clients[kind].get(path)  # Sessions and content types settle.
        # The fewest of two: an API token's first request in a new minute
        # also clears its older rate-limit rows (one query more, any size).
        seen = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                response = clients[kind].get(path)
            assert response.status_code in (200, 302), (label, response.status_code)
            seen.append(len(queries))
        counts[label] = min(seen)
    return counts


def _grow(world):
    """Add 35 assets: tagged, look-alikes, failed, no alt text, in both collections."""
    bravo = world["assets"]["twin"].collection
    for i in range(35):
        where = world["alpha"] if i % 2 else bravo
        # Seed 2 is the Alpha pair's picture: every seventh is a look-alike.
        seed = 2 if i % 7 == 0 else 100 + i
        asset = add_asset(where, f"more {i}", seed=seed, tags=["shared", f"t{i}"])
        if i % 5 == 0:
            _fail(asset)


def _fail(asset):
    services.renditions_generate(asset_id=asset.pk)
    Rendition.objects.filter(asset=asset).update(status=RenditionStatus.FAILED)
    services.asset_state_refresh(asset_id=asset.pk)


@pytest.mark.parametrize("persona", ["editor", "boss"])
def test_every_benchmarked_request_takes_the_same_queries_at_any_size(world, persona):
    """5 assets or 40: each request, as each persona, asks as many queries."""
    _fail(world["assets"]["pair2"])  # Every list starts with a row or more.
    clients = _clients(world[persona])
    requests = _requests(world)
    before = _counts(clients, requests)
    _grow(world)
    after = _counts(clients, requests)
    grew = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    assert not grew, f"query counts that grew with the library: {grew}"


@pytest.mark.parametrize(
    ("persona", "limit", "shown"),
    [
        ("editor", 10, "3 assets"),
        ("boss", 10, "5 assets"),
        ("editor", 2, "2+ assets"),
        ("boss", 2, None),  # "about 5" on PostgreSQL (an estimate), else "2+".
    ],
)
def test_list_count_is_bounded_and_within_reach(world, settings, persona, limit, shown):
    """The list counts up to MEDIAHUB_LIST_COUNT_LIMIT, and only what the
    reader may view: the editor's count never comes from the table's estimate."""
    settings.MEDIAHUB_LIST_COUNT_LIMIT = limit
    body = logged_in(world[persona]).get(LIST).content.decode()
    if shown is None:
        shown = "2+ assets"
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE transcoder_asset")
            body = logged_in(world[persona]).get(LIST).content.decode()
            shown = "about 5 assets"
    assert shown in " ".join(body.split())
    searched = logged_in(world[persona]).get(f"{LIST}?q=alpha").content.decode()
    expected = "2+ results" if limit == 2 else "3 results"
    assert expected in " ".join(searched.split())
    api = _clients(world[persona])["api"]
    page = api.get(reverse("transcoder:api-asset-list") + "?q=alpha").json()
    assert (page["count"], page["count_exact"]) == (
        (2, False) if limit == 2 else (3, True)
    )
