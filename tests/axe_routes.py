"""Which admin routes tests/test_browser_axe.py visits, and which it leaves out.

Every registered model's changelist, add, change, delete and history pages
are visited (tests/axe_pages.py adds the images, the Trash and the states
after actions); ``EXCLUDED`` says why each pattern left out is no page to
check.
"""

from django.contrib.auth.models import Group, User
from django.urls import reverse
from taggit.models import Tag

from tests.axe_pages import ASSET, BOTH, SUPER, VISITS, Visit
from tests.personas import SECRETS
from transcoder.models import Preset


def _pick(model):
    """Return world -> the object whose pages a registered model is tried on."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_tasks_db.models import DBTaskResult

    from transcoder.models import (
        ApiToken,
        Collection,
        PublishableKey,
        SiteKey,
        UploadRefusal,
        UploadWidgetKey,
        WebhookDelivery,
        WebhookEndpoint,
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
        PublishableKey: lambda w: w.publishable["A"],
        UploadWidgetKey: lambda w: w.widget_key["A"],
        WebhookEndpoint: lambda w: w.webhook,
        WebhookDelivery: lambda w: w.delivery,
        Preset: lambda w: Preset.objects.get(slug="thumb"),
    }.get(model)


# Pages of a registered model an editor of A opens (the rest are superusers').
EDITOR_MODELS = {
    "transcoder.apitoken",
    "transcoder.uploadrefusal",
    "transcoder.publishablekey",
}
# Django's pages nobody may open here: they answer 403 to everyone.
REFUSED = {
    "axes_accessattempt_add",
    "axes_accesslog_add",
    "axes_accessfailurelog_add",
    "django_tasks_database_dbtaskresult_add",
    "django_tasks_database_dbtaskresult_delete",
    "transcoder_uploadrefusal_add",
    "transcoder_uploadrefusal_delete",
    "transcoder_webhookdelivery_add",
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
    f"admin:{ASSET}edit": "POST only, redirects to the image page (its panel "
    "is checked there)",
    "admin:transcoder_preset_preview": "POST only, JSON for the preview (checked "
    "in the preset page)",
    "admin:transcoder_preset_preview_change": "POST only, JSON for the preview "
    "(checked in the preset page)",
    "transcoder:serve": "image bytes",
    "transcoder:embed": "redirects to image bytes",
    "/^e/": "JSON: the 404 of a path that is no embed link",
    "set_language": "POST only: sets the language cookie and redirects",
    "admin:transcoder_widgetupload_preview": "image bytes: the held upload, "
    "shown in the moderation queue (checked there)",
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
