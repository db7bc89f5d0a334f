"""GET /api/changes/: every change once, in commit order, within the token's reach."""

import pytest

from tests.fixtures_library import pattern
from transcoder import services
from transcoder.models import ApiToken, Asset, Change

pytestmark = pytest.mark.django_db


def _client(client, user, write=False):
    token = ApiToken(name="sync", created_by=user, scope_write=write)
    key = services.api_token_issue(token=token)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client


def _follow(client, since=None, limit=2):
    """Read the feed to its end, page by page; return (changes, last cursor)."""
    seen, pages = [], 0
    while True:
        query = f"?limit={limit}" + (f"&since={since}" if since else "")
        response = client.get(f"/api/changes/{query}")
        assert response.status_code == 200, response.content
        body = response.json()
        seen += body["results"]
        since, pages = body["next_cursor"], pages + 1
        if not body["more"]:
            return seen, since
        assert pages < 50


def _asset(pk):
    return Asset.objects.get(pk=pk)


def test_paging_across_updates_and_deletions(hooks_world, client):
    """A follower sees each change once, oldest first, across pages; the asset
    as it is now for live ones, none for a deletion; then nothing more."""
    api = _client(client, hooks_world["boss"])
    _, cursor = _follow(api)
    a, b = hooks_world["asset_a"], hooks_world["asset_b"]
    services.asset_update(asset=_asset(a.pk), title="a2", alt_text="", focal=None)
    services.asset_update(asset=_asset(b.pk), title="b2", alt_text="", focal=None)
    fresh = services.asset_create(
        content=pattern(31), title="fresh", collection=hooks_world["A"]
    )
    services.asset_delete(asset=_asset(b.pk))
    services.asset_restore(asset=Asset.all_objects.get(pk=b.pk))
    services.trash_erase(asset_id=fresh.pk)
    changes, cursor = _follow(api, cursor)
    assert [(c["event"], c["asset_id"]) for c in changes] == [
        ("asset.updated", str(a.pk)),
        ("asset.updated", str(b.pk)),
        ("asset.created", str(fresh.pk)),
        ("asset.deleted", str(b.pk)),
        ("asset.restored", str(b.pk)),
        ("asset.deleted", str(fresh.pk)),
    ]
    ids = [c["id"] for c in changes]
    assert ids == sorted(ids)
    assert changes[0]["asset"]["title"] == "a2"
    assert changes[3]["asset"] is None
    # The asset as it is now: b is back, fresh is gone for good.
    assert changes[1]["asset"]["title"] == "b2" and changes[2]["asset"] is None
    assert _follow(api, cursor) == ([], cursor)
    services.asset_update(asset=_asset(a.pk), title="a3", alt_text="", focal=None)
    more, _ = _follow(api, cursor)
    assert [(c["event"], c["asset"]["title"]) for c in more] == [
        ("asset.updated", "a3")
    ]


def test_since_now_starts_at_the_present(hooks_world, client):
    api = _client(client, hooks_world["boss"])
    body = api.get("/api/changes/?since=now").json()
    assert body["results"] == [] and body["more"] is False
    services.asset_update(
        asset=_asset(hooks_world["asset_a"].pk), title="later", alt_text="", focal=None
    )
    changes, _ = _follow(api, body["next_cursor"])
    assert [c["asset"]["title"] for c in changes] == ["later"]


def test_reach_and_moves_out_of_view(hooks_world, client):
    """A reader of B sees B's changes only; an asset moved from B to A leaves
    their view as a deletion, and one moved from A into B arrives."""
    api = _client(client, hooks_world["viewer"])
    _, cursor = _follow(api)
    a, b = hooks_world["asset_a"], hooks_world["asset_b"]
    services.asset_update(asset=_asset(a.pk), title="a-secret", alt_text="", focal=None)
    services.assets_move(asset_ids=[b.pk], collection=hooks_world["A"])
    services.assets_move(asset_ids=[a.pk], collection=hooks_world["B"])
    # a's edit while in A is not listed; a as it is now (in B) is.
    changes = api.get(f"/api/changes/?since={cursor}").json()["results"]
    assert [(c["event"], c["asset_id"], c["moved_out"]) for c in changes] == [
        ("asset.deleted", str(b.pk), True),
        ("asset.updated", str(a.pk), False),
    ]
    assert changes[0]["asset"] is None
    assert changes[1]["asset"]["collection"] == hooks_world["B"].pk


