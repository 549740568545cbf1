"""Browser fixtures: the app on a live local server, driven by Debian's Chromium via Playwright."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Dialog, Locator, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError
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


DESKTOP = {"width": 1366, "height": 900}
OpenPage = Callable[..., Page]


class Pages:
    """Browser contexts kept from one test to the worker's next.

    A context and its first page cost Chromium about a third of a second of CPU to make (a
    renderer process) and more to close: opened afresh for each person of each test, that
    was 8% of the suite's time. A kept page goes back to about:blank without its
    cookies, its origin's storage or any other page of its context; each test serves the app
    on a port of its own, so nothing a page cached is reached again. A test that leaves what
    cannot be taken back (listeners, init scripts, routes) asks for a fresh context, which is
    closed after it.
    """

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.idle: dict[str, list[Page]] = {}

    @staticmethod
    def _kind(options: dict[str, Any]) -> str:
        """Pages are kept by the options of their context."""
        return repr(sorted(options.items()))

    def take(self, options: dict[str, Any], fresh: bool) -> Page:
        kept = self.idle.get(self._kind(options), [])
        if kept and not fresh:
            return kept.pop()
        page = self.browser.new_context(**options).new_page()
        page.set_default_timeout(15_000)
        return page

    def give_back(self, page: Page, options: dict[str, Any]) -> None:
        context = page.context
        try:
            for other in context.pages:
                if other is not page:
                    other.close()
            if page.url.startswith("http"):
                page.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")
            # A page with unsaved work (the editor) asks before it is left: it is left.
            page.on("dialog", _leave)
            page.goto("about:blank", timeout=5_000)
            page.remove_listener("dialog", _leave)
            context.clear_cookies()
            page.emulate_media(media="null")  # a print preview ends with its test
            if page.viewport_size != options.get("viewport"):
                page.set_viewport_size(options["viewport"])
        except PlaywrightError:  # a page left mid-navigation or closed: not kept
            context.close()
            return
        self.idle.setdefault(self._kind(options), []).append(page)


def _leave(dialog: Dialog) -> None:
    dialog.accept()


@pytest.fixture(scope="session")
def kept_pages(browser: Browser) -> Pages:
    """The worker's kept browser contexts."""
    return Pages(browser)


@pytest.fixture
def open_page(kept_pages: Pages, live_server: str) -> Iterator[OpenPage]:
    """Opens a page in a browser context of its own (own cookies), signed in as `username`
    when given (on no page yet: the test opens the first). `axe=True` lets the test inject
    axe-core past the site's policy; `fresh=True` gives a context no other test used or
    will use; other options are Playwright's."""
    taken: list[tuple[Page, dict[str, Any], bool]] = []

    def open_(
        username: str | None = None,
        locale: str = "en-GB",
        *,
        viewport: dict[str, int] = DESKTOP,
        axe: bool = False,
        fresh: bool = False,
        **options: Any,
    ) -> Page:
        options = {"locale": locale, "viewport": viewport, "bypass_csp": axe, **options}
        page = kept_pages.take(options, fresh)
        taken.append((page, options, fresh))
        if username:
            login(page, live_server, username, then=None)
        return page

    yield open_
    for page, options, fresh in taken:
        if fresh:
            page.context.close()
        else:
            kept_pages.give_back(page, options)


@pytest.fixture
def page(open_page: OpenPage) -> Page:
    """A page of its own (own cookies), English by default."""
    return open_page()


SIGN_OUT = "form[action$='/auth/logout'] button"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def login(page: Page, base_url: str, username: str, then: str | None = "/") -> None:
    """Sign in a demo user as the sign-in form does (its POST, with the page's CSRF token,
    from the page's own context, whose cookies it sets), then open `then` (None: stay).
    Rendering the sign-in page for every person of every test was half a second of
    Chromium's CPU each time; `login_with_form` drives the form itself."""
    asked = page.request.get(f"{base_url}/auth/login")
    token = CSRF_META.search(asked.text())
    assert token, asked.text()
    answer = page.request.post(
        f"{base_url}/auth/login",
        form={"csrf_token": token[1], "username": username, "password": DEMO_PASSWORD},
        max_redirects=0,
    )
    assert answer.status == 302, f"{username} not signed in: {answer.status} {answer.text()}"
    if then is not None:
        page.goto(f"{base_url}{then}")
        expect(page.locator(SIGN_OUT)).to_be_visible()


def login_with_form(page: Page, base_url: str, username: str) -> None:
    """Sign in a demo user through the sign-in form."""
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


def screenshot(target: Page | Locator, name: str) -> None:
    """With TEST_SCREENSHOTS=1, save a screenshot of a whole page or of one element under
    test-artifacts/screenshots/, to see what the journeys saw. Off by default: each cost
    Chromium about 0.4 s of CPU, a twentieth of the browser tests' time, for files no test
    reads."""
    if not os.environ.get("TEST_SCREENSHOTS"):
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = str(ARTIFACTS / f"{name}.png")
    if isinstance(target, Locator):
        target.screenshot(path=path)
        return
    # A journey holds several people's pages at once; Chromium captures only the page in
    # front ("Unable to capture screenshot" for one behind, now and then).
    target.bring_to_front()
    target.screenshot(path=path, full_page=True)


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
