"""The library and personas of the door table, and one knock at a door.

``door_world`` is built once per module inside a transaction that is rolled
back at its end; every test runs in a savepoint of it (pytest-django's own),
with its own copy of the files (``door_files``). A module using it overrides
``media_root`` with ``door_files``.
"""

import json
import shutil
import uuid
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, TestCase, override_settings

from tests.doors import store_upload
from tests.personas import PERSONAS, build_world, picture
from transcoder import keys


@pytest.fixture(scope="module")
def door_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Build the library once, inside a transaction rolled back at the end.

    Each test runs in a savepoint of it (pytest-django's own), so what a test
    changes is gone for the next one; the files are copied per test.
    """
    from mediahub.storages import local_storages

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


class Ctx:
    """One knock: a persona, through a door, at collection ``target``'s object."""

    def __init__(self, world, persona, target, door, callbacks, csrf=False):
        self.world, self.persona, self.target, self.door = world, persona, target, door
        self._callbacks = callbacks
        p = PERSONAS[persona]
        self.api_token = world.tokens.get(p.token) if p.token else None
        self.user = world.users.get(p.session) if p.session else None
        if self.user is None and self.api_token is not None:
            self.user = self.api_token.created_by
        self.client = Client(enforce_csrf_checks=csrf)
        self.headers = {}
        if p.token and (door == "api" or not p.session):
            self.headers["Authorization"] = f"Bearer {world.keys[p.token]}"
        elif p.session:
            name = _settings().SESSION_COOKIE_NAME
            self.client.cookies[name] = world.sessions[p.session].value
        self.prepared = {}
        if target in ("A", "B"):
            self.asset, self.coll = world.asset[target], world.coll[target]
            self.job = world.job[target]
            version = self.asset.versions.get()
            self.version_id, self.version_hash = version.pk, version.content_hash
            self.target_token = world.tokens["write_a" if target == "A" else "ed_b"]
        elif target == "missing":
            self.asset = SimpleNamespace(pk=uuid.uuid4(), original="")
            self.coll = SimpleNamespace(pk=987654)
            self.job = SimpleNamespace(pk=uuid.uuid4())
            self.version_id = 987654
            self.target_token = SimpleNamespace(pk=987654)

    def _run(self, method, path, data=None, **kw):
        with self._callbacks(execute=True):
            send = getattr(self.client, method)
            if data is None:
                return send(path, headers=self.headers, **kw)
            return send(path, data, headers=self.headers, **kw)

    def get(self, path):
        return self._run("get", path)

    def post(self, path, data=None):
        return self._run("post", path, data or {})

    def send(self, method, path, body=None):
        if body is None:
            return self._run(method, path)
        return self._run(
            method, path, json.dumps(body), content_type="application/json"
        )

    def put_bytes(self, path):
        return self._run(
            "put", path, picture(self.seed(43)), content_type="application/octet-stream"
        )

    def seed(self, n):
        """Return an image seed of its own for this target: no duplicates."""
        return n + {"A": 0, "B": 100}.get(self.target, 200)

    def upload_file(self):
        return SimpleUploadedFile("door-upload.jpg", picture(self.seed(44)))

    def uploaded_key(self):
        owner = self.user if self.user is not None else self.world.users["ed_a"]
        return store_upload(keys.upload_key_mint(user=owner), self.seed(45))

    def raw(self, response):
        if not hasattr(response, "_door_raw"):
            if response.streaming:
                response._door_raw = b"".join(response.streaming_content)
            else:
                response._door_raw = response.content
        return response._door_raw

    def body(self, response):
        return self.raw(response).decode("latin-1")
