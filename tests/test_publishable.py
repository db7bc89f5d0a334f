"""Publishable keys: read-only, bound to origins and collections, cacheable,
limited per visitor and per key, refused once revoked."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError

from tests.support import grant
from transcoder import services
from transcoder.api.core import ratelimit
from transcoder.models import Asset, PublishableKey, RateWindow, root_collection
from transcoder.services.access import publishable

pytestmark = pytest.mark.django_db

SITE = "https://gallery.example"


@pytest.fixture
def library(presets, jpeg, django_capture_on_commit_callbacks):
    """Collections A (with an inner one) and B, an image in each, and an editor
    who may view A and B."""
    root = root_collection()
    coll = {t: services.collection_create(parent=root, name=f"Coll {t}") for t in "AB"}
    coll["A1"] = services.collection_create(parent=coll["A"], name="Inner A")
    assets = {}
    with django_capture_on_commit_callbacks(execute=True):
        for t in ("A", "A1", "B"):
            assets[t] = services.asset_create(
                content=jpeg,
                filename=f"{t}.jpg",
                title=f"Title {t}",
                collection=coll[t],
                allow_duplicate=True,
            )
    group = Group.objects.create(name="Viewers")
    grant(group, coll["A"], "view")
    grant(group, coll["B"], "view")
    editor = User.objects.create_user("ed", password="pw", is_staff=True)
    editor.groups.add(group)
    return {"coll": coll, "asset": assets, "editor": editor, "group": group}


def _key(library, *names, origins=SITE):
    return publishable.publishable_key_issue(
        key=PublishableKey(name="Gallery", allowed_origins=origins),
        user=library["editor"],
        collections=[library["coll"][n] for n in names],
    )


def _get(client, path, key, origin=SITE, **headers):
    separator = "&" if "?" in path else "?"
    if origin:
        headers["Origin"] = origin
    return client.get(f"{path}{separator}key={key.key}", headers=headers)


def _titles(response):
    assert response.status_code == 200, response.content
    return sorted(a["title"] for a in response.json()["results"])


def test_a_key_reads_only_its_collections_and_below(client, library):
    """A key of A lists A and its inner collection, never B; B's image is not
    found, and B cannot be asked for by filter."""
    key = _key(library, "A")
    assert key.key.startswith("pk_")
    assert _titles(_get(client, "/api/assets/", key)) == ["Title A", "Title A1"]
    inner = library["coll"]["A1"].pk
    assert _titles(_get(client, f"/api/assets/?collection={inner}", key)) == [
        "Title A1"
    ]
    assert _titles(_get(client, "/api/assets/?q=Title", key)) == [
        "Title A",
        "Title A1",
    ]
    detail = _get(client, f"/api/assets/{library['asset']['A'].pk}/", key)
    assert detail.json()["title"] == "Title A"
    hidden = _get(client, f"/api/assets/{library['asset']['B'].pk}/", key)
    assert hidden.status_code == 404
    assert "Title B" not in hidden.content.decode()
    refused = _get(client, f"/api/assets/?collection={library['coll']['B'].pk}", key)
    assert refused.status_code == 403


def test_a_key_reads_what_its_creator_may_view_there_and_no_more(client, library):
    """Chosen at the root, a key still reads only where its creator may view;
    when the creator loses the grant, or the account is deactivated, demoted or
    deleted, the next request is refused."""
    key = _key(library, "A")
    key.collections.set([root_collection()])
    assert _titles(_get(client, "/api/assets/", key)) == [
        "Title A",
        "Title A1",
        "Title B",
    ]
    library["group"].collection_permissions.filter(
        collection=library["coll"]["B"]
    ).delete()
    assert _titles(_get(client, "/api/assets/", key)) == ["Title A", "Title A1"]
    library["group"].collection_permissions.all().delete()
    gone = _get(client, "/api/assets/", key)
    assert gone.status_code == 403 and "any of its collections" in gone.json()["error"]
    grant(library["group"], library["coll"]["A"], "view")
    assert _get(client, "/api/assets/", key).status_code == 200
    editor = library["editor"]
    for field, value in (("is_active", False), ("is_staff", False)):
        User.objects.filter(pk=editor.pk).update(**{field: value})
        refused = _get(client, "/api/assets/", key)
        assert (
            refused.status_code == 403 and "no longer works" in refused.json()["error"]
        )
        User.objects.filter(pk=editor.pk).update(**{field: True})
    editor.delete()
    assert _get(client, "/api/assets/", key).status_code == 403


def test_a_grant_below_the_chosen_collection_is_the_reach(client, library):
    """Chosen A, with a creator who may view only the inner collection of A:
    the key reads the inner collection, where both meet, and nothing else."""
    key = _key(library, "A")
    group = library["group"]
    group.collection_permissions.all().delete()
    grant(group, library["coll"]["A1"], "view")
    assert _titles(_get(client, "/api/assets/", key)) == ["Title A1"]
    outer = _get(client, f"/api/assets/{library['asset']['A'].pk}/", key)
    assert outer.status_code == 404


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        (SITE, 200),
        ("HTTPS://GALLERY.EXAMPLE", 200),
        ("http://localhost:9000", 200),
        ("https://evil.example", 403),
        ("https://gallery.example.evil.example", 403),
        ("http://gallery.example", 403),
        ("null", 403),
        (None, 403),
    ],
)
def test_a_key_works_from_its_origins_only(client, library, origin, status):
    """The Origin header binds the key; CORS lets only its origins read."""
    key = _key(library, "A", origins=f"{SITE}\nhttp://localhost:9000")
    response = _get(client, "/api/assets/", key, origin=origin)
    assert response.status_code == status, response.content
    allowed = response.get("Access-Control-Allow-Origin")
    assert allowed == (origin if status == 200 else None)
    assert "origin" in response["Vary"].lower()
    if status == 403:
        assert "Title A" not in response.content.decode()
        assert response["Cache-Control"] == "private, no-store"


def test_a_referer_does_not_stand_in_for_origin(client, library):
    """The answer is cached by Origin, so only Origin binds (no Referer)."""
    key = _key(library, "A")
    response = _get(client, "/api/assets/", key, origin=None, Referer=f"{SITE}/")
    assert response.status_code == 403


def test_a_key_only_reads(client, library):
    """PATCH, DELETE and every POST with a key are a JSON 403 that changes
    nothing; the preflight of a write still lets the page read the refusal."""
    key = _key(library, "A")
    asset = library["asset"]["A"]
    detail = f"/api/assets/{asset.pk}/?key={key.key}"
    attempts = [
        client.patch(
            detail,
            '{"title": "Changed"}',
            content_type="application/json",
            headers={"Origin": SITE},
        ),
        client.delete(detail, headers={"Origin": SITE}),
        client.post(
            f"/api/uploads/?key={key.key}",
            '{"content_type": "image/jpeg", "filename": "x.jpg"}',
            content_type="application/json",
            headers={"Origin": SITE},
        ),
        client.post(
            f"/api/assets/{asset.pk}/replace/?key={key.key}",
            '{"key": "x"}',
            content_type="application/json",
            headers={"Origin": SITE},
        ),
        # Past the 64 KiB body cap: refused before the body is read, the same.
        client.patch(
            detail,
            '{"title": "' + "x" * 70_000 + '"}',
            content_type="application/json",
            headers={"Origin": SITE},
        ),
    ]
    for response in attempts:
        assert response.status_code == 403, response.content
        assert "only reads" in response.json()["error"]
        assert response["Access-Control-Allow-Origin"] == SITE
    assert Asset.objects.get(pk=asset.pk).title == "Title A"
    assert Asset.objects.count() == 3


def test_a_key_and_a_bearer_token_together_are_refused(client, library):
    """One request names one credential: which one acts would be a guess."""
    key = _key(library, "A")
    response = _get(client, "/api/assets/", key, Authorization="Bearer whatever")
    assert response.status_code == 403 and "not both" in response.json()["error"]


def test_an_unknown_parameter_is_still_refused(client, library):
    """``key`` is known; a misspelt filter next to it is not."""
    key = _key(library, "A")
    response = _get(client, "/api/assets/?colection=1", key)
    assert response.status_code == 400 and "colection" in response.json()["error"]


def test_answers_are_cacheable_with_an_etag_round_trip(client, library):
    """A key's answer is public for max-age with an ETag; If-None-Match answers
    304 without a body until the image changes; then 200 with a new ETag."""
    key = _key(library, "A")
    path = f"/api/assets/{library['asset']['A'].pk}/"
    first = _get(client, path, key)
    assert first["Cache-Control"] == "public, max-age=60"
    etag = first["ETag"]
    assert etag.startswith('"') and len(etag) > 10
    again = _get(client, path, key, If_None_Match=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    assert again["Cache-Control"] == "public, max-age=60"
    for answer in (first, again):
        assert "origin" in answer["Vary"].lower()
        assert answer["Access-Control-Allow-Origin"] == SITE
        assert int(answer["RateLimit-Remaining"]) >= 0
    head = client.head(f"{path}?key={key.key}", headers={"Origin": SITE})
    assert head.status_code == 200 and head["ETag"] == etag
    asset = library["asset"]["A"]
    services.asset_update(
        asset=asset, title="Retitled", alt_text=asset.alt_text, focal=None
    )
    changed = _get(client, path, key, If_None_Match=etag)
    assert changed.status_code == 200 and changed.json()["title"] == "Retitled"
    assert changed["ETag"] != etag


def test_bearer_answers_stay_private_but_carry_an_etag(client, library, admin_user):
    """A token's answers are never stored by a cache; a client may still ask
    If-None-Match and get a 304."""
    from transcoder.models import ApiToken

    raw = services.api_token_issue(token=ApiToken(name="t", created_by=admin_user))
    auth = {"Authorization": f"Bearer {raw}"}
    first = client.get("/api/assets/", headers=auth)
    assert first["Cache-Control"] == "private, no-store"
    again = client.get("/api/assets/", headers={**auth, "If-None-Match": first["ETag"]})
    assert again.status_code == 304


def test_a_revoked_key_is_refused_at_once_even_when_revalidating(client, library):
    """Revoking is final: the next request, conditional or not, is a 403 that no
    cache may store, never a 304 that would extend a cached answer."""
    key = _key(library, "A")
    first = _get(client, "/api/assets/", key)
    publishable.publishable_key_revoke(key=key, user=library["editor"])
    key.refresh_from_db()
    assert not key.active and key.revoked_at is not None
    for headers in ({}, {"If_None_Match": first["ETag"]}):
        refused = _get(client, "/api/assets/", key, **headers)
        assert refused.status_code == 403
        assert "unknown or revoked" in refused.json()["error"]
        assert refused["Cache-Control"] == "private, no-store"
        # The page on its origin may read why (and nothing is cached).
        assert refused["Access-Control-Allow-Origin"] == SITE


def test_limits_per_visitor_and_per_key(client, library, settings, monkeypatch):
    """Each visitor address has its own limit under the key's; a refusal by the
    key's limit is not counted against the visitor."""
    settings.MEDIAHUB_PUBLISHABLE_VISITOR_RATE_LIMIT = 2
    settings.MEDIAHUB_PUBLISHABLE_RATE_LIMIT = 3
    monkeypatch.setattr(ratelimit, "clock", lambda: 6000.0)
    key = _key(library, "A")

    def visit(address):
        return client.get(
            f"/api/assets/?key={key.key}",
            headers={"Origin": SITE},
            REMOTE_ADDR=address,
        )

    one = [visit("203.0.113.1") for _ in range(3)]
    assert [r.status_code for r in one] == [200, 200, 429]
    assert "visitor" in one[2].json()["error"]
    assert [r["RateLimit-Remaining"] for r in one] == ["1", "0", "0"]
    assert one[0]["RateLimit-Limit"] == "2"
    two = [visit("203.0.113.2") for _ in range(2)]
    assert [r.status_code for r in two] == [200, 429]
    assert "for this publishable key" in two[1].json()["error"]
    # Three this minute: one more fits once a third of the next one ran.
    assert two[1]["Retry-After"] == "80"
    counts = dict(RateWindow.objects.values_list("bucket", "count"))
    assert counts[f"k{key.pk}"] == 3
    visitor_two = ratelimit.visitor_bucket(key, "203.0.113.2")
    assert counts[visitor_two] == 1  # the refused request was taken back
    assert "203.0.113.2" not in "".join(counts)  # addresses are kept hashed


