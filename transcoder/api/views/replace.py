"""Replace an image's file through the API, keeping its id, texts and embed links."""

from django.core.exceptions import ValidationError
from django.http import JsonResponse

from transcoder import permissions
from transcoder.api.core.auth import endpoint
from transcoder.api.core.bodies import json_body, text_field
from transcoder.api.core.errors import ApiError
from transcoder.api.representation import asset_json
from transcoder.api.views.assets import _asset_or_error, token_assets
from transcoder.api.views.uploads import (
    token_owner,
    upload_api_error,
    upload_key_or_error,
)
from transcoder.services import asset_replace_upload


def _replace(request, asset_id, *, token):
    """Make an upload asked for with ``replace`` (from /api/uploads/) the image's
    new file.

    The token's creator must still be active and allowed to change the image
    (404 when they may not even view it, 403 when they may only view it), and
    the key must have been minted for them to replace this very image.
    """
    owner = token_owner(token)
    asset = _asset_or_error(asset_id, token_assets(token, "view"))
    if not permissions.may(owner, "change", asset):
        raise ApiError(403, "This token's owner may not change this image.")
    body = json_body(request)
    upload = upload_key_or_error(text_field(body, "key", default=None), owner)
    if not upload.is_replace or upload.asset_id != asset.pk:
        raise ApiError(
            409,
            "This upload was not started to replace this image; ask /api/uploads/ "
            f'with "replace": "{asset.pk}".',
        )
    try:
        asset_replace_upload(
            key=upload.key,
            uploaded_by=owner,
            asset_id=asset.pk,
            filename=text_field(body, "filename"),
        )
    except ValidationError as e:
        raise upload_api_error(e) from None
    return JsonResponse(asset_json(request, token_assets(token).get(pk=asset.pk)))


asset_replace = endpoint(POST=("write", _replace))
