"""API v1 on assets: list, detail, edit and delete."""

from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage
from django.db import transaction
from django.http import HttpResponse, JsonResponse

from transcoder import permissions, selectors
from transcoder.api.core.auth import endpoint
from transcoder.api.core.bodies import json_body, text_field
from transcoder.api.core.errors import ApiError
from transcoder.api.edits import edit_of
from transcoder.api.representation import asset_json, asset_states, assets_for_api
from transcoder.models import Asset, DeletedAsset, TaggedAsset
from transcoder.services import (
    asset_delete,
    asset_edit,
    asset_update,
    assets_move,
    changes_batch,
    tags_set,
)
from transcoder.web import pagination, params

PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


def token_assets(token, action="view"):
    """Assets the token may ``action``: its creator's, through the policy."""
    return permissions.assets(token.created_by, action, assets_for_api())


def token_collection(token, value, action="add"):
    """Return the collection ``value`` (an id) if the token may ``action`` there."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON has one number type: 7.0 is a whole number
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ApiError(400, "collection must be a collection id (a whole number).")
    found = permissions.collections(token.created_by, action).filter(pk=value).first()
    if found is None:
        raise ApiError(
            403, "This token's owner may not use that collection, or it does not exist."
        )
    return found


def _list(request, *, token):
    """List assets newest first; filter by ``q``, ``tag``, ``collection`` and
    ``updated_since``.

    A page leaves out each asset's ``renditions`` (signed URLs) unless asked
    with ``expand=renditions``: it stays small and cheap at any page size.
    """
    page_number = params.optional_integer(request.GET, "page", low=1, high=10**9)
    page_size = params.optional_integer(
        request.GET, "page_size", low=1, high=MAX_PAGE_SIZE
    )
    expand = request.GET.get("expand")
    if expand not in (None, "renditions"):
        raise ApiError(400, "expand can only be renditions.")
    renditions = expand == "renditions"
    assets = permissions.assets(
        token.created_by, "view", assets_for_api(renditions=renditions)
    ).order_by("-created_at", "-id")
    collection = params.optional_integer(request.GET, "collection", low=1, high=10**9)
    if collection is not None:
        chosen = token_collection(token, collection, "view")
        assets = assets.filter(collection__path__startswith=chosen.path)
    query = text_field(request.GET, "q", 200).strip()
    if query:
        # The whole text, as one term: in a title, alt text, file name, tag or
        # a field read from the file's metadata.
        assets = selectors.assets_search(assets, [query])
    tag = text_field(request.GET, "tag", 100).strip()
    if tag:
        assets = assets.filter(pk__in=_tagged(name__iexact=tag))
    since = params.optional_datetime(request.GET, "updated_since")
    if since is not None:
        assets = assets.filter(updated_at__gte=since)
    cursor = request.GET.get("cursor")
    if cursor is not None:
        # A position in the list, as a page number is: one this API did not
        # give out is not found (404), as a page past the end is.
        try:
            assets = pagination.after_cursor(assets, cursor)
        except pagination.CursorError as e:
            raise ApiError(404, str(e)) from None
    # Counted up to MEDIAHUB_LIST_COUNT_LIMIT; past it count_exact is false.
    paginator = pagination.BoundedCountPaginator(assets, page_size or PAGE_SIZE)
    try:
        page = paginator.page(page_number or 1)
    except EmptyPage:
        raise ApiError(
            404,
            f"There is no page {page_number}; there are {paginator.num_pages}"
            + ("." if paginator.count_exact else " or more: follow next."),
        ) from None
    results = list(page.object_list)
    states = asset_states(results)
    # Next is a cursor just after this page's last image: as cheap at any
    # depth, and past a bounded count too. Whether there is more is asked.
    last = pagination.cursor_for(results[-1]) if results else None
    more = last is not None and pagination.after_cursor(assets, last).exists()
    return JsonResponse(
        {
            "count": paginator.count,
            "count_exact": paginator.count_exact,
            "page": page.number,
            "pages": paginator.num_pages,
            "next": _link(request, cursor=last) if more else None,
            "previous": _link(
                request,
                page=page.previous_page_number(),
                **({} if cursor is None else {"cursor": cursor}),
            )
            if page.has_previous()
            else None,
            "results": [
                asset_json(
                    request, a, renditions=renditions, state=states.get(str(a.pk))
                )
                for a in results
            ],
        }
    )


def _tagged(**lookup):
    """Ids of the assets with a tag matching ``lookup`` (a subquery: no duplicates)."""
    lookup = {f"tag__{k}": v for k, v in lookup.items()}
    return TaggedAsset.objects.filter(**lookup).values("content_object_id")


def _link(request, **changes):
    """Return this request's URL with ``page`` or ``cursor`` set (and not the other)."""
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("cursor", None)
    query.update({name: str(value) for name, value in changes.items()})
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def _asset_or_error(asset_id, queryset=None):
    asset = (queryset if queryset is not None else Asset.objects).filter(pk=asset_id)
    asset = asset.first()
    if asset is None:
        if DeletedAsset.objects.filter(pk=asset_id).exists():
            raise ApiError(410, "This image was deleted.")
        raise ApiError(404, "There is no image with this id.")
    return asset


