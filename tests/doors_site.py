"""Rows of the door table: the admin site, the other ModelAdmins, public links."""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from taggit.models import Tag

from tests.doors import (
    Probe,
    Row,
    content_type_id,
    redirects_to,
    rendition_url,
)
from tests.doors_asset import ASSET_ROWS
from tests.doors_refusals import REFUSAL_ROWS
from tests.doors_tokens import TOKEN_ROWS
from tests.doors_trash import TRASH_ROWS
from tests.doors_widget import WIDGET_ADMIN_ROWS
from tests.personas import SECRETS, may
from transcoder.models import (
    Asset,
    Collection,
    Preset,
    SiteKey,
    UploadWidgetKey,
    WebhookDelivery,
    WebhookEndpoint,
)


def _get(url):
    return lambda c: c.get(url() if callable(url) else url)


# Each registered model: the object its pages are tried on, and who may use
# which of its pages. A newly registered ModelAdmin has no entry, so its routes
# have no row and test_every_route_has_exactly_one_row names them.
MODELS = {
    Group: (lambda w: w.coll["A"].group, {}),
    User: (lambda w: User.objects.get(username="ed_b"), {}),
    AccessAttempt: (
        lambda w: AccessAttempt.objects.order_by("pk").first(),
        {"add": "nobody"},
    ),
    AccessLog: (lambda w: AccessLog.objects.order_by("pk").first(), {"add": "nobody"}),
    AccessFailureLog: (
        lambda w: AccessFailureLog.objects.order_by("pk").first(),
        {"add": "nobody"},
    ),
    DBTaskResult: (
        lambda w: w.task_result,
        {"add": "nobody", "delete": "nobody"},
    ),
    Tag: (lambda w: Tag.objects.get(name=SECRETS["A"]["tag"]), {}),
    Collection: (lambda w: w.coll["A"], {}),
    SiteKey: (lambda w: w.site_key, {}),
    WebhookEndpoint: (lambda w: w.webhook, {}),
    WebhookDelivery: (lambda w: w.delivery, {"add": "nobody"}),
    UploadWidgetKey: (lambda w: w.widget_key["A"], {}),
    Preset: (lambda w: Preset.objects.get(slug="thumb"), {}),
}


def _model_rows(model, obj, rules):
    """The six pages Django makes for a ModelAdmin only a superuser may use."""
    meta = model._meta
    name = f"admin:{meta.app_label}_{meta.model_name}_"

    def url(view, c):
        return reverse(name + view, args=[obj(c.world).pk])

    def shows(c, response):
        assert str(obj(c.world)) in c.body(response)

    def links(c, response):
        assert url("change", c) in c.body(response)

    rows = [
        Row(
            name + "changelist",
            [
                Probe(
                    "get",
                    _get(lambda: reverse(name + "changelist")),
                    rules.get("changelist", "super"),
                    links,
                    (None,),
                )
            ],
        ),
        Row(
            name + "add",
            [
                Probe(
                    "get",
                    _get(lambda: reverse(name + "add")),
                    rules.get("add", "super"),
                    None,
                    (None,),
                )
            ],
        ),
        Row(
            f"/admin/{meta.app_label}/{meta.model_name}/<path:object_id>/",
            [
                Probe(
                    "get",
                    lambda c: c.get(reverse(name + "changelist") + "1/"),
                    "staff",
                    redirects_to("/1/change/"),
                    (None,),
                    status=(301, 302),
                )
            ],
        ),
    ]
    for view in ("history", "delete", "change"):
        rows.append(
            Row(
                name + view,
                [
                    Probe(
                        "get",
                        lambda c, view=view: c.get(url(view, c)),
                        rules.get(view, "super"),
                        shows,
                        (None,),
                    )
                ],
            )
        )
    return rows


def _preset_form(**extra):
    return {
        "name": "Door preset",
        "slug": "door",
        "fit": "contain",
        "width": 200,
        "height": 200,
        "widths": "",
        "formats": ["jpeg"],
        "quality": 80,
        "background": "#ffffff",
        "active": "on",
        **extra,
    }


def _counts_all(c, response):
    # A superuser's preview counts every asset of the library.
    assert response.json()["images"] == Asset.objects.count(), response.json()


