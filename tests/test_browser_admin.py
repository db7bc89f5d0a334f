"""The admin in a real browser: upload queue, focal point, change list, presets."""

import io
import re
import shutil

import pytest
from PIL import Image

from tests.conftest import ORIENTATION_PHOTOS
from tests.images import encode, make_image, quadrants
from transcoder import services
from transcoder.models import Asset, Preset, Rendition, RenditionStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHANGE_URL = re.compile(r"/admin/transcoder/asset/([0-9a-f-]{36})/change/")
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="9"/>'


def _finished_rows(page, count):
    page.wait_for_function(
        "n => document.querySelectorAll('.mh-item.is-done, .mh-item.is-error')"
        ".length === n",
        arg=count,
        timeout=60_000,
    )
    return page.locator(".mh-item")


@pytest.mark.browser
def test_upload_page_sends_many_files_and_reports_each(
    admin_page, live_server, presets, tmp_path
):
    """Three files at once: two images become assets, the disguised SVG is refused."""
    photo = tmp_path / "landscape.jpg"
    shutil.copy(ORIENTATION_PHOTOS[6], photo)
    drawing = tmp_path / "diagram.png"
    drawing.write_bytes(make_image("PNG", size=(320, 240)))
    fake = tmp_path / "holiday.jpg"
    fake.write_bytes(SVG)

    admin_page.goto(f"{live_server.url}/admin/transcoder/asset/upload/")
    admin_page.set_input_files("#mh-files", [str(photo), str(drawing), str(fake)])
    rows = _finished_rows(admin_page, 3)

    assert rows.count() == 3
    for i in range(3):
        assert rows.nth(i).locator("progress").evaluate("p => p.value") == 100
        assert rows.nth(i).locator(".mh-pct").inner_text() == "100%"
    by_name = {
        rows.nth(i).locator(".mh-file").inner_text(): rows.nth(i) for i in range(3)
    }
    by_name = {name.splitlines()[0]: row for name, row in by_name.items()}

    linked = set()
    for name in ("landscape.jpg", "diagram.png"):
        row = by_name[name]
        assert "is-done" in row.get_attribute("class"), row.inner_text()
        href = row.locator(".mh-result a").get_attribute("href")
        linked.add(CHANGE_URL.search(href).group(1))
    refused = by_name["holiday.jpg"]
    assert "is-error" in refused.get_attribute("class")
    assert refused.locator(".mh-result a").count() == 0
    assert "SVG" in refused.locator(".mh-result").inner_text()
    assert admin_page.inner_text("#mh-summary").startswith("2 uploaded, 1 refused.")

    assets = list(Asset.objects.all())
    assert {str(a.pk) for a in assets} == linked
    assert sorted(a.format for a in assets) == ["jpeg", "png"]
    for asset in assets:
        statuses = list(asset.renditions.values_list("status", flat=True))
        assert statuses == [RenditionStatus.READY] * 3

    # The link in a finished row opens that asset's change page.
    by_name["diagram.png"].locator(".mh-result a").click()
    admin_page.wait_for_url(CHANGE_URL)
    assert admin_page.input_value("#id_title") == "diagram"


DROP = """
async ([name, b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], name, { type: "image/png" }));
  const zone = document.querySelector("#mh-upload .mh-drop");
  const init = { bubbles: true, cancelable: true, dataTransfer: data };
  zone.dispatchEvent(new DragEvent("dragenter", init));
  const over = zone.classList.contains("is-over");
  zone.dispatchEvent(new DragEvent("dragover", init));
  const drop = new DragEvent("drop", init);
  zone.dispatchEvent(drop);
  return [over, zone.classList.contains("is-over"), drop.defaultPrevented];
}
"""


@pytest.mark.browser
def test_files_dropped_on_the_upload_page_upload(admin_page, live_server, presets):
    """A file dragged onto the upload page's zone lights it, and dropped there
    is queued and uploaded like a chosen one; the browser does not open it."""
    import base64

    admin_page.goto(f"{live_server.url}/admin/transcoder/asset/upload/")
    png = base64.b64encode(make_image("PNG", size=(320, 240))).decode()
    lit, still_lit, kept = admin_page.evaluate(DROP, ["dropped.png", png])
    assert (lit, still_lit, kept) == (True, False, True)
    rows = _finished_rows(admin_page, 1)
    assert "is-done" in rows.nth(0).get_attribute("class"), rows.nth(0).inner_text()
    assert Asset.objects.get().original_filename == "dropped.png"


