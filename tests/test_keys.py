"""Storage keys: one module knows every shape; anything else is refused."""

import uuid
from types import SimpleNamespace

import pytest
from storages.utils import clean_name

from transcoder.imaging.specs import RenditionSpec
from transcoder.models import Asset
from transcoder.services import rendition_name
from transcoder.storage import keys

ASSET = "0f8fad5b-d9cb-469f-a165-70867728950e"
HASH = "0123456789abcdef"
ORIGINAL = f"originals/{ASSET}/{HASH}.jpg"
RENDITION = f"renditions/{ASSET}/thumb/{HASH}-100.webp"

# Keys from outside that must never be read, deleted or made an asset. Each
# is a way a key could mean something else to a later layer.
HOSTILE_UPLOAD_KEYS = [
    # the reported attack: clean_name turns "\" into "/" and resolves ".."
    f"uploads/..\\originals\\{ASSET}\\{HASH}.jpg",
    f"uploads/..\\renditions\\{ASSET}\\thumb\\{HASH}-100.webp",
    "uploads/a\\..\\..\\x",
    "uploads/a\\b.jpg",
    "uploads\\..\\originals\\x.jpg",
    # dot segments, plain and in disguise
    "uploads/../originals/x.jpg",
    "uploads/./x",
    "uploads/.",
    "uploads/..",
    "uploads/.../x.jpg",
    "uploads/. ./x.jpg",
    "uploads/x/..",
    "uploads/\u2024\u2024/x.jpg",  # one-dot leaders
    "uploads/\uff0e\uff0e/x.jpg",  # full-width full stops
    "uploads/\u2025/x.jpg",  # two-dot leader
    "uploads/a\uff0fb.jpg",  # full-width solidus
    "uploads/a\uff3cb.jpg",  # full-width reverse solidus
    "uploads/a\u2215b.jpg",  # division slash
    # percent-escape tricks: S3 events are decoded once, never twice
    "uploads/%2e%2e/x",
    "uploads/%2E%2E%2Foriginals%2Fx.jpg",
    "uploads/..%5coriginals%5cx.jpg",
    "uploads/%252e%252e/x",
    # empty segments, absolute and odd prefixes, case
    "uploads/",
    "uploads//x.jpg",
    "uploads/x/",
    "/uploads/x.jpg",
    "Uploads/x.jpg",
    "UPLOADS/x.jpg",
    "uploads2/x.jpg",
    "originals/x.jpg",
    "",
    # control and format characters
    "uploads/a\x00b.jpg",
    "uploads/a\nb.jpg",
    "uploads/a\rb.jpg",
    "uploads/a\x7fb.jpg",
    "uploads/\u202egpj.exe",
    "uploads/a\u200bb.jpg",
    "uploads/a\ufeffb.jpg",
    # characters a URL or shell layer gives a meaning to
    "uploads/a?b.jpg",
    "uploads/a#b.jpg",
    "uploads/a:b.jpg",
    "uploads/a*b.jpg",
    "uploads/<b>.jpg",
    "uploads/a|b.jpg",
    'uploads/a"b.jpg',
    # spaces that a later layer could trim away
    "uploads/ x.jpg",
    "uploads/x.jpg ",
    # overlong
    "uploads/" + "a" * 248,
    "uploads/" + "\u00e9" * 248,
    # forged minted keys are only plain keys, and these are not even that
    "uploads/" + "A" * 32 + "..\\" + "B" * 22 + "/upload",
]

PLAIN_UPLOAD_KEYS = [
    "uploads/Happy Face.jpg",
    "uploads/2026/11/IMG_0001.HEIC",
    "uploads/Zk3-q_8vT2mXc1LbN0aPwE4r/upload",
    "uploads/Caf\u00e9 (1).jpg",
    "uploads/\u5199\u771f.png",
    "uploads/a.b.c.jpg",
    "uploads/..hidden.jpg",
    "uploads/" + "a" * 247,
]


@pytest.mark.parametrize("key", HOSTILE_UPLOAD_KEYS, ids=ascii)
def test_hostile_upload_keys_are_refused(key):
    """No key that storage, a URL or a path layer could read differently is taken."""
    assert keys.is_upload_key(key) is False
    assert keys.is_known_key(key) is False


@pytest.mark.parametrize("key", PLAIN_UPLOAD_KEYS, ids=ascii)
def test_plain_upload_keys_are_taken_exactly_as_storage_uses_them(key):
    """A file copied in by hand is taken, and storage would use its key unchanged."""
    assert keys.is_upload_key(key) is True
    assert clean_name(key) == key


