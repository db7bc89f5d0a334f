"""Personas and helpers for the API token tests: collections Alpha and Beta.

A superuser, an editor of Alpha, an editor of Beta and an add-only uploader
of Alpha, all staff, all allowed to use the token admin; one photo in each
collection.

Test modules take the ``world`` fixture with ``world = token_personas.world``.
"""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission, User

from transcoder import services
from transcoder.models import ApiToken, GroupCollectionPermission, root_collection

ACTIONS = ("view", "add", "change", "delete")
TOKEN_ADMIN = ["add_apitoken", "change_apitoken", "view_apitoken", "delete_apitoken"]


def group(name, collection, *actions):
    """Make a group holding ``actions`` on ``collection`` (and below)."""
    made = Group.objects.create(name=name)
    for action in actions:
        GroupCollectionPermission.objects.create(
            group=made,
            collection=collection,
            permission=Permission.objects.get(
                content_type__app_label="transcoder", codename=f"{action}_asset"
            ),
        )
    return made


def staff(username, *groups):
    """Make a staff user in ``groups``."""
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.groups.set(groups)
    return user


@pytest.fixture
def world(presets, jpeg):
    """Root > Alpha, Root > Beta, one photo in each, and the four personas."""
    root = root_collection()
    alpha = services.collection_create(parent=root, name="Alpha")
    beta = services.collection_create(parent=root, name="Beta")
    makers = Group.objects.create(name="Token makers")
    makers.permissions.set(Permission.objects.filter(codename__in=TOKEN_ADMIN))
    users = {
        "superuser": User.objects.create_superuser("super", password="pw"),
        "editor_a": staff("editor_a", makers, group("A eds", alpha, *ACTIONS)),
        "editor_b": staff("editor_b", makers, group("B eds", beta, *ACTIONS)),
        "uploader": staff("uploader", makers, group("A up", alpha, "add")),
    }
    assets = {
        name: services.asset_create(
            content=jpeg,
            filename=f"{name}.jpg",
            title=f"{name} photo",
            collection=collection,
            allow_duplicate=True,
        )
        for name, collection in [("a", alpha), ("b", beta)]
    }
    return SimpleNamespace(alpha=alpha, beta=beta, users=users, assets=assets)


def issue(world, who, *scopes, name="t"):
    """Make a token of ``who`` with ``scopes`` through the service; return its key."""
    token = ApiToken(
        name=name, scope_read="read" in scopes, scope_write="write" in scopes
    )
    return services.api_token_issue(token=token, user=world.users[who])


def auth(key):
    """Return the headers that send ``key`` as a bearer token."""
    return {"Authorization": f"Bearer {key}"}
