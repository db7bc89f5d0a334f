"""Defects from an editor's walk through the admin in Chromium (issue 20).

Each test failed before its fix. Screenshots of the fixed pages go to
``var/screenshots`` (see tests/fixtures_browser.py) at 1366 and 1920 px.
"""

import pytest

from tests.fixtures_browser import SCREENSHOTS
from tests.images import encode, quadrants
from transcoder import services
from transcoder.models import Preset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE = (1366, 1920)


def _asset(size=(640, 480), name="photo.jpg"):
    return services.asset_create(
        content=encode(quadrants(size), "JPEG"), filename=name, title=name
    )


def _shot(page, name):
    """Save the page at each wide viewport, for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDE:
        page.set_viewport_size({"width": width, "height": 1000})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)


def _rect(page, selector):
    return page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " return [r.left, r.top, r.right, r.bottom]; }"
    )


@pytest.mark.parametrize("viewport", [800, 1366, 1920])
def test_crop_overlay_covers_exactly_the_drawn_image(
    admin_page, live_server, presets, viewport
):
    """At any viewport and aspect ratio the crop layer is the image's box, and
    every crop box lies inside it."""
    services.preset_save(
        preset=Preset(
            slug="social",
            name="Social share (1200×630)",
            fit="cover",
            width=1200,
            height=630,
            formats=["jpeg"],
        )
    )
    # A large full-frame rendition is the preview, wider than the page allows.
    services.preset_save(
        preset=Preset(
            slug="large",
            name="Large",
            fit="contain",
            width=1600,
            height=1600,
            formats=["jpeg"],
        )
    )
    shapes = {"1x1": (1000, 1000), "3x4": (900, 1200), "16x9": (1920, 1080)}
    admin_page.set_viewport_size({"width": viewport, "height": 900})
    for label, size in shapes.items():
        asset = _asset(size=size, name=f"{label}.jpg")
        admin_page.goto(f"{live_server.url}/admin/transcoder/asset/{asset.pk}/change/")
        admin_page.wait_for_function(
            "() => document.querySelector('[data-focal-picker] img').complete"
        )
        image = _rect(admin_page, "[data-focal-picker] img")
        layer = _rect(admin_page, "[data-crops]")
        assert layer == pytest.approx(image, abs=1), (label, viewport)
        # The image keeps its shape: nothing is stretched.
        drawn = (image[2] - image[0]) / (image[3] - image[1])
        assert drawn == pytest.approx(size[0] / size[1], rel=0.01), label
        for box in admin_page.locator(".mh-crop").all():
            r = box.evaluate(
                "e => { const r = e.getBoundingClientRect();"
                " return [r.left, r.top, r.right, r.bottom]; }"
            )
            assert r[0] >= image[0] - 1 and r[1] >= image[1] - 1, (label, r)
            assert r[2] <= image[2] + 1 and r[3] <= image[3] + 1, (label, r)
        area = _rect(admin_page, "[data-focal-picker]")
        assert area == pytest.approx(image, abs=1), (label, viewport)
    # A name that carries its size gets no second one.
    legend = admin_page.locator(".mh-crop-legend li").all_inner_texts()
    assert sorted(legend) == ["Social share (1200×630)", "Thumb (100 × 100)"]
    if viewport == 1366:
        _shot(admin_page, "walk-crop-preview")


def test_collection_form_has_no_critical_axe_finding(admin_page, live_server):
    """Every control of the collection form's permission grid has a name, on
    the root's form (which has no parent to choose), a child's and a new one's."""
    from axe_playwright_python.sync_playwright import Axe

    from tests.fixtures_browser import serious_violations
    from transcoder.models import root_collection

    root = root_collection()
    child = services.collection_create(parent=root, name="Marketing")
    axe = Axe()
    found = {}
    for path in [f"{root.pk}/change/", f"{child.pk}/change/", "add/"]:
        admin_page.goto(f"{live_server.url}/admin/transcoder/collection/{path}")
        boxes = admin_page.locator(".mh-pgrid input[type=checkbox]")
        assert boxes.count() >= 4, path
        if bad := serious_violations(axe, admin_page):
            found[path] = bad
    assert found == {}
    _shot(admin_page, "walk-collection")


def test_admin_home_groups_the_machinery_under_system(admin_page, live_server):
    """The home's sections: the library first, one "System" section last."""
    admin_page.goto(f"{live_server.url}/admin/")
    captions = admin_page.locator("#content-main caption").all_inner_texts()
    assert captions[-1].strip().lower() == "system"
    assert not any("axes" in c.lower() or "taggit" in c.lower() for c in captions)
    _shot(admin_page, "walk-home")


def test_tag_chips_keep_spaces_and_end_on_enter_or_comma(
    admin_page, live_server, presets
):
    """ "still life" Enter and "beach," make two tags; the saved asset has them."""
    asset = _asset()
    services.tags_add(asset_ids=[asset.pk], names=["Rome, Italy"])
    admin_page.goto(f"{live_server.url}/admin/transcoder/asset/{asset.pk}/change/")
    assert _chips(admin_page) == ["Rome, Italy"]
    admin_page.click("label[for=id_tags]")
    admin_page.keyboard.type("still life")
    admin_page.keyboard.press("Enter")
    admin_page.keyboard.type("beach,")
    admin_page.keyboard.type("sea  view")  # not ended: still a tag on save
    assert admin_page.locator(".mh-chip").count() == 3
    _shot(admin_page, "walk-tags")
    admin_page.get_by_role("button", name="Remove tag Rome, Italy").click()
    admin_page.click("input[name=_continue]")
    admin_page.wait_for_url("**/change/")
    assert sorted(asset.tags.names()) == ["beach", "sea view", "still life"]
    assert _chips(admin_page) == ["beach", "sea view", "still life"]