def test_key_length_is_the_models_limit():
    """MAX_KEY_LENGTH is what Asset.upload_key and Asset.original can hold."""
    for field in ("upload_key", "original"):
        assert Asset._meta.get_field(field).max_length == keys.MAX_KEY_LENGTH


def _user(pk):
    return SimpleNamespace(pk=pk)


COLLECTION = SimpleNamespace(pk=42)
IMAGE = SimpleNamespace(pk=uuid.UUID(ASSET))


def _new(user=7):
    return keys.upload_key_mint(user=_user(user), collection=COLLECTION)


def _replace(user=7):
    return keys.upload_key_mint(user=_user(user), asset=IMAGE)


@pytest.mark.parametrize(
    ("mint", "expected"),
    [
        (_new, ("new", 7, 42, None)),
        (_replace, ("replace", 7, None, uuid.UUID(ASSET))),
        (lambda: _new(user=10**12 - 1), ("new", 10**12 - 1, 42, None)),
    ],
    ids=["new", "replace", "largest-user-id"],
)
def test_a_minted_key_says_whom_and_what_it_is_for(mint, expected):
    """upload_key_parse reads back the purpose, the user and the target."""
    key = mint()
    upload = keys.upload_key_parse(key)
    assert (upload.purpose, upload.user_id, upload.collection_id, upload.asset_id) == (
        expected
    )
    assert upload.key == key and upload.is_replace == (expected[0] == "replace")
    assert keys.is_minted_upload_key(key) and keys.is_upload_key(key)
    assert len(key) <= 126 < keys.MAX_KEY_LENGTH
    assert clean_name(key) == key


def test_minted_key_is_bound_to_its_user():
    """A minted key is owned by the user it was made for, and by nobody else."""
    key = _new()
    assert keys.upload_key_owned_by(key, _user(7))
    assert not keys.upload_key_owned_by(key, _user(8))
    assert not keys.upload_key_owned_by(key, None)
    assert not keys.upload_key_owned_by(key, _user(None))


def test_minted_key_signature_depends_on_the_secret(settings):
    """A key minted under another SECRET_KEY is refused as altered."""
    key = _new()
    settings.SECRET_KEY = "another-secret-" + "x" * 40
    with pytest.raises(keys.UploadKeyError, match="altered"):
        keys.upload_key_parse(key)


def _swap(key, old, new):
    assert old in key, (key, old)
    return key.replace(old, new, 1)


def _flip(key, index):
    return key[:index] + ("B" if key[index] != "B" else "C") + key[index + 1 :]


OTHER_ASSET = "1f8fad5bd9cb469fa16570867728950e"

# Each changes what the key says (or its random part) and keeps the signature.
TAMPERED = [
    ("user", lambda k: _swap(k, ".u000000000007.", ".u000000000008.")),
    ("collection", lambda k: _swap(k, "new.c000000000042", "new.c000000000043")),
    (
        "new-to-replace",
        lambda k: _swap(k, "new.c000000000042", "replace.a" + OTHER_ASSET),
    ),
    ("token", lambda k: _flip(k, k.index(".u") + 16)),
    ("signature", lambda k: _flip(k, len(k) - 10)),
]
TAMPERED_REPLACE = [
    ("asset", lambda k: _swap(k, ASSET.replace("-", ""), OTHER_ASSET)),
    (
        "replace-to-new",
        lambda k: _swap(k, "replace.a" + ASSET.replace("-", ""), "new.c000000000042"),
    ),
]


@pytest.mark.parametrize(
    ("mint", "tamper"),
    [(_new, t) for _, t in TAMPERED] + [(_replace, t) for _, t in TAMPERED_REPLACE],
    ids=[n for n, _ in TAMPERED] + [n for n, _ in TAMPERED_REPLACE],
)
def test_a_tampered_key_is_refused(mint, tamper):
    """Changing the purpose, an id, the token or the signature voids the key."""
    key = tamper(mint())
    assert keys.is_minted_upload_key(key)
    with pytest.raises(keys.UploadKeyError, match="altered"):
        keys.upload_key_parse(key)
    assert not keys.upload_key_owned_by(key, _user(7))
    assert not keys.upload_key_owned_by(key, _user(8))


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (
            "uploads/Zk3-q_8vT2mXc1LbN0aPwE4rZk3-q_8v.T2mXc1LbN0aPwE4rZk3-qA/upload",
            "started before mediahub was updated",
        ),
        (
            "uploads/new.c42.u7." + "A" * 32 + "." + "B" * 22 + "/upload",
            "not an upload key",
        ),
        (
            "uploads/new.a"
            + "0" * 32
            + ".u000000000007."
            + "A" * 32
            + "."
            + "B" * 22
            + "/upload",
            "not an upload key",
        ),
        ("uploads/Happy Face.jpg", "not an upload key"),
        ("", "not an upload key"),
        (None, "not an upload key"),
    ],
    ids=["legacy", "short-ids", "new-with-asset", "plain", "empty", "none"],
)
def test_keys_of_another_shape_do_not_parse(key, message):
    """Only the exact minted shape is read; the old shape gets its own message."""
    with pytest.raises(keys.UploadKeyError, match=message):
        keys.upload_key_parse(key)


