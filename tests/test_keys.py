"""Storage keys: one module knows every shape; anything else is refused."""

import uuid
from types import SimpleNamespace

import pytest
from storages.utils import clean_name

from transcoder import keys
from transcoder.models import Asset
from transcoder.services import rendition_name
from transcoder.specs import RenditionSpec

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


def test_minted_key_is_bound_to_its_user():
    """A minted key is owned by the user it was made for, and by nobody else."""
    key = keys.upload_key_mint(user=_user(7))
    assert keys.is_minted_upload_key(key) and keys.is_upload_key(key)
    assert keys.upload_key_owned_by(key, _user(7))
    assert not keys.upload_key_owned_by(key, _user(8))
    assert not keys.upload_key_owned_by(key, None)
    assert not keys.upload_key_owned_by(key, _user(None))


def test_minted_key_signature_depends_on_the_secret(settings):
    """A key minted under another SECRET_KEY is nobody's."""
    key = keys.upload_key_mint(user=_user(7))
    settings.SECRET_KEY = "another-secret-" + "x" * 40
    assert not keys.upload_key_owned_by(key, _user(7))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda k: k.replace("/upload", "/upload2"),
        lambda k: k[:8] + ("B" if k[8] != "B" else "C") + k[9:],
        lambda k: k[:-8] + ("B" if k[-8] != "B" else "C") + k[-7:],
        lambda k: k.replace(".", "-", 1),
    ],
    ids=["suffix", "token", "signature", "separator"],
)
def test_tampered_minted_key_is_owned_by_nobody(tamper):
    """Changing the token or the signature voids the key's owner."""
    key = tamper(keys.upload_key_mint(user=_user(7)))
    assert not keys.upload_key_owned_by(key, _user(7))


def test_minted_keys_are_fresh_and_carry_nothing_of_the_user():
    """Every key is new; the user's id is not readable in it."""
    minted = {keys.upload_key_mint(user=_user(12345)) for _ in range(50)}
    assert len(minted) == 50
    assert not any("12345" in k for k in minted)


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
        keys.upload_key_mint(user=_user(1)),
        *PLAIN_UPLOAD_KEYS,
    ):
        assert keys.is_known_key(name)
        assert clean_name(name) == name
