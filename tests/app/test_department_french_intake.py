"""The intake takes a department by its French name as well as by its English one, for the same
department (stored by its English name, the one complaints carry): the public form, staff
intake, POST /api/v1/complaints and POST /api/v1/complaints/intake, whose published schema
lists and describes both. Matching is exact, as the English name's is.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services import departments
from services.db import db
from services.models import Complaint, Department
from tests import journeys as j
from tests.app.api_helpers import API, bearer, issue_token
from tests.app.helpers import login, post_form

PUBLIC = {
    "complainant_name": "Aminata Diallo",
    "email": "aminata@example.org",
    "preferred_contact": "email",
    "description": "The machine leaks water from the first wash.",
    "attestation": "y",
}
API_PUBLIC = {**PUBLIC, "attestation": True}
RECEIVED = (datetime.now(UTC) - timedelta(days=21)).strftime("%Y-%m-%dT10:30")
PHONE_CALL = {
    "channel": "phone",
    "received_at": RECEIVED,
    "complainant_name": "Moussa Ba",
    "phone": "+221 77 123 45 67",
    "preferred_contact": "phone",
    "description": "My credit was taken twice for the same recharge last week.",
    "consent_recorded": True,
}


@pytest.fixture
def service(app) -> None:
    """Customer service (Service client), and Billing named alike in both languages."""
    with app.app_context():
        admin = j.user("admin")
        departments.add_department(admin, "Customer service", "Service client")
        departments.add_department(admin, "Billing", "Billing")
        db.session.commit()


def stored(app) -> list[str]:
    """The departments of the complaints filed, oldest first."""
    with app.app_context():
        return list(db.session.scalars(db.select(Complaint.department).order_by(Complaint.id)))


def test_the_public_form_takes_the_french_name(app, client, service):
    for name in ("Service client", "Customer service"):
        response = post_form(client, "/complaints/new", {**PUBLIC, "department": name})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert stored(app) == ["Customer service", "Customer service"]
    # Exactly, as the English name is: other spellings are not on the list.
    for name in ("service client", "customer service"):
        response = post_form(client, "/complaints/new", {**PUBLIC, "department": name})
        assert response.status_code == 422
    assert len(stored(app)) == 2


def test_staff_intake_takes_the_french_name(app, client, service):
    login(client, "agent")
    response = post_form(
        client, "/intake", {**PHONE_CALL, "consent_recorded": "y", "department": "Service client"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert stored(app) == ["Customer service"]


def test_the_api_files_a_complaint_named_by_its_french_name(app, client, service, runner):
    response = client.post(f"{API}/complaints", json={**API_PUBLIC, "department": "Service client"})
    assert response.status_code == 201, response.json
    response = client.post(f"{API}/complaints", json={**API_PUBLIC, "department": "Billing"})
    assert response.status_code == 201, response.json
    agent = bearer(issue_token(runner, "agent"))
    response = client.post(
        f"{API}/complaints/intake",
        json={**PHONE_CALL, "department": "Service client"},
        headers=agent,
    )
    assert response.status_code == 201, response.json
    assert stored(app) == ["Customer service", "Billing", "Customer service"]
    refused = client.post(f"{API}/complaints", json={**API_PUBLIC, "department": "Guichet"})
    assert refused.status_code == 422
    assert "department" in refused.json["errors"]


def test_a_department_renamed_in_french_is_taken_by_its_new_name_at_once(app, client, service):
    with app.app_context():
        department = db.session.scalar(
            db.select(Department).where(Department.name == "Customer service")
        )
        departments.rename_department(
            j.user("admin"), department.id, "Customer service", "Relation client"
        )
        db.session.commit()
    response = client.post(
        f"{API}/complaints", json={**API_PUBLIC, "department": "Relation client"}
    )
    assert response.status_code == 201, response.json
    old = client.post(f"{API}/complaints", json={**API_PUBLIC, "department": "Service client"})
    assert old.status_code == 422
    assert stored(app) == ["Customer service"]


def test_the_published_schema_lists_and_describes_both_names(app, client, service):
    document = client.get(f"{API}/openapi.json").json
    for form in ("ComplaintForm", "StaffIntakeForm", "StaffIntakeMultipart"):
        schema = document["components"]["schemas"][form]
        department = schema["properties"]["department"]
        assert {"Customer service", "Service client", "Billing"} <= set(department["enum"])
        assert department["enum"].count("Billing") == 1
        assert "French name" in department["description"]
