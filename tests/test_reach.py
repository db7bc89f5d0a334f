"""Every aggregate an editor sees is computed within what that editor may view.

Two collections, Alpha and Bravo; an editor limited to Alpha (who may also
manage presets and list collections) and a superuser. Bravo holds assets,
tags, a look-alike, usage and jobs with distinctive names: each surface shows
the limited editor nothing of Bravo, and counts only Alpha, while the
superuser's figures take in both.
"""

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.fixtures_library import add_asset, pattern
from tests.support import grant, logged_in, model_perms
from transcoder import selectors
from transcoder.models import (
    Asset,
    Job,
    root_collection,
)
from transcoder.services.library.duplicates import (
    lookalikes_none_within,
    lookalikes_within,
)

LIST = "/admin/transcoder/asset/"


def _get(path):
    return lambda c, w: c.get(path).content.decode()


def _change_page(c, w):
    return c.get(f"{LIST}{w['assets']['lone'].pk}/change/").content.decode()


def _preset_delete(c, w):
    return c.get(f"/admin/transcoder/preset/{w['card'].pk}/delete/").content.decode()


def _preset_preview(c, w):
    url = reverse("admin:transcoder_preset_preview_change", args=[w["card"].pk])
    form = {
        "name": "Card",
        "slug": "card",
        "fit": "contain",
        "width": 200,
        "height": 300,
        "widths": "",
        "formats": ["jpeg"],
        "quality": 80,
        "background": "#ffffff",
        "active": "on",
    }
    return c.post(url, form).content.decode()


# surface, request, (editor sees, editor never sees), (superuser sees).
SURFACES = [
    (
        "tag sidebar",
        _get(LIST),
        (["shared (1)"], ["bravo-secret", "shared (2)", "bravo secret"]),
        ["shared (2)", "bravo-secret (2)"],
    ),
    (
        "tag admin",
        _get("/admin/taggit/tag/"),
        (["shared"], ["bravo-secret"]),
        ["shared", "bravo-secret"],
    ),
    (
        "near-duplicate filter",
        _get(f"{LIST}?near_duplicates=yes"),
        (["alpha pair one", "alpha pair two"], ["alpha lone twin", "bravo secret"]),
        ["alpha lone twin", "bravo secret twin", "alpha pair one"],
    ),
    (
        "facet counts",
        _get(f"{LIST}?_facets=True"),
        (
            ["Has near duplicates (2)", "Has none (1)", "Alpha (3)"],
            ["Bravo", "bravo-secret", "(4)", "(5)"],
        ),
        ["Has near duplicates (4)", "Has none (1)", "Bravo (2)"],
    ),
    (
        "similar images of an asset",
        _change_page,
        (["alpha lone twin", "https://alpha-site.example"], ["bravo secret"]),
        ["bravo secret twin"],
    ),
    (
        "media home",
        _get("/admin/"),
        (
            ["<strong>3</strong> images without alt text", ">Alpha</a>"],
            [">Bravo</a>", "bravo secret"],
        ),
        ["<strong>5</strong> images without alt text", ">Bravo</a>"],
    ),
    (
        "collection tree counts",
        _get("/admin/transcoder/collection/"),
        (
            [
                'Alpha</a></th><td class="field-asset_count">3<',
                'Bravo</a></th><td class="field-asset_count">0<',
            ],
            ['field-asset_count">2<'],
        ),
        [
            'Alpha</a></th><td class="field-asset_count">3<',
            'Bravo</a></th><td class="field-asset_count">2<',
        ],
    ),
    (
        "preset delete warning",
        _preset_delete,
        (
            [
                "https://alpha-site.example: 7 requests",
                "<li>Renditions: 1</li>",
                "Only the images of collections you may view are counted",
            ],
            ["bravo-site", "11 requests", "bravo secret", "Renditions: 2"],
        ),
        ["https://bravo-site.example: 11 requests", "<li>Renditions: 2</li>"],
    ),
    (
        "preset preview",
        _preset_preview,
        (["for each of the 3 images you can see"], ["5 images"]),
        ["for each of 5 images"],
    ),
]


@pytest.mark.parametrize(
    ("surface", "fetch", "editor", "boss"),
    SURFACES,
    ids=[s[0] for s in SURFACES],
)
def test_limited_editor_sees_nothing_of_another_collection(
    world, surface, fetch, editor, boss
):
    """The Alpha editor's page counts Alpha only; the superuser's counts both."""
    shown, hidden = editor
    body = fetch(logged_in(world["editor"]), world)
    for text in shown:
        assert text in body, f"{surface}: {text!r} missing for the editor"
    for text in hidden:
        assert text not in body, f"{surface}: {text!r} shown to the editor"
    body = fetch(logged_in(world["boss"]), world)
    for text in boss:
        assert text in body, f"{surface}: {text!r} missing for the superuser"


def _status(client, world, *names):
    ids = ",".join(str(world["jobs"][n].pk) for n in names)
    return client.get(f"{LIST}status/", {"jobs": ids}).json()["jobs"]


ALL_JOBS = ["boss rebuild", "boss bulk", "system rebuild", "editor rebuild"]


@pytest.mark.parametrize(
    ("who", "answered"),
    [
        ("editor", {"editor rebuild", "editor bulk"}),
        ("boss", {*ALL_JOBS, "editor bulk"}),
    ],
)
def test_status_answers_a_job_only_to_its_starter_or_a_superuser(world, who, answered):
    """Another user's job, or the system's, is answered as a missing id."""
    jobs = _status(logged_in(world[who]), world, *ALL_JOBS, "editor bulk")
    names = {n for n, job in world["jobs"].items() if str(job.pk) in jobs}
    assert names == answered
    labels = {job["label"] for job in jobs.values()}
    assert ("Bravo rebuild" in labels) is (who == "boss")


