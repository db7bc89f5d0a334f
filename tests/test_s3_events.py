"""The S3 event for each kind of upload key, in each order: one table.

A kind is how a key comes to be: minted for a purpose of ``keys.UploadPurpose``
through one of its doors (the admin's presigned POST, the API), or a file
copied into uploads/ by hand. Each kind meets the S3 event, delivered through
Zappa's own handler against moto, in every order with the client's own call
(event first, client first, event twice). Whatever the order: exactly one
asset (or one replaced file and one version), in the key's collection, by the
key's user, with renditions built once and the upload gone at the end, except
where the event documents that it keeps it for the client's call.
"""

from dataclasses import dataclass

import pytest
from django.test import Client

from tests.lambda_helpers import deliver, upload_photo
from tests.upload_purpose_support import FINALIZE, library, s3_reader
from transcoder import services
from transcoder.delivery import presign
from transcoder.models import ApiToken, Asset, AssetVersion, Rendition
from transcoder.storage import keys

pytest_plugins = ["tests.lambda_support"]
# Real commits: Zappa's handler closes the database connection around each event.
pytestmark = pytest.mark.django_db(transaction=True)
PLAIN = "uploads/2026/Happy Face.jpg"


@pytest.fixture
def lib(presets):
    """Collections A and B with an asset each; Alice edits both."""
    return library()


def _api(lib, path, body):
    token = ApiToken(name="cms", created_by=lib.alice, scope_read=True)
    token.scope_write = True
    auth = {"Authorization": f"Bearer {services.api_token_issue(token=token)}"}
    return Client().post(path, body, content_type="application/json", headers=auth)


def _api_key(lib, **purpose):
    made = _api(lib, "/api/uploads/", {"content_type": "image/jpeg", **purpose})
    assert made.status_code == 201 and made.json()["method"] == "POST", made.content
    return made.json()["key"]


def _admin_finalize(lib, key):
    client = Client()
    client.force_login(lib.alice)
    form = {"key": key, "filename": "Pier.jpg", "alt_text": "A pier"}
    response = client.post(FINALIZE, form)
    assert response.status_code == 201, response.content
    return response.json()["asset"]["id"]


def _api_finalize(lib, key):
    body = {"key": key, "filename": "Pier.jpg"}
    response = _api(lib, "/api/uploads/finalize/", body)
    assert response.status_code in (200, 201), response.content
    return response.json()["id"]


def _api_replace(lib, key):
    response = _api(lib, f"/api/assets/{lib.asset_a.pk}/replace/", {"key": key})
    assert response.status_code == 200, response.content
    return response.json()["id"]


@dataclass
class Kind:
    purpose: str | None  # a keys.UploadPurpose, or None for a plain key
    mint: object  # mint(lib) -> key
    client: object = None  # client(lib, key) -> asset id, the client's own call
    kept: bool = False  # the event keeps the upload for the client's call


KINDS = {
    "admin presign": Kind(
        keys.UploadPurpose.NEW,
        lambda lib: presign.upload_presign(
            user=lib.alice, content_type="image/jpeg", collection=lib.b
        )["key"],
        _admin_finalize,
    ),
    "api upload": Kind(
        keys.UploadPurpose.NEW,
        lambda lib: _api_key(lib, collection=lib.b.pk),
        _api_finalize,
    ),
    "api replace": Kind(
        keys.UploadPurpose.REPLACE,
        lambda lib: _api_key(lib, replace=str(lib.asset_a.pk)),
        _api_replace,
        kept=True,
    ),
    "hand-copied": Kind(None, lambda lib: PLAIN),
}
ORDERS = {
    "event first": ("event", "client"),
    "client first": ("client", "event"),
    "event twice": ("event", "event"),
}


def test_every_purpose_has_a_kind():
    """A new purpose of upload keys without a kind in the table fails, named;
    every minted purpose has a door with a client call, and a plain key one."""
    purposes = {kind.purpose for kind in KINDS.values()}
    assert purposes == {*keys.UploadPurpose, None}
    minted = [k for k in KINDS.values() if k.purpose is not None]
    assert all(kind.client for kind in minted)


def _cases():
    for name, kind in KINDS.items():
        for order, steps in ORDERS.items():
            if kind.client or "client" not in steps:
                yield pytest.param(name, steps, id=f"{name}, {order}")


@pytest.fixture
def plain_default(settings):
    settings.MEDIAHUB_DEFAULT_COLLECTION = "Root/Inbox"


@pytest.mark.parametrize(("name", "steps"), list(_cases()))
def test_event_for_each_kind_of_key(
    media_events, faulty_s3, presets, lib, plain_default, name, steps
):
    """Whatever the order, a key makes one asset (or replaces one file, once)
    as its purpose says, by its user, in its collection; renditions are built
    once, and the upload is gone unless the event keeps it for the client."""
    s3, kind = faulty_s3, KINDS[name]
    key = kind.mint(lib)
    if kind.purpose is None:
        assert keys.is_upload_key(key) and not keys.is_minted_upload_key(key)
    else:
        assert keys.upload_key_parse(key).purpose == kind.purpose
    data = upload_photo(s3, key)
    before = len(s3.operations("renditions"))
    old = set(Rendition.objects.values_list("pk", flat=True))
    made = [
        set(deliver(media_events, s3, key, len(data)))
        if step == "event"
        else {kind.client(lib, key)}
        for step in steps
    ]
    if kind.purpose == keys.UploadPurpose.REPLACE:
        asset = Asset.objects.get(pk=lib.asset_a.pk)
        assert Asset.objects.count() == 2 and not Asset.objects.filter(upload_key=key)
        assert AssetVersion.objects.filter(asset=asset).count() == 1
        assert (asset.collection, asset.title) == (lib.a, "A photo")
    else:
        asset = Asset.objects.get(upload_key=key)
        assert Asset.objects.count() == 3
    # The first to come does the work; a later one names the same asset or,
    # once the upload is gone, nothing.
    assert made[0] == {str(asset.pk)} and all(m <= made[0] for m in made), made
    assert s3_reader(s3)(asset.original) == data
    if kind.purpose is None:
        assert asset.collection.path_names() == "Root/Inbox"
        assert (asset.uploaded_by, asset.title) == (None, "Happy Face")
    else:
        assert asset.uploaded_by == lib.alice
    if kind.purpose == keys.UploadPurpose.NEW:
        assert asset.collection == lib.b
        assert asset.title == ("Pier" if "client" in steps else "")
    if name == "admin presign":
        assert asset.alt_text == ("A pier" if "client" in steps else "")
    waits = kind.kept and "client" not in steps
    assert s3.keys("uploads/") == ([key] if waits else [])
    # New ones only: a replace builds beside the old file's, which stay.
    ready = Rendition.objects.filter(asset=asset, status="ready").exclude(pk__in=old)
    written = s3.operations("renditions")[before:].count("PutObject")
    per_asset = sum(len(preset.formats) for preset in presets)
    assert ready.count() == per_asset and written == per_asset
    stored = set(s3.keys(f"renditions/{asset.pk}/"))
    assert {r.name for r in ready} <= stored
