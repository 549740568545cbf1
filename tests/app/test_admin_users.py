"""Administration of users: invitation by email, password reset, deactivation, clearance."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from app.delivery_cli import deliver_once
from services import departments, invitations, users
from services.db import db
from services.models import AuditEvent, Notification, User, UserToken
from tests import journeys
from tests.app.helpers import login, post_form
from tests.services.test_delivery import settings_for

LINK_RE = re.compile(r"http://localhost:5000(/auth/password/[\w-]+)")
NEW_PASSWORD = "correct horse battery staple"


def _user(app, username: str) -> User:
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == username))
        assert user is not None
        db.session.expunge(user)
        return user


def _events(app, kind: str) -> list[AuditEvent]:
    with app.app_context():
        rows = list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.kind == kind)))
        for row in rows:
            db.session.expunge(row)
        return rows


def _deliver(app, smtp_server) -> list:
    with app.app_context():
        deliver_once(settings_for(app, smtp_server))
    return smtp_server.messages


def _link_in(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = LINK_RE.search(text)
    assert match, text
    return match.group(1)


def _reset_rows(app) -> tuple[int, int]:
    """The reset links and reset emails there are."""
    with app.app_context():
        tokens = db.session.scalar(
            db.select(db.func.count()).select_from(UserToken).where(UserToken.purpose == "reset")
        )
        mails = db.session.scalar(
            db.select(db.func.count())
            .select_from(Notification)
            .where(Notification.kind == "password_reset")
        )
        return tokens, mails


def _header_names(response) -> list[str]:
    return sorted(name.lower() for name, _ in response.headers if name.lower() != "date")


def test_an_invited_user_gets_the_email_sets_a_password_and_signs_in(app, client, smtp_server):
    login(client, "admin")
    with app.app_context():
        team_id = departments.add_team(journeys.user("admin"), "Front desk", None).id
        db.session.commit()
    response = post_form(
        client,
        "/admin/users/new",
        {
            "username": "nadia",
            "name": "Nadia Newcomer",
            "email": "nadia@example.org",
            "roles": ["supervisor", "intake_agent"],
            "teams": [str(team_id)],
            "how": "invite",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.location).get_data(as_text=True)
    assert "an invitation was sent to nadia@example.org" in page

    [message] = _deliver(app, smtp_server)
    assert message["To"] == "nadia@example.org"
    assert message["Subject"] == "Your complaintflow account"
    link = _link_in(message)

    other = app.test_client()
    form = other.get(link)
    assert form.status_code == 200 and "Welcome, Nadia Newcomer" in form.get_data(as_text=True)
    assert form.headers["Cache-Control"] == "private, no-store"
    refused = post_form(other, link, {"password": "nadia", "confirm": "nadia"})
    assert refused.status_code == 422
    assert "at least 12 characters" in refused.get_data(as_text=True)
    done = post_form(other, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.location.endswith("/auth/login")

    signed_in = post_form(other, "/auth/login", {"username": "nadia", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302
    assert "Nadia Newcomer" in other.get("/inbox").get_data(as_text=True)
    # The link worked once.
    assert app.test_client().get(link).status_code == 404
    with app.app_context():
        nadia = users.by_username("nadia")
        assert nadia.role_names == {"supervisor", "intake_agent"}
        assert [t.name for t in departments.teams_of(nadia)] == ["Front desk"]
    [created] = _events(app, "user_created")
    assert created.complaint_id is None and created.data["username"] == "nadia"
    assert _events(app, "user_invited")[0].actor_label == "Ada Admin"
    assert _events(app, "password_set")[0].data["purpose"] == "invite"


def test_forgot_password_sends_a_reset_link_without_telling_whether_the_account_exists(
    app, client, smtp_server
):
    # Two browsers, each on its first visit (the first response of a visit sets the cookie).
    unknown = post_form(client, "/auth/forgot", {"identifier": "nobody@example.org"})
    known = post_form(app.test_client(), "/auth/forgot", {"identifier": "supervisor@example.org"})
    assert unknown.status_code == known.status_code == 200

    # The same page either way (the forms' CSRF tokens carry the second they were made)...
    def page(response):
        token = r'name="csrf[_-]token" (?:value|content)="[^"]*"'  # the forms' and the meta's
        return re.sub(token, "", response.get_data(as_text=True))

    assert page(unknown) == page(known)
    assert _header_names(unknown) == _header_names(known)
    # ... answered before the account is even looked up: the work waits for the answer to be
    # sent (the server closes the response), so it cannot make the answer slower.
    assert _reset_rows(app) == (0, 0)
    unknown.close()
    known.close()
    assert _reset_rows(app) == (1, 1)

    [message] = _deliver(app, smtp_server)
    assert message["To"] == "supervisor@example.org"
    link = _link_in(message)
    done = post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert (
        post_form(client, "/auth/login", {"username": "supervisor", "password": NEW_PASSWORD})
    ).status_code == 302
    assert _events(app, "password_reset_sent")[0].actor_label == "system"


def test_a_reset_link_expires_and_a_newer_one_replaces_it(app, app_context):
    supervisor = journeys.user("supervisor")
    first = invitations.issue(supervisor, invitations.RESET)
    second = invitations.issue(supervisor, invitations.RESET)
    assert invitations.find(first) is None and invitations.find(second) is not None
    row = db.session.scalar(db.select(UserToken).where(UserToken.used_at.is_(None)))
    later = row.expires_at
    assert invitations.find(second, now=later) is None
    assert len(row.token_hash) == 64 and second not in row.token_hash  # only the hash is kept


def test_the_password_rules_favour_length_and_refuse_the_obvious(app, app_context):
    assert users.password_problem("short") is not None
    assert users.password_problem("x" * 129) is not None
    assert users.password_problem("password1234") == "This password is too common; choose another."
    assert users.password_problem("samuel-is-my-name", username="samuel") is not None
    assert users.password_problem("sam@example.org", email="sam@example.org") is not None
    assert users.password_problem("aaaaaaaaaaaaaaa") is not None
    assert users.password_problem("tulips in the rain") is None  # no digit or symbol needed
    assert users.password_problem("é" * 6 + "日本語のパスワード") is None


def test_deactivating_a_user_ends_their_session_and_refuses_sign_in(app, client):
    supervisor = app.test_client()
    login(supervisor, "supervisor")
    assert supervisor.get("/inbox").status_code == 200
    target = _user(app, "supervisor")

    login(client, "admin")
    response = post_form(
        client,
        f"/admin/users/{target.id}/active",
        {"active": "0"},
        form_url=f"/admin/users/{target.id}",
    )
    assert response.status_code == 302
    assert "deactivated and signed out everywhere" in client.get(response.location).get_data(
        as_text=True
    )

    assert supervisor.get("/inbox").status_code == 302  # back to the sign-in page
    refused = post_form(
        app.test_client(), "/auth/login", {"username": "supervisor", "password": "demo-password"}
    )
    assert refused.status_code == 422
    deactivated = _events(app, "user_deactivated")[0]
    assert deactivated.data["user_id"] == target.id
    assert deactivated.summary == "User deactivated: supervisor"


def test_an_administrator_cannot_deactivate_themselves(app, client):
    login(client, "admin")
    admin = _user(app, "admin")
    response = post_form(
        client, f"/admin/users/{admin.id}/active", {"active": "0"}, form_url="/admin/users"
    )
    assert response.status_code == 302
    assert _user(app, "admin").active


def test_confidential_clearance_lets_a_non_focal_point_see_a_confidential_complaint(app, client):
    with app.app_context():
        complaint = journeys.to_classification()
        complaint.confidential = True
        db.session.commit()
        complaint_id = complaint.id
    manager = app.test_client()
    login(manager, "manager")
    assert manager.get(f"/complaints/{complaint_id}").status_code == 404

    target = _user(app, "manager")
    login(client, "admin")
    response = post_form(
        client,
        f"/admin/users/{target.id}",
        {
            "name": target.name,
            "email": target.email,
            "roles": ["manager"],
            "confidential_clearance": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    # Changing someone's rights ends their sessions: they sign in again with the new ones.
    assert manager.get(f"/complaints/{complaint_id}").status_code == 302
    login(manager, "manager")
    assert manager.get(f"/complaints/{complaint_id}").status_code == 200
    [event] = _events(app, "user_changed")
    assert event.data["changes"]["confidential_clearance"] == [False, True]


def test_an_administrator_edits_roles_and_the_change_is_audited(app, client):
    target = _user(app, "agent")
    login(client, "admin")
    response = post_form(
        client,
        f"/admin/users/{target.id}",
        {
            "name": "Awa Intake",
            "email": "agent@example.org",
            "roles": ["intake_agent", "supervisor"],
        },
    )
    assert response.status_code == 302
    assert _user(app, "agent").role_names == {"intake_agent", "supervisor"}
    [event] = _events(app, "user_changed")
    assert event.data["changes"]["roles"] == [["intake_agent"], ["intake_agent", "supervisor"]]


def test_a_new_user_with_a_weak_password_gets_the_error_summary(app, client):
    login(client, "admin")
    response = post_form(
        client,
        "/admin/users/new",
        {
            "username": "weak",
            "name": "Weak Password",
            "roles": ["supervisor"],
            "how": "password",
            "password": "password1234",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="error-summary"' in page and "too common" in page
    with app.app_context():
        assert users.by_username("weak") is None


def test_the_user_list_filters_by_role_and_search(app, client):
    login(client, "admin")
    page = client.get("/admin/users?role=manager").get_data(as_text=True)
    assert "Marie Manager" in page and "Awa Intake" not in page
    page = client.get("/admin/users?q=awa").get_data(as_text=True)
    assert "Awa Intake" in page and "Marie Manager" not in page


@pytest.mark.parametrize("username", ["manager", "supervisor", "owner"])
def test_only_administrators_reach_the_user_pages(app, client, username):
    login(client, username)
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin").status_code == 403
    assert client.get("/admin/departments").status_code == 403
    assert client.get("/admin/organisation").status_code == 403


@pytest.mark.parametrize("language", ["en", "fr"])
def test_each_user_page_shows_in_both_languages(app, client, language):
    login(client, "admin")
    post_form(client, f"/lang/{language}", {}, form_url="/admin")
    target = _user(app, "manager")
    for url in ("/admin", "/admin/users", "/admin/users/new", f"/admin/users/{target.id}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{language}">' in response.get_data(as_text=True)


@pytest.fixture
def breach_range_api() -> Iterator[dict[str, Any]]:
    """A local Pwned-Passwords-style range API: GET /range/<5 hex> -> "SUFFIX:COUNT" lines."""
    known = hashlib.sha1(b"tulips in the rain", usedforsecurity=False).hexdigest().upper()
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            prefix = self.path.rsplit("/", 1)[-1]
            asked.append(prefix)
            lines = ["0018A45C4D1DEF81644B54AB7F969B88D65:0"]  # padding, as the real API adds
            if known.startswith(prefix):
                lines.append(f"{known[5:]}:1234")
            data = "\r\n".join(lines).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Quiet."""

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{httpd.server_address[1]}/range", "asked": asked}
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_the_optional_breach_check_refuses_a_breached_password(app, client, breach_range_api):
    with app.app_context():
        token = invitations.issue(journeys.user("supervisor"), invitations.RESET)
        db.session.commit()
    link = f"/auth/password/{token}"
    # Off by default: the same password is accepted without asking anyone.
    with app.app_context():
        assert users.password_problem("tulips in the rain") is None
    app.config["PWNED_PASSWORDS_URL"] = breach_range_api["url"]
    refused = post_form(
        client, link, {"password": "tulips in the rain", "confirm": "tulips in the rain"}
    )
    assert refused.status_code == 422
    assert "appeared in a data breach" in refused.get_data(as_text=True)
    # Only the first five characters of the SHA-1 left the server.
    assert [len(prefix) for prefix in breach_range_api["asked"]] == [5]
    done = post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302


