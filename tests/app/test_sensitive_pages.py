"""Sensitive complaints on the pages and the API: the flag at filing, confidentiality from the
first task, the contact preference default, and every opening of a confidential case recorded."""

from __future__ import annotations

import html
import io
from datetime import date

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from services.db import db
from services.models import Attachment, AuditEvent, Complaint, Referral, ServiceProvider, Task
from tests import journeys
from tests.app.api_helpers import API, bearer, issue_token
from tests.app.helpers import csrf_token, login, post_form
from tests.samples import PDF

GBV = {
    "complainant_name": "Awa Ndiaye",
    "email": "awa@example.org",
    "description": "Mon chef m'a agressée dans son bureau et menace de me licencier si je parle.",
    "sensitive_at_intake": "y",
    "attestation": "y",
}
OTHER_STAFF = (
    "agent",
    "supervisor",
    "investigator",
    "manager",
    "counsel",
    "senior",
    "police",
    "owner",
    "analyst",
    "admin",
)


def newest(app) -> Complaint:
    with app.app_context():
        complaint = db.session.scalars(db.select(Complaint).order_by(Complaint.id.desc())).first()
        db.session.expunge(complaint)
        return complaint


def task_ids(app, complaint_id: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(db.select(Task.id).where(Task.complaint_id == complaint_id)))


def openings(app, complaint_id: int) -> list[AuditEvent]:
    with app.app_context():
        events = list(
            db.session.scalars(
                db.select(AuditEvent)
                .where(
                    AuditEvent.complaint_id == complaint_id,
                    AuditEvent.kind == "confidential_opened",
                )
                .order_by(AuditEvent.id)
            )
        )
        for event in events:
            db.session.expunge(event)
        return events


def file_flagged(app, client) -> Complaint:
    response = post_form(client, "/complaints/new", GBV)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return newest(app)


def test_the_public_form_offers_the_flag_with_its_reassurance(client):
    page = client.get("/complaints/new").get_data(as_text=True)
    assert "This complaint concerns violence, abuse or harassment" in page
    assert "Only a specially trained person will read it" in page
    assert 'href="/how-we-handle-complaints"' in page


def test_a_flagged_public_complaint_is_invisible_to_every_other_role(app, client):
    complaint = file_flagged(app, client)
    assert (complaint.confidential, complaint.sensitive_at_intake) == (True, True)
    ids = task_ids(app, complaint.id)
    assert ids
    with app.app_context():
        assert all(db.session.get(Task, i).confidential for i in ids)
    runner = app.test_cli_runner()
    for username in OTHER_STAFF:
        staff = app.test_client()
        login(staff, username)
        inbox = staff.get("/inbox").get_data(as_text=True)
        assert complaint.reference not in inbox, username
        listing = staff.get("/complaints")
        assert complaint.reference not in listing.get_data(as_text=True), username
        # The process owner reads no complaint at all (403 for any id); readers get a 404.
        missing = 403 if username == "owner" else 404
        assert staff.get(f"/complaints/{complaint.id}").status_code == missing, username
        for task_id in ids:
            assert staff.get(f"/tasks/{task_id}").status_code == 404, username
        token = issue_token(runner, username)
        api = staff.get(f"{API}/complaints/{complaint.id}", headers=bearer(token))
        assert api.status_code == 404, username
        tasks = staff.get(f"{API}/tasks", headers=bearer(token)).get_json()
        assert complaint.reference not in str(tasks), username
    assert openings(app, complaint.id) == []  # nobody opened it


def test_the_focal_point_sees_it_and_each_opening_is_recorded(app, client):
    complaint = file_flagged(app, client)
    focal = app.test_client()
    login(focal, "focal")
    page = focal.get(f"/complaints/{complaint.id}")
    assert page.status_code == 200
    assert complaint.reference in page.get_data(as_text=True)
    assert complaint.reference in focal.get("/complaints").get_data(as_text=True)
    token = issue_token(app.test_cli_runner(), "focal")
    assert focal.get(f"{API}/complaints/{complaint.id}", headers=bearer(token)).status_code == 200
    events = openings(app, complaint.id)
    assert [(e.data["opened"], e.data["via"]) for e in events] == [
        ("complaint", "page"),
        ("complaint", "api"),
    ]
    assert {e.actor_label for e in events} == {"Fatou Focal Point"}
    assert not any(e.public for e in events)
    # The complainant's tracking page never shows who opened the case.
    with app.app_context():
        public_kinds = {
            e.kind
            for e in db.session.scalars(
                db.select(AuditEvent).where(
                    AuditEvent.complaint_id == complaint.id, AuditEvent.public.is_(True)
                )
            )
        }
    assert "confidential_opened" not in public_kinds


