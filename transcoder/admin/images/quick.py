"""Quick edit beside the grid, the asset page's collection picker, one-image rebuild.

The grid's details panel (quick.js) loads ``quick_view`` as an HTML fragment
and posts its fields back to the same URL, which answers in JSON. Validation
lives in ``QuickEditForm``; every write goes through services; the policy
(transcoder.permissions) decides who may view, change, and move where. Saving
does no image work: text and tags are rows, a move is one UPDATE.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_POST

from transcoder import permissions, selectors, services
from transcoder.admin.images import gallery
from transcoder.admin.shell import html
from transcoder.admin.shell.forms import AssetChangeForm
from transcoder.admin.shell.views import request_origin
from transcoder.conf import setting
from transcoder.delivery import serving
from transcoder.models import Collection, collection_at, root_collection


class CollectionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.label


def collection_choices(user, asset):
    """Return the collections ``asset`` may go to: where ``user`` may add, and
    where it is now (staying is no move)."""
    allowed = permissions.collections(user, "add").values("pk")
    return Collection.objects.filter(
        Q(pk__in=allowed) | Q(pk=asset.collection_id)
    ).order_by("path")


def _collection_field(user, asset, **kwargs):
    return CollectionChoiceField(
        queryset=collection_choices(user, asset),
        required=False,
        empty_label=None,
        label=gettext_lazy("Collection"),
        help_text=gettext_lazy("Only collections you may add images to."),
        **kwargs,
    )


class QuickEditForm(forms.Form):
    """The panel's fields. Only those posted change: a save on blur sends one."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=255, required=False)
    alt_text = forms.CharField(
        label=gettext_lazy("Alt text"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Describe the image for people who cannot see it."),
    )
    caption = forms.CharField(
        label=gettext_lazy("Caption"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    credit = forms.CharField(
        label=gettext_lazy("Credit"), max_length=255, required=False
    )
    tags = forms.CharField(
        label=gettext_lazy("Tags"),
        max_length=1000,
        required=False,
        help_text=gettext_lazy('Separate tags with commas: beach, "sea view".'),
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-tags-input": ""}),
    )

    def __init__(self, *args, user, asset, **kwargs):
        super().__init__(*args, **kwargs)
        self.asset = asset
        self.fields["collection"] = _collection_field(user, asset)
        for name, field in self.fields.items():
            field.widget.attrs["id"] = f"mh-quick-{name}"

    def clean_tags(self):
        try:
            return services.tags_parse(self.cleaned_data["tags"])
        except services.TagError as e:
            raise forms.ValidationError(str(e)) from e

    def posted(self):
        """Return the names of the fields the request sent."""
        return [name for name in self.fields if name in self.data]


def _tag_text(names):
    return ", ".join(f'"{n}"' if " " in n else n for n in names)


def _initial(asset):
    return {
        "title": asset.title,
        "alt_text": asset.alt_text,
        "caption": asset.caption,
        "credit": asset.credit,
        "tags": _tag_text(selectors.tag_names(asset)),
        "collection": asset.collection_id,
    }


def _asset_json(asset):
    asset.refresh_from_db()
    names = sorted(asset.tags.names(), key=str.lower)
    return {
        **_initial(asset),
        "tags": _tag_text(names),
        "tag_names": names,
        "collection_name": asset.collection.name,
        "id": str(asset.pk),
        "label": str(asset),
    }


def quick_save(*, asset, form, user):
    """Write the posted fields of a valid ``form`` through services."""
    data, posted = form.cleaned_data, form.posted()
    with services.changes_batch(), transaction.atomic():
        if {"title", "alt_text", "caption", "credit"} & set(posted):
            focal = None
            if asset.focal_x is not None:
                focal = (asset.focal_x, asset.focal_y)
            services.asset_update(
                asset=asset,
                title=data["title"] if "title" in posted else asset.title,
                alt_text=data["alt_text"] if "alt_text" in posted else asset.alt_text,
                caption=data["caption"] if "caption" in posted else None,
                credit=data["credit"] if "credit" in posted else None,
                focal=focal,
            )
        if "tags" in posted:
            services.tags_set(asset=asset, names=data["tags"])
        target = data.get("collection") if "collection" in posted else None
        if target is not None and target.pk != asset.collection_id:
            # The field offers only where the user may add; asked again here.
            if not permissions.may_in(user, "add", target):
                raise PermissionDenied
            services.assets_move(asset_ids=[asset.pk], collection=target)


def _visible(request, model_admin, object_id):
    asset = model_admin.get_object(request, str(object_id))
    if asset is None:
        raise Http404(_("No such asset."))
    return asset


def quick_view(request, object_id, *, model_admin):
    """Show an asset's details panel (GET, HTML) or save its fields (POST, JSON)."""
    asset = _visible(request, model_admin, object_id)
    may_change = model_admin.has_change_permission(request, asset)
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        form = QuickEditForm(request.POST, user=request.user, asset=asset)
        if not form.is_valid():
            return JsonResponse(
                {"ok": False, "errors": form.errors.get_json_data()}, status=400
            )
        quick_save(asset=asset, form=form, user=request.user)
        return JsonResponse({"ok": True, "asset": _asset_json(asset)})
    if request.method != "GET":
        return JsonResponse({"ok": False}, status=405)
    form = QuickEditForm(initial=_initial(asset), user=request.user, asset=asset)
    if not may_change:
        for field in form.fields.values():
            field.disabled = True
    context = {
        "asset": asset,
        "form": form,
        "may_change": may_change,
        "image": _image_url(asset),
        "status": html.rendition_status(asset),
        "cards": gallery.gallery_context(asset, request_origin(request))["cards"],
    }
    return TemplateResponse(
        request,
        "admin/transcoder/asset/_quick.html",
        context,
        headers={"Cache-Control": "no-store"},
    )


def _image_url(asset):
    """Return the URL of an existing rendition to show (never building one)."""
    rendition = selectors.full_frame_rendition(asset)
    if rendition is None:
        rendition = selectors.thumbnail_from(
            list(asset.renditions.filter(superseded_at__isnull=True))
        )
    return serving.rendition_url(rendition) if rendition is not None else None


@require_POST
def regenerate_view(request, object_id, *, model_admin):
    """Rebuild one asset's renditions in the background; the message shows progress."""
    asset = _visible(request, model_admin, object_id)
    if not model_admin.has_change_permission(request, asset):
        raise PermissionDenied
    job = services.rebuild_start(
        label=gettext_noop("Regenerate renditions"),
        asset_ids=[asset.pk],
        force=True,
        user=request.user,
    )
    progress = services.job_progress(job=job)
    messages.success(request, html.rebuild_message(progress))
    return HttpResponseRedirect(asset.get_absolute_url())


# --- the asset page: a collection picker in the change form -----------------
class AssetCollectionForm(AssetChangeForm):
    """The change form with "Collection": a move, through services.assets_move."""

    move_to = CollectionChoiceField(queryset=Collection.objects.none(), required=False)


def form_for(form_class, *, user, asset):
    """Return ``form_class`` with its collection choices narrowed for ``user``."""
    if asset is None or "move_to" not in form_class.base_fields:
        return form_class

    class Narrowed(form_class):
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("initial", {})["move_to"] = asset.collection_id
            super().__init__(*args, **kwargs)
            self.fields["move_to"] = _collection_field(user, asset)

    return Narrowed


def with_collection_picker(fieldsets, *, may_change):
    """Return ``fieldsets`` with the picker first among the editor's fields."""
    if not may_change:
        return fieldsets
    (name, options), *rest = fieldsets
    options = {**options, "fields": [*options["fields"], "move_to"]}
    # The picker says where it is; the read-only line would say it twice.
    rest = [
        (n, {**o, "fields": [f for f in o["fields"] if f != "collection"]})
        for n, o in rest
    ]
    return [(name, options), *rest]


def collection_apply(*, asset, form, user):
    """Move ``asset`` where the change form's picker says, if the user may add there."""
    target = form.cleaned_data.get("move_to")
    if target is None or target.pk == asset.collection_id:
        return
    if not permissions.may_in(user, "add", target):
        raise PermissionDenied
    services.assets_move(asset_ids=[asset.pk], collection=target)
    asset.collection = target


# --- the grid: where dropped files go ------------------------------------------
def drop_target(request):
    """Return where files dropped on the list go: the collection it is filtered
    to (else the default one), and whether this user may add there.

    The page refuses a drop before sending a byte when ``may_add`` is false;
    the upload views ask the policy again for each file.
    """
    raw = request.GET.get("collection", "")
    if raw.isdigit():
        target = permissions.collections(request.user, "view").filter(pk=int(raw))
        target = target.first()
        posted = raw
    else:
        # Read, not made: the upload makes the default collection if missing,
        # below the root, so who may add at the root may add there.
        target = collection_at(setting("DEFAULT_COLLECTION")) or root_collection()
        posted = ""
    may_add = target is not None and permissions.may_in(request.user, "add", target)
    return {
        "collection": posted,
        "name": target.name if target is not None else "",
        "may_add": may_add,
        "max_bytes": setting("MAX_UPLOAD_BYTES"),
        "direct": setting("STORAGE") == "s3",
    }
