"""Collections: the tree services, the default collection and the migration."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.urls import reverse

from tests.images import make_image
from tests.support import logged_in, model_perms
from transcoder import services
from transcoder.models import Asset, Collection, root_collection


@pytest.fixture
def tree(db):
    root = root_collection()
    marketing = services.collection_create(parent=root, name="Marketing")
    events = services.collection_create(parent=marketing, name="Events")
    return root, marketing, events


def test_root_always_exists(db):
    """Asking for the root on an empty database makes exactly one."""
    assert Collection.objects.count() == 0
    first = root_collection()
    assert root_collection() == first
    assert Collection.objects.count() == 1 and first.name == "Root"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "1 to 255 characters"),
        ("a/b", "without a slash"),
        ("Marketing", "already has a collection named Marketing"),
    ],
)
def test_collection_create_refuses(tree, name, message):
    """A bad or duplicate sibling name is refused with a message."""
    with pytest.raises(services.CollectionError, match=message):
        services.collection_create(parent=tree[0], name=name)


def test_collection_move_takes_the_subtree(tree):
    """Moving a collection moves what is inside it; never into itself."""
    root, marketing, events = tree
    sales = services.collection_create(parent=root, name="Sales")
    # No grant above either place: the move changes no one's reach, so it
    # needs no right to grant (user None holds none).
    moved = services.collection_update(
        collection=marketing, name="Mkt", parent=sales, user=None
    )
    assert moved.path_names() == "Root/Sales/Mkt"
    events.refresh_from_db()
    assert events.path_names() == "Root/Sales/Mkt/Events"
    with pytest.raises(services.CollectionError, match="into itself"):
        services.collection_update(
            collection=moved, name="Mkt", parent=events, user=None
        )


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("root", "root collection cannot be deleted"),
        ("marketing", "has collections inside it"),
        ("events", "holds 1 asset"),
    ],
)
def test_collection_delete_refuses_non_empty(tree, presets, jpeg, which, message):
    """The root, a collection with children and one with assets stay."""
    root, marketing, events = tree
    services.asset_create(content=jpeg, filename="a.jpg", collection=events)
    target = {"root": root, "marketing": marketing, "events": events}[which]
    with pytest.raises(services.CollectionError, match=message):
        services.collection_delete(collection=target)
    assert Collection.objects.filter(pk=target.pk).exists()


def test_collection_delete_empty(tree):
    """An empty leaf collection is deleted."""
    services.collection_delete(collection=tree[2])
    assert not Collection.objects.filter(name="Events").exists()


@pytest.mark.parametrize(
    ("value", "path"),
    [("", "Root"), ("Root/Marketing", "Root/Marketing"), ("Root/Inbox", "Root/Inbox")],
)
def test_default_collection_setting(tree, settings, presets, jpeg, value, path):
    """Assets made without a collection (S3 event, ingest) go to the setting's."""
    settings.MEDIAHUB_DEFAULT_COLLECTION = value
    asset = services.asset_create(content=jpeg, filename="a.jpg")
    assert asset.collection.path_names() == path


def test_assets_move_counts_and_stamps(tree, presets, jpeg):
    """Moving assets changes their collection and updated_at, once."""
    root, marketing, _ = tree
    asset = services.asset_create(content=jpeg, filename="a.jpg", collection=root)
    before = asset.updated_at
    assert services.assets_move(asset_ids=[asset.pk], collection=marketing) == 1
    assert services.assets_move(asset_ids=[asset.pk], collection=marketing) == 0
    asset.refresh_from_db()
    assert asset.collection == marketing and asset.updated_at > before


MIGRATE = textwrap.dedent(
    """
    import django
    django.setup()
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("transcoder", "0005_library")])
    apps = executor.loader.project_state([("transcoder", "0005_library")]).apps
    Asset = apps.get_model("transcoder", "Asset")
    Asset.objects.create(
        original="originals/x.jpg", content_hash="0" * 64, format="jpeg",
        mime_type="image/jpeg", width=1, height=1, bytes=1,
    )
    executor = MigrationExecutor(connection)
    executor.migrate([("transcoder", "0006_collections")])
    apps = executor.loader.project_state([("transcoder", "0006_collections")]).apps
    Asset = apps.get_model("transcoder", "Asset")
    print(list(Asset.objects.values_list("collection__name", "collection__depth")))
    """
)


