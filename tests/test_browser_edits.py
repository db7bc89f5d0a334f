"""Editing the picture in Chromium: an editor turns a sideways photo, crops a
scan's border, flips then restores the first version, turns an animated GIF
that keeps moving, and a focal area set before a turn follows it. Each step is
checked on the built renditions and through an embed link drawn by a page on
another origin (the GIF's on its renditions alone).

The photos are recurser's EXIF orientation examples (../shared/testdata);
"sideways" and "scan" are made from the upright one in memory.
"""

import base64
import io
import json

import pytest
from PIL import Image, ImageChops, ImageOps, ImageStat

from tests.conftest import ORIENTATION_PHOTOS
from tests.fixtures_browser import SCREENSHOTS
from tests.test_browser_embed import site  # noqa: F401  (fixture)
from transcoder import services
from transcoder.imaging.analysis.focal import crop_box
from transcoder.models import Asset, RenditionStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANDSCAPE = ORIENTATION_PHOTOS[1]  # Landscape_1.jpg: 1800 x 1200, upright
SAVE_EDIT = "button.default[form=mh-edit-form]"
# Draws the embedded image at its own size and hands its pixels back: the
# image loads with crossorigin, so the redirect and the file both need CORS.
PIXELS = """<!doctype html><canvas id="c"></canvas><script>
const img = new Image();
img.crossOrigin = "anonymous";
img.onload = () => {
  const c = document.getElementById("c");
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  c.getContext("2d").drawImage(img, 0, 0);
  window.pixels = c.toDataURL("image/png");
  document.title = "drawn";
};
img.onerror = () => { document.title = "refused"; };
img.src = %s;
</script>"""


def _upright():
    return ImageOps.exif_transpose(Image.open(LANDSCAPE)).convert("RGB")


def _jpeg(image, quality=95):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _diff(a, b):
    stat = ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB")))
    return sum(stat.mean) / len(stat.mean)


def _rendition(asset, preset="card"):
    from django.core.files.storage import storages

    row = asset.renditions.get(
        preset__slug=preset,
        format="jpeg",
        superseded_at__isnull=True,
        status=RenditionStatus.READY,
    )
    with storages["renditions"].open(row.name, "rb") as f:
        return Image.open(io.BytesIO(f.read())).convert("RGB")


def _embedded(browser, site, url):  # noqa: F811
    """Return the image an embed link shows to a page on ``site``'s origin."""
    site.handler.html = (PIXELS % json.dumps(url)).encode()
    # A fresh context each time: no cached redirect to an older picture.
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{site.url}/")
        page.wait_for_function("document.title !== ''")
        assert page.title() == "drawn"
        data = page.evaluate("window.pixels")
    finally:
        context.close()
    return Image.open(io.BytesIO(base64.b64decode(data.split(",", 1)[1]))).convert(
        "RGB"
    )


@pytest.fixture
def editor(admin_page, live_server, settings, site):  # noqa: F811
    """The admin page, and a page on another origin allowed to read pixels."""
    settings.CORS_ALLOWED_ORIGINS = [site.url]
    return admin_page


def _open(page, live_server, asset):
    page.goto(f"{live_server.url}/admin/transcoder/asset/{asset.pk}/change/")
    page.locator("[data-edit-canvas]").wait_for(state="visible")


def _save_edit(page):
    with page.expect_navigation():
        page.click(SAVE_EDIT)
    assert "The picture was edited" in page.locator(".messagelist").inner_text()


def _drag(page, selector, start, end):
    """Drag from ``start`` to ``end`` (fractions of the element's box)."""
    target = page.locator(selector)
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    page.mouse.move(
        box["x"] + start[0] * box["width"], box["y"] + start[1] * box["height"]
    )
    page.mouse.down()
    page.mouse.move(
        box["x"] + end[0] * box["width"], box["y"] + end[1] * box["height"], steps=5
    )
    page.mouse.up()


