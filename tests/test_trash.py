"""The Trash: a delete is undone by a restore until the purge erases it."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from tests.fixtures_library import add_asset, pattern
from tests.support import logged_in
from transcoder import permissions, services
from transcoder.models import (
    ApiToken,
    Asset,
    AssetHashBand,
    Collection,
    DeletedAsset,
    Rendition,
    UsageDay,
)

pytestmark = pytest.mark.django_db

TRASH = "admin:transcoder_trashedasset_changelist"


def _trash(asset, by=None, now=None):
    return services.asset_delete(asset=Asset.objects.get(pk=asset.pk), by=by, now=now)


def _facts(asset):
    """What a restore must give back, read afresh."""
    asset = Asset.all_objects.get(pk=asset.pk)
    return {
        "collection": asset.collection_id,
        "focal": (asset.focal_x, asset.focal_y, asset.focal_width, asset.focal_height),
        "tags": sorted(asset.tags.names()),
        "versions": sorted(asset.versions.values_list("content_hash", flat=True)),
        "renditions": sorted(asset.renditions.values_list("name", flat=True)),
        "usage": sorted(UsageDay.objects.filter(asset=asset).values_list("count")),
        "original": asset.original,
        "title": asset.title,
    }


def test_trash_and_restore_keep_id_versions_tags_focal_and_links(
    world, commit, stored_files
):
    """A trashed asset keeps everything; a restore gives back the same asset."""
    lone = world["assets"]["lone"]
    services.asset_replace(asset=lone, content=pattern(9))
    Asset.objects.filter(pk=lone.pk).update(
        focal_x=0.3, focal_y=0.4, focal_width=0.2, focal_height=0.1
    )
    before, files = _facts(lone), stored_files()
    assert before["versions"] and before["tags"] == ["shared"] and before["usage"]
    _trash(lone, by=world["editor"])
    trashed = Asset.trash.get(pk=lone.pk)
    assert trashed.trashed_by == world["editor"]
    assert not Asset.objects.filter(pk=lone.pk).exists()
    assert _facts(lone) == before and stored_files() == files
    restored = services.asset_restore(asset=trashed)
    assert restored.notes == []
    assert restored.asset.pk == lone.pk and restored.asset.trashed_at is None
    assert _facts(lone) == before
    assert Asset.objects.filter(pk=lone.pk).exists()


def test_embed_answers_410_in_the_trash_and_works_after_a_restore(
    client, world, settings
):
    """/e/ answers 410 (the usual plain message) while trashed, then redirects."""
    lone = world["assets"]["lone"]
    url = f"/e/{lone.pk}/card/"
    assert client.get(url).status_code == 302
    _trash(lone)
    gone = client.get(url)
    assert gone.status_code == 410
    assert gone.json() == {"error": "This image was deleted.", "status": 410}
    services.asset_restore(asset=Asset.trash.get(pk=lone.pk))
    back = client.get(url)
    assert back.status_code == 302
    assert f"/renditions/{lone.pk}/card/" in back["Location"]


def test_trashed_assets_leave_lists_search_counts_and_the_api(client, world):
    """The admin list, search, tag filter, collection counts, media home and
    the API leave a trashed asset out."""
    boss, lone = world["boss"], world["assets"]["lone"]
    admin = logged_in(boss)
    changelist = reverse("admin:transcoder_asset_changelist")
    assert "alpha lone twin" in admin.get(changelist).content.decode()
    alpha_count = Asset.objects.filter(collection=world["alpha"]).count()
    _trash(lone)
    assert "alpha lone twin" not in admin.get(changelist).content.decode()
    assert "alpha lone twin" not in admin.get(changelist + "?q=lone").content.decode()
    # "shared" was on two assets; the tag filter now counts one.
    listed = admin.get(changelist).content.decode()
    assert "shared (1)" in listed and "shared (2)" not in listed
    collections = admin.get(reverse("admin:transcoder_collection_changelist"))
    row = collections.content.decode().split("Alpha", 1)[1][:400]
    assert f">{alpha_count - 1}<" in row
    assert "alpha lone twin" not in admin.get(reverse("admin:index")).content.decode()
    key = services.api_token_issue(token=ApiToken(name="cms", created_by=boss))
    auth = {"Authorization": f"Bearer {key}"}
    listing = client.get("/api/assets/", headers=auth).json()
    assert str(lone.pk) not in {a["id"] for a in listing["results"]}
    assert listing["count"] == Asset.objects.count() == 4
    detail = client.get(f"/api/assets/{lone.pk}/", headers=auth)
    assert detail.status_code == 404 and detail.json()["status"] == 404
    assert not permissions.assets(boss).filter(pk=lone.pk).exists()


def test_look_alike_counts_leave_and_come_back_with_the_asset(world):
    """The near-duplicate counts, kept on the rows, forget a trashed asset."""
    pair1, pair2 = world["assets"]["pair1"], world["assets"]["pair2"]
    assert Asset.objects.get(pk=pair2.pk).near_duplicates == 1
    _trash(pair1)
    assert Asset.objects.get(pk=pair2.pk).near_duplicates == 0
    assert not AssetHashBand.objects.filter(asset_id=pair1.pk).exists()
    services.asset_restore(asset=Asset.trash.get(pk=pair1.pk))
    assert Asset.objects.get(pk=pair2.pk).near_duplicates == 1
    assert Asset.objects.get(pk=pair1.pk).near_duplicates == 1


def test_a_trashed_asset_is_no_duplicate_and_a_restore_may_make_one(world):
    """An upload of a trashed file is new; restoring the trashed one then
    makes a duplicate, allowed, and the restore says so."""
    other = world["assets"]["other"]
    with pytest.raises(services.DuplicateAssetError):
        services.asset_create(content=pattern(3), collection=other.collection)
    _trash(other)
    again = services.asset_create(
        content=pattern(3), title="uploaded again", collection=other.collection
    )
    restored = services.asset_restore(asset=Asset.trash.get(pk=other.pk))
    assert Asset.objects.filter(content_hash=again.content_hash).count() == 2
    assert restored.notes == [
        "The same file is also in the library as “uploaded again”."
    ]


def test_restore_after_its_collection_was_deleted_goes_to_the_default(world, settings):
    """A deleted collection does not wait for its trashed assets; they are
    restored into the default collection, and the restore says so."""
    from transcoder.models import root_collection

    settings.MEDIAHUB_DEFAULT_COLLECTION = "Root/Inbox"
    gone = services.collection_create(parent=root_collection(), name="Gone")
    asset = add_asset(gone, "gone photo", seed=40)
    _trash(asset)
    services.collection_delete(collection=gone)
    assert not Collection.objects.filter(pk=gone.pk).exists()
    restored = services.asset_restore(asset=Asset.trash.get(pk=asset.pk))
    assert restored.asset.collection.name == "Inbox"
    assert restored.notes == [
        "Its collection was deleted while it was in the Trash; it is now in "
        f"{restored.asset.collection.label}."
    ]
    assert Asset.objects.get(pk=asset.pk).collection_lost is False


def test_another_editor_cannot_see_or_restore_outside_their_reach(world):
    """The Trash lists what the editor may delete; a restore of another
    collection's asset, posted by hand, changes nothing."""
    twin = world["assets"]["twin"]  # in Bravo: out of the Alpha editor's reach
    lone = world["assets"]["lone"]
    _trash(twin, by=world["boss"])
    _trash(lone, by=world["boss"])
    editor = logged_in(world["editor"])
    page = editor.get(reverse(TRASH)).content.decode()
    assert "alpha lone twin" in page and "bravo secret twin" not in page
    assert "30 days" in page or "29 days" in page
    response = editor.post(
        reverse(TRASH), {"action": "restore", "_selected_action": [str(twin.pk)]}
    )
    assert response.status_code == 302
    assert Asset.trash.filter(pk=twin.pk).exists()
    assert list(permissions.trashed_assets(world["editor"])) == [
        Asset.all_objects.get(pk=lone.pk)
    ]
    viewer = User.objects.create_user("only-view", password="pw", is_staff=True)
    assert logged_in(viewer).get(reverse(TRASH)).status_code == 403


