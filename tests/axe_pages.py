"""The pages tests/test_browser_axe.py checks: every admin route, and its states.

A ``Visit`` opens one page as one persona: a URL, then optionally an action in
the page (a bulk action's intermediate page, a form sent empty to show its
errors, the quick panel opened). ``key`` names the URL pattern it covers, as
tests/test_doors.py names routes; tests/axe_routes.py adds every registered
model's own pages and says why each pattern left out is no page to check.

The world is tests/personas.py's: collections A and B, an image in each (with a
replaced version, tags and a job), tokens, a site key and refused uploads; the
test adds a trashed image. "root" is the superuser, "ed_a" the editor of A.
"""

from dataclasses import dataclass

from django.urls import reverse

from tests.axe_acts import (
    add_token,
    bulk,
    bulk_with_errors,
    describe_first,
    edit_picture,
    fill_and_save,
    login_wrong,
    logout,
    open_quick,
    preview_preset,
    quick_refused_tag,
    save_empty,
    submit,
    upload_mixed,
)
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


def _images(mode, query=""):
    """Return url(world): the image list shown as ``mode`` (kept in the session)."""
    return lambda w: reverse(f"admin:{ASSET}changelist") + f"?view={mode}{query}"


# --- the pages ---------------------------------------------------------------

ASSET = "transcoder_asset_"


def _preset():
    return Preset.objects.get(slug="thumb")


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
        "image page, edit the picture: preview, crop, refusal",
        _rev(f"{ASSET}change", _asset),
        BOTH,
        edit_picture,
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
        submit,
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
            args=[_preset().pk],
        ),
        act=preview_preset,
        key_page=True,
    ),
    Visit(
        "admin:transcoder_preset_change",
        "preset, errors",
        lambda w: reverse(
            "admin:transcoder_preset_change",
            args=[_preset().pk],
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
    Visit(
        "admin:transcoder_widgetupload_changelist",
        "moderation queue",
        _rev("transcoder_widgetupload_changelist"),
        BOTH,
        key_page=True,
    ),
]