def _detail(request, asset_id, *, token):
    asset = _asset_or_error(asset_id, token_assets(token))
    return JsonResponse(asset_json(request, asset))


EDITABLE = {"title": 255, "alt": 500}
# What the file said at upload (services.assets.metadata): text an editor may change.
METADATA_TEXT = {
    "caption": 2000,
    "creator": 255,
    "credit": 255,
    "copyright": 500,
    "camera": 255,
}


def _focal(value):
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1
            for v in value
        )
    ):
        raise ApiError(
            400, "focal_point must be [x, y] with each from 0 to 1, or null."
        )
    return (float(value[0]), float(value[1]))


MAX_TAGS = 50


def _tags(value):
    """Return the tag names of a PATCH body: a list of short texts, blanks dropped."""
    if not isinstance(value, list) or len(value) > MAX_TAGS:
        raise ApiError(400, f"tags must be a list of at most {MAX_TAGS} texts.")
    names = []
    for name in value:
        if not isinstance(name, str) or len(name) > 100 or "\x00" in name:
            raise ApiError(400, "Each tag must be text of at most 100 characters.")
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            raise ApiError(400, "Each tag must be valid Unicode text.") from None
        if name.strip():
            names.append(name.strip())
    return names


def _captured_at(value):
    """Return a PATCH body's capture date: an RFC 3339 date and time, or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(
            400, "captured_at must be a date and time such as 2026-01-31T12:00:00Z."
        )
    return params.optional_datetime({"captured_at": value}, "captured_at")


def _patch(request, asset_id, *, token):
    """Change title, alt text, decorative, tags, focal point, collection,
    what the file said (caption, creator, credit, copyright, capture date,
    camera) and the edit of the picture (api.edits).

    Fields left out keep their value; ``tags`` replaces the whole list.
    """
    asset = _asset_or_error(asset_id, token_assets(token))
    if not permissions.may(token.created_by, "change", asset):
        raise ApiError(403, "This token's owner may not change this image.")
    body = json_body(request)
    unknown = sorted(
        set(body)
        - {
            *EDITABLE,
            *METADATA_TEXT,
            "captured_at",
            "focal_point",
            "collection",
            "decorative",
            "tags",
            "edit",
        }
    )
    if unknown:
        raise ApiError(400, f"These fields cannot be changed: {', '.join(unknown)}.")
    for name, limit in EDITABLE.items():
        if name in body:
            text_field(body, name, limit)
    for name, limit in METADATA_TEXT.items():
        if name in body:
            setattr(asset, name, text_field(body, name, limit).strip())
    if "captured_at" in body:
        asset.captured_at = _captured_at(body["captured_at"])
    focal = _focal(body["focal_point"]) if "focal_point" in body else asset.focal
    target = None
    if "collection" in body:
        target = token_collection(token, body["collection"])
    tags = _tags(body["tags"]) if "tags" in body else None
    if "decorative" in body:
        if not isinstance(body["decorative"], bool):
            raise ApiError(400, "decorative must be true or false.")
        asset.decorative = body["decorative"]
    recipe = edit_of(body["edit"], asset) if "edit" in body else None
    try:
        # One PATCH is one change (services.outbox.changes), whatever it touched.
        with changes_batch(), transaction.atomic():
            if recipe is not None and asset_edit(asset=asset, recipe=recipe):
                # The focal point followed the edit; one given here is of
                # the edited picture.
                if "focal_point" not in body:
                    focal = asset.focal
            asset_update(
                asset=asset,
                title=body.get("title", asset.title),
                alt_text=body.get("alt", asset.alt_text),
                focal=focal,
                # Any focal_point, even null, is the editor's decision.
                focal_decided=True if "focal_point" in body else None,
            )
            if tags is not None:
                tags_set(asset=asset, names=tags)
            if target is not None:
                assets_move(asset_ids=[asset.pk], collection=target)
    except ValidationError as e:
        raise ApiError(400, " ".join(e.messages)) from None
    return _detail(request, asset_id, token=token)


def _delete(request, asset_id, *, token):
    """Move an asset to the Trash; deleting it again answers the same.

    It stays restorable in the admin's Trash for MEDIAHUB_TRASH_DAYS. Until
    then the API answers 404 for it, as for an id it never had: a trashed
    image may come back, so it is not "Gone" (410 is kept for an erased one).
    """
    asset = token_assets(token).filter(pk=asset_id).first()
    if asset is None:
        owner = token.created_by
        trashed = permissions.trashed_assets(owner).filter(pk=asset_id).exists()
        if trashed or DeletedAsset.objects.filter(pk=asset_id).exists():
            return HttpResponse(status=204)
        raise ApiError(404, "There is no image with this id.")
    if not permissions.may(token.created_by, "delete", asset):
        raise ApiError(403, "This token's owner may not delete this image.")
    asset_delete(asset=asset, by=token.created_by)
    return HttpResponse(status=204)


LIST_PARAMETERS = {
    "q",
    "tag",
    "collection",
    "updated_since",
    "page",
    "page_size",
    "cursor",
    "expand",
}
asset_list = endpoint(GET=("read", _list, LIST_PARAMETERS), publishable_reads=True)
asset_detail = endpoint(
    GET=("read", _detail),
    PATCH=("write", _patch),
    DELETE=("write", _delete),
    publishable_reads=True,
)
