"""Cross-origin pixels in Chromium: a page on another origin reads an embedded
image into a canvas only when its origin is allowed.

``<img crossorigin>`` makes Chromium ask for CORS on every answer of the chain,
the embed redirect and the signed /media/ URL it names; without
Access-Control-Allow-Origin the image does not load at all.
"""

import pytest

from tests.test_browser_embed import hero, site  # noqa: F401  (fixtures)
from transcoder.models import SiteKey
from transcoder.services.access import sitekeys

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Loads the image with crossorigin, draws it and reads one pixel back: a
# tainted canvas would throw; a refused CORS check fires onerror.
PAGE = """<!doctype html><canvas id="c" width="8" height="8"></canvas><script>
const img = new Image();
img.crossOrigin = "anonymous";
img.onload = () => {
  const ctx = document.getElementById("c").getContext("2d");
  ctx.drawImage(img, 0, 0, 8, 8);
  try {
    const px = ctx.getImageData(4, 4, 1, 1).data;
    document.title = "read " + px[3];
  } catch (e) { document.title = "tainted"; }
};
img.onerror = () => { document.title = "refused"; };
img.src = %r;
</script>"""


def _outcome(page, site, url):  # noqa: F811
    site.handler.html = (PAGE % url).encode()
    page.goto(f"{site.url}/")
    page.wait_for_function("document.title !== ''")
    return page.title()


def test_a_site_keys_origin_may_read_the_pixels(
    page,
    live_server,
    site,  # noqa: F811
    hero,  # noqa: F811
):
    key = sitekeys.site_key_issue(
        site_key=SiteKey(name="Site", allowed_origins=site.url)
    )
    embed = f"{live_server.url}/e/{hero.pk}/hero/?w=160&key={key.key}"
    assert _outcome(page, site, embed) == "read 255"
    # Another site's key does not lend its origins to this page.
    key.allowed_origins = "https://elsewhere.example"
    key.save()
    other = sitekeys.site_key_issue(
        site_key=SiteKey(name="Other", allowed_origins="https://other.example")
    )
    embed = f"{live_server.url}/e/{hero.pk}/hero/?w=160&key={other.key}"
    assert _outcome(page, site, embed) == "refused"


def test_configured_origins_may_read_the_pixels_without_a_key(
    page,
    live_server,
    site,  # noqa: F811
    hero,  # noqa: F811
    settings,
):
    embed = f"{live_server.url}/e/{hero.pk}/hero/"
    assert _outcome(page, site, f"{embed}?w=150") == "refused"
    settings.CORS_ALLOWED_ORIGINS = [site.url]
    # Another URL: the browser may keep the refused redirect for its max-age.
    assert _outcome(page, site, f"{embed}?w=160") == "read 255"
