"""A manager opens the dashboard, reads a chart and its table, and follows a drill-down."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from services import reporting
from services.db import db
from tests import journeys as j
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_a_manager_reads_the_dashboard_and_drills_down(app, live_server, page: Page):
    with app.app_context():
        closed = j.to_survey("minor")
        waiting = j.to_classification()
        references = {closed.reference, waiting.reference}
        reporting.refresh()
        db.session.commit()
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )

    login(page, live_server, "manager")
    page.locator("nav.mainnav a[href='/dashboard']").click()
    expect(page.locator("h1")).to_have_text("Dashboard")
    canvas = page.locator("#chart-volumes")
    expect(canvas).to_be_visible()
    expect(canvas).to_have_attribute("data-drawn", "true")  # Chart.js drew it
    table = page.locator("#table-volumes")
    expect(table.locator("caption")).to_have_text("Complaints received, closed and open")
    expect(page.locator("#table-channels")).to_contain_text("Web form")
    screenshot(page, "dashboard")
    assert not [text for text in errors if "Content Security Policy" in text], errors

    page.locator("#table-channels a", has_text="2").click()
    expect(page.locator("h1")).to_contain_text("Channel mix: Web form")
    listed = page.locator("#drilldown tbody")
    for reference in references:
        expect(listed).to_contain_text(reference)


def test_a_manager_reads_the_complaints_received_by_category_and_department(
    app, live_server, page: Page
):
    with app.app_context():
        closed = j.to_survey("minor")
        waiting = j.to_classification(department="Billing")
        reporting.refresh()
        db.session.commit()
        expected = closed.reference
        other = waiting.reference
    login(page, live_server, "manager", then=None)
    page.goto(f"{live_server}/dashboard")
    for name in ("categories", "departments"):
        expect(page.locator(f"#chart-{name}")).to_have_attribute("data-drawn", "true")
    categories = page.locator("#table-categories")
    expect(categories.locator("caption")).to_have_text("Complaints received by category")
    expect(categories.locator("tr", has_text="Product quality").locator("td")).to_have_text("1")
    expect(categories.locator("tr", has_text="Not recorded").locator("td")).to_have_text("1")
    departments = page.locator("#table-departments")
    expect(departments.locator("tr", has_text="Billing").locator("td")).to_have_text("1")
    departments.locator("tr", has_text="Customer service").locator("a").click()
    expect(page.locator("h1")).to_contain_text(
        "Complaints received by department: Customer service"
    )
    listed = page.locator("#drilldown tbody")
    expect(listed).to_contain_text(expected)
    expect(listed).not_to_contain_text(other)
