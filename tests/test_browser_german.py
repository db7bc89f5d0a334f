"""A new editor's walk through the whole admin in German, in Chromium (issue 20).

The browser asks for German (locale de-DE, so Accept-Language: de-DE) and the
admin answers in German without any setting: log in, the media home, an upload
of real photos with its live status, the grid and its details panel, the asset
page (focal point, crops, embeds, versions, usage), collections and their
permission grid, presets, the Trash and back, then the switcher to English.
Each page shows German words, none of the English phrases the templates and
scripts hold, and no serious or critical axe finding. Every request the walk
makes is timed and printed as a table (a record, not a test of speed); each
page is saved at 1366 and 1920 px in var/screenshots/ for a person to look at.
"""

import re
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from tests.conftest import ORIENTATION_PHOTOS, SHARED_DIR
from tests.fixtures_browser import SCREENSHOTS, serious_violations
from tests.support import grant
from transcoder.models import Asset, root_collection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[1]
WIDTHS = (1366, 1920)
PHOTOS = [
    *ORIENTATION_PHOTOS[:2],
    *sorted((SHARED_DIR / "bench" / "photos").glob("analogpattern.jpg")),
]
# What the templates and scripts say in English; none may show in German.
ENGLISH = [
    "Upload images",
    "Recent uploads",
    "Needs attention",
    "Storage by collection",
    "Drop images here",
    "choose files",
    "Type a title and alt text",
    "Similar images",
    "Embed this image",
    "Clear focal point",
    "Focal point",
    "No focal point",
    "Group permissions",
    "What saving does",
    "Preview changes",
    "Close details",
    "Open the full asset page",
    "Not ready yet",
    "Upload more",
    "Replace file",
    "Regenerate",
    "Yes, move it to the Trash",
    "No, take me back",
    "Processing",
    "Waiting",
    "uploaded",
    "ready",
    "pending",
    "failed",
    "Saved",
    "Saving",
    "Log out",
    "Welcome",
    "Language",
    "Grid",
    "Table",
    "Versions",
    "Usage",
    "Renditions",
]


class Walk:
    """The page, a stopwatch for each request an editor makes, and the checks."""

    def __init__(self, page, base):
        self.page = page
        self.base = base
        self.timings = []
        self.english = set()

    def timed(self, label, action):
        started = time.perf_counter()
        result = action()
        self.timings.append((label, (time.perf_counter() - started) * 1000))
        return result

    def go(self, label, path):
        return self.timed(label, lambda: self.page.goto(self.base + path))

    def click(self, label, locator, wait_url=None):
        def act():
            locator.click()
            if wait_url:
                self.page.wait_for_url(re.compile(wait_url))
            self.page.wait_for_load_state("load")

        return self.timed(label, act)

    def text(self):
        return self.page.locator("body").inner_text()

    def check(self, name, german, axe):
        """German phrases present, English ones absent, axe clean; shots."""
        self.page.wait_for_load_state("load")
        assert self.page.locator("html").get_attribute("lang") == "de", name
        # innerText follows text-transform: the header's words are capitals.
        body = self.text()
        missing = [w for w in german if w.casefold() not in body.casefold()]
        assert not missing, (name, missing)
        english = [w for w in ENGLISH if re.search(rf"\b{re.escape(w)}\b", body, re.I)]
        self.english |= {(name, w) for w in english}

        self.page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        bad = serious_violations(axe, self.page)
        assert bad == [], (name, bad)
        self.shoot(name)

    def shoot(self, name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 900})
            self.page.screenshot(
                path=str(SCREENSHOTS / f"de-{name}-{width}.png"), full_page=True
            )
        self.page.set_viewport_size({"width": WIDTHS[0], "height": 900})

    def table(self):
        rows = [f"{'request':<48} {'ms':>7}"]
        rows += [f"{label:<48} {ms:7.0f}" for label, ms in self.timings]
        return "\n".join(rows)


