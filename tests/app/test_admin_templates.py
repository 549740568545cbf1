"""Administrators edit the message templates in the browser: versions, preview, refusals."""

from __future__ import annotations

import html
import re

from services import message_templates
from services.db import db
from services.models import AuditEvent
from tests import journeys as j
from tests.app.helpers import login, post_form

URL = "/admin/templates/acknowledgement/fr"
FRENCH = {"Accept-Language": "fr"}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_administrator_sees_every_kind_in_every_language(client):
    login(client, "admin")
    page = text(client.get("/admin/templates"))
    for kind in message_templates.kinds():
        assert f"/admin/templates/{kind}/en" in page
        assert f"/admin/templates/{kind}/fr" in page


def test_the_list_describes_each_message_in_french_for_a_french_administrator(client):
    login(client, "admin")
    page = text(client.get("/admin/templates", headers={"Accept-Language": "fr"}))
    assert "La réclamation est enregistrée" in page
    assert "The complaint is registered" not in page


def test_the_list_names_each_language_in_the_readers_words(client):
    login(client, "admin")
    for headers, names in (({}, ("English", "French")), (FRENCH, ("anglais", "français"))):
        page = text(client.get("/admin/templates", headers=headers))
        cells = re.findall(r"<td>([^<]*)</td>", page)
        assert cells.count(names[0]) == cells.count(names[1]) == len(message_templates.kinds())
        assert "en" not in cells and "fr" not in cells


def test_the_edit_page_previews_the_template_on_a_sample_complaint(client):
    login(client, "admin")
    page = text(client.get(URL))
    assert "Votre réclamation C-2026-000042 a bien été reçue" in page  # the preview's subject
    assert "Bonjour Aminata Diallo," in page
    assert "tracking_url" in page  # the variables it may use are listed


def test_preview_shows_the_draft_without_saving_it(app, client):
    login(client, "admin")
    response = post_form(
        client,
        URL,
        {
            "subject": "Bien reçu : {{ reference }}",
            "body_text": "Bonjour {{ name }}, c'est noté.",
            "action": "preview",
        },
    )
    assert response.status_code == 200
    assert "Bien reçu : C-2026-000042" in text(response)
    with app.app_context():
        assert [v.version for v in message_templates.versions("acknowledgement", "fr")] == [1]


def test_saving_makes_a_new_version_with_author_comment_and_audit_entry(app, client):
    login(client, "admin")
    response = post_form(
        client,
        URL,
        {
            "subject": "Bien reçu : {{ reference }}",
            "body_text": "Bonjour {{ name }}, suivez-la ici : {{ tracking_url }}",
            "comment": "Plus court",
            "action": "save",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    page = text(response)
    assert "Version 2 saved" in page
    assert "Plus court" in page and "Ada Admin" in page  # the versions table
    with app.app_context():
        versions = message_templates.versions("acknowledgement", "fr")
        assert [(v.version, v.active) for v in versions] == [(2, True), (1, False)]
        assert versions[0].created_by.username == "admin"
        assert message_templates.render("acknowledgement", "fr", {"reference": "R"}).subject == (
            "Bien reçu : R"
        )
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.kind == "template_saved"))
        assert event.summary == "Message template acknowledgement (fr) version 2"
        assert {k: v for k, v in event.data.items() if k != "summary_i18n"} == {
            "kind": "acknowledgement",
            "language": "fr",
            "version": 2,
            "comment": "Plus court",
        }


def test_an_unknown_variable_is_refused_on_save_naming_it(app, client):
    login(client, "admin")
    response = post_form(
        client,
        URL,
        {"subject": "{{ reference }}", "body_text": "Bonjour {{ prenom }}", "action": "save"},
    )
    assert response.status_code == 422
    assert "Unknown variable 'prenom'" in text(response)
    with app.app_context():
        assert [v.version for v in message_templates.versions("acknowledgement", "fr")] == [1]


