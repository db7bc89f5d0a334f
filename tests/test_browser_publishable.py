"""A gallery on another origin reads the API with a publishable key, in Chromium,
through a caching proxy standing in for a CDN; then the key is revoked.

The gallery page is served from 127.0.0.1 by a small HTTP server; mediahub is
live_server on localhost; between them a small caching proxy on its own port
keeps answers as HTTP says (``Cache-Control: public, max-age``, ``Vary:
Origin``, revalidation with ``If-None-Match``). Its clock is the test's, so
"max-age has passed" needs no waiting.
"""

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group, User

from tests.support import grant
from transcoder import services
from transcoder.models import PublishableKey, root_collection
from transcoder.services.access import publishable

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSED_ON = (
    "content-type",
    "content-encoding",
    "cache-control",
    "etag",
    "vary",
    "access-control-allow-origin",
    "access-control-expose-headers",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
)


def _serve(handler):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    return server


def _stop(*servers):
    for server in servers:
        server.shutdown()
        server.server_close()


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass


def caching_proxy(upstream):
    """Start a shared cache in front of ``upstream``; return its server.

    It stores a 200 marked ``public, max-age=N`` whose Vary names at most
    Origin and Accept-Encoding, keyed by path and those two headers; serves
    it while fresh (by ``now``, the test's clock); when stale, asks again
    with If-None-Match, and a 304 freshens what it holds; anything else
    replaces or drops it.
    """
    target = urlsplit(upstream)
    store = {}
    log = []
    clock = {"now": 0.0}

    class Proxy(_Quiet):
        def do_GET(self):  # noqa: N802 - http.server's naming
            origin = self.headers.get("Origin")
            encoding = self.headers.get("Accept-Encoding")
            key = (self.path, origin, encoding)
            entry = store.get(key)
            if entry and clock["now"] - entry["stored"] < entry["max_age"]:
                log.append(("hit", self.path))
                return self._send(entry["status"], entry["headers"], entry["body"])
            headers = {"Origin": origin} if origin else {}
            if encoding:
                headers["Accept-Encoding"] = encoding
            if entry:
                headers["If-None-Match"] = entry["headers"]["etag"]
            connection = http.client.HTTPConnection(target.hostname, target.port)
            connection.request("GET", self.path, headers=headers)
            answer = connection.getresponse()
            body = answer.read()
            kept = {k.lower(): v for k, v in answer.getheaders()}
            kept = {k: v for k, v in kept.items() if k in PASSED_ON}
            connection.close()
            if answer.status == 304 and entry:
                log.append(("revalidated", self.path))
                entry["stored"] = clock["now"]
                entry["headers"].update(kept)
                return self._send(entry["status"], entry["headers"], entry["body"])
            log.append((answer.status, self.path))
            max_age = _max_age(kept)
            if answer.status == 200 and max_age and "etag" in kept:
                store[key] = {
                    "status": 200,
                    "headers": kept,
                    "body": body,
                    "stored": clock["now"],
                    "max_age": max_age,
                }
            else:
                store.pop(key, None)
            return self._send(answer.status, kept, body)

        def _send(self, status, headers, body):
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = _serve(Proxy)
    server.log, server.clock = log, clock
    return server


def _max_age(headers):
    """Return the max-age a shared cache may keep ``headers``' answer, or 0."""
    directives = [
        d.strip() for d in headers.get("cache-control", "").lower().split(",")
    ]
    vary = {v.strip().lower() for v in headers.get("vary", "").split(",") if v.strip()}
    if (
        "public" not in directives
        or "no-store" in directives
        or vary - {"origin", "accept-encoding"}
    ):
        return 0
    for d in directives:
        if d.startswith("max-age="):
            return int(d.split("=", 1)[1])
    return 0


GALLERY = """<!doctype html><title>Gallery</title>
<main id="gallery"></main><p id="status">loading</p>
<script>
fetch(%(api)s).then(async (r) => {
  const data = await r.json();
  const status = document.getElementById("status");
  if (!r.ok) { status.textContent = "refused: " + data.error; return; }
  for (const a of data.results) {
    const img = document.createElement("img");
    img.alt = a.alt;
    img.src = a.renditions.find((x) => x.preset === "card").url;
    document.getElementById("gallery").append(img);
  }
  status.textContent = "shown " + data.results.length;
}).catch((e) => {
  document.getElementById("status").textContent = "failed: " + e.message;
});
</script>"""


