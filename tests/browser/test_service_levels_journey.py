"""A manager, in French, gives a late task to a colleague from the service-level view."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from services import users
from services.db import db
from services.models import Task
from tests import journeys as j
from tests.browser.conftest import login, screenshot
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")
NBSP = "\u00a0"  # French typography: before a colon and inside « »
FILED = datetime(2026, 12, 7, 10, tzinfo=PARIS)  # Monday: acknowledge by Wednesday 17:30
LOOKED_AT = datetime(2026, 12, 10, 12, tzinfo=PARIS)  # Thursday: 3 working hours late


def test_a_manager_reassigns_a_late_task_from_the_service_level_view_in_french(
    app, live_server, open_page
):
    with app.app_context():
        with time_machine.travel(FILED, tick=False):
            complaint = j.file()
        reference = complaint.reference
        task_id = j.open_task(complaint, "register_complaint").id
        users.create_user("agent2", "Aline Seconde", DEMO_PASSWORD, ["intake_agent"])
        db.session.commit()

    page = open_page(locale="fr-FR")
    with time_machine.travel(LOOKED_AT, tick=True):
        login(page, live_server, "manager")
        page.locator("nav.mainnav a[href='/service-levels']").click()
        expect(page.locator("h1")).to_have_text("Niveaux de service")
        row = page.locator(f"tr[data-task='{task_id}']")
        expect(row).to_contain_text(reference)
        expect(row).to_contain_text("Délai dépassé")
        expect(row).to_contain_text("3 heures ouvrées de retard")
        expect(page.locator("#counts-clock")).to_contain_text("Accusé de réception")
        row.locator("select[name=assignee]").select_option(label="Aline Seconde")
        screenshot(page, "service-levels-fr")
        row.get_by_role("button", name="Réattribuer").click()
        expect(page.locator(".flash")).to_have_text(
            f"{reference}{NBSP}: «{NBSP}Enregistrer la réclamation{NBSP}» est maintenant "
            "confiée à Aline Seconde."
        )
        expect(page.locator(f"tr[data-task='{task_id}']")).to_contain_text("Aline Seconde")
    with app.app_context():
        assert db.session.get(Task, task_id).assignee.username == "agent2"
