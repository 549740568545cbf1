"""A manager finds two look-alike complaints, marks their cluster as a systemic issue, opens
an improvement action from it and finds it in the list of actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from services import business_calendar
from tests import journeys as j
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_a_manager_marks_a_cluster_systemic_and_opens_an_action(app, live_server, page: Page):
    with app.app_context():
        first, second = j.file(), j.file()
        references = (first.reference, second.reference)
        due = (business_calendar.local_today() + timedelta(days=14)).isoformat()

    login(page, live_server, "manager")
    page.locator("nav.mainnav a[href='/improvement']").click()
    expect(page.locator("h1")).to_have_text("Recurring problems and improvement")
    row = page.locator("#look-alikes tr[data-kind='contact']")
    for reference in references:
        expect(row).to_contain_text(reference)
    screenshot(page, "improvement-index")
    row.locator("td:nth-child(2) a").click()

    expect(page.locator("h1")).to_contain_text("aminata@example.org")
    page.get_by_label("Title").fill("Repeat complaints about the WM-300")
    page.get_by_label("Description").fill("The same customer writes again within days.")
    page.get_by_role("button", name="Mark as a systemic issue").click()

    expect(page.locator(".flash")).to_contain_text("is open")
    expect(page.locator("h1")).to_contain_text("Repeat complaints about the WM-300")
    expect(page.locator("#issue-complaints")).to_contain_text(references[0])
    page.locator("#issue-actions").get_by_role("link", name="Open an improvement action").click()

    expect(page.locator("#source")).to_contain_text("Repeat complaints about the WM-300")
    page.get_by_label("What is to be done").fill("Call the customer back within a day")
    page.get_by_label("Owner").select_option(label="Samuel Supervisor")
    page.get_by_label("Due date").fill(due)
    # An empty title is refused with an error summary that links to the field.
    page.get_by_label("What is to be done").fill("")
    page.get_by_role("button", name="Open the action").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Say what is to be done.")
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("What is to be done")).to_be_focused()
    page.get_by_label("What is to be done").fill("Call the customer back within a day")
    page.get_by_role("button", name="Open the action").click()

    expect(page.locator("h1")).to_contain_text("Call the customer back within a day")
    expect(page.locator("#action-owner")).to_have_text("Samuel Supervisor")
    expect(page.locator("#action-complaints")).to_contain_text(references[1])
    page.get_by_role("link", name="Improvement actions").first.click()
    listed = page.locator("#actions")
    expect(listed).to_contain_text("Call the customer back within a day")
    expect(listed).to_contain_text(due)
    screenshot(page, "improvement-actions")

    page.goto(f"{live_server}/improvement")
    expect(page.locator("#action-summary")).to_contain_text("Open actions 1")
    expect(page.locator("#look-alikes tr[data-kind='contact']")).to_contain_text("#1")
