"""The case page in French in a real browser: the diagram names its lanes by role in words, the
history speaks French, and no English text of the interface shows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from services import letters, tracking, workflows
from services.db import db
from tests import journeys
from tests.browser.conftest import login, screenshot


@pytest.fixture
def french(open_page) -> Page:
    """A French browser."""
    return open_page(locale="fr-FR")


def test_case_page_in_french_names_lanes_and_history_in_words(app, live_server, french, tmp_path):
    with app.app_context():
        complaint = journeys.file(language="fr")
        journeys.complete(
            complaint,
            "register_complaint",
            registration_outcome="incomplete",
            form_complete=False,
            missing_information="Une photo du colis",
        )
        journeys.write_messages()
        tracking.reply_information(complaint, "Voici la photo.", upload_dir=tmp_path)
        db.session.commit()
        complaint_id = complaint.id
    login(french, live_server, "manager", then=None)
    french.goto(f"{live_server}/complaints/{complaint_id}")
    diagram = french.locator(".bpmn-diagram.diagram-ready")
    expect(diagram).to_be_visible()
    lanes = diagram.locator(".djs-element[data-element-id^='lane'] text, .bpmn-canvas text")
    texts = " ".join(lanes.all_text_contents())
    assert "Agent d'accueil" in texts and "Superviseur" in texts
    assert "intake_agent" not in texts and "supervisor" not in texts
    # Steps, gateways and flows in French too (bpmn-js breaks long names over lines).
    assert "Enregistrer" in texts and "Résultat de" in texts and "escalade" in texts
    assert "Traitement des réclamations" in texts
    for english in ("Complaint handling", "Register complaint", "Escalated?", "no escalation"):
        assert english not in texts, english
    history = french.locator("#history")
    expect(history).to_contain_text("Réclamation reçue · Formulaire web")
    expect(history).to_contain_text("Informations complémentaires demandées")
    expect(history).to_contain_text("Informations manquantes envoyées par le réclamant")
    for english in ("Complaint received", "More information requested", "information_received"):
        expect(history).not_to_contain_text(english)
    expect(french.locator("#history-title")).to_contain_text("Historique")
    screenshot(french, "case-page-fr")


def test_amounts_of_a_steps_data_read_in_french_numbers(app, live_server, french):
    """The sign-off's "resolution to sign off" and the history give the amount refunded as a
    French reader writes it (they printed "1250.5", the recorded text)."""
    with app.app_context():
        complaint = journeys.to_investigation()
        journeys.complete(complaint, "investigate_complaint")
        journeys.complete(complaint, "resolve_major", compensation_amount="1250.5")
        task_id = journeys.open_task(complaint, "sign_off_major").id
        complaint_id = complaint.id
    login(french, live_server, "manager", then=None)
    french.goto(f"{live_server}/tasks/{task_id}")
    context = french.locator("section.context")
    expect(context).to_contain_text("Montant remboursé ou versé")
    expect(context).to_contain_text("1\u202f250,50")
    expect(context).not_to_contain_text("1250.5")
    french.goto(f"{live_server}/complaints/{complaint_id}")
    history = french.locator("#history")
    expect(history).to_contain_text("1\u202f250,50")
    expect(history).to_contain_text("120,00")  # the classification's financial impact
    expect(history).not_to_contain_text("1250.5")
    expect(history).not_to_contain_text("120.00")


def test_the_presets_cite_their_rules_in_the_readers_language(live_server, french, page):
    """A preset's citations said "(24 hours or 1 business day)" on the French page and
    "(10 jours ouvrables)" on the English one."""
    login(french, live_server, "owner", then=None)
    french.goto(f"{live_server}/processes/presets")
    asic = french.locator("table.preset-targets", has_text="RG 271.56")
    expect(asic).to_contain_text("RG 271 (24 heures ou 1 jour ouvré)")
    expect(asic).to_contain_text("RG 271.56, tableau 2")
    expect(asic).not_to_contain_text("business day")
    expect(french.locator("table.preset-targets", has_text="2022-R-01")).to_contain_text(
        "2022-R-01 (10 jours ouvrables)"
    )
    login(page, live_server, "owner", then=None)
    page.goto(f"{live_server}/processes/presets")
    acpr = page.locator("table.preset-targets", has_text="2022-R-01")
    expect(acpr).to_contain_text("2022-R-01 (10 working days, Monday to Saturday)")
    expect(acpr).to_contain_text("2022-R-01 (2 months)")
    expect(acpr).not_to_contain_text("jours ouvrables")
    expect(page.locator("table.preset-targets", has_text="RG 271.56")).to_contain_text(
        "RG 271 (24 hours or 1 business day)"
    )


def test_labels_before_their_values_take_french_spacing(app, live_server, french):
    """The channels' "Par téléphone : …" (it printed "Par téléphone:", a colon the template
    wrote after the translated label)."""
    french.goto(f"{live_server}/how-we-handle-complaints")
    channels = french.locator("ul.channels")
    expect(channels).to_contain_text("Par téléphone\u00a0:")
    expect(channels).to_contain_text("Sur ce site\u00a0:")
    assert "Par téléphone:" not in channels.inner_text()


def _sign_off_of_the_drafted_letter(language: str) -> str:
    """A minor complaint resolved with the letter drafted for it (its [parts] written), waiting
    for its sign-off: the task's id."""
    complaint = journeys.to_classification(language=language)
    journeys.complete(complaint, "classify_complaint")
    handler = journeys.user("supervisor")
    draft = letters.draft_response(complaint, workflows.case_data(complaint), handler)
    written = re.sub(r"\[[^\]]*\]", "C'est fait." if language == "fr" else "Done.", draft)
    journeys.complete(complaint, "resolve_minor", response_letter=written)
    return journeys.open_task(complaint, "sign_off_minor").id


