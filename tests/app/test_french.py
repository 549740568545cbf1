"""The interface in French: a complete catalogue, and the pages speak it when asked."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po
from lxml import etree

from services import complaints
from services.db import db
from tests import journeys
from tests.app.helpers import login, post_form

CATALOGUE = Path(__file__).resolve().parents[2] / "app/translations/fr/LC_MESSAGES/messages.po"
PROCESSES = Path(__file__).resolve().parents[2] / "processes"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|%[sdf]")
FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}
NBSP = "\u00a0"  # French puts a no-break space before : ; ? ! and inside « »


def _entries() -> list:
    with CATALOGUE.open("rb") as handle:
        return [message for message in read_po(handle, locale="fr") if message.id]


def test_every_message_of_the_french_catalogue_is_translated_and_none_is_fuzzy():
    entries = _entries()
    assert len(entries) > 500
    untranslated = [m.id for m in entries if not all(m.string if m.pluralizable else [m.string])]
    fuzzy = [m.id for m in entries if m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_every_step_name_and_instruction_of_the_default_procedure_has_a_french_text():
    # What staff read on task pages, in the inbox and on the public page comes from the diagram.
    bpmn = etree.parse(str(PROCESSES / "complaint_handling.bpmn")).getroot()
    texts = {el.get("name") for el in bpmn.iter(f"{{{BPMN}}}userTask", f"{{{BPMN}}}subProcess")}
    texts |= {(el.text or "").strip() for el in bpmn.iter(f"{{{SPIFF}}}instructionsForEndUser")}
    translated = {m.id for m in _entries() if m.string}
    assert sorted(t for t in texts if t and t not in translated) == []


def test_french_messages_keep_the_placeholders_of_the_english_ones():
    for message in _entries():
        source = message.id[0] if message.pluralizable else message.id
        for text in message.string if message.pluralizable else [message.string]:
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(source)), (
                message.id
            )


def _page(client, url: str) -> str:
    response = client.get(url, headers=FRENCH)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_public_form_speaks_french_to_a_french_browser(client):
    page = _page(client, "/complaints/new")
    assert '<html lang="fr">' in page
    assert "Déposer une réclamation" in page
    assert f"Comment souhaitez-vous être contacté{NBSP}?" in page
    assert "Envoyer ma réclamation" in page
    assert "Formulaire web" not in page  # the channel is not asked of the public
    assert "Send my complaint" not in page


def test_refused_public_form_explains_in_french(client):
    response = post_form(
        client,
        "/complaints/new",
        {"complainant_name": "Jean Martin", "preferred_contact": "email", "email": "jean@"},
        headers=FRENCH,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Veuillez corriger les points suivants" in page
    assert "Saisissez une adresse e-mail valide." in page
    assert "Décrivez ce qui s'est passé." in page.replace("&#39;", "'")
    assert 'value="Jean Martin"' in page


def test_tracking_page_speaks_french(app, client):
    with app.app_context():
        filed = complaints.file_complaint(journeys.INTAKE)
        db.session.commit()
        token = filed.tracking_token
    page = _page(client, f"/track/{token}")
    assert "Nous vérifions que votre réclamation est complète." in page
    assert "Ce qui s'est passé jusqu'ici" in page.replace("&#39;", "'")
    assert "Réclamation reçue" in page


def test_staff_pages_speak_french(app, client):
    with app.app_context():
        complaint = journeys.to_classification()
        task_id = journeys.open_task(complaint, "classify_complaint").id
        complaint_id, reference = complaint.id, complaint.reference
    login(client, "supervisor")

    inbox = _page(client, "/inbox")
    assert "Corbeille de tâches" in inbox
    assert "Qualifier la réclamation" in inbox
    assert "Prendre en charge" in inbox
    assert "1 tâche" in inbox

    task = _page(client, f"/tasks/{task_id}")
    assert "Qualifier la réclamation" in task
    assert "Indiquez la catégorie, la gravité et les risques de la réclamation." in task
    assert "Qualité du produit" in task
    assert "Où en est le dossier" in task
    assert "Terminer la tâche" in task
    assert "Complete task" not in task

    detail = _page(client, f"/complaints/{complaint_id}")
    assert f"Réclamation {reference}" in detail
    assert "Historique" in detail
    assert "Enregistrer la réclamation" in detail  # the completed task, by its French name


def test_language_switch_keeps_french_for_the_session(client):
    response = post_form(client, "/lang/fr", {"next": "/complaints/new"}, form_url="/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/complaints/new")
    page = client.get("/complaints/new").get_data(as_text=True)
    assert "Déposer une réclamation" in page
    assert "English" in page  # the switch back


def test_pages_and_json_errors_say_their_language(client):
    # The browser's language: named, and caches keep one copy per Accept-Language.
    for headers, language in (({}, "en"), (FRENCH, "fr")):
        page = client.get("/complaints/new", headers=headers)
        assert page.headers["Content-Language"] == language
        assert "Accept-Language" in page.vary
        missing = client.get("/api/v1/complaints/1", headers=headers)  # no token: 401
        assert missing.mimetype == "application/problem+json"
        assert missing.headers["Content-Language"] == language
        assert "Accept-Language" in missing.vary
        json_404 = client.get("/nowhere", headers={**headers, "Accept": "application/json"})
        assert (json_404.status_code, json_404.mimetype) == (404, "application/json")
        assert json_404.headers["Content-Language"] == language
    # A file is in no reader's language.
    style = client.get("/static/css/app.css")
    assert style.status_code == 200 and "Content-Language" not in style.headers
    style.close()
    # The language chosen on the page wins over the browser's.
    post_form(client, "/lang/fr", {"next": "/"}, form_url="/")
    assert client.get("/complaints/new").headers["Content-Language"] == "fr"


def test_refused_filters_and_periods_explain_in_french(client):
    # WTForms' own messages (a date that does not exist, a choice that is not offered) on the
    # dashboard, the management review and the service-level view were
    # in English on French pages: only some forms had WTForms' French catalogue.
    login(client, "manager")
    for url, english, french in (
        ("/dashboard?start=2026-02-30", "Not a valid date value.", "N'est pas une date valide."),
        (
            "/dashboard/complaints?start=2026-02-30",
            "Not a valid date value.",
            "N'est pas une date valide.",
        ),
        (
            "/management-review?start=2026-02-30",
            "Not a valid date value.",
            "N'est pas une date valide.",
        ),
        ("/service-levels?assignee=x", "Not a valid choice.", "N'est pas un choix valide."),
    ):
        response = client.get(url, headers=FRENCH)
        page = response.get_data(as_text=True).replace("&#39;", "'")
        assert response.status_code == 422, url
        assert french in page, url
        assert english not in page, url