def test_opening_a_task_of_a_confidential_case_is_recorded_on_the_page_and_the_api(app, client):
    complaint = file_flagged(app, client)
    with app.app_context():
        # The procedure's first step for a flagged complaint is the focal point's.
        ids = [journeys.open_task(complaint, "record_consent").id]
    focal = app.test_client()
    login(focal, "focal")
    assert focal.get(f"/tasks/{ids[0]}").status_code == 200
    token = issue_token(app.test_cli_runner(), "focal")
    assert focal.get(f"{API}/tasks/{ids[0]}", headers=bearer(token)).status_code == 200
    events = openings(app, complaint.id)
    assert [e.data.get("task_id") for e in events] == [ids[0], ids[0]]
    opened = [(e.data["opened"], e.data["via"]) for e in events]
    assert opened == [("task", "page"), ("task", "api")]
    # The trail says what was opened in the reader's language, the task by its title.
    history = focal.get(f"/complaints/{complaint.id}", headers={"Accept-Language": "fr"})
    page = html.unescape(history.get_data(as_text=True))
    assert "Dossier confidentiel consulté" in page
    assert "La tâche Recueillir le consentement éclairé, par l'API" in page
    assert "Opened:" not in page and "(API)" not in page


def test_downloading_a_file_of_a_confidential_case_is_recorded(app, client):
    items = MultiDict(list(GBV.items()))
    items.add("csrf_token", csrf_token(client, "/complaints/new"))
    items.add("attachments", FileStorage(io.BytesIO(PDF), "certificat.pdf", "application/pdf"))
    boundary, body = encode_multipart(items)
    response = client.post(
        "/complaints/new", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 302
    complaint = newest(app)
    with app.app_context():
        attachment_id = db.session.scalar(
            db.select(Attachment.id).where(Attachment.complaint_id == complaint.id)
        )
    url = f"/complaints/{complaint.id}/attachments/{attachment_id}"
    supervisor = app.test_client()
    login(supervisor, "supervisor")
    assert supervisor.get(url).status_code == 404
    focal = app.test_client()
    login(focal, "focal")
    with focal.get(url) as download:
        assert download.status_code == 200 and download.data == PDF
    [opened] = openings(app, complaint.id)
    assert (opened.data["opened"], opened.data["name"]) == ("file", "certificat.pdf")


def test_an_ordinary_complaint_page_records_no_opening(app, client):
    post_form(client, "/complaints/new", {**GBV, "sensitive_at_intake": ""})
    complaint = newest(app)
    assert complaint.confidential is False
    supervisor = app.test_client()
    login(supervisor, "supervisor")
    assert supervisor.get(f"/complaints/{complaint.id}").status_code == 200
    assert openings(app, complaint.id) == []


def test_staff_intake_can_flag_a_complaint_which_then_leaves_the_agents_sight(app, client):
    login(client, "agent")
    page = client.get("/intake").get_data(as_text=True)
    assert "This complaint concerns violence, abuse or harassment" in page
    response = post_form(
        client,
        "/intake",
        {
            "channel": "phone",
            "complainant_name": "Khady Sarr",
            "phone": "+221 77 222 22 22",
            "description": "A colleague keeps harassing me with messages at night.",
            "sensitive_at_intake": "y",
            "consent_recorded": "y",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Only the confidential focal point can see this complaint" in response.get_data(
        as_text=True
    )
    complaint = newest(app)
    assert (complaint.confidential, complaint.sensitive_at_intake) == (True, True)
    assert complaint.preferred_contact == "phone"  # the first (only) detail given
    assert client.get(f"/complaints/{complaint.id}").status_code == 404


def test_the_api_files_a_flagged_complaint_as_confidential(app, client):
    response = client.post(
        f"{API}/complaints",
        json={
            "complainant_name": "Awa Ndiaye",
            "phone": "+221 77 000 00 00",
            "description": "Harcèlement sexuel répété par un agent au guichet.",
            "sensitive_at_intake": True,
            "attestation": True,
        },
    )
    assert response.status_code == 201, response.get_json()
    complaint = newest(app)
    assert (complaint.confidential, complaint.sensitive_at_intake) == (True, True)
    assert complaint.preferred_contact == "phone"


@pytest.mark.parametrize(
    ("details", "expected"),
    [
        ({"email": "a@example.org", "phone": "+221 77 000 00 00"}, "email"),
        ({"phone": "+221 77 000 00 00", "postal_address": "BP 1, Dakar"}, "phone"),
        ({"postal_address": "BP 1, Dakar"}, "letter"),
    ],
)
def test_the_public_form_contacts_the_first_detail_given_by_default(app, client, details, expected):
    form = {
        "complainant_name": "Moussa Ba",
        "description": "The delivery never came although I paid for it.",
        "attestation": "y",
        **details,
    }
    assert post_form(client, "/complaints/new", form).status_code == 302
    assert newest(app).preferred_contact == expected


def test_no_contact_only_when_chosen_on_the_form_and_the_api(app, client):
    form = {
        "complainant_name": "Moussa Ba",
        "email": "moussa@example.org",
        "preferred_contact": "none",
        "description": "The delivery never came although I paid for it.",
        "attestation": "y",
    }
    assert post_form(client, "/complaints/new", form).status_code == 302
    assert newest(app).preferred_contact == "none"
    api = {k: v for k, v in form.items() if k != "preferred_contact"} | {"attestation": True}
    assert client.post(f"{API}/complaints", json=api).status_code == 201
    assert newest(app).preferred_contact == "email"


def test_the_focal_point_records_consent_then_refers_on_the_task_pages(app, client):
    complaint = file_flagged(app, client)
    focal = app.test_client()
    login(focal, "focal")
    with app.app_context():
        consent_id = journeys.open_task(complaint, "record_consent").id
    page = focal.get(f"/tasks/{consent_id}").get_data(as_text=True)
    assert "Safe way to reach the complainant" in page
    response = post_form(
        focal,
        f"/tasks/{consent_id}",
        {
            "consent_to_action": "y",
            "consent_to_referral": "y",
            "safe_contact_method": "phone",
            "safe_contact_details": "+221 76 555 55 55",
            "safe_times": "Weekdays 10:00-12:00",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    stored = newest(app)
    assert (stored.safe_contact_method, stored.safe_contact) == ("phone", "+221 76 555 55 55")

    with app.app_context():
        referral_id = journeys.open_task(complaint, "refer_support").id
        provider = db.session.scalars(
            db.select(ServiceProvider).where(ServiceProvider.kind == "legal")
        ).one()
        provider_id, provider_name = provider.id, provider.name
    page = focal.get(f"/tasks/{referral_id}").get_data(as_text=True)
    assert f'<option value="{provider_id}">' in page
    token = issue_token(app.test_cli_runner(), "focal")
    detail = focal.get(f"{API}/tasks/{referral_id}", headers=bearer(token)).get_json()
    assert str(provider_id) in detail["payload_schema"]["properties"]["provider"]["enum"]
    assert html.escape(provider_name) in page
    refused = post_form(focal, f"/tasks/{referral_id}", {"provider": str(provider_id)})
    assert refused.status_code == 422
    errors = html.unescape(refused.get_data(as_text=True))
    assert "A referral needs the complainant's consent." in errors
    assert "Give the date of the referral." in errors
    response = post_form(
        focal,
        f"/tasks/{referral_id}",
        {
            "provider": str(provider_id),
            "referral_date": date.today().isoformat(),
            "consent_confirmed": "y",
            "referral_notes": "Appointment on Monday.",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        referral = db.session.scalars(db.select(Referral)).one()
        assert (referral.complaint_id, referral.provider_id) == (complaint.id, provider_id)
        assert (referral.referred_at, referral.consent) == (date.today(), True)
    detail = focal.get(f"/complaints/{complaint.id}").get_data(as_text=True)
    assert html.escape(provider_name) in detail
    assert "+221 76 555 55 55" in detail
