"""Uploads through the API: ask for an upload, send the bytes, then finalize.

On S3 the upload is a presigned POST straight to the bucket
(``presign.upload_presign``). On the embedded default it is a one-time signed
URL under /api/uploads/ that takes the bytes with a token-authenticated PUT;
it is bound to the token that asked for it and expires with
MEDIAHUB_UPLOAD_URL_TTL. Either way the key is minted for the token's creator
and one purpose, a new image in a collection or (with ``replace``) a new file
for an image, and only that is ever made of it; the finalize call (or
/api/assets/<id>/replace/) treats the object as untrusted
(``services.asset_finalize_upload``, ``services.asset_replace_upload``).
"""

import re
import tempfile
import uuid

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import storages
from django.http import JsonResponse
from django.urls import reverse

from transcoder import permissions
from transcoder.api.core.auth import endpoint
from transcoder.api.core.bodies import json_body, text_field
from transcoder.api.core.errors import ApiError
from transcoder.api.representation import asset_json, assets_for_api
from transcoder.api.views.assets import (
    _asset_or_error,
    token_assets,
    token_collection,
)
from transcoder.conf import setting
from transcoder.delivery import presign
from transcoder.models import Asset, UploadRefusal
from transcoder.services import (
    AssetRefusedError,
    DuplicateAssetError,
    UploadNotFoundError,
    UploadOwnerError,
    UploadPurposeError,
    UploadStateError,
    asset_finalize_upload,
    collection_default,
)
from transcoder.storage import keys
from transcoder.web import params

_SALT = "mediahub.api-upload"
# The API asks for the type the presigned POST policy needs, in this one form.
IMAGE_TYPE = re.compile(r"^image/[a-z0-9][a-z0-9.+-]{0,60}$", re.ASCII)
_CHUNK = 1024 * 1024


def _create(request, *, token):
    """Answer with where and how to send one file."""
    body = json_body(request)
    filename = text_field(body, "filename")
    content_type = text_field(body, "content_type", 100)
    if not IMAGE_TYPE.fullmatch(content_type):
        raise ApiError(400, "content_type must be an image type such as image/jpeg.")
    size = body.get("size")
    if isinstance(size, float) and size.is_integer():
        size = int(size)  # JSON has one number type: 5396.0 is a whole number
    if "size" in body and (
        not isinstance(size, int) or isinstance(size, bool) or size < 1
    ):
        raise ApiError(400, "size must be a positive whole number of bytes.")
    if size is not None and size > setting("MAX_UPLOAD_BYTES"):
        # A declared size, not a body: the request itself is well within limits.
        raise ApiError(
            400, f"The file is larger than {setting('MAX_UPLOAD_BYTES')} bytes."
        )
    # Upload keys are minted for a user (the one every finalize checks): the
    # token's creator, and for a purpose: a new image in a collection, or a
    # new file for an image.
    owner = token_owner(token)
    target = _purpose(body, token)
    try:
        if setting("STORAGE") == "s3":
            post = presign.upload_presign(
                user=owner,
                content_type=content_type,
                filename=filename,
                size=size,
                **target,
            )
            answer = {"method": "POST", **post}
        else:
            # The type is checked here as the POST policy's would be on S3.
            presign.upload_content_type(content_type=content_type, filename=filename)
            key = presign.upload_key_new(user=owner, **target)
            signed = signing.dumps({"k": key, "t": token.pk}, salt=_SALT)
            url = reverse("transcoder:api-upload-content", args=[signed])
            answer = {
                "method": "PUT",
                "url": request.build_absolute_uri(url),
                "fields": {},
                # The path parameter of putUploadContent, for generated clients.
                "upload": signed,
                "key": key,
            }
    except ValidationError as e:
        raise ApiError(400, " ".join(e.messages)) from None
    answer["expires_in"] = setting("UPLOAD_URL_TTL")
    answer["max_bytes"] = setting("MAX_UPLOAD_BYTES")
    return JsonResponse(answer, status=201)


