"""An editor's admin in Chromium: live status with a real worker, quick saves,
crop boxes, the preset preview, copy-ready embeds and accessibility."""

import functools
import http.server
import io
import re
import threading

import pytest
from PIL import Image, ImageChops, ImageStat

from tests.fixtures_browser import serious_violations
from tests.images import encode, quadrants
from tests.seed import asset_rows
from transcoder import services
from transcoder.imaging import engine
from transcoder.imaging.specs import RenditionSpec
from transcoder.models import Asset, Job, Preset, Rendition, RenditionStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHANGE_URL = re.compile(r"/admin/transcoder/asset/([0-9a-f-]{36})/change/")


def _asset(size=(640, 480), name="photo.jpg", fmt="JPEG"):
    return services.asset_create(
        content=encode(quadrants(size), fmt), filename=name, title=name
    )


def test_upload_shows_processing_then_ready_with_the_worker(
    admin_page, live_server, db_worker, presets, tmp_path
):
    """The row says Processing while a real worker (as `make run` starts it) builds,
    then Ready; the request itself builds nothing."""
    photo = tmp_path / "big.jpg"
    photo.write_bytes(encode(quadrants((2400, 1600)), "JPEG"))
    admin_page.goto(f"{live_server.url}/admin/transcoder/asset/upload/")
    with admin_page.expect_response(re.compile(r"/upload/file/$")) as upload:
        admin_page.set_input_files("#mh-files", [str(photo)])
    assert upload.value.status == 201
    row = admin_page.locator(".mh-item")
    admin_page.wait_for_selector(".mh-item.is-processing")
    assert "Processing" in row.locator(".mh-result").inner_text()
    admin_page.wait_for_selector(".mh-item.is-done", timeout=90_000)
    assert row.locator(".mh-state").inner_text() == "Ready"
    assert admin_page.inner_text("#mh-summary").startswith("1 uploaded.")
    asset = Asset.objects.get()
    assert set(asset.renditions.values_list("status", flat=True)) == {"ready"}
    assert asset.renditions.count() == 3

    # The list's badges come from the same status endpoint.
    admin_page.goto(f"{live_server.url}/admin/transcoder/asset/")
    admin_page.wait_for_selector("td.field-rendition_status[data-state=ready]")
    assert "3 ready" in admin_page.inner_text("td.field-rendition_status")


def test_preset_save_on_200_assets_queues_one_task(
    admin_page, live_server, db_backend, presets
):
    """Saving a preset over 200 assets queues one task and builds nothing itself.

    How fast it answers is measured by ``make bench`` (bench/bench_admin.py).
    """
    from django_tasks_db.models import DBTaskResult

    asset_rows(200)
    DBTaskResult.objects.all().delete()
    renditions = sorted(Rendition.objects.values_list("pk", "status", "name"))
    card = Preset.objects.get(slug="card")
    admin_page.goto(f"{live_server.url}/admin/transcoder/preset/{card.pk}/change/")
    admin_page.fill("#id_width", "250")
    with admin_page.expect_response(
        lambda r: r.request.method == "POST" and "/preset/" in r.url
    ) as saved:
        admin_page.click("input[name=_save]")
    assert saved.value.status == 302
    message = admin_page.inner_text(".messagelist")
    assert "Rebuilding 200 renditions of 200 images." in message
    assert DBTaskResult.objects.count() == 1
    assert Job.objects.latest("created_at").total_assets == 200
    assert sorted(Rendition.objects.values_list("pk", "status", "name")) == renditions


def _boxes(page):
    return {
        el.get_attribute("data-preset"): tuple(
            float(v) for v in el.get_attribute("data-box").split(",")
        )
        for el in page.locator(".mh-crop").all()
    }


def test_crop_rule_in_the_browser_matches_the_engine(admin_page, live_server, presets):
    """crop.js gives engine.crop_box's box for a sample of points and shapes."""
    asset = _asset()
    admin_page.goto(f"{live_server.url}/admin/transcoder/asset/{asset.pk}/change/")
    cases = []
    for size in [(4000, 3000), (3000, 4000), (801, 799)]:
        for out in [(200, 200), (1200, 630), (400, 800)]:
            for point in [None, (0.0, 0.0), (0.2, 0.8), (1.0, 1.0), (0.93, 0.07)]:
                cases.append((size, out, point))
    specs = [
        RenditionSpec(
            fit="cover", width=out[0], height=out[1], format="jpeg", focal=point
        )
        for _, out, point in cases
    ]
    # The page is handed each preset's output size (admin.shell.html.crop_presets).
    got = admin_page.evaluate(
        "cases => cases.map(([s, o, p]) => window.mediahubCrop.cropBox("
        "o[0], o[1], s[0], s[1], p, null))",
        [
            [list(size), list(spec.target_size(*size)), list(point) if point else None]
            for (size, _, point), spec in zip(cases, specs, strict=True)
        ],
    )
    for (size, out, point), spec, box in zip(cases, specs, got, strict=True):
        expected = engine.crop_box(spec, spec.target_size(*size), *size)
        assert box == pytest.approx(expected, abs=1e-6), (size, out, point)


