"""The tracking page says by when the complainant must send the information we asked for
(seed 002: give times; the diagram's timer, not a fixed figure)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from services import business_calendar, complaints, workflows
from services.db import db
from tests import journeys
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def test_the_information_request_shows_its_deadline(app, live_server, open_page):
    with app.app_context():
        filed = complaints.file_complaint(journeys.INTAKE)
        db.session.commit()
        journeys.complete(
            filed.complaint,
            "register_complaint",
            registration_outcome="incomplete",
            form_complete=False,
            missing_information="A photo of the label.",
        )
        due = workflows.message_deadline(filed.complaint, "information_received")
        local = business_calendar.to_local(due)
        token = filed.tracking_token
    page = open_page(locale="en-GB", axe=True)
    page.goto(f"{live_server}/track/{token}")
    section = page.locator("#information")
    expect(section).to_contain_text("A photo of the label.")
    expect(page.locator("#information-until")).to_contain_text(
        f"Please answer by {local.day} {local:%B %Y}."
    )
    assert_accessible(page)