def test_one_patch_is_one_change(hooks_world, client):
    """Title, tags and collection in one PATCH make one change."""
    api = _client(client, hooks_world["boss"], write=True)
    _, cursor = _follow(api)
    a = hooks_world["asset_a"]
    response = api.patch(
        f"/api/assets/{a.pk}/",
        {"title": "p", "tags": ["t"], "collection": hooks_world["B"].pk},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    changes, _ = _follow(api, cursor)
    assert [(c["event"], c["asset"]["collection"]) for c in changes] == [
        ("asset.updated", hooks_world["B"].pk)
    ]
    row = Change.objects.get(pk=changes[0]["id"])
    assert row.previous_collection_id == hooks_world["A"].pk


@pytest.mark.parametrize(
    "since",
    [
        "nonsense",
        "Y2hnMTp4",
        "",
        "chg1:5",
        "Y2hnMTotMQ",
        "%00",
        "Y2hnMjo1Lnp6",  # chg2:5.zz, no reach mark
        "Y2hnMjo1",  # chg2:5
        "Y2hnMjp4LmFsbA",  # chg2:x.all
    ],
)
def test_a_cursor_not_given_out_is_not_found(hooks_world, client, since):
    api = _client(client, hooks_world["boss"])
    response = api.get(f"/api/changes/?since={since}")
    assert response.status_code == 404
    assert "next_cursor" in response.json()["error"]


def test_a_bad_limit_or_parameter_is_refused(hooks_world, client):
    api = _client(client, hooks_world["boss"])
    assert api.get("/api/changes/?limit=0").status_code == 400
    assert api.get("/api/changes/?limit=501").status_code == 400
    assert api.get("/api/changes/?after=1").status_code == 400


def test_a_change_rolled_back_leaves_no_row(hooks_world):
    """The row commits with the change, or not at all."""
    before = Change.objects.count()
    with pytest.raises(RuntimeError), services.changes_batch():
        from django.db import transaction

        with transaction.atomic():
            services.asset_update(
                asset=_asset(hooks_world["asset_a"].pk),
                title="never",
                alt_text="",
                focal=None,
            )
            raise RuntimeError
    assert Change.objects.count() == before
    assert _asset(hooks_world["asset_a"].pk).title != "never"


def test_old_changes_are_pruned_and_old_cursors_told_so(hooks_world, client):
    """The sweep keeps MEDIAHUB_CHANGES_DAYS of changes; a follower whose cursor
    is older is told to list again (410), one within the kept days goes on."""
    from datetime import timedelta

    from django.utils import timezone

    from transcoder.api.views.changes import cursor_for

    api = _client(client, hooks_world["boss"])
    a = hooks_world["asset_a"]
    services.asset_update(asset=_asset(a.pk), title="old", alt_text="", focal=None)
    old = Change.objects.order_by("-id").first()
    services.asset_update(asset=_asset(a.pk), title="new", alt_text="", focal=None)
    Change.objects.filter(id__lte=old.id).update(at=timezone.now() - timedelta(days=91))
    services.sweep()
    assert not Change.objects.filter(id__lte=old.id).exists()
    assert Change.objects.filter(id__gt=old.id).count() == 1
    stale = api.get(f"/api/changes/?since={cursor_for(old.id - 1)}")
    assert stale.status_code == 410 and "list the images again" in stale.json()["error"]
    kept = api.get(f"/api/changes/?since={cursor_for(old.id)}").json()["results"]
    assert [c["asset"]["title"] for c in kept] == ["new"]
    assert [
        c["asset"]["title"] for c in api.get("/api/changes/").json()["results"]
    ] == ["new"]


def test_a_change_of_reach_tells_the_follower_to_list_again(hooks_world, client):
    """The feed is filtered by what the token's owner may view. When that
    changes (a grant given, then taken away), a cursor read with the old
    reach answers 410, as a pruned one does: read on, the follower would keep
    images it may no longer view and never hear of ones it now may. A grant
    elsewhere leaves the cursor good; a cursor from before cursors kept the
    reach (chg1) is still read."""
    from django.contrib.auth.models import Group

    from transcoder.api.views.changes import cursor_for, cursor_position

    viewer, boss = hooks_world["viewer"], hooks_world["boss"]
    api = _client(client, viewer)
    _, cursor = _follow(api)
    a = hooks_world["asset_a"]
    # Another group's grant on A changes nothing the viewer sees.
    others = Group.objects.create(name="others")
    services.collection_permissions_set(
        collection=hooks_world["A"], grants={others: {"view"}}, user=boss
    )
    assert _follow(api, cursor) == ([], cursor)
    viewers = Group.objects.get(name="B viewers")
    services.collection_permissions_set(
        collection=hooks_world["A"], grants={viewers: {"view"}}, user=boss
    )
    services.asset_update(asset=_asset(a.pk), title="a-now", alt_text="", focal=None)
    stale = api.get(f"/api/changes/?since={cursor}")
    assert stale.status_code == 410
    assert "list the images again" in stale.json()["error"]
    # Listed again from now: A's changes arrive.
    fresh = api.get("/api/changes/?since=now").json()["next_cursor"]
    services.asset_update(asset=_asset(a.pk), title="a-later", alt_text="", focal=None)
    changes, fresh = _follow(api, fresh)
    assert [c["asset"]["title"] for c in changes] == ["a-later"]
    # Joining a group that views A too changes nothing more; taking the grant
    # on A away shrinks the reach: told again.
    also = Group.objects.create(name="A watchers")
    services.collection_permissions_set(
        collection=hooks_world["A"], grants={also: {"view"}}, user=boss
    )
    viewer.groups.add(also)
    assert api.get(f"/api/changes/?since={fresh}").status_code == 200
    services.collection_permissions_set(
        collection=hooks_world["A"], grants={viewers: set(), also: set()}, user=boss
    )
    assert api.get(f"/api/changes/?since={fresh}").status_code == 410
    # A cursor that kept no reach is read as before.
    position, mark = cursor_position(fresh)
    assert mark is not None
    assert api.get(f"/api/changes/?since={cursor_for(position)}").status_code == 200
