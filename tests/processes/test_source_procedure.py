"""What the procedure's source texts ask of the shipped diagram and forms, checked on the real
engine: a major complaint may need the police after legal counsel's review, and a refund
or compensation granted on the minor path is recorded with its amount like a major one."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.db import db
from tests import journeys as j

pytestmark = pytest.mark.usefixtures("app_context")


def test_legal_counsel_recommending_a_police_report_sends_the_case_to_the_police_liaison():
    complaint = j.escalated("legal_counsel")
    j.complete(complaint, "legal_review", legal_action="police_report")
    referral = j.open_task(complaint, "refer_to_police")
    assert referral.role == "police_liaison"
    assert j.open_names(complaint) == ["refer_to_police"]
    j.complete(complaint, "refer_to_police")
    j.complete(complaint, "record_police_outcome", police_outcome="charges_brought")
    assert j.open_names(complaint) == ["resolve_major"]


@pytest.mark.parametrize("action", ["none", "settlement", "litigation"])
def test_other_legal_actions_go_straight_to_the_resolution(action):
    complaint = j.escalated("legal_counsel")
    j.complete(complaint, "legal_review", legal_action=action)
    assert j.open_names(complaint) == ["resolve_major"]


def test_a_minor_refund_is_recorded_with_its_amount():
    complaint = j.to_minor_resolution()
    j.complete(
        complaint, "resolve_minor", remedies=["refund", "apology"], compensation_amount="35.00"
    )
    assert j.refreshed(complaint).compensation_paid == Decimal("35.00")


def test_a_minor_refund_without_its_amount_is_refused():
    complaint = j.to_minor_resolution()
    with pytest.raises(Exception, match="correct the highlighted"):
        j.complete(complaint, "resolve_minor", remedies=["refund"])
    db.session.rollback()
    assert j.open_names(complaint) == ["resolve_minor"]
    assert j.refreshed(complaint).compensation_paid is None


def test_a_minor_repair_asks_no_amount():
    complaint = j.to_minor_resolution()
    j.complete(complaint, "resolve_minor", remedies=["repair"])
    assert j.open_names(complaint) == ["sign_off_minor"]
    assert j.refreshed(complaint).compensation_paid is None
