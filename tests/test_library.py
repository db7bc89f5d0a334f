"""The asset library: tags, alt text workflow, grid view and bulk jobs."""

import time
import uuid

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group, User

from tests.images import make_image
from tests.seed import asset_rows
from tests.support import grant
from transcoder import selectors, services
from transcoder.models import Asset, Job, TaggedAsset, root_collection

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/transcoder/asset/"
# Tasks are stored, never run: what the request itself did is all there is.
DUMMY_TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


def _asset(i=0, **fields):
    asset = services.asset_create(
        content=make_image("PNG", size=(40 + i, 30)), filename=f"img{i}.png"
    )
    if fields:
        Asset.objects.filter(pk=asset.pk).update(**fields)
        asset.refresh_from_db()
    return asset


def _rows(n):
    """Make ``n`` asset rows directly (no files): for list and bulk sizes."""
    asset_rows(n, format="png", mime_type="image/png", width=10, height=10)
    return sorted(str(pk) for pk in Asset.objects.values_list("pk", flat=True))


# --- tags -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("beach, sunset", ["beach", "sunset"]),
        ('"sea view", boat', ["boat", "sea view"]),
        ("one two", ["one two"]),
        ("", []),
    ],
)
def test_tags_parse_reads_commas_and_quotes(text, names):
    """Typed tags split on commas only (a space belongs to its tag) and keep
    quoted phrases."""
    assert services.tags_parse(text) == names


def test_tags_parse_refuses_an_overlong_tag():
    """A tag longer than the column is a clear error, not a truncated tag."""
    with pytest.raises(services.TagError, match="at most 100"):
        services.tags_parse("x" * 101)


def test_tags_add_is_idempotent_and_reuses_tags_case_insensitively():
    """Adding twice links once; "Beach" reuses an existing "beach"."""
    a, b = _rows(2)
    assert services.tags_add(asset_ids=[a, b], names=["beach"]) == 2
    assert services.tags_add(asset_ids=[a, b], names=["Beach", "sea"]) == 2
    assert TaggedAsset.objects.count() == 4
    assert sorted(Asset.objects.get(pk=a).tags.names()) == ["beach", "sea"]


def test_tags_remove_takes_only_the_named_tags_off_the_selection():
    """Removing a tag leaves other tags and other assets alone."""
    a, b = _rows(2)
    services.tags_add(asset_ids=[a, b], names=["beach", "sea"])
    assert services.tags_remove(asset_ids=[a], names=["BEACH", "unknown"]) == 1
    assert list(Asset.objects.get(pk=a).tags.names()) == ["sea"]
    assert sorted(Asset.objects.get(pk=b).tags.names()) == ["beach", "sea"]
    assert services.tags_remove(asset_ids=[a], names=["beach"]) == 0


def test_tags_set_replaces_an_assets_tags():
    """Setting tags adds the new ones and drops the rest."""
    (a,) = _rows(1)
    asset = Asset.objects.get(pk=a)
    services.tags_set(asset=asset, names=["one", "two"])
    services.tags_set(asset=asset, names=["two", "three"])
    assert sorted(asset.tags.names()) == ["three", "two"]


def test_erasing_an_asset_deletes_its_tag_links():
    """Tag links stay while the asset is in the Trash, and cascade with its erasure."""
    asset = _asset()
    services.tags_add(asset_ids=[asset.pk], names=["x"])
    services.asset_delete(asset=asset)
    assert TaggedAsset.objects.count() == 1
    services.trash_erase(asset_id=asset.pk)
    assert TaggedAsset.objects.count() == 0


# --- search and filters -----------------------------------------------------
@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("harbour", True),  # title
        ("lighthouse", True),  # alt text
        ("img0", True),  # file name
        ("coastline", True),  # tag
        ("nothing-like-it", False),
    ],
)
def test_search_covers_title_alt_text_file_name_and_tags(admin_client, query, found):
    """The list's search finds an asset by each of its texts, once."""
    asset = _asset(title="Harbour", alt_text="A lighthouse at dusk")
    services.tags_add(asset_ids=[asset.pk], names=["coastline", "coast"])
    response = admin_client.get(LIST_URL, {"q": query})
    assert response.status_code == 200
    results = list(response.context["cl"].result_list)
    assert results == ([asset] if found else [])