def test_the_sliding_window_refuses_a_burst_across_the_minute(client, library):
    """A full minute's requests at 59.9 s leave almost none at 60.1 s, where a
    fixed window would allow the whole limit again; it comes back gradually."""
    take = ratelimit.rate_limit_take
    burst = [take(bucket="b", limit=10, now=659.9) for _ in range(10)]
    assert all(v.allowed for v in burst)
    after = [take(bucket="b", limit=10, now=660.1) for _ in range(10)]
    assert [v.allowed for v in after] == [False] * 10
    assert after[0].retry_after == 6  # one more fits once 1/10 of the minute ran
    assert take(bucket="b", limit=10, now=666.0).allowed
    halfway = [take(bucket="b", limit=10, now=690.0) for _ in range(10)]
    # By 690 s half of the previous minute still weighs: 5 minus the one above.
    assert sum(v.allowed for v in halfway) == 4


@pytest.mark.parametrize(
    ("previous", "current", "elapsed", "limit", "seconds"),
    [
        (0, 0, 0.5, 10, 0.0),  # room now
        (10, 0, 0.0, 10, 6.0),  # a tenth of the minute must pass
        (0, 10, 0.5, 10, 30.0 + 6.0),  # next minute, once a tenth of it ran
        (5, 5, 0.5, 10, 0.0),  # 5 * 0.5 + 5 + 1 fits now
        (8, 5, 0.25, 10, 15.0),  # 8 * (1 - 0.5) + 5 + 1 fits at 0.5
        (0, 1, 0.25, 1, 105.0),  # a limit of one: the end of the next minute
    ],
)
def test_seconds_until_one_more_fits(previous, current, elapsed, limit, seconds):
    """Retry-After is when one more request fits, if none is made meanwhile."""
    got = ratelimit._seconds_until_fits(previous, current, elapsed, limit)
    used = previous * (1 - elapsed - got / 60) + current + 1
    if got < (1 - elapsed) * 60:
        assert used <= limit + 1e-9
    assert got == pytest.approx(seconds)