def page_server():
    """Serve one page, ``server.page["html"]`` (set by the test), at /."""
    page = {"html": ""}

    class Page(_Quiet):
        def do_GET(self):  # noqa: N802 - http.server's naming
            body = page["html"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

    server = _serve(Page)
    server.page = page
    return server


@pytest.fixture
def library(presets, jpeg):
    """Two images in a site's collection, one in a private one; an editor who
    views both."""
    root = root_collection()
    public = services.collection_create(parent=root, name="Site")
    private = services.collection_create(parent=root, name="Private")
    for name, where in (("one", public), ("two", public), ("secret", private)):
        services.asset_create(
            content=jpeg,
            filename=f"{name}.jpg",
            alt_text=f"Photo {name}",
            collection=where,
            allow_duplicate=True,
        )
    group = Group.objects.create(name="Viewers")
    grant(group, public, "view")
    grant(group, private, "view")
    editor = User.objects.create_user("ed", password="pw", is_staff=True)
    editor.groups.add(group)
    return public, editor


def _visit(browser, url):
    """Open the gallery as a new visitor (an empty browser cache)."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(url)
    page.wait_for_function(
        "!document.getElementById('status').textContent.startsWith('loading')"
    )
    status = page.inner_text("#status")
    if status.startswith("shown"):
        page.wait_for_function(
            "[...document.images].every(i => i.complete && i.naturalWidth > 0)"
        )
    shown = sorted(page.eval_on_selector_all("img", "els => els.map(e => e.alt)"))
    context.close()
    return status, shown


def test_a_gallery_reads_through_a_cache_until_its_key_is_revoked(
    browser, live_server, library
):
    """Visitors share the proxy's copy while it is fresh; a stale copy is
    revalidated (304); a page on another origin is refused; once the key is
    revoked, the cached copy lives at most max-age, then the page is refused."""
    public, editor = library
    proxy = caching_proxy(live_server.url)
    site, evil = page_server(), page_server()
    try:
        key = publishable.publishable_key_issue(
            key=PublishableKey(name="Gallery", allowed_origins=site.url),
            user=editor,
            collections=[public],
        )
        api = f"{proxy.url}/api/assets/?key={key.key}&expand=renditions"
        site.page["html"] = evil.page["html"] = GALLERY % {"api": f'"{api}"'}
        photos = ["Photo one", "Photo two"]

        assert _visit(browser, f"{site.url}/") == ("shown 2", photos)
        assert _visit(browser, f"{site.url}/") == ("shown 2", photos)
        path = urlsplit(api).path + "?" + urlsplit(api).query
        assert proxy.log == [(200, path), ("hit", path)]

        # Another origin: its own cache entry (Vary: Origin), refused upstream,
        # and the browser lets that page read nothing.
        status, shown = _visit(browser, f"{evil.url}/")
        assert status.startswith("failed") and shown == []
        assert proxy.log[-1] == (403, path)

        proxy.clock["now"] += 61  # past max-age: asked again, unchanged
        assert _visit(browser, f"{site.url}/") == ("shown 2", photos)
        assert proxy.log[-1] == ("revalidated", path)

        publishable.publishable_key_revoke(key=key, user=editor)
        # Within max-age the cache still serves the copy it holds ...
        proxy.clock["now"] += 30
        assert _visit(browser, f"{site.url}/") == ("shown 2", photos)
        assert proxy.log[-1] == ("hit", path)
        # ... and once it is stale the revoked key is refused, and the page
        # can read why.
        proxy.clock["now"] += 31
        status, shown = _visit(browser, f"{site.url}/")
        assert shown == [] and "unknown or revoked" in status, status
        assert proxy.log[-1] == (403, path)
        status, shown = _visit(browser, f"{site.url}/")
        assert shown == [] and proxy.log[-1] == (403, path)  # nothing was kept
    finally:
        _stop(proxy, site, evil)
