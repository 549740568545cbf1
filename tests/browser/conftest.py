"""Browser fixtures: the app on a live local server, driven by Debian's Chromium via Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from tests.conftest import DEMO_PASSWORD

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# Without these, Chromium tries to reach Google's hosts on a machine with no network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Browser tests run on SQLite only: the pages are the same on either database."""
    path = tmp_path / "app.sqlite"
    shutil.copy(request.getfixturevalue("sqlite_template"), path)
    yield f"sqlite:///{path}"


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served on a free local port in a background thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # shutdown() waits for the serving loop to look up from its poll: at the default half
    # second, a third of a second of every browser test's teardown.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


# An expectation waits as long as a page action (Playwright's default is 5 s): on a loaded
# machine a validation or a what-if replay of the editor takes longer.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test`, which installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context and page (own cookies), English by default."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


SIGN_OUT = "form[action$='/auth/logout'] button"


def login(page: Page, base_url: str, username: str) -> None:
    """Sign in a demo user through the login form."""
    page.goto(f"{base_url}/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main form:has(input[name=password]) button[type=submit]")
    # Signed in once the header offers to sign out (waiting for the network to idle costs
    # half a second more on every sign-in).
    expect(page.locator(SIGN_OUT)).to_be_visible()


def logout(page: Page) -> None:
    """Sign out with the header button."""
    page.click(SIGN_OUT)
    expect(page.locator(SIGN_OUT)).to_have_count(0)


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screenshots/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    # A journey holds several people's pages at once; Chromium captures only the page in
    # front ("Unable to capture screenshot" for one behind, now and then).
    page.bring_to_front()
    page.screenshot(path=str(path), full_page=True)
    return path


# axe-core (npm, package.json) checks a page against WCAG 2.1 A and AA. The site's policy
# refuses injected scripts, rightly: contexts that run it are opened with bypass_csp=True.
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def assert_accessible(page: Page) -> None:
    """No axe-core violation (WCAG 2.1 A and AA) on the page as it stands."""
    assert AXE.exists(), f"axe-core is missing: {AXE} (npm install)"
    page.add_script_tag(content=AXE.read_text())
    found: list[dict[str, Any]] = page.evaluate(
        """async (tags) => (await axe.run(document, {runOnly: {type: "tag", values: tags}}))
            .violations.map(v => ({id: v.id, help: v.help,
                                   nodes: v.nodes.map(n => n.target.join(" "))}))""",
        WCAG,
    )
    assert found == [], f"{page.url}: {found}"