@pytest.mark.parametrize(
    ("who", "total", "done", "renditions"),
    [("editor", 3, 3, 3), ("boss", 5, 5, 5)],
)
def test_library_wide_job_progress_counts_within_reach(
    world, who, total, done, renditions
):
    """A rebuild of every asset counts, for a limited editor, only their assets."""
    job = _status(logged_in(world[who]), world, "editor rebuild")
    (progress,) = job.values()
    assert (progress["total_assets"], progress["done"]) == (total, done)
    assert progress["total_renditions"] == renditions


def test_preset_save_message_counts_within_reach(world):
    """Saving a preset tells a limited editor how many of their images rebuild."""
    client = logged_in(world["editor"])
    response = client.post(
        f"/admin/transcoder/preset/{world['card'].pk}/change/",
        {
            "name": "Card",
            "slug": "card",
            "fit": "contain",
            "width": 250,
            "height": 300,
            "widths": "",
            "formats": ["jpeg"],
            "quality": 80,
            "background": "#ffffff",
            "active": "on",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "Rebuilding 3 renditions of 3 images." in body
    job = Job.objects.filter(label="Preset Card").latest("created_at")
    assert job.created_by == world["editor"] and job.total_assets == 5


def test_probe_upload_tells_nothing_of_a_look_alike_elsewhere(world):
    """A probe like only a Bravo image is not "has near duplicates" for the editor."""
    client = logged_in(world["editor"])
    response = client.post(
        f"{LIST}upload/file/",
        {
            "file": _probe_file(),
            "collection": world["alpha"].pk,
        },
    )
    assert response.status_code == 201, response.content
    probe = response.json()["asset"]["title"]
    listed = client.get(f"{LIST}?near_duplicates=yes").content.decode()
    assert probe not in listed and "alpha pair one" in listed
    page = client.get(response.json()["asset"]["url"]).content.decode()
    assert "bravo secret" not in page
    listed = logged_in(world["boss"]).get(f"{LIST}?near_duplicates=yes")
    assert probe in listed.content.decode()


def _probe_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("probe.jpg", pattern(3, 40), "image/jpeg")


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url",
    [f"{LIST}?near_duplicates=yes", f"{LIST}?_facets=True", LIST],
)
def test_limited_lists_take_the_same_queries_at_any_size(world, url):
    """Thirty more look-alikes and tags cost the limited editor no more queries."""
    client = logged_in(world["editor"])
    client.get(url)  # Sessions and content types settle.
    before = _queries(client, url)
    for i in range(30):
        add_asset(world["alpha"], f"more {i}", seed=10 + i % 3, tags=[f"t{i}"])
    assert _queries(client, url) == before


def _user_with(world, kind):
    """Return a user of ``kind``: how far their view reaches is the question."""
    if kind in ("boss", "editor"):
        return world[kind]
    if kind == "anonymous":
        from django.contrib.auth.models import AnonymousUser

        return AnonymousUser()
    user = User.objects.create_user(kind, password="pw", is_staff=True)
    if kind == "model-wide viewer":
        model_perms(user, "view_asset")
    elif kind == "root grantee":
        group = Group.objects.create(name="Root viewers")
        grant(group, root_collection(), "view")
        user.groups.add(group)
    elif kind == "inactive editor":
        user.groups.add(Group.objects.get(name="Alpha editors"))
        user.is_active = False
        user.save()
    return user


@pytest.mark.parametrize(
    ("kind", "titles"),
    [
        ("boss", None),
        ("model-wide viewer", None),
        ("root grantee", None),
        ("editor", {"alpha lone twin", "alpha pair one", "alpha pair two"}),
        ("inactive editor", set()),
        ("anonymous", set()),
    ],
)
def test_view_reach_is_none_only_for_the_whole_library(world, kind, titles):
    """None (the fast path) only when the user may view every collection."""
    reach = selectors.view_reach(_user_with(world, kind))
    if titles is None:
        assert reach is None
    else:
        assert {a.title for a in reach} == titles


@pytest.mark.parametrize(
    ("within", "expected"),
    [
        ("all", {"lone", "twin", "pair1", "pair2"}),
        ("alpha", {"pair1", "pair2"}),
        ("bravo", set()),
    ],
)
def test_lookalikes_pair_only_within_the_given_assets(world, within, expected):
    """A look-alike counts only when both images are among the given assets."""
    assets = Asset.objects.all()
    if within != "all":
        assets = assets.filter(collection__name=within.capitalize())
    found = set(lookalikes_within(assets, assets=assets).values_list("pk", flat=True))
    names = {n for n, a in world["assets"].items() if a.pk in found}
    assert names == expected
    alone = lookalikes_none_within(assets, assets=assets).values_list("pk", flat=True)
    assert set(alone) == set(assets.values_list("pk", flat=True)) - found


@pytest.mark.parametrize(("who", "renamed"), [("editor", False), ("boss", True)])
def test_only_a_whole_library_user_renames_a_shared_tag(world, who, renamed):
    """A tag is in every collection: a limited editor may not rename it."""
    from taggit.models import Tag

    shared = Tag.objects.get(name="shared")
    logged_in(world[who]).post(
        f"/admin/taggit/tag/{shared.pk}/change/", {"name": "renamed", "slug": "x"}
    )
    assert Tag.objects.filter(name="renamed").exists() is renamed


def test_taggits_unchecked_merge_view_is_gone(world):
    """taggit's merge view (no permission check, wrong tag model) answers nothing."""
    from taggit.models import Tag

    client = logged_in(world["editor"])
    client.post("/admin/taggit/tag/merge-tags/", {"new_tag_name": "merged"})
    assert not Tag.objects.filter(name="merged").exists()
