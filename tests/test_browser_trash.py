"""The Trash in Chromium: delete an image, find it in the Trash, restore it."""

import pytest

from tests.fixtures_browser import SCREENSHOTS
from transcoder import services
from transcoder.models import Asset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1366, 1920)


def test_delete_then_restore_from_the_trash(presets, admin_page, live_server, jpeg):
    """Delete says "Trash"; the Trash lists the image with who, when and days
    left; Restore brings it back to the list and its embed link back to life."""
    asset = services.asset_create(content=jpeg, title="Lighthouse")
    services.asset_create(content=jpeg, title="Harbour", allow_duplicate=True)
    base = live_server.url
    admin_page.goto(f"{base}/admin/transcoder/asset/{asset.pk}/delete/")
    text = admin_page.locator("#content").inner_text()
    assert "goes to the Trash for 30 days" in text
    admin_page.get_by_role("button", name="Yes, move it to the Trash").click()
    admin_page.wait_for_url(f"{base}/admin/transcoder/asset/")
    message = admin_page.locator(".messagelist")
    assert "“Lighthouse” is in the Trash for 30 days" in message.inner_text()
    assert "Lighthouse" not in admin_page.locator("#result_list").inner_text()
    assert admin_page.request.get(f"{base}/e/{asset.pk}/card/").status == 410

    message.get_by_role("link", name="Open the Trash").click()
    admin_page.wait_for_url(f"{base}/admin/transcoder/trashedasset/")
    rows = admin_page.locator("#result_list tbody tr")
    assert rows.count() == 1
    row = rows.first.inner_text()
    assert "Lighthouse" in row and "admin" in row and "30 days" in row
    # The thumbnail is the asset's own rendition, served while it is trashed.
    assert rows.first.locator("img.mh-thumb").count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        admin_page.set_viewport_size({"width": width, "height": 800})
        admin_page.screenshot(path=str(SCREENSHOTS / f"trash-{width}.png"))

    rows.first.locator("input.action-select").check()
    admin_page.select_option("select[name=action]", "restore")
    admin_page.get_by_role("button", name="Run").click()
    admin_page.wait_for_url(f"{base}/admin/transcoder/trashedasset/")
    assert "Restored 1 image" in admin_page.locator(".messagelist").inner_text()
    assert Asset.objects.filter(pk=asset.pk).exists()
    assert admin_page.locator("#result_list").count() == 0
    assert (
        admin_page.request.get(f"{base}/e/{asset.pk}/card/", max_redirects=0).status
        == 302
    )
    admin_page.goto(f"{base}/admin/transcoder/asset/")
    assert "Lighthouse" in admin_page.locator("#result_list").inner_text()