def test_search_through_two_matching_tags_lists_the_asset_once(admin_client):
    """Two tags matching the query do not duplicate the row."""
    asset = _asset()
    services.tags_add(asset_ids=[asset.pk], names=["coast", "coastline"])
    response = admin_client.get(LIST_URL, {"q": "coast"})
    assert list(response.context["cl"].result_list) == [asset]
    assert response.context["cl"].result_count == 1


def test_tag_filter_lists_only_tagged_assets(admin_client):
    """?tag= keeps the assets with that tag, case-insensitively."""
    a, b = _rows(2)
    services.tags_add(asset_ids=[a], names=["Beach"])
    response = admin_client.get(LIST_URL, {"tag": "beach"})
    assert [str(x.pk) for x in response.context["cl"].result_list] == [a]
    assert "Beach (1)" in response.content.decode()


def test_missing_alt_filter_and_count_skip_decorative_and_described_assets(
    admin_client,
):
    """Missing alt text means no alt text and not decorative."""
    missing = _asset(0)
    _asset(1, alt_text="A boat")
    _asset(2, decorative=True)
    assert selectors.assets_missing_alt_count(Asset.objects.all()) == 1
    response = admin_client.get(LIST_URL, {"alt": "missing"})
    assert list(response.context["cl"].result_list) == [missing]


def test_tag_suggestions_answer_matching_names_to_editors_only(admin_client, client):
    """The autocomplete view lists tags by prefix and needs the view permission."""
    (a,) = _rows(1)
    services.tags_add(asset_ids=[a], names=["beach", "boat", "sea"])
    response = admin_client.get(LIST_URL + "tags/", {"q": "b"})
    assert response.json() == {"tags": ["beach", "boat"]}
    assert client.get(LIST_URL + "tags/", {"q": "b"}).status_code == 302


# --- decorative -------------------------------------------------------------
def test_asset_form_saves_decorative_and_tags(admin_client):
    """The asset page saves the decorative flag and typed tags."""
    asset = _asset()
    response = admin_client.post(
        f"{LIST_URL}{asset.pk}/change/",
        {"title": "T", "alt_text": "", "decorative": "on", "tags": "one, two"},
    )
    assert response.status_code == 302, response.content[:2000]
    asset.refresh_from_db()
    assert asset.decorative is True
    assert sorted(asset.tags.names()) == ["one", "two"]


# --- grid and table ---------------------------------------------------------
def test_list_is_a_grid_by_default_and_the_toggle_keeps_filters(
    admin_client, presets, django_capture_on_commit_callbacks
):
    """The grid is the default; ?view=table is remembered and keeps the query."""
    with django_capture_on_commit_callbacks(execute=True):
        _asset()
    response = admin_client.get(LIST_URL)
    assert 'class="mh-results mh-results--grid"' in response.content.decode()
    response = admin_client.get(LIST_URL, {"q": "img", "view": "table"})
    assert response.status_code == 302
    assert response["Location"] == LIST_URL + "?q=img"
    response = admin_client.get(response["Location"])
    html = response.content.decode()
    assert 'class="mh-results mh-results--table"' in html
    assert 'name="_selected_action"' in html
    assert 'loading="lazy"' in html


@pytest.mark.parametrize("view", ["grid", "table"])
def test_list_pages_take_a_bounded_number_of_queries(
    admin_client, view, django_assert_max_num_queries
):
    """A page of 50 tagged assets costs the same few queries in both views."""
    ids = _rows(120)
    services.tags_add(asset_ids=ids, names=["a", "b"])
    admin_client.get(LIST_URL, {"view": view})
    with django_assert_max_num_queries(16):
        response = admin_client.get(LIST_URL, {"p": "2"})
    assert len(response.context["cl"].result_list) == 50
    assert response.content.decode().count('<span class="mh-tag">a</span>') == 50


