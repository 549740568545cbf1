"""Escalation follows its target; the routing table's rows, one test each."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.db import db
from services.models import Task
from tests import journeys as j

pytestmark = pytest.mark.usefixtures("app_context")


def test_escalation_to_senior_management_goes_to_their_decision_then_resolution():
    complaint = j.escalated("senior_management")
    decision = j.open_task(complaint, "senior_management_decision")
    assert decision.role == "senior_management"
    assert j.open_names(complaint) == ["senior_management_decision"]
    done = j.complete(complaint, "senior_management_decision")
    assert done.completed_by.username == "senior"
    assert done.data["senior_decision"] == "remedy_authorised"
    assert j.open_names(complaint) == ["resolve_major"]


def test_escalation_to_the_police_records_the_referral_then_waits_for_the_outcome():
    complaint = j.escalated("police")
    referral = j.open_task(complaint, "refer_to_police")
    assert referral.role == "police_liaison"
    done = j.complete(complaint, "refer_to_police")
    assert done.data["police_service"] == "Commissariat central de Dakar"
    assert done.data["police_reference"] == "PV-2026-4411"
    assert done.data["police_referral_date"] is not None
    outcome = j.open_task(complaint, "record_police_outcome")
    assert outcome.role == "police_liaison"
    assert outcome.due_at is not None  # dueIn P30D: the answer is chased
    assert outcome.due_at - outcome.created_at == pytest.approx(
        timedelta(days=30), abs=timedelta(seconds=5)
    )
    j.complete(complaint, "record_police_outcome", police_outcome="no_further_action")
    assert j.open_names(complaint) == ["resolve_major"]


def test_escalation_to_legal_counsel_goes_to_legal_review():
    complaint = j.escalated("legal_counsel")
    assert j.open_names(complaint) == ["legal_review"]
    assert j.open_task(complaint, "legal_review").role == "legal_counsel"


def test_police_referral_without_its_reference_is_refused():
    complaint = j.escalated("police")
    with pytest.raises(Exception, match="correct the highlighted"):
        j.complete(complaint, "refer_to_police", police_reference="")
    db.session.rollback()
    assert j.open_names(complaint) == ["refer_to_police"]


# One case per row of processes/complaint_routing.dmn, in its (first-match) order, plus
# the boundaries of the financial threshold.
@pytest.mark.parametrize(
    ("answers", "route"),
    [
        ({"sensitive": True, "severity": "critical"}, "confidential"),  # rule_sensitive first
        ({"category": "gender_based_violence"}, "confidential"),  # rule_gender_based_violence
        ({"breach_of_law": True}, "major"),  # rule_breach_of_law
        ({"safety_issue": True}, "major"),  # rule_safety_issue
        ({"category": "safety"}, "major"),  # rule_safety_category: the category alone
        ({"severity": "high"}, "major"),  # rule_severity
        ({"severity": "critical"}, "major"),  # rule_severity
        ({"financial_impact": "1000.01"}, "major"),  # rule_financial_impact
        ({"financial_impact": "1000.00"}, "minor"),  # rule_otherwise
        ({"category": "billing", "severity": "medium"}, "minor"),  # rule_otherwise
    ],
)
def test_each_routing_row_routes_the_classified_complaint(answers, route):
    complaint = j.to_classification()
    j.complete(complaint, "classify_complaint", **answers)
    complaint = j.refreshed(complaint)
    assert complaint.route == route
    first = {"minor": "resolve_minor", "major": "investigate_complaint"}
    assert j.open_names(complaint) == [first.get(route, "record_consent")]
    if route == "confidential":
        rows = db.session.scalars(db.select(Task).where(Task.complaint_id == complaint.id))
        assert all(t.confidential for t in rows)