def token_owner(token):
    """Return the token's creator if they may still act, else raise a 403."""
    owner = token.created_by
    if owner is None:
        raise ApiError(403, "This token's owner is gone; create a new token.")
    if not owner.is_active:
        raise ApiError(403, "This token's owner is deactivated.")
    return owner


def _purpose(body, token):
    """Return what the upload is for: ``{"collection": c}`` or ``{"asset": a}``."""
    owner = token.created_by
    if "replace" in body:
        if "collection" in body:
            raise ApiError(400, "Give replace or collection, not both.")
        asset_id = text_field(body, "replace", 36)
        try:
            asset_id = uuid.UUID(asset_id)
        except ValueError:
            raise ApiError(400, "replace must be the id of an image.") from None
        asset = _asset_or_error(asset_id, token_assets(token, "view"))
        if not permissions.may(owner, "change", asset):
            raise ApiError(403, "This token's owner may not change this image.")
        return {"asset": asset}
    if "collection" in body:
        return {"collection": token_collection(token, body["collection"])}
    collection = collection_default()
    if not permissions.may_in(owner, "add", collection):
        raise ApiError(
            403,
            "This token's owner may not add to the default collection; "
            "give a collection.",
        )
    return {"collection": collection}


def signed_upload(signed, salt):
    """Return what a signed upload URL carries, or raise 403 (expired) or 404."""
    try:
        return signing.loads(signed, salt=salt, max_age=setting("UPLOAD_URL_TTL"))
    except signing.SignatureExpired:
        raise ApiError(403, "This upload URL has expired; ask for a new one.") from None
    except signing.BadSignature:
        raise ApiError(404, "There is no such upload URL.") from None


def _content(request, signed, *, token):
    """Take the bytes of one upload on the embedded default, once."""
    if setting("STORAGE") != "local":
        raise ApiError(404, "Uploads go straight to S3 here; ask /api/uploads/.")
    data = signed_upload(signed, _SALT)
    if data.get("t") != token.pk or not keys.is_minted_upload_key(data.get("k")):
        raise ApiError(403, "This upload URL belongs to another token.")
    key = data["k"]
    length = body_length(request, limit=setting("MAX_UPLOAD_BYTES"))
    storage = storages["default"]
    if (
        Asset.all_objects.filter(upload_key=key).exists()
        or UploadRefusal.objects.filter(key=key).exists()
        or storage.exists(key)
    ):
        # Once its file was sent, made an image or refused, the URL is spent.
        raise ApiError(409, "This upload URL was used already.")
    received = body_store(request, storage=storage, key=key, length=length)
    return JsonResponse({"key": key, "bytes": received}, status=201)


def body_length(request, *, limit):
    """Return the declared length of a one-time PUT's file, 1..``limit``, or raise."""
    length = params.integer(
        request.META.get("CONTENT_LENGTH") or "",
        name="Content-Length",
        low=0,
        high=10**12,
    )
    if length > limit:
        raise ApiError(413, f"The file is larger than {limit} bytes.")
    if length == 0:
        raise ApiError(400, "The file is empty.")
    return length


def body_store(request, *, storage, key, length):
    """Read exactly ``length`` bytes of the body (spooled) and store them at ``key``."""
    with tempfile.SpooledTemporaryFile(max_size=_CHUNK) as spool:
        received = 0
        while chunk := request.read(min(_CHUNK, length - received)):
            received += len(chunk)
            spool.write(chunk)
            if received >= length:
                break
        if received != length:
            raise ApiError(400, "The body is shorter than its Content-Length.")
        spool.seek(0)
        storage.save(key, File(spool, name="upload"))
    return received


