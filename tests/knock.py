"""One knock at a door: a persona, through the admin or the API, at an object."""

import json
import uuid
from types import SimpleNamespace

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.doors import store_upload
from tests.personas import PERSONAS, PUBLISHABLE_ORIGIN, picture
from transcoder.storage import keys


class Ctx:
    """One knock: a persona, through a door, at collection ``target``'s object."""

    def __init__(self, world, persona, target, door, callbacks, csrf=False):
        self.world, self.persona, self.target, self.door = world, persona, target, door
        self._callbacks = callbacks
        p = PERSONAS[persona]
        self.api_token = world.tokens.get(p.token) if p.token else None
        self.user = world.users.get(p.session) if p.session else None
        if self.user is None and self.api_token is not None:
            creator = self.api_token.created_by
            self.user = creator if creator is not None and creator.pk else None
        self.client = Client(enforce_csrf_checks=csrf)
        self.headers = {}
        self.publishable = None
        if p.publishable and door == "api":
            self.publishable = world.publishable[p.publishable].key
            self.headers["Origin"] = PUBLISHABLE_ORIGIN
        elif p.token and (door == "api" or not p.session):
            self.headers["Authorization"] = f"Bearer {world.keys[p.token]}"
        elif p.session:
            name = settings.SESSION_COOKIE_NAME
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
        # A page presents its key in the query; the upload widget's calls
        # carry the widget's own upload key instead.
        if self.publishable and not path.startswith("/api/widget/"):
            path += f"{'&' if '?' in path else '?'}key={self.publishable}"
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
        key = keys.upload_key_mint(user=owner, collection=self.coll)
        return store_upload(key, self.seed(45))

    def raw(self, response):
        if not hasattr(response, "_door_raw"):
            if response.streaming:
                response._door_raw = b"".join(response.streaming_content)
            else:
                response._door_raw = response.content
        return response._door_raw

    def body(self, response):
        return self.raw(response).decode("latin-1")
