"""The pages tests/test_browser_axe.py checks: every admin route, and its states.

A ``Visit`` opens one page as one persona: a URL, then optionally an action in
the page (a bulk action's intermediate page, a form sent empty to show its
errors, the quick panel opened). ``key`` names the URL pattern it covers, as
tests/test_doors.py names routes. ``EXCLUDED`` lists the patterns that are no
page to check, each with why; test_every_admin_route_is_visited_or_excluded
fails when a pattern is in neither.

The world is tests/personas.py's: collections A and B, an image in each (with a
replaced version, tags and a job), tokens, a site key and refused uploads; the
test adds a trashed image. "root" is the superuser, "ed_a" the editor of A.
"""

import itertools
from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.urls import reverse
from taggit.models import Tag

from tests.personas import SECRETS, picture
from transcoder.models import Preset

SUPER = ("root",)
BOTH = ("root", "ed_a")
# Who views A and edits B: A's pages are read-only for them.
VIEWER = ("mixed",)
NARROW = 800
WIDE = 1366


@dataclass(frozen=True)
class Visit:
    key: str  # the URL pattern covered: "admin:<name>" or "/<regex>"
    label: str  # the row of the printed table
    url: object  # url(world) -> path
    who: tuple = SUPER
    act: object = None  # act(page) -> what is checked: a page reached in it
    status: int = 200
    key_page: bool = False  # a key page: checked at 800 px and in the dark theme too
    ready: str | None = None  # a selector to wait for before axe runs


def _rev(name, *args):
    return lambda w: reverse(f"admin:{name}", args=[a(w) for a in args])


def _asset(w):
    return w.asset["A"].pk


def _model_pk(model, pick):
    return lambda w: pick(w).pk


# --- actions taken in a page before axe runs ---------------------------------


def save_empty(page):
    """Send a form with its text fields empty: the page shows its errors."""
    form = page.locator("#content form").first
    form.evaluate(
        "f => { f.noValidate = true; f.querySelectorAll('input[type=text],"
        " input[type=password], input[type=number], input[type=email],"
        " input[type=url], textarea').forEach(e => { e.value = ''; }); }"
    )
    _submit(page)


def _submit(page):
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
        _submit(page)

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
    _submit(page)


def add_token(page):
    """Add an API token: the page that shows its key once."""
    page.fill("#id_name", "Axe token")
    page.check("#id_scope_read")
    with page.expect_navigation():
        page.click("[name=_save]")
    page.wait_for_selector("#content-main code, #content-main input[readonly]")


def _images(mode, query=""):
    """Return url(world): the image list shown as ``mode`` (kept in the session)."""
    return lambda w: reverse(f"admin:{ASSET}changelist") + f"?view={mode}{query}"


def logout(page):
    with page.expect_navigation():
        page.locator("#logout-form [type=submit]").click()


# --- the pages ---------------------------------------------------------------

