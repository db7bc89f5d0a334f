"""The library and personas of the door table, and one knock at a door.

``door_world`` is built once per module inside a transaction that is rolled
back at its end; every test runs in a savepoint of it (pytest-django's own),
with its own copy of the files (``door_files``). A module using it overrides
``media_root`` with ``door_files``; tests/knock.py knocks.
"""

import shutil
import uuid

import pytest
from django.db import transaction
from django.test import Client, TestCase, override_settings


@pytest.fixture(scope="module")
def door_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Build the library once, inside a transaction rolled back at the end.

    Each test runs in a savepoint of it (pytest-django's own), so what a test
    changes is gone for the next one; the files are copied per test.
    """
    from mediahub.storages import local_storages
    from tests.personas import build_world

    files = tmp_path_factory.mktemp("door-world") / "media"
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with override_settings(
                STORAGES={**_settings().STORAGES, **local_storages(files)},
                MEDIAHUB_MEDIA_ROOT=files,
            ):
                with TestCase.captureOnCommitCallbacks(execute=True):
                    w = build_world()
            w.files = files
            # One login per user for the module: each test's savepoint keeps
            # a logout from reaching the next test.
            w.sessions = {}
            for name, user in w.users.items():
                client = Client()
                client.force_login(user)
                w.sessions[name] = client.cookies[_settings().SESSION_COOKIE_NAME]
            yield w
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(scope="module")
def door_bucket(moto_endpoint):
    """One bucket on moto for the presign and finalize doors of this module."""
    import boto3

    from tests.fixtures_s3 import REGION

    bucket = f"doors-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name=REGION)
    client.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return {
        "MEDIAHUB_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": moto_endpoint,
        "AWS_S3_REGION_NAME": REGION,
    }


def _settings():
    from django.conf import settings

    return settings


@pytest.fixture
def door_files(door_world, tmp_path, settings):
    """This test's copy of the library's files, as its storage."""
    from mediahub.storages import local_storages

    root = tmp_path / "media"
    shutil.copytree(door_world.files, root)
    settings.STORAGES = {**settings.STORAGES, **local_storages(root)}
    settings.MEDIAHUB_MEDIA_ROOT = root
    return root
