"""A collection's group permissions as a grid: the form, the service and the
policy that says who may give what where."""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.urls import reverse

from tests.support import logged_in, model_perms
from transcoder import permissions, services
from transcoder.models import Collection, GroupCollectionPermission

pytestmark = pytest.mark.django_db

# What a collection editor needs to open a collection and edit its grid.
EDITOR_PERMS = [
    "view_collection",
    "change_collection",
    "add_groupcollectionpermission",
    "delete_groupcollectionpermission",
]


def own(collection):
    """Return the collection's own rows as {(group name, action)}."""
    return {
        (row.group.name, row.permission.codename.removesuffix("_asset"))
        for row in GroupCollectionPermission.objects.filter(
            collection=collection
        ).select_related("group", "permission")
    }


def everything():
    return {
        (row.group_id, row.collection_id, row.permission_id)
        for row in GroupCollectionPermission.objects.all()
    }


def change_url(collection):
    return reverse("admin:transcoder_collection_change", args=[collection.pk])


def post_grid(client, collection, ticks, **extra):
    """Post the change form of ``collection`` with ``ticks`` {group: actions}."""
    data = {"name": collection.name, **extra}
    parent = Collection.objects.get_parent(collection)
    if parent is not None:
        data.setdefault("parent", parent.pk)
    for group, actions in ticks.items():
        for action in actions:
            data[f"perm-{group.pk}-{action}"] = "on"
    return client.post(change_url(collection), data)


def cells(body):
    """Return {label: (checked, disabled)} of the grid's checkboxes."""
    grid = body[body.index('class="module mh-pgrid"') :]
    found = {}
    for tag in re.findall(r"<input[^>]*type=\"checkbox\"[^>]*>", grid):
        ident = re.search(r'id="([^"]+)"', tag).group(1)
        label = re.search(rf'<label for="{ident}"[^>]*>([^<]+)</label>', grid)
        assert label, f"checkbox {ident} has no label"
        found[label.group(1)] = (" checked" in tag, " disabled" in tag)
    return found


def test_grid_is_a_labelled_table_with_inherited_ticks(library, admin_client):
    """Events shows Marketing's editors ticked and disabled "from Marketing";
    every checkbox has a name; headers have a scope."""
    body = admin_client.get(change_url(library["events"])).content.decode()
    assert '<th scope="col">Delete</th>' in body
    assert '<th scope="row">Marketing editors</th>' in body
    grid = cells(body)
    for action in ("add", "view", "change", "delete"):
        assert grid[f"Marketing editors: {action}"] == (True, True)
        assert grid[f"New group: {action}"] == (False, False)
    assert "Sales viewers: view" not in grid  # holds nothing here or above
    assert body.count("from Marketing") == 4
    options = re.search(r'<select name="new_group".*?</select>', body, re.S).group()
    assert "Sales viewers" in options and "Marketing editors" not in options


def test_saving_stores_only_own_rows_and_adds_a_group(library, admin_client):
    """Saving Events with a new row stores that row only, never the inherited."""
    events, viewers = library["events"], Group.objects.get(name="Sales viewers")
    response = post_grid(
        admin_client,
        events,
        {},
        new_group=viewers.pk,
        **{"perm-new-view": "on", "perm-new-add": "on"},
    )
    assert response.status_code == 302, response.content[:2000]
    assert own(events) == {("Sales viewers", "view"), ("Sales viewers", "add")}
    assert permissions.may_in(library["viewer"], "view", events)
    body = admin_client.get(change_url(events)).content.decode()
    assert cells(body)["Sales viewers: add"] == (True, False)


def test_clearing_a_tick_deletes_its_row(library, admin_client):
    """Unticking delete on Marketing removes that row and keeps the others."""
    marketing = library["marketing"]
    editors = Group.objects.get(name="Marketing editors")
    response = post_grid(admin_client, marketing, {editors: ["add", "view", "change"]})
    assert response.status_code == 302, response.content[:2000]
    assert own(marketing) == {
        ("Marketing editors", a) for a in ("add", "view", "change")
    }
    assert not permissions.may(library["editor"], "delete", library["assets"]["events"])