def test_crop_boxes_move_with_the_focal_point_and_match_the_rendition(
    admin_page, live_server, presets
):
    """Boxes follow the point before saving; after saving, the built crop is the box."""
    asset = _asset(size=(900, 450))
    admin_page.goto(f"{live_server.url}/admin/transcoder/asset/{asset.pk}/change/")
    before = _boxes(admin_page)["thumb"]
    assert before == pytest.approx((225, 0, 675, 450), abs=0.01)
    image = admin_page.locator("[data-focal-picker] img")
    admin_page.wait_for_function(
        "() => document.querySelector('[data-focal-picker] img').naturalWidth > 0"
    )
    box = image.bounding_box()
    admin_page.mouse.click(box["x"] + box["width"] * 0.1, box["y"] + box["height"] / 2)
    moved = _boxes(admin_page)["thumb"]
    assert moved[0] == pytest.approx(0, abs=0.01)  # pushed to the left edge
    admin_page.locator("[data-focal-picker]").press("Shift+ArrowRight")
    admin_page.locator("[data-focal-picker]").press("Shift+ArrowRight")
    drawn = _boxes(admin_page)["thumb"]
    # The point is at 0.3 of 900 px: the 450 px box starts at 45 px.
    assert drawn == pytest.approx((45, 0, 495, 450), abs=0.5)
    admin_page.click("input[name=_continue]")
    admin_page.wait_for_url(re.compile(r"/change/$"))

    asset.refresh_from_db()
    thumb = Rendition.objects.get(
        asset=asset,
        preset__slug="thumb",
        format="jpeg",
        superseded_at__isnull=True,
        status=RenditionStatus.READY,
    )
    from django.core.files.storage import storages

    with storages["renditions"].open(thumb.name) as f:
        built = Image.open(io.BytesIO(f.read())).convert("RGB")
    source = quadrants((900, 450)).convert("RGB")
    expected = source.resize(built.size, Image.Resampling.LANCZOS, box=drawn)
    wrong = source.resize(built.size, Image.Resampling.LANCZOS, box=before)
    assert _diff(built, expected) < 8 < _diff(built, wrong)


def _diff(a, b):
    """Return the mean absolute difference per channel of two RGB images."""
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def test_preset_preview_shows_what_a_save_rebuilds(admin_page, live_server, presets):
    """Before saving, the form says how much is rebuilt and shows before/after."""
    _asset(name="one.jpg")
    _asset(size=(200, 150), name="small.jpg")
    preset = services.preset_save(
        preset=Preset(
            slug="hero", name="Hero", fit="contain", width=100, formats=["jpeg", "webp"]
        )
    )
    admin_page.goto(f"{live_server.url}/admin/transcoder/preset/{preset.pk}/change/")
    admin_page.fill("#id_widths", "300, 400, 500")
    admin_page.click("[data-preview-run]")
    admin_page.wait_for_selector("[data-sample] >> nth=1", timeout=30_000)
    summary = admin_page.inner_text("[data-preview-summary]")
    assert summary == "Rebuilds 6 renditions for each of 2 images."
    small = admin_page.locator("[data-sample]", has_text="small.jpg")
    after = small.locator("table").nth(1).inner_text()
    # 300, 400 and 500 px of a 200 px image are one and the same output.
    assert after.count("one build, same output") == 2
    assert "200 × 150" in after and "KB" in after
    assert "100 × 75" in small.locator("table").nth(0).inner_text()
    after_img = small.locator("figure img").nth(1)
    assert after_img.get_attribute("src").startswith("data:image/")
    assert Preset.objects.get(pk=preset.pk).widths == []  # nothing was saved