SITE_ROWS = [
    Row(
        "/",
        [Probe("get", _get("/"), "public", redirects_to("/admin/"), (None,), (302,))],
    ),
    Row(
        "admin:index",
        [
            Probe(
                "get",
                _get("/admin/"),
                "staff",
                targets=(None,),
                # The home's recent images: exactly the ones this user may see.
                shown=lambda p: {t for t in "AB" if may(p, "view", t)},
            )
        ],
    ),
    Row(
        "admin:login",
        [Probe("get", _get("/admin/login/"), "public", None, (None,), (200, 302))],
    ),
    Row(
        "admin:logout",
        [
            Probe(
                "post",
                lambda c: c.post("/admin/logout/"),
                "staff",
                lambda c, r: c.get("/admin/").status_code == 302,
                (None,),
                method="POST",
            )
        ],
    ),
    Row(
        "admin:password_change",
        [Probe("get", _get("/admin/password_change/"), "staff", None, (None,))],
    ),
    Row(
        "admin:password_change_done",
        [Probe("get", _get("/admin/password_change/done/"), "staff", None, (None,))],
    ),
    Row(
        "admin:autocomplete",
        [
            Probe(
                "get",
                _get(
                    "/admin/autocomplete/?app_label=transcoder&model_name=asset"
                    "&field_name=collection&term=a"
                ),
                "nobody",
                targets=(None,),
            )
        ],
    ),
    Row(
        "admin:jsi18n",
        [Probe("get", _get("/admin/jsi18n/"), "staff", None, (None,))],
    ),
    # Anyone may choose the language, signed in or not: it only sets a cookie.
    Row(
        "set_language",
        [
            Probe(
                "post",
                lambda c: c.post(
                    "/i18n/setlang/", {"language": "de", "next": "/admin/"}
                ),
                "public",
                lambda c, r: (
                    r.cookies["django_language"].value == "de"
                    and r["Location"] == "/admin/"
                ),
                (None,),
                status=(302,),
                method="POST",
            )
        ],
    ),
    Row(
        "admin:view_on_site",
        [
            Probe(
                "get",
                lambda c: c.get(
                    reverse(
                        "admin:view_on_site",
                        args=[content_type_id(Asset), c.asset.pk],
                    )
                ),
                "view",
                redirects_to("/change/"),
                status=(302,),
            )
        ],
    ),
    Row(
        "admin:system_index",
        [Probe("get", _get("/admin/system/"), "super", targets=(None,))],
    ),
    Row(
        "admin:app_list",
        [Probe("get", _get("/admin/transcoder/"), "staff", targets=(None,))],
    ),
    Row(
        "/admin/(?P<url>.*)$",
        [Probe("get", _get("/admin/no-such-page/"), "nobody", targets=(None,))],
    ),
    Row(
        "admin:auth_user_password_change",
        [
            Probe(
                "get",
                lambda c: c.get(
                    reverse(
                        "admin:auth_user_password_change",
                        args=[User.objects.get(username="ed_b").pk],
                    )
                ),
                "super",
                None,
                (None,),
            )
        ],
    ),
    Row(
        "admin:transcoder_preset_preview",
        [
            Probe(
                "post",
                lambda c: c.post(
                    reverse("admin:transcoder_preset_preview"), _preset_form()
                ),
                "super",
                _counts_all,
                (None,),
                method="POST",
            )
        ],
    ),
    Row(
        "admin:transcoder_preset_preview_change",
        [
            Probe(
                "post",
                lambda c: c.post(
                    reverse(
                        "admin:transcoder_preset_preview_change",
                        args=[Preset.objects.get(slug="card").pk],
                    ),
                    _preset_form(slug="card", width=220),
                ),
                "super",
                _counts_all,
                (None,),
                method="POST",
            )
        ],
    ),
    Row(
        "transcoder:serve",
        [
            Probe(
                "signed",
                lambda c: c.get(rendition_url(c.asset)),
                "public",
                lambda c, r: len(c.raw(r)) > 100,
            ),
            Probe(
                "unsigned",
                lambda c: c.get(rendition_url(c.asset).split("?")[0]),
                "nobody",
            ),
        ],
    ),
    Row(
        "GET /e/{asset_id}/{preset}/",
        [
            Probe(
                "get",
                lambda c: c.get(f"/e/{c.asset.pk}/card/"),
                "public",
                lambda c, r: r["Location"].startswith(
                    f"/media/renditions/{c.asset.pk}/"
                ),
                status=(302,),
            )
        ],
    ),
    Row(
        "/^e/",
        [
            Probe(
                "get",
                lambda c: c.get("/e/not-an-image/"),
                "nobody",
                targets=(None,),
            )
        ],
    ),
]

for _model, (_obj, _rules) in MODELS.items():
    SITE_ROWS += _model_rows(_model, _obj, _rules)
SITE_ROWS += TOKEN_ROWS
SITE_ROWS += REFUSAL_ROWS
SITE_ROWS += WIDGET_ADMIN_ROWS
SITE_ROWS += TRASH_ROWS
ADMIN_ROWS = ASSET_ROWS + SITE_ROWS