def test_new_ticks_without_a_group_are_refused(library, admin_client):
    """Ticks in the add row without a chosen group say so and store nothing."""
    before = everything()
    response = post_grid(admin_client, library["events"], {}, **{"perm-new-view": "on"})
    assert response.status_code == 200
    assert "Choose the group the new row" in response.content.decode()
    assert everything() == before


def test_an_unknown_group_in_the_add_row_is_refused(library, admin_client):
    """A group id that does not exist is a form error, not a row."""
    before = everything()
    response = post_grid(
        admin_client, library["events"], {}, new_group=999, **{"perm-new-view": "on"}
    )
    assert "Select a valid choice" in response.content.decode()
    assert everything() == before


SERVICE_REFUSALS = [
    ({"Sales viewers": {"publish"}}, r"'publish' is not a permission here"),
    ({999: {"view"}}, r"no group with the id 999"),
    ({"Sales viewers": {"view"}, 998: set()}, r"no group with the id 998"),
]


@pytest.mark.parametrize(
    ("grants", "message"), SERVICE_REFUSALS, ids=["action", "group", "second group"]
)
def test_service_refuses_an_unknown_group_or_action(library, grants, message):
    """A bad group or action refuses the whole change with a clear message."""
    boss = User.objects.create_superuser("boss", password="pw")
    named = {
        Group.objects.get(name=g) if isinstance(g, str) else g: a
        for g, a in grants.items()
    }
    before = everything()
    with pytest.raises(services.CollectionError, match=message):
        services.collection_permissions_set(
            collection=library["events"], grants=named, user=boss
        )
    assert everything() == before


