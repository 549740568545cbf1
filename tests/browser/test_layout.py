"""On a desktop screen (1280 px, and 1024 px for the header) no page scrolls sideways: the
inbox's dozen columns fit in French, the top bar of the role with the most links keeps Sign out
in view, and a message template's preview wraps its long lines."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, expect

from tests import journeys as j
from tests.browser.conftest import SIGN_OUT, login, screenshot

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")
FILED = datetime(2026, 12, 7, 10, tzinfo=PARIS)  # Monday: acknowledge by Wednesday 17:30
# Wednesday evening: late since the close of business, "en retard depuis le 2026-12-09 17:30".
EVENING = datetime(2026, 12, 9, 20, tzinfo=PARIS)


def _french(open_page, width: int) -> Page:
    """A French browser `width` px wide (French words are the longer)."""
    return open_page(locale="fr-FR", viewport={"width": width, "height": 900})


@pytest.fixture
def french_1280(open_page) -> Page:
    """A French browser 1280 px wide."""
    return _french(open_page, 1280)


def _assert_fits(page: Page, name: str) -> None:
    """The page does not scroll sideways."""
    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width > viewport:
        screenshot(page, f"layout-{name}")
    assert width <= viewport, f"{name}: the page is {width} px wide in a {viewport} px window"


def _assert_in_view(page: Page, selector: str, name: str) -> None:
    """The element is shown whole, inside the window's width."""
    element = page.locator(selector).first
    expect(element).to_be_visible()
    box = element.bounding_box()
    viewport = page.evaluate("window.innerWidth")
    assert box is not None
    if box["x"] < 0 or box["x"] + box["width"] > viewport:
        screenshot(page, f"layout-{name}")
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport, (
        f"{name}: {selector} spans {box['x']:.0f}-{box['x'] + box['width']:.0f} px "
        f"in a {viewport} px window"
    )


def test_the_intake_agents_inbox_fits_1280_px_in_french(app, live_server, french_1280):
    with app.app_context():
        with time_machine.travel(FILED, tick=False):
            late = j.file()
            j.file(complainant_name="Oluwaseun Adeyemi")
        reference = late.reference
    with time_machine.travel(EVENING, tick=True):
        login(french_1280, live_server, "agent", then=None)
        french_1280.goto(f"{live_server}/inbox")
        row = french_1280.locator("tr", has_text=reference)
        expect(row).to_contain_text("en retard depuis le")
        _assert_fits(french_1280, "inbox-agent-fr")
        # Every column shows, the last one ("Attribuée à") and the time late too.
        _assert_in_view(french_1280, "table.task-table thead th:last-child", "inbox-assignee")
        _assert_in_view(french_1280, f"tr:has-text('{reference}') .clock-time", "inbox-late")


@pytest.mark.parametrize("width", [1280, 1024])
def test_the_managers_top_bar_keeps_sign_out_in_view_in_french(
    app, live_server, open_page, width: int
):
    with app.app_context():
        j.to_classification()
    page = _french(open_page, width)
    login(page, live_server, "manager")
    # The manager has the most links of any role.
    assert page.locator("nav.mainnav a").count() >= 10
    for path in ("/inbox", "/dashboard", "/service-levels", "/account"):
        page.goto(f"{live_server}{path}")
        name = f"manager-fr-{width}{path.replace('/', '-')}"
        _assert_in_view(page, SIGN_OUT, name)
        _assert_in_view(page, ".topbar-right form[action*='/lang/'] button", name)
        _assert_in_view(page, "nav.mainnav a[href='/account']", name)
        _assert_fits(page, name)
    page.click(SIGN_OUT)
    expect(page.locator(SIGN_OUT)).to_have_count(0)


def test_a_message_templates_preview_wraps_at_1280_px(app, live_server, french_1280):
    login(french_1280, live_server, "admin", then=None)
    french_1280.goto(f"{live_server}/admin/templates/delay_letter/fr")
    preview = french_1280.locator("pre.preview-text")
    expect(preview).to_be_visible()
    _assert_fits(french_1280, "template-preview")
    _assert_in_view(french_1280, "pre.preview-text", "template-preview-text")


def test_keyboard_users_skip_the_top_bar(live_server, french_1280) -> None:
    page = french_1280
    login(page, live_server, "manager", then=None)
    page.goto(f"{live_server}/inbox")
    page.keyboard.press("Tab")  # the first stop on the page
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("Aller au contenu")
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0  # shown while it has the focus
    page.keyboard.press("Enter")
    expect(page.locator("main#content")).to_be_focused()
