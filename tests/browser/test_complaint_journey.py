"""Complaints taken from the public form to the survey entirely in the browser.

Each person works in their own browser context (own cookies, own language): the complainant
on the public pages, staff through their inbox and task pages.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from services.db import db
from services.models import Complaint
from tests import journeys, samples
from tests.browser.conftest import login, login_with_form, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    """A small, valid PNG photo on disk, as a complainant would pick it."""
    path = tmp_path / "leak.png"
    path.write_bytes(samples.png(16, 12))
    return path


def file_complaint(page: Page, base_url: str, photo: Path, shots: bool = False) -> tuple[str, str]:
    """Fill and send the public form; returns the reference and the tracking link."""
    page.goto(f"{base_url}/complaints/new")
    page.fill("#complainant_name", "Aminata Diallo")
    page.select_option("#preferred_contact", "email")
    page.fill("#email", "aminata@example.org")
    page.fill("#phone", "+221 77 000 00 00")
    page.fill("#product_service", "Washing machine WM-300")
    page.fill("#description", "The machine leaks water from the first wash; nobody answers.")
    page.fill("#desired_remedy", "Replacement or refund")
    page.set_input_files("#attachments", str(photo))
    page.check("#attestation")
    if shots:
        screenshot(page, "public-form")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("p.reference strong")).to_have_text(re.compile(r"^C-\d{4}-\d{6}$"))
    if shots:
        screenshot(page, "confirmation")
    reference = page.locator("p.reference strong").inner_text()
    link = page.locator("#tracking-link").input_value()
    return reference, link


def expect_status(page: Page, link: str, text: str) -> None:
    """The complainant opens the tracking link and reads the status."""
    page.goto(link)
    expect(page.locator("#status")).to_have_text(text)


def open_task(page: Page, base_url: str, reference: str, title: str) -> None:
    """From the inbox, open the complaint's task called `title`."""
    page.goto(f"{base_url}/inbox")
    page.locator("tr", has_text=reference).get_by_role("link", name=title).click()
    expect(page.locator("h1")).to_contain_text(title)


def complete_task(page: Page) -> None:
    """Send the task form and land back on the inbox."""
    page.get_by_role("button", name="Complete task").click()
    expect(page.locator(".flash", has_text="Task completed")).to_be_visible()


def write_letter(page: Page, field: str = "#response_letter") -> None:
    """Put the handler's words in each "[...]" part of the drafted letter."""
    draft = page.locator(field).input_value()
    assert re.search(r"\[[^\]]*\]", draft), draft  # the draft names what to write
    page.fill(field, re.sub(r"\[[^\]]*\]", "We replaced the faulty part.", draft))


def register(page: Page, base_url: str, reference: str) -> None:
    """The intake agent registers the complaint as complete."""
    open_task(page, base_url, reference, "Register complaint")
    page.check("#form_complete")
    page.check("#consent_confirmed")
    page.select_option("#registration_outcome", "complete")
    complete_task(page)


def sign_off(page: Page, base_url: str, reference: str, title: str) -> None:
    """The manager approves the closure with resolution codes."""
    open_task(page, base_url, reference, title)
    expect(page.get_by_role("heading", name="Resolution to sign off")).to_be_visible()
    page.check("input[name=sign_off_decision][value=approved]")
    page.check("input[name=resolution_codes][value=resolved_in_favour]")
    page.check("input[name=resolution_codes][value=complainant_informed]")
    complete_task(page)


def answer_survey(page: Page, link: str, score: int, comment: str) -> None:
    """The complainant answers the satisfaction survey on the tracking page."""
    page.goto(link)
    page.check(f"input[name=score][value='{score}']")
    page.fill("#comment", comment)
    page.locator("#survey button[type=submit]").click()


def stored(app: Flask, reference: str) -> Complaint:
    """The complaint as the database holds it."""
    with app.app_context():
        complaint = db.session.scalar(db.select(Complaint).where(Complaint.reference == reference))
        assert complaint is not None
        db.session.expunge(complaint)
        return complaint


