"""Settings come from the environment alone; production settings pass check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SECRET = "x" * 20 + "-a-real-looking-secret-key-for-tests-only-0123456789"


def _manage(*args, **env):
    base = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "mediahub.settings",
        "AWS_CONFIG_FILE": "/nonexistent",
        "DJANGO_SECRET_KEY": SECRET,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env=base | env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _check_deploy(tmp_path, **env):
    """Run `check --deploy` as production would: debug off, warnings fail."""
    return _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        MEDIAHUB_VAR_DIR=str(tmp_path),
        **env,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    """DJANGO_DEBUG=0 with a real secret passes `check --deploy` with no issue."""
    proc = _check_deploy(tmp_path, DJANGO_SECRET_KEY=SECRET)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no issues" in proc.stdout


def test_check_deploy_warns_without_cloudfront_key(tmp_path):
    """On S3 without a CloudFront key, check --deploy warns about presigned S3 URLs."""
    proc = _check_deploy(
        tmp_path,
        DJANGO_SECRET_KEY=SECRET,
        MEDIAHUB_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME="media",
        AWS_S3_REGION_NAME="eu-west-1",
    )
    assert proc.returncode != 0
    assert "mediahub.W001" in proc.stdout + proc.stderr


def test_check_deploy_flags_the_dev_secret(tmp_path):
    """Without DJANGO_SECRET_KEY, check --deploy does not pass."""
    proc = _check_deploy(tmp_path, DJANGO_SECRET_KEY="")
    assert proc.returncode != 0
    assert "SECRET_KEY" in proc.stdout + proc.stderr


DEV_KEY = "django-insecure-mediahub-local-development-only"  # noqa: S105


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({"DJANGO_SECRET_KEY": ""}, id="unset"),
        pytest.param({"DJANGO_SECRET_KEY": DEV_KEY}, id="dev-key"),
        pytest.param(
            {"DJANGO_SECRET_KEY": "django-insecure-" + "k" * 40}, id="insecure-prefix"
        ),
        pytest.param({"DJANGO_SECRET_KEY": "", "DJANGO_DEBUG": "0"}, id="debug-0"),
        pytest.param(
            {"DJANGO_SECRET_KEY": "", "MEDIAHUB_PRODUCTION": "0"}, id="not-production"
        ),
    ],
)
def test_debug_off_refuses_to_start_without_a_real_secret(tmp_path, env):
    """With DEBUG off the public dev key is refused, production flag or not."""
    proc = _manage("check", MEDIAHUB_VAR_DIR=str(tmp_path), **env)
    assert proc.returncode != 0
    assert "Set DJANGO_SECRET_KEY: DEBUG is off" in proc.stderr


def test_debug_on_may_use_the_dev_secret(tmp_path):
    """`make run` (DEBUG on) still starts without a secret, on the dev key."""
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    proc = _manage(
        "shell",
        "-c",
        code,
        DJANGO_DEBUG="1",
        DJANGO_SECRET_KEY="",
        MEDIAHUB_VAR_DIR=str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == DEV_KEY


def test_package_target_gives_collectstatic_a_throwaway_secret():
    """`make package` runs collectstatic with DEBUG off and a key made at build time."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\npackage:", 1)[1].split("\n\n", 1)[0]
    assert "collectstatic" in recipe
    assert "DJANGO_SECRET_KEY=$(THROWAWAY_KEY)" in recipe
    assert "THROWAWAY_KEY = $$($(LAMBDA_VENV)/bin/python -c 'import secrets" in makefile


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MEDIAHUB_STORAGE": "ftp"}, "MEDIAHUB_STORAGE must be 'local' or 's3'"),
        ({"MEDIAHUB_STORAGE": "s3"}, "needs AWS_STORAGE_BUCKET_NAME"),
        ({"MEDIAHUB_URL_TTL": "soon"}, "MEDIAHUB_URL_TTL must be a whole number"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG must be true or false"),
    ],
)
def test_bad_environment_is_a_clear_error(tmp_path, env, message):
    """A wrong variable stops the app with a message naming it."""
    proc = _manage("check", MEDIAHUB_VAR_DIR=str(tmp_path), **env)
    assert proc.returncode != 0
    assert message in proc.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("URL_TTL", "120"),
        ("UPLOAD_URL_TTL", "300"),
        ("MAX_UPLOAD_BYTES", "1000"),
        ("MAX_PIXELS", "4000000"),
        ("MAX_FRAMES", "50"),
        ("MAX_ANIMATION_SECONDS", "30"),
        ("MAX_ANIMATION_PIXELS", "1000000"),
        ("MAX_DECODE_SECONDS", "7"),
        ("MAX_ATTEMPTS", "2"),
        ("ANONYMOUS_BODY_BYTES", "1000"),
        ("ERASE_VERSIONS", "True"),
    ],
)
def test_limits_come_from_the_environment(tmp_path, name, value):
    """Each MEDIAHUB_* limit set in the environment is what the app reads."""
    code = f"from transcoder.conf import setting; print(setting({name!r}))"
    proc = _manage(
        "shell",
        "-c",
        code,
        MEDIAHUB_VAR_DIR=str(tmp_path),
        **{f"MEDIAHUB_{name}": value},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == value


def test_limits_default_to_conf_defaults(tmp_path):
    """Without the environment, the app reads the defaults from one place."""
    from transcoder.conf import DEFAULTS

    code = "from transcoder.conf import setting; print(setting('MAX_PIXELS'))"
    proc = _manage("shell", "-c", code, MEDIAHUB_VAR_DIR=str(tmp_path))
    assert proc.stdout.strip().splitlines()[-1] == str(DEFAULTS["MAX_PIXELS"])


def test_every_console_line_prints_once(tmp_path):
    """With DEBUG on (as `make run` runs), a log line of Django's appears once."""
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('django.request').warning('one line please'); "
        "logging.getLogger('transcoder').warning('and one more')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "mediahub.settings",
            "DJANGO_DEBUG": "1",
            "MEDIAHUB_VAR_DIR": str(tmp_path),
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("one line please") == 1
    assert result.stderr.count("and one more") == 1


@pytest.mark.parametrize(("value", "expected"), [("1", "True"), ("", "False")])
def test_a_pooler_in_transaction_mode_turns_named_cursors_off(
    tmp_path, value, expected
):
    """DJANGO_DISABLE_SERVER_SIDE_CURSORS reaches the database settings."""
    code = (
        "from django.conf import settings; "
        "print(settings.DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS'])"
    )
    proc = _manage(
        "shell",
        "-c",
        code,
        MEDIAHUB_VAR_DIR=str(tmp_path),
        DATABASE_URL="postgres://postgres@127.0.0.1:6432/mediahub",
        DJANGO_DISABLE_SERVER_SIDE_CURSORS=value,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == expected