def test_turn_a_sideways_photo_and_its_focal_area_follows(
    presets,
    editor,
    live_server,
    browser,
    site,  # noqa: F811
):
    """A photo stored sideways: the editor marks the waterfall as the focal
    area, turns the photo right, and both the picture and the crops around
    the waterfall come out upright."""
    upright = _upright()
    sideways = upright.transpose(Image.Transpose.ROTATE_90)  # its top on the left
    asset = services.asset_create(content=_jpeg(sideways), filename="sideways.jpg")
    _open(editor, live_server, asset)

    # The waterfall is at (0.75, 0.5) upright, so at (0.5, 0.25) sideways.
    _drag(editor, "[data-focal-picker] img", (0.35, 0.15), (0.65, 0.35))
    with editor.expect_navigation():
        editor.click("input[name=_continue]")
    marked = Asset.objects.get(pk=asset.pk)
    assert (marked.focal_x, marked.focal_y) == pytest.approx((0.5, 0.25), abs=0.01)
    assert (marked.focal_width, marked.focal_height) == pytest.approx(
        (0.3, 0.2), abs=0.01
    )

    # The preview turns with the button before anything is saved.
    editor.click("[data-edit-turn='1']")
    assert editor.locator("[data-edit=rotate]").input_value() == "1"
    canvas = editor.locator("[data-edit-canvas]")
    assert canvas.evaluate("c => c.width > c.height")
    assert "1800 × 1200" in editor.locator("[data-edit-result]").inner_text()
    _save_edit(editor)

    turned = Asset.objects.get(pk=asset.pk)
    assert (turned.width, turned.height, turned.edit["turns"]) == (1800, 1200, 1)
    focal = (turned.focal_x, turned.focal_y, turned.focal_width, turned.focal_height)
    assert focal == pytest.approx((0.75, 0.5, 0.2, 0.3), abs=0.01)
    # The focal picker shows the area on the waterfall of the turned picture.
    assert float(editor.input_value("#id_focal_x")) == pytest.approx(0.75, abs=0.01)

    card = _rendition(turned)
    assert card.size == (300, 200)
    expected = upright.resize((300, 200), Image.Resampling.LANCZOS)
    assert _diff(card, expected) < 6
    assert (
        _diff(card, upright.transpose(Image.Transpose.ROTATE_180).resize((300, 200)))
        > 20
    )
    # The square crop keeps the waterfall: the right of the photo, not its centre.
    box = tuple(round(v) for v in crop_box((100, 100), 1800, 1200, (0.75, 0.5)))
    assert box == (600, 0, 1800, 1200)
    thumb = _rendition(turned, "thumb")
    right = upright.crop(box).resize((100, 100), Image.Resampling.LANCZOS)
    centre = upright.crop((300, 0, 1500, 1200)).resize((100, 100))
    assert _diff(thumb, right) < 8 < _diff(thumb, centre)

    embedded = _embedded(browser, site, f"{live_server.url}/e/{asset.pk}/card/")
    assert embedded.size == (300, 200) and _diff(embedded, expected) < 6


def test_crop_a_scans_border(presets, editor, live_server, browser, site):  # noqa: F811
    """A scan with a white border: the editor draws a crop, types it exact,
    and the renditions show the photo without the border."""
    photo = _upright().resize((900, 600), Image.Resampling.LANCZOS)
    scan = Image.new("RGB", (1020, 720), "white")
    scan.paste(photo, (60, 60))
    asset = services.asset_create(content=_jpeg(scan), filename="scan.jpg")
    _open(editor, live_server, asset)

    _drag(editor, "[data-edit-canvas]", (0.06, 0.08), (0.94, 0.92))
    editor.locator("[data-edit-crop]").wait_for(state="visible")
    drawn = [int(editor.input_value(f"[data-edit=crop_{n}]")) for n in ("left", "top")]
    assert drawn == [pytest.approx(61, abs=4), pytest.approx(58, abs=4)]
    sides = ("left", "top", "width", "height")
    for name, value in zip(sides, (60, 60, 900, 600), strict=True):
        editor.fill(f"[data-edit=crop_{name}]", str(value))
    assert "900 × 600" in editor.locator("[data-edit-result]").inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    editor.locator(".mh-edit").screenshot(path=str(SCREENSHOTS / "edit-panel.png"))
    _save_edit(editor)

    cropped = Asset.objects.get(pk=asset.pk)
    assert (cropped.width, cropped.height) == (900, 600)
    assert cropped.edit["crop"] == [60, 60, 900, 600]
    card = _rendition(cropped)
    expected = photo.resize((300, 200), Image.Resampling.LANCZOS)
    assert card.size == (300, 200) and _diff(card, expected) < 6
    # No white border left at the edges.
    assert card.crop((0, 0, 300, 3)).convert("L").getextrema()[1] < 250

    embedded = _embedded(browser, site, f"{live_server.url}/e/{asset.pk}/card/")
    assert embedded.size == (300, 200) and _diff(embedded, expected) < 6


