"""Chromium shows an image's placeholder until the image itself arrives."""

import io
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.template import Context, Template
from PIL import Image

from tests.images import make_image
from transcoder import services
from transcoder.models import Asset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site():
    """Serve ``site.html`` (set by the test) from another origin, for real:
    Chromium lets only a page from a local address load images from
    live_server, and a page made by a Playwright route has none."""

    class Handler(BaseHTTPRequestHandler):
        html = b""

        def do_GET(self):  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(Handler.html)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.handler = Handler
    server.url = f"http://127.0.0.1:{server.server_address[1]}/"
    yield server
    server.shutdown()
    server.server_close()


def _near(a, b, within=24):
    return all(abs(x - y) <= within for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("kind", ["blur", "colour"])
def test_placeholder_shows_while_the_image_is_held_back(
    live_server, presets, site, page, kind
):
    """With the rendition's response held, the <img> box shows the image's
    colour; once it arrives, the image replaces it."""
    # The database fixtures come before the browser's: Playwright's sync API
    # runs an event loop that Django's setup refuses to run under.
    colour = (30, 110, 200)
    asset = services.asset_create(
        content=make_image("JPEG", size=(640, 480), color=colour), filename="a.jpg"
    )
    asset = Asset.objects.get(pk=asset.pk)
    assert asset.thumbhash
    tag = Template(
        '{% load transcoder_tags %}{% rendition asset "card" placeholder=kind %}'
    ).render(Context({"asset": asset, "kind": kind}))
    tag = re.sub(r'src="/', f'src="{live_server.url}/', tag)
    held = []
    page.route("**/media/**", lambda route: held.append(route))
    site.handler.html = (
        f"<!doctype html><body style='margin:0;background:#fff'>{tag}"
    ).encode()
    page.goto(site.url, wait_until="domcontentloaded")
    page.wait_for_function("() => document.querySelector('img') !== null")
    image = page.locator("img")
    assert not image.evaluate("img => img.complete && img.naturalWidth > 0")
    shot = Image.open(io.BytesIO(image.screenshot(timeout=5000))).convert("RGB")
    centre = shot.getpixel((shot.width // 2, shot.height // 2))
    assert _near(centre, colour), centre  # the placeholder, not the white page
    assert held, "the image request was not made"
    for route in held:
        route.continue_()
    page.wait_for_function("() => document.querySelector('img').naturalWidth > 0")
    assert image.evaluate("img => img.naturalWidth") == 300