def test_issuing_checks_origins_and_collections(library):
    """A key needs origins and at least one collection its creator may view."""
    other = services.collection_create(parent=root_collection(), name="Other")
    for origins, names, message in [
        ("", ["A"], "at least one origin"),
        ("https://x.example/path", ["A"], "is not an origin"),
        (SITE, [], "at least one collection"),
    ]:
        with pytest.raises(ValidationError, match=message):
            _key(library, *names, origins=origins)
    with pytest.raises(ValidationError, match="may not view images in Other"):
        publishable.publishable_key_issue(
            key=PublishableKey(name="x", allowed_origins=SITE),
            user=library["editor"],
            collections=[other],
        )
    assert not PublishableKey.objects.exists()


def test_only_the_creator_or_a_superuser_revokes(library, admin_user):
    """Another staff user may not revoke a key; its creator and a superuser may."""
    key = _key(library, "A")
    stranger = User.objects.create_user("st", password="pw", is_staff=True)
    with pytest.raises(publishable.PublishableKeyOwnerError):
        publishable.publishable_key_revoke(key=key, user=stranger)
    assert PublishableKey.objects.get(pk=key.pk).active
    publishable.publishable_key_revoke(key=key, user=admin_user)
    assert not PublishableKey.objects.get(pk=key.pk).active


