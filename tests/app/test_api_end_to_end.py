"""A complaint driven through the procedure with the API alone, as an integrator would.

The complainant files and follows it with the tracking token in a header, answers an
information request, the survey, and asks for a review; staff tokens register, classify,
resolve, sign off and review it; the complaints list, the look-up by reference and the change
feed show what happened. Nothing here reads the database or calls a service: every step is an
HTTP request, and what is checked is what the answers say.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask.testing import FlaskClient, FlaskCliRunner

from tests import journeys
from tests.app.api_helpers import API, bearer, issue_token

COMPLAINT = {
    "complainant_name": "Aminata Diallo",
    "email": "aminata@example.org",
    "phone": "+221 77 000 00 00",
    "preferred_contact": "email",
    "product_service": "Washing machine WM-300",
    "purchase_date": "2026-01-10",
    "description": "The machine leaks water from the first wash and nobody answers.",
    "attestation": True,
}


def as_json(name: str, value: Any) -> Any:
    """A journey answer as a JSON client sends it: amounts as numbers, dates as ISO text."""
    if isinstance(value, date):
        return value.isoformat()
    return float(value) if name.endswith(("_impact", "_amount")) else value


def answers(form_key: str, **overrides: Any) -> dict[str, Any]:
    values = {**journeys.ANSWERS[form_key], **overrides}
    return {name: as_json(name, value) for name, value in values.items()}


class Staff:
    """Tokens of the demo staff, and the calls they make."""

    def __init__(self, client: FlaskClient, runner: FlaskCliRunner) -> None:
        self.client = client
        self.tokens = {who: issue_token(runner, who) for who in ("agent", "supervisor", "manager")}

    def get(self, who: str, path: str) -> dict[str, Any]:
        response = self.client.get(f"{API}{path}", headers=bearer(self.tokens[who]))
        assert response.status_code == 200, (path, response.json)
        return response.json

    def open_task(self, who: str, complaint_id: int, name: str) -> str:
        tasks = self.get(who, f"/complaints/{complaint_id}")["tasks"]
        found = [t["id"] for t in tasks if t["name"] == name and t["status"] == "open"]
        assert found, (name, [(t["name"], t["status"]) for t in tasks])
        return found[0]

    def complete(self, who: str, complaint_id: int, name: str, body: dict[str, Any]) -> dict:
        task_id = self.open_task(who, complaint_id, name)
        response = self.client.post(
            f"{API}/tasks/{task_id}/complete", json=body, headers=bearer(self.tokens[who])
        )
        assert response.status_code == 200, (name, response.json)
        return response.json


def tracking(client: FlaskClient, token: str) -> dict[str, Any]:
    response = client.get(f"{API}/tracking", headers={"X-Tracking-Token": token})
    assert response.status_code == 200, response.json
    return response.json


def test_a_complaint_from_filing_to_review_through_the_api_only(
    client: FlaskClient, runner: FlaskCliRunner
) -> None:
    staff = Staff(client, runner)

    # The complainant files, and follows it with the token in a header.
    filed = client.post(f"{API}/complaints", json=COMPLAINT)
    assert filed.status_code == 201, filed.json
    complaint_id, reference = filed.json["id"], filed.json["reference"]
    token = filed.json["tracking_token"]
    assert tracking(client, token)["status"] == "registration"

    # Registration finds the form incomplete: the complainant is asked, and answers.
    staff.complete(
        "agent",
        complaint_id,
        "register_complaint",
        answers(
            "register_complaint",
            registration_outcome="incomplete",
            form_complete=False,
            missing_information="Please send a copy of your invoice.",
        ),
    )
    assert tracking(client, token)["awaiting_information"] is True
    answered = client.post(
        f"{API}/tracking/information",
        json={"information_reply": "Invoice INV-2026-118, paid by card on 10 January."},
        headers={"X-Tracking-Token": token},
    )
    assert answered.status_code in (200, 202), answered.json
    assert tracking(client, token)["awaiting_information"] is False

    # Staff register, classify (minor), resolve and sign off.
    staff.complete("agent", complaint_id, "register_complaint", answers("register_complaint"))
    staff.complete("supervisor", complaint_id, "classify_complaint", answers("classify_complaint"))
    staff.complete("supervisor", complaint_id, "resolve_minor", answers("resolve_minor"))
    staff.complete("manager", complaint_id, "sign_off_minor", answers("sign_off"))
    status = tracking(client, token)
    assert status["status"] == "awaiting_feedback"
    assert status["review_until"]

    # The complainant answers the survey: the case is closed with its score.
    survey = client.post(
        f"{API}/tracking/survey",
        json={"score": 2, "comment": "Slow, but fixed."},
        headers={"X-Tracking-Token": token},
    )
    assert survey.status_code in (200, 202), survey.json
    detail = staff.get("manager", f"/complaints/by-reference/{reference}")
    assert detail["status"] == "closed"
    assert detail["satisfaction"]["score"] == 2

    # Integrators find it in the list of closed complaints and in the change feed.
    listed = staff.get("manager", f"/complaints?state=closed&reference={reference}")
    assert [c["reference"] for c in listed["complaints"]] == [reference]
    mine: list[str] = []
    cursor = 0
    while True:  # read the feed to its end, page by page, as a polling integrator does
        page = staff.get("manager", f"/events?after={cursor}&limit=100")
        mine += [e["type"] for e in page["events"] if e["data"]["complaint"]["id"] == complaint_id]
        if not page["events"]:
            break
        cursor = page["next"]
    for expected in ("complaint.filed", "task.created", "task.completed", "complaint.closed"):
        assert expected in mine, (expected, mine)

    # Not satisfied, the complainant asks for a review: a manager reviews the case.
    review = client.post(
        f"{API}/tracking/review",
        json={"review_reason": "The technician came three weeks late; I want that reviewed."},
        headers={"X-Tracking-Token": token},
    )
    assert review.status_code in (200, 202), review.json
    staff.complete("manager", complaint_id, "review_case", answers("review_case"))
    timeline = [step["step"] for step in tracking(client, token)["timeline"]]
    assert timeline[0] == "received" and len(timeline) > 3, timeline