# --- bulk jobs --------------------------------------------------------------
def test_bulk_job_works_in_bounded_batches_and_a_repeat_does_nothing(
    settings, admin_user
):
    """Each step does one batch from its cursor; a stale cursor is a no-op."""
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    settings.MEDIAHUB_BULK_BATCH = 3
    ids = _rows(7)
    job = services.job_start(
        action="tags_add",
        label="Add tags",
        asset_ids=ids,
        params={"tags": ["t"]},
        user=admin_user,
    )
    assert services.job_step(job_id=job.pk, cursor="") == 3
    assert services.job_step(job_id=job.pk, cursor="") == 0  # delivered twice
    assert TaggedAsset.objects.count() == 3
    assert services.job_step(job_id=job.pk, cursor=ids[2]) == 3
    assert services.job_step(job_id=job.pk, cursor=ids[5]) == 1
    job.refresh_from_db()
    assert job.finished_at is not None and job.done == 7
    assert TaggedAsset.objects.count() == 7
    assert services.job_progress(job=job)["finished"] is True


def test_bulk_start_refuses_an_unknown_action():
    """An action nobody registered is an error, not a silent job."""
    with pytest.raises(services.JobActionError, match="Unknown job action"):
        services.job_start(action="explode", label="x", asset_ids=[], user=None)


