"""Every door, every persona: a route-by-route proof of who reaches what.

Every URL pattern of the resolver and every operation of /api/schema/ has
exactly one row in the table (tests/doors*.py). Each probe of a row is driven
for every persona (tests/personas.py) against the objects of collection A and
of collection B. Who may pass gets a real success, checked by its content or
effect; who may not gets a refusal that changes no row and no stored file,
leaks no title, tag, file name, collection, job or id of what they may not
see, and looks exactly like the answer for an object that does not exist.
"""

import json
import re
import uuid
from urllib.parse import parse_qsl

import pytest
from django.urls import URLResolver, get_resolver, resolve

from tests.doors import allowed
from tests.doors_api import API_ROWS
from tests.doors_site import ADMIN_ROWS
from tests.knock import Ctx
from tests.personas import (
    PERSONAS,
    REACH,
    SECRETS,
    hidden,
    may,
)
from tests.snapshots import asset_state, snapshot
from transcoder.models import Asset

pytestmark = pytest.mark.django_db


@pytest.fixture
def media_root(door_files):
    """The files of the door library (overrides the conftest fixture)."""
    return door_files


@pytest.fixture
def world(door_world):
    return door_world


ROWS = ADMIN_ROWS + API_ROWS
API_KEYS = {row.key for row in API_ROWS}


def url_routes():
    """Return every URL pattern: ``namespace:name``, or "/<regex>" if unnamed."""
    found = []

    def walk(resolver, prefix, namespace):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                ns = f"{pattern.namespace}:" if pattern.namespace else ""
                walk(pattern, prefix + str(pattern.pattern), namespace + ns)
            elif pattern.name:
                found.append(namespace + pattern.name)
            else:
                found.append("/" + prefix + str(pattern.pattern))

    walk(get_resolver(), "", "")
    return found


def api_operations(client):
    """Return ``{"METHOD /path/": URL name}`` for each operation of the schema."""
    paths = client.get("/api/schema/").json()["paths"]
    operations = {}
    for path, item in paths.items():
        sample = re.sub(r"\{(asset|upload)_id\}", str(uuid.uuid4()), path)
        sample = re.sub(r"\{\w+\}", "x", sample)
        match = resolve(sample)
        for method in item:
            if method != "parameters":
                operations[f"{method.upper()} {path}"] = (
                    f"{match.namespace}:{match.url_name}"
                )
    return operations


def test_every_route_has_exactly_one_row(client):
    """A new URL pattern or API operation without a row fails, named; so does a
    row naming a route that no longer exists, or two rows for one route."""
    routes = url_routes()
    assert len(routes) == len(set(routes)), "two URL patterns share a key"
    operations = api_operations(client)
    keys = [row.key for row in ROWS]
    duplicated = sorted({k for k in keys if keys.count(k) > 1})
    assert duplicated == []
    served_by_operations = set(operations.values())
    missing = [r for r in routes if r not in keys and r not in served_by_operations] + [
        op for op in operations if op not in keys
    ]
    assert missing == [], f"routes without a row in the door table: {missing}"
    stale = [k for k in keys if k not in routes and k not in operations]
    assert stale == [], f"rows naming no route: {stale}"
    both = [r for r in routes if r in keys and r in served_by_operations]
    assert both == [], f"routes with a row and operation rows: {both}"


# --- the matrix ---------------------------------------------------------------

REFUSED = {"admin": {302, 403, 404, 405}, "api": {401, 403, 404, 405}}
OTHER = {"A": "B", "B": "A"}

# Holes known today, as {(row, probe, persona): reason}; each marker goes when
# its fix lands (strict: a fixed hole turns the case red until its marker is
# removed). None is known: every row and persona passes.
XFAIL = {}


def _door_open(door, persona):
    p = PERSONAS[persona]
    return bool(p.token or p.publishable) if door == "api" else bool(p.session)


# A bearer token is no admin credential at all: one token persona shows that
# per admin route; the tokens of gone creators are tried on every API route.
ADMIN_PERSONAS = [
    "anonymous",
    "superuser",
    "editor_a",
    "editor_b",
    "uploader",
    "view_a_edit_b",
    "write_token_a",
]


