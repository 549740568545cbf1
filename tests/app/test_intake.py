"""Staff intake: an intake agent records a complaint that came in by telephone, letter, etc."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from services.clock import as_utc
from services.db import db
from services.models import Attachment, Complaint, Task
from tests.app.helpers import login, post_form

PARIS = ZoneInfo("Europe/Paris")  # the demo calendar's zone
PHONE_CALL = {
    "channel": "phone",
    "received_at": f"{date.today() - timedelta(days=30):%Y-%m-%d}T09:30",  # within a year
    "complainant_name": "Moussa Ba",
    "phone": "+221 77 123 45 67",
    "preferred_contact": "phone",
    "product_service": "Prepaid mobile plan",
    "description": "My credit was taken twice for the same recharge last week.",
    "desired_remedy": "Give the credit back.",
    "consent_recorded": "y",
}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def complaints_count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Complaint.id)))


def test_intake_agent_finds_the_form_in_the_menu(client):
    login(client, "agent")
    page = client.get("/intake").get_data(as_text=True)
    assert 'href="/intake"' in page
    assert "New complaint (intake)" in page
    assert "Record a complaint" in page
    assert 'value="web"' not in page  # the web form files its own complaints


def test_other_staff_may_not_record_complaints(client):
    login(client, "supervisor")
    assert client.get("/intake").status_code == 403
    assert "New complaint (intake)" not in client.get("/auth/login").get_data(as_text=True)


def test_intake_needs_a_signed_in_user(client):
    response = client.get("/intake")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_agent_records_a_phone_complaint_and_gets_the_tracking_link(app, client):
    login(client, "agent")
    response = post_form(client, "/intake", PHONE_CALL)
    assert response.status_code == 302
    with app.app_context():
        complaint = db.session.scalar(db.select(Complaint))
        assert response.headers["Location"] == f"/complaints/{complaint.id}"
        assert complaint.channel == "phone"
        assert complaint.received_by.username == "agent"
        # Typed in the organisation's time (Europe/Paris), stored in UTC.
        local = datetime.fromisoformat(PHONE_CALL["received_at"]).replace(tzinfo=PARIS)
        assert as_utc(complaint.received_at) == local.astimezone(UTC)
        assert complaint.consent is True
        assert complaint.complainant_name == "Moussa Ba"
        reference = complaint.reference
        open_tasks = db.session.scalars(
            db.select(Task.name).where(Task.complaint_id == complaint.id, Task.status == "open")
        ).all()
        assert open_tasks == ["register_complaint"]
    with client.session_transaction() as session:
        (category, message) = session["_flashes"][0]
    assert reference in message
    assert "/track/" in message


def test_the_form_says_the_received_time_is_typed_in_the_organisations_zone(client):
    login(client, "agent")
    page = client.get("/intake").get_data(as_text=True)
    assert "Date and time in Europe/Paris; empty: now." in page
    assert "UTC" not in page  # it said "(times are UTC)" too, which they are not


def test_the_error_summary_follows_the_page_from_how_it_came_in_to_the_consent(app, client):
    login(client, "agent")
    form = {
        **PHONE_CALL,
        "channel": "",
        "complainant_name": "",
        "email": "not-an-address",
        "description": "Short",
    }
    response = post_form(client, "/intake", form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    summary, fields = page.split('class="error-summary"', 1)[1].split("</ul>", 1)
    targets = re.findall(r'<a href="#([a-z_]+)">', summary)
    assert targets == ["channel", "complainant_name", "email", "description"]
    assert targets == sorted(targets, key=lambda name: fields.index(f'id="{name}"'))
    assert complaints_count(app) == 0


def test_received_time_defaults_to_now(app, client):
    login(client, "agent")
    before = datetime.now(UTC)
    response = post_form(client, "/intake", {**PHONE_CALL, "received_at": ""})
    assert response.status_code == 302
    with app.app_context():
        assert as_utc(db.session.scalar(db.select(Complaint)).received_at) >= before


def test_bad_input_is_refused_and_nothing_is_recorded(app, client):
    login(client, "agent")
    response = post_form(
        client, "/intake", {**PHONE_CALL, "description": "", "received_at": "2099-01-01T10:00"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Describe what happened." in page
    assert "This cannot be in the future." in page
    assert 'value="Moussa Ba"' in page  # what was typed stays
    assert complaints_count(app) == 0


def test_web_is_not_a_channel_staff_can_choose(app, client):
    login(client, "agent")
    response = post_form(client, "/intake", {**PHONE_CALL, "channel": "web"})
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert complaints_count(app) == 0


def test_a_letter_scan_is_attached_by_the_agent(app, client):
    login(client, "agent")
    response = post_form(
        client,
        "/intake",
        {**PHONE_CALL, "channel": "letter", "attachments": (io.BytesIO(PNG), "letter.png")},
    )
    assert response.status_code == 302
    with app.app_context():
        attachment = db.session.scalar(db.select(Attachment))
        assert attachment.filename == "letter.png"
        assert attachment.uploaded_by.username == "agent"


def test_a_refused_file_records_nothing(app, client):
    login(client, "agent")
    response = post_form(
        client,
        "/intake",
        {**PHONE_CALL, "attachments": (io.BytesIO(b"MZ not a picture"), "virus.png")},
    )
    assert response.status_code == 422
    assert complaints_count(app) == 0


def test_the_agent_records_the_complainants_language(app, client):
    login(client, "agent")
    page = client.get("/intake").get_data(as_text=True)
    assert 'name="language"' in page and "Français" in page
    assert post_form(client, "/intake", {**PHONE_CALL, "language": "fr"}).status_code == 302
    assert post_form(client, "/intake", PHONE_CALL).status_code == 302  # empty: the page's
    with app.app_context():
        languages = db.session.scalars(db.select(Complaint.language).order_by(Complaint.id))
        assert languages.all() == ["fr", "en"]


def test_a_letter_recorded_without_a_preference_is_answered_by_letter(app, client):
    login(client, "agent")
    page = client.get("/intake").get_data(as_text=True)
    assert "The channel the complaint came in by (letter, email, telephone)" in page
    letter = {
        **PHONE_CALL,
        "channel": "letter",
        "email": "moussa@example.org",
        "postal_address": "5 avenue Cheikh Anta Diop, Dakar",
        "preferred_contact": "",
    }
    assert post_form(client, "/intake", letter).status_code == 302
    with app.app_context():
        complaint = db.session.scalar(db.select(Complaint))
        assert complaint.preferred_contact == "letter"
