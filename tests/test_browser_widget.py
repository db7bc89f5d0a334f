"""The upload widget in Chromium, on a site of another origin.

The site is a plain page served from 127.0.0.1 (the ``site`` fixture of
test_browser_embed); mediahub is live_server on localhost, so every call the
widget makes is cross-origin. Real photos go through widget.js with progress,
wait for review, are approved by an editor in the admin, and the site's
polling shows it; a revoked key then refuses the next upload. Once on the
embedded default (one-time PUT) and once against moto's S3 (presigned POST).
"""

import pytest

from tests import test_browser_embed
from tests.conftest import ORIENTATION_PHOTOS
from transcoder.models import (
    Asset,
    UploadWidgetKey,
    WidgetUpload,
    WidgetUploadState,
    root_collection,
)
from transcoder.services import collection_create
from transcoder.services.access import widget as service

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
site = test_browser_embed.site  # the site on another origin, as there

# Every status line the widget showed, in order, for each file.
RECORD = """
window.seen = [];
new MutationObserver(() => {
  document.querySelectorAll('.mediahub-upload-status').forEach((el, i) => {
    (window.seen[i] = window.seen[i] || []);
    const last = window.seen[i][window.seen[i].length - 1];
    if (last !== el.textContent) window.seen[i].push(el.textContent);
  });
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def _site_page(browser, site, live_server, widget_key):
    site.handler.html = f"""<!doctype html><html lang="en"><head>
<meta charset="utf-8"><title>Send us your photos</title></head><body>
<h1>Send us your photos</h1>
<script src="{live_server.url}/static/transcoder/widget.js"
  data-key="{widget_key.key}" data-endpoint="{live_server.url}"
  data-poll-interval="300"></script>
</body></html>""".encode()
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.add_init_script(RECORD)
    page.goto(f"{site.url}/")
    return page


def _statuses(page):
    return page.locator(".mediahub-upload-item")


def _axe_findings(page):
    from axe_playwright_python.sync_playwright import Axe

    from tests.fixtures_browser import serious_violations

    return serious_violations(Axe(), page)


def _approve_all(admin_page, live_server, count):
    admin_page.goto(f"{live_server.url}/admin/transcoder/widgetupload/")
    boxes = admin_page.locator("#moderation-queue input[name=selected]")
    assert boxes.count() == count
    assert _axe_findings(admin_page) == []
    for i in range(count):
        boxes.nth(i).check()
    # Each preview is the held image itself, shown to the moderator.
    assert admin_page.evaluate(
        "[...document.querySelectorAll('#moderation-queue img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    admin_page.get_by_role("button", name="Approve selected").click()
    admin_page.wait_for_selector("text=Approved")


def _revoke_in_admin(admin_page, live_server, widget_key):
    admin_page.goto(f"{live_server.url}/admin/transcoder/uploadwidgetkey/")
    admin_page.check(f"input[name=_selected_action][value='{widget_key.pk}']")
    admin_page.select_option("select[name=action]", "revoke")
    admin_page.click("button[name=index]")
    admin_page.wait_for_selector("text=Revoked")


def _journey(browser, site, live_server, admin_page, admin_user):
    collection = collection_create(parent=root_collection(), name="From the site")
    widget_key = service.widget_key_issue(
        widget_key=UploadWidgetKey(
            name="Site",
            allowed_origins=site.url,
            collection=collection,
            formats="jpeg",
            max_bytes=20 * 1024 * 1024,
        ),
        created_by=admin_user,
    )
    page = _site_page(browser, site, live_server, widget_key)
    # The file input is labelled, and the list announces changes.
    photos = [ORIENTATION_PHOTOS[1], ORIENTATION_PHOTOS[3]]
    page.get_by_role("button", name="Choose photos").set_input_files(
        [str(p) for p in photos]
    )
    page.wait_for_function(
        "document.querySelectorAll('[data-status=pending]').length === 2"
    )
    assert page.locator("ul[aria-live=polite]").count() == 1
    seen = page.evaluate("window.seen")
    for lines in seen:
        assert any(line.startswith("Uploading") and "%" in line for line in lines)
        assert lines[-1] == "Received, awaiting review"
    assert page.evaluate(
        "[...document.querySelectorAll('progress')].map(p => p.value)"
    ) == [100, 100]
    assert Asset.objects.count() == 0
    assert WidgetUpload.objects.filter(state=WidgetUploadState.PENDING).count() == 2
    assert _axe_findings(page) == []

    _approve_all(admin_page, live_server, 2)
    page.wait_for_function(
        "document.querySelectorAll('[data-status=approved]').length === 2"
    )
    assert sorted(_statuses(page).all_inner_texts())[0].endswith("Approved")
    assets = Asset.objects.order_by("original_filename")
    assert [a.original_filename for a in assets] == sorted(p.name for p in photos)
    assert {a.collection_id for a in assets} == {collection.pk}

    _revoke_in_admin(admin_page, live_server, widget_key)
    page.get_by_role("button", name="Choose photos").set_input_files(
        str(ORIENTATION_PHOTOS[5])
    )
    page.wait_for_selector("[data-status=failed]")
    refused = page.locator("[data-status=failed] .mediahub-upload-status")
    assert "unknown or revoked" in refused.inner_text()
    assert WidgetUpload.objects.count() == 2
    return widget_key


def test_site_uploads_through_the_widget_on_the_embedded_default(
    live_server, presets, admin_user, site, admin_page, browser
):
    _journey(browser, site, live_server, admin_page, admin_user)


@pytest.mark.s3
def test_site_uploads_through_the_widget_straight_to_s3(
    s3, live_server, presets, admin_user, site, admin_page, browser
):
    s3.client.put_bucket_cors(
        Bucket=s3.bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": [site.url],
                    "AllowedMethods": ["POST"],
                    "AllowedHeaders": ["*"],
                    "MaxAgeSeconds": 3000,
                }
            ]
        },
    )
    _journey(browser, site, live_server, admin_page, admin_user)
    assert s3.keys("widget/") == []
    assert s3.keys("uploads/") == []