# --- the admin: your own keys only; revoking is final -------------------------


def _key_admin(library, name, *collections):
    """Return a logged-in client of a staff user who manages publishable keys
    and views ``collections``."""
    from django.contrib.auth.models import Permission
    from django.test import Client

    group = Group.objects.create(name=f"Key managers {name}")
    for c in collections:
        grant(group, library["coll"][c], "view")
    group.permissions.add(
        *Permission.objects.filter(codename__endswith="_publishablekey")
    )
    user = User.objects.create_user(name, password="pw", is_staff=True)
    user.groups.add(group)
    client = Client()
    client.force_login(user)
    return client, user


def test_an_editor_makes_a_key_for_collections_they_may_view(client, library):
    """The form offers only collections the creator may view; the key made reads
    them from its origin at once."""
    admin_client, user = _key_admin(library, "keyer", "A")
    form = admin_client.get("/admin/transcoder/publishablekey/add/").content.decode()
    assert "Coll A" in form and "Coll B" not in form
    refused = admin_client.post(
        "/admin/transcoder/publishablekey/add/",
        {
            "name": "Gallery",
            "allowed_origins": SITE,
            "collections": [library["coll"]["B"].pk],
        },
    )
    assert refused.status_code == 200 and not PublishableKey.objects.exists()
    made = admin_client.post(
        "/admin/transcoder/publishablekey/add/",
        {
            "name": "Gallery",
            "allowed_origins": f"{SITE}/\nHTTP://LOCALHOST:9000",
            "collections": [library["coll"]["A"].pk],
        },
    )
    assert made.status_code == 302, made.content
    key = PublishableKey.objects.get()
    assert key.created_by == user and key.active
    assert key.origins == [SITE, "http://localhost:9000"]
    assert list(key.collections.all()) == [library["coll"]["A"]]
    page = admin_client.get(f"/admin/transcoder/publishablekey/{key.pk}/change/")
    assert key.key in page.content.decode()
    assert _titles(_get(client, "/api/assets/", key)) == ["Title A", "Title A1"]