def test_migration_puts_existing_assets_in_the_root(tmp_path):
    """Migrating a library made before collections puts every asset in Root."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", MIGRATE],
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[('Root', 1)]"


def test_collection_admin_adds_lists_and_refuses_deleting_non_empty(
    tree, presets, jpeg, admin_client
):
    """The tree admin adds under a parent, lists indented, and keeps full ones."""
    from django.urls import reverse

    root, marketing, events = tree
    added = admin_client.post(
        reverse("admin:transcoder_collection_add"),
        {
            "name": "Press",
            "parent": marketing.pk,
        },
    )
    assert added.status_code == 302, added.content[:2000]
    assert Collection.objects.get(name="Press").path_names() == "Root/Marketing/Press"
    listing = admin_client.get(reverse("admin:transcoder_collection_changelist"))
    assert "— — Press" in listing.content.decode()
    services.asset_create(content=jpeg, filename="a.jpg", collection=events)
    refused = admin_client.post(
        reverse("admin:transcoder_collection_delete", args=[events.pk]),
        {"post": "yes"},
        follow=True,
    )
    assert "holds 1 asset" in refused.content.decode()
    assert Collection.objects.filter(pk=events.pk).exists()


def test_ingest_and_direct_finalize_use_the_default_collection(
    settings, presets, jpeg, tmp_path, stored_files
):
    """`ingest` and a finalize without a chooser (the S3 event) use the setting."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages
    from django.core.management import call_command

    settings.MEDIAHUB_DEFAULT_COLLECTION = "Root/Inbox"
    photo = tmp_path / "in.jpg"
    photo.write_bytes(jpeg)
    call_command("ingest", str(photo), stdout=open(os.devnull, "w"))
    other = make_image("JPEG", size=(97, 61))  # the ingested photo would be a duplicate
    key = storages["default"].save("uploads/manual/event.jpg", ContentFile(other))
    event = services.asset_finalize_upload(key=key)
    where = {
        a.original_filename: a.collection.path_names()
        for a in Asset.objects.select_related("collection")
    }
    assert where == {"in.jpg": "Root/Inbox", "event.jpg": "Root/Inbox"}
    assert event.collection.name == "Inbox"


def test_collection_admin_grants_a_group_permission(tree, admin_client):
    """The collection page's grid grants a group a permission on the node."""
    from django.contrib.auth.models import Group, Permission
    from django.urls import reverse

    from transcoder.models import GroupCollectionPermission

    _, marketing, _ = tree
    group = Group.objects.create(name="Editors")
    view = Permission.objects.get(
        content_type__app_label="transcoder", codename="view_asset"
    )
    response = admin_client.post(
        reverse("admin:transcoder_collection_change", args=[marketing.pk]),
        {
            "name": "Marketing",
            "parent": Collection.objects.get_parent(marketing).pk,
            "new_group": group.pk,
            "perm-new-view": "on",
        },
    )
    assert response.status_code == 302, response.content[:3000]
    grant = GroupCollectionPermission.objects.get()
    assert (grant.group, grant.collection, grant.permission) == (
        group,
        marketing,
        view,
    )


@pytest.mark.parametrize(
    ("who", "extra", "shown", "hidden"),
    [
        ("editor", [], ["Cannot delete collection"], ["bravo secret"]),
        (
            "editor",
            ["delete_asset"],
            ["Images in collections you may not view"],
            ["bravo secret"],
        ),
        ("boss", [], ["bravo secret twin", "bravo secret other"], ["may not view"]),
    ],
)
def test_collection_delete_page_names_only_visible_assets(
    world,
    who,
    extra,
    shown,
    hidden,
):
    """The assets that keep Bravo from deletion are named only to who sees them."""
    model_perms(world["editor"], "delete_collection", *extra)
    bravo = Collection.objects.get(name="Bravo")
    url = reverse("admin:transcoder_collection_delete", args=[bravo.pk])
    body = logged_in(world[who]).get(url).content.decode()
    for text in shown:
        assert text in body
    for text in hidden:
        assert text not in body
    refused = logged_in(world[who]).post(url, {"post": "yes"}, follow=True)
    message = refused.content.decode()
    assert ("Bravo holds 2 assets" in message) is (who == "boss")
    assert ("Bravo still holds images" in message) is (who == "editor")
    assert Collection.objects.filter(pk=bravo.pk).exists()


def test_collection_delete_needs_the_delete_permission(world):
    """A POST without delete_collection deletes nothing, even an empty collection."""
    empty = services.collection_create(parent=root_collection(), name="Empty")
    url = reverse("admin:transcoder_collection_delete", args=[empty.pk])
    assert logged_in(world["editor"]).post(url, {"post": "yes"}).status_code == 403
    assert Collection.objects.filter(pk=empty.pk).exists()
    model_perms(world["editor"], "delete_collection")
    assert logged_in(world["editor"]).post(url, {"post": "yes"}).status_code == 302
    assert not Collection.objects.filter(pk=empty.pk).exists()
