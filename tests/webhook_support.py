"""A small webhook receiver on 127.0.0.1 that checks signatures, and a library
of two collections for the webhook and change-feed tests (a pytest plugin)."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.fixtures_library import add_asset
from tests.support import ACTIONS, grant


class Receiver:
    """Record each POST; check its signature as a site would (not with
    mediahub's own code): HMAC-SHA256 of "<t>.<body>" under the secret."""

    def __init__(self):
        self.secret = ""
        self.received = []  # dicts: event, body, payload, verified
        self.statuses = []  # answers to give, in order; then 200

    def handle(self, handler):
        body = handler.rfile.read(int(handler.headers["Content-Length"]))
        header = handler.headers.get("Mediahub-Signature", "")
        fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
        mac = hmac.new(
            self.secret.encode(), f"{fields.get('t')}.".encode() + body, hashlib.sha256
        ).hexdigest()
        self.received.append(
            {
                "event": handler.headers.get("Mediahub-Event"),
                "header": header,
                "body": body,
                "payload": json.loads(body),
                "verified": hmac.compare_digest(mac, fields.get("v1", "")),
            }
        )
        status = self.statuses.pop(0) if self.statuses else 200
        handler.send_response(status)
        handler.send_header("Content-Length", "2")
        handler.end_headers()
        handler.wfile.write(b"ok")

    @property
    def types(self):
        return [r["payload"]["type"] for r in self.received]


@pytest.fixture
def receiver():
    """Start a receiver in a thread; yield it with its ``url``."""
    found = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            found.handle(self)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    found.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    yield found
    server.shutdown()
    server.server_close()


@pytest.fixture
def hooks_world(presets):
    """Collections A and B, an editor of A (who also views nothing else), a
    viewer of B, a superuser, and one asset in each collection."""
    from django.contrib.auth.models import Group, User

    from transcoder import services
    from transcoder.models import root_collection

    root = root_collection()
    a = services.collection_create(parent=root, name="A")
    b = services.collection_create(parent=root, name="B")
    editors = Group.objects.create(name="A editors")
    grant(editors, a, *ACTIONS)
    viewers = Group.objects.create(name="B viewers")
    grant(viewers, b, "view")
    editor = User.objects.create_user("ed-a", password="pw", is_staff=True)
    editor.groups.add(editors)
    viewer = User.objects.create_user("view-b", password="pw", is_staff=True)
    viewer.groups.add(viewers)
    boss = User.objects.create_superuser("boss", password="pw")
    return {
        "A": a,
        "B": b,
        "editor": editor,
        "viewer": viewer,
        "boss": boss,
        "asset_a": add_asset(a, "alpha one", seed=11),
        "asset_b": add_asset(b, "bravo one", seed=12),
    }


def endpoint_for(receiver, user, events=None, collections=None):
    """Subscribe ``receiver`` as ``user``'s endpoint; the receiver learns the secret."""
    from transcoder import services
    from transcoder.models import Event, WebhookEndpoint

    endpoint = services.webhook_endpoint_save(
        endpoint=WebhookEndpoint(url=receiver.url, events=events or Event.values),
        user=user,
        collections=collections,
    )
    receiver.secret = endpoint.secret
    return endpoint
