"""Shared fixtures: a private media root per test, starter presets, sample images."""

import functools
import os
from pathlib import Path

import pytest

pytest_plugins = [
    "tests.fixtures_s3",
    "tests.fixtures_browser",
    "tests.fixtures_doors",
    "tests.fixtures_library",
    "tests.worker_support",
    "tests.webhook_support",
]

# A developer's own AWS configuration must never leak into the tests.
os.environ["AWS_CONFIG_FILE"] = "/nonexistent/aws-config"
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent/aws-credentials"

SHARED_DIR = Path(
    os.environ.get("MEDIAHUB_SHARED_DIR")
    or Path(__file__).resolve().parents[2] / "shared"
)
TESTDATA = SHARED_DIR / "testdata"
ORIENTATION_PHOTOS = sorted((TESTDATA / "photos" / "orientation").glob("*.jpg"))


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    """Give every test its own local storage so nothing leaks between tests."""
    from mediahub.storages import local_storages

    root = tmp_path / "media"
    if settings.MEDIAHUB_STORAGE == "local":
        settings.STORAGES = {**settings.STORAGES, **local_storages(root)}
        settings.MEDIAHUB_MEDIA_ROOT = root
    return root


@pytest.fixture
def presets(db):
    """Two small presets: a square cover crop in two formats, and a contained card."""
    from transcoder import services
    from transcoder.models import Preset

    return [
        services.preset_save(
            preset=Preset(
                slug="thumb",
                name="Thumb",
                fit="cover",
                width=100,
                height=100,
                formats=["webp", "jpeg"],
            )
        ),
        services.preset_save(
            preset=Preset(
                slug="card",
                name="Card",
                fit="contain",
                width=300,
                height=300,
                formats=["jpeg"],
            )
        ),
    ]


@pytest.fixture
def jpeg():
    from tests.images import make_image

    return make_image("JPEG", size=(640, 480))


@pytest.fixture
def stored_files(media_root):
    """Return a function listing every file under the media root, relative to it."""

    def files():
        if not media_root.exists():
            return []
        return sorted(
            str(p.relative_to(media_root)) for p in media_root.rglob("*") if p.is_file()
        )

    return files


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Build the test database with the migrations as shipped, then empty it.

    Migrations 0002 and 0006 seed the starter presets and the root
    collection, as `migrate` does for a new library (tests/test_bootstrap.py
    checks that on a fresh database). Every test starts from an empty library
    instead, whatever ran before it: a transactional test's flush would
    otherwise remove those rows half-way through the run.
    """
    from transcoder.models import Collection, Preset

    with django_db_blocker.unblock():
        Preset.objects.all().delete()
        Collection.objects.all().delete()


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Return a context manager that runs its block's on_commit callbacks at its end.

    A plain ``django_db`` test runs inside one transaction that never commits,
    so what a service queues with ``transaction.on_commit`` (the renditions of
    a new asset, the files of a deleted one) would never happen. ``with
    commit(): ...`` runs those callbacks where the commit would have, without
    the flush of every table that ``transaction=True`` costs after each test.
    """
    return functools.partial(django_capture_on_commit_callbacks, execute=True)