def test_a_failure_half_way_stores_nothing(library):
    """A row the database refuses after others were deleted and added undoes all."""
    boss = User.objects.create_superuser("boss", password="pw")
    marketing = library["marketing"]
    editors = Group.objects.get(name="Marketing editors")
    viewers = Group.objects.get(name="Sales viewers")
    late = Group.objects.create(name="Zeta")
    with connection.cursor() as cursor:
        # The fault is the database's own: a trigger refusing Zeta's rows.
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_zeta() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN IF NEW.group_id = {late.pk} THEN "
                "RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$"
            )
            cursor.execute(
                "CREATE TRIGGER refuse_zeta BEFORE INSERT ON "
                "transcoder_groupcollectionpermission "
                "FOR EACH ROW EXECUTE FUNCTION refuse_zeta()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse_zeta BEFORE INSERT ON "
                "transcoder_groupcollectionpermission "
                f"WHEN NEW.group_id = {late.pk} "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
    before = everything()
    with pytest.raises(Exception, match="refused"):
        services.collection_permissions_set(
            collection=marketing,
            grants={editors: {"view"}, viewers: {"view"}, late: {"view"}},
            user=boss,
        )
    assert everything() == before
    assert len(own(marketing)) == 4


@pytest.fixture
def collection_editor(library):
    """mkt, a Marketing editor, may also change collections and their grids."""
    model_perms(library["editor"], *EDITOR_PERMS)
    return library["editor"]


def test_editor_cannot_grant_their_group_on_another_collection(
    library, collection_editor
):
    """An editor of Marketing may change collections, yet giving their own group
    delete on Sales is refused, by the form and by the service."""
    sales, editors = library["sales"], Group.objects.get(name="Marketing editors")
    client = logged_in(collection_editor)
    grid = cells(client.get(change_url(sales)).content.decode())
    # Nothing to tick: Sales viewers' row is all disabled, and no add row.
    assert grid["Sales viewers: view"] == (True, True)
    assert {disabled for _, disabled in grid.values()} == {True}
    assert "New group: view" not in grid
    before = everything()
    response = post_grid(
        client, sales, {}, new_group=editors.pk, **{"perm-new-delete": "on"}
    )
    assert everything() == before
    assert permissions.may_in(collection_editor, "delete", sales) is False
    assert response.status_code == 302  # the ticks were not there to take
    with pytest.raises(services.CollectionError, match="delete in Sales"):
        services.collection_permissions_set(
            collection=sales, grants={editors: {"delete"}}, user=collection_editor
        )
    with pytest.raises(services.CollectionError, match="view in Sales"):
        services.collection_permissions_set(
            collection=sales,
            grants={Group.objects.get(name="Sales viewers"): set()},
            user=collection_editor,
        )
    assert everything() == before


def test_editor_may_pass_on_only_what_they_hold(library, collection_editor):
    """Without delete on Marketing, the editor may give a group view on Events
    but not delete; the delete cell is disabled and a forged tick refused."""
    marketing, events = library["marketing"], library["events"]
    editors = Group.objects.get(name="Marketing editors")
    viewers = Group.objects.get(name="Sales viewers")
    GroupCollectionPermission.objects.filter(
        group=editors, permission__codename="delete_asset"
    ).delete()
    client = logged_in(collection_editor)
    body = client.get(change_url(events)).content.decode()
    assert 'name="perm-new-delete"' not in body and 'name="perm-new-view"' in body
    response = post_grid(
        client, events, {}, new_group=viewers.pk, **{"perm-new-view": "on"}
    )
    assert response.status_code == 302, response.content[:2000]
    assert own(events) == {("Sales viewers", "view")}
    with pytest.raises(services.CollectionError, match="delete in Events"):
        services.collection_permissions_set(
            collection=events,
            grants={viewers: {"view", "delete"}},
            user=collection_editor,
        )
    assert own(events) == {("Sales viewers", "view")}
    # Their own group's rows on Marketing: view, add, change they may clear.
    response = post_grid(client, marketing, {editors: ["view", "add"]})
    assert own(marketing) == {
        ("Marketing editors", "view"),
        ("Marketing editors", "add"),
    }


def _parent(collection):
    return Collection.objects.get_parent(Collection.objects.get(pk=collection.pk))


def test_a_move_that_would_widen_ones_own_reach_is_refused(library, collection_editor):
    """mkt holds nothing in Sales. Moving a Sales collection under Marketing
    would give Marketing editors (their own group) its images: the form names
    the field and the service refuses too; the tree and the grants stay."""
    leads = services.collection_create(parent=library["sales"], name="Leads")
    assert not permissions.may_in(collection_editor, "view", leads)
    before = everything()
    response = post_grid(
        logged_in(collection_editor), leads, {}, parent=library["marketing"].pk
    )
    body = response.content.decode()
    assert response.status_code == 200  # the form again, not a redirect
    assert (
        "Moving Leads under Marketing would give or take away view, add, change "
        "and delete on its images" in body
    )
    assert _parent(leads) == library["sales"]
    assert everything() == before
    assert not permissions.may_in(collection_editor, "view", _parent(leads))
    with pytest.raises(services.CollectionError, match="would give or take away"):
        services.collection_update(
            collection=leads,
            name="Leads",
            parent=library["marketing"],
            user=collection_editor,
        )
    assert _parent(leads) == library["sales"]


def test_a_move_passes_on_only_what_the_mover_holds(library, collection_editor):
    """mkt holds every action in Events: moving it under Sales takes it from
    Marketing editors and gives view to Sales viewers, which they may do."""
    events = library["events"]
    response = post_grid(
        logged_in(collection_editor), events, {}, parent=library["sales"].pk
    )
    assert response.status_code == 302
    assert _parent(events) == library["sales"]
    viewer = User.objects.create_user("sv", is_staff=True)
    viewer.groups.add(Group.objects.get(name="Sales viewers"))
    assert permissions.may_in(viewer, "view", Collection.objects.get(pk=events.pk))


def test_a_move_that_changes_no_reach_needs_no_grant_rights(library):
    """Who may change collections but not grants may move one between places
    with the same inherited grants, and not where the grants differ."""
    editor = library["editor"]
    model_perms(editor, "view_collection", "change_collection")
    a = services.collection_create(parent=library["marketing"], name="A")
    b = services.collection_create(parent=library["marketing"], name="B")
    client = logged_in(editor)
    assert post_grid(client, a, {}, parent=b.pk).status_code == 302
    assert _parent(a) == b
    response = post_grid(client, a, {}, parent=library["sales"].pk)
    assert "would give or take away view" in response.content.decode()
    assert _parent(a) == b


def test_moving_then_granting_is_checked_at_the_new_place(library, collection_editor):
    """Moving a Marketing collection under Sales and granting there is refused."""
    press = services.collection_create(parent=library["marketing"], name="Press")
    viewers = Group.objects.get(name="Sales viewers")
    before = everything()
    response = post_grid(
        logged_in(collection_editor),
        press,
        {},
        parent=library["sales"].pk,
        new_group=viewers.pk,
        **{"perm-new-change": "on"},
    )
    assert "You may not give or take away change in Press" in response.content.decode()
    assert everything() == before
    assert (
        Collection.objects.get_parent(Collection.objects.get(pk=press.pk))
        == (library["marketing"])
    )


def test_without_grid_permissions_nothing_is_shown_or_stored(library):
    """Who may change collections but not their permissions sees no grid, and
    posted ticks store nothing (as the inline's model permissions were)."""
    editor = library["editor"]
    model_perms(editor, "view_collection", "change_collection")
    client = logged_in(editor)
    body = client.get(change_url(library["marketing"])).content.decode()
    assert "mh-pgrid" not in body
    before = everything()
    viewers = Group.objects.get(name="Sales viewers")
    post_grid(
        client,
        library["marketing"],
        {},
        new_group=viewers.pk,
        **{"perm-new-view": "on"},
    )
    assert everything() == before


def test_a_new_collection_inherits_from_the_chosen_parent(library, admin_client):
    """The add page under Marketing shows its editors as inherited; saving
    stores the new row on the new collection only."""
    url = reverse("admin:transcoder_collection_add")
    body = admin_client.get(f"{url}?parent={library['marketing'].pk}").content
    assert cells(body.decode())["Marketing editors: view"] == (True, True)
    viewers = Group.objects.get(name="Sales viewers")
    response = admin_client.post(
        url,
        {
            "name": "Press",
            "parent": library["marketing"].pk,
            "new_group": viewers.pk,
            "perm-new-view": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert own(Collection.objects.get(name="Press")) == {("Sales viewers", "view")}


def test_who_may_only_view_grants_sees_the_grid_greyed(library):
    """The view permission on group collection permissions shows the grid with
    every box disabled and no add row; posted ticks store nothing."""
    editor = library["editor"]
    model_perms(
        editor, "view_collection", "change_collection", "view_groupcollectionpermission"
    )
    client = logged_in(editor)
    grid = cells(client.get(change_url(library["marketing"])).content.decode())
    assert grid["Marketing editors: delete"] == (True, True)
    assert {disabled for _, disabled in grid.values()} == {True}
    before = everything()
    post_grid(client, library["marketing"], {})  # every tick cleared
    assert everything() == before


def test_a_grant_reads_in_words_not_code_names():
    """A stored grant names the action in words ("may view images"), never
    "may can view asset" or transcoder.view_asset."""
    from django.contrib.auth.models import Group, Permission

    from transcoder.models import GroupCollectionPermission, root_collection

    grant = GroupCollectionPermission.objects.create(
        group=Group.objects.create(name="Editors"),
        collection=root_collection(),
        permission=Permission.objects.get(codename="view_asset"),
    )
    assert str(grant) == f"Editors may view images in {root_collection()}"
