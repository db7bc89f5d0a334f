"""Usage: embed requests counted per asset, embedding site and day."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.support import race
from transcoder import services
from transcoder.models import UsageDay
from transcoder.services import usage

pytestmark = pytest.mark.django_db(transaction=True)


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
def asset(presets, jpeg):
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