def test_an_unreachable_breach_service_does_not_block_the_password(app, app_context):
    from tests.servers import free_port

    assert users.breached("tulips in the rain", f"http://127.0.0.1:{free_port()}/range", 1) is None
    users.check_password(
        "tulips in the rain", breach_url=f"http://127.0.0.1:{free_port()}/range"
    )  # no exception


def test_a_reset_link_sent_to_an_old_address_stops_when_the_email_changes(app, client, smtp_server):
    post_form(client, "/auth/forgot", {"identifier": "supervisor@example.org"}).close()
    [message] = _deliver(app, smtp_server)
    link = _link_in(message)
    target = _user(app, "supervisor")
    admin = app.test_client()
    login(admin, "admin")
    page = admin.get(f"/admin/users/{target.id}").get_data(as_text=True)
    teams = re.findall(r'name="teams" value="(\d+)"[^>]*checked', page)
    changed = post_form(
        admin,
        f"/admin/users/{target.id}",
        {
            "name": target.name,
            "email": "samuel.new@example.org",
            "roles": sorted(target.role_names),
            "teams": teams,
        },
    )
    assert changed.status_code == 302, changed.get_data(as_text=True)[:3000]
    assert _user(app, "supervisor").email == "samuel.new@example.org"
    assert client.get(link).status_code == 404  # the page says the link has expired
    with app.app_context():
        assert (
            db.session.scalar(
                db.select(UserToken).where(
                    UserToken.user_id == target.id, UserToken.used_at.is_(None)
                )
            )
            is None
        )