def _chips(page):
    return page.locator(".mh-chip > span").all_inner_texts()


def test_bulk_delete_page_warns_of_embedded_images(admin_page, live_server, presets):
    """Selecting images sites embed and choosing Delete shows which ones."""
    used = _asset(name="used.jpg")
    _asset(size=(320, 240), name="unused.jpg")
    for _ in range(3):
        services.usage_record(asset_id=used.pk, origin="https://shop.example")
    admin_page.goto(f"{live_server.url}/admin/transcoder/asset/?view=table")
    admin_page.check("#action-toggle")
    admin_page.select_option("select[name=action]", "delete_in_background")
    admin_page.click("button[name=index]")
    warning = admin_page.locator(".mh-usage-warning")
    assert "1 selected image is in use." in warning.inner_text()
    assert warning.locator("a").all_inner_texts() == ["used.jpg"]
    assert "3 requests, from 1 site" in warning.inner_text()
    _shot(admin_page, "walk-bulk-delete")


def test_upload_names_a_look_alike(admin_page, live_server, presets, tmp_path):
    """A file that looks like an image in the library (other bytes) says
    "Looks like ..." with a link to it, once Ready."""
    original = _asset(name="harbour.jpg")
    again = tmp_path / "harbour-copy.png"
    again.write_bytes(encode(quadrants((640, 480)), "PNG"))
    admin_page.goto(f"{live_server.url}/admin/transcoder/asset/upload/")
    admin_page.set_input_files("#mh-files", [str(again)])
    admin_page.wait_for_selector(".mh-item.is-done", timeout=60_000)
    result = admin_page.locator(".mh-item .mh-result")
    assert "Looks like harbour.jpg." in result.inner_text()
    link = result.locator(".mh-lookalike a")
    assert link.get_attribute("href") == original.get_absolute_url()
    _shot(admin_page, "walk-upload-lookalike")


def test_describe_first_tabs_through_each_file_then_upload(
    admin_page, live_server, presets, tmp_path
):
    """With "describe first", Tab goes title, alt text per file, then Upload."""
    files = []
    for name, size in (("a.jpg", (64, 48)), ("b.jpg", (48, 64))):
        files.append(tmp_path / name)
        files[-1].write_bytes(encode(quadrants(size), "JPEG"))
    admin_page.goto(f"{live_server.url}/admin/transcoder/asset/upload/")
    admin_page.check("#mh-describe")
    admin_page.set_input_files("#mh-files", [str(f) for f in files])
    go = admin_page.locator("#mh-describe-go")
    assert go.inner_text() == "Upload 2 files"
    admin_page.focus("#mh-describe")
    order = []
    for _ in range(5):
        admin_page.keyboard.press("Tab")
        order.append(
            admin_page.evaluate(
                "document.activeElement.getAttribute('aria-label')"
                " || document.activeElement.id"
            )
        )
    assert order == [
        "Title of a.jpg",
        "Alt text of a.jpg",
        "Title of b.jpg",
        "Alt text of b.jpg",
        "mh-describe-go",
    ]
    admin_page.fill("[aria-label='Title of a.jpg']", "First")
    _shot(admin_page, "walk-upload-describe")
    go.click()
    admin_page.wait_for_function(
        "() => document.querySelectorAll('.mh-item.is-done').length === 2",
        timeout=60_000,
    )
    assert admin_page.inner_text("#mh-summary").startswith("2 uploaded.")


def test_one_held_file_says_upload_1_file(admin_page, live_server, tmp_path):
    """The button counts in words: "Upload 1 file", not "Upload 1 files"."""
    photo = tmp_path / "one.jpg"
    photo.write_bytes(encode(quadrants((64, 48)), "JPEG"))
    admin_page.goto(f"{live_server.url}/admin/transcoder/asset/upload/")
    admin_page.check("#mh-describe")
    admin_page.set_input_files("#mh-files", [str(photo)])
    assert admin_page.inner_text("#mh-describe-go") == "Upload 1 file"


def test_pages_have_a_favicon_and_plain_headings(admin_page, live_server, presets):
    """Every admin page names an icon that loads (no 404 for /favicon.ico), and
    lists are headed by what they list."""
    missing = []
    admin_page.on(
        "response", lambda r: missing.append(r.url) if r.status == 404 else None
    )
    cases = [
        ("/admin/transcoder/asset/", "Images"),
        ("/admin/transcoder/preset/", "Presets"),
        ("/admin/transcoder/collection/", "Collections"),
    ]
    for path, heading in cases:
        admin_page.goto(live_server.url + path)
        assert admin_page.inner_text("#content h1") == heading
        assert admin_page.title().startswith(f"{heading} | ")
    icon = admin_page.locator("link[rel=icon]").get_attribute("href")
    answer = admin_page.request.get(live_server.url + icon)
    assert answer.ok and answer.headers["content-type"].startswith("image/svg")
    assert missing == []
    _shot(admin_page, "walk-list")
