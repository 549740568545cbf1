"""The case page reads like a file: the diagram with the current step, and a history whose
every line and datum is in words (no raw keys, message names or channel ids)."""

from __future__ import annotations

import json
import re
from html import unescape

from services import attachments, tracking
from services.db import db
from tests import journeys
from tests.app.helpers import login

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


def _text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _history(html: str) -> str:
    start = html.index('id="history"')
    return _text(html[start : html.index("</ol>", start)])


def _asked_and_answered(app, tmp_path) -> int:
    """A complaint whose registration asked for more information, answered with a photo."""
    with app.app_context():
        complaint = journeys.to_information_request()
        photo = attachments.Upload("photo-colis.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)
        tracking.reply_information(complaint, "Here it is.", [photo], upload_dir=tmp_path)
        db.session.commit()
        return complaint.id


def test_case_page_draws_the_diagram_with_the_current_step(app, client):
    with app.app_context():
        complaint = journeys.to_classification()
        complaint_id = complaint.id
    login(client, "manager")
    page = client.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    match = re.search(r"data-current='([^']*)'", page)
    assert match and "classify_complaint" in json.loads(unescape(match.group(1)))
    assert f'data-url="/complaints/{complaint_id}/diagram.bpmn"' in page
    assert "Current steps: <strong>Classify complaint</strong>" in " ".join(page.split())
    drawing = client.get(f"/complaints/{complaint_id}/diagram.bpmn")
    assert drawing.status_code == 200
    assert drawing.mimetype == "application/xml"
    assert b'id="classify_complaint"' in drawing.data


def test_diagram_of_a_confidential_case_is_hidden_from_staff_without_clearance(app, client):
    with app.app_context():
        complaint = journeys.to_classification()
        journeys.complete(complaint, "classify_complaint", category="gender_based_violence")
        complaint_id = complaint.id
    login(client, "supervisor")
    assert client.get(f"/complaints/{complaint_id}/diagram.bpmn").status_code == 404


def test_history_words_messages_channels_and_files_without_raw_keys(app, client, tmp_path):
    complaint_id = _asked_and_answered(app, tmp_path)
    login(client, "manager")
    history = _history(client.get(f"/complaints/{complaint_id}").get_data(as_text=True))
    assert "Complaint received · Web form" in history
    assert "Message to the complainant · More information requested" in history
    assert "Reply from the complainant · Missing information sent by the complainant" in history
    assert "Information sent Here it is." in history
    assert "Files photo-colis.png" in history
    assert "File added · photo-colis.png" in history
    assert "Channel Email" in history
    for raw in (
        "information_received",
        "attachments:",
        "['photo-colis.png']",
        "Channel email",
        "(web)",
        "Attachment id",
        "I want to stay anonymous",
    ):
        assert raw not in history


def test_history_groups_a_steps_answers_under_its_form_labels(app, client):
    with app.app_context():
        complaint = journeys.to_minor_resolution()
        complaint_id = complaint.id
    login(client, "manager")
    history = _history(client.get(f"/complaints/{complaint_id}").get_data(as_text=True))
    assert "Step completed · Classify complaint" in history
    assert "Category Product quality" in history
    assert "classification_notes" not in history
    assert "product_quality" not in history


def test_survey_answer_is_worded_for_staff(app, client):
    with app.app_context():
        complaint = journeys.to_survey()
        journeys.write_messages()
        tracking.answer_survey(complaint, 4, "Quick and kind.")
        db.session.commit()
        complaint_id = complaint.id
    login(client, "manager")
    history = _history(client.get(f"/complaints/{complaint_id}").get_data(as_text=True))
    assert "Satisfaction survey answered" in history
    assert "Satisfaction score 4" in history
    assert "The complainant's comment Quick and kind." in history
    assert "survey_answered" not in history
    assert "Response sent" in history


def test_history_speaks_french_to_a_french_reader(app, client, tmp_path):
    complaint_id = _asked_and_answered(app, tmp_path)
    login(client, "manager")
    page = client.get(f"/complaints/{complaint_id}", headers=FRENCH).get_data(as_text=True)
    history = _history(page)
    assert "Réclamation reçue · Formulaire web" in history
    assert "Informations complémentaires demandées" in history
    assert "Fichier ajouté · photo-colis.png" in history
    assert "Complaint received" not in history
    assert "More information requested" not in history
    assert "File added" not in history


def test_unknown_complaint_and_unknown_page_answer_in_french(app, client):
    login(client, "manager")
    missing = client.get("/complaints/999999", headers=FRENCH)
    assert missing.status_code == 404
    assert "Cette réclamation n'existe pas." in _text(missing.get_data(as_text=True))
    page = client.get("/no-such-page", headers=FRENCH)
    assert page.status_code == 404
    text = _text(page.get_data(as_text=True))
    assert "Cette page n'existe pas." in text
    assert "The requested URL" not in text


def test_json_errors_speak_the_readers_language_and_keep_their_code(app, client):
    login(client, "manager")
    json = {"Accept": "application/json"}
    response = client.get("/complaints/999999", headers={**json, **FRENCH})
    assert response.status_code == 404
    assert response.get_json()["error"] == "Cette réclamation n'existe pas."
    response = client.get("/complaints/999999", headers=json)
    assert response.get_json()["error"] == "No such complaint."


def test_staff_intake_form_speaks_about_the_complainant(client):
    login(client, "agent")
    page = _text(client.get("/intake").get_data(as_text=True))
    assert "I want to stay anonymous" not in page
    assert "The complainant wants to stay anonymous" in page


def test_times_read_the_same_on_staff_and_public_pages_with_the_zone(app, client):
    from datetime import UTC, datetime

    from services import complaints

    with app.app_context():
        filed = complaints.file_complaint(
            journeys.INTAKE, received_at=datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
        )
        db.session.commit()
        token, complaint_id = filed.tracking_token, filed.complaint.id
    for headers in ({}, FRENCH):
        tracking_page = _text(client.get(f"/track/{token}", headers=headers).get_data(as_text=True))
        assert "2026-12-02 00:30 (Europe/Paris)" in tracking_page
    login(client, "manager")
    case = _text(client.get(f"/complaints/{complaint_id}").get_data(as_text=True))
    assert "2026-12-02 00:30 (Europe/Paris)" in case  # received, in the "As received" card
    assert "History (Europe/Paris)" in case


def test_staff_pages_speak_about_the_complainant(app, client):
    # The tracking page speaks to them ("We need more information from you"): test_public.py.
    with app.app_context():
        complaint = journeys.file()
        journeys.complete(
            complaint,
            "register_complaint",
            registration_outcome="incomplete",
            form_complete=False,
            missing_information="A photo of the parcel",
        )
        complaint_id = complaint.id
    login(client, "manager")
    case = _text(client.get(f"/complaints/{complaint_id}").get_data(as_text=True))
    assert "Waiting for information from the complainant" in case
    assert "from you" not in case
    assert "Preferred contact Email" in case
    assert "How should we contact you" not in case
    listed = _text(client.get("/complaints").get_data(as_text=True))
    assert "Waiting for information from the complainant" in listed
    french = _text(client.get(f"/complaints/{complaint_id}", headers=FRENCH).get_data(as_text=True))
    assert "En attente d'informations du réclamant" in french


def test_history_of_an_extended_deadline_names_the_steps_and_leaves_out_unchosen_fields(
    app, client
):
    """The overdue review's answers: the lists left on "Choose…" are not shown as if chosen,
    and the extension names the steps it moved in words, not by their ids in the diagram."""
    with app.app_context():
        complaint = journeys.to_minor_resolution()
        journeys.overdue(complaint, "resolve_minor")
        journeys.complete(
            complaint,
            "review_overdue_minor",
            overdue_action="deadline_extended",
            extend_days=3,
            reassign_to="",
            escalate_to="",
        )
        complaint_id = complaint.id
    login(client, "manager")
    history = _history(client.get(f"/complaints/{complaint_id}").get_data(as_text=True))
    assert "Extend the deadline by (working days) 3" in history
    assert "Deadline extended · By 3 working days" in history
    assert "Steps Resolve minor complaint" in history
    assert "resolve_minor" not in history
    assert "Choose…" not in history
    assert "Reassign to" not in history
    french = _history(
        client.get(f"/complaints/{complaint_id}", headers=FRENCH).get_data(as_text=True)
    )
    assert "Délai prolongé · De 3 jours ouvrés" in french
    assert "Étapes Résoudre la réclamation mineure" in french
    assert "resolve_minor" not in french
    assert "Choisir…" not in french


def test_file_sizes_are_written_as_the_reader_writes_numbers(app, client):
    """A file of 1,690 bytes is 1.7 KB in English and 1,7 Ko in French (a decimal comma),
    on the case page as on the tracking page's whole kilobytes."""
    with app.app_context():
        complaint = journeys.to_information_request()
        photo = attachments.Upload("photo-colis.png", b"\x89PNG\r\n\x1a\n" + b"0" * 1682)
        tracking.reply_information(
            complaint, "Here it is.", [photo], upload_dir=app.config["UPLOAD_DIR"]
        )
        db.session.commit()
        complaint_id = complaint.id
    login(client, "manager")
    english = _text(client.get(f"/complaints/{complaint_id}").get_data(as_text=True))
    assert "photo-colis.png (1.7 KB," in english
    french = _text(client.get(f"/complaints/{complaint_id}", headers=FRENCH).get_data(as_text=True))
    assert "photo-colis.png (1,7 Ko," in french
    assert "1.7 Ko" not in french
