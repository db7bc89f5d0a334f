"""Chromium through Playwright, against pytest-django's live_server."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("MEDIAHUB_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
# Screenshots taken on the way go to var/ and leave the checkout clean; the
# README's and the guides' pictures are refreshed on purpose with
# MEDIAHUB_SCREENSHOTS_DIR=docs/screenshots make test PYTEST_ARGS="-m browser".
SCREENSHOTS = ROOT / os.environ.get("MEDIAHUB_SCREENSHOTS_DIR", "var/screenshots")


@pytest.fixture(scope="session")
def browser():
    """Launch Debian's headless Chromium once for the session."""
    if not shutil.which(CHROMIUM):
        message = f"No Chromium at {CHROMIUM}: `make install` installs it as root."
        if os.environ.get("CI"):
            # Locally a missing browser skips; in CI it must fail, or the
            # browser tests would pass by never running.
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def admin_page(page, live_server, admin_user):
    """A browser page logged in to the admin as a superuser (password 'password')."""
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", admin_user.username)
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page


def serious_violations(axe, page):
    """Return axe-core's serious and critical findings on ``page``, one line each."""
    results = axe.run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}: {v['nodes'][0]['target']})"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
