"""The response letter drafted for the handler from the template."""

from __future__ import annotations

from datetime import date

import pytest

from services import letters, message_templates, workflows
from services.errors import InvalidInput
from tests import journeys as j


def test_draft_names_the_complainant_the_case_and_the_handler(app_context):
    complaint = j.to_minor_resolution()
    handler = j.user("supervisor")
    handler.phone = "+221 33 800 00 00"
    draft = letters.draft_response(
        complaint, workflows.case_data(complaint), handler, today=date(2026, 12, 1)
    )
    assert draft.startswith("Dear Aminata Diallo,")
    assert complaint.reference in draft
    assert letters.long_date(complaint.received_at) in draft
    assert "about Washing machine WM-300" in draft
    assert "on 2 November 2026" in draft  # the date of the event
    assert "contact me on +221 33 800 00 00" in draft
    assert draft.rstrip().endswith("Samuel Supervisor\n1 December 2026")
    assert "$" not in draft


def test_draft_for_an_anonymous_complainant_has_no_name(app_context):
    complaint = j.file(anonymous=True, preferred_contact="none", complainant_name="")
    draft = letters.draft_response(complaint, {}, j.user("focal"))
    assert draft.startswith("Dear Madam, Sir,")
    assert "Aminata" not in draft


def test_draft_quotes_the_investigation_findings_when_there_are_some(app_context):
    complaint = j.to_investigation()
    j.complete(complaint, "investigate_complaint")
    draft = letters.draft_response(
        complaint, workflows.case_data(complaint), j.user("investigator")
    )
    assert "The unit was damaged in transport." in draft
    assert "[What we found, and why it happened.]" not in draft
    assert "investigator@example.org" in draft  # no phone on file: the email address


def test_long_date_reads_like_a_letter():
    assert letters.long_date(date(2026, 3, 7)) == "7 March 2026"
    assert letters.long_date(None) == ""


# The draft as the template in processes/messages writes it (it was code until then): every
# word, space and line of it, in both languages.
DRAFT_EN = """\
Dear Aminata Diallo,

Re: your complaint {reference} of {received} about Washing machine WM-300

Thank you for telling us about the problem you met on 2 November 2026. We are sorry for the \
trouble it has caused you.

We have looked into it. What we found: The unit was damaged in transport.

[What we will do to put it right, and when.]

If you have any question about this response, please contact me on +221 33 800 00 00, quoting \
the reference {reference}.

Yours sincerely,

Ines Investigator
1 December 2026
"""

DRAFT_FR = """\
Madame, Monsieur,

Objet\u00a0: votre réclamation {reference} du {received}

Nous vous remercions de nous avoir signalé le problème rencontré. Nous regrettons les \
désagréments qu'il vous a causés.

[Ce que nous avons constaté, et pourquoi c'est arrivé.]

[Ce que nous allons faire pour y remédier, et quand.]

Pour toute question sur cette réponse, vous pouvez me contacter à l'adresse \
focal@example.org, en rappelant la référence {reference}.

Veuillez agréer nos salutations distinguées.

Fatou Focal Point
1er décembre 2026
"""


def test_the_english_draft_reads_word_for_word_as_the_template_writes_it(app_context):
    complaint = j.to_investigation()
    j.complete(complaint, "investigate_complaint")
    handler = j.user("investigator")
    handler.phone = "+221 33 800 00 00"
    draft = letters.draft_response(
        complaint, workflows.case_data(complaint), handler, today=date(2026, 12, 1)
    )
    received = letters.long_date(complaint.received_at)
    assert draft == DRAFT_EN.format(reference=complaint.reference, received=received)


def test_the_french_draft_for_an_anonymous_complainant_word_for_word(app_context):
    complaint = j.file(
        language="fr",
        anonymous=True,
        preferred_contact="none",
        complainant_name="",
        product_service=" ",
        event_date=None,
    )
    handler = j.user("focal")
    handler.phone = ""
    draft = letters.draft_response(complaint, {}, handler, today=date(2026, 12, 1))
    received = letters.long_date(complaint.received_at, "fr")
    assert draft == DRAFT_FR.format(reference=complaint.reference, received=received)


def test_the_draft_an_administrator_saved_is_the_one_handlers_start_from(app_context):
    complaint = j.file(language="fr")
    admin = j.user("admin")
    source = message_templates.Source(
        "", "Bonjour {{ name }},\n\nVotre réclamation {{ reference }}.\n\n[Notre réponse.]\n"
    )
    message_templates.save(admin, letters.DRAFT, "fr", source, "Plus court")
    draft = letters.draft_response(complaint, {}, j.user("focal"))
    reference = complaint.reference
    assert (
        draft == f"Bonjour Aminata Diallo,\n\nVotre réclamation {reference}.\n\n[Notre réponse.]\n"
    )
    # The English draft is untouched.
    english = letters.draft_response(j.file(), {}, j.user("focal"))
    assert english.startswith("Dear Aminata Diallo,\n\nRe: your complaint ")


def test_a_draft_naming_a_variable_it_does_not_have_is_refused(app_context):
    source = message_templates.Source("", "Dear {{ name }}, see {{ tracking_url }}.")
    with pytest.raises(InvalidInput, match="Unknown variable 'tracking_url'"):
        message_templates.save(j.user("admin"), letters.DRAFT, "en", source)


def test_the_draft_of_an_anonymous_complainant_never_holds_their_name(app_context):
    """Even a draft that shows {{ name }} outside its condition cannot name them."""
    complaint = j.file(anonymous=True, complainant_name="Aminata Diallo")
    source = message_templates.Source("", "To {{ name }}.\n")
    message_templates.save(j.user("admin"), letters.DRAFT, "en", source)
    assert letters.draft_response(complaint, {}, j.user("focal")) == "To .\n"
