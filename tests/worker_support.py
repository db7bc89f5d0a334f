"""A real `manage.py db_worker` process against the test database."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from transcoder.management.commands.serve import worker_command

ROOT = Path(__file__).resolve().parents[1]
DB_BACKEND = "django_tasks_db.DatabaseBackend"


def database_url():
    """Return a DATABASE_URL naming the test database this process uses."""
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    if s["ENGINE"].endswith("postgresql"):
        user = s.get("USER") or "postgres"
        auth = f"{user}:{s['PASSWORD']}" if s.get("PASSWORD") else user
        host = s.get("HOST") or "127.0.0.1"
        return f"postgres://{auth}@{host}:{s.get('PORT') or 5432}/{s['NAME']}"
    pytest.skip(f"No worker test for {s['ENGINE']}.")


@pytest.fixture
def db_backend(settings):
    """Queue tasks in the database, as the embedded default does."""
    settings.TASKS = {"default": {"BACKEND": DB_BACKEND}}


@pytest.fixture
def db_worker(db_backend, media_root, tmp_path):
    """Start one worker exactly as `make run` does; stop it after the test."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mediahub.settings",
        "DATABASE_URL": database_url(),
        "MEDIAHUB_MEDIA_ROOT": str(media_root),
        "MEDIAHUB_HTTPS": "0",
        "DJANGO_DEBUG": "0",
    }
    env.pop("MEDIAHUB_TASK_BACKEND", None)
    log = (tmp_path / "worker.log").open("w+")
    proc = subprocess.Popen(
        worker_command(python=sys.executable, manage=str(ROOT / "manage.py")),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    proc.log = log
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


def wait_for(predicate, timeout=60, what="the worker"):
    """Poll ``predicate`` until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"Timed out waiting for {what}.")
