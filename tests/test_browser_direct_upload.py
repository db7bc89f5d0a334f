"""Direct upload in Chromium: the admin page posts straight to moto's S3 server."""

import pytest

from tests.conftest import ORIENTATION_PHOTOS
from transcoder.delivery import presign
from transcoder.models import Asset, RenditionStatus

pytestmark = [
    pytest.mark.browser,
    pytest.mark.s3,
    pytest.mark.django_db(transaction=True),
]

FINISHED = "document.querySelectorAll('.mh-item.is-done, .mh-item.is-error').length"


def _upload(page, live_server, files):
    page.goto(f"{live_server.url}/admin/transcoder/asset/upload/")
    assert page.locator("#mh-upload").get_attribute("data-mode") == "direct"
    page.set_input_files("#mh-files", [str(f) for f in files])
    page.wait_for_function(f"{FINISHED} === {len(files)}", timeout=60_000)
    return page.locator(".mh-item")


def test_two_photos_upload_straight_to_s3(s3, presets, admin_page, live_server):
    """Both photos reach the bucket, become assets, and leave no upload behind."""
    s3.client.put_bucket_cors(
        Bucket=s3.bucket,
        CORSConfiguration={"CORSRules": presign.upload_cors_rules([live_server.url])},
    )
    photos = [ORIENTATION_PHOTOS[1], ORIENTATION_PHOTOS[6]]
    rows = _upload(admin_page, live_server, photos)
    assert rows.count() == 2
    for i in range(2):
        assert "is-done" in rows.nth(i).get_attribute("class"), rows.nth(i).inner_text()
    assets = Asset.objects.order_by("original_filename")
    assert [a.original_filename for a in assets] == [p.name for p in photos]
    keys = s3.keys()
    assert s3.keys("uploads/") == []
    for asset in assets:
        assert asset.upload_key.startswith("uploads/")
        assert asset.original in keys and asset.original.startswith("originals/")
        assert (asset.width, asset.height) == (1800, 1200)
        ready = asset.renditions.filter(status=RenditionStatus.READY)
        assert ready.count() == 3
        for rendition in ready:
            assert rendition.name.startswith("renditions/") and rendition.name in keys
    # Each row links its own asset (and names the other as a look-alike: the
    # two photos differ only in their orientation tag).
    links = admin_page.locator(".mh-result > a")
    assert sorted(links.all_inner_texts()) == ["Landscape 1", "Landscape 6"]


def test_refused_file_shows_why_and_leaves_nothing(
    s3, presets, admin_page, live_server, tmp_path
):
    """An SVG reaches S3 but finalize refuses it; the row says why; nothing stays."""
    s3.client.put_bucket_cors(
        Bucket=s3.bucket,
        CORSConfiguration={"CORSRules": presign.upload_cors_rules([live_server.url])},
    )
    drawing = tmp_path / "drawing.svg"
    drawing.write_text('<svg xmlns="http://www.w3.org/2000/svg"></svg>')
    rows = _upload(admin_page, live_server, [drawing])
    assert "is-error" in rows.first.get_attribute("class")
    assert "SVG" in rows.first.locator(".mh-result").inner_text()
    assert s3.keys() == []
    assert Asset.objects.count() == 0


def test_without_bucket_cors_the_browser_cannot_post(
    s3, presets, admin_page, live_server
):
    """The bucket's CORS rules are what let the page post: without them it fails."""
    rows = _upload(admin_page, live_server, [ORIENTATION_PHOTOS[1]])
    assert "is-error" in rows.first.get_attribute("class")
    assert "storage service refused" in rows.first.locator(".mh-result").inner_text()
    assert s3.keys() == []
    assert Asset.objects.count() == 0