def test_a_legacy_key_is_never_a_plain_key():
    """A key of the old minted shape is refused as such, not taken as copied in."""
    legacy = "uploads/" + "A" * 32 + "." + "B" * 22 + "/upload"
    assert keys.is_legacy_upload_key(legacy) and keys.is_upload_key(legacy)
    assert not keys.is_minted_upload_key(legacy)


def test_minting_needs_exactly_one_purpose_and_ids_that_fit():
    """A key is for a collection or an asset; an id too wide for its field fails."""
    with pytest.raises(TypeError, match="collection or for an asset"):
        keys.upload_key_mint(user=_user(7))
    with pytest.raises(TypeError, match="collection or for an asset"):
        keys.upload_key_mint(user=_user(7), collection=COLLECTION, asset=IMAGE)
    with pytest.raises(keys.UploadKeyError, match="does not fit"):
        keys.upload_key_mint(user=_user(10**12), collection=COLLECTION)


def test_minted_keys_are_fresh():
    """Every key is new, even for the same user and purpose."""
    assert len({_new() for _ in range(50)}) == 50


def test_original_names_have_the_original_shape():
    """original_name makes keys is_original_key accepts, for every format."""
    for fmt in keys.ORIGINAL_EXTENSIONS:
        name = keys.original_name(uuid.uuid4(), "ab" * 32, fmt)
        assert keys.is_original_key(name), name
        assert not keys.is_rendition_key(name) and not keys.is_upload_key(name)


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp", "avif"])
def test_rendition_names_have_the_rendition_shape(fmt):
    """services.rendition_name makes keys is_rendition_key accepts."""
    spec = RenditionSpec(fit="cover", width=320, height=200, format=fmt)
    name = rendition_name(
        asset_id=uuid.uuid4(), preset_slug="hero_2-x", spec=spec, width=320
    )
    assert keys.is_rendition_key(name), name


@pytest.mark.parametrize(
    "name",
    [
        ORIGINAL,
        f"originals/{ASSET}/{HASH}_AbC1234.jpg",
        f"originals/{ASSET}/.{HASH}.jpg.0123456789abcdef.part",
    ],
)
def test_stored_original_variants_are_known(name):
    """A taken name's suffix and local storage's partial file are still originals."""
    assert keys.is_original_key(name)


@pytest.mark.parametrize(
    "name",
    [
        f"originals/{ASSET}/{HASH}.svg",
        f"originals/{ASSET}/../{HASH}.jpg",
        f"originals/{ASSET}\\{HASH}.jpg",
        f"originals/{ASSET.upper()}/{HASH}.jpg",
        f"originals/{ASSET}/{HASH}.jpg/x",
        f"originals/{ASSET}/{HASH}.jpg\n",
        f"renditions/{ASSET}/thumb/{HASH}-0.webp",
        f"renditions/{ASSET}/../{HASH}-100.webp",
        f"renditions/{ASSET}/th.umb/{HASH}-100.webp",
        f"renditions/{ASSET}/thumb/{HASH}-100.gif",
        f"renditions/{ASSET}/thumb/{HASH}-100.webp\\..",
    ],
)
def test_near_misses_of_stored_names_are_unknown(name):
    """Only the exact shapes the server makes are originals or renditions."""
    assert not keys.is_known_key(name)


def test_every_shape_is_what_clean_name_leaves_alone():
    """Known keys pass through django-storages' clean_name unchanged."""
    for name in (
        ORIGINAL,
        RENDITION,
        _new(),
        _replace(),
        *PLAIN_UPLOAD_KEYS,
    ):
        assert keys.is_known_key(name)
        assert clean_name(name) == name