ASSET = "transcoder_asset_"
VISITS = [
    # The site's own pages.
    Visit("admin:index", "home", lambda w: "/admin/", (*BOTH, "up_a"), key_page=True),
    Visit("admin:system_index", "system", lambda w: "/admin/system/"),
    *(
        Visit("admin:app_list", f"app {app}", lambda w, a=app: f"/admin/{a}/", who)
        for app, who in [
            ("transcoder", BOTH),
            ("auth", SUPER),
            ("axes", SUPER),
            ("taggit", SUPER),
            ("django_tasks_database", SUPER),
        ]
    ),
    Visit("admin:login", "login", lambda w: "/admin/login/", ("anonymous",)),
    Visit(
        "admin:login",
        "login, wrong password",
        lambda w: "/admin/login/",
        ("anonymous",),
        login_wrong,
    ),
    Visit("admin:logout", "logged out", lambda w: "/admin/", ("leaving",), logout),
    Visit("admin:password_change", "password change", _rev("password_change"), BOTH),
    Visit(
        "admin:password_change",
        "password change, errors",
        _rev("password_change"),
        BOTH,
        save_empty,
    ),
    Visit(
        "admin:password_change_done", "password changed", _rev("password_change_done")
    ),
    Visit(
        "/admin/(?P<url>.*)$",
        "not found",
        lambda w: "/admin/no-such-page/",
        BOTH,
        status=404,
    ),
    # Images: the grid, the table, the quick panel, the image page, uploads.
    Visit(
        f"admin:{ASSET}changelist",
        "images (grid)",
        _images("grid"),
        BOTH,
        key_page=True,
        ready=".mh-results--grid",
    ),
    Visit(
        f"admin:{ASSET}changelist",
        "images (grid), searched, none found",
        _images("grid", "&q=nothing-matches"),
        BOTH,
    ),
    Visit(
        f"admin:{ASSET}changelist",
        "images (grid), one collection",
        lambda w: (
            reverse(f"admin:{ASSET}changelist")
            + f"?view=grid&collection={w.coll['A'].pk}"
        ),
        BOTH,
    ),
    Visit(
        f"admin:{ASSET}changelist",
        "images (grid), quick panel",
        _images("grid"),
        BOTH,
        open_quick,
        key_page=True,
    ),
    Visit(
        f"admin:{ASSET}changelist",
        "images (grid), quick panel, refused tag",
        _images("grid"),
        BOTH,
        quick_refused_tag,
    ),
    Visit(
        f"admin:{ASSET}changelist",
        "images (grid), quick panel, view only",
        _images("grid"),
        VIEWER,
        open_quick,
    ),
    Visit(
        f"admin:{ASSET}changelist",
        "images (table)",
        _images("table"),
        BOTH,
        ready=".mh-results--table",
    ),
    Visit(
        f"admin:{ASSET}changelist",
        "images: bulk add tags",
        _images("grid"),
        BOTH,
        bulk("add_tags"),
    ),
    Visit(
        f"admin:{ASSET}changelist",
        "images: bulk add tags, errors",
        _images("grid"),
        BOTH,
        bulk_with_errors("add_tags"),
    ),
    Visit(
        f"admin:{ASSET}changelist",
        "images: bulk remove tags",
        _images("grid"),
        SUPER,
        bulk("remove_tags"),
    ),
    Visit(
        f"admin:{ASSET}changelist",
        "images: bulk move",
        _images("grid"),
        BOTH,
        bulk("move_to_collection", rows=2),
    ),
    Visit(
        f"admin:{ASSET}changelist",
        "images: bulk delete",
        _images("grid"),
        BOTH,
        bulk("delete_in_background", rows=2),
    ),
    Visit(
        f"admin:{ASSET}changelist",
        "images: regenerate, job progress",
        _images("grid"),
        BOTH,
        bulk("regenerate_renditions", rows=2, reaches=".messagelist progress"),
    ),
    Visit(
        f"admin:{ASSET}change",
        "image page",
        _rev(f"{ASSET}change", _asset),
        BOTH,
        key_page=True,
        ready="[data-gallery-url]",
    ),
    Visit(
        f"admin:{ASSET}change",
        "image page, errors",
        _rev(f"{ASSET}change", _asset),
        BOTH,
        fill_and_save("#id_alt_text", "x" * 501),
    ),
    Visit(
        f"admin:{ASSET}change",
        "image page, view only",
        _rev(f"{ASSET}change", _asset),
        VIEWER,
    ),
    Visit(
        f"admin:{ASSET}history", "image history", _rev(f"{ASSET}history", _asset), BOTH
    ),
    Visit(f"admin:{ASSET}delete", "image delete", _rev(f"{ASSET}delete", _asset), BOTH),
    Visit(f"admin:{ASSET}add", "image add (upload)", _rev(f"{ASSET}add"), BOTH),
    Visit(
        f"admin:{ASSET}upload",
        "upload",
        _rev(f"{ASSET}upload"),
        (*BOTH, "up_a"),
        key_page=True,
    ),
    Visit(
        f"admin:{ASSET}upload",
        "upload: one ready, one refused",
        _rev(f"{ASSET}upload"),
        BOTH,
        upload_mixed,
    ),
    Visit(
        f"admin:{ASSET}upload",
        "upload: describe first",
        _rev(f"{ASSET}upload"),
        SUPER,
        describe_first,
    ),
    Visit(f"admin:{ASSET}replace", "replace", _rev(f"{ASSET}replace", _asset), BOTH),
    Visit(
        f"admin:{ASSET}replace",
        "replace, errors",
        _rev(f"{ASSET}replace", _asset),
        BOTH,
        _submit,
    ),
    # The Trash and refused uploads.
    Visit(
        "admin:transcoder_trashedasset_changelist",
        "trash",
        _rev("transcoder_trashedasset_changelist"),
        BOTH,
        key_page=True,
    ),
    Visit(
        "admin:transcoder_trashedasset_changelist",
        "trash: erase now",
        _rev("transcoder_trashedasset_changelist"),
        BOTH,
        bulk("erase_now"),
    ),
    # Presets, with the preview of a change.
    Visit(
        "admin:transcoder_preset_change",
        "preset, preview of a change",
        lambda w: reverse(
            "admin:transcoder_preset_change",
            args=[_pick(Preset)(w).pk],
        ),
        act=preview_preset,
        key_page=True,
    ),
    Visit(
        "admin:transcoder_preset_change",
        "preset, errors",
        lambda w: reverse(
            "admin:transcoder_preset_change",
            args=[_pick(Preset)(w).pk],
        ),
        act=save_empty,
    ),
    Visit(
        "admin:transcoder_preset_add",
        "preset add, errors",
        _rev("transcoder_preset_add"),
        act=save_empty,
    ),
    Visit(
        "admin:transcoder_preset_changelist",
        "presets: bulk delete",
        _rev("transcoder_preset_changelist"),
        act=bulk("delete_selected"),
    ),
    # Collections, with the permission grid.
    Visit(
        "admin:transcoder_collection_add",
        "collection add, errors",
        _rev("transcoder_collection_add"),
        act=save_empty,
    ),
    Visit(
        "admin:transcoder_collection_change",
        "collection, errors",
        lambda w: reverse("admin:transcoder_collection_change", args=[w.coll["A"].pk]),
        act=save_empty,
    ),
    # Tokens and site keys.
    Visit(
        "admin:transcoder_apitoken_add",
        "token add, errors",
        _rev("transcoder_apitoken_add"),
        BOTH,
        save_empty,
    ),
    Visit(
        "admin:transcoder_apitoken_add",
        "token added: the key",
        _rev("transcoder_apitoken_add"),
        BOTH,
        add_token,
    ),
    Visit(
        "admin:transcoder_apitoken_changelist",
        "tokens: bulk delete",
        _rev("transcoder_apitoken_changelist"),
        SUPER,
        bulk("delete_selected"),
    ),
    Visit(
        "admin:transcoder_sitekey_add",
        "site key add, errors",
        _rev("transcoder_sitekey_add"),
        act=save_empty,
    ),
    # Users and groups.
    Visit(
        "admin:auth_user_password_change",
        "user password",
        lambda w: reverse("admin:auth_user_password_change", args=[w.users["ed_b"].pk]),
    ),
    Visit(
        "admin:auth_user_password_change",
        "user password, errors",
        lambda w: reverse("admin:auth_user_password_change", args=[w.users["ed_b"].pk]),
        act=save_empty,
    ),
    Visit(
        "admin:auth_user_add", "user add, errors", _rev("auth_user_add"), act=save_empty
    ),
    Visit(
        "admin:auth_group_add",
        "group add, errors",
        _rev("auth_group_add"),
        act=save_empty,
    ),
    Visit(
        "admin:auth_user_changelist",
        "users: bulk delete",
        _rev("auth_user_changelist"),
        act=bulk("delete_selected"),
    ),
    Visit(
        "admin:taggit_tag_changelist",
        "tags: bulk delete",
        _rev("taggit_tag_changelist"),
        act=bulk("delete_selected"),
    ),
]


