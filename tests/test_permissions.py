"""The collection permission policy, and every surface that goes through it.

A "Marketing" editor (a group with view, add, change and delete asset on the
Marketing collection) reaches Marketing and the collections inside it, and
nothing of Sales or the root, through any page, filter, search, bulk action,
upload, status or gallery endpoint, original download or API call.
"""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from tests.images import make_image
from tests.support import logged_in
from transcoder import permissions, services
from transcoder.models import ApiToken, Asset
from transcoder.permissions import PolicyError


def _fresh(user):
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize(
    ("who", "action", "visible"),
    [
        ("editor", "view", {"marketing", "events"}),
        ("editor", "add", {"marketing", "events"}),
        ("editor", "change", {"marketing", "events"}),
        ("editor", "delete", {"marketing", "events"}),
        ("viewer", "view", {"sales"}),
        ("viewer", "add", set()),
        ("viewer", "change", set()),
        ("viewer", "delete", set()),
        ("superuser", "delete", {"root", "marketing", "events", "sales"}),
        ("model-view", "view", {"root", "marketing", "events", "sales"}),
        ("model-view", "change", set()),
        ("inactive", "view", set()),
        ("demoted", "view", set()),
        ("demoted superuser", "delete", set()),
        ("nobody", "view", set()),
    ],
)
def test_policy_matrix(library, who, action, visible):
    """Each user may act on exactly the assets of their collections and below."""
    if who in ("editor", "viewer"):
        user = _fresh(library[who])
    elif who == "superuser":
        user = User.objects.create_superuser("root", password="pw")
    elif who == "model-view":
        # Wagtail's rule: a model-level permission holds at the root.
        user = User.objects.create_user("mv", is_staff=True)
        user.user_permissions.add(Permission.objects.get(codename="view_asset"))
        user = _fresh(user)
    elif who == "inactive":
        user = _fresh(library["editor"])
        user.is_active = False
    elif who == "demoted":
        # Removing staff status closes every door, the API's tokens included.
        user = _fresh(library["editor"])
        user.is_staff = False
    elif who == "demoted superuser":
        user = User.objects.create_user("root", is_superuser=True, is_staff=False)
    else:
        user = User.objects.create_user("nobody", is_staff=True)
    by_id = {a.pk: name for name, a in library["assets"].items()}
    got = {
        by_id[pk]
        for pk in permissions.assets(user, action).values_list("pk", flat=True)
    }
    assert got == visible
    for name, asset in library["assets"].items():
        assert permissions.may(user, action, asset) is (name in visible), name


def test_policy_collections_for_add(library):
    """The collections one may add to are the granted node and its descendants."""
    names = [c.name for c in permissions.collections(_fresh(library["editor"]), "add")]
    assert names == ["Marketing", "Events"]


def test_policy_refuses_an_unknown_action(library):
    """A misspelt action is an error, not an empty answer."""
    with pytest.raises(PolicyError, match="Unknown action 'edit'"):
        permissions.assets(library["editor"], "edit")


def _denied_or_missing(response):
    # Django's admin redirects a change page of an object outside get_queryset
    # to the index with a message; the custom views answer 404.
    return response.status_code in (302, 403, 404)


SURFACES = [
    # (name, how to request it for an asset, whether the answer shows it)
    (
        "change list",
        lambda c, a: c.get(reverse("admin:transcoder_asset_changelist")),
        lambda r, a: str(a.pk) in r.content.decode(),
    ),
    (
        "search",
        lambda c, a: c.get(
            reverse("admin:transcoder_asset_changelist"), {"q": a.title}
        ),
        lambda r, a: str(a.pk) in r.content.decode(),
    ),
    (
        "collection filter",
        lambda c, a: c.get(
            reverse("admin:transcoder_asset_changelist"),
            {"collection": a.collection_id},
        ),
        lambda r, a: str(a.pk) in r.content.decode(),
    ),
    (
        "change page",
        lambda c, a: c.get(reverse("admin:transcoder_asset_change", args=[a.pk])),
        lambda r, a: r.status_code == 200,
    ),
    (
        "delete page",
        lambda c, a: c.get(reverse("admin:transcoder_asset_delete", args=[a.pk])),
        lambda r, a: r.status_code == 200,
    ),
    (
        "original",
        lambda c, a: c.get(reverse("admin:transcoder_asset_original", args=[a.pk])),
        lambda r, a: r.status_code == 200,
    ),
    (
        "gallery",
        lambda c, a: c.get(reverse("admin:transcoder_asset_gallery", args=[a.pk])),
        lambda r, a: r.status_code == 200,
    ),
    (
        "status",
        lambda c, a: c.get(reverse("admin:transcoder_asset_status"), {"ids": a.pk}),
        lambda r, a: str(a.pk) in r.json()["assets"],
    ),
]


