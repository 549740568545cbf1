"""The response letter: completed by the handler, signed off, downloadable as a PDF."""

from __future__ import annotations

import hashlib
import html
import re

from services import documents, tracking
from services.db import db
from services.models import Complaint, Document, Task
from tests import journeys as j
from tests.app.helpers import login, post_form
from tests.app.test_public import bring_to_survey, complaint_of, file_online

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