def test_a_template_that_would_swell_is_refused_on_save_naming_its_line(app, client):
    login(client, "admin")
    response = post_form(
        client,
        URL,
        {
            "subject": "{{ reference }}",
            "body_text": "Bonjour {{ name }},\n{{ name|center(50000000) }}",
            "action": "save",
        },
    )
    assert response.status_code == 422
    assert "Line 2 uses |center: a message template shows, tests and joins" in text(response)
    with app.app_context():
        assert [v.version for v in message_templates.versions("acknowledgement", "fr")] == [1]


def test_only_administrators_reach_the_templates(client):
    login(client, "manager")
    assert client.get("/admin/templates").status_code == 403
    assert client.get(URL).status_code == 403


def test_the_preview_shows_the_html_part_in_a_sandboxed_frame(client):
    login(client, "admin")
    response = post_form(
        client,
        URL,
        {
            "subject": "Bien reçu : {{ reference }}",
            "body_text": "Bonjour {{ name }}.",
            "body_html": '<p class="hello">Bonjour <b>{{ name }}</b></p><script>alert(1)</script>',
            "action": "preview",
        },
    )
    assert response.status_code == 200
    raw = response.get_data(as_text=True)
    frame = re.search(r"<iframe[^>]*>", raw).group(0)
    assert 'sandbox=""' in frame and "allow-scripts" not in frame
    document = html.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1))
    assert '<p class="hello">Bonjour <b>Aminata Diallo</b></p>' in document
    # The draft's markup lives only inside the frame's attribute, never in the page itself.
    assert "<script>alert(1)</script>" not in raw.replace(frame, "")


def test_the_default_preview_shows_the_html_made_from_the_text(app, client):
    """Its sample links are on the site's own address, as the messages sent carry."""
    app.config["PUBLIC_BASE_URL"] = "https://complaints.example.org"
    login(client, "admin")
    raw = client.get(URL).get_data(as_text=True)
    document = html.unescape(re.search(r'srcdoc="([^"]*)"', raw).group(1))
    assert "<p>Bonjour Aminata Diallo,</p>" in document
    assert '<a href="https://complaints.example.org/track/sample-token">' in document
    assert "localhost:5000" not in raw
    staff = text(client.get("/admin/templates/daily_digest/en"))
    assert "https://complaints.example.org/tasks/1" in staff  # a list of tasks' links too
    assert "https://complaints.example.org/inbox" in staff


def test_an_earlier_version_is_previewed_and_restored_as_a_new_version(app, client):
    login(client, "admin")
    post_form(
        client,
        URL,
        {"subject": "Reçu {{ reference }}", "body_text": "Court.", "action": "save"},
    )
    page = text(client.get(URL))
    assert "Restore this version" in page  # on version 1, not on version 2 (in use)
    assert f'action="{URL}/versions/2/restore"' not in page

    version_1 = text(client.get(f"{URL}?version=1"))
    assert "Version 1 on a sample complaint" in version_1
    assert "Votre réclamation C-2026-000042 a bien été reçue" in version_1

    response = post_form(client, f"{URL}/versions/1/restore", {}, form_url=URL)
    assert response.status_code == 302
    assert "Version 1 restored as version 3" in text(client.get(URL))
    with app.app_context():
        versions = message_templates.versions("acknowledgement", "fr")
        assert [(v.version, v.active) for v in versions] == [(3, True), (2, False), (1, False)]
        assert (versions[0].subject, versions[0].body_text) == (
            versions[2].subject,
            versions[2].body_text,
        )
        assert versions[0].comment == "Restored version 1"
        assert versions[0].created_by.username == "admin"
        assert message_templates.render("acknowledgement", "fr", {"reference": "R"}).subject == (
            "Votre réclamation R a bien été reçue"
        )
        event = db.session.scalar(
            db.select(AuditEvent).where(AuditEvent.kind == "template_restored")
        )
        assert event.actor.username == "admin"
        assert {k: v for k, v in event.data.items() if k != "summary_i18n"} == {
            "kind": "acknowledgement",
            "language": "fr",
            "version": 3,
            "restored": 1,
        }
    # The version in use cannot be "restored"; an unknown one does not exist.
    assert post_form(client, f"{URL}/versions/3/restore", {}, form_url=URL).status_code == 422
    assert post_form(client, f"{URL}/versions/9/restore", {}, form_url=URL).status_code == 404
    assert client.get(f"{URL}?version=9").status_code == 404