@pytest.fixture
def walk(browser, live_server, presets, admin_user):
    group = Group.objects.create(name="Redaktion")
    grant(group, root_collection(), "view", "add", "change")
    context = browser.new_context(
        locale="de-DE", viewport={"width": WIDTHS[0], "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield Walk(page, live_server.url)
    context.close()


def test_a_new_editor_walks_the_whole_admin_in_german(walk, admin_user):
    """Every page an editor opens is German, axe-clean, and switches back."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page = walk.page
    assert len(PHOTOS) == 3, "the shared photos are missing"

    # Log in: the browser's language decides before anyone is known.
    walk.go("GET login", "/admin/login/")
    assert page.locator("#mh-language option:checked").inner_text() == "Deutsch"
    walk.check("login", ["Benutzername", "Passwort", "Sprache"], axe)
    page.fill("#id_username", admin_user.username)
    page.fill("#id_password", "password")
    walk.click("POST login", page.locator("input[type=submit]"), r"/admin/$")

    # The media home.
    walk.check(
        "home",
        ["Medien", "Bilder hochladen", "Alle Bilder", "Zuletzt hochgeladen"]
        + ["Erfordert Aufmerksamkeit", "Speicher nach Sammlung", "Abmelden"],
        axe,
    )

    # Upload real photos; the rows' live status is German.
    walk.go("GET upload", "/admin/transcoder/asset/upload/")
    assert "Bilder hier ablegen" in walk.text()
    page.set_input_files("#mh-files", [str(p) for p in PHOTOS])
    walk.timed(
        "upload 3 photos until all ready",
        lambda: page.wait_for_function(
            "() => document.querySelectorAll('.mh-item.is-done').length === 3",
            timeout=120_000,
        ),
    )
    results = page.locator(".mh-item .mh-result").all_inner_texts()
    assert all(r.startswith("Fertig") for r in results), results
    assert page.locator("#mh-summary").inner_text().startswith("3 hochgeladen.")
    assert page.get_by_role("link", name="Alle Bilder ansehen").count() == 1
    walk.check("upload", ["Sammlung", "Datei", "Fortschritt", "Ergebnis"], axe)
    assert Asset.objects.count() == 3

    # Describe-first: the per-file inputs and the button speak German too.
    page.check("#mh-describe")
    page.set_input_files("#mh-files", [str(PHOTOS[0])])
    title = page.locator(".mh-describe__fields input[name=title]")
    assert title.get_attribute("placeholder") == "Titel"
    assert title.get_attribute("aria-label") == f"Titel von {PHOTOS[0].name}"
    assert page.locator("#mh-describe-go").inner_text() == "1 Datei hochladen"
    walk.go("GET upload (leave the held file)", "/admin/transcoder/asset/")

    # The grid, and its details panel.
    walk.go("GET list ?view=grid", "/admin/transcoder/asset/?view=grid")
    # status.js has drawn the badges (it marks each cell with its state).
    page.locator("td.field-rendition_status[data-state]").first.wait_for()
    walk.check("grid", ["Bilder", "Raster", "Tabelle", "fertig"], axe)
    card = page.locator("#result_list tbody tr").first
    walk.timed(
        "open details panel",
        lambda: (
            card.locator("th a, td a").first.click(),
            page.locator("#mh-quick [data-quick-asset]").wait_for(),
        ),
    )
    assert page.locator(".mh-quick__close").get_attribute("aria-label") == (
        "Details schließen"
    )
    alt = page.locator("#mh-quick textarea[name=alt_text], #mh-quick [name=alt_text]")
    alt.first.fill("Wellen am Strand")
    walk.timed(
        "save alt text (Enter)",
        lambda: (
            alt.first.press("Enter"),
            page.wait_for_function(
                "() => document.querySelector('[data-quick-saved]').textContent"
                " === 'Gespeichert'"
            ),
        ),
    )
    walk.check(
        "details-panel",
        ["Alternativtext", "Ganze Bildseite öffnen", "Sichern", "Gespeichert"],
        axe,
    )
    pk = page.locator("#mh-quick [data-quick-asset]").get_attribute("data-quick-asset")
    assert Asset.objects.get(pk=pk).alt_text == "Wellen am Strand"
    page.keyboard.press("Escape")

    # The asset page: focal point, crops, embeds, versions, usage.
    walk.go("GET asset page", f"/admin/transcoder/asset/{pk}/change/")
    picker = page.locator("[data-focal-picker]")
    assert picker.get_attribute("aria-label") == "Fokuspunkt und Zuschnitte"
    # Every walked photo has a suggested area (issue 22), offered in German.
    assert (
        page.locator("[data-focal-value]")
        .inner_text()
        .startswith("Vorgeschlagener Fokusbereich ")
    )
    assert page.locator("[data-focal-accept]").inner_text() == (
        "Vorgeschlagenen Bereich übernehmen"
    )
    page.locator("[data-focal-clear]").click()
    picker.focus()
    page.keyboard.press("ArrowRight")
    assert page.locator("[data-focal-value]").inner_text() == (
        "Fokuspunkt: 51% von links, 50% von oben."
    )
    assert page.locator(".mh-crop-legend").get_attribute("aria-label") == (
        "Im Bild eingezeichnete füllende Zuschnitte"
    )
    embed = page.locator("details.mh-embed").first
    embed.locator("summary").click()
    copy = embed.locator("button.mh-copy").first
    assert copy.inner_text().endswith("kopieren")
    copy.click()
    page.wait_for_function(
        "() => ['Kopiert', 'Zum Kopieren Strg+C drücken'].includes("
        "document.querySelector('button.mh-copy').textContent)"
    )
    walk.check(
        "asset-page",
        ["Varianten", "Versionen", "Verwendung", "Ähnliche Bilder", "Neu erzeugen"]
        + ["Datei ersetzen", "Fokuspunkt entfernen", "Dieses Bild einbetten"],
        axe,
    )

    # Collections and the permission grid.
    walk.go("GET collections", "/admin/transcoder/collection/")
    walk.go(
        "GET collection (permission grid)",
        f"/admin/transcoder/collection/{root_collection().pk}/change/",
    )
    walk.check("permission-grid", ["Gruppenberechtigungen", "Gruppe", "Redaktion"], axe)
    heads = page.locator(".mh-pgrid__table thead th").all_text_contents()
    assert [h.strip() for h in heads] == [
        "Gruppe",
        "Hinzufügen",
        "Ansehen",
        "Ändern",
        "Löschen",
    ]

    # Presets, and what saving one would do.
    walk.go("GET presets", "/admin/transcoder/preset/")
    preset = presets_pk(page)
    walk.go("GET preset", f"/admin/transcoder/preset/{preset}/change/")
    # A changed field previews by itself (after a pause); then the button.
    page.fill("#id_width", "150")
    page.press("#id_width", "Tab")
    done = "document.querySelector('[data-preview-url]').dataset.done"
    page.wait_for_function(f"() => {done}")
    first = page.evaluate(f"() => {done}")
    walk.timed(
        "preview changes",
        lambda: (
            page.get_by_role("button", name="Änderungen vorab ansehen").click(),
            page.wait_for_function(f"(first) => {done} !== first", arg=first),
        ),
    )
    walk.check(
        "preset", ["Was das Speichern bewirkt", "Vorher", "Nachher", "Ausgabe"], axe
    )

    # To the Trash and back.
    walk.go("GET delete", f"/admin/transcoder/asset/{pk}/delete/")
    walk.check("delete", ["Papierkorb", "Nein, zurück"], axe)
    walk.click(
        "POST delete (to the Trash)",
        page.get_by_role("button", name="Ja, in den Papierkorb verschieben"),
        r"/admin/transcoder/asset/$",
    )
    assert not Asset.objects.filter(pk=pk).exists()
    walk.go("GET trash", "/admin/transcoder/trashedasset/")
    walk.check("trash", ["Gelöscht von", "Verbleibende Tage", "Ausführen"], axe)
    page.locator("#result_list input.action-select").first.check()
    page.select_option("select[name=action]", "restore")
    walk.click(
        "POST restore",
        page.get_by_role("button", name="Ausführen"),
        r"/admin/transcoder/trashedasset/$",
    )
    assert "1 Bild wiederhergestellt" in page.locator(".messagelist").inner_text()
    assert Asset.objects.filter(pk=pk).exists()

    # The switcher: back to English, remembered from then on.
    walk.go("GET home", "/admin/")
    page.select_option("#mh-language", "en")
    walk.click(
        "POST set_language (English)",
        page.get_by_role("button", name="Wechseln", exact=True),
        r"/admin/$",
    )
    assert page.locator("html").get_attribute("lang") == "en"
    body = walk.text()
    assert "Upload images" in body and "Recent uploads" in body
    assert "Bilder hochladen" not in body
    walk.go("GET list (English)", "/admin/transcoder/asset/")
    assert page.locator("h1").inner_text() == "Images"
    assert page.get_by_role("button", name="Switch", exact=True).count() == 1
    assert serious_violations(axe, page) == []

    print("\n" + walk.table())
    # Not one known English phrase on any German page.
    assert walk.english == set()


def presets_pk(page):
    """The first preset's id, read from the change list's link."""
    href = page.locator("#result_list tbody tr th a").first.get_attribute("href")
    return re.search(r"/preset/(\d+)/change/", href).group(1)