def _finalize(request, *, token):
    """Make an asset of an upload; finalizing the same key again gives the same."""
    body = json_body(request)
    key = text_field(body, "key", default=None)
    owner = token_owner(token)
    upload = upload_key_or_error(key, owner)
    if upload.is_replace:
        raise ApiError(
            409,
            "This upload replaces the file of an image; send it to "
            f"/api/assets/{upload.asset_id}/replace/.",
        )
    allow_duplicate = body.get("allow_duplicate", False)
    if not isinstance(allow_duplicate, bool):
        raise ApiError(400, "allow_duplicate must be true or false.")
    chosen = body.get("collection", upload.collection_id)
    if isinstance(chosen, float) and chosen.is_integer():
        chosen = int(chosen)  # JSON Schema's integer: 384.0 is 384
    if "collection" in body and (
        isinstance(chosen, bool) or not isinstance(chosen, int)
    ):
        raise ApiError(400, "collection must be a collection's id.")
    if chosen != upload.collection_id:
        # The collection was chosen when the upload was asked for.
        raise ApiError(
            409,
            "This upload was started for another collection; give the "
            "collection when you ask /api/uploads/.",
        )
    existed = Asset.objects.filter(upload_key=key).exists()
    try:
        asset = asset_finalize_upload(
            key=key,
            filename=text_field(body, "filename"),
            uploaded_by=owner,
            allow_duplicate=allow_duplicate,
        )
    except DuplicateAssetError as e:
        # Nothing was stored and the upload is gone; the answer names the
        # image that has this file, so a client can use it (or send the file
        # again with allow_duplicate).
        existing = assets_for_api().get(pk=e.existing.pk)
        response = JsonResponse(
            {
                "error": e.messages[0],
                "status": 409,
                "asset": asset_json(request, existing),
            },
            status=409,
        )
        response["Cache-Control"] = "private, no-store"
        return response
    except ValidationError as e:
        raise upload_api_error(e) from None
    status = 200 if existed else 201
    visible = token_assets(token).filter(pk=asset.pk).first()
    if visible is None:
        # An uploader who may add here but not view: the upload is theirs and
        # done, so say so, with nothing of the image beyond its id.
        return JsonResponse(
            {
                "id": str(asset.pk),
                "collection": asset.collection_id,
                "detail": "Stored. This token's owner may add images to this "
                "collection but not view them.",
            },
            status=status,
        )
    return JsonResponse(asset_json(request, visible), status=status)


def upload_key_or_error(key, owner):
    """Return the UploadKey of ``key`` if it was minted for ``owner``, else raise."""
    if not isinstance(key, str) or not (
        keys.is_minted_upload_key(key) or keys.is_legacy_upload_key(key)
    ):
        raise ApiError(400, "key must be the key /api/uploads/ answered with.")
    try:
        upload = keys.upload_key_parse(key)
    except keys.UploadKeyError as e:
        # An altered key is nobody's, as another user's is: 403.
        status = 403 if e.code == "altered" else 400
        raise ApiError(status, " ".join(e.messages)) from None
    if upload.user_id != owner.pk:
        raise ApiError(
            403, "This upload was started by another user; upload the file again."
        )
    return upload


def upload_api_error(error):
    """Return the ApiError that answers a finalize or replace refused by a service."""
    message = " ".join(error.messages)
    if isinstance(error, UploadStateError):
        # The key is good; nothing was sent for it yet (or it expired), or
        # it was made into an image already: a conflict with its state.
        return ApiError(409, message)
    if isinstance(error, UploadNotFoundError):
        return ApiError(404, message)
    if isinstance(error, UploadOwnerError):
        return ApiError(403, message)
    if isinstance(error, AssetRefusedError):
        # The request was well formed; the file it names is not an image
        # mediahub takes (the reason says why, and it is recorded).
        return ApiError(422, message)
    if isinstance(error, UploadPurposeError):
        if error.code == "refused":
            return ApiError(403, message)
        if error.code in PURPOSE_CONFLICTS:
            # The key was minted for another purpose: the request conflicts
            # with what the upload is, not with the document.
            return ApiError(409, message)
    return ApiError(400, message)


# UploadPurposeError codes that say the key was started for another purpose.
PURPOSE_CONFLICTS = frozenset({"replace", "new", "other"})


upload_create = endpoint(POST=("write", _create))
upload_content = endpoint(PUT=("write", _content))
upload_finalize = endpoint(POST=("write", _finalize))
