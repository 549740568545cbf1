"""The response letter: completed by the handler, signed off, downloadable as a PDF."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import timedelta

import pytest

from services import documents, letters, message_templates, notifications, tracking, workflows
from services.clock import utcnow
from services.db import db
from services.models import Complaint, Document, Task
from tests import journeys as j
from tests.app.helpers import login, post_form
from tests.app.test_public import bring_to_survey, complaint_of, file_online
from tests.services.test_presets import SYDNEY, minor, moment, use_preset

PDF_LINK_RE = re.compile(r'href="(/track/[^"]+/documents/\d+)"')


def test_the_tracking_page_links_the_signed_letter_and_the_link_serves_the_pdf(app, client):
    path = file_online(client)
    bring_to_survey(app, path)
    page = client.get(path).get_data(as_text=True)
    assert "Download the letter (PDF)" in page
    link = html.unescape(PDF_LINK_RE.search(page).group(1))
    with client.get(link) as response:
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        content, disposition = response.data, response.headers["Content-Disposition"]
    assert content.startswith(b"%PDF-")
    with app.app_context():
        [document] = documents.for_complaint(complaint_of(path).id)
        assert hashlib.sha256(content).hexdigest() == document.sha256
        assert f"filename={document.filename}" in disposition


def test_another_tracking_link_does_not_open_the_letter(app, client):
    path = file_online(client)
    bring_to_survey(app, path)
    other = file_online(client)
    link = PDF_LINK_RE.search(client.get(path).get_data(as_text=True)).group(1)
    document_id = link.rsplit("/", 1)[-1]
    assert client.get(f"{other}/documents/{document_id}").status_code == 404
    assert client.get(f"/track/not-a-token/documents/{document_id}").status_code == 404


def test_staff_download_the_letter_from_the_complaint_page(app, client):
    with app.app_context():
        complaint = j.to_survey()
        complaint_id = complaint.id
        [document] = documents.for_complaint(complaint_id)
        filename, sha256 = document.filename, document.sha256
    login(client, "manager")
    page = client.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    assert filename in page and sha256[:16] in page
    with client.get(f"/complaints/{complaint_id}/documents/{document.id}") as response:
        assert response.status_code == 200
        assert hashlib.sha256(response.data).hexdigest() == sha256


def test_the_drafted_letter_cannot_be_sent_until_its_placeholders_are_written(app, client):
    with app.app_context():
        task_id = j.open_task(j.to_minor_resolution(), "resolve_minor").id
    login(client, "supervisor")
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    draft = html.unescape(
        re.search(r'<textarea[^>]*name="response_letter"[^>]*>(.*?)</textarea>', page, re.S)
        .group(1)
        .strip("\r\n")
    )
    assert "[What we will do to put it right, and when.]" in draft
    answers = {k: v for k, v in j.ANSWERS["resolve_minor"].items() if v is not True}
    answers["remedies"] = "repair"
    response = post_form(client, f"/tasks/{task_id}", {**answers, "response_letter": draft})
    assert response.status_code == 422
    text = html.unescape(response.get_data(as_text=True))
    assert "Replace the part [What we found, and why it happened.] with your text" in text
    with app.app_context():
        assert db.session.get(Task, task_id).status == "open"
        assert db.session.scalar(db.select(db.func.count()).select_from(Document)) == 0
    written = draft.replace("[What we found, and why it happened.]", "The seal was worn.")
    written = written.replace("[What we will do to put it right, and when.]", "A new seal.")
    response = post_form(client, f"/tasks/{task_id}", {**answers, "response_letter": written})
    assert response.status_code == 302


def test_the_review_letter_starts_from_a_draft_and_its_pdf_is_stored_on_sign_off(app, client):
    with app.app_context():
        complaint = j.to_survey()
        tracking.request_review(complaint, "The refund never came.")
        db.session.commit()
        task_id = j.open_task(complaint, "review_case").id
        complaint_id = complaint.id
    login(client, "manager")
    page = html.unescape(client.get(f"/tasks/{task_id}").get_data(as_text=True))
    letter = re.search(r'<textarea[^>]*name="review_letter"[^>]*>(.*?)</textarea>', page, re.S)
    assert letter is not None and "Dear Aminata Diallo," in letter.group(1)
    with app.app_context():
        j.complete(
            j.refreshed(db.session.get(Complaint, complaint_id)),
            "review_case",
            review_decision="upheld",
            review_findings="The refund was late.",
            review_letter="Dear Ms Diallo, the refund has now been paid. Yours sincerely.",
        )
        kinds = [d.kind for d in documents.for_complaint(complaint_id)]
    assert kinds == ["response_letter", "review_outcome_letter"]


def test_the_sign_off_page_shows_the_full_letter_as_it_will_be_sent(app, client):
    # A French complainant: the manager reads the letter in French, recourse and appeal
    # date included, exactly as the approval sends it.
    with app.app_context():
        complaint = j.file(language="fr")
        j.complete(complaint, "register_complaint")
        j.complete(complaint, "classify_complaint")
        j.complete(complaint, "resolve_minor", response_letter="Bonjour, le joint est changé.")
        task_id = j.open_task(complaint, "sign_off_minor").id
        complaint_id, reference = complaint.id, complaint.reference
    with app.app_context():  # dated in the organisation's zone, as the letter is
        appeal_until = message_templates.long_date(utcnow() + timedelta(days=56), "fr")
    login(client, "manager")
    page = html.unescape(client.get(f"/tasks/{task_id}").get_data(as_text=True))
    letter = page[page.index("The letter that will be sent") :]
    letter = letter[: letter.index("</section>")]
    # A letter's subject is the line its text states (none here); not the email's beside it.
    assert f"Notre réponse à votre réclamation {reference}" not in letter
    assert "Bonjour, le joint est changé." in letter
    assert f"un réexamen depuis votre page de suivi jusqu'au {appeal_until}" in letter
    assert "médiateur de la consommation" in letter and "consumer mediator" not in letter
    assert "in French" in letter  # the complainant's language, named in the reader's words
    shown = re.search(r'<div class="letter-body">(.*?)</div>', letter, re.S).group(1)

    with client.get(f"/tasks/{task_id}/letter.pdf") as response:
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF-")
        assert response.headers["Cache-Control"] == "private, no-store"

    response = post_form(
        client,
        f"/tasks/{task_id}",
        {
            "sign_off_decision": "approved",
            "resolution_codes": ["resolved_in_favour", "complainant_informed"],
        },
    )
    assert response.status_code == 302
    with app.app_context():
        [sent] = [
            n for n in notifications.for_complaint(complaint_id) if n.kind == "response_letter"
        ]
        # What was signed off is what was sent (only the fresh tracking link differs).
        link = re.compile(r"/track/\S+")
        assert link.sub("/track/…", sent.body.strip()) == link.sub("/track/…", shown.strip())
        assert documents.for_complaint(complaint_id)  # and printed to PDF on approval


def test_only_a_sign_off_task_previews_a_letter(app, client):
    with app.app_context():
        complaint = j.to_minor_resolution()
        resolve_id = j.open_task(complaint, "resolve_minor").id
        j.complete(complaint, "resolve_minor")
        sign_off_id = j.open_task(complaint, "sign_off_minor").id
    login(client, "supervisor")
    assert client.get(f"/tasks/{resolve_id}/letter.pdf").status_code == 404
    assert client.get(f"/tasks/{sign_off_id}/letter.pdf").status_code == 404  # not their role
    page = client.get(f"/tasks/{resolve_id}").get_data(as_text=True)
    assert "The letter that will be sent" not in page


def _letter_section(page: str) -> str:
    letter = page[page.index('<section class="card letter-preview"') :]
    return re.sub(r"<[^>]+>", "", letter[: letter.index("</section>")])


def _sign_off_with_the_draft(complaint) -> str:
    """Resolve with the drafted letter, its [bracketed] parts written; the sign-off task."""
    draft = letters.draft_response(complaint, workflows.case_data(complaint), j.user("supervisor"))
    written = re.sub(r"\[[^\]]*\]", "Done.", draft)
    j.complete(complaint, "resolve_minor", response_letter=written)
    return j.open_task(complaint, "sign_off_minor").id


@pytest.mark.parametrize(
    ("language", "reader", "subject_line", "email_subject"),
    [
        ("fr", {"Accept-Language": "fr"}, "Objet\u00a0: votre réclamation", "Notre réponse"),
        ("en", {}, "Re: your complaint", "Our response to your complaint"),
    ],
)
def test_the_sign_off_preview_states_the_letters_subject_once(
    app, client, language, reader, subject_line, email_subject
):
    """The French preview said "Objet : Notre réponse…" above the letter's own "Objet : votre
    réclamation…" (in English, "Subject: …" above "Re: …")."""
    with app.app_context():
        complaint = j.file(language=language)
        j.complete(complaint, "register_complaint")
        j.complete(complaint, "classify_complaint")
        task_id = _sign_off_with_the_draft(complaint)
        reference = complaint.reference
    login(client, "manager")
    letter = _letter_section(html.unescape(client.get(f"/tasks/{task_id}", headers=reader).text))
    assert letter.count(subject_line) == 1
    assert letter.count(reference) == 2  # the letter's subject line and its closing paragraph
    assert "Objet" not in letter.replace(subject_line, "")
    assert "Subject:" not in letter and email_subject not in letter


def test_a_notice_in_place_of_the_letter_is_previewed_with_its_subject(app, client):
    """ASIC: a complaint resolved to the complainant's satisfaction within five business days
    gets a short notice, a message with no letter: its subject is the email's."""
    with app.app_context():
        use_preset("asic")
    with moment("2026-06-09 10:00", SYDNEY):
        with app.app_context():
            complaint = minor()
            j.complete(complaint, "resolve_minor")
            task_id = j.open_task(complaint, "sign_off_minor").id
            reference = complaint.reference
        login(client, "manager")
        letter = _letter_section(html.unescape(client.get(f"/tasks/{task_id}").text))
        pdf = client.get(f"/tasks/{task_id}/letter.pdf")
    assert letter.count("Subject:") == 1
    assert f"Subject: Your complaint {reference} is resolved" in letter
    # A notice is an email, never printed: no PDF of it is offered.
    assert "Preview the letter as PDF" not in letter
    assert pdf.status_code == 404