def test_minor_complaint_goes_from_public_form_to_survey(app, live_server, open_page, photo):
    complainant = open_page()
    reference, link = file_complaint(complainant, live_server, photo, shots=True)
    expect_status(complainant, link, "We are checking that your complaint is complete.")
    expect(complainant.locator("ul.files")).to_contain_text("leak.png")

    agent = open_page()
    login_with_form(agent, live_server, "agent")  # the sign-in form, once in the journeys
    register(agent, live_server, reference)
    expect_status(complainant, link, "We are assessing your complaint.")
    expect(complainant.locator("ol.timeline")).to_contain_text("Complaint acknowledged")

    supervisor = open_page("supervisor")
    open_task(supervisor, live_server, reference, "Classify complaint")
    expect(supervisor.locator("ul.attachments")).to_contain_text("leak.png")
    expect(supervisor.locator(".bpmn-diagram.diagram-ready")).to_be_visible()
    screenshot(supervisor, "task-page-classification")
    supervisor.get_by_role("button", name="Claim").click()
    expect(supervisor.get_by_text("You have claimed this task.")).to_be_visible()
    # A negative amount: the error shows at the field and what was typed and chosen stays.
    supervisor.select_option("#category", "product_quality")
    supervisor.select_option("#severity", "low")
    supervisor.fill("#financial_impact", "-120")
    supervisor.fill("#classification_notes", "Leaking appliance, first wash.")
    supervisor.get_by_role("button", name="Complete task").click()
    amount = supervisor.locator(".field.has-error", has=supervisor.locator("#financial_impact"))
    expect(amount.locator(".error")).to_contain_text("Enter an amount between 0 and")
    expect(supervisor.locator("#classification_notes")).to_have_value(
        "Leaking appliance, first wash."
    )
    expect(supervisor.locator("#category")).to_have_value("product_quality")
    expect(supervisor.locator("#severity")).to_have_value("low")
    supervisor.fill("#financial_impact", "120.00")
    complete_task(supervisor)

    expect_status(complainant, link, "We are preparing our answer.")
    open_task(supervisor, live_server, reference, "Resolve minor complaint")
    for box in ("thanked", "apologised", "information_collected", "customer_happy"):
        supervisor.check(f"#{box}")
    supervisor.fill("#action_taken", "Technician visit booked; door seal replaced.")
    supervisor.check("input[name=remedies][value=repair]")
    supervisor.check("input[name=remedies][value=apology]")
    supervisor.fill("#resolution_summary", "Seal replaced under warranty.")
    expect(supervisor.locator("#response_letter")).not_to_be_empty()
    # The drafted letter still holds its "[...]" parts: it cannot go out like that.
    supervisor.get_by_role("button", name="Complete task").click()
    letter = supervisor.locator(".field.has-error", has=supervisor.locator("#response_letter"))
    expect(letter.locator(".error")).to_contain_text("with your text before sending the letter")
    write_letter(supervisor)
    complete_task(supervisor)

    expect_status(complainant, link, "Our answer is being approved.")
    manager = open_page("manager")
    sign_off(manager, live_server, reference, "Sign off minor complaint")

    expect_status(
        complainant, link, "We have answered your complaint. Please tell us what you think."
    )
    expect(complainant.locator("ol.timeline")).to_contain_text("Our answer was sent")
    screenshot(complainant, "tracking-page")
    answer_survey(complainant, link, 4, "Quick and polite.")
    expect(complainant.locator(".flash")).to_have_text("Thank you for your answer.")
    expect(complainant.locator("#status")).to_have_text("Your complaint is closed.")
    expect(complainant.locator("dl.summary")).to_contain_text("4 out of 5")
    expect(complainant.locator("#survey")).to_have_count(0)

    complaint = stored(app, reference)
    assert complaint.status == "closed"
    assert complaint.route == "minor"
    assert complaint.satisfaction_score == 4
    assert complaint.satisfaction_comment == "Quick and polite."
    assert complaint.closed_at is not None