def test_restore_from_the_trash_page_puts_it_back(world):
    """The Restore action takes the selected assets out of the Trash."""
    lone, pair1 = world["assets"]["lone"], world["assets"]["pair1"]
    _trash(lone)
    _trash(pair1)
    editor = logged_in(world["editor"])
    response = editor.post(
        reverse(TRASH),
        {"action": "restore", "_selected_action": [str(lone.pk), str(pair1.pk)]},
        follow=True,
    )
    assert "Restored 2 images" in response.content.decode()
    assert Asset.objects.filter(pk__in=[lone.pk, pair1.pk]).count() == 2


def test_bulk_delete_moves_to_the_trash(world, commit):
    """The bulk "Delete" job trashes the selection, as deleted by its starter."""
    editor = logged_in(world["editor"])
    ids = [str(world["assets"][n].pk) for n in ("lone", "pair1")]
    with commit():
        response = editor.post(
            reverse("admin:transcoder_asset_changelist"),
            {"action": "delete_in_background", "_selected_action": ids, "apply": "1"},
        )
    assert response.status_code == 302
    trashed = Asset.trash.filter(pk__in=ids)
    assert trashed.count() == 2
    assert {a.trashed_by for a in trashed} == {world["editor"]}


def test_bulk_delete_page_says_the_trash_keeps_them(world):
    """The confirmation of a bulk delete names the Trash and its days."""
    editor = logged_in(world["editor"])
    page = editor.post(
        reverse("admin:transcoder_asset_changelist"),
        {
            "action": "delete_in_background",
            "_selected_action": [str(world["assets"]["lone"].pk)],
        },
    ).content.decode()
    assert "go to the Trash for 30 days" in page


