"""Usage: embed requests counted per asset, embedding site and day."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from tests.support import race
from transcoder import services
from transcoder.conf import setting
from transcoder.models import UsageDay
from transcoder.services.access import usage

# Plain django_db; the race takes transaction=True, for its threads count
# over their own connections.
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("origin", "referer", "expected"),
    [
        ("https://Example.com", None, "https://example.com"),
        (
            None,
            "https://blog.example.com/2026/post?id=3#top",
            "https://blog.example.com",
        ),
        ("null", "http://news.example:8080/a", "http://news.example:8080"),
        (None, "https://user:secret@example.com/x", "https://example.com"),
        (None, "https://example.com:443/x", "https://example.com"),
        (None, "ftp://example.com/x", ""),
        (None, "not a url", ""),
        (None, None, ""),
        ("https://a.example", "https://b.example/", "https://a.example"),
    ],
)
def test_origin_keeps_only_scheme_and_host(origin, referer, expected):
    """Only scheme, host and a non-default port are kept: no path, user or query."""
    assert usage.usage_origin(origin=origin, referer=referer) == expected


@pytest.fixture
def asset(commit, presets, jpeg):
    with commit():
        return services.asset_create(content=jpeg, filename="a.jpg", title="Harbour")


def test_embed_requests_are_counted_per_site_and_day(client, asset):
    """Each embed redirect adds one to its (asset, origin, day) row."""
    url = f"/e/{asset.pk}/thumb/"
    for _ in range(3):
        assert (
            client.get(url, headers={"Referer": "https://example.com/a"}).status_code
            == 302
        )
    client.get(url, headers={"Origin": "https://other.example"})
    client.get(url)
    rows = {
        (r.origin, r.count)
        for r in UsageDay.objects.filter(asset=asset, day=timezone.localdate())
    }
    assert rows == {("https://example.com", 3), ("https://other.example", 1), ("", 1)}


def test_a_missing_rendition_counts_nothing(client, asset):
    """A 404 embed request (unknown preset) is not usage."""
    assert client.get(f"/e/{asset.pk}/nope/").status_code == 404
    assert not UsageDay.objects.exists()


def test_summary_sums_the_last_30_days(asset):
    """The summary adds up days in the window, busiest site first, with commas."""
    today = timezone.localdate()
    for days_ago, count in ((0, 1000), (29, 204), (30, 999)):
        UsageDay.objects.create(
            asset=asset,
            origin="https://example.com",
            day=today - timedelta(days=days_ago),
            count=count,
        )
    UsageDay.objects.create(asset=asset, origin="https://b.example", day=today, count=5)
    assert usage.usage_summary(asset_ids=[asset.pk]) == [
        {"origin": "https://example.com", "requests": 1204, "requests_text": "1,204"},
        {"origin": "https://b.example", "requests": 5, "requests_text": "5"},
    ]


def test_asset_page_and_delete_confirmations_show_usage(admin_client, asset, presets):
    """The asset page says where it is embedded; both delete pages warn."""
    UsageDay.objects.create(
        asset=asset, origin="https://example.com", day=timezone.localdate(), count=1204
    )
    expected = "Embedded on https://example.com: 1,204 requests in the last 30 days"
    page = admin_client.get(f"/admin/transcoder/asset/{asset.pk}/change/")
    assert expected in page.content.decode()
    delete = admin_client.get(f"/admin/transcoder/asset/{asset.pk}/delete/")
    assert "This image is in use" in delete.content.decode()
    assert expected in delete.content.decode()
    preset = presets[0]
    delete = admin_client.get(f"/admin/transcoder/preset/{preset.pk}/delete/")
    assert "This preset's images are in use" in delete.content.decode()
    assert expected in delete.content.decode()


def test_no_warning_for_an_unused_asset(admin_client, asset):
    """An asset nobody embeds is deleted without a usage warning."""
    delete = admin_client.get(f"/admin/transcoder/asset/{asset.pk}/delete/")
    assert "This image is in use" not in delete.content.decode()


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_lose_no_count(asset):
    """Eight threads, each with its own connection, count 25 requests each: 200."""
    workers, each = 8, 25

    def count():
        client = Client()
        for _ in range(each):
            response = client.get(
                f"/e/{asset.pk}/thumb/", headers={"Origin": "https://a.example"}
            )
            assert response.status_code == 302

    errors = race(workers, count)
    assert errors == []
    row = UsageDay.objects.get(asset=asset)
    assert (row.origin, row.count) == ("https://a.example", workers * each)


# --- Made-up origins: a bounded number of rows per asset and day -------------


def _embed(client, asset, origin, key=None):
    url = f"/e/{asset.pk}/thumb/" + (f"?key={key}" if key else "")
    headers = {"Origin": origin} if origin else {}
    response = client.get(url, headers=headers)
    assert response.status_code == 302, response.content
    return response


def _rows(asset, day=None):
    """{origin: count} of one asset and day."""
    return dict(
        UsageDay.objects.filter(
            asset=asset, day=day or timezone.localdate()
        ).values_list("origin", "count")
    )


def test_made_up_origins_add_at_most_the_bound(client, asset):
    """100 invented sites add the bound in rows; recorded ones count on."""
    bound = setting("USAGE_MAX_ORIGINS")
    assert bound == 20
    for i in range(100):
        _embed(client, asset, f"https://spam{i}.example")
    rows = _rows(asset)
    assert set(rows) == {f"https://spam{i}.example" for i in range(bound)}
    assert set(rows.values()) == {1}
    _embed(client, asset, "https://spam3.example")
    _embed(client, asset, "https://spam50.example")
    _embed(client, asset, None)
    rows = _rows(asset)
    assert rows["https://spam3.example"] == 2
    assert "https://spam50.example" not in rows
    assert rows[""] == 1  # "no site named" is one row, always counted
    assert len(rows) == bound + 1


def test_the_bound_is_per_asset_and_day(asset, presets, jpeg, settings):
    """A full day of one asset leaves other assets and other days untouched."""
    settings.MEDIAHUB_USAGE_MAX_ORIGINS = 3
    other = services.asset_create(content=jpeg, filename="b.jpg", allow_duplicate=True)
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    for i in range(5):
        usage.usage_record(asset_id=asset.pk, origin=f"https://s{i}.example")
    usage.usage_record(asset_id=asset.pk, origin="https://late.example", day=yesterday)
    usage.usage_record(asset_id=other.pk, origin="https://late.example")
    assert len(_rows(asset)) == 3
    assert _rows(asset, yesterday) == {"https://late.example": 1}
    assert _rows(other) == {"https://late.example": 1}


def test_an_origin_bound_to_a_site_key_is_always_counted(client, asset, settings):
    """Past the bound, a keyed request from one of the key's origins still counts.

    A key that is bound to no origin proves nothing: its new origins wait
    like anyone's.
    """
    from transcoder.models import SiteKey
    from transcoder.services.access import sitekeys

    settings.MEDIAHUB_USAGE_MAX_ORIGINS = 2
    bound = sitekeys.site_key_issue(
        site_key=SiteKey(name="shop", allowed_origins="https://shop.example")
    )
    open_key = sitekeys.site_key_issue(site_key=SiteKey(name="any"))
    for i in range(5):
        _embed(client, asset, f"https://spam{i}.example")
    _embed(client, asset, "https://shop.example", key=bound.key)
    _embed(client, asset, "https://shop.example", key=bound.key)
    _embed(client, asset, "https://other.example", key=open_key.key)
    assert _rows(asset) == {
        "https://spam0.example": 1,
        "https://spam1.example": 1,
        "https://shop.example": 2,
    }


@pytest.mark.parametrize(
    ("origin", "proven"),
    [("https://a.example", False), ("https://a.example", True), ("", False)],
)
def test_counting_stays_one_statement(asset, origin, proven):
    """Bounded or not, a request is counted by one statement, nothing read first."""
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            usage.usage_record(asset_id=asset.pk, origin=origin, proven=proven)
        assert len(queries) == 1
        assert queries[0]["sql"].lstrip().upper().startswith("INSERT")
    assert _rows(asset) == {origin: 2}
