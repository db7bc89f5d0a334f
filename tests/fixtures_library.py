"""The two permission libraries the policy tests share (a pytest plugin).

``library``: Root > Marketing > Events, Root > Sales, an asset in each, a
Marketing editor and a Sales viewer. ``world``: Alpha and Bravo, with
look-alikes, tags, usage and jobs, an editor limited to Alpha and a superuser.
"""

import random

import pytest
from PIL import Image

from tests.images import encode
from tests.support import ACTIONS, grant, model_perms

# Django's models are imported inside the fixtures: a plugin is loaded before
# Django is set up.


def pattern(seed, quality=90):
    """Return a JPEG of random 9 x 8 blocks: one seed, one perceptual hash.

    Two seeds are about 32 bits apart; one seed at two qualities is a
    look-alike (a different file, the same picture).
    """
    rng = random.Random(seed)
    image = Image.new("L", (9, 8))
    image.putdata([rng.randrange(256) for _ in range(72)])
    image = image.resize((180, 160), Image.Resampling.NEAREST).convert("RGB")
    return encode(image, "JPEG", quality=quality)


def add_asset(collection, title, seed, quality=90, tags=()):
    """Add an asset of ``pattern(seed, quality)`` to ``collection``, tagged."""
    from transcoder import services

    asset = services.asset_create(
        content=pattern(seed, quality),
        filename=f"{title}.jpg",
        title=title,
        collection=collection,
        allow_duplicate=True,
    )
    if tags:
        services.tags_add(asset_ids=[asset.pk], names=list(tags))
    return asset


@pytest.fixture
def library(presets, jpeg):
    """Root > Marketing > Events, Root > Sales; one asset in each; users."""
    from django.contrib.auth.models import Group, User

    from transcoder import services
    from transcoder.models import root_collection

    root = root_collection()
    marketing = services.collection_create(parent=root, name="Marketing")
    events = services.collection_create(parent=marketing, name="Events")
    sales = services.collection_create(parent=root, name="Sales")
    editors = Group.objects.create(name="Marketing editors")
    grant(editors, marketing, *ACTIONS)
    viewers = Group.objects.create(name="Sales viewers")
    grant(viewers, sales, "view")
    editor = User.objects.create_user("mkt", password="pw", is_staff=True)
    editor.groups.add(editors)
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.groups.add(viewers)
    assets = {
        name: services.asset_create(
            content=jpeg,
            filename=f"{name}.jpg",
            title=f"{name} photo",
            collection=c,
            allow_duplicate=True,
        )
        for name, c in [
            ("root", root),
            ("marketing", marketing),
            ("events", events),
            ("sales", sales),
        ]
    }
    return {
        "root": root,
        "marketing": marketing,
        "events": events,
        "sales": sales,
        "editor": editor,
        "viewer": viewer,
        "assets": assets,
    }


@pytest.fixture
def world(presets):
    """Alpha: a lone twin (its look-alike is in Bravo), a look-alike pair.

    Bravo: the lone twin's look-alike and one more asset, tagged "bravo-secret",
    used on a Bravo site, with a rebuild and a bulk job of the superuser.
    """
    from django.contrib.auth.models import Group, Permission, User
    from django.utils import timezone

    from transcoder import services
    from transcoder.models import Job, Preset, UsageDay, root_collection

    root = root_collection()
    alpha = services.collection_create(parent=root, name="Alpha")
    bravo = services.collection_create(parent=root, name="Bravo")
    group = Group.objects.create(name="Alpha editors")
    grant(group, alpha, *ACTIONS)
    editor = User.objects.create_user("alpha-ed", password="pw", is_staff=True)
    editor.groups.add(group)
    model_perms(editor, "view_collection", "change_preset", "delete_preset")
    editor.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="taggit")
    )
    boss = User.objects.create_superuser("boss", password="pw")
    assets = {
        "lone": add_asset(alpha, "alpha lone twin", seed=1, tags=["shared"]),
        "pair1": add_asset(alpha, "alpha pair one", seed=2),
        "pair2": add_asset(alpha, "alpha pair two", seed=2, quality=60),
        "twin": add_asset(
            bravo, "bravo secret twin", 1, 60, ["shared", "bravo-secret"]
        ),
        "other": add_asset(bravo, "bravo secret other", 3, tags=["bravo-secret"]),
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
        "boss bulk": services.job_start(
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
        "editor bulk": services.job_start(
            action="tags_add",
            label="Alpha bulk",
            asset_ids=[assets["lone"].pk],
            params={"tags": ["y"]},
            user=editor,
        ),
    }
    # The library-wide rebuild is past the last asset: five done of five.
    Job.objects.filter(pk=jobs["editor rebuild"].pk).update(
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