def test_single_delete_page_says_the_trash_keeps_it(world, settings):
    """The confirmation of a delete says how long the Trash keeps the image."""
    settings.MEDIAHUB_TRASH_DAYS = 7
    lone = world["assets"]["lone"]
    page = logged_in(world["editor"]).get(
        reverse("admin:transcoder_asset_delete", args=[lone.pk])
    )
    assert "goes to the Trash for 7 days" in page.content.decode()


def test_erase_now_removes_the_asset_and_its_files_at_once(world, stored_files, commit):
    """ "Erase now" deletes the row and its stored files; its link is then Gone."""
    lone = world["assets"]["lone"]
    _trash(lone)
    assert any(str(lone.pk) in f for f in stored_files())
    editor = logged_in(world["editor"])
    confirm = editor.post(
        reverse(TRASH), {"action": "erase_now", "_selected_action": [str(lone.pk)]}
    )
    assert "cannot be undone" in confirm.content.decode()
    assert Asset.trash.filter(pk=lone.pk).exists()
    with commit():
        editor.post(
            reverse(TRASH),
            {
                "action": "erase_now",
                "_selected_action": [str(lone.pk)],
                "apply": "1",
            },
        )
    assert not Asset.all_objects.filter(pk=lone.pk).exists()
    assert DeletedAsset.objects.filter(pk=lone.pk).exists()
    assert not [f for f in stored_files() if str(lone.pk) in f]
    assert not Rendition.objects.filter(asset_id=lone.pk).exists()


def test_purge_empties_the_trash_after_its_days(world, stored_files, settings, commit):
    """The purge erases what has been in the Trash for MEDIAHUB_TRASH_DAYS, no
    sooner, a bounded number per invocation."""
    settings.MEDIAHUB_TRASH_DAYS = 30
    start = timezone.now()
    names = ("lone", "pair1", "pair2")
    for name in names:
        _trash(world["assets"][name], now=start)
    services.orphans_purge(now=start + timedelta(days=29, hours=23))
    assert Asset.trash.count() == 3
    with commit():
        step = services.orphans_purge_step(now=start + timedelta(days=30), budget=2)
    assert Asset.trash.count() == 1 and not step.done
    assert step.marker.startswith("trash:")
    with commit():
        services.orphans_purge_step(now=start + timedelta(days=30), budget=2)
    assert Asset.trash.count() == 0
    for name in names:
        pk = str(world["assets"][name].pk)
        assert not [f for f in stored_files() if pk in f]
    assert Asset.objects.count() == 2


@pytest.mark.s3
def test_objects_are_kept_while_trashed_and_erased_by_the_purge(
    s3, presets, jpeg, commit
):
    """On S3 a trashed asset's objects stay; the purge after the Trash's days
    deletes them, and nothing of another asset."""
    with commit():
        asset = services.asset_create(content=jpeg, filename="a.jpg")
        keep = services.asset_create(
            content=jpeg, filename="b.jpg", allow_duplicate=True
        )
    mine = s3.keys(f"originals/{asset.pk}/") + s3.keys(f"renditions/{asset.pk}/")
    assert len(mine) == 4
    start = timezone.now()
    _trash(asset, now=start)
    services.orphans_purge(now=start + timedelta(days=5))
    assert (
        s3.keys(f"originals/{asset.pk}/") + s3.keys(f"renditions/{asset.pk}/") == mine
    )
    with commit():
        services.orphans_purge(now=start + timedelta(days=31))
    assert s3.keys(f"originals/{asset.pk}/") == []
    assert s3.keys(f"renditions/{asset.pk}/") == []
    assert len(s3.keys(f"renditions/{keep.pk}/")) == 3
    assert not Asset.all_objects.filter(pk=asset.pk).exists()
