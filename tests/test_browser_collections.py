"""A collection-restricted editor in Chromium: their home, list and uploads only."""

import re

import pytest
from django.contrib.auth.models import Group, User

from tests.fixtures_browser import SCREENSHOTS, serious_violations
from tests.images import encode, quadrants
from tests.support import grant
from transcoder import permissions, services
from transcoder.models import Asset, Collection, root_collection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def editor_page(page, live_server, presets):
    """Chromium logged in as an editor of Marketing (and so of Events)."""
    root = root_collection()
    marketing = services.collection_create(parent=root, name="Marketing")
    services.collection_create(parent=marketing, name="Events")
    sales = services.collection_create(parent=root, name="Sales")
    group = Group.objects.create(name="Marketing editors")
    grant(group, marketing, "view", "add", "change", "delete")
    user = User.objects.create_user("mkt", password="password", is_staff=True)
    user.groups.add(group)
    for name, collection in [("Campaign", marketing), ("Forecast", sales)]:
        services.asset_create(
            content=encode(quadrants((640, 480)), "JPEG"),
            filename=f"{name.lower()}.jpg",
            title=name,
            collection=collection,
            allow_duplicate=True,  # the same picture, once per collection
        )
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "mkt")
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page


def test_restricted_editor_sees_uploads_and_is_refused_elsewhere(
    editor_page, live_server, tmp_path
):
    """Home and list show Marketing only; uploads land in the chosen collection;
    Sales' asset page, original and status answer nothing."""
    page = editor_page
    home = page.inner_text(".mh-home")
    assert "Campaign" in home and "Forecast" not in home
    assert "Sales" not in home
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "media-home.png"))

    page.goto(f"{live_server.url}/admin/transcoder/asset/")
    listing = page.inner_text("#result_list")
    assert "Campaign" in listing and "Forecast" not in listing

    page.goto(f"{live_server.url}/admin/transcoder/asset/upload/")
    options = page.locator("#mh-collection option").all_inner_texts()
    assert [o.strip("— ") for o in options] == ["Marketing", "Events"]
    events = Collection.objects.get(name="Events")
    page.select_option("#mh-collection", value=str(events.pk))
    photo = tmp_path / "launch.jpg"
    photo.write_bytes(encode(quadrants((800, 600)), "JPEG"))
    with page.expect_response(re.compile(r"/upload/file/$")) as upload:
        page.set_input_files("#mh-files", [str(photo)])
    assert upload.value.status == 201
    page.wait_for_selector(".mh-item .mh-result a")
    page.screenshot(path=str(SCREENSHOTS / "upload-collection.png"))
    assert Asset.objects.get(original_filename="launch.jpg").collection.name == (
        "Events"
    )

    forecast = Asset.objects.get(title="Forecast")
    for url in [
        f"/admin/transcoder/asset/{forecast.pk}/change/",
        f"/admin/transcoder/asset/{forecast.pk}/original/",
        f"/admin/transcoder/asset/{forecast.pk}/gallery/",
    ]:
        response = page.request.get(f"{live_server.url}{url}", max_redirects=0)
        # The change page redirects to the index ("doesn't exist"); the rest 404.
        assert response.status in (302, 404), url
        assert b"Forecast" not in response.body(), url
    status = page.request.get(
        f"{live_server.url}/admin/transcoder/asset/status/?ids={forecast.pk}"
    )
    assert status.json()["assets"] == {}


def _log_in(page, live_server, username):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def test_permission_grid_by_keyboard_gives_a_group_a_collection(
    admin_page, browser, live_server, presets
):
    """A superuser gives a group view, then change, on Marketing from the
    keyboard; Events shows them inherited; axe finds nothing serious at 1366
    and 1920 pixels; the group's editor then sees Marketing's asset."""
    from axe_playwright_python.sync_playwright import Axe

    root = root_collection()
    marketing = services.collection_create(parent=root, name="Marketing")
    events = services.collection_create(parent=marketing, name="Events")
    group = Group.objects.create(name="Marketing editors")
    Group.objects.create(name="Sales viewers")
    user = User.objects.create_user("mkt", password="password", is_staff=True)
    user.groups.add(group)
    services.asset_create(
        content=encode(quadrants((640, 480)), "JPEG"),
        filename="campaign.jpg",
        title="Campaign",
        collection=marketing,
    )
    page = admin_page
    page.goto(f"{live_server.url}/admin/transcoder/collection/{marketing.pk}/change/")
    page.get_by_label("Add a group").focus()
    page.keyboard.press("ArrowDown")  # the first group, by name
    assert page.get_by_label("Add a group").input_value() == str(group.pk)
    page.get_by_label("New group: view").focus()
    page.keyboard.press("Space")
    assert page.get_by_label("New group: view").is_checked()
    page.locator("input[name=_continue]").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".messagelist .success")
    view = page.get_by_label("Marketing editors: view")
    assert view.is_checked() and not view.is_disabled()
    # Tab moves along the row: from view to change.
    view.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == (f"id_perm-{group.pk}-change")
    page.keyboard.press("Space")
    page.locator("input[name=_continue]").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".messagelist .success")
    held = {
        a
        for a in ("add", "view", "change", "delete")
        if permissions.may_in(user, a, marketing)
    }
    assert held == {"view", "change"}

    axe = Axe()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    found = {}
    for name, collection in [("marketing", marketing), ("events", events)]:
        page.goto(
            f"{live_server.url}/admin/transcoder/collection/{collection.pk}/change/"
        )
        if collection == events:
            inherited = page.get_by_label("Marketing editors: change")
            assert inherited.is_checked() and inherited.is_disabled()
            assert "from Marketing" in page.inner_text(".mh-pgrid")
        for width in (1366, 1920):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(
                path=str(SCREENSHOTS / f"permission-grid-{name}-{width}.png"),
                full_page=True,
            )
            bad = serious_violations(axe, page)
            if bad:
                found[(name, width)] = bad
    assert found == {}

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        editor = context.new_page()
        _log_in(editor, live_server, "mkt")
        editor.goto(f"{live_server.url}/admin/transcoder/asset/")
        assert "Campaign" in editor.inner_text("#result_list")
    finally:
        context.close()