def test_major_complaint_with_approved_escalation_goes_to_legal_review(
    app, live_server, open_page, photo
):
    # The complainant's browser asks for French.
    complainant = open_page(locale="fr-FR")
    complainant.goto(live_server)
    expect(complainant.locator("html")).to_have_attribute("lang", "fr")
    complainant.get_by_role("link", name="Déposer une réclamation").click()
    expect(complainant.get_by_role("button", name="Envoyer ma réclamation")).to_be_visible()
    reference, link = file_complaint(complainant, live_server, photo)
    expect(complainant.locator("h1")).to_have_text("Votre réclamation a été déposée")
    screenshot(complainant, "confirmation-fr")
    register(open_page("agent"), live_server, reference)

    supervisor = open_page("supervisor")
    open_task(supervisor, live_server, reference, "Classify complaint")
    supervisor.select_option("#category", "safety")
    supervisor.select_option("#severity", "high")
    supervisor.check("#safety_issue")
    complete_task(supervisor)
    expect_status(complainant, link, "Nous enquêtons sur votre réclamation.")

    investigator = open_page("investigator")
    open_task(investigator, live_server, reference, "Investigate complaint")
    investigator.fill("#findings", "The unit was damaged in transport.")
    investigator.select_option("#root_cause_category", "process")
    investigator.fill("#root_cause", "Loading procedure at the depot.")
    investigator.fill(
        "#investigation_report",
        "The unit was dropped while loading at the depot; the delivery team did not report it.",
    )
    investigator.check("#escalation_requested")
    investigator.select_option("#escalation_target", "legal_counsel")
    investigator.fill("#escalation_reason", "Water near mains power: possible liability.")
    complete_task(investigator)
    expect_status(complainant, link, "Un responsable examine votre réclamation.")

    manager = open_page("manager")
    open_task(manager, live_server, reference, "Approve escalation")
    context = manager.locator("section.context")
    expect(context).to_contain_text("Escalation requested")
    expect(context).to_contain_text("Water near mains power: possible liability.")
    screenshot(manager, "escalation-approval")
    manager.check("input[name=escalation_decision][value=approved]")
    manager.fill("#escalation_comment", "Agreed: legal counsel to review.")
    complete_task(manager)
    expect_status(complainant, link, "Votre réclamation fait l'objet d'un examen approfondi.")

    counsel = open_page("counsel")
    open_task(counsel, live_server, reference, "Legal review")
    counsel.fill("#legal_opinion", "The consumer is entitled to a replacement.")
    counsel.select_option("#legal_action", "settlement")
    complete_task(counsel)
    expect_status(complainant, link, "Nous préparons notre réponse.")

    open_task(investigator, live_server, reference, "Resolve major complaint")
    expect(investigator.locator("section.context")).to_contain_text(
        "The consumer is entitled to a replacement."
    )
    investigator.check("input[name=remedies][value=replacement]")
    investigator.check("input[name=remedies][value=compensation]")
    investigator.fill("#compensation_amount", "150.00")
    investigator.fill("#resolution_summary", "Unit replaced, compensation paid.")
    write_letter(investigator)
    complete_task(investigator)
    expect_status(complainant, link, "Notre réponse est en cours de validation.")

    sign_off(manager, live_server, reference, "Sign off major complaint")
    expect_status(
        complainant,
        link,
        "Nous avons répondu à votre réclamation. Dites-nous ce que vous en pensez.",
    )
    expect(complainant.locator("#survey")).to_contain_text("5 – très satisfait")
    screenshot(complainant, "tracking-page-fr")
    answer_survey(complainant, link, 5, "")
    expect(complainant.locator(".flash")).to_have_text("Merci pour votre réponse.")
    expect(complainant.locator("#status")).to_have_text("Votre réclamation est clôturée.")
    expect(complainant.locator("dl.summary")).to_contain_text("5 sur 5")

    manager.goto(f"{live_server}/inbox")
    manager.locator("nav.mainnav").get_by_role("link", name="Complaints").click()
    manager.get_by_role("link", name=reference).click()
    expect(manager.locator("h1")).to_contain_text(reference)
    expect(manager.locator("main")).to_contain_text("Legal review")
    screenshot(manager, "complaint-detail")

    complaint = stored(app, reference)
    assert (complaint.status, complaint.route) == ("closed", "major")
    assert complaint.satisfaction_score == 5