def test_bulk_delete_runs_to_the_end_through_the_task_queue(
    settings, admin_user, django_capture_on_commit_callbacks
):
    """With the immediate backend the chain of batches deletes every asset."""
    settings.MEDIAHUB_BULK_BATCH = 2
    assets = [_asset(i) for i in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        job = services.job_start(
            action="delete",
            label="Delete",
            asset_ids=[a.pk for a in assets],
            user=admin_user,
        )
    job.refresh_from_db()
    assert job.finished_at is not None and job.done == 5
    assert Asset.objects.count() == 0


def _post_action(client, action, ids, *, across=False, **extra):
    data = {
        "action": action,
        ACTION_CHECKBOX_NAME: ids,
        "select_across": "1" if across else "0",
        "index": "0",
        **extra,
    }
    return client.post(LIST_URL, data)


def test_add_tags_action_asks_for_tags_then_queues_a_job(
    admin_client, django_capture_on_commit_callbacks
):
    """The action shows a form first; confirming queues a job that tags them."""
    a, b, c = _rows(3)
    response = _post_action(admin_client, "add_tags", [a, b])
    assert response.status_code == 200
    assert "2 images selected" in response.content.decode()
    assert not Job.objects.exists()
    response = _post_action(admin_client, "add_tags", [a, b], apply="1", tags="")
    assert "Type at least one tag" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_action(
            admin_client, "add_tags", [a, b], apply="1", tags="x, y"
        )
    assert response.status_code == 302
    job = Job.objects.get()
    assert job.action == "tags_add" and job.total_assets == 2
    assert sorted(Asset.objects.get(pk=a).tags.names()) == ["x", "y"]
    assert not Asset.objects.get(pk=c).tags.exists()


def test_status_endpoint_reports_bulk_job_progress(admin_client, settings):
    """The status endpoint answers bulk jobs like rebuild jobs."""
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    ids = _rows(2)
    job = services.job_start(
        action="tags_add",
        label="Add tags",
        asset_ids=ids,
        params={"tags": ["t"]},
        user=User.objects.get(username="admin"),
    )
    body = admin_client.get(LIST_URL + "status/", {"jobs": str(job.pk)}).json()
    assert body["jobs"][str(job.pk)]["total_assets"] == 2
    assert body["jobs"][str(job.pk)]["finished"] is False


@pytest.mark.parametrize(
    ("action", "extra", "job_action"),
    [
        ("delete_in_background", {}, "delete"),
        ("add_tags", {"tags": "archive"}, "tags_add"),
        ("regenerate_renditions", {}, "rebuild"),
    ],
)
def test_actions_across_ten_thousand_assets_only_queue_a_job(
    admin_client, settings, presets, action, extra, job_action
):
    """Selecting all 10,000 and confirming stores a job; the request does none
    of the work.

    Prints the server time of the confirming request (a benchmark figure).
    """
    settings.TASKS = DUMMY_TASKS
    _rows(10_000)
    first = str(Asset.objects.values_list("pk", flat=True).first())
    started = time.perf_counter()
    response = _post_action(
        admin_client, action, [first], across=True, apply="1", **extra
    )
    elapsed = time.perf_counter() - started
    print(f"\nselect-across {action} of 10,000 assets: request took {elapsed:.3f} s")
    assert response.status_code == 302
    # (Creating the starter presets made jobs of their own, over no assets.)
    job = Job.objects.get(total_assets=10_000, action=job_action)
    assert job.done == 0 and job.finished_at is None
    assert Asset.objects.count() == 10_000
    assert not TaggedAsset.objects.exists()


def test_select_across_respects_the_lists_filters(admin_client, settings):
    """ "Select all" over a filtered list selects only what the filter shows."""
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    ids = _rows(5)
    services.tags_add(asset_ids=ids[:2], names=["keep"])
    response = admin_client.post(
        LIST_URL + "?tag=keep",
        {
            "action": "remove_tags",
            ACTION_CHECKBOX_NAME: [ids[0]],
            "select_across": "1",
            "index": "0",
            "apply": "1",
            "tags": "keep",
        },
    )
    assert response.status_code == 302
    assert sorted(Job.objects.get().asset_ids) == sorted(ids[:2])


def test_bulk_job_skips_assets_deleted_meanwhile(
    admin_user, django_capture_on_commit_callbacks
):
    """An id that no longer exists counts as done and breaks nothing."""
    ids = [*_rows(1), str(uuid.uuid4())]
    with django_capture_on_commit_callbacks(execute=True):
        job = services.job_start(
            action="tags_add",
            label="t",
            asset_ids=ids,
            params={"tags": ["t"]},
            user=admin_user,
        )
    job.refresh_from_db()
    assert job.finished_at is not None and job.done == 2
    assert TaggedAsset.objects.count() == 1


@pytest.mark.parametrize(
    ("lose", "tagged"),
    [
        (None, {"a", "b"}),
        ("collection", {"a"}),
        ("deactivated", set()),
        ("deleted", set()),
    ],
)
def test_each_bulk_batch_acts_within_its_starters_reach_now(settings, lose, tagged):
    """A bulk job's batches act as its starter, asked again at each batch: after
    the starter loses collection B, is deactivated or deleted, the queued
    batches change nothing out of their reach."""
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    root = root_collection()
    coll_a = services.collection_create(parent=root, name="A")
    coll_b = services.collection_create(parent=root, name="B")
    editor = User.objects.create_user("ed", password="pw", is_staff=True)
    group_a, group_b = Group.objects.create(name="a"), Group.objects.create(name="b")
    grant(group_a, coll_a, "view", "change")
    grant(group_b, coll_b, "view", "change")
    editor.groups.add(group_a, group_b)
    a = _asset(1, title="a", collection=coll_a)
    b = _asset(2, title="b", collection=coll_b)
    job = services.job_start(
        action="tags_add",
        label="Add tags",
        asset_ids=[a.pk, b.pk],
        params={"tags": ["late"]},
        user=editor,
    )
    if lose == "collection":
        editor.groups.remove(group_b)
    elif lose == "deactivated":
        User.objects.filter(pk=editor.pk).update(is_active=False)
    elif lose == "deleted":
        editor.delete()
    assert services.job_step(job_id=job.pk, cursor="") == 2
    assert {x.title for x in Asset.objects.filter(tags__name="late")} == tagged
