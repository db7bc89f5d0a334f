"""The suggested focal area on the asset page, in Chromium: shown dotted with
every cover preset's crop drawn around it, then accepted, moved or cleared."""

import io
import re

import pytest
from django.core.files.storage import storages
from PIL import Image, ImageDraw

from tests.fixtures_browser import serious_violations
from tests.images import encode
from transcoder import services
from transcoder.imaging.analysis import focal
from transcoder.models import Asset, Rendition, RenditionStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZE = (640, 480)
DISC = (500, 60, 620, 180)  # near the right edge: a centred square crop cuts it


def _asset():
    image = Image.new("RGB", SIZE, (128, 130, 129))
    ImageDraw.Draw(image).ellipse(DISC, fill=(210, 30, 40))
    return services.asset_create(
        content=encode(image, "JPEG", quality=92), filename="disc.jpg", title="Disc"
    )


def _boxes(page):
    return {
        el.get_attribute("data-preset"): tuple(
            float(v) for v in el.get_attribute("data-box").split(",")
        )
        for el in page.locator(".mh-crop").all()
    }


def _open(page, live_server, asset):
    page.goto(f"{live_server.url}/admin/transcoder/asset/{asset.pk}/change/")
    page.wait_for_function(
        "() => document.querySelector('[data-focal-picker] img').naturalWidth > 0"
    )


def _source(page):
    return page.locator("[data-focal-picker]").get_attribute("data-focal-source")


def _thumb(asset):
    return Rendition.objects.get(
        asset=asset,
        preset__slug="thumb",
        format="jpeg",
        superseded_at__isnull=True,
        status=RenditionStatus.READY,
    )


def _red_share(row):
    """Return the share of the built thumb's columns that show the red disc."""
    with storages["renditions"].open(row.name) as f:
        rgb = Image.open(io.BytesIO(f.read())).convert("RGB")
    columns = {
        x
        for x in range(rgb.width)
        for y in range(0, rgb.height, 2)
        if rgb.getpixel((x, y))[0] > 150 and rgb.getpixel((x, y))[1] < 90
    }
    return len(columns) / rgb.width


def test_the_suggestion_is_shown_with_the_crops_and_accepted(
    admin_page, live_server, presets
):
    from axe_playwright_python.sync_playwright import Axe

    asset = _asset()
    s = Asset.objects.get(pk=asset.pk).focal_suggestion
    _open(admin_page, live_server, asset)
    assert _source(admin_page) == "suggested"
    area = admin_page.locator(".mh-focal__area")
    assert area.is_visible()
    assert "mh-focal__area--suggested" in area.get_attribute("class")
    assert "Suggested focal area" in admin_page.inner_text("[data-focal-value]")
    # The thumb's box is the crop built around the suggestion, and keeps the disc.
    expected = focal.crop_box((100, 100), *SIZE, focal=(s["x"], s["y"]))
    drawn = _boxes(admin_page)["thumb"]
    assert drawn == pytest.approx(expected, abs=0.01)
    assert drawn[0] <= DISC[0] and drawn[2] >= DISC[2]
    assert _red_share(_thumb(asset)) >= 0.22
    assert serious_violations(Axe(), admin_page) == []

    names = set(Rendition.objects.values_list("name", flat=True))
    admin_page.click("[data-focal-accept]")
    assert _source(admin_page) == "editor"
    assert not admin_page.locator("[data-focal-accept]").is_visible()
    assert "mh-focal__area--suggested" not in area.get_attribute("class")
    assert _boxes(admin_page)["thumb"] == pytest.approx(drawn, abs=0.01)
    admin_page.click("input[name=_continue]")
    admin_page.wait_for_url(re.compile(r"/change/$"))
    asset.refresh_from_db()
    assert asset.focal_decided and asset.focal_source == "editor"
    assert asset.focal == pytest.approx((s["x"], s["y"]), abs=1e-4)
    assert (asset.focal_width, asset.focal_height) == pytest.approx(
        (s["width"], s["height"]), abs=1e-4
    )
    # Accepting keeps the crops: nothing new was built.
    assert set(Rendition.objects.values_list("name", flat=True)) == names
    # After the reload the area is the editor's, no longer offered.
    assert _source(admin_page) == "editor"
    assert not admin_page.locator("[data-focal-accept]").is_visible()


def test_moving_the_suggestion_makes_it_the_editors(admin_page, live_server, presets):
    asset = _asset()
    _open(admin_page, live_server, asset)
    admin_page.locator("[data-focal-picker]").focus()
    admin_page.locator("[data-focal-picker]").press("Shift+ArrowLeft")
    assert _source(admin_page) == "editor"
    s = Asset.objects.get(pk=asset.pk).focal_suggestion
    admin_page.click("input[name=_continue]")
    admin_page.wait_for_url(re.compile(r"/change/$"))
    asset.refresh_from_db()
    assert asset.focal_decided
    assert asset.focal_x == pytest.approx(s["x"] - 0.1, abs=1e-4)
    assert asset.focal_y == pytest.approx(s["y"], abs=1e-4)
    # The thumb was rebuilt around the moved point.
    assert _thumb(asset).digest in {
        spec.digest for spec in presets[0].specs(asset.focal)
    }


def test_clearing_the_suggestion_recentres_the_crops(admin_page, live_server, presets):
    asset = _asset()
    _open(admin_page, live_server, asset)
    admin_page.click("[data-focal-clear]")
    assert _source(admin_page) == ""
    assert not admin_page.locator(".mh-focal__area").is_visible()
    assert "No focal point" in admin_page.inner_text("[data-focal-value]")
    centred = focal.crop_box((100, 100), *SIZE)
    assert _boxes(admin_page)["thumb"] == pytest.approx(centred, abs=0.01)
    admin_page.click("input[name=_continue]")
    admin_page.wait_for_url(re.compile(r"/change/$"))
    asset.refresh_from_db()
    assert asset.focal_decided and asset.focal is None and asset.crop_focal is None
    thumb = _thumb(asset)
    assert thumb.digest in {spec.digest for spec in presets[0].specs()}
    assert _red_share(thumb) < 0.15  # the centred crop cuts the disc
    # After the reload nothing is suggested any more.
    assert _source(admin_page) == ""
    assert not admin_page.locator("[data-focal-accept]").is_visible()