def test_the_sign_off_preview_states_the_subject_once(app, live_server, french, page):
    """The French preview read "Objet : Notre réponse à votre réclamation …" (the email's
    subject under a label) above the letter's own "Objet : votre réclamation … du …"; the
    English one "Subject: …" above "Re: …". A letter states its subject once, as its PDF does."""
    with app.app_context():
        french_task, english_task = map(_sign_off_of_the_drafted_letter, ("fr", "en"))
    login(french, live_server, "manager", then=None)
    french.goto(f"{live_server}/tasks/{french_task}")
    preview = french.locator("section.letter-preview")
    expect(preview).to_contain_text("Objet\u00a0: votre réclamation")
    text = preview.inner_text()
    assert text.count("Objet") == 1, text
    assert "Notre réponse à votre réclamation" not in text and "Objet:" not in text

    login(page, live_server, "manager", then=None)
    page.goto(f"{live_server}/tasks/{english_task}")
    preview = page.locator("section.letter-preview")
    expect(preview).to_contain_text("Re: your complaint")
    text = preview.inner_text()
    assert text.count("Re: your complaint") == 1, text
    assert "Subject" not in text and "Our response to your complaint" not in text


def test_the_letter_preview_names_its_language_in_the_readers_words(app, live_server, page):
    """An English reader was told the letter goes out "in Français"."""
    with app.app_context():
        complaint = journeys.to_classification(language="fr")
        journeys.complete(complaint, "classify_complaint")
        journeys.complete(complaint, "resolve_minor")
        task_id = journeys.open_task(complaint, "sign_off_minor").id
    login(page, live_server, "manager", then=None)
    page.goto(f"{live_server}/tasks/{task_id}")
    preview = page.locator("section.letter-preview")
    expect(preview).to_contain_text("if you approve now, in French:")
    expect(preview).not_to_contain_text("Français")
    page.get_by_role("button", name="Français").click()
    expect(page.locator("section.letter-preview")).to_contain_text("maintenant, en français")
