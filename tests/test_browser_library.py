"""The library in Chromium: a duplicate upload, replace and restore, usage on delete."""

import pytest
from django.utils import timezone

from tests.conftest import ORIENTATION_PHOTOS
from tests.fixtures_browser import SCREENSHOTS
from tests.images import make_image
from transcoder import services
from transcoder.models import Asset, AssetVersion, UsageDay

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_duplicate_upload_says_so_and_upload_anyway_works(
    presets, admin_page, live_server
):
    """The same photo again: "Already in the library as ..." with a link; anyway."""
    photo = ORIENTATION_PHOTOS[1]
    first = services.asset_create(
        content=photo.read_bytes(), filename=photo.name, title="Harbour at dawn"
    )
    admin_page.goto(f"{live_server.url}/admin/transcoder/asset/upload/")
    admin_page.set_input_files("#mh-files", [str(photo)])
    result = admin_page.locator(".mh-item .mh-result")
    anyway = result.get_by_role("button", name="Upload anyway")
    anyway.wait_for()
    assert "Already in the library as Harbour at dawn" in result.inner_text()
    link = result.get_by_role("link", name="Harbour at dawn")
    assert link.get_attribute("href") == f"/admin/transcoder/asset/{first.pk}/change/"
    assert Asset.objects.count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    admin_page.screenshot(path=str(SCREENSHOTS / "upload-duplicate.png"))
    anyway.click()
    admin_page.locator(".mh-item.is-done").wait_for(timeout=60_000)
    assert Asset.objects.count() == 2
    assert "1 uploaded" in admin_page.locator("#mh-summary").inner_text()


def test_replace_then_restore_from_the_asset_page(
    presets, admin_page, live_server, tmp_path
):
    """Replace the file from the asset page, then restore the first in one click."""
    asset = services.asset_create(
        content=ORIENTATION_PHOTOS[1].read_bytes(),
        filename="harbour.jpg",
        title="Harbour",
        alt_text="Boats in a harbour",
    )
    UsageDay.objects.create(
        asset=asset,
        origin="https://example.com",
        day=timezone.localdate(),
        count=1204,
    )
    new = tmp_path / "harbour-new.png"
    new.write_bytes(make_image("PNG", size=(900, 600), color=(30, 110, 190)))
    change = f"{live_server.url}/admin/transcoder/asset/{asset.pk}/change/"
    admin_page.goto(change)
    admin_page.get_by_role("link", name="Replace file").click()
    admin_page.set_input_files("input[type=file]", [str(new)])
    admin_page.get_by_role("button", name="Replace the file").click()
    admin_page.wait_for_url(change)
    assert "The file was replaced" in admin_page.locator(".messagelist").inner_text()
    versions = admin_page.locator(".mh-versions")
    assert "harbour.jpg" in versions.inner_text()
    assert "Embedded on https://example.com: 1,204 requests in the last 30 days" in (
        admin_page.locator(".mh-usage").inner_text()
    )
    replaced = Asset.objects.get(pk=asset.pk)
    assert (replaced.format, replaced.title) == ("png", "Harbour")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    admin_page.screenshot(path=str(SCREENSHOTS / "asset-page.png"), full_page=True)

    versions.get_by_role("button", name="Restore").click()
    admin_page.wait_for_url(change)
    assert "current again" in admin_page.locator(".messagelist").inner_text()
    restored = Asset.objects.get(pk=asset.pk)
    assert (restored.format, restored.original_filename) == ("jpeg", "harbour.jpg")
    assert AssetVersion.objects.get(asset=asset).format == "png"
    assert "harbour-new.png" in admin_page.locator(".mh-versions").inner_text()


def test_delete_warns_with_the_usage(presets, admin_page, live_server, jpeg):
    """The delete confirmation says where the image is embedded, before deleting."""
    asset = services.asset_create(content=jpeg, title="Pier")
    UsageDay.objects.create(
        asset=asset, origin="https://news.example", day=timezone.localdate(), count=37
    )
    admin_page.goto(f"{live_server.url}/admin/transcoder/asset/{asset.pk}/delete/")
    warning = admin_page.get_by_role("alert")
    assert "This image is in use" in warning.inner_text()
    assert "Embedded on https://news.example: 37 requests" in warning.inner_text()
    admin_page.get_by_role("button", name="Yes, move it to the Trash").click()
    admin_page.wait_for_url(f"{live_server.url}/admin/transcoder/asset/")
    assert not Asset.objects.filter(pk=asset.pk).exists()
    assert Asset.trash.filter(pk=asset.pk).exists()
