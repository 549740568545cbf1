"""The signed-in staff member chooses the emails they want."""

from __future__ import annotations

from services.db import db
from services.models import User
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