@pytest.fixture
def other_origin(tmp_path):
    """Serve tmp_path on another port of 127.0.0.1: a page on another origin."""
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(tmp_path)
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_copied_snippet_loads_in_a_page_on_another_origin(
    admin_page, live_server, presets, other_origin
):
    """Copy the <img srcset> snippet and paste it into another site's page: it loads."""
    folder, origin = other_origin
    asset = _asset()
    assert origin.split(":")[-1] != live_server.url.split(":")[-1]
    admin_page.context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=live_server.url
    )
    admin_page.goto(f"{live_server.url}/admin/transcoder/asset/{asset.pk}/change/")
    card = admin_page.locator(".mh-card[data-preset=card]")
    card.locator("details.mh-embed summary").click()
    card.get_by_role("button", name="Copy <img> with srcset").click()
    admin_page.wait_for_function(
        "() => [...document.querySelectorAll('.mh-copy')]"
        ".some(b => b.textContent === 'Copied')"
    )
    snippet = admin_page.evaluate("navigator.clipboard.readText()")
    assert snippet.startswith(f'<img src="{live_server.url}/e/{asset.pk}/card/')
    assert 'width="300" height="225"' in snippet and "srcset=" in snippet

    (folder / "index.html").write_text(
        f"<!doctype html><title>Elsewhere</title>{snippet}", encoding="utf-8"
    )
    page = admin_page.context.new_page()
    page.goto(f"{origin}/index.html")
    page.wait_for_function("() => document.images[0].complete")
    loaded = page.evaluate(
        "() => [document.images[0].naturalWidth, document.images[0].naturalHeight,"
        " document.images[0].currentSrc]"
    )
    # srcset scales the natural size by the density it chose; the shape stays.
    assert loaded[0] > 0 and loaded[0] * 225 == pytest.approx(loaded[1] * 300, rel=0.01)
    assert loaded[2].startswith(f"{live_server.url}/e/{asset.pk}/card/?format=jpeg")
    page.close()


def test_original_downloads_under_its_uploaded_name(admin_page, live_server, presets):
    """The Original button downloads the file named as it was uploaded."""
    asset = _asset(name="Holiday in Rome.jpg")
    admin_page.goto(f"{live_server.url}/admin/transcoder/asset/{asset.pk}/change/")
    with admin_page.expect_download() as download:
        admin_page.click("text=Original")
    assert download.value.suggested_filename == "Holiday in Rome.jpg"


PAGES = [
    "/admin/transcoder/asset/upload/",
    "/admin/transcoder/asset/",
    "/admin/transcoder/asset/{asset}/change/",
    "/admin/transcoder/preset/{preset}/change/",
    "/admin/transcoder/preset/add/",
]


def test_axe_finds_no_serious_violation(admin_page, live_server, presets):
    """axe-core finds nothing serious or critical on the editor's pages."""
    from axe_playwright_python.sync_playwright import Axe

    asset = _asset()
    preset = Preset.objects.get(slug="thumb")
    axe = Axe()
    found = {}
    for path in PAGES:
        url = live_server.url + path.format(asset=asset.pk, preset=preset.pk)
        admin_page.goto(url)
        admin_page.wait_for_load_state("networkidle")
        bad = serious_violations(axe, admin_page)
        if bad:
            found[path] = bad
    assert found == {}


def test_upload_input_is_a_few_tab_stops_away(admin_page, live_server):
    """The first Tab offers the skip link; after it, the next Tab is the file input."""
    admin_page.goto(f"{live_server.url}/admin/transcoder/asset/upload/")
    admin_page.keyboard.press("Tab")
    assert admin_page.evaluate("document.activeElement.textContent").strip() == (
        "Skip to main content"
    )
    admin_page.keyboard.press("Enter")
    admin_page.keyboard.press("Tab")
    assert admin_page.evaluate("document.activeElement.id") == "mh-files"


def test_view_only_users_get_no_focal_controls(page, live_server, presets):
    """A user who may only view assets sees the point but no dead buttons."""
    from django.contrib.auth.models import Permission, User

    asset = _asset()
    services.asset_update(asset=asset, title="x", alt_text="", focal=(0.3, 0.6))
    user = User.objects.create_user("viewer", password="password", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_asset"))
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "viewer")
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/transcoder/asset/{asset.pk}/change/")
    assert not page.locator("[data-focal-clear]").is_visible()
    assert page.locator(".mh-focal__dot").is_visible()
    assert "30% across, 60% down" in page.inner_text("[data-focal-value]")


def test_list_and_asset_page_update_without_a_reload(
    admin_page, live_server, db_backend, presets
):
    """Badges, thumbnails and the gallery catch up once the worker has built."""
    from django.core.management import call_command

    asset = _asset()
    assert not asset.renditions.exists()  # queued, not built
    admin_page.goto(f"{live_server.url}/admin/transcoder/asset/")
    admin_page.wait_for_selector("td.field-rendition_status[data-state=processing]")
    assert "3 pending" in admin_page.inner_text("td.field-rendition_status")
    assert admin_page.locator("#result_list img.mh-thumb").count() == 0

    page = admin_page.context.new_page()
    page.goto(f"{live_server.url}/admin/transcoder/asset/{asset.pk}/change/")
    page.wait_for_selector("[data-gallery-url][data-state=processing]")
    assert "0 of 3 ready" in page.inner_text("[data-gallery-state]")

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")

    admin_page.wait_for_selector("td.field-rendition_status[data-state=ready]")
    admin_page.wait_for_selector("#result_list img.mh-thumb")
    page.wait_for_selector(".mh-card[data-preset=thumb] .mh-card__preview img")
    assert "2 ready" in page.inner_text(".mh-card[data-preset=thumb] .mh-card__state")
    assert page.inner_text("[data-gallery-state]") == ""
    page.close()