@pytest.mark.parametrize(
    ("surface", "request_it", "shows"), [pytest.param(*s, id=s[0]) for s in SURFACES]
)
@pytest.mark.parametrize(
    ("asset", "reachable"),
    [("marketing", True), ("events", True), ("sales", False), ("root", False)],
)
def test_editor_reaches_only_their_collections(
    library, surface, request_it, shows, asset, reachable
):
    """Every admin page and endpoint shows the editor's assets and no others."""
    client = logged_in(library["editor"])
    target = library["assets"][asset]
    response = request_it(client, target)
    assert shows(response, target) is reachable, (surface, response.status_code)
    if not reachable and surface not in (
        "change list",
        "search",
        "collection filter",
        "status",
    ):
        assert _denied_or_missing(response)


def _action(client, name, pks, select_across=False, **extra):
    data = {"action": name, "_selected_action": [str(p) for p in pks], "index": 0}
    if select_across:
        data["select_across"] = "1"
    data.update(extra)
    return client.post(reverse("admin:transcoder_asset_changelist"), data)


def test_bulk_delete_skips_other_collections(
    library, django_capture_on_commit_callbacks
):
    """Selecting another collection's asset by id deletes nothing of it."""
    client = logged_in(library["editor"])
    sales, marketing = library["assets"]["sales"], library["assets"]["marketing"]
    # The delete runs as a background job, queued once the request commits.
    with django_capture_on_commit_callbacks(execute=True):
        _action(client, "delete_in_background", [sales.pk, marketing.pk], apply="yes")
    assert Asset.objects.filter(pk=sales.pk).exists()
    assert not Asset.objects.filter(pk=marketing.pk).exists()


def test_move_to_collection_select_all(library):
    """'Select all' moves the editor's assets only, and only where they may add."""
    client = logged_in(library["editor"])
    # The admin's page posts the visible checkboxes along with "select all".
    some = [library["assets"]["marketing"].pk]
    page = _action(client, "move_to_collection", some, select_across=True)
    assert page.status_code == 200
    options = page.content.decode()
    assert "Events" in options and "Sales" not in options
    done = _action(
        client,
        "move_to_collection",
        some,
        select_across=True,
        apply="Move",
        collection=library["events"].pk,
    )
    assert done.status_code == 302
    where = dict(Asset.objects.values_list("title", "collection__name"))
    assert where == {
        "marketing photo": "Events",
        "events photo": "Events",
        "sales photo": "Sales",
        "root photo": "Root",
    }


def test_move_to_a_forbidden_collection_is_refused(library):
    """Posting another collection's id shows the form again and moves nothing."""
    client = logged_in(library["editor"])
    marketing = library["assets"]["marketing"]
    page = _action(
        client,
        "move_to_collection",
        [marketing.pk],
        apply="Move",
        collection=library["sales"].pk,
    )
    assert page.status_code == 200
    assert "Select a valid choice" in page.content.decode()
    marketing.refresh_from_db()
    assert marketing.collection == library["marketing"]


