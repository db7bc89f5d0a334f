"""The asset list as a library: grid or table, tag and alt-text filters, bulk jobs.

The grid is Django's own result table laid out as cards by CSS (admin.css,
``.mh-grid``), so the action checkboxes, "select all N", sorting and the live
status badges of status.js work unchanged in both views.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET
from taggit import admin as taggit_admin  # noqa: F401 - registers first
from taggit.models import Tag

from transcoder import permissions, selectors, services
from transcoder.admin.shell import html
from transcoder.models import TaggedAsset

VIEWS = ("grid", "table")
SESSION_KEY = "mh_asset_view"


def list_view_mode(request):
    """Return "grid" (the default) or "table": the editor's remembered choice."""
    mode = request.session.get(SESSION_KEY, "grid")
    return mode if mode in VIEWS else "grid"


def remember_view_mode(request):
    """Store ``?view=`` and redirect to the same list without it, or return None.

    The parameter is not a filter (the change list would refuse it), so it is
    kept in the session and taken off the URL; every filter and search stays.
    """
    if "view" not in request.GET:
        return None
    if request.GET["view"] in VIEWS:
        request.session[SESSION_KEY] = request.GET["view"]
    params = request.GET.copy()
    del params["view"]
    query = params.urlencode()
    return HttpResponseRedirect(request.path + (f"?{query}" if query else ""))


class TagFilter(admin.SimpleListFilter):
    title = gettext_lazy("tag")
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        # The most used tags among the assets this user may see, counted
        # within them: a tag used only in another collection is not listed.
        # Any other tag works through ?tag= too.
        rows = selectors.tag_counts(request.user, limit=30)
        return [(name, f"{name} ({n})") for name, n in rows]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        # A subquery, not a join: one row per asset, whatever it matches.
        tagged = TaggedAsset.objects.filter(tag__name__iexact=self.value())
        return queryset.filter(pk__in=tagged.values("content_object_id"))


class AltTextFilter(admin.SimpleListFilter):
    title = gettext_lazy("alt text")
    parameter_name = "alt"

    def lookups(self, request, model_admin):
        return [
            # Whether an image's alt text is missing, written or not needed.
            ("missing", pgettext_lazy("alt text", "Missing")),
            ("present", pgettext_lazy("alt text", "Written")),
            ("decorative", pgettext_lazy("alt text", "Decorative")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "missing":
            return selectors.assets_missing_alt(queryset)
        if value == "present":
            return queryset.exclude(alt_text="")
        if value == "decorative":
            return queryset.filter(decorative=True)
        return queryset


class TagsForm(forms.Form):
    tags = forms.CharField(
        max_length=1000,
        required=False,
        label=gettext_lazy("Tags"),
        help_text=gettext_lazy(
            "Separate tags with commas (or press Enter after each); a tag may "
            "hold spaces: sea view."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-tags-input": ""}),
    )

    def clean_tags(self):
        try:
            names = services.tags_parse(self.cleaned_data["tags"])
        except services.TagError as e:
            raise forms.ValidationError(str(e)) from e
        if not names:
            raise forms.ValidationError(gettext("Type at least one tag."))
        return names

    def job_params(self):
        """Return what the job needs, as JSON (see ``bulk_action``)."""
        return {"tags": self.cleaned_data["tags"]}


def bulk_action(
    model_admin,
    request,
    queryset,
    *,
    action,
    title,
    form_class=None,
    params=None,
    extra_context=None,
):
    """Show the intermediate page of a bulk action, or queue its job once confirmed.

    ``form_class`` (optional) asks for the action's parameters; its
    ``job_params()`` returns them as JSON. Without one the page only confirms
    (a warning, as for delete). Nothing here touches each asset: the job stores
    the selection's ids and a task works through them in batches
    (services.background.jobs). Other actions ("move to collection") reuse this with
    their own form and a handler given to ``services.job_register``.
    ``params`` are given to the job besides the form's; ``extra_context`` to
    the page. ``title`` is an English msgid (``gettext_noop``): the page shows
    it translated, the job keeps it as its label and is worded on display.
    """
    posted = "apply" in request.POST
    form = form_class(request.POST if posted else None) if form_class else None
    if not posted or (form is not None and not form.is_valid()):
        context = {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "title": gettext(title),
            "action": request.POST.get("action", ""),
            "count": queryset.count(),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "form": form,
            "media": model_admin.media + (form.media if form else forms.Media()),
            **(_usage_context(queryset) if action == "delete" else {}),
            **(extra_context or {}),
        }
        return TemplateResponse(
            request, "admin/transcoder/asset/bulk_action.html", context
        )
    job = services.job_start(
        action=action,
        label=title,
        queryset=queryset,
        params={**(params or {}), **(form.job_params() if form else {})},
        user=request.user,
    )
    model_admin.message_user(
        request, html.bulk_message(services.job_progress(job=job)), messages.SUCCESS
    )
    return None


# Images named in the bulk delete's usage warning; the rest are counted.
USAGE_SHOWN = 10


def _usage_context(queryset):
    """Return the selected images that sites embed, for the delete warning.

    ``queryset`` is the selection within the editor's reach (the action gets
    only what they may delete), so nothing outside it is named or counted.
    """
    rows, in_use = services.usage_by_asset(
        asset_ids=queryset.values("pk"), limit=USAGE_SHOWN
    )
    titles = {
        a.pk: a
        for a in queryset.model.objects.filter(pk__in=[r["asset_id"] for r in rows])
    }
    return {
        "mh_usage_rows": [{**r, "asset": titles[r["asset_id"]]} for r in rows],
        "mh_usage_in_use": in_use,
        "mh_usage_more": in_use - len(rows),
        "mh_usage_days": services.access.usage.WINDOW_DAYS,
    }


@require_GET
def tag_suggestions_view(request, *, model_admin):
    """Answer ``?q=`` with up to 20 tag names, starting with it, of visible assets.

    Only tags on assets the user may see are suggested: a tag used only in
    another collection is not this editor's to learn about.
    """
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    prefix = request.GET.get("q", "").strip()[:100]
    visible = permissions.assets(request.user, "view").values("pk")
    used = TaggedAsset.objects.filter(content_object__in=visible).values("tag_id")
    tags = Tag.objects.filter(pk__in=used).order_by("name")
    if prefix:
        tags = tags.filter(name__istartswith=prefix)
    names = list(tags.values_list("name", flat=True)[:20])
    return JsonResponse({"tags": names}, headers={"Cache-Control": "no-store"})


# taggit's own Tag admin edits taggit.TaggedItem, which mediahub does not use
# (tags hang on TaggedAsset), and its "merge" view asks for no permission.
# Imported above so it is registered first; this one replaces it.
admin.site.unregister(Tag)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    """Tag names, each listed only to who may view an asset that has it."""

    list_display = ["name", "slug"]
    ordering = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        visible = selectors.view_reach(request.user)
        if visible is None:
            return queryset
        used = TaggedAsset.objects.filter(content_object__in=visible.values("pk"))
        return queryset.filter(pk__in=used.values("tag_id"))

    # A tag is shared by every collection: renaming or deleting one changes
    # assets the user may not see, so only a user who sees them all may.
    def has_change_permission(self, request, obj=None):
        whole = selectors.view_reach(request.user) is None
        return whole and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        whole = selectors.view_reach(request.user) is None
        return whole and super().has_delete_permission(request, obj)
