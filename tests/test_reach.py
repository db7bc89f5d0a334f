"""Every aggregate an editor sees is computed within what that editor may view.

Two collections, Alpha and Bravo; an editor limited to Alpha (who may also
manage presets and list collections) and a superuser. Bravo holds assets,
tags, a look-alike, usage and jobs with distinctive names: each surface shows
the limited editor nothing of Bravo, and counts only Alpha, while the
superuser's figures take in both.
"""

import random

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from tests.images import encode
from tests.test_permissions import ACTIONS, _grant
from transcoder import selectors, services
from transcoder.models import (
    Asset,
    Preset,
    RebuildJob,
    UsageDay,
    root_collection,
)
from transcoder.services.duplicates import near_duplicate_ids

LIST = "/admin/transcoder/asset/"


def _pattern(seed, quality=90):
    """Return a JPEG of random 9 x 8 blocks: one seed, one perceptual hash.

    Two seeds are about 32 bits apart; one seed at two qualities is a
    look-alike (a different file, the same picture).
    """
    rng = random.Random(seed)
    image = Image.new("L", (9, 8))
    image.putdata([rng.randrange(256) for _ in range(72)])
    image = image.resize((180, 160), Image.Resampling.NEAREST).convert("RGB")
    return encode(image, "JPEG", quality=quality)


def _add(collection, title, seed, quality=90, tags=()):
    asset = services.asset_create(
        content=_pattern(seed, quality),
        filename=f"{title}.jpg",
        title=title,
        collection=collection,
        allow_duplicate=True,
    )
    if tags:
        services.tags_add(asset_ids=[asset.pk], names=list(tags))
    return asset


def _model_perms(user, *codenames):
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="transcoder", codename__in=codenames
        )
    )


@pytest.fixture
def world(presets):
    """Alpha: a lone twin (its look-alike is in Bravo), a look-alike pair.

    Bravo: the lone twin's look-alike and one more asset, tagged "bravo-secret",
    used on a Bravo site, with a rebuild and a bulk job of the superuser.
    """
    root = root_collection()
    alpha = services.collection_create(parent=root, name="Alpha")
    bravo = services.collection_create(parent=root, name="Bravo")
    group = Group.objects.create(name="Alpha editors")
    _grant(group, alpha, *ACTIONS)
    editor = User.objects.create_user("alpha-ed", password="pw", is_staff=True)
    editor.groups.add(group)
    _model_perms(editor, "view_collection", "change_preset", "delete_preset")
    editor.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="taggit")
    )
    boss = User.objects.create_superuser("boss", password="pw")
    assets = {
        "lone": _add(alpha, "alpha lone twin", seed=1, tags=["shared"]),
        "pair1": _add(alpha, "alpha pair one", seed=2),
        "pair2": _add(alpha, "alpha pair two", seed=2, quality=60),
        "twin": _add(bravo, "bravo secret twin", 1, 60, ["shared", "bravo-secret"]),
        "other": _add(bravo, "bravo secret other", 3, tags=["bravo-secret"]),
    }
    card = Preset.objects.get(slug="card")
    for name in ("lone", "twin"):
        services.renditions_generate(asset_id=assets[name].pk, preset_ids=[card.pk])
    today = timezone.localdate()
    UsageDay.objects.create(
        asset=assets["lone"], origin="https://alpha-site.example", day=today, count=7
    )
    UsageDay.objects.create(
        asset=assets["twin"], origin="https://bravo-site.example", day=today, count=11
    )
    bravo_ids = [assets["twin"].pk, assets["other"].pk]
    jobs = {
        "boss rebuild": services.rebuild_start(
            label="Bravo rebuild", asset_ids=bravo_ids, user=boss
        ),
        "boss bulk": services.bulk_start(
            action="tags_add",
            label="Bravo bulk",
            asset_ids=bravo_ids,
            params={"tags": ["x"]},
            user=boss,
        ),
        "system rebuild": services.rebuild_start(label="Nightly rebuild"),
        "editor rebuild": services.rebuild_start(
            label="Preset Card", preset_ids=[card.pk], user=editor
        ),
        "editor bulk": services.bulk_start(
            action="tags_add",
            label="Alpha bulk",
            asset_ids=[assets["lone"].pk],
            params={"tags": ["y"]},
            user=editor,
        ),
    }
    # The library-wide rebuild is past the last asset: five done of five.
    RebuildJob.objects.filter(pk=jobs["editor rebuild"].pk).update(
        cursor=str(max(a.pk for a in assets.values())), done=5
    )
    return {
        "editor": editor,
        "boss": boss,
        "assets": assets,
        "jobs": jobs,
        "card": card,
        "alpha": alpha,
    }


