"""The staff workspace in a browser: bulk claim, a conditional field, a draft, a note with a
mention, in English and French; the pages pass axe (WCAG 2.1 A and AA)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from services.db import db
from services.models import CaseNote, TaskDraft
from tests import journeys as j
from tests.browser.conftest import assert_accessible, login, logout, screenshot

pytestmark = pytest.mark.browser


def test_bulk_claim_conditional_field_draft_and_a_mention(open_page, live_server, app):
    with app.app_context():
        j.to_classification()
        j.to_classification()
        investigation = j.to_investigation()
        task_id = j.open_task(investigation, "investigate_complaint").id
        complaint_id = investigation.id
    page = open_page(locale="en-GB", axe=True)
    # Bulk claim in the inbox.
    login(page, live_server, "supervisor", then=None)
    page.goto(f"{live_server}/inbox")
    boxes = page.locator("input[form=bulk-form][name=task_ids]")
    expect(boxes).to_have_count(2)
    assert_accessible(page)
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_label("With the ticked tasks").select_option("claim")
    page.get_by_role("button", name="Apply to the ticked tasks").click()
    expect(page.locator(".flash").first).to_contain_text("2 tasks claimed.")
    assert_accessible(page)
    screenshot(page, "workspace-bulk-claim")
    logout(page)

    # A conditional field, a draft, a note with a mention.
    login(page, live_server, "investigator", then=None)
    page.goto(f"{live_server}/tasks/{task_id}")
    target = page.get_by_label("Escalate to")
    expect(target).to_be_hidden()
    page.get_by_label("Escalate (senior management, legal counsel or police)").check()
    expect(target).to_be_visible()
    expect(page.get_by_label("Why escalate")).to_be_visible()
    page.get_by_label("Findings").fill("The seal was worn out.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".flash").first).to_contain_text("Draft saved")
    expect(page.get_by_label("Findings")).to_have_value("The seal was worn out.")
    expect(page.get_by_label("Escalate to")).to_be_visible()  # still ticked in the draft
    page.get_by_label("Internal note", exact=True).fill("@manager could you look at the depot?")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#notes")).to_contain_text("could you look at the depot?")
    assert_accessible(page)
    screenshot(page, "workspace-task")
    logout(page)

    # The manager sees the mention.
    login(page, live_server, "manager")
    page.get_by_role("link", name="My mentions").click()
    expect(page.get_by_text("1 unread mention")).to_be_visible()
    assert_accessible(page)
    expect(page.locator("table.mentions")).to_contain_text("could you look at the depot?")
    page.locator("table.mentions a").first.click()
    expect(page).to_have_url(f"{live_server}/complaints/{complaint_id}#notes")
    expect(page.locator("#notes")).to_contain_text("could you look at the depot?")
    assert_accessible(page)
    page.goto(f"{live_server}/mentions")
    expect(page.get_by_text("0 unread mentions")).to_be_visible()
    page.goto(f"{live_server}/inbox/workload")
    expect(page.get_by_role("heading", name="Team workload")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{live_server}/inbox/all")
    assert_accessible(page)
    screenshot(page, "workspace-all-tasks")
    with app.app_context():
        assert db.session.scalar(db.select(CaseNote)) is not None
        assert db.session.scalar(db.select(TaskDraft)) is not None


def test_the_workspace_pages_pass_axe_in_french(open_page, live_server, app):
    with app.app_context():
        complaint = j.to_investigation()
        task_id = j.open_task(complaint, "investigate_complaint").id
    page = open_page(locale="fr-FR", axe=True)
    login(page, live_server, "investigator", then=None)
    page.goto(f"{live_server}/tasks/{task_id}")
    if page.locator("html").get_attribute("lang") != "fr":
        page.locator("form[action*='/lang/fr'] button").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("[data-shown-when]").first).to_be_hidden()
    page.locator("input[name=escalation_requested]").check()
    expect(page.locator("select[name=escalation_target]")).to_be_visible()
    page.locator("textarea[name=body]").fill("Note pour @manager.")
    page.locator("form.note-form button").click()
    expect(page.locator("#notes")).to_contain_text("Note pour @manager.")
    assert_accessible(page)
    page.goto(f"{live_server}/inbox")
    assert_accessible(page)
    page.goto(f"{live_server}/mentions")
    assert_accessible(page)


def test_the_registration_asks_only_what_its_outcome_needs(open_page, live_server, app):
    """Both "Information to ask the complainant for" and "Reference of the complaint it
    duplicates" showed whatever the outcome: each now appears with the outcome it serves."""
    with app.app_context():
        complaint = j.file()
        task_id = j.open_task(complaint, "register_complaint").id
    page = open_page(locale="fr-FR", axe=True)
    login(page, live_server, "agent", then=None)
    page.goto(f"{live_server}/tasks/{task_id}")
    missing = page.get_by_label("Informations à demander au réclamant")
    duplicate = page.get_by_label("Référence de la réclamation dont elle est le doublon")
    expect(missing).to_be_hidden()
    expect(duplicate).to_be_hidden()
    outcome = page.get_by_label("Issue", exact=True)
    outcome.select_option("incomplete")
    expect(missing).to_be_visible()
    expect(duplicate).to_be_hidden()
    outcome.select_option("duplicate")
    expect(duplicate).to_be_visible()
    expect(missing).to_be_hidden()
    assert_accessible(page)
    # The request still goes out with the information asked for.
    outcome.select_option("incomplete")
    missing.fill("Une photo du colis.")
    page.get_by_role("button", name="Terminer la tâche", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Tâche terminée")
    with app.app_context():
        assert j.open_names(j.refreshed(complaint)) == []
        assert j.refreshed(complaint).status == "awaiting_information"