def _cases():
    for row in ROWS:
        door = "api" if row.key in API_KEYS else "admin"
        for probe in row.probes:
            for persona in PERSONAS if door == "api" else ADMIN_PERSONAS:
                reason = XFAIL.get((row.key, probe.name, persona))
                marks = (
                    [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                )
                yield pytest.param(
                    row.key,
                    door,
                    probe,
                    persona,
                    id=f"{row.key} {probe.name} {persona}",
                    marks=marks,
                )


def _shape(c, response, ids):
    """Return what a refusal looks like, with the ids it was asked about erased."""
    location = response.get("Location", "")
    for value in ids:
        location = location.replace(f"/{value}/", "/<id>/")
    data = c.body(response)
    if response.get("Content-Type", "").startswith("application/json"):
        data = json.loads(data)
    else:
        data = None  # HTML: the status and the redirect say it all
    return response.status_code, location, data


def _leaks(c, response, open_door):
    """Return the strings ``c.persona`` may not see that the answer holds."""
    body = c.body(response).lower()
    # What the request itself said (its path, its query) is not a leak.
    body = body.replace(response.request["PATH_INFO"].lower(), "")
    for _name, value in parse_qsl(response.request.get("QUERY_STRING", "")):
        body = body.replace(value.lower(), "")
    collections = hidden(c.persona) if open_door else ["A", "B"]
    found = []
    for t in collections:
        secrets = dict(SECRETS[t])
        if open_door and any(t in where for where in REACH[c.persona].values()):
            del secrets["collection"]  # an uploader picks the collection by name
        for text in [*secrets.values(), str(c.world.asset[t].pk)]:
            if text.lower() in body:
                found.append(text)
    return found


def _prepare(c, key, probe):
    if probe.prepare:
        c.prepared = probe.prepare(c)


def test_every_marker_names_a_case():
    """A marker for a row, probe or persona that is gone is an error, not a no-op."""
    cases = {(p.values[0], p.values[2].name, p.values[3]) for p in _cases()}
    assert set(XFAIL) - cases == set()


def test_the_library_has_what_the_doors_need(world):
    """A and B look alike, each has a version, renditions and a tag: the probes
    that look for leaks of counts, tags and files have something to find."""
    for t in ("A", "B"):
        asset = Asset.objects.get(pk=world.asset[t].pk)
        assert asset.near_duplicates == 1
        assert asset.versions.count() == 1
        assert asset.renditions.filter(status="ready").count() == 3
        assert list(asset.tags.names()) == [SECRETS[t]["tag"]]


@pytest.mark.parametrize(("key", "door", "probe", "persona"), list(_cases()))
def test_door(
    world,
    media_root,
    request,
    django_capture_on_commit_callbacks,
    key,
    door,
    probe,
    persona,
):
    """Each persona passes exactly the doors its reach allows, with a real
    success; every other knock is refused like a missing object, changes
    nothing and leaks nothing."""
    if probe.s3:
        from mediahub.storages import s3_storages

        settings = request.getfixturevalue("settings")
        settings.MEDIAHUB_STORAGE = "s3"
        env = request.getfixturevalue("door_bucket")
        settings.STORAGES = {**settings.STORAGES, **s3_storages(env)}
    for target in probe.targets:
        c = Ctx(world, persona, target, door, django_capture_on_commit_callbacks)
        open_door = probe.need in ("public", "nobody") or _door_open(door, persona)
        passes = open_door and allowed(probe, persona, target)
        if passes is None:  # either answer is right; it must still leak nothing
            before = snapshot(media_root)
            response = probe.call(c)
            assert _leaks(c, response, open_door) == [], (key, persona, target)
            assert snapshot(media_root) == before, (key, persona, target)
            continue
        c.expected = probe.shown(persona) if probe.shown and passes else set()
        _prepare(c, key, probe)
        before = snapshot(media_root)
        response = probe.call(c)
        after = snapshot(media_root)
        where = f"{key} {probe.name} as {persona} on {target}"
        if door == "admin":  # the CSRF test trusts this
            assert response.request["REQUEST_METHOD"] == probe.method, where
        answer = f"{response.status_code} {c.body(response)[:400]!r}"
        assert _leaks(c, response, open_door) == [], f"{where} leaked: {answer}"
        if passes:
            assert response.status_code in probe.status, f"{where}: {answer}"
            if probe.ok:
                assert probe.ok(c, response) is not False, f"{where}: {answer}"
            for t in ("A", "B"):
                if probe.shown and (t in c.expected) != (
                    SECRETS[t]["title"] in c.body(response)
                ):
                    pytest.fail(f"{where}: title of {t} shown wrongly: {answer}")
            if target in OTHER:
                other = world.asset[OTHER[target]].pk
                assert asset_state(before, other) == asset_state(after, other), where
            continue
        changed = {k for k in before if before[k] != after[k]}
        assert changed == set(), f"{where} changed {changed}: {answer}"
        refused = REFUSED[door] | set(probe.also_refused)
        # Of an object it may see, a persona may be told plainly it may not.
        if target in OTHER and open_door and not may(persona, "view", target):
            m = Ctx(world, persona, "missing", door, django_capture_on_commit_callbacks)
            _prepare(m, key, probe)
            missing = probe.call(m)
            ids = [c.asset.pk, m.asset.pk, c.job.pk, m.job.pk, c.target_token.pk]
            ids += [m.target_token.pk, c.version_id, m.version_id]
            alike = _shape(c, response, ids) == _shape(m, missing, ids)
            # Who may pass for no object at all may also be told so plainly
            # (Django's history page: 403 here, "does not exist" there).
            reaches = any(allowed(probe, persona, t) for t in OTHER)
            assert alike or (not reaches and response.status_code in refused), (
                f"{where}: {answer} differs from a missing object's "
                f"{missing.status_code} {m.body(missing)[:300]!r}"
            )
        else:
            assert response.status_code in refused, f"{where}: {answer}"
