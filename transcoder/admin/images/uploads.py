"""Uploads: the admin's upload page, and the views and presigned POST behind it.

On the embedded default the page posts each file through Django to
``upload_file_view``. With S3 the browser never sends the file through Django
(API Gateway caps a request at 10 MB). It asks ``presign_view`` for a
presigned POST whose policy allows one server-made key, posts the file
straight to the bucket, then calls ``finalize_view``, which treats the object
as untrusted (see ``services.asset_finalize_upload``).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from transcoder import permissions, services
from transcoder.admin.shell.forms import UploadForm
from transcoder.conf import setting
from transcoder.delivery.presign import DirectUploadError, upload_presign
from transcoder.i18n import worded
from transcoder.imaging.decode import sniff
from transcoder.storage import keys


def _refuse(message, status=400):
    return JsonResponse({"ok": False, "error": message}, status=status)


def _created(asset, request):
    body = {
        "id": str(asset.pk),
        "title": str(asset),
        "url": asset.get_absolute_url(),
    }
    # The closest look-alike the uploader may see, as exact duplicates are
    # named: one they may not see is not theirs to learn about.
    similar = services.near_duplicates(
        asset=asset, assets=permissions.assets(request.user, "view")
    )
    if similar:
        other = similar[0][0]
        body["looks_like"] = {
            "id": str(other.pk),
            "title": str(other),
            "url": other.get_absolute_url(),
        }
    return JsonResponse({"ok": True, "asset": body}, status=201)


def _duplicate(error):
    """Answer a duplicate with the asset it duplicates; the page offers "anyway"."""
    existing = error.existing
    return JsonResponse(
        {
            "ok": False,
            "duplicate": True,
            "error": error.messages[0],
            "asset": {
                "id": str(existing.pk),
                "title": str(existing),
                "url": existing.get_absolute_url(),
            },
        },
        status=409,
    )


def _allow_duplicate(request):
    return request.POST.get("allow_duplicate") == "1"


def _first_error(form):
    for errors in form.errors.values():
        return errors[0]
    return _("The upload was refused.")


def _direct_uploads_off():
    if setting("STORAGE") != "s3":
        return _refuse(_("Direct uploads need S3 storage."), status=404)
    return None


_LAST_COLLECTION = "mediahub_upload_collection"


def upload_collection(request):
    """Return the collection posted with an upload, if the user may add to it.

    Raises PermissionDenied for one they may not add to (or that does not
    exist: the same answer, so ids of other collections tell nothing). Without
    a choice, the default collection. The choice is remembered for the page.
    """
    raw = request.POST.get("collection", "")
    allowed = permissions.collections(request.user, "add")
    if raw:
        chosen = allowed.filter(pk=int(raw)).first() if raw.isdigit() else None
    else:
        chosen = services.collection_default()
        if not permissions.may_in(request.user, "add", chosen):
            chosen = None
    if chosen is None:
        raise PermissionDenied(_("You may not add images to that collection."))
    request.session[_LAST_COLLECTION] = chosen.pk
    return chosen


def _collection_choices(request):
    choices = list(permissions.collections(request.user, "add"))
    ids = {c.pk for c in choices}
    last = request.session.get(_LAST_COLLECTION)
    if last not in ids:
        default = services.collection_default()
        last = default.pk if default.pk in ids else (choices[0].pk if choices else None)
    return {"collections": choices, "collection_chosen": last}


def upload_view(request, *, model_admin):
    """Show the upload page, which sends each file to one of the views below."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    context = {
        **_collection_choices(request),
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Upload images"),
        "max_bytes": setting("MAX_UPLOAD_BYTES"),
        "accepted_formats": worded(sniff.accepted_message()),
        "direct_upload": setting("STORAGE") == "s3",
        "has_view_permission": model_admin.has_view_permission(request),
    }
    return TemplateResponse(request, "admin/transcoder/asset/upload.html", context)


@require_POST
def upload_file_view(request, *, model_admin):
    """Turn one file posted through Django into an asset, or say why not."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _refuse(_first_error(form))
    upload = form.cleaned_data["file"]
    collection = upload_collection(request)
    try:
        asset = services.asset_create(
            collection=collection,
            content=upload,
            filename=upload.name,
            title=form.cleaned_data["title"],
            alt_text=form.cleaned_data["alt_text"],
            uploaded_by=request.user,
            allow_duplicate=_allow_duplicate(request),
            visible=permissions.assets(request.user, "view"),
        )
    except services.DuplicateAssetError as e:
        return _duplicate(e)
    except services.AssetRefusedError as e:
        return _refuse(e.messages[0])
    return _created(asset, request)


@require_POST
def presign_view(request, *, model_admin):
    """Answer the upload page with a presigned POST for one file."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    if off := _direct_uploads_off():
        return off
    collection = upload_collection(request)
    try:
        post = upload_presign(
            user=request.user,
            collection=collection,
            content_type=request.POST.get("content_type", ""),
            filename=request.POST.get("filename", ""),
            size=request.POST.get("size"),
        )
    except DirectUploadError as e:
        return _refuse(e.messages[0])
    return JsonResponse(post)


@require_POST
def finalize_view(request, *, model_admin):
    """Turn the object the browser uploaded into an asset, or say why not."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    if off := _direct_uploads_off():
        return off
    key = request.POST.get("key", "")
    if not keys.is_minted_upload_key(key) and not keys.is_legacy_upload_key(key):
        # A browser only ever finalizes keys this server minted for it.
        return _refuse(_("That is not an upload key mediahub made."))
    try:
        # The key names the collection chosen when the upload started.
        asset = services.asset_finalize_upload(
            key=key,
            filename=request.POST.get("filename", "")[:255],
            uploaded_by=request.user,
            allow_duplicate=_allow_duplicate(request),
            title=request.POST.get("title", "")[:255],
            alt_text=request.POST.get("alt_text", "")[:500],
        )
    except services.DuplicateAssetError as e:
        return _duplicate(e)
    except services.UploadOwnerError as e:
        return _refuse(e.messages[0], status=403)
    except services.UploadPurposeError as e:
        return _refuse(e.messages[0], status=403 if e.code == "refused" else 400)
    except ValidationError as e:
        return _refuse(e.messages[0])
    return _created(asset, request)
