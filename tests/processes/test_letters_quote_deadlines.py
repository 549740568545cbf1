"""The acknowledgement and the information request tell the complainant by when (seed 002:
"give times and be realistic; when you write, state the response times clearly"), read from
the procedure in force: the whole-case service level and the diagram's timer."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from services import notifications
from tests import journeys as j

pytestmark = pytest.mark.usefixtures("app_context")

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def monday_morning():
    """Complaints arrive on Monday 16 November 2026 at 10:00 in Paris."""
    with time_machine.travel(datetime(2026, 11, 16, 10, 0, tzinfo=PARIS), tick=True):
        yield


def sent(complaint, kind: str):
    j.write_messages()
    [message] = [n for n in notifications.for_complaint(complaint.id) if n.kind == kind]
    return message


def test_acknowledgement_gives_the_date_of_our_answer():
    complaint = j.to_classification()
    body = sent(complaint, "acknowledgement").body
    # The grievance preset's whole-case target: 45 calendar days from receipt.
    assert "we will send you our answer by 31 December 2026 at the latest" in body
    assert "16 November 2026" in body


def test_french_acknowledgement_gives_the_date_of_our_answer():
    complaint = j.to_classification(language="fr")
    body = sent(complaint, "acknowledgement").body
    assert "nous vous enverrons notre réponse au plus tard le 31 décembre 2026" in body


def test_information_request_gives_the_date_from_the_diagrams_timer():
    complaint = j.to_information_request()
    body = sent(complaint, "information_request").body
    # The timer "information_deadline" waits P14D: 30 November, not a fixed "14 days".
    assert "Please answer from your tracking page by 30 November 2026:" in body
    assert "14 days" not in body


def test_french_information_request_gives_the_date():
    complaint = j.to_information_request(language="fr")
    body = sent(complaint, "information_request").body
    asked = "Merci de répondre depuis votre page de suivi au plus tard le 30 novembre 2026\u00a0:"
    assert asked in body
