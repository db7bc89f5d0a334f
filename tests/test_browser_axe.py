"""axe-core on every admin page, as a superuser and as a collection-limited editor.

The pages come from the URL resolver (tests/axe_pages.py): every pattern is
visited or excluded with a reason, and the visits include the states a page
shows after an action: bulk actions' intermediate pages, forms sent with
errors, the quick panel, an upload with a refused file, the preset preview.
Each page is checked at 1366 px; the key ones at 800 px and in the dark theme
too. One browser context per persona, logged in once (a session cookie as
storage state).

Run with -rP (or -s) to see the table of pages, violations and load times.
"""

import time
from collections import Counter

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from tests.axe_pages import NARROW, WIDE
from tests.axe_routes import EXCLUDED, all_visits, excluded
from tests.personas import build_world, picture
from tests.test_doors import url_routes
from transcoder import services
from transcoder.models import UsageDay

SERIOUS = ("serious", "critical")
# What each context is: a persona's user, or no one.
USERS = {
    "root": "root",
    "ed_a": "ed_a",
    "mixed": "mixed",
    "up_a": "up_a",
    "leaving": "root",
    "anonymous": None,
}


def axe_check(page):
    """Return (every violation's id and impact, the serious ones described).

    axe-core is in every page of the context already (``_context``): sent
    once, not evaluated over the wire again for each check.
    """
    results = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"
    )
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} - "
        + "; ".join(str(n["target"]) for n in v["nodes"][:3])
        for v in results
        if v["impact"] in SERIOUS
    ]
    return [(v["id"], v["impact"]) for v in results], serious


def test_every_admin_route_is_visited_or_excluded():
    """A URL pattern with neither a visit nor a reason to skip it fails, named;
    so does a visit or an exclusion naming a pattern that no longer exists."""
    routes = set(url_routes())
    visited = {v.key for v in all_visits()}
    missing = sorted(r for r in routes if r not in visited and not excluded(r))
    assert missing == [], f"admin pages axe never sees: {missing}"
    stale = sorted(k for k in visited if k not in routes)
    assert stale == [], f"visits of patterns that do not exist: {stale}"
    stale = sorted(k for k in EXCLUDED if k not in routes)
    assert stale == [], f"exclusions of patterns that do not exist: {stale}"
    both = sorted(k for k in visited if excluded(k))
    assert both == [], f"patterns both visited and excluded: {both}"


@pytest.mark.browser
def test_axe_helper_finds_an_unlabelled_input(page):
    """The check fails on a page with an input that has no name: the crawl
    below can fail."""
    page.set_content(
        '<!doctype html><html lang="en"><head><title>t</title></head>'
        '<body><main><h1>t</h1><input type="text" name="q"></main></body></html>'
    )
    page.add_script_tag(content=AXE_SCRIPT)
    found, serious = axe_check(page)
    assert ("label", "critical") in found
    assert any(s.startswith("label (critical)") for s in serious)


def _world():
    w = build_world()
    root, coll_a = w.users["root"], w.coll["A"]
    # A second image of A (bulk actions take two), one in A's Trash, and
    # embed requests from a site (the bulk delete's usage warning).
    extra = services.asset_create(
        content=picture(11),
        filename="alpha-extra.jpg",
        title="Alpha extra",
        collection=coll_a,
        allow_duplicate=True,
    )
    trashed = services.asset_create(
        content=picture(12),
        filename="alpha-trashed.jpg",
        title="Alpha trashed",
        collection=coll_a,
        allow_duplicate=True,
    )
    services.asset_delete(asset=trashed, by=root)
    for asset in (w.asset["A"], extra):
        UsageDay.objects.create(
            asset=asset,
            origin="https://alpha.example",
            day=timezone.localdate(),
            count=5,
        )
    return w


def _context(browser, live_server, name, width):
    state = {"cookies": [], "origins": []}
    if USERS[name]:
        client = Client()
        client.force_login(User.objects.get(username=USERS[name]))
        for cookie in client.cookies.values():
            state["cookies"].append(
                {"name": cookie.key, "value": cookie.value, "url": live_server.url}
            )
    context = browser.new_context(
        viewport={"width": width, "height": 900}, storage_state=state
    )
    context.set_default_timeout(5_000)
    context.add_init_script(AXE_SCRIPT)
    return context