def _pick(model):
    """Return world -> the object whose pages a registered model is tried on."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_tasks_db.models import DBTaskResult

    from transcoder.models import (
        ApiToken,
        Collection,
        Preset,
        SiteKey,
        UploadRefusal,
    )

    return {
        Group: lambda w: w.coll["A"].group,
        User: lambda w: w.users["ed_b"],
        AccessAttempt: lambda w: AccessAttempt.objects.order_by("pk").first(),
        AccessLog: lambda w: AccessLog.objects.order_by("pk").first(),
        AccessFailureLog: lambda w: AccessFailureLog.objects.order_by("pk").first(),
        DBTaskResult: lambda w: w.task_result,
        Tag: lambda w: Tag.objects.get(name=SECRETS["A"]["tag"]),
        Collection: lambda w: w.coll["A"],
        SiteKey: lambda w: w.site_key,
        ApiToken: lambda w: w.tokens["write_a"],
        UploadRefusal: lambda w: w.refusal["A"],
        Preset: lambda w: Preset.objects.get(slug="thumb"),
    }.get(model)


# Pages of a registered model an editor of A opens (the rest are superusers').
EDITOR_MODELS = {"transcoder.apitoken", "transcoder.uploadrefusal"}
# Django's pages nobody may open here: they answer 403 to everyone.
REFUSED = {
    "axes_accessattempt_add",
    "axes_accesslog_add",
    "axes_accessfailurelog_add",
    "django_tasks_database_dbtaskresult_add",
    "django_tasks_database_dbtaskresult_delete",
    "transcoder_uploadrefusal_add",
    "transcoder_uploadrefusal_delete",
}


def model_visits():
    """Return the changelist, add, change, delete and history visits of every
    registered model besides images and the Trash."""
    from django.contrib import admin

    found = []
    for model in admin.site._registry:
        pick = _pick(model)
        meta = model._meta
        if pick is None:
            continue
        who = BOTH if meta.label_lower in EDITOR_MODELS else SUPER
        base = f"{meta.app_label}_{meta.model_name}_"
        for view in ("changelist", "add", "change", "delete", "history"):
            if base + view in REFUSED:
                continue
            args = [] if view in ("changelist", "add") else [pick]
            found.append(
                Visit(
                    f"admin:{base}{view}",
                    f"{meta.verbose_name} {view}",
                    lambda w, n=base + view, a=tuple(args): reverse(
                        f"admin:{n}", args=[x(w).pk for x in a]
                    ),
                    who,
                    key_page=(view == "change" and model.__name__ == "Collection"),
                )
            )
    return found


# Patterns that are no page to check, with why.
EXCLUDED = {
    "/": "redirects to /admin/",
    "admin:autocomplete": "JSON for autocomplete widgets (none is configured)",
    "admin:jsi18n": "JavaScript: the admin's translation catalogue",
    "admin:view_on_site": "redirects to the object's page (checked itself)",
    f"admin:{ASSET}upload_file": "POST only, answers JSON to upload.js",
    f"admin:{ASSET}upload_presign": "POST only, answers JSON (direct uploads)",
    f"admin:{ASSET}upload_finalize": "POST only, answers JSON (direct uploads)",
    f"admin:{ASSET}original": "a download: the original file",
    f"admin:{ASSET}status": "JSON polled by status.js",
    f"admin:{ASSET}tags": "JSON: tag suggestions for tags.js",
    f"admin:{ASSET}gallery": "an HTML fragment of the image page (checked there)",
    f"admin:{ASSET}quick": "an HTML fragment: the quick panel (checked in the grid)",
    f"admin:{ASSET}restore": "POST only, redirects to the image page",
    f"admin:{ASSET}regenerate": "POST only, redirects to the image page",
    "admin:transcoder_preset_preview": "POST only, JSON for the preview (checked "
    "in the preset page)",
    "admin:transcoder_preset_preview_change": "POST only, JSON for the preview "
    "(checked in the preset page)",
    "transcoder:serve": "image bytes",
    "transcoder:embed": "redirects to image bytes",
    **{
        f"admin:{name}": "answers 403 to everyone: the ModelAdmin allows it to nobody"
        for name in REFUSED
    },
}


def excluded(key):
    """Return why the pattern ``key`` is no page to check, or None."""
    if key in EXCLUDED:
        return EXCLUDED[key]
    if key.startswith("transcoder:api-") or key.startswith("/^api/"):
        return "the JSON API"
    if key.startswith("/admin/") and key.endswith("/<path:object_id>/"):
        return "redirects to the object's change page"
    return None


def all_visits():
    return VISITS + model_visits()
