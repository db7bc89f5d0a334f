"""Quick edit beside the grid, drop-to-upload and Regenerate, in Chromium."""

import base64
import re

import pytest
from django.contrib.auth.models import Group, User

from tests.fixtures_browser import SCREENSHOTS, serious_violations
from tests.images import encode, quadrants
from tests.support import grant
from transcoder import services
from transcoder.models import Asset, Job, root_collection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIST = "/admin/transcoder/asset/"


def _assets(n, collection=None):
    return [
        services.asset_create(
            content=encode(quadrants((640 + 40 * i, 480)), "JPEG"),
            filename=f"quay-{i}.jpg",
            title=f"Quay {i}",
            collection=collection,
        )
        for i in range(n)
    ]


def _shoot(page, name):
    """Photograph the page at the two widths editors use most."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1366, 768), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"))


def _focused_id(page):
    return page.evaluate("() => document.activeElement && document.activeElement.id")


def _tab_to(page, element_id):
    for _ in range(8):
        page.keyboard.press("Tab")
        if _focused_id(page) == element_id:
            return
    pytest.fail(f"Tab never reached #{element_id}")


def _shown(page):
    return page.locator("#mh-quick [data-quick-asset]").get_attribute(
        "data-quick-asset"
    )


def test_quick_edit_several_images_by_keyboard_only(admin_page, live_server, presets):
    """Enter opens a card's details; alt text typed and saved with Enter; J
    moves on; a refused tag keeps the typed text and says why; Escape leaves
    the field, then closes and returns focus to the card. axe finds nothing
    serious in the open panel."""
    from axe_playwright_python.sync_playwright import Axe

    _assets(3)
    page = admin_page
    page.goto(f"{live_server.url}{LIST}")
    page.wait_for_selector(".mh-results--grid img.mh-thumb")
    page.locator("#result_list tbody tr").first.locator("th a").focus()
    page.keyboard.press("Enter")
    panel = page.locator("#mh-quick")
    panel.locator("[data-quick-asset]").wait_for()
    assert _focused_id(page) == "mh-quick"
    order = page.locator("#result_list input.action-select").evaluate_all(
        "(els) => els.map((e) => e.value)"
    )
    saved = panel.locator("[data-quick-saved]")
    for i, pk in enumerate(order):
        assert _shown(page) == pk
        _tab_to(page, "mh-quick-alt_text")
        page.keyboard.type(f"Moored boats, view {i}")
        page.keyboard.press("Enter")
        page.wait_for_function(
            "() => document.querySelector('[data-quick-saved]').textContent === 'Saved'"
        )
        assert Asset.objects.get(pk=pk).alt_text == f"Moored boats, view {i}"
        if i == 0:
            _shoot(page, "quick-panel")
            page.set_viewport_size({"width": 1280, "height": 900})
            bad = serious_violations(Axe(), page)
            assert bad == []
        page.keyboard.press("Escape")
        assert _focused_id(page) == "mh-quick"
        if i < len(order) - 1:
            page.keyboard.press("j")
            page.wait_for_function(
                "(pk) => document.querySelector('#mh-quick [data-quick-asset]')"
                ".dataset.quickAsset === pk",
                arg=order[i + 1],
            )
            assert saved.inner_text() == ""

    # K goes back; a refused tag is shown inline and the typed text stays.
    page.keyboard.press("k")
    page.wait_for_function(
        "(pk) => document.querySelector('#mh-quick [data-quick-asset]')"
        ".dataset.quickAsset === pk",
        arg=order[-2],
    )
    _tab_to(page, "mh-quick-tags")
    too_long = "y" * 101
    page.keyboard.type(f"boats, {too_long}")
    page.keyboard.press("Enter")
    error = panel.locator("[data-error-for=tags]")
    error.wait_for(state="visible")
    assert "at most 100 characters" in error.inner_text()
    # Nothing typed is lost: both tags stay chips, in the field that is sent.
    assert page.input_value("#mh-quick-tags_value") == f"boats, {too_long}"
    assert list(Asset.objects.get(pk=order[-2]).tags.names()) == []
    # Backspace takes the long tag back into the box; cleared, Enter saves.
    page.keyboard.press("Backspace")
    assert page.input_value("#mh-quick-tags") == too_long
    page.fill("#mh-quick-tags", "")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('[data-quick-saved]').textContent === 'Saved'"
    )
    assert list(Asset.objects.get(pk=order[-2]).tags.names()) == ["boats"]
    card = page.locator(f"tr:has(input.action-select[value='{order[-2]}'])")
    assert card.locator(".mh-tag").all_inner_texts() == ["boats"]

    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    panel.wait_for(state="hidden")
    assert (
        page.evaluate(
            "() => document.activeElement.closest('tr')"
            ".querySelector('input.action-select').value"
        )
        == order[-2]
    )
    assert [Asset.objects.get(pk=pk).alt_text for pk in order] == [
        f"Moored boats, view {i}" for i in range(3)
    ]


DROP = """
async ([name, b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], name, { type: "image/jpeg" }));
  const zone = document.getElementById("changelist");
  for (const type of ["dragenter", "dragover", "drop"]) {
    const init = { bubbles: true, cancelable: true, dataTransfer: data };
    zone.dispatchEvent(new DragEvent(type, init));
  }
}
"""


def _jpeg_b64(size):
    return base64.b64encode(encode(quadrants(size), "JPEG")).decode()


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def test_files_dropped_on_the_grid_land_in_the_viewed_collection(
    admin_page, live_server, presets, browser
):
    """A drop on a list filtered to a collection uploads there, shows progress
    in the tray and the new card once ready; for a user who may only view
    that collection the drop is refused before any byte is sent."""
    harbour = services.collection_create(parent=root_collection(), name="Harbour")
    _assets(1, collection=harbour)
    page = admin_page
    page.goto(f"{live_server.url}{LIST}?collection={harbour.pk}")
    page.wait_for_selector(".mh-results--grid img.mh-thumb")
    page.evaluate(DROP, ["dropped-quay.jpg", _jpeg_b64((500, 380))])
    page.locator(".mh-tray .mh-tray__item.is-done").wait_for(timeout=20_000)
    asset = Asset.objects.get(original_filename="dropped-quay.jpg")
    assert asset.collection == harbour
    page.locator(f"#result_list input.action-select[value='{asset.pk}']").wait_for()
    assert page.locator("#result_list tbody tr").count() == 2
    _shoot(page, "grid-drop")

    viewers = Group.objects.create(name="Harbour viewers")
    grant(viewers, harbour, "view")
    viewer = User.objects.create_user("harbour-viewer", password="pw", is_staff=True)
    viewer.groups.add(viewers)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    other = context.new_page()
    try:
        _login(other, live_server, "harbour-viewer")
        other.goto(f"{live_server.url}{LIST}?collection={harbour.pk}")
        other.wait_for_selector(".mh-results--grid")
        sent = []
        other.on(
            "request",
            lambda r: sent.append(r.url) if r.method == "POST" else None,
        )
        other.evaluate(DROP, ["refused.jpg", _jpeg_b64((300, 200))])
        refusal = other.locator(".mh-tray .is-refusal")
        refusal.wait_for()
        assert "You may not add images to Harbour" in refusal.inner_text()
        assert sent == []
        assert not Asset.objects.filter(original_filename="refused.jpg").exists()
    finally:
        context.close()


def test_regenerate_and_move_from_the_asset_page(admin_page, live_server, presets):
    """Regenerate starts one job over this image and its message shows live
    progress to the end; the collection picker moves the image."""
    (asset,) = _assets(1)
    quay = services.collection_create(parent=root_collection(), name="Quay")
    page = admin_page
    page.goto(f"{live_server.url}{LIST}{asset.pk}/change/")
    page.click("button[form=mh-regenerate]")
    page.wait_for_url(re.compile(rf"{asset.pk}/change/$"))
    page.locator(".mh-job.is-done").wait_for(timeout=20_000)
    assert "Done: 1 image." in page.inner_text(".mh-job")
    _shoot(page, "asset-regenerate")
    assert Job.objects.get(asset_ids=[str(asset.pk)]).finished_at is not None
    page.select_option("#id_move_to", label=quay.label)
    page.click("input[name=_continue]")
    page.wait_for_url(re.compile(rf"{asset.pk}/change/$"))
    assert Asset.objects.get(pk=asset.pk).collection == quay
