"""The signed-in staff member chooses the emails they want."""

from __future__ import annotations

from services.db import db
from services.models import User
from tests import journeys as j
from tests.app.helpers import login, post_form


def flags(app, username: str) -> tuple[bool, bool]:
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == username))
        return user.notify_assignment, user.daily_digest


def test_staff_opt_in_and_out_of_assignment_emails_and_the_daily_digest(app, client):
    login(client, "supervisor")
    page = client.get("/account").get_data(as_text=True)
    assert "Email me when a task is assigned to me" in page
    assert "supervisor@example.org" in page
    assert flags(app, "supervisor") == (False, False)
    response = post_form(client, "/account", {"notify_assignment": "y", "daily_digest": "y"})
    assert response.status_code == 302
    assert flags(app, "supervisor") == (True, True)
    page = client.get("/account").get_data(as_text=True)
    assert "Your notification settings are saved." in page
    assert page.split('id="api-tokens"')[0].count("checked") == 2  # the notification boxes
    post_form(client, "/account", {"daily_digest": "y"})
    assert flags(app, "supervisor") == (False, True)


def test_the_settings_page_needs_a_sign_in(client):
    assert client.get("/account").status_code in (302, 401)


def phone_of(app, username: str) -> str:
    with app.app_context():
        return db.session.scalar(db.select(User.phone).where(User.username == username))


def test_staff_give_the_telephone_number_their_response_letters_state(app, client):
    # Seed 002 (TACTICS, "I'll put this right"): give the customer your name and phone number.
    with app.app_context():
        complaint = j.to_minor_resolution()
        task_id = j.open_task(complaint, "resolve_minor").id
    login(client, "supervisor")
    page = client.get("/account").get_data(as_text=True)
    assert "How complainants reach you" in page and "Your telephone number" in page
    draft = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "contact me at supervisor@example.org" in draft  # no number yet: the email
    response = post_form(
        client, "/account/phone", {"phone": " +221 33 800 12 34 "}, form_url="/account"
    )
    assert response.status_code == 302
    assert phone_of(app, "supervisor") == "+221 33 800 12 34"
    assert "Your telephone number is saved." in client.get("/account").get_data(as_text=True)
    draft = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "contact me on +221 33 800 12 34" in draft


def test_a_telephone_number_that_is_not_one_is_refused(app, client):
    login(client, "supervisor")
    response = post_form(client, "/account/phone", {"phone": "call me"}, form_url="/account")
    assert response.status_code == 422
    assert "Enter a telephone number" in response.get_data(as_text=True)
    assert phone_of(app, "supervisor") == ""
