"""Storage keys: the one place that knows the exact shape of every key.

The server makes three kinds of key from ids and hashes only:

- ``uploads/<purpose>.<target>.u<user>.<token>.<signature>/upload``: a direct
  upload, minted for one user and one purpose (a new image in a collection,
  or a new file for an asset), all under one HMAC (``upload_key_parse``);
- ``originals/<asset id>/<content hash>.<ext>``;
- ``renditions/<asset id>/<preset slug>/<spec digest>-<width>.<ext>``.

Keys also arrive from outside: an S3 event names whatever landed under
``uploads/`` (the admin's presigned POST, or a file copied there by hand), and
the upload page's finalize call names a key. django-storages' ``clean_name``
turns ``\\`` into ``/`` and resolves ``..``, so ``uploads/..\\originals\\x`` would
reach ``originals/x``. Every key from outside is therefore checked here against
an exact shape before any storage sees it, and anything else is refused.
"""

import posixpath
import re
import secrets
import unicodedata
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _
from storages.utils import clean_name

# Asset.original and Asset.upload_key are CharField(max_length=255).
MAX_KEY_LENGTH = 255

ORIGINAL_EXTENSIONS = {
    "jpeg": "jpg",
    "png": "png",
    "webp": "webp",
    "avif": "avif",
    "gif": "gif",
    "tiff": "tif",
    "heif": "heic",
}
RENDITION_EXTENSIONS = ("jpg", "png", "webp", "avif")

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# Storage adds "_<7 letters or digits>" to a name that is taken (file_overwrite
# is off), and local storage writes ".<name>.<16 hex>.part" first.
_TAKEN = r"(?:_[A-Za-z0-9]{7})?"


def _stored(base):
    return rf"(?:{base}|\.{base}\.[0-9a-f]{{16}}\.part)"


_ORIGINAL = re.compile(
    rf"originals/{_UUID}/"
    + _stored(rf"[0-9a-f]{{16}}{_TAKEN}\.(?:{'|'.join(ORIGINAL_EXTENSIONS.values())})")
)
_RENDITION = re.compile(
    rf"renditions/{_UUID}/[A-Za-z0-9_-]{{1,50}}/"
    + _stored(
        rf"[0-9a-f]{{16}}-[1-9][0-9]{{0,4}}{_TAKEN}\.(?:"
        rf"{'|'.join(RENDITION_EXTENSIONS)})"
    )
)
# A minted key: uploads/<purpose>.<target>.u<user>.<token>.<signature>/upload,
# where the purpose is "new" (target c<collection id>) or "replace" (target
# a<asset id as 32 hex>). Ids are fixed-width digits, so no field can hold a
# "/" or a "."; token_urlsafe(24) is 32 characters; the signature is 16 bytes
# of HMAC over everything before it. At most 8+8+33+14+33+23+7 = 126 long.
_ID_DIGITS = 12
_RANDOM = r"[A-Za-z0-9_-]{32}"
_SIG = r"[A-Za-z0-9_-]{22}"
MINTED_UPLOAD_PATTERN = (
    rf"uploads/(?:new\.c[0-9]{{{_ID_DIGITS}}}|replace\.a[0-9a-f]{{32}})"
    rf"\.u[0-9]{{{_ID_DIGITS}}}\.{_RANDOM}\.{_SIG}/upload"
)
_MINTED_UPLOAD = re.compile(
    rf"uploads/(?P<body>(?:new\.c(?P<collection>[0-9]{{{_ID_DIGITS}}})"
    rf"|replace\.a(?P<asset>[0-9a-f]{{32}}))"
    rf"\.u(?P<user>[0-9]{{{_ID_DIGITS}}})\.{_RANDOM})\.(?P<sig>{_SIG})/upload"
)
# The shape minted before keys said what they are for: never finalized, so an
# upload started before an update is refused with a clear message (and never
# taken for a file copied in by hand).
_LEGACY_UPLOAD = re.compile(rf"uploads/{_RANDOM}\.{_SIG}/upload")
# What a file copied into uploads/ by hand may be called: letters, marks and
# digits of any script, space, and punctuation no path or URL layer gives a
# meaning to. No "\", "%", "?", "#", ":", control or format characters, and
# none of the Unicode look-alikes of "." or "/" (those are punctuation too).
_PLAIN_CHARACTERS = frozenset(" ._-()+,=@!&'~[]")
_PLAIN_CATEGORIES = ("L", "M", "N")


