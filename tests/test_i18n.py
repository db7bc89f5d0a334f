"""The admin in the editor's language: a complete German catalogue, chosen by
the browser or the switcher, and no editor-facing Python string left unmarked."""

import ast
import gettext
import re
from pathlib import Path

import polib
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.images import make_image
from transcoder import services
from transcoder.i18n import worded
from transcoder.imaging.decode import sniff
from transcoder.models import Asset, Preset

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "locale"
CATALOGUES = sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))
# "%(name)s", "%(count)d", "%(fit)r"; "{name}" for brace formats.
NAMED = re.compile(r"%\((\w+)\)[sdrif]|\{(\w+)\}")
POSITIONAL = re.compile(r"%(?!\()[-#0+]*\d*(?:\.\d+)?[sdrif]")


def _entries(path):
    return [e for e in polib.pofile(str(path)) if not e.obsolete]


def _positional(text):
    return POSITIONAL.search(text.replace("%%", "")) is not None


def _names(text):
    return {a or b for a, b in NAMED.findall(text)}


def test_there_is_a_german_catalogue():
    """The German catalogue of mediahub's own strings ships with the code."""
    assert LOCALE / "de/LC_MESSAGES/django.po" in CATALOGUES
    assert len(_entries(LOCALE / "de/LC_MESSAGES/django.po")) > 300


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(LOCALE)))
def test_every_message_is_translated(path):
    """No entry is untranslated or fuzzy: an editor never meets English by
    accident in a shipped language."""
    po = polib.pofile(str(path))
    assert not po.metadata_is_fuzzy
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    empty_plural = [
        e.msgid
        for e in _entries(path)
        if e.msgid_plural and not all(e.msgstr_plural.values())
    ]
    assert untranslated == []
    assert fuzzy == []
    assert empty_plural == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(LOCALE)))
def test_every_placeholder_survives_translation(path):
    """Each translation keeps exactly the named placeholders of its msgid, so
    formatting never fails or drops a value; none is positional."""
    wrong = []
    for e in _entries(path):
        if e.msgid_plural:
            # The singular form may say "am letzten Tag" for "in the last
            # %(days)s day": a form may drop a value, never add or rename one,
            # and the plural form keeps them all.
            forms = [e.msgstr_plural[k] for k in sorted(e.msgstr_plural)]
            pairs = [(e.msgid_plural, forms[-1])]
            wrong += [
                (e.msgid, s)
                for s in forms[:-1]
                if not _names(s) <= _names(e.msgid_plural)
            ]
        else:
            pairs = [(e.msgid, e.msgstr)]
        for source, translated in pairs:
            if _names(source) != _names(translated):
                wrong.append((source, translated))
        if path.name == "django.po" and _positional(e.msgid):
            wrong.append((e.msgid, "positional placeholder"))
    assert wrong == []


def test_the_placeholder_check_can_fail():
    """The check above sees a dropped or renamed placeholder."""
    assert _names("%(title)s in %(days)d days") == {"title", "days"}
    assert _names("in %(tage)d Tagen") != _names("in %(days)d days")
    assert _positional("Moved %d assets")
    assert not _positional("Moved %(count)d assets, 100%% done")


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(LOCALE)))
def test_the_compiled_catalogue_matches_its_source(path):
    """The committed .mo says what the .po says: run msgfmt (or
    ``manage.py compilemessages``) after every change to a .po."""
    mo = path.with_suffix(".mo")
    assert mo.exists(), f"{mo.name} is missing: compile {path.name}"
    with mo.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    stale = []
    entries = _entries(path)
    for e in entries:
        if e.msgid_plural:
            for n, form in ((1, 0), (2, 1)):
                got = (
                    compiled.npgettext(e.msgctxt, e.msgid, e.msgid_plural, n)
                    if e.msgctxt
                    else compiled.ngettext(e.msgid, e.msgid_plural, n)
                )
                if got != e.msgstr_plural[form]:
                    stale.append(e.msgid)
        elif e.msgctxt:
            if compiled.pgettext(e.msgctxt, e.msgid) != e.msgstr:
                stale.append(e.msgid)
        elif compiled.gettext(e.msgid) != e.msgstr:
            stale.append(e.msgid)
    # The header is one more key; each plural form is a key of its own.
    extra = len(compiled._catalog) - len({(e.msgctxt, e.msgid) for e in entries}) - 1
    extra -= sum(len(e.msgstr_plural) - 1 for e in entries if e.msgid_plural)
    assert stale == []
    assert extra == 0, "the .mo holds messages the .po no longer has"


# --- choosing the language -----------------------------------------------------


def test_german_is_chosen_by_the_browser(client):
    """Accept-Language: de gives the German admin; no header gives English."""
    german = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    english = client.get("/admin/login/")
    assert german["Content-Language"] == "de"
    assert "Benutzername" in german.content.decode()
    assert english["Content-Language"] == "en"
    assert "Username" in english.content.decode()


def test_an_unknown_language_falls_back_to_english(client):
    """A browser asking only for a language mediahub lacks gets English."""
    response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert response["Content-Language"] == "en"


