"""Small JSON views of the asset admin: live status, and the gallery fragment.

Each is wrapped in ``admin_site.admin_view`` (login, CSRF) by AssetAdmin and
checks the ModelAdmin's own permissions.
"""

import uuid

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from transcoder import permissions, selectors, services
from transcoder.admin import previews
from transcoder.admin.images import gallery
from transcoder.admin.shell.forms import PresetForm
from transcoder.models import Job, Preset
from transcoder.status import asset_states

# One poll covers a page of the list or an upload batch; more is refused.
MAX_IDS = 100


def _uuids(raw):
    """Return the distinct UUIDs in a comma-separated string, or raise ValueError."""
    values = [v for v in raw.split(",") if v]
    if len(values) > MAX_IDS:
        raise ValueError(_("Ask for at most %(max)s ids at once.") % {"max": MAX_IDS})
    return list(dict.fromkeys(str(uuid.UUID(v)) for v in values))


@require_GET
def status_view(request, *, model_admin):
    """Answer ``?ids=<asset ids>&jobs=<job ids>`` with their states."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    try:
        ids = _uuids(request.GET.get("ids", ""))
        job_ids = _uuids(request.GET.get("jobs", ""))
    except ValueError as e:
        return JsonResponse({"error": str(e) or _("Malformed id.")}, status=400)
    # Ids of assets the user may not see are answered as if they did not exist.
    ids = [
        str(pk)
        for pk in permissions.assets(request.user)
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    ]
    return JsonResponse(
        {
            "assets": asset_states(asset_ids=ids) if ids else {},
            "jobs": job_progress(user=request.user, job_ids=job_ids),
        },
        headers={"Cache-Control": "no-store"},
    )


def job_progress(*, user, job_ids):
    """Return ``{job id: progress}`` of the jobs ``user`` started.

    A superuser is told of every job. Anyone else's job, or one started by
    the system, is left out: the same answer as an id that does not exist.
    Counts are within what ``user`` may view (services.job_progress).
    """
    if not job_ids:
        return {}
    jobs = Job.objects.filter(pk__in=job_ids).defer("asset_ids", "params")
    if not user.is_superuser:
        jobs = jobs.filter(created_by=user)
    # asset_ids is deferred: whether a job is over every asset is asked
    # of the database, not by loading a selection of up to every id.
    every_asset = ExpressionWrapper(
        Q(asset_ids__isnull=True), output_field=BooleanField()
    )
    jobs = list(jobs.annotate(every_asset=every_asset))
    visible = selectors.view_reach(user) if any(j.every_asset for j in jobs) else None
    return {
        str(j.pk): services.job_progress(
            job=j, visible=visible if j.every_asset else None
        )
        for j in jobs
    }


@require_GET
def gallery_view(request, object_id, *, model_admin):
    """Return the asset page's rendition gallery alone, for it to refresh in place."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    # An asset of a collection this user may not see is as good as missing.
    asset = permissions.visible_asset(request.user, object_id)
    if asset is None:
        raise Http404(_("No such asset."))
    return HttpResponse(
        gallery.render_gallery(asset=asset, origin=request_origin(request)),
        headers={"Cache-Control": "no-store"},
    )


def request_origin(request):
    """Return ``scheme://host`` of the request, for links pasted into other sites."""
    return f"{request.scheme}://{request.get_host()}"


@require_POST
def preset_preview_view(request, object_id=None, *, model_admin):
    """Say what saving the posted preset form would do, without saving it.

    Without ``sample`` it answers the counts and up to three sample asset ids;
    with ``sample=<asset id>`` the before and after of that asset, rendered now
    from a reduced copy and not stored.
    """
    saved = previews.saved_preset(object_id)
    if object_id and saved is None:
        return JsonResponse({"error": _("No such preset.")}, status=404)
    allowed = (
        model_admin.has_change_permission(request, saved)
        if saved
        else model_admin.has_add_permission(request)
    )
    if not allowed:
        raise PermissionDenied
    instance = previews.saved_preset(object_id) or Preset()
    form = PresetForm(request.POST, instance=instance)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    preset = form.save(commit=False)
    sample = request.POST.get("sample")
    if not sample:
        return JsonResponse(
            previews.preset_change_summary(
                preset=preset,
                saved=saved,
                visible=selectors.view_reach(request.user),
            )
        )
    # As the asset admin decides: the policy says which assets show.
    if not permissions.may(request.user, "view"):
        raise PermissionDenied
    try:
        asset = permissions.visible_asset(request.user, uuid.UUID(sample))
    except ValueError:
        asset = None
    if asset is None:
        return JsonResponse({"error": _("No such asset.")}, status=404)
    return JsonResponse(previews.preset_sample(preset=preset, asset=asset))