def original_name(asset_id, content_hash, fmt):
    """Return the storage name of an original; nothing of the upload's name is in it."""
    return f"originals/{asset_id}/{content_hash[:16]}.{ORIGINAL_EXTENSIONS[fmt]}"


def is_original_key(key):
    """Tell whether ``key`` has the exact shape of a stored original."""
    return isinstance(key, str) and _ORIGINAL.fullmatch(key) is not None


def is_rendition_key(key):
    """Tell whether ``key`` has the exact shape of a stored rendition."""
    return isinstance(key, str) and _RENDITION.fullmatch(key) is not None


class UploadKeyError(ValidationError):
    """An upload key the server did not mint, or not as it reads now."""


class UploadPurpose(models.TextChoices):
    NEW = "new", "a new image"
    REPLACE = "replace", "a new file for an image"


@dataclass(frozen=True)
class UploadKey:
    """What a minted upload key says, under its HMAC: who it is for, and what for.

    ``collection_id`` is set for a new image, ``asset_id`` (a UUID) for a
    replace; the other is None.
    """

    key: str
    purpose: str
    user_id: int
    collection_id: int | None = None
    asset_id: uuid.UUID | None = None

    @property
    def is_replace(self):
        return self.purpose == UploadPurpose.REPLACE


def _signature(body):
    mac = salted_hmac("transcoder.storage.keys.upload.v2", body, algorithm="sha256")
    return urlsafe_base64_encode(mac.digest()[:16])


def _id_field(value, name):
    value = int(value)
    if not 0 < value < 10**_ID_DIGITS:
        raise UploadKeyError(f"A {name} id of {value} does not fit an upload key.")
    return f"{value:0{_ID_DIGITS}d}"


def upload_key_mint(*, user, collection=None, asset=None):
    """Return a fresh upload key for ``user``: a new image in ``collection``, or a
    new file for ``asset`` (exactly one of them).

    The key names the user and the target, a random token makes it
    unguessable, and an HMAC over all of it makes it exactly checkable
    (``upload_key_parse``). Nothing of the user's file name is in it.
    """
    if (collection is None) == (asset is None):
        raise TypeError("Mint an upload key for a collection or for an asset.")
    user_field = _id_field(user.pk, "user")
    if asset is not None:
        target = f"replace.a{uuid.UUID(str(asset.pk)).hex}"
    else:
        target = f"new.c{_id_field(collection.pk, 'collection')}"
    body = f"{target}.u{user_field}.{secrets.token_urlsafe(24)}"
    return f"uploads/{body}.{_signature(body)}/upload"


def upload_key_parse(key):
    """Return the UploadKey that ``key`` says it is, or raise UploadKeyError.

    Only the exact shape ``upload_key_mint`` makes, with a signature this
    server made for exactly these fields, is read; a changed purpose, id or
    token voids it.
    """
    match = isinstance(key, str) and _MINTED_UPLOAD.fullmatch(key)
    if not match:
        if isinstance(key, str) and _LEGACY_UPLOAD.fullmatch(key):
            raise UploadKeyError(
                _(
                    "This upload was started before mediahub was updated; "
                    "upload the file again."
                ),
                code="legacy",
            )
        raise UploadKeyError(
            _("That is not an upload key mediahub made."), code="unknown"
        )
    if not constant_time_compare(match["sig"], _signature(match["body"])):
        raise UploadKeyError(
            _("This upload key was altered; upload the file again."), code="altered"
        )
    collection, asset = match["collection"], match["asset"]
    return UploadKey(
        key=key,
        purpose=UploadPurpose.NEW if collection else UploadPurpose.REPLACE,
        user_id=int(match["user"]),
        collection_id=int(collection) if collection else None,
        asset_id=uuid.UUID(asset) if asset else None,
    )