def test_public_form_shows_errors_at_the_fields_and_keeps_what_was_typed(live_server, page):
    page.goto(f"{live_server}/complaints/new")
    page.fill("#complainant_name", "Jean Martin")
    page.select_option("#preferred_contact", "email")
    page.fill("#email", "jean.martin-at-example.org")
    page.fill("#description", "Too short")
    page.fill("#desired_remedy", "A refund")
    page.locator("main form button[type=submit]").click()

    expect(page.locator(".error-summary")).to_be_visible()
    email = page.locator(".field.has-error", has=page.locator("#email"))
    expect(email.locator(".error")).to_have_text("Enter a valid email address.")
    description = page.locator(".field.has-error", has=page.locator("#description"))
    expect(description.locator(".error")).to_contain_text("between 10 and 5000 characters")
    attestation = page.locator(".field.has-error", has=page.locator("#attestation"))
    expect(attestation.locator(".error")).to_have_text("Confirm that the information is accurate.")
    expect(page.locator("#email")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#complainant_name")).to_have_value("Jean Martin")
    expect(page.locator("#email")).to_have_value("jean.martin-at-example.org")
    expect(page.locator("#description")).to_have_value("Too short")
    expect(page.locator("#desired_remedy")).to_have_value("A refund")
    expect(page.locator("#preferred_contact")).to_have_value("email")
    screenshot(page, "public-form-errors")

    page.locator(".error-summary a", has_text="Enter a valid email address.").click()
    expect(page.locator("#email")).to_be_focused()


def test_supervisor_inbox_lists_the_tasks_of_their_role_and_the_diagram_marks_the_step(
    app, live_server, page
):
    with app.app_context():
        journeys.to_classification(complainant_name="Jean Martin", department="Billing")
        journeys.to_classification(
            anonymous=True, description="A cashier insulted me at the counter in front of others."
        )
        journeys.to_minor_resolution()
        minor = journeys.to_classification(
            complainant_name="Fatou Sow", product_service="Fibre internet"
        )
        journeys.complete(minor, "classify_complaint", category="customer_service")
        reference = minor.reference

    login(page, live_server, "supervisor")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator("main")).to_contain_text("4 tasks")
    expect(rows.filter(has_text="Classify complaint")).to_have_count(2)
    expect(rows.filter(has_text="Anonymous")).to_have_count(1)
    row = rows.filter(has_text=reference)
    row.get_by_role("button", name="Claim").click()
    expect(page.locator(".flash")).to_have_text("You have claimed “Resolve minor complaint”.")
    expect(rows.filter(has_text=reference)).to_contain_text("Samuel Supervisor")
    screenshot(page, "inbox")

    rows.filter(has_text=reference).get_by_role("link", name="Resolve minor complaint").click()
    expect(page.locator(".bpmn-diagram.diagram-ready")).to_be_visible()
    current = page.locator(".bpmn-diagram .djs-element.current")
    expect(current).to_have_count(1)
    expect(current).to_have_attribute("data-element-id", "resolve_minor")
    expect(
        page.locator(".bpmn-diagram .djs-element.done[data-element-id=classify_complaint]")
    ).to_have_count(1)
    expect(page.locator(".diagram-legend")).to_be_visible()
    screenshot(page, "task-page")


def test_language_switch_in_the_header_turns_the_public_form_french_and_back(live_server, page):
    page.goto(f"{live_server}/complaints/new")
    expect(page.locator("h1")).to_have_text("File a complaint")
    page.get_by_role("button", name="Français").click()
    expect(page.locator("h1")).to_have_text("Déposer une réclamation")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert page.url.endswith("/complaints/new")
    expect(page.get_by_label("Nom complet")).to_be_visible()
    expect(page.locator("#preferred_contact option[value=none]")).to_have_text(
        "Aucun contact (lien de suivi uniquement)"
    )
    page.locator("main form button[type=submit]").click()
    description = page.locator(".field.has-error", has=page.locator("#description"))
    expect(description.locator(".error")).to_have_text("Décrivez ce qui s'est passé.")
    screenshot(page, "public-form-fr")

    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_have_text("File a complaint")


def test_the_confirmation_survives_the_language_switch_with_its_link(live_server, page):
    """An anonymous complainant switches the confirmation to French: the page shown once is
    shown again in French with the same link (their only way back), not sent to the home page
    with "This confirmation was shown once already"."""
    page.goto(f"{live_server}/complaints/new")
    page.check("#anonymous")
    page.fill("#description", "The staff at the counter were rude to me twice this week.")
    page.check("#attestation")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Your complaint has been filed")
    reference = page.locator("p.reference strong").inner_text()
    link = page.locator("#tracking-link").input_value()

    page.get_by_role("button", name="Français").click()
    expect(page.locator("h1")).to_have_text("Votre réclamation a été déposée")
    expect(page.locator("p.reference strong")).to_have_text(reference)
    expect(page.locator("#tracking-link")).to_have_value(link)
    # Shown once more, then gone as before: reloading does not show it again.
    page.reload()
    expect(page.locator(".flash")).to_have_text(
        "Cette confirmation a déjà été affichée une fois. Utilisez votre lien de suivi."
    )
    page.goto(link)
    expect(page.locator("h1")).to_contain_text(reference)
