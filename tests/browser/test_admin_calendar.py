"""An administrator, reading French, closes the organisation on a day and sees it listed."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from services import business_calendar
from services.db import db
from services.models import ClosureDay
from tests.browser.conftest import login_with_form, screenshot

pytestmark = pytest.mark.browser


def test_an_administrator_adds_a_closure_day_in_french(open_page, live_server, app):
    page = open_page(locale="fr-FR")
    with app.app_context():
        today = business_calendar.local_today()
    # A weekday in the coming year that is not a public holiday.
    day = date(today.year + 1, 6, 15)
    while day.isoweekday() > 5:
        day = day.replace(day=day.day + 1)
    login_with_form(page, live_server, "admin")
    # One "Administration" entry in the header; the admin pages share a side navigation.
    page.locator("nav.mainnav").get_by_role("link", name="Administration").click()
    page.locator("nav.admin-nav").get_by_role("link", name="Calendrier des jours ouvrés").click()
    expect(page.get_by_role("heading", name="Calendrier des jours ouvrés")).to_be_visible()
    expect(page.locator("#days-off")).to_contain_text("Noël")

    form = page.locator("form.add-closure")
    form.get_by_label("Date").fill(day.isoformat())
    form.get_by_label("Nom").fill("Journée de l'organisation")
    form.get_by_role("button", name="Ajouter ce jour de fermeture").click()

    expect(page.get_by_role("status")).to_contain_text("est ajouté aux jours de fermeture")
    closures = page.locator("table.closures")
    expect(closures).to_contain_text("Journée de l'organisation")
    expect(closures).to_contain_text(str(day.year))
    listed = page.locator("#days-off tr.day-off-closure")
    expect(listed).to_contain_text("Journée de l'organisation")
    expect(listed).to_contain_text("Jour de fermeture")
    screenshot(page, "admin-calendar-closure-fr")

    # The same day again: refused, in French, and still listed once.
    form = page.locator("form.add-closure")
    form.get_by_label("Date").fill(day.isoformat())
    form.get_by_label("Nom").fill("Encore")
    form.get_by_role("button", name="Ajouter ce jour de fermeture").click()
    expect(page.locator("form.add-closure .error")).to_contain_text("est déjà un jour de fermeture")
    expect(page.locator("table.closures tbody tr")).to_have_count(1)
    with app.app_context():
        assert db.session.scalars(db.select(ClosureDay.day)).all() == [day]
