"""At 390 px (a phone): no page scrolls sideways (the dashboard's charts included), and the
staff header keeps the language switch, the user's name and Sign out in view."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from services import complaints, reporting
from services.db import db
from tests import journeys
from tests.browser.conftest import assert_accessible, login, logout, screenshot

WIDTH = 390


PHONE = {"viewport": {"width": WIDTH, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture(params=["en-GB", "fr-FR"])
def phone(request: pytest.FixtureRequest, open_page) -> Page:
    """A phone-sized page, in English and in French (longer words)."""
    return open_page(locale=request.param, **PHONE)


def _assert_fits(page: Page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > WIDTH:
        screenshot(page, f"mobile-{name}")
    assert width <= WIDTH, f"{name}: the page is {width} px wide at {WIDTH} px"


def _assert_in_view(page: Page, selector: str) -> None:
    element = page.locator(selector).first
    assert element.is_visible(), selector
    box = element.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, selector


def test_public_form_and_tracking_page_fit_a_phone(app, live_server, phone):
    with app.app_context():
        filed = complaints.file_complaint(journeys.INTAKE)
        db.session.commit()
        token = filed.tracking_token
    phone.goto(f"{live_server}/complaints/new")
    _assert_fits(phone, "public-form")
    phone.select_option("select[name=preferred_contact]", "email")
    _assert_fits(phone, "public-form-contact")
    for name in ("email", "phone", "complainant_name"):
        field = phone.locator(f"input[name={name}]")
        if field.is_visible():
            box = field.bounding_box()
            assert box is not None and box["x"] + box["width"] <= WIDTH, name
    phone.goto(f"{live_server}/track/{token}")
    _assert_fits(phone, "tracking")


def test_staff_pages_fit_a_phone_and_keep_the_header_items(app, live_server, phone):
    with app.app_context():
        complaint = journeys.to_classification()
        task_id = journeys.open_task(complaint, "classify_complaint").id
        complaint_id = complaint.id
    login(phone, live_server, "supervisor")
    for name, path in (
        ("inbox", "/inbox"),
        ("complaints", "/complaints"),
        ("task", f"/tasks/{task_id}"),
        ("case", f"/complaints/{complaint_id}"),
    ):
        phone.goto(f"{live_server}{path}")
        _assert_fits(phone, name)
        _assert_in_view(phone, ".topbar-right form[action*='/lang/'] button")
        _assert_in_view(phone, ".topbar-right .who")
        _assert_in_view(phone, "form[action$='/auth/logout'] button")
    # The menu opens and its links are reachable.
    toggle = phone.locator(".nav-toggle")
    if toggle.is_visible():
        toggle.click()
    _assert_in_view(phone, ".mainnav a[href='/complaints']")


def test_the_dashboard_fits_a_phone(app, live_server, phone):
    with app.app_context():
        journeys.to_survey("minor")
        journeys.to_classification()
        reporting.refresh()
        db.session.commit()
    login(phone, live_server, "manager", then=None)
    phone.goto(f"{live_server}/dashboard")
    for name in ("volumes", "backlog_by_age", "service_levels"):
        card = phone.locator(f"#{name}.chart-card")
        expect(card.locator("canvas")).to_have_attribute("data-drawn", "true")  # Chart.js drew it
        _assert_in_view(phone, f"#{name}.chart-card")
    _assert_fits(phone, "dashboard")


# Words of the elements matched whose letters the browser split over two lines.
SPLIT_WORDS = """(selector) => {
  const split = [];
  for (const element of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.textContent.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (tops.size > 1) split.push(match[0]);
      }
    }
  }
  return split;
}"""


def test_the_inbox_tabs_keep_their_words_whole_on_a_phone(live_server, open_page):
    """In French at 390 px the scopes read "Attribu/ées à moi", "Mon équip/e": the tabs shrank
    and their words broke anywhere."""
    phone = open_page(locale="fr-FR", **PHONE)
    login(phone, live_server, "manager", then="/inbox")
    expect(phone.locator("nav.tabs a")).to_have_count(4)
    assert phone.evaluate(SPLIT_WORDS, "nav.tabs a") == []
    for tab in phone.locator("nav.tabs a").all():
        box = tab.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH
    _assert_fits(phone, "inbox-tabs")


def test_a_cases_tables_keep_their_words_whole_on_a_phone(app, live_server, phone):
    """The case page's open tasks and service levels read "Ass/ign/ee", "No/bod/y",
    "Rea/ssi/gn": their cells broke words anywhere to squeeze into 390 px. The card scrolls
    a table wider than the screen instead, and the page itself still does not."""
    with app.app_context():
        complaint_id = journeys.to_classification().id
    login(phone, live_server, "manager", then=None)
    phone.goto(f"{live_server}/complaints/{complaint_id}")
    expect(phone.locator("main table").first).to_be_visible()
    split = phone.evaluate(SPLIT_WORDS, "main table")
    assert [word for word in split if word.isalpha()] == []  # a date may break at its hyphen
    _assert_fits(phone, "case-tables")
    # Wide tables with visually hidden labels in their rows scroll inside their card too.
    logout(phone)
    login(phone, live_server, "admin", then=None)
    phone.goto(f"{live_server}/admin/roles")
    expect(phone.locator("main table .visually-hidden").first).to_be_attached()
    _assert_fits(phone, "admin-roles-tables")


# The width of each checkbox and radio button the page shows.
TICK_BOXES = """() => [...document.querySelectorAll(
    "main input[type=checkbox], main input[type=radio]")]
  .filter((box) => box.offsetParent !== null)
  .map((box) => ({name: box.id || box.name, width: box.getBoundingClientRect().width}))"""


def _assert_tick_boxes_keep_their_size(page: Page, name: str) -> None:
    boxes = page.evaluate(TICK_BOXES)
    assert boxes, name
    wide = [box for box in boxes if box["width"] > 24]  # 13 px as drawn on a desktop
    if wide:
        screenshot(page, f"mobile-tick-boxes-{name}")
    assert wide == [], f"{name}: {wide}"


def test_checkboxes_and_radio_buttons_keep_their_size_on_a_phone(app, live_server, phone):
    """At 390 px a checkbox took half the line (184 px for "I confirm that this information is
    correct") and squeezed its label into the other half: phones stretched every input of a
    form field to the full width, boxes and round buttons included."""
    with app.app_context():
        complaint = journeys.to_minor_resolution()
        task_id = journeys.open_task(complaint, "resolve_minor").id
    phone.goto(f"{live_server}/complaints/new")
    _assert_tick_boxes_keep_their_size(phone, "public-form")
    login(phone, live_server, "supervisor", then=None)
    phone.goto(f"{live_server}/tasks/{task_id}")
    expect(phone.locator("input[name=remedies]").first).to_be_visible()
    _assert_tick_boxes_keep_their_size(phone, "minor-resolution")


def test_a_card_that_scrolls_sideways_on_a_phone_is_reached_by_the_keyboard(
    app, live_server, open_page
):
    """The case page's service levels scroll inside their card at 390 px, but nothing in a
    table of dates takes the focus: keyboard users could not scroll it (axe-core's
    scrollable-region-focusable)."""
    with app.app_context():
        complaint_id = journeys.to_classification().id
    page = open_page(locale="fr-FR", viewport={"width": WIDTH, "height": 844}, axe=True)
    login(page, live_server, "manager", then=None)
    page.goto(f"{live_server}/complaints/{complaint_id}")
    card = page.locator("#service-levels")
    assert card.evaluate("(box) => box.scrollWidth > box.clientWidth")
    expect(card).to_have_attribute("tabindex", "0")
    expect(page.get_by_role("region", name="Niveaux de service")).to_be_visible()
    card.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelector('#service-levels').scrollLeft > 0")
    assert_accessible(page)
    # Wide enough, nothing scrolls and nothing extra is in the tab order.
    page.set_viewport_size({"width": 1366, "height": 900})
    expect(card).not_to_have_attribute("tabindex", "0")
    expect(card).not_to_have_attribute("role", "region")