@pytest.mark.parametrize(
    ("collection", "status"),
    [("marketing", 201), ("events", 201), ("sales", 403), ("root", 403)],
)
def test_upload_goes_only_where_the_editor_may_add(library, jpeg, collection, status):
    """The upload endpoint takes a collection the editor may add to, and no other."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = logged_in(library["editor"])
    response = client.post(
        reverse("admin:transcoder_asset_upload_file"),
        {
            # Not the library's own photo: that would be a duplicate upload.
            "file": SimpleUploadedFile(
                "new.jpg", make_image("JPEG", size=(97, 61)), content_type="image/jpeg"
            ),
            "collection": library[collection].pk,
        },
    )
    assert response.status_code == status
    made = Asset.objects.filter(original_filename="new.jpg")
    if status == 201:
        assert made.get().collection == library[collection]
    else:
        assert not made.exists()


def test_upload_page_offers_only_addable_collections(library):
    """The collection select lists Marketing and Events, not Sales or the root."""
    page = logged_in(library["editor"]).get(reverse("admin:transcoder_asset_upload"))
    html = page.content.decode()
    assert 'name="collection"' in html
    assert "Events" in html and "Sales" not in html and ">Root<" not in html


def _token(user, *, read=True, write=True):
    """Issue a token of ``user`` with the read and write scopes asked for."""
    return services.api_token_issue(
        token=ApiToken(name="t", scope_read=read, scope_write=write, created_by=user)
    )


def test_api_token_reaches_its_owners_collections(client, library):
    """A token lists, reads, changes and deletes only its creator's assets."""
    auth = {"Authorization": f"Bearer {_token(library['editor'])}"}
    listed = client.get("/api/assets/", headers=auth).json()
    assert {a["title"] for a in listed["results"]} == {
        "marketing photo",
        "events photo",
    }
    sales = library["assets"]["sales"]
    assert client.get(f"/api/assets/{sales.pk}/", headers=auth).status_code == 404
    patch = client.patch(
        f"/api/assets/{sales.pk}/",
        {"title": "x"},
        content_type="application/json",
        headers=auth,
    )
    assert patch.status_code == 404
    assert client.delete(f"/api/assets/{sales.pk}/", headers=auth).status_code == 404
    assert Asset.objects.filter(pk=sales.pk, title="sales photo").exists()
    filtered = client.get(
        "/api/assets/", {"collection": library["sales"].pk}, headers=auth
    )
    assert filtered.status_code == 403
    events = client.get(
        "/api/assets/", {"collection": library["events"].pk}, headers=auth
    ).json()
    assert [a["title"] for a in events["results"]] == ["events photo"]


@pytest.mark.parametrize(
    ("target", "write", "status"),
    [("events", True, 200), ("sales", True, 403), ("events", False, 403)],
)
def test_api_moves_only_into_addable_collections(
    client, library, target, write, status
):
    """PATCH collection moves an asset only where its owner may add, with write."""
    auth = {"Authorization": f"Bearer {_token(library['editor'], write=write)}"}
    asset = library["assets"]["marketing"]
    response = client.patch(
        f"/api/assets/{asset.pk}/",
        {"collection": library[target].pk},
        content_type="application/json",
        headers=auth,
    )
    assert response.status_code == status
    if not write:
        assert "write scope" in response.json()["error"]
    asset.refresh_from_db()
    expected = library["events"] if status == 200 else library["marketing"]
    assert asset.collection == expected
    if status == 200:
        assert response.json()["collection"] == library["events"].pk


def test_tag_suggestions_come_only_from_visible_assets(library):
    """A tag used only in Sales is not suggested to a Marketing editor."""
    assets = library["assets"]
    services.tags_add(asset_ids=[assets["marketing"].pk], names=["beach"])
    services.tags_add(asset_ids=[assets["sales"].pk], names=["bonus"])
    url = reverse("admin:transcoder_asset_tags")
    editor = logged_in(library["editor"]).get(url, {"q": "b"})
    assert editor.json() == {"tags": ["beach"]}
    superuser = User.objects.create_superuser("root", password="pw")
    assert logged_in(superuser).get(url, {"q": "b"}).json() == {
        "tags": ["beach", "bonus"]
    }