def _pixel(data, xy):
    return Image.open(io.BytesIO(data)).convert("RGB").getpixel(xy)


@pytest.mark.browser
def test_focal_point_click_is_saved_and_recrops_cover_renditions(
    admin_page, live_server, presets, media_root
):
    """Clicking near the top-left sets the focal point; saving rebuilds the crops."""
    # Red | green on top, blue | yellow below: the crop shows where it came from.
    asset = services.asset_create(
        content=encode(quadrants((400, 200)), "PNG"), filename="quadrants.png"
    )
    old = {r.pk: r.name for r in asset.renditions.filter(preset__slug="thumb")}
    card_names = set(
        asset.renditions.filter(preset__slug="card").values_list("name", flat=True)
    )
    centre_crop = (media_root / next(iter(old.values()))).read_bytes()
    assert _pixel(centre_crop, (75, 25))[1] > 200  # Green: the centre crop.

    admin_page.goto(f"{live_server.url}/admin/transcoder/asset/{asset.pk}/change/")
    image = admin_page.locator("[data-focal-picker] img")
    admin_page.wait_for_function(
        "() => document.querySelector('[data-focal-picker] img').naturalWidth > 0"
    )
    assert admin_page.locator(".mh-focal__dot").is_hidden()
    box = image.bounding_box()
    image.click(position={"x": box["width"] * 0.1, "y": box["height"] * 0.2})
    assert admin_page.locator(".mh-focal__dot").is_visible()
    assert admin_page.inner_text("[data-focal-value]") == (
        "Focal point: 10% across, 20% down."
    )
    admin_page.click("input[name=_save]")
    admin_page.wait_for_url(f"{live_server.url}/admin/transcoder/asset/")

    asset.refresh_from_db()
    assert asset.focal_x == pytest.approx(0.1, abs=0.02)
    assert asset.focal_y == pytest.approx(0.2, abs=0.02)
    thumbs = asset.renditions.filter(preset__slug="thumb")
    current = list(thumbs.filter(superseded_at__isnull=True))
    assert len(current) == 2
    assert {r.status for r in current} == {RenditionStatus.READY}
    assert not {r.name for r in current} & set(old.values())
    assert set(
        thumbs.filter(superseded_at__isnull=False).values_list("pk", flat=True)
    ) == set(old)
    # A contain fit ignores the focal point, so its renditions keep their names.
    assert (
        set(
            asset.renditions.filter(
                preset__slug="card", superseded_at__isnull=True
            ).values_list("name", flat=True)
        )
        == card_names
    )
    new_jpeg = next(r for r in current if r.format == "jpeg")
    red = _pixel((media_root / new_jpeg.name).read_bytes(), (75, 25))
    assert red[0] > 200 and red[1] < 80  # Red: the crop moved to the left half.

    # Back on the page: the dot sits where it was put, the gallery tells old from new.
    admin_page.goto(f"{live_server.url}/admin/transcoder/asset/{asset.pk}/change/")
    left = admin_page.locator(".mh-focal__dot").evaluate("d => d.style.left")
    assert float(left.rstrip("%")) == pytest.approx(10, abs=2)
    card = admin_page.locator(".mh-card[data-preset=thumb]")
    assert card.locator(":scope > .mh-formats .mh-rendition").count() == 2
    superseded = card.locator("details.mh-superseded")
    # Labelled with its own (older) spec and state, not the current one.
    assert superseded.locator("summary").inner_text() == (
        "Superseded spec: 100 × 100 · JPEG, WEBP · 2 ready"
    )
    assert superseded.locator(".mh-rendition").count() == 2