def test_flip_then_restore_the_first_version(
    presets,
    editor,
    live_server,
    browser,
    site,  # noqa: F811
):
    """Flip: the renditions and the embed show the photo mirrored; restoring
    the first version in one click shows it as uploaded again."""
    upright = _upright()
    data = LANDSCAPE.read_bytes()
    asset = services.asset_create(content=data, filename="falls.jpg")
    embed = f"{live_server.url}/e/{asset.pk}/card/"
    first_card = _rendition(asset)
    _open(editor, live_server, asset)

    editor.click("[data-edit-flip='horizontal']")
    assert editor.locator("[data-edit=flip]").input_value() == "horizontal"
    _save_edit(editor)
    flipped = Asset.objects.get(pk=asset.pk)
    assert flipped.edit["flip"] is True and flipped.original == asset.original
    mirrored = upright.transpose(Image.Transpose.FLIP_LEFT_RIGHT).resize((300, 200))
    assert _diff(_rendition(flipped), mirrored) < 6
    assert _diff(_embedded(browser, site, embed), mirrored) < 6
    assert "Mirrored" in editor.locator(".mh-versions").inner_text()

    versions = editor.locator(".mh-versions")
    with editor.expect_navigation():
        versions.get_by_role("button", name="Restore").click()
    assert "current again" in editor.locator(".messagelist").inner_text()
    restored = Asset.objects.get(pk=asset.pk)
    assert (restored.edit, restored.width, restored.height) == ({}, 1800, 1200)
    with open(_original_path(restored), "rb") as f:
        assert f.read() == data
    card = _rendition(restored)
    assert _diff(card, first_card) < 2 and _diff(card, mirrored) > 20
    assert _diff(_embedded(browser, site, embed), upright.resize((300, 200))) < 6


def test_a_turned_animation_keeps_moving(presets, editor, live_server):
    """Turn a GIF on its page: the rebuilt WebP moves, turned, and the page
    badges it as before the edit."""
    from pathlib import Path

    from transcoder.models import Rendition

    gif = Path(__file__).parent / "files" / "animated" / "chi.gif"
    asset = services.asset_create(content=gif.read_bytes(), filename="chi.gif")
    _open(editor, live_server, asset)
    editor.click("[data-edit-turn='1']")
    _save_edit(editor)
    turned = Asset.objects.get(pk=asset.pk)
    assert (turned.width, turned.height) == (240, 320)
    webp = Rendition.objects.get(
        asset=turned, preset__slug="thumb", format="webp", superseded_at__isnull=True
    )
    assert webp.status == RenditionStatus.READY and webp.frames == 31
    assert "Animated: 31 frames, 3.1 s a play" in editor.content()


def _original_path(asset):
    from django.core.files.storage import storages

    return storages["default"].path(asset.original)


CLICKS = [
    ("turn", 1),
    ("flip", "horizontal"),
    ("turn", 1),
    ("flip", "vertical"),
    ("turn", -1),
    ("flip", "horizontal"),
    ("turn", -1),
    ("turn", -1),
    ("flip", "vertical"),
]


def test_the_panel_composes_clicks_as_the_server_does(presets, editor, live_server):
    """After each click, the form's turn and mirror (applied by the server in
    that order) make the same picture as the clicks one by one: edit.js and
    imaging.edits agree."""
    from transcoder.imaging.edits import Recipe

    asset = services.asset_create(content=LANDSCAPE.read_bytes(), filename="f.jpg")
    _open(editor, live_server, asset)
    clicked = Recipe(source=(1800, 1200))
    for kind, value in CLICKS:
        if kind == "turn":
            editor.click(f"[data-edit-turn='{value}']")
            clicked = clicked.rotated(value)
        else:
            editor.click(f"[data-edit-flip='{value}']")
            clicked = clicked.flipped(horizontal=value == "horizontal")
        rotate = int(editor.input_value("[data-edit=rotate]"))
        flip = editor.input_value("[data-edit=flip]")
        form = Recipe(source=(1800, 1200)).rotated(rotate)
        if flip:
            form = form.flipped(horizontal=flip == "horizontal")
        assert form == clicked, (kind, value, rotate, flip)
        width, height = clicked.size
        assert f"{width} × {height}" in editor.inner_text("[data-edit-result]")
