"""Replace an image's file through the API, keeping its id, texts and embed links."""

from django.core.exceptions import ValidationError
from django.http import JsonResponse

from transcoder import keys
from transcoder.api.auth import endpoint
from transcoder.api.errors import ApiError
from transcoder.api.representation import asset_json, assets_for_api
from transcoder.api.views import _asset_or_error, json_body, text_field
from transcoder.services import (
    UploadNotFoundError,
    UploadOwnerError,
    asset_replace_upload,
)


def _replace(request, asset_id, *, token):
    """Make an upload (from /api/uploads/) the image's new file."""
    asset = _asset_or_error(asset_id)
    body = json_body(request)
    key = text_field(body, "key", default=None)
    if not keys.is_minted_upload_key(key):
        raise ApiError(400, "key must be the key /api/uploads/ answered with.")
    try:
        asset_replace_upload(
            asset=asset,
            key=key,
            uploaded_by=token.created_by,
            filename=text_field(body, "filename"),
        )
    except UploadNotFoundError as e:
        raise ApiError(404, " ".join(e.messages)) from None
    except UploadOwnerError as e:
        raise ApiError(403, " ".join(e.messages)) from None
    except ValidationError as e:
        raise ApiError(400, " ".join(e.messages)) from None
    return JsonResponse(asset_json(request, assets_for_api().get(pk=asset.pk)))


asset_replace = endpoint(POST=("write", _replace))
