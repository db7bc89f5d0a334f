"""Admin pieces of the library: versions, look-alikes, usage, replace and restore.

The change page shows three panels (template includes under
templates/admin/transcoder/asset/); the replace and restore views write
through services and need the change permission on the asset.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from transcoder import selectors, services
from transcoder.models import AssetVersion, Rendition
from transcoder.services.access import usage
from transcoder.services.library import duplicates

SIMILAR_SHOWN = 12


class NearDuplicateFilter(admin.SimpleListFilter):
    """Assets with look-alikes the user may see.

    With the whole library in reach, one indexed comparison on the kept
    count. A user limited to some collections gets look-alikes within them
    only (a condition on the kept pairs): otherwise a probe upload would tell
    that a similar image exists in a collection they cannot see.
    """

    title = gettext_lazy("near duplicates")
    parameter_name = "near_duplicates"

    def lookups(self, request, model_admin):
        return [("yes", _("Has near duplicates")), ("no", _("Has none"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value not in ("yes", "no"):
            return queryset
        visible = selectors.view_reach(request.user)
        if visible is None:
            if value == "yes":
                return queryset.filter(near_duplicates__gt=0)
            return queryset.filter(near_duplicates=0)
        if value == "yes":
            return duplicates.lookalikes_within(queryset, assets=visible)
        return duplicates.lookalikes_none_within(queryset, assets=visible)


class ReplaceForm(forms.Form):
    file = forms.ImageField(
        label=gettext_lazy("New file"),
        help_text=gettext_lazy(
            "The title, alt text, focal point and embed links stay; "
            "the current file is kept as a version you can restore."
        ),
    )


def change_context(*, asset, visible=None):
    """Return the context of the versions, similar images and usage panels."""
    # The kept count is library-wide: at 0 nothing anywhere looks alike and
    # the kept pairs are not read.
    similar = []
    if asset.near_duplicates:
        similar = services.near_duplicates(asset=asset, assets=visible)
    return {
        "mh_versions": list(asset.versions.select_related("uploaded_by")),
        "mh_similar": similar[:SIMILAR_SHOWN],
        "mh_usage": usage.usage_summary(asset_ids=[asset.pk]),
        "mh_usage_days": usage.WINDOW_DAYS,
    }


def asset_delete_context(*, asset):
    """Return the usage warning of an asset's delete confirmation."""
    return {
        "mh_usage": usage.usage_summary(asset_ids=[asset.pk]),
        "mh_usage_days": usage.WINDOW_DAYS,
    }


def preset_delete_context(*, preset, visible=None):
    """Return the usage warning of a preset's delete confirmation.

    Summed over the assets that have renditions of the preset, within
    ``visible`` (the assets the editor may view; None: all), as one grouped
    query with a subquery, whatever the library's size.
    """
    # A join ignores the default manager: the Trash is left out here.
    assets = Rendition.objects.filter(
        preset=preset, asset__trashed_at__isnull=True
    ).values("asset_id")
    if visible is not None:
        assets = assets.filter(asset__in=visible.values("pk"))
    return {
        "mh_usage": usage.usage_summary(asset_ids=assets),
        "mh_usage_days": usage.WINDOW_DAYS,
        "mh_usage_partial": visible is not None,
    }


def _changeable(request, model_admin, object_id):
    asset = model_admin.get_object(request, str(object_id))
    if asset is None:
        raise Http404(_("No such asset."))
    if not model_admin.has_change_permission(request, asset):
        raise PermissionDenied
    return asset


def replace_view(request, object_id, *, model_admin):
    """Upload a new file for an asset; everything else about it stays."""
    asset = _changeable(request, model_admin, object_id)
    form = ReplaceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            services.asset_replace(
                asset=asset,
                content=upload,
                filename=upload.name,
                uploaded_by=request.user,
            )
        except services.AssetRefusedError as e:
            form.add_error("file", e.messages[0])
        else:
            messages.success(
                request,
                _(
                    "The file was replaced; the renditions are being rebuilt and "
                    "the earlier file is listed under Versions."
                ),
            )
            return HttpResponseRedirect(asset.get_absolute_url())
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Replace the file of %(title)s") % {"title": asset},
        "original": asset,
        "form": form,
    }
    return TemplateResponse(request, "admin/transcoder/asset/replace.html", context)


@require_POST
def restore_view(request, object_id, version_id, *, model_admin):
    """Make an earlier file current again, in one click."""
    asset = _changeable(request, model_admin, object_id)
    version = get_object_or_404(AssetVersion, pk=version_id, asset_id=asset.pk)
    services.asset_version_restore(version=version)
    messages.success(
        request,
        _("The earlier file is current again; the renditions are being rebuilt."),
    )
    return HttpResponseRedirect(asset.get_absolute_url())
