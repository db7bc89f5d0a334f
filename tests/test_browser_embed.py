"""A site on another origin embeds images in Chromium: cache reuse, AVIF, site keys.

The site is a plain page served from 127.0.0.1 by a small HTTP server; mediahub
is live_server on localhost, so every image request is cross-origin. (Playwright's
page.route would disable the HTTP cache, so the page is served for real.)
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from transcoder import services
from transcoder.models import Preset, SiteKey
from transcoder.services.access import sitekeys

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site():
    """Serve ``site.html`` (set by the test) from http://127.0.0.1:<port>/."""

    class Handler(BaseHTTPRequestHandler):
        html = b""

        def do_GET(self):  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(Handler.html)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.handler = Handler
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def server_clock(monkeypatch):
    """Pin the clock mediahub signs and checks URLs with; the test moves it.

    live_server runs in this process, so its views read the same clock.
    """
    from transcoder.delivery import serving

    clock = SimpleNamespace(now=1_800_000_000 + 10.0)  # early in a signing window
    monkeypatch.setattr(serving, "clock", lambda: clock.now)
    return clock


@pytest.fixture
def hero(presets, jpeg):
    services.preset_save(
        preset=Preset(
            slug="hero",
            name="Hero",
            fit="contain",
            widths=[160, 320],
            formats=["avif", "webp", "jpeg"],
        )
    )
    return services.asset_create(content=jpeg, filename="a.jpg", alt_text="A cat")


def _record(page):
    """Record image responses of the page through CDP: URL, type, from cache."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    seen = {"responses": [], "served_from_cache": set(), "requests": [], "sent": {}}

    def on_request(event):
        seen["requests"].append({**event["request"], "id": event["requestId"]})

    def on_response(event):
        response = event["response"]
        seen["responses"].append(
            {
                "url": response["url"],
                "status": response["status"],
                "mime": response["mimeType"],
                "from_cache": response.get("fromDiskCache", False)
                or response.get("fromPrefetchCache", False),
                "type": event.get("type"),
                "id": event["requestId"],
            }
        )

    cdp.on("Network.requestWillBeSent", on_request)
    # The headers Chromium really sent (Accept is added below the page's view).
    cdp.on(
        "Network.requestWillBeSentExtraInfo",
        lambda e: seen["sent"].__setitem__(
            e["requestId"], {k.lower(): v for k, v in e["headers"].items()}
        ),
    )
    cdp.on("Network.responseReceived", on_response)
    cdp.on(
        "Network.requestServedFromCache",
        lambda e: seen["served_from_cache"].add(e["requestId"]),
    )
    return seen


def _load(page, url, seen):
    for value in seen.values():
        value.clear()
    page.goto(url)
    page.wait_for_function(
        "[...document.images].every(i => i.complete && i.naturalWidth > 0)"
    )
    return {
        r["url"]: r
        for r in seen["responses"]
        if r["type"] == "Image" and "/media/" in r["url"]
    }


def test_second_page_load_takes_images_from_the_browser_cache(
    page, live_server, site, hero, server_clock
):
    """Two loads of a page on another origin: the same signed URLs, the second
    time from the browser's cache; Chromium's Accept gets AVIF; a site key with
    no-cache redirects still lands on the cached image."""
    key = sitekeys.site_key_issue(
        site_key=SiteKey(name="Site", allowed_origins=site.url)
    )
    embed = f"{live_server.url}/e/{hero.pk}/hero/"
    site.handler.html = (
        f'<!doctype html><img id="anon" src="{embed}?w=150">'
        f'<img id="keyed" src="{embed}?w=300&key={key.key}">'
    ).encode()
    seen = _record(page)
    first = _load(page, f"{site.url}/", seen)
    assert len(first) == 2, seen["responses"]
    assert all(r["mime"] == "image/avif" and r["status"] == 200 for r in first.values())
    assert not any(r["from_cache"] for r in first.values())
    embed_ids = [r["id"] for r in seen["requests"] if "/e/" in r["url"]]
    accepts = [seen["sent"].get(i, {}).get("accept", "") for i in embed_ids]
    assert accepts and all("image/avif" in a for a in accepts), accepts

    server_clock.now += 2  # a per-second expiry would now give other URLs
    second = _load(page, f"{site.url}/", seen)
    assert set(second) == set(first), "the signed URLs changed between loads"
    # From the HTTP (disk) cache, or the whole redirect chain from memory.
    cached = {
        u
        for u, r in second.items()
        if r["from_cache"] or r["id"] in seen["served_from_cache"]
    }
    assert cached == set(first), second
    # The keyed link's redirect is checked again each load (no-cache) ...
    keyed = [r for r in seen["requests"] if "key=" in r["url"]]
    assert keyed, "the keyed embed link was not requested again"
    key.refresh_from_db()
    assert key.request_count == 2

    # ... so revoking it stops it at once, while the anonymous image still shows.
    sitekeys.site_key_revoke(site_key=key)
    page.goto(f"{site.url}/")
    page.wait_for_load_state("load")
    widths = page.evaluate(
        "[...document.images].map(i => [i.id, i.complete, i.naturalWidth])"
    )
    assert dict((i, w) for i, _, w in widths) == {"anon": 160, "keyed": 0}
