"""What the upload-purpose tests share: collections A and B, Alice, and checks.

Each test module's ``lib`` fixture returns ``library()``.
"""

from types import SimpleNamespace

from django.contrib.auth.models import Group, User

from tests.images import make_image
from tests.support import grant  # noqa: F401 - re-exported for the test modules
from transcoder import services
from transcoder.models import (
    Asset,
    AssetVersion,
    root_collection,
)

OLD = make_image("JPEG", size=(64, 48), color=(200, 40, 40))
PRESIGN = "/admin/transcoder/asset/upload/presign/"
FINALIZE = "/admin/transcoder/asset/upload/finalize/"


def library():
    """Collections A and B, each with one asset; Alice edits A (and B, for now)."""
    root = root_collection()
    a = services.collection_create(parent=root, name="A")
    b = services.collection_create(parent=root, name="B")
    editors_a = Group.objects.create(name="A editors")
    grant(editors_a, a, "view", "add", "change", "delete")
    editors_b = Group.objects.create(name="B editors")
    grant(editors_b, b, "view", "add", "change", "delete")
    alice = User.objects.create_user("alice", password="pw", is_staff=True)
    alice.groups.add(editors_a, editors_b)
    asset_a = services.asset_create(
        content=OLD, title="A photo", alt_text="A alt", collection=a
    )
    asset_b = services.asset_create(
        content=make_image("JPEG", size=(64, 48), color=(10, 200, 10)),
        title="B secret",
        alt_text="B alt",
        collection=b,
    )
    return SimpleNamespace(
        a=a, b=b, alice=alice, asset_a=asset_a, asset_b=asset_b, editors_b=editors_b
    )


def snapshot(asset, storage_read):
    """What must not change about an asset a refused upload aimed at."""
    row = Asset.objects.get(pk=asset.pk)
    return (
        row.original,
        row.content_hash,
        row.title,
        row.alt_text,
        row.collection_id,
        list(AssetVersion.objects.filter(asset=row).values_list("pk", flat=True)),
        storage_read(row.original),
    )


def s3_reader(s3):
    return lambda key: s3.client.get_object(Bucket=s3.bucket, Key=key)["Body"].read()


def limit(lib, how):
    """Take away Alice's reach to B (or all of it) after her keys were minted."""
    if how == "limited":
        lib.alice.groups.remove(lib.editors_b)
    elif how == "deactivated":
        User.objects.filter(pk=lib.alice.pk).update(is_active=False)
    elif how == "deleted":
        User.objects.filter(pk=lib.alice.pk).delete()
