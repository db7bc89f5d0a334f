"""Direct uploads: the server-made key, the accepted content types and the
presigned POST a browser or API client posts one file to.

Used by the admin's upload page (``transcoder.admin.images.uploads``) and the
API's upload endpoints; the object posted is treated as untrusted until
``services.asset_finalize_upload`` has checked it.
"""

import re

from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.utils.translation import gettext as _

from transcoder import services
from transcoder.conf import image_limits, setting
from transcoder.i18n import worded
from transcoder.imaging.decode import sniff
from transcoder.imaging.limits import FileTooLargeError, check_size
from transcoder.storage import keys
from transcoder.web import params

# Browsers often send no type for HEIC/HEIF; the extension is all they give us.
_TYPE_BY_EXTENSION = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "avif": "image/avif",
    "gif": "image/gif",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "heic": "image/heic",
    "heif": "image/heif",
}
_IMAGE_TYPE = re.compile(r"^image/[a-z0-9][a-z0-9.+-]{0,60}$")
# Every type a browser or client names the formats mediahub reads with; any
# other image type (SVG, BMP, ICO, PSD...) is refused when the upload is asked
# for, not only once the bytes are sniffed at finalize.
ACCEPTED_TYPES = frozenset(_TYPE_BY_EXTENSION.values()) | {
    "image/jpg",
    "image/pjpeg",
    "image/apng",
    "image/x-png",
    "image/heic-sequence",
    "image/heif-sequence",
}
# Image types of kinds the sniffer refuses by name.
_REFUSED_TYPES = {
    "image/svg+xml": "svg",
    "image/bmp": "bmp",
    "image/x-ms-bmp": "bmp",
    "image/x-icon": "ico",
    "image/vnd.microsoft.icon": "ico",
    "image/vnd.adobe.photoshop": "psd",
}
_UNTYPED = {"", "application/octet-stream"}


class DirectUploadError(ValidationError):
    """The browser asked to upload a file mediahub will not accept."""


def upload_key_new(*, user, collection=None, asset=None):
    """Return a fresh upload key for ``user``; nothing of the file name in it.

    For a new image in ``collection`` (MEDIAHUB_DEFAULT_COLLECTION when
    neither is given), or for a new file of ``asset``. The caller has checked
    that ``user`` may add there or change it; every finalize checks again.
    """
    if collection is None and asset is None:
        collection = services.collection_default()
    return keys.upload_key_mint(user=user, collection=collection, asset=asset)


def upload_content_type(*, content_type, filename=""):
    """Return the image type the POST policy requires, or raise DirectUploadError."""
    declared = (content_type or "").strip().lower()
    if declared in ACCEPTED_TYPES:
        return declared
    if declared in _REFUSED_TYPES:
        # Said as the sniffer says it of the bytes: "This file is an SVG drawing".
        raise DirectUploadError(worded(sniff.refusal_message(_REFUSED_TYPES[declared])))
    if _IMAGE_TYPE.fullmatch(declared):
        raise DirectUploadError(
            _("mediahub does not take %(type)s files; upload a %(formats)s image.")
            % {"type": declared, "formats": worded(sniff.accepted_message())}
        )
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if declared in _UNTYPED and extension in _TYPE_BY_EXTENSION:
        return _TYPE_BY_EXTENSION[extension]
    if declared in _UNTYPED:
        raise DirectUploadError(
            _("The type of this file is unknown; upload a %(formats)s image.")
            % {"formats": worded(sniff.accepted_message())}
        )
    raise DirectUploadError(
        _("This file is not an image (%(type)s); upload a %(formats)s image.")
        % {"type": declared, "formats": worded(sniff.accepted_message())}
    )


def _check_size(size):
    if size in (None, ""):
        return
    if isinstance(size, int) and not isinstance(size, bool):
        size = str(size)
    try:
        size = params.integer(size, name="size", low=0, high=10**15)
    except params.ParamError:
        raise DirectUploadError(_("The file size is not a number.")) from None
    if size <= 0:
        raise DirectUploadError(_("The file is empty."))
    try:
        check_size(size, image_limits())
    except FileTooLargeError as e:
        raise DirectUploadError(worded(e)) from None


def upload_presign(
    *, user, content_type, filename="", size=None, collection=None, asset=None
):
    """Return ``{url, fields, key}``: a presigned POST for exactly one new key.

    The key is minted for ``user`` and its purpose (see ``upload_key_new``):
    only they may finalize it, and only for that.

    The policy bounds the size to 1..MEDIAHUB_MAX_UPLOAD_BYTES, requires an
    ``image/`` content type and expires after MEDIAHUB_UPLOAD_URL_TTL seconds.
    S3 enforces it; the server still checks the object at finalize.
    """
    _check_size(size)
    image_type = upload_content_type(content_type=content_type, filename=filename)
    storage = storages["default"]
    key = upload_key_new(user=user, collection=collection, asset=asset)
    fields = {"Content-Type": image_type, "success_action_status": "201"}
    post = storage.connection.meta.client.generate_presigned_post(
        Bucket=storage.bucket_name,
        Key=key,
        Fields=fields,
        Conditions=[
            ["content-length-range", 1, setting("MAX_UPLOAD_BYTES")],
            ["starts-with", "$Content-Type", "image/"],
            {"success_action_status": "201"},
        ],
        ExpiresIn=setting("UPLOAD_URL_TTL"),
    )
    return {"url": post["url"], "fields": post["fields"], "key": key}


def upload_cors_rules(origins):
    """Return the bucket CORS rules that let pages on ``origins`` POST uploads."""
    return [
        {
            "AllowedOrigins": list(origins),
            "AllowedMethods": ["POST"],
            "AllowedHeaders": ["*"],
            "ExposeHeaders": ["ETag", "Location"],
            "MaxAgeSeconds": 3000,
        }
    ]


def presigned_post(*, key, content_type, max_bytes):
    """Return ``{url, fields}``: a presigned POST of exactly ``key``, one type
    and at most ``max_bytes`` (the upload widget's, whose key is not minted
    here). S3 enforces it; the server still checks the object at finalize.
    """
    storage = storages["default"]
    fields = {"Content-Type": content_type, "success_action_status": "201"}
    post = storage.connection.meta.client.generate_presigned_post(
        Bucket=storage.bucket_name,
        Key=key,
        Fields=fields,
        Conditions=[
            ["content-length-range", 1, max_bytes],
            {"Content-Type": content_type},
            {"success_action_status": "201"},
        ],
        ExpiresIn=setting("UPLOAD_URL_TTL"),
    )
    return {"url": post["url"], "fields": post["fields"]}