def test_the_switcher_overrides_the_browser(client):
    """The set_language view stores the choice in a cookie, which wins over
    Accept-Language, and switching back works the same way."""
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/admin/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "de"
    page = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert page["Content-Language"] == "de"
    client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    page = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="de")
    assert page["Content-Language"] == "en"


def test_the_switcher_refuses_a_language_it_does_not_offer(client):
    """Only English and German can be chosen."""
    response = client.post("/i18n/setlang/", {"language": "xx", "next": "/admin/"})
    assert "django_language" not in response.cookies


def test_the_javascript_catalogue_carries_mediahubs_strings(admin_client, client):
    """Django's admin catalogue (admin/jsi18n/) serves locale/'s djangojs too."""
    url = reverse("admin:jsi18n")
    response = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    assert "In der Warteschlange" in response.content.decode()
    assert client.get(url).status_code == 302  # the login page


# --- the admin in German ---------------------------------------------------------


@pytest.fixture
def german(admin_client):
    admin_client.cookies["django_language"] = "de"
    return admin_client


@pytest.fixture
def asset(presets, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        made = services.asset_create(
            content=make_image("JPEG", size=(64, 48)),
            filename="strand.jpg",
            title="Strand",
            alt_text="Ein Strand",
        )
    return made


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Language"] == "de"
    return response.content.decode()


def _trashed(asset):
    services.asset_delete(asset=asset, by=None)
    return "/admin/transcoder/trashedasset/"


# Each page: German it must show (from mediahub's Python and models), and the
# English it showed before that must be gone.
PAGES = [
    (
        "media home",
        lambda a: "/admin/",
        ["Mediathek", "Bilder", "Sammlungen", "Vorgaben"],
        [">Assets<", ">Presets<", ">Collections<", "Media library"],
    ),
    (
        "asset list",
        lambda a: "/admin/transcoder/asset/",
        ["Schlagwörter", "Varianten neu erzeugen", "In Sammlung verschieben"],
        ["Regenerate renditions", "Move to collection", "Some failed"],
    ),
    (
        "asset change",
        lambda a: f"/admin/transcoder/asset/{a.pk}/change/",
        ["Alternativtext", "Aus der Datei", "Bildunterschrift", "Aufnahmedatum"],
        ["Alt text:", "From the file", "Capture date", "Size in pixels"],
    ),
    (
        "upload",
        lambda a: "/admin/transcoder/asset/upload/",
        ["Bilder hochladen", "oder HEIC"],
        ["Upload images</", " or HEIC"],
    ),
    (
        "trash",
        _trashed,
        ["Papierkorb", "Gelöscht von", "Verbleibende Tage", "30 Tage"],
        ["Deleted by", "Days left", "Restore selected images", "30 days"],
    ),
    (
        "collections",
        lambda a: "/admin/transcoder/collection/",
        ["Sammlung", "Bilder"],
        [">Assets<", ">Collection<"],
    ),
    (
        "presets",
        lambda a: "/admin/transcoder/preset/",
        ["Einpassung", "Formate", "Einpassen"],
        [">Fit<", ">Formats<", "Contain:"],
    ),
    (
        "preset change",
        lambda a: f"/admin/transcoder/preset/{Preset.objects.first().pk}/change/",
        ["Qualität", "Hintergrund", "Füllen: zuschneiden"],
        ["Quality:", "Background:", "Cover: crop to fill the box"],
    ),
]


@pytest.mark.parametrize(
    ("name", "url", "german_words", "english_words"),
    PAGES,
    ids=[p[0] for p in PAGES],
)
def test_admin_pages_speak_german(
    german, asset, name, url, german_words, english_words
):
    """A sample of the admin's pages shows mediahub's own words in German."""
    body = _page(german, url(asset))
    assert [w for w in german_words if w not in body] == []
    assert [w for w in english_words if w in body] == []


def test_a_refusal_reaches_the_editor_in_german(german, presets):
    """The pipeline's refusal (imaging has no Django) is worded at the door."""
    response = german.post(
        "/admin/transcoder/asset/upload/file/",
        {"file": SimpleUploadedFile("doc.jpg", b"%PDF-1.7\n%%EOF\n")},
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("Diese Datei ist ein PDF-Dokument;")
    assert Asset.objects.count() == 0


def test_refusals_stay_english_without_a_request():
    """Outside a request (events, commands) a refusal reads as before."""
    assert str(sniff.refusal_message("pdf")).startswith("This file is a PDF document;")
    assert worded(sniff.refusal_message("pdf")) == str(sniff.refusal_message("pdf"))


def test_an_editors_language_does_not_outlive_the_request(german, presets):
    """After a German admin page, work the same thread runs outside a request
    (a task, an S3 event on a warm Lambda) is worded in the default language."""
    from django.conf import settings
    from django.utils import translation

    assert german.get("/admin/")["Content-Language"] == "de"
    assert translation.get_language() == settings.LANGUAGE_CODE
    assert str(sniff.refusal_message("pdf")).startswith("This file is a PDF")


# --- nothing editor-facing escapes marking ----------------------------------------

ADMIN = sorted((ROOT / "transcoder/admin").rglob("*.py")) + [ROOT / "mediahub/admin.py"]
MARKERS = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
}
# Calls whose text argument an editor reads, and which argument it is.
MESSAGE_CALLS = {"message_user": 1, "success": 1, "warning": 1, "error": 1, "info": 1}
# Keyword arguments an editor reads.
TEXT_KEYWORDS = {"description", "label", "help_text", "empty_label", "title"}
# Class attributes of list filters and the admin site an editor reads.
TEXT_ATTRIBUTES = {"title", "site_header", "site_title", "index_title"}
# Brand names, not words.
ALLOWED = {"mediahub"}


def _bare(node):
    """Return the English text of ``node`` if it is an unmarked string literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = (
            "".join(v.value for v in node.values if isinstance(v, ast.Constant)) or "{}"
        )
    else:
        return None
    if text.strip() == "" or text in ALLOWED or not re.search(r"[A-Za-z]", text):
        return None
    return text


def unmarked(source):
    """Return (line, text) of editor-facing strings in ``source`` left unmarked."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in MARKERS:
                continue
            index = MESSAGE_CALLS.get(name)
            if index is not None and len(node.args) > index:
                if (text := _bare(node.args[index])) is not None:
                    found.append((node.lineno, text))
            for keyword in node.keywords:
                if keyword.arg in TEXT_KEYWORDS:
                    if (text := _bare(keyword.value)) is not None:
                        found.append((node.lineno, text))
            if name in {"ValidationError", "Http404", "PermissionDenied"}:
                for arg in node.args[:1]:
                    if (text := _bare(arg)) is not None:
                        found.append((node.lineno, text))
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if (
                    isinstance(item, ast.Assign)
                    and any(
                        isinstance(t, ast.Name) and t.id in TEXT_ATTRIBUTES
                        for t in item.targets
                    )
                    and (text := _bare(item.value)) is not None
                ):
                    found.append((item.lineno, text))
        elif isinstance(node, ast.Dict):
            # Context dicts: {"title": "..."} is a page's heading.
            for key, value in zip(node.keys, node.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and key.value == "title"
                    and (text := _bare(value)) is not None
                ):
                    found.append((value.lineno, text))
    return found


@pytest.mark.parametrize("path", ADMIN, ids=lambda p: p.name)
def test_admin_strings_are_marked_for_translation(path):
    """Column headers, actions, filters, labels, help texts, page titles and
    messages of the admin go through gettext."""
    assert unmarked(path.read_text()) == []


def test_the_marking_check_can_fail():
    """A bare header, action, message or title is found; a marked one is not."""
    source = """
class F(admin.SimpleListFilter):
    title = "format"

class A(admin.ModelAdmin):
    @admin.display(description="Size")
    def size(self, obj): ...

    @admin.action(description=_("Rebuild"))
    def rebuild(self, request, queryset):
        self.message_user(request, f"Rebuilt {n} images.")
        self.message_user(request, gettext("Done."))
        return {"title": "Move to collection", "opts": 1}

field = forms.CharField(label="Tags", help_text=gettext_lazy("Commas."))
raise ValidationError("Set both.")
"""
    found = [text for _, text in sorted(unmarked(source))]
    assert found == [
        "format",
        "Size",
        "Rebuilt  images.",
        "Move to collection",
        "Tags",
        "Set both.",
    ]


def test_only_the_admin_takes_the_readers_language(client, presets):
    """The API and public links answer in English whatever the browser asks,
    and never vary by language (a CDN keeps one copy)."""
    response = client.get("/api/assets/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 401
    assert "Accept-Language" not in response.get("Vary", "")
    assert response.get("Content-Language") is None
    admin = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="de")
    assert "Accept-Language" in admin["Vary"]


def _shown_fields(model_admin):
    """Return the model field names a ModelAdmin declares it shows."""
    names = [*model_admin.list_display, *model_admin.readonly_fields]
    names += [f for f in model_admin.list_filter if isinstance(f, str)]
    names += list(model_admin.fields or [])
    for _, options in model_admin.fieldsets or []:
        for entry in options["fields"]:
            names += list(entry) if isinstance(entry, tuple | list) else [entry]
    fields = {f.name: f for f in model_admin.model._meta.get_fields()}
    return {fields[n] for n in names if isinstance(n, str) and n in fields}


def test_models_an_editor_sees_have_translatable_names():
    """Each mediahub model in the admin, and each of its fields the admin
    shows, has a name marked for translation (not one Django makes up)."""
    from django.contrib import admin
    from django.utils.functional import Promise

    unmarked_names = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label != "transcoder":
            continue
        meta = model._meta
        for name in ("verbose_name", "verbose_name_plural"):
            if not isinstance(meta.original_attrs.get(name), Promise):
                unmarked_names.append(f"{meta.label}.{name}")
        for field in _shown_fields(model_admin):
            if not isinstance(getattr(field, "verbose_name", None), Promise):
                unmarked_names.append(f"{meta.label}.{field.name}")
    assert unmarked_names == []


def test_the_language_cookie_is_not_for_scripts(client):
    """The switcher's cookie is HttpOnly and SameSite=Lax."""
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/admin/"})
    cookie = response.cookies["django_language"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
