"""What tests/test_browser_axe.py does in a page before axe checks it.

Each act takes the Playwright page, already at the visit's URL, and leaves it
in the state to check: a form sent with errors, a bulk action's intermediate
page, the quick panel open, an upload settled. Each waits for that state, so
an act that misses it fails the visit instead of checking the wrong page.
"""

import itertools

from tests.personas import SECRETS, picture


def save_empty(page):
    """Send a form with its text fields empty: the page shows its errors."""
    form = page.locator("#content form").first
    form.evaluate(
        "f => { f.noValidate = true; f.querySelectorAll('input[type=text],"
        " input[type=password], input[type=number], input[type=email],"
        " input[type=url], textarea').forEach(e => { e.value = ''; }); }"
    )
    submit(page)


def submit(page):
    """Send the page's form (its Save button if it has one); wait for errors."""
    save = page.locator("#content [name=_save]")
    if not save.count():
        save = page.locator("#content form [type=submit]")
    with page.expect_navigation():
        save.first.click()
    page.wait_for_selector(".errornote, .errorlist")


def fill_and_save(selector, value):
    """Return an act: put ``value`` in the field and save: a refused value."""

    def act(page):
        page.locator("#content form").first.evaluate("f => { f.noValidate = true; }")
        # Set, not typed: typing stops at the field's maxlength.
        page.eval_on_selector(selector, "(e, v) => { e.value = v; }", value)
        submit(page)

    return act


# An action's intermediate page: ours ("apply") or Django's delete ("post").
INTERMEDIATE = "#content form [name=apply], #content form [name=post]"


def bulk(action, rows=1, reaches=INTERMEDIATE):
    """Return an act: select ``rows`` of the change list and run ``action``;
    the page it leads to holds ``reaches``."""

    def act(page):
        boxes = page.locator("#result_list input.action-select")
        assert boxes.count() >= rows, (action, boxes.count())
        for i in range(rows):
            boxes.nth(i).check(force=True)
        page.select_option("select[name=action]", action)
        with page.expect_navigation():
            page.locator(".actions [name=index]").first.click()
        page.locator(reaches).first.wait_for(state="attached")

    return act


def bulk_with_errors(action):
    """Return an act: the intermediate page of ``action``, sent empty."""

    def act(page):
        bulk(action)(page)
        page.locator("#content form").first.evaluate("f => { f.noValidate = true; }")
        with page.expect_navigation():
            page.click("#content [name=apply]")
        page.wait_for_selector(".errorlist")

    return act


def open_quick(page, title=SECRETS["A"]["title"]):
    """Open the details panel of the card of ``title`` beside the grid."""
    row = page.locator("#result_list tbody tr").filter(has_text=title)
    row.locator("th a").focus()
    page.keyboard.press("Enter")
    page.locator("#mh-quick [data-quick-asset]").wait_for()


def quick_refused_tag(page):
    """In the quick panel, a tag too long to keep: the error beside the field."""
    open_quick(page)
    page.focus("#mh-quick-tags")
    page.keyboard.type("y" * 101)
    page.keyboard.press("Enter")
    page.locator("#mh-quick [data-error-for=tags]").wait_for(state="visible")


def preview_preset(page):
    """Run the preset form's preview: counts and a before/after of samples."""
    page.fill("#id_width", "120")
    page.locator("[data-preview-run]").click()
    page.wait_for_selector("[data-preview-summary]:not(:empty)")
    page.wait_for_function(
        "() => document.querySelector('[data-preview-url]').dataset.done"
    )


# A new picture for each upload, so that none is a duplicate of the last.
_seeds = itertools.count(20)


def upload_mixed(page):
    """Upload an image and a text file: a ready row and a refused one."""
    page.set_input_files(
        "#mh-files",
        files=[
            {"name": "ok.jpg", "mimeType": "image/jpeg", "buffer": _picture()},
            {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not an image"},
        ],
    )
    # Both settled: the image built, the text file refused.
    page.wait_for_selector("#mh-queue tr.is-done")
    page.wait_for_selector("#mh-queue tr.is-error")


def _picture():
    return picture(next(_seeds))


def describe_first(page):
    """Tick "describe first" and choose a file: its title and alt text inputs."""
    page.check("#mh-describe")
    page.set_input_files(
        "#mh-files",
        files=[{"name": "d.jpg", "mimeType": "image/jpeg", "buffer": _picture()}],
    )
    page.wait_for_selector("#mh-queue tbody tr input")


def login_wrong(page):
    page.fill("#id_username", "root")
    page.fill("#id_password", "wrong")
    submit(page)


def add_token(page):
    """Add an API token: the page that shows its key once."""
    page.fill("#id_name", "Axe token")
    page.check("#id_scope_read")
    with page.expect_navigation():
        page.click("[name=_save]")
    page.wait_for_selector("#content-main code, #content-main input[readonly]")


def logout(page):
    with page.expect_navigation():
        page.locator("#logout-form [type=submit]").click()


def edit_picture(page):
    """Turn and mirror in the "Edit the picture" panel, draw a crop on its
    preview, then send a crop outside the picture: the refusal is shown."""
    page.click("[data-edit-turn='1']")
    page.click("[data-edit-flip='horizontal']")
    canvas = page.locator("[data-edit-canvas]")
    canvas.wait_for(state="visible")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.up()
    page.wait_for_selector("[data-edit-crop]:not([hidden])")
    page.fill("[data-edit=crop_left]", "100000")
    with page.expect_navigation():
        page.click("button[form=mh-edit-form].default")
    page.wait_for_selector(".messagelist .error")
    page.click("[data-edit-turn='-1']")