def test_only_administrators_restore_a_version(client):
    login(client, "manager")
    response = post_form(client, f"{URL}/versions/1/restore", {}, form_url="/inbox")
    assert response.status_code == 403


def test_a_french_administrator_is_told_what_is_wrong_in_french(app, client):
    login(client, "admin")
    french = {"Accept-Language": "fr"}
    unknown = post_form(
        client,
        URL,
        {"subject": "{{ reference }}", "body_text": "Bonjour {{ prenom }}", "action": "save"},
        headers=french,
    )
    assert unknown.status_code == 422
    said = "Variable inconnue «\u00a0prenom\u00a0». Ce message peut utiliser\u00a0:"
    assert said in text(unknown)
    broken = post_form(
        client,
        URL,
        {"subject": "{{ reference", "body_text": "Bonjour", "action": "preview"},
        headers=french,
    )
    assert broken.status_code == 422
    assert "Ce modèle ne peut pas être lu\u00a0:" in text(broken)


def test_a_french_template_is_previewed_on_french_sample_values(client):
    login(client, "admin")
    page = text(client.get("/admin/templates/delay_letter/fr"))
    assert "8 semaines" in page and "28 décembre 2026" in page
    assert "weeks" not in page and "December" not in page
    english = text(client.get("/admin/templates/delay_letter/en"))
    assert "8 weeks" in english and "28 December 2026" in english


DRAFT_URL = "/admin/templates/response_draft/fr"


def test_the_response_draft_is_edited_like_a_template_without_subject_or_html(client):
    login(client, "admin")
    assert "/admin/templates/response_draft/en" in text(client.get("/admin/templates"))
    page = text(client.get(DRAFT_URL))
    assert 'name="subject"' not in page and 'name="body_html"' not in page
    assert "<iframe" not in page and "preview-subject" not in page
    assert "Not a message: the draft a handler starts the letter from" in page
    # The shipped draft, previewed on the sample case in French.
    preview = re.search(r'<pre class="preview-text">(.*?)</pre>', page, re.S).group(1)
    assert preview.startswith("Bonjour Aminata Diallo,\n\nObjet\u00a0: votre réclamation ")
    assert "du 2 novembre 2026 concernant Lave-linge WM-300" in preview
    assert "Voici ce que nous avons constaté\u00a0: L'appareil a été endommagé" in preview
    assert "me contacter au +221 33 800 00 00" in preview


def test_a_saved_draft_is_what_the_handler_finds_in_the_letter_field(app, client):
    login(client, "admin")
    response = post_form(
        client,
        DRAFT_URL,
        {
            "body_text": "Madame, Monsieur,\n\n{% if product %}Au sujet de {{ product }}"
            "{% endif %} :\n\n[Notre réponse.]\n\n{{ handler_name }}\n",
            "comment": "Plus sobre",
            "action": "save",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200 and "Version 2 saved" in text(response)
    with app.app_context():
        complaint = j.file(language="fr")
        j.complete(complaint, "register_complaint")
        j.complete(complaint, "classify_complaint")
        task_id = j.open_task(complaint, "resolve_minor").id
        [saved] = [v for v in message_templates.versions("response_draft", "fr") if v.active]
        assert saved.subject == "" and saved.body_html is None
    handler = app.test_client()
    login(handler, "supervisor")
    page = text(handler.get(f"/tasks/{task_id}"))
    letter = re.search(r'<textarea[^>]*name="response_letter"[^>]*>(.*?)</textarea>', page, re.S)
    assert letter.group(1).strip("\r\n") == (
        "Madame, Monsieur,\n\nAu sujet de Washing machine WM-300 :\n\n[Notre réponse.]\n\n"
        "Samuel Supervisor"
    )