def is_minted_upload_key(key):
    """Tell whether ``key`` has the shape of an upload key the server mints.

    Shape only; ``upload_key_parse`` checks the signature.
    """
    return isinstance(key, str) and _MINTED_UPLOAD.fullmatch(key) is not None


def is_legacy_upload_key(key):
    """Tell whether ``key`` has the shape of an upload key minted before purposes."""
    return isinstance(key, str) and _LEGACY_UPLOAD.fullmatch(key) is not None


def upload_key_owned_by(key, user):
    """Tell whether ``key`` is a valid upload key minted for ``user``."""
    if user is None or getattr(user, "pk", None) is None:
        return False
    try:
        return upload_key_parse(key).user_id == user.pk
    except UploadKeyError:
        return False


def _plain_segment(segment):
    if not segment or len(segment.strip(". ")) == 0:
        # "", ".", "..", "...", ". ." and the like: never a name.
        return False
    if segment != segment.strip():
        return False
    for char in segment:
        if char not in _PLAIN_CHARACTERS and not unicodedata.category(char).startswith(
            _PLAIN_CATEGORIES
        ):
            return False
    # Compatibility forms (a full-width letter, a ligature) may fold to
    # something else in another layer; they must not fold into a dot segment.
    folded = unicodedata.normalize("NFKC", segment)
    return "/" not in folded and "\\" not in folded and folded.strip(". ") != ""


def is_upload_key(key):
    """Tell whether ``key`` names an object under uploads/ that may become an asset.

    Either a key the server minted, or a plain key of a file copied in by hand
    (``uploads/2026/Happy Face.jpg``). A plain key's bytes are checked like
    any upload and it never becomes a stored name, but it is read and deleted
    by name, so it must be exactly what storage will use: no empty, "." or
    ".." segment, no backslash, percent sign, control or format character,
    nothing ``clean_name`` would rewrite, and at most MAX_KEY_LENGTH long.
    """
    if not isinstance(key, str) or not key.startswith("uploads/"):
        return False
    if len(key) > MAX_KEY_LENGTH:
        return False
    if is_minted_upload_key(key) or is_legacy_upload_key(key):
        # Never a plain key, even when its signature fails: it is refused
        # as the minted key it pretends to be.
        return True
    segments = key.split("/")[1:]
    if not all(_plain_segment(s) for s in segments):
        return False
    return _unchanged_by_storage(key)


def _unchanged_by_storage(key):
    """Tell whether django-storages and local storage use ``key`` exactly as given."""
    return "\\" not in key and posixpath.normpath(key) == key == clean_name(key)


def is_known_key(key):
    """Tell whether ``key`` has one of the shapes the server makes or accepts."""
    return is_original_key(key) or is_rendition_key(key) or is_upload_key(key)


# A file sent through a site's upload widget waits for moderation under
# widget/<upload id as 32 hex>/upload: outside uploads/, so neither the S3
# event, the sweeper nor purge_orphans ever makes it an asset or deletes it.
# The id is the WidgetUpload row's; the key is never taken from a client.
_WIDGET_UPLOAD = re.compile(r"widget/[0-9a-f]{32}/upload")


def widget_upload_name(upload_id):
    """Return the storage name of a widget upload held for moderation."""
    return f"widget/{uuid.UUID(str(upload_id)).hex}/upload"


def is_widget_upload_key(key):
    """Tell whether ``key`` has the exact shape of a held widget upload."""
    return isinstance(key, str) and _WIDGET_UPLOAD.fullmatch(key) is not None
