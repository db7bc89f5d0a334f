"""The asset library in Chromium: the grid, its toggle and a bulk "Add tags"."""

import re

import pytest

from tests.fixtures_browser import SCREENSHOTS, serious_violations
from tests.images import encode, quadrants
from transcoder import services
from transcoder.models import Asset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIST = "/admin/transcoder/asset/"


def _assets(n):
    return [
        services.asset_create(
            content=encode(quadrants((640 + 40 * i, 480)), "JPEG"),
            filename=f"harbour-{i}.jpg",
            title=f"Harbour {i}",
            alt_text=f"Boats in the harbour, view {i}" if i % 2 else "",
        )
        for i in range(n)
    ]


def _shoot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=str(SCREENSHOTS / name))


def test_grid_toggle_select_two_cards_and_add_tags(admin_page, live_server, presets):
    """The grid is the default; the table toggle keeps the search; two cards
    selected by keyboard get tags through "Add tags…", shown on their cards."""
    _assets(4)
    admin_page.goto(f"{live_server.url}{LIST}")
    admin_page.wait_for_selector(".mh-results--grid img.mh-thumb")
    assert admin_page.locator(".mh-results--grid #result_list tbody tr").count() == 4
    assert admin_page.locator("img.mh-thumb").first.get_attribute("loading") == "lazy"
    _shoot(admin_page, "grid.png")

    # The toggle keeps the search and is remembered.
    admin_page.goto(f"{live_server.url}{LIST}?q=Harbour")
    admin_page.click(".mh-view-toggle >> text=Table")
    admin_page.wait_for_selector(".mh-results--table")
    assert "q=Harbour" in admin_page.url and "view=" not in admin_page.url
    admin_page.goto(f"{live_server.url}{LIST}")
    assert admin_page.locator(".mh-results--table").count() == 1
    admin_page.click(".mh-view-toggle >> text=Grid")
    admin_page.wait_for_selector(".mh-results--grid")

    # Select two cards from the keyboard, then run the bulk action.
    boxes = admin_page.locator("#result_list input.action-select")
    for i in (0, 1):
        boxes.nth(i).focus()
        admin_page.keyboard.press("Space")
    assert admin_page.locator("span.action-counter").inner_text().startswith("2 of 4")
    chosen = sorted(boxes.nth(i).get_attribute("value") for i in (0, 1))
    admin_page.select_option("select[name=action]", "add_tags")
    admin_page.click("button[name=index]")
    admin_page.wait_for_selector("#id_tags")
    assert "2 images selected" in admin_page.inner_text("#content-main")
    admin_page.fill("#id_tags", 'beach, "sea view"')
    admin_page.click("input[name=apply]")
    admin_page.wait_for_url(re.compile(re.escape(LIST) + "$"))
    admin_page.wait_for_selector(".mh-job.is-done", timeout=20_000)
    for pk in chosen:
        card = admin_page.locator(f"tr:has(input.action-select[value='{pk}'])")
        assert card.locator(".mh-tag").all_inner_texts() == ["beach", "sea view"]
        assert sorted(Asset.objects.get(pk=pk).tags.names()) == ["beach", "sea view"]
    assert Asset.objects.filter(tags__name="beach").count() == 2


def test_grid_and_library_pages_pass_axe_and_are_photographed(
    admin_page, live_server, presets
):
    """axe-core finds nothing serious on the grid, the tag form and the asset
    page; the screenshots for the README and the guides are taken on the way."""
    from axe_playwright_python.sync_playwright import Axe

    asset, other = _assets(2)
    services.tags_add(asset_ids=[asset.pk], names=["harbour", "boats"])
    axe = Axe()
    found = {}
    pages = [
        (f"{LIST}", None),
        (f"{LIST}?alt=missing", None),
        (f"{LIST}{asset.pk}/change/", "asset.png"),
        (f"{LIST}upload/", "upload.png"),
    ]
    for path, shot in pages:
        admin_page.goto(live_server.url + path)
        admin_page.wait_for_load_state("networkidle")
        if shot:
            _shoot(admin_page, shot)
        bad = serious_violations(axe, admin_page)
        if bad:
            found[path] = bad
    assert found == {}


def test_tag_field_suggests_existing_tags_as_you_type(admin_page, live_server, presets):
    """Typing the start of a tag on the asset page offers the existing ones."""
    asset, other = _assets(2)
    services.tags_add(asset_ids=[other.pk], names=["beach", "boats", "sunset"])
    admin_page.goto(f"{live_server.url}{LIST}{asset.pk}/change/")
    # The field is a row of chips (tags.js): the comma ends "sea view".
    admin_page.type("#id_tags", "sea view, b")
    assert admin_page.locator(".mh-chip > span").all_inner_texts() == ["sea view"]
    options = admin_page.locator("#id_tags_suggestions option")
    options.first.wait_for(state="attached")
    values = options.evaluate_all("(els) => els.map((e) => e.value)")
    assert values == ["beach", "boats"]
    admin_page.fill("#id_tags", "beach")
    admin_page.click("input[name=_save]")
    admin_page.wait_for_url(re.compile(re.escape(LIST) + "$"))
    assert sorted(Asset.objects.get(pk=asset.pk).tags.names()) == ["beach", "sea view"]


def test_grid_shows_a_queued_rebuild_until_it_reaches_each_card(
    admin_page, live_server, presets, settings
):
    """Regenerate over two cards marks just those two "rebuild queued" while
    the job waits, and each loses the mark once the job has built it.
    """
    assets = sorted(_assets(3), key=lambda a: str(a.pk))
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    job = services.rebuild_start(
        label="Regenerate", asset_ids=[a.pk for a in assets[1:]], force=True
    )
    admin_page.goto(f"{live_server.url}{LIST}?view=table")
    marked = admin_page.locator(".mh-status--rebuilding")
    marked.first.wait_for()
    assert marked.count() == 2
    for asset in assets:
        row = admin_page.locator(f"tr:has(input.action-select[value='{asset.pk}'])")
        wanted = 0 if asset is assets[0] else 1
        assert row.locator(".mh-status--rebuilding").count() == wanted
    _shoot(admin_page, "grid-rebuild-queued.png")
    services.job_step(job_id=job.pk, cursor="", build=lambda *a: None)
    admin_page.wait_for_function(
        "() => !document.querySelector('.mh-status--rebuilding')", timeout=15_000
    )
