"""A manager opens the yearly review from the menu, picks a period and saves the narrative."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from playwright.sync_api import Page, expect

from services import reporting
from services.db import db
from services.models import ManagementReview
from tests import journeys as j
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_a_manager_reviews_a_month_and_saves_the_narrative(app, live_server, page: Page):
    with app.app_context():
        with time_machine.travel(datetime(2026, 11, 10, 9, 30, tzinfo=UTC), tick=False):
            j.to_survey()
            j.file()
            j.write_messages()
        reporting.refresh()
        db.session.commit()

    login(page, live_server, "manager")
    page.locator("nav.mainnav a[href='/management-review']").click()
    expect(page.locator("h1")).to_have_text("Management review")
    page.fill("input[name=start]", "2026-11-01")
    page.fill("input[name=end]", "2026-11-30")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".review-period")).to_contain_text("1 November 2026")
    received = page.locator("#figures tr", has_text="Complaints received")
    expect(received.locator("td").first).to_have_text("2")

    page.fill("textarea[name=narrative]", "Two complaints in November; the seal problem again.")
    page.get_by_role("button", name="Save the narrative").click()
    expect(page.locator(".flash")).to_have_text("The narrative is saved.")
    expect(page.locator("#review-narrative .review-narrative")).to_have_text(
        "Two complaints in November; the seal problem again."
    )
    expect(page.locator("a", has_text="Download as PDF")).to_have_attribute(
        "href", "/management-review/review.pdf?start=2026-11-01&end=2026-11-30"
    )
    page.emulate_media(media="print")
    expect(page.locator("header.topbar")).to_be_hidden()
    expect(page.locator("#write")).to_be_hidden()
    screenshot(page, "management-review-print")
    with app.app_context():
        saved = db.session.scalar(db.select(ManagementReview))
        assert (saved.period_start, saved.period_end) == (date(2026, 11, 1), date(2026, 11, 30))
        assert saved.narrative.startswith("Two complaints in November")


def test_a_french_review_writes_the_first_of_the_month_as_french_does(live_server, page: Page):
    """ "Période : du 1 novembre 2026": French writes the first of the month as an ordinal,
    1er novembre, as the messages to complainants already did."""
    login(page, live_server, "analyst")
    page.get_by_role("button", name="Français").click()
    page.locator("nav.mainnav a[href='/management-review']").click()
    page.fill("input[name=start]", "2026-11-01")
    page.fill("input[name=end]", "2026-11-30")
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator(".review-period")).to_contain_text("1er novembre 2026")
    expect(page.locator(".review-period")).to_contain_text("30 novembre 2026")
    expect(page.locator(".review-period")).not_to_contain_text("du 1 novembre")
