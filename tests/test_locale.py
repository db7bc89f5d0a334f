"""The German catalogs hold every string the code holds (tests/test_i18n.py checks
that each is translated and that the committed .mo files match).

The sources are extracted afresh (makemessages, into a copy) and compared with
the committed catalogs by GNU gettext's own tools, so a string added without
its translation fails here, named.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]
CATALOGS = ROOT / "locale" / "de" / "LC_MESSAGES"
IGNORE = [".venv*", "bench", "tests", "staticfiles", "var", "docs", "infra"]


def _gettext_tools():
    if not shutil.which("msgfmt") or not shutil.which("msgcmp"):
        pytest.skip("GNU gettext (msgfmt, msgcmp) is not installed")


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_every_string_in_the_code_is_in_the_catalog(
    tmp_path, settings, monkeypatch, domain
):
    """A fresh extraction of the sources holds no msgid the catalog lacks."""
    _gettext_tools()
    for part in ("templates", "transcoder", "mediahub", "manage.py"):
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(
                src, tmp_path / part, ignore=shutil.ignore_patterns("*.pyc")
            )
        else:
            shutil.copy(src, tmp_path / part)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    (tmp_path / "locale").mkdir()
    monkeypatch.chdir(tmp_path)  # makemessages reads the tree it runs in
    call_command(
        "makemessages",
        locale=["de"],
        domain=domain,
        ignore_patterns=IGNORE,
        verbosity=0,
    )
    fresh = tmp_path / "locale" / "de" / "LC_MESSAGES" / f"{domain}.po"
    result = subprocess.run(
        ["msgcmp", str(CATALOGS / f"{domain}.po"), str(fresh)],
        capture_output=True,
        text=True,
    )
    lines = fresh.read_text(encoding="utf-8").splitlines()
    missing = [
        "\n".join(lines[int(n) - 3 : int(n) + 1])
        for n in re.findall(
            rf"{re.escape(fresh.name)}:(\d+): this message", result.stderr
        )
    ]
    assert result.returncode == 0, "\n\n".join(missing) or result.stderr
