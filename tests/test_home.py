"""The media home on the admin index: limited to what the user may see, bounded."""

from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from transcoder.models import Rendition, RenditionStatus


def _index(user):
    client = Client()
    client.force_login(user)
    return client.get(reverse("admin:index")).content.decode()


def _failed_in_sales(library):
    """Give the Sales asset renditions, then mark them failed.

    The home reads the state services.rendering.states keeps (as the list filter its
    link opens does), so it is worked out again after the raw update.
    """
    from transcoder import services

    sales = library["assets"]["sales"]
    services.renditions_generate(asset_id=sales.pk)
    assert Rendition.objects.filter(asset=sales).update(
        status=RenditionStatus.FAILED, error="boom"
    )
    services.asset_state_refresh(asset_id=sales.pk)


def test_home_shows_only_the_editors_collections(library):
    """Recent uploads, counts and storage rows cover Marketing and Events only."""
    _failed_in_sales(library)
    html = _index(library["editor"])
    assert "Upload images" in html
    assert "marketing photo" in html and "events photo" in html
    assert "sales photo" not in html and "root photo" not in html
    # Every asset lacks alt text; the editor sees two of the four.
    assert "<strong>2</strong> images without alt text" in html
    assert "<strong>0</strong> images with failed renditions" in html
    assert "?alt=missing" in html
    assert ">Marketing</a>" in html and ">Sales</a>" not in html
    # Django's app list stays below.
    assert html.index("mh-home") < html.index("app-transcoder")


def test_home_for_a_superuser_counts_everything(library):
    """A superuser's home counts every collection, failures included."""
    _failed_in_sales(library)
    html = _index(User.objects.create_superuser("boss", password="pw"))
    assert "<strong>4</strong> images without alt text" in html
    assert "<strong>1</strong> image with failed renditions" in html
    assert ">Sales</a>" in html


def test_home_hidden_without_asset_permissions(db):
    """Staff who may not see assets get Django's index without the media panels."""
    user = User.objects.create_user("staff", password="pw", is_staff=True)
    assert 'class="mh-home"' not in _index(user)


def test_home_queries_do_not_grow_with_the_library(library, jpeg):
    """The home takes as many queries with 31 more assets as without them."""
    from transcoder import services

    client = Client()
    client.force_login(library["editor"])
    counts = []
    for extra in (0, 31):
        for i in range(extra):
            services.asset_create(
                content=jpeg,
                filename=f"x{i}.jpg",
                title=f"extra {i}",
                collection=library["events" if i % 2 else "marketing"],
                allow_duplicate=True,
            )
        with CaptureQueriesContext(connection) as queries:
            html = client.get(reverse("admin:index")).content.decode()
        counts.append(len(queries))
    # The second page shows the new assets, so it was not served from a cache.
    assert "extra 30" in html
    assert counts[0] == counts[1]
