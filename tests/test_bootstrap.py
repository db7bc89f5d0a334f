"""A fresh database gets the starter presets from migrate; bootstrap adds an admin."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from transcoder.models import Preset
from transcoder.starter_presets import STARTER_PRESETS

ROOT = Path(__file__).resolve().parents[1]


def _manage(tmp_path, *args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "mediahub.settings",
            "MEDIAHUB_VAR_DIR": str(tmp_path),
            "MEDIAHUB_HTTPS": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        }
        | env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_migrate_alone_seeds_the_starter_presets_once(tmp_path):
    """`migrate` on a fresh database leaves the five starter presets, and only once."""
    _manage(tmp_path, "migrate", "--noinput", "-v0")
    code = (
        "from transcoder.models import Preset; "
        "print(sorted(Preset.objects.values_list('slug', flat=True)))"
    )
    slugs = _manage(tmp_path, "shell", "-c", code).stdout.strip().splitlines()[-1]
    assert slugs == str(sorted(p["slug"] for p in STARTER_PRESETS))
    assert len(STARTER_PRESETS) == 5
    _manage(tmp_path, "migrate", "--noinput", "-v0")
    again = _manage(tmp_path, "shell", "-c", code).stdout.strip().splitlines()[-1]
    assert again == slugs


@pytest.mark.parametrize("fields", STARTER_PRESETS, ids=lambda f: f["slug"])
def test_starter_presets_are_valid(fields):
    """Every starter preset passes the same validation as one typed in the admin."""
    preset = Preset(**fields)
    preset.clean_fields()
    preset.clean()
    assert preset.specs()


@pytest.mark.django_db
def test_bootstrap_creates_the_admin_from_the_environment(monkeypatch):
    """With DJANGO_SUPERUSER_* set, bootstrap makes that admin and shows no password."""
    from io import StringIO

    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "editor-in-chief")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-test-password-1")
    out = StringIO()
    call_command("bootstrap", stdout=out)
    user = User.objects.get(username="editor-in-chief")
    assert user.is_superuser and user.check_password("a-long-test-password-1")
    assert "a-long-test-password-1" not in out.getvalue()
    assert Preset.objects.count() == len(STARTER_PRESETS)


@pytest.mark.django_db
def test_bootstrap_generates_a_password_once(monkeypatch):
    """Without the variables, bootstrap prints a generated password, and only once."""
    from io import StringIO

    monkeypatch.delenv("DJANGO_SUPERUSER_USERNAME", raising=False)
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    first, second = StringIO(), StringIO()
    call_command("bootstrap", stdout=first)
    call_command("bootstrap", stdout=second)
    password = first.getvalue().split("password '")[1].split("'")[0]
    assert User.objects.get(username="admin").check_password(password)
    assert password not in second.getvalue()
    assert "python manage.py changepassword admin" in second.getvalue()
    assert User.objects.count() == 1
