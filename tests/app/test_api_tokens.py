"""API tokens: named tokens with scopes and expiry, in the API, on the account page and in the
CLI; scope enforcement; service accounts; the legacy single token migrated."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import downgrade, upgrade

from services import users
from services.clock import utcnow
from services.db import db
from services.models import ApiToken, AuditEvent, Complaint, UserRole
from tests import journeys
from tests.app.api_helpers import API, bearer, file_complaint, issue_token, open_task_id, problem
from tests.app.helpers import login, post_form


def scoped_token(runner: FlaskCliRunner, username: str, scopes: str, name: str = "scoped") -> str:
    result = runner.invoke(args=["issue-token", username, "--name", name, "--scopes", scopes])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def tokens_of(app: Flask, username: str) -> list[ApiToken]:
    with app.app_context():
        user = users.by_username(username)
        rows = db.session.scalars(db.select(ApiToken).where(ApiToken.user_id == user.id))
        return [t for t in rows]


# --- the API -----------------------------------------------------------------------------------


def test_me_names_the_user_roles_and_the_token(client, runner):
    token = scoped_token(runner, "agent", "read,tasks", name="crm")
    body = client.get(f"{API}/me", headers=bearer(token)).json
    assert body["user"]["username"] == "agent"
    assert body["user"]["roles"] == ["intake_agent"]
    assert body["token"]["name"] == "crm"
    assert body["token"]["scopes"] == ["read", "tasks"]
    assert body["token"]["expires_at"] is None
    assert token.startswith(body["token"]["prefix"]) and len(body["token"]["prefix"]) == 10


def test_a_token_created_through_the_api_works_once_shown_and_is_listed(app, client, runner):
    master = issue_token(runner, "agent")
    response = client.post(
        f"{API}/tokens",
        json={"name": "CRM sync", "scopes": ["read"], "expires_in_days": 30},
        headers=bearer(master),
    )
    assert response.status_code == 201, response.json
    created = response.json
    secret = created["secret"]
    assert created["scopes"] == ["read"] and secret.startswith(created["prefix"])
    assert response.headers["Location"] == f"http://localhost{API}/tokens/{created['id']}"
    listed = client.get(f"{API}/tokens", headers=bearer(master)).json["tokens"]
    assert {t["name"] for t in listed} == {"cli", "CRM sync"}
    assert all("secret" not in t for t in listed)
    me = client.get(f"{API}/me", headers=bearer(secret)).json
    assert me["token"]["name"] == "CRM sync"
    # Expires in 30 days, in the organisation's zone as in UTC.
    with app.app_context():
        stored = db.session.get(ApiToken, created["id"])
        assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in (stored.prefix, stored.token_hash)
        left = stored.expires_at.replace(tzinfo=utcnow().tzinfo) - utcnow()
        assert timedelta(days=29, hours=23) < left <= timedelta(days=30)


def test_a_token_cannot_mint_a_stronger_one_nor_reuse_a_name(app, client, runner):
    worker = scoped_token(runner, "agent", "read,tasks", name="worker")
    stronger = client.post(
        f"{API}/tokens",
        json={"name": "more", "scopes": ["read", "intake"]},
        headers=bearer(worker),
    )
    assert stronger.status_code == 422
    assert stronger.json["errors"]["scopes"] == ["This token may only carry: read, tasks."]
    assert {t.name for t in tokens_of(app, "agent")} == {"worker"}
    same_name = client.post(
        f"{API}/tokens", json={"name": "worker", "scopes": ["read"]}, headers=bearer(worker)
    )
    assert same_name.status_code == 422
    assert same_name.json["errors"]["name"] == ["A token of this account already has this name."]


def test_a_read_only_token_neither_creates_nor_revokes_tokens(app, client, runner):
    full = issue_token(runner, "agent")
    full_id = client.get(f"{API}/me", headers=bearer(full)).json["token"]["id"]
    reader = scoped_token(runner, "agent", "read", name="reader")
    created = client.post(
        f"{API}/tokens",
        json={"name": "mine", "scopes": ["read"], "expires_in_days": 1},
        headers=bearer(reader),
    )
    body = problem(created, 403, "insufficient_scope")
    assert "tasks" in body["detail"]
    assert 'error="insufficient_scope", scope="tasks"' in created.headers["WWW-Authenticate"]
    revoked = client.delete(f"{API}/tokens/{full_id}", headers=bearer(reader))
    problem(revoked, 403, "insufficient_scope")
    assert 'scope="tasks"' in revoked.headers["WWW-Authenticate"]
    # Nothing written: the same two tokens, the full one still works, nothing audited.
    assert {t.name for t in tokens_of(app, "agent")} == {"cli", "reader"}
    assert client.get(f"{API}/me", headers=bearer(full)).status_code == 200
    with app.app_context():
        kinds = db.session.scalars(
            db.select(AuditEvent.kind).where(
                AuditEvent.kind.in_(["api_token_created", "api_token_revoked"])
            )
        ).all()
        assert kinds == []


def test_a_token_never_mints_one_that_outlives_it(app, client, runner):
    result = runner.invoke(
        args=[
            "issue-token",
            "agent",
            "--name",
            "day",
            "--scopes",
            "read,tasks",
            "--expires-days",
            "1",
        ]
    )
    assert result.exit_code == 0, result.output
    day = result.output.strip().splitlines()[-1]
    parent = client.get(f"{API}/me", headers=bearer(day)).json["token"]
    later = (utcnow() + timedelta(days=2)).isoformat()
    for extra, field in (
        ({"expires_in_days": 30}, "expires_in_days"),
        ({"expires_at": later}, "expires_at"),
    ):
        refused = client.post(
            f"{API}/tokens",
            json={"name": "longer", "scopes": ["read"], **extra},
            headers=bearer(day),
        )
        assert refused.status_code == 422, refused.json
        assert refused.json["errors"] == {
            field: ["A token cannot outlive the token that creates it."]
        }
    assert {t.name for t in tokens_of(app, "agent")} == {"day"}
    # Without an expiry, the new token expires with the one that made it.
    created = client.post(
        f"{API}/tokens", json={"name": "child", "scopes": ["read"]}, headers=bearer(day)
    )
    assert created.status_code == 201, created.json
    assert created.json["expires_at"] == parent["expires_at"]
    sooner = client.post(
        f"{API}/tokens",
        json={
            "name": "hour",
            "scopes": ["tasks"],
            "expires_at": (utcnow() + timedelta(hours=1)).isoformat(),
        },
        headers=bearer(day),
    )
    assert sooner.status_code == 201, sooner.json
    with app.app_context():
        stored = {t.name: t.expires_at for t in db.session.scalars(db.select(ApiToken))}
        assert stored["child"] == stored["day"]
        assert stored["hour"] < stored["day"]


def test_a_token_request_outside_the_schema_is_refused(client, runner):
    token = issue_token(runner, "agent")
    for body, field in (
        ({"name": "x", "scopes": ["write"]}, "scopes"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"scopes": ["read"]}, "name"),
        ({"name": "x", "scopes": ["read"], "colour": "red"}, "colour"),
        ({"name": "x", "scopes": ["read"], "expires_in_days": 0}, "expires_in_days"),
        ({"name": "x", "scopes": ["read"], "expires_at": "2000-01-01T00:00:00Z"}, "expires_at"),
        # Beyond datetime once in UTC (they were a 500).
        (
            {"name": "x", "scopes": ["read"], "expires_at": "9999-12-31T23:59:59-14:00"},
            "expires_at",
        ),
        (
            {"name": "x", "scopes": ["read"], "expires_at": "0001-01-01T00:00:00+14:00"},
            "expires_at",
        ),
    ):
        response = client.post(f"{API}/tokens", json=body, headers=bearer(token))
        assert response.status_code == 422, body
        assert field in response.json["errors"], (body, response.json)
    # Each says what is wrong with it (the first was "Give a date and time, ISO 8601."), and a
    # date without its time is not the schema's date-time (it was taken as midnight UTC).
    for expiry, message in (
        ("9999-12-31T23:59:59-05:00", "Give a time before the year 9999."),
        # Fits in UTC, but not in the organisation's time zone east of it: it was taken, and
        # the account page listing the token failed (a 500) until the token was revoked.
        ("9999-12-31T23:59:59+00:00", "Give a time before the year 9999."),
        ("0001-01-01T00:00:00+14:00", "Give a time in the future."),
        ("2030-12-01", "Give a date and time, ISO 8601."),
    ):
        body = {"name": "x", "scopes": ["read"], "expires_at": expiry}
        response = client.post(f"{API}/tokens", json=body, headers=bearer(token))
        assert response.json["errors"]["expires_at"] == [message], expiry


def test_a_refusal_by_the_schema_says_what_is_expected_in_the_readers_language(client, runner):
    # It said "Not accepted by the published schema (minLength)." and "(enum)".
    headers = {**bearer(issue_token(runner, "agent")), "Accept-Language": "fr"}
    response = client.post(
        f"{API}/tokens",
        json={"name": " ", "scopes": ["read", "root"], "expires_in_days": "90"},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json["errors"] == {
        "name": ["Ce champ est obligatoire."],
        "scopes": ["Choisissez parmi\u00a0: read, tasks, intake, admin."],
        "expires_in_days": ["Envoyez une valeur de type integer."],
    }
    english = {"Authorization": headers["Authorization"]}
    response = client.post(f"{API}/tokens", json={"name": "", "scopes": []}, headers=english)
    assert response.json["errors"] == {
        "name": ["This field is required."],
        "scopes": ["Choose at least one."],
    }


def test_a_revoked_tokens_id_is_never_given_to_another(client, runner):
    # On SQLite the next token took the revoked one's id, and a retried DELETE revoked it.
    headers = bearer(issue_token(runner, "manager"))
    first = client.post(
        f"{API}/tokens", json={"name": "first", "scopes": ["read"]}, headers=headers
    )
    assert client.delete(f"{API}/tokens/{first.json['id']}", headers=headers).status_code == 204
    second = client.post(
        f"{API}/tokens", json={"name": "second", "scopes": ["read"]}, headers=headers
    )
    assert second.json["id"] != first.json["id"]
    retried = client.delete(f"{API}/tokens/{first.json['id']}", headers=headers)
    assert problem(retried, 404, "not_found")
    assert client.get(f"{API}/me", headers=bearer(second.json["secret"])).status_code == 200


def test_the_admin_scope_is_refused_for_a_user_who_administers_nothing(client, runner):
    token = issue_token(runner, "agent")
    response = client.post(
        f"{API}/tokens", json={"name": "ops", "scopes": ["admin"]}, headers=bearer(token)
    )
    assert response.status_code == 422
    assert response.json["errors"]["scopes"] == ["This token may only carry: intake, read, tasks."]
    result = runner.invoke(args=["issue-token", "agent", "--scopes", "read,admin"])
    assert result.exit_code != 0
    # The CLI's default token carries every scope the user's roles allow, and no more.
    me = client.get(f"{API}/me", headers=bearer(token)).json
    assert me["token"]["scopes"] == ["read", "tasks", "intake"]
    owner = client.get(f"{API}/me", headers=bearer(issue_token(runner, "owner"))).json
    assert owner["token"]["scopes"] == ["read", "tasks", "intake", "admin"]


def test_revoked_and_expired_tokens_are_refused(app, client, runner):
    master = issue_token(runner, "agent")
    doomed = scoped_token(runner, "agent", "read", name="doomed")
    assert client.get(f"{API}/tasks", headers=bearer(doomed)).status_code == 200
    doomed_id = client.get(f"{API}/me", headers=bearer(doomed)).json["token"]["id"]
    assert client.delete(f"{API}/tokens/{doomed_id}", headers=bearer(master)).status_code == 204
    refused = client.get(f"{API}/tasks", headers=bearer(doomed))
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    assert client.delete(f"{API}/tokens/{doomed_id}", headers=bearer(master)).status_code == 404

    old = scoped_token(runner, "agent", "read", name="old")
    with app.app_context():
        token = db.session.scalar(db.select(ApiToken).where(ApiToken.name == "old"))
        token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert client.get(f"{API}/tasks", headers=bearer(old)).status_code == 401
    assert client.get(f"{API}/tasks", headers=bearer(master)).status_code == 200


def test_one_cannot_revoke_a_colleagues_token_but_an_administrator_can(client, runner):
    colleague = issue_token(runner, "supervisor")
    colleague_id = client.get(f"{API}/me", headers=bearer(colleague)).json["token"]["id"]
    agent = issue_token(runner, "agent")
    assert client.delete(f"{API}/tokens/{colleague_id}", headers=bearer(agent)).status_code == 404
    admin = issue_token(runner, "admin")
    assert client.delete(f"{API}/tokens/{colleague_id}", headers=bearer(admin)).status_code == 204
    assert client.get(f"{API}/me", headers=bearer(colleague)).status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(app, client, runner):
    token = issue_token(runner, "agent")
    assert client.get(f"{API}/tasks", headers=bearer(token)).status_code == 200
    (first,) = tokens_of(app, "agent")
    assert first.last_used_at is not None
    assert client.get(f"{API}/tasks", headers=bearer(token)).status_code == 200
    (second,) = tokens_of(app, "agent")
    assert second.last_used_at == first.last_used_at
    with app.app_context():
        stored = db.session.get(ApiToken, first.id)
        stored.last_used_at = utcnow() - timedelta(minutes=2)
        db.session.commit()
    client.get(f"{API}/tasks", headers=bearer(token))
    (third,) = tokens_of(app, "agent")
    assert third.last_used_at.replace(tzinfo=None) > first.last_used_at.replace(tzinfo=None)


# --- scopes ------------------------------------------------------------------------------------


def test_a_read_only_token_reads_but_cannot_take_or_complete_a_task(app, client, runner):
    complaint_id, _ = file_complaint(app)
    task_id = open_task_id(app, complaint_id, "register_complaint")
    reader = scoped_token(runner, "agent", "read")
    assert client.get(f"{API}/tasks/{task_id}", headers=bearer(reader)).status_code == 200
    for action in ("claim", "complete"):
        response = client.post(f"{API}/tasks/{task_id}/{action}", json={}, headers=bearer(reader))
        assert response.status_code == 403, action
        challenge = response.headers["WWW-Authenticate"]
        assert 'error="insufficient_scope"' in challenge and 'scope="tasks"' in challenge
    with app.app_context():
        task = journeys.open_task(db.session.get(Complaint, complaint_id), "register_complaint")
        assert task.assignee_id is None  # nothing happened
    worker = scoped_token(runner, "agent", "tasks", name="worker")
    claimed = client.post(f"{API}/tasks/{task_id}/claim", headers=bearer(worker))
    assert claimed.status_code == 200
    # A tasks-only token does not read.
    assert client.get(f"{API}/tasks", headers=bearer(worker)).status_code == 403


def test_a_token_never_grants_more_than_the_roles_of_its_user(app, client, runner):
    token = issue_token(runner, "owner")  # read, tasks, intake, admin
    with app.app_context():
        owner = users.by_username("owner")
        owner.roles.clear()
        owner.roles.append(UserRole(role="quality_analyst"))
        db.session.commit()
    me = client.get(f"{API}/me", headers=bearer(token)).json
    assert me["token"]["scopes"] == ["read", "tasks", "intake"]


# --- service accounts --------------------------------------------------------------------------


def test_an_administrator_creates_a_token_for_a_service_account(app, client, runner):
    result = runner.invoke(args=["create-service-account", "ci", "--roles", "process_owner"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        ci = users.by_username("ci")
        ci_id = ci.id
        assert ci.service_account and users.authenticate("ci", "anything at all") is None
    admin = issue_token(runner, "admin")
    response = client.post(
        f"{API}/tokens",
        json={"name": "deploy", "scopes": ["read", "admin"], "user_id": ci_id},
        headers=bearer(admin),
    )
    assert response.status_code == 201, response.json
    me = client.get(f"{API}/me", headers=bearer(response.json["secret"])).json
    assert me["user"]["username"] == "ci" and me["user"]["service_account"] is True
    assert me["token"]["scopes"] == ["read", "admin"]
    listed = client.get(f"{API}/tokens?user_id={ci_id}", headers=bearer(admin)).json["tokens"]
    assert [t["name"] for t in listed] == ["deploy"]
    # Not for a person's account, and not without the admin scope.
    agent_id = client.get(f"{API}/me", headers=bearer(issue_token(runner, "agent"))).json
    person = client.post(
        f"{API}/tokens",
        json={"name": "x", "scopes": ["read"], "user_id": agent_id["user"]["id"]},
        headers=bearer(admin),
    )
    assert person.status_code == 403
    worker = scoped_token(runner, "admin", "read,tasks", name="worker")
    unscoped = client.post(
        f"{API}/tokens",
        json={"name": "x", "scopes": ["read"], "user_id": ci_id},
        headers=bearer(worker),
    )
    assert unscoped.status_code == 403
    assert 'scope="admin"' in unscoped.headers["WWW-Authenticate"]


def test_issue_token_takes_a_name_scopes_and_expiry(app, runner):
    result = runner.invoke(
        args=[
            "issue-token",
            "agent",
            "--name",
            "nightly",
            "--scopes",
            "read",
            "--expires-days",
            "7",
        ]
    )
    assert result.exit_code == 0, result.output
    (token,) = tokens_of(app, "agent")
    assert (token.name, token.scopes) == ("nightly", "read")
    assert token.expires_at is not None


def test_deactivating_a_user_revokes_their_tokens(app, client, runner):
    token = issue_token(runner, "agent")
    with app.app_context():
        users.set_active(journeys.user("admin"), users.by_username("agent").id, False)
        db.session.commit()
    assert tokens_of(app, "agent") == []
    assert client.get(f"{API}/me", headers=bearer(token)).status_code == 401


# --- the legacy single token -------------------------------------------------------------------


def test_the_migration_keeps_a_users_single_token_working(app, client):
    secret = "legacy-token-from-before"
    with app.app_context():
        agent_id = users.by_username("agent").id
        db.session.remove()
        downgrade(revision="a13d00000004-1")
        db.session.execute(
            sa.text('UPDATE "user" SET api_token_hash = :digest WHERE id = :id'),
            {"digest": hashlib.sha256(secret.encode()).hexdigest(), "id": agent_id},
        )
        db.session.commit()
        db.session.remove()
        upgrade()
    (token,) = tokens_of(app, "agent")
    assert (token.name, token.scopes) == ("legacy", "read tasks intake admin")
    me = client.get(f"{API}/me", headers=bearer(secret)).json
    assert me["user"]["username"] == "agent"
    assert me["token"]["scopes"] == ["read", "tasks", "intake"]  # no admin: agent's roles


# --- the account page --------------------------------------------------------------------------


def test_staff_create_list_and_revoke_tokens_on_the_account_page(app, client: FlaskClient):
    login(client, "agent")
    page = client.get("/account").get_data(as_text=True)
    assert "You have no token yet." in page
    assert 'value="admin"' not in page  # the agent administers nothing
    response = post_form(
        client,
        "/account/tokens",
        [
            ("name", "Call centre"),
            ("scopes", "read"),
            ("scopes", "tasks"),
            ("expires_in_days", "30"),
        ],
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    html = response.get_data(as_text=True)
    secret = re.search(r'<code id="api-token">([^<]+)</code>', html)[1]
    me = client.get(f"{API}/me", headers=bearer(secret)).json
    assert me["token"]["name"] == "Call centre" and me["token"]["scopes"] == ["read", "tasks"]
    again = client.get("/account").get_data(as_text=True)
    assert "Call centre" in again and secret not in again and secret[:10] in again
    (token,) = tokens_of(app, "agent")
    revoked = post_form(client, f"/account/tokens/{token.id}/revoke", {}, form_url="/account")
    assert revoked.status_code == 302
    assert tokens_of(app, "agent") == []
    assert client.get(f"{API}/me", headers=bearer(secret)).status_code == 401


def test_the_account_page_refuses_a_token_without_name_or_scope(app, client):
    login(client, "agent")
    response = post_form(client, "/account/tokens", {"name": " ", "expires_in_days": "7"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Give the token a name." in html and "Tick at least one scope." in html
    assert tokens_of(app, "agent") == []


def test_token_forms_need_csrf_and_a_sign_in(app, client):
    client.post("/account/tokens", data={"name": "x", "scopes": "read"})
    login(client, "agent")
    assert client.post("/account/tokens", data={"name": "x", "scopes": "read"}).status_code == 400
    assert tokens_of(app, "agent") == []
    assert client.get("/auth/token").headers["Location"].endswith("/account#api-tokens")


def test_one_cannot_revoke_a_colleagues_token_on_the_page(app, client, runner):
    issue_token(runner, "supervisor")
    (token,) = tokens_of(app, "supervisor")
    login(client, "agent")
    response = post_form(client, f"/account/tokens/{token.id}/revoke", {}, form_url="/account")
    assert response.status_code == 404
    assert len(tokens_of(app, "supervisor")) == 1


def test_the_account_page_is_in_french(client):
    login(client, "agent")
    page = client.get("/account", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Jetons d'API" in page and "Créer le jeton" in page


def test_revoking_a_leaked_token_revokes_what_it_minted(app, client, runner):
    leaked = scoped_token(runner, "agent", "read,tasks", "leaked")
    minted = client.post(
        f"{API}/tokens",
        json={"name": "minted", "scopes": ["read", "tasks"]},
        headers=bearer(leaked),
    )
    assert minted.status_code == 201, minted.json
    grandchild = client.post(
        f"{API}/tokens",
        json={"name": "grandchild", "scopes": ["read"]},
        headers=bearer(minted.json["secret"]),
    )
    assert grandchild.status_code == 201, grandchild.json
    other = scoped_token(runner, "agent", "read,tasks", "other")  # issued apart: stays
    assert {t.name for t in tokens_of(app, "agent")} == {"leaked", "minted", "grandchild", "other"}
    leaked_id = client.get(f"{API}/me", headers=bearer(leaked)).json["token"]["id"]
    assert client.delete(f"{API}/tokens/{leaked_id}", headers=bearer(other)).status_code == 204
    assert {t.name for t in tokens_of(app, "agent")} == {"other"}
    for secret in (leaked, minted.json["secret"], grandchild.json["secret"]):
        assert client.get(f"{API}/me", headers=bearer(secret)).status_code == 401
    with app.app_context():
        revoked = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.kind == "api_token_revoked")
        ).all()
        assert [len(event.data["minted"]) for event in revoked] == [2]