def _visit(page, base, w, visit):
    started = time.perf_counter()
    response = page.goto(base + visit.url(w))
    assert response.status == visit.status, (visit.label, response.status)
    if visit.act:
        visit.act(page)
    elapsed = time.perf_counter() - started
    if visit.ready:
        page.wait_for_selector(visit.ready)
    if visit.status == 200:
        # Reached the admin page, not a refusal or an error page.
        assert page.locator("#container").count() == 1, (visit.label, page.url)
    started = time.perf_counter()
    found, serious = axe_check(page)
    return elapsed, time.perf_counter() - started, found, serious


# The personas a page may differ for, in three runs of about equal length:
# the superuser, the editor of A, and the rest (an add-only uploader of A, a
# viewer of A who edits B, anonymous, and a superuser logging out).
# Every page at 1366 px, light; the key pages at 800 px and in the dark
# theme (Django's admin follows the system's) too.
PASSES = [(WIDE, "light"), (NARROW, "light"), (WIDE, "dark")]
RUNS = {
    "superuser": ("root",),
    "editor": ("ed_a",),
    "others": ("up_a", "mixed", "anonymous", "leaving"),
}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(600)
@pytest.mark.parametrize("run", RUNS)
def test_axe_finds_nothing_serious_on_any_admin_page(browser, live_server, run):
    """Every page, as each persona it differs for, at 1366 px (and the key
    pages at 800 px and dark): no serious or critical axe violation."""
    from playwright.sync_api import Error as PlaywrightError

    w = _world()
    visits = all_visits()
    rows, bad = [], {}
    for persona in RUNS[run]:
        mine = [v for v in visits if persona in v.who]
        assert mine, persona
        context = _context(browser, live_server, persona, WIDE)
        page = context.new_page()
        for width, theme in PASSES:
            page.set_viewport_size({"width": width, "height": 900})
            page.emulate_media(color_scheme=theme)
            first = (width, theme) == PASSES[0]
            for visit in mine if first else [v for v in mine if v.key_page]:
                where = f"{visit.label} [{persona}, {width}px, {theme}]"
                try:
                    elapsed, checked, found, serious = _visit(
                        page, live_server.url, w, visit
                    )
                except (AssertionError, PlaywrightError) as e:
                    bad[where] = [f"not reached: {str(e).splitlines()[0]}"]
                    continue
                rows.append(
                    (visit.label, persona, f"{width} {theme}", found, elapsed, checked)
                )
                if serious:
                    bad[where] = serious
        context.close()
    print(_table(rows))
    assert bad == {}, "\n".join(f"{k}:\n  " + "\n  ".join(v) for k, v in bad.items())


def test_every_visit_has_a_run():
    """Each persona a visit names is checked in one of the runs."""
    named = {p for v in all_visits() for p in v.who}
    runs = [p for personas in RUNS.values() for p in personas]
    assert sorted(named) == sorted(runs)


def _table(rows):
    lines = [
        f"{'page':44} {'persona':9} {'viewport':10} {'crit':>4} {'ser':>4} "
        f"{'mod':>4} {'min':>4} {'load ms':>7} {'axe ms':>6}  other rules"
    ]
    for label, persona, width, found, elapsed, checked in rows:
        counts = Counter(impact for _, impact in found)
        rules = sorted({rule for rule, impact in found if impact not in SERIOUS})
        lines.append(
            f"{label[:44]:44} {persona:9} {width:10} {counts['critical']:>4} "
            f"{counts['serious']:>4} {counts['moderate']:>4} {counts['minor']:>4} "
            f"{elapsed * 1000:>7.0f} {checked * 1000:>6.0f}  {' '.join(rules)}"
        )
    loads, checks = sum(r[4] for r in rows), sum(r[5] for r in rows)
    lines.append(
        f"{len(rows)} pages: {loads:.1f} s loading (with the actions in them), "
        f"{checks:.1f} s in axe"
    )
    return "\n".join(lines)