def _client(user):
    client = Client()
    client.force_login(user)
    return client


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
    body = fetch(_client(world["editor"]), world)
    for text in shown:
        assert text in body, f"{surface}: {text!r} missing for the editor"
    for text in hidden:
        assert text not in body, f"{surface}: {text!r} shown to the editor"
    body = fetch(_client(world["boss"]), world)
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
    jobs = _status(_client(world[who]), world, *ALL_JOBS, "editor bulk")
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
    job = _status(_client(world[who]), world, "editor rebuild")
    (progress,) = job.values()
    assert (progress["total_assets"], progress["done"]) == (total, done)
    assert progress["total_renditions"] == renditions


def test_preset_save_message_counts_within_reach(world):
    """Saving a preset tells a limited editor how many of their images rebuild."""
    client = _client(world["editor"])
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
    job = RebuildJob.objects.filter(label="Preset Card").latest("created_at")
    assert job.created_by == world["editor"] and job.total_assets == 5


def test_probe_upload_tells_nothing_of_a_look_alike_elsewhere(world):
    """A probe like only a Bravo image is not "has near duplicates" for the editor."""
    client = _client(world["editor"])
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
    listed = _client(world["boss"]).get(f"{LIST}?near_duplicates=yes")
    assert probe in listed.content.decode()


def _probe_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("probe.jpg", _pattern(3, 40), "image/jpeg")


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
    client = _client(world["editor"])
    client.get(url)  # Sessions and content types settle.
    before = _queries(client, url)
    for i in range(30):
        _add(world["alpha"], f"more {i}", seed=10 + i % 3, tags=[f"t{i}"])
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
        _model_perms(user, "view_asset")
    elif kind == "root grantee":
        group = Group.objects.create(name="Root viewers")
        _grant(group, root_collection(), "view")
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
def test_near_duplicate_ids_pairs_only_within_the_given_assets(world, within, expected):
    """A look-alike counts only when both images are among the given assets."""
    assets = Asset.objects.all()
    if within != "all":
        assets = assets.filter(collection__name=within.capitalize())
    found = near_duplicate_ids(assets=assets)
    names = {n for n, a in world["assets"].items() if a.pk in found}
    assert names == expected


@pytest.mark.parametrize(("who", "renamed"), [("editor", False), ("boss", True)])
def test_only_a_whole_library_user_renames_a_shared_tag(world, who, renamed):
    """A tag is in every collection: a limited editor may not rename it."""
    from taggit.models import Tag

    shared = Tag.objects.get(name="shared")
    _client(world[who]).post(
        f"/admin/taggit/tag/{shared.pk}/change/", {"name": "renamed", "slug": "x"}
    )
    assert Tag.objects.filter(name="renamed").exists() is renamed


def test_taggits_unchecked_merge_view_is_gone(world):
    """taggit's merge view (no permission check, wrong tag model) answers nothing."""
    from taggit.models import Tag

    client = _client(world["editor"])
    client.post("/admin/taggit/tag/merge-tags/", {"new_tag_name": "merged"})
    assert not Tag.objects.filter(name="merged").exists()
