"""Storage keys: the one place that knows the exact shape of every key.

The server makes three kinds of key from ids and hashes only:

- ``uploads/<token>.<signature>/upload``: a direct upload, minted for one user
  (the signature binds the random token to that user, see ``upload_key_new``);
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

from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import urlsafe_base64_encode
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
# token_urlsafe(24) is 32 characters; the signature is 16 bytes of HMAC.
MINTED_UPLOAD_PATTERN = r"uploads/([A-Za-z0-9_-]{32})\.([A-Za-z0-9_-]{22})/upload"
_MINTED_UPLOAD = re.compile(MINTED_UPLOAD_PATTERN)
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


def _signature(user_pk, token):
    mac = salted_hmac(
        "transcoder.keys.upload", f"{user_pk}:{token}", algorithm="sha256"
    )
    return urlsafe_base64_encode(mac.digest()[:16])


def upload_key_mint(*, user):
    """Return a fresh upload key, bound to ``user`` by an HMAC.

    Nothing of the user's file name is in it. Only the user it was minted for
    may finalize it (``upload_key_owned_by``); S3 itself needs no user.
    """
    token = secrets.token_urlsafe(24)
    return f"uploads/{token}.{_signature(user.pk, token)}/upload"


def is_minted_upload_key(key):
    """Tell whether ``key`` has the shape of an upload key the server minted."""
    return isinstance(key, str) and _MINTED_UPLOAD.fullmatch(key) is not None


def upload_key_owned_by(key, user):
    """Tell whether ``key`` is a minted upload key that was minted for ``user``."""
    match = isinstance(key, str) and _MINTED_UPLOAD.fullmatch(key)
    if not match or user is None or user.pk is None:
        return False
    token, signature = match.groups()
    return constant_time_compare(signature, _signature(user.pk, token))


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
    if is_minted_upload_key(key):
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
