"""The response letter drafted for the handler from the template."""

from __future__ import annotations

from datetime import date

from services import letters, workflows
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
    assert letters.NO_EXPLANATION not in draft
    assert "investigator@example.org" in draft  # no phone on file: the email address


def test_long_date_reads_like_a_letter():
    assert letters.long_date(date(2026, 3, 7)) == "7 March 2026"
    assert letters.long_date(None) == ""