@pytest.mark.browser
def test_change_list_thumbnails_load_and_status_filter_narrows(
    admin_page, live_server, presets
):
    """Each asset's thumbnail loads through its signed URL; 'Some failed' filters."""
    good = [
        services.asset_create(
            content=make_image("PNG", size=(300 + i, 200)), filename=f"good-{i}.png"
        )
        for i in range(2)
    ]
    bad = services.asset_create(content=make_image("JPEG"), filename="broken.jpg")
    Rendition.objects.filter(asset=bad, preset__slug="card").update(
        status=RenditionStatus.FAILED, error="The file ends early"
    )
    services.asset_state_refresh(asset_id=bad.pk)  # What renditions_generate does.

    admin_page.goto(f"{live_server.url}/admin/transcoder/asset/")
    thumbs = admin_page.locator("#result_list img.mh-thumb")
    assert thumbs.count() == 3
    for i in range(3):
        thumbs.nth(i).scroll_into_view_if_needed()
        assert "Signature=" in thumbs.nth(i).get_attribute("src")
    admin_page.wait_for_function(
        "() => [...document.querySelectorAll('#result_list img.mh-thumb')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )

    admin_page.locator("#changelist-filter").get_by_role(
        "link", name="Some failed"
    ).click()
    admin_page.wait_for_url(re.compile(r"renditions=failed"))
    rows = admin_page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "broken" in rows.first.inner_text()
    assert "1 failed" in rows.first.locator(".mh-status--failed").inner_text()

    admin_page.locator("#changelist-filter").get_by_role(
        "link", name="All ready"
    ).click()
    admin_page.wait_for_url(re.compile(r"renditions=ready"))
    text = admin_page.locator("#result_list tbody").inner_text()
    assert "good 0" in text and "good 1" in text and "broken" not in text
    assert {str(a.pk) for a in good} == {
        CHANGE_URL.search(href).group(1)
        for href in admin_page.locator("#result_list tbody a").evaluate_all(
            "links => links.map(a => a.href)"
        )
        if CHANGE_URL.search(href)
    }


@pytest.mark.browser
def test_preset_form_shows_errors_then_saves_and_builds_renditions(
    admin_page, live_server, presets, jpeg
):
    """An invalid preset shows why; a valid responsive one fills the asset's gallery."""
    asset = services.asset_create(content=jpeg, filename="street.jpg")

    admin_page.goto(f"{live_server.url}/admin/transcoder/preset/add/")
    admin_page.locator("#id_name").press_sequentially("Wide hero")
    assert admin_page.input_value("#id_slug") == "wide-hero"  # Prepopulated.
    admin_page.select_option("#id_fit", "cover")
    admin_page.fill("#id_width", "400")
    admin_page.check("#id_formats input[value=webp]")
    admin_page.click("input[name=_save]")
    errors = admin_page.locator(".errornote, .errorlist")
    errors.first.wait_for()
    # The reason sits by the field it is about, not only at the top.
    assert admin_page.locator(".errorlist", has_text="cover crop needs both").count()
    assert not admin_page.locator(".errorlist.nonfield").count()
    assert not Preset.objects.filter(slug="wide-hero").exists()

    admin_page.fill("#id_height", "200")
    admin_page.fill("#id_widths", "200, 400")
    admin_page.check("#id_formats input[value=jpeg]")
    admin_page.click("input[name=_save]")
    admin_page.wait_for_url(f"{live_server.url}/admin/transcoder/preset/")
    assert "was added successfully" in admin_page.inner_text(".messagelist")
    preset = Preset.objects.get(slug="wide-hero")
    assert (preset.width, preset.height, preset.widths) == (400, 200, [200, 400])
    assert preset.formats == ["jpeg", "webp"]

    admin_page.goto(f"{live_server.url}/admin/transcoder/asset/{asset.pk}/change/")
    card = admin_page.locator(".mh-card[data-preset=wide-hero]")
    assert "4 ready" in card.locator(".mh-card__state").inner_text()
    rows = card.locator(":scope > .mh-formats .mh-rendition")
    assert rows.count() == 4
    sizes = sorted(rows.nth(i).locator("a").inner_text() for i in range(4))
    assert sizes == ["200 × 100", "200 × 100", "400 × 200", "400 × 200"]
    # One preview of at least 160 px that opens the full-size rendition.
    preview = card.locator(".mh-card__preview img")
    assert preview.evaluate("i => i.getBoundingClientRect().width") >= 160
    assert asset.renditions.filter(preset=preset, status="ready").count() == 4