def test_the_admin_shows_and_revokes_only_your_own_keys(client, library, admin_user):
    """Another editor's key is not listed, not found, not revocable; your own
    revoked key is refused by the API on its next request, and stays revoked."""
    mine_client, mine_user = _key_admin(library, "mine", "A")
    other_client, _ = _key_admin(library, "other", "A")
    key = publishable.publishable_key_issue(
        key=PublishableKey(name="Mine qz7", allowed_origins=SITE),
        user=mine_user,
        collections=[library["coll"]["A"]],
    )
    listing = "/admin/transcoder/publishablekey/"
    assert "Mine qz7" in mine_client.get(listing).content.decode()
    assert "Mine qz7" not in other_client.get(listing).content.decode()
    change = f"{listing}{key.pk}/change/"
    assert other_client.get(change).status_code in (302, 404)
    action = {"action": "revoke", "_selected_action": [key.pk]}
    assert other_client.post(listing, action).status_code == 403
    assert PublishableKey.objects.get(pk=key.pk).active
    assert _get(client, "/api/assets/", key).status_code == 200
    assert mine_client.post(listing, action).status_code == 302
    assert not PublishableKey.objects.get(pk=key.pk).active
    assert _get(client, "/api/assets/", key).status_code == 403
    page = mine_client.get(change).content.decode()
    assert 'name="allowed_origins"' not in page  # read-only once revoked
    edit = mine_client.post(
        change,
        {
            "name": "Back",
            "allowed_origins": SITE,
            "collections": [library["coll"]["A"].pk],
        },
    )
    assert edit.status_code == 403
    assert not PublishableKey.objects.get(pk=key.pk).active


def test_an_endpoint_takes_a_key_only_when_it_says_so(rf, library):
    """A read endpoint that does not opt in refuses a publishable key, and its
    handler never runs."""
    from transcoder.api.core.auth import endpoint

    ran = []
    view = endpoint(GET=("read", lambda request, *, token: ran.append(token)))
    key = _key(library, "A")
    response = view(rf.get(f"/api/other/?key={key.key}", HTTP_ORIGIN=SITE))
    assert response.status_code == 403 and "cannot be used here" in (
        response.content.decode()
    )
    assert ran == []
