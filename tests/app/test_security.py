"""Open redirects, security headers, cookies, trusted hosts, proxies, rate-limit storage and
the tracking token kept out of the session cookie."""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import redis
from flask import Flask

from app import create_app
from app.redirects import safe_next
from services import users
from services.db import db
from services.models import AuditEvent, Complaint, Task
from tests import journeys as j
from tests.app.api_helpers import API, bearer, issue_token
from tests.app.helpers import csrf_token, login, post_form
from tests.app.test_inbox import listed
from tests.app.test_public import FORM, LINK_RE

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
EVIL = "evil.example"
# Each is read by some browser (or by a server decoding once more) as another site, or is
# not a path at all.
BYPASSES = [
    f"//{EVIL}",
    f"///{EVIL}",
    f"////{EVIL}",
    f"/\\{EVIL}",
    f"\\\\{EVIL}",
    f"\\/{EVIL}",
    f"/\t/{EVIL}",
    f"/\n/{EVIL}",
    f"/\r\n/{EVIL}",
    f"/\x0b/{EVIL}",
    f"/ /{EVIL}",
    f"\x00//{EVIL}",
    f"/\x00/{EVIL}",
    f" //{EVIL}",
    f"\t//{EVIL}",
    f"\u3000//{EVIL}",
    f"\u00a0//{EVIL}",
    f"/%09/{EVIL}",
    f"/%2F%2F{EVIL}",
    f"/%2f/{EVIL}",
    f"/%5C{EVIL}",
    f"/%5c%5c{EVIL}",
    f"https://{EVIL}",
    f"https:{EVIL}",
    f"http:/{EVIL}",
    f"HTTPS://{EVIL}",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "/javascript:alert(1)//x:\\",
    "data:text/html,<script>alert(1)</script>",
    f"\uff0f\uff0f{EVIL}",
    f"/\uff0f{EVIL}",
    f"\u2215\u2215{EVIL}",
    EVIL,
    f"@{EVIL}",
    f".//{EVIL}",
    "",
]
SAFE = ["/inbox?scope=mine", "/complaints/12", "/auth/login", "/inbox?q=caf%C3%A9&page=2"]


def where_to(response) -> tuple[int, str | None]:
    return response.status_code, response.headers.get("Location")


def expected(target: str, default: str) -> tuple[int, str | None]:
    # A NUL character anywhere in the input is refused before any view (app/input_guards.py).
    return (400, None) if "\x00" in target else (302, default)


@pytest.fixture(scope="module")
def bare_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """An application without a database, for request-level checks."""
    folder = tmp_path_factory.mktemp("bare")
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "UPLOAD_DIR": str(folder),
        }
    )


@pytest.mark.parametrize("target", BYPASSES)
def test_safe_next_refuses_every_known_bypass(bare_app, target):
    with bare_app.test_request_context("/", method="POST", data={"next": target}):
        assert safe_next("/default") == "/default"


@pytest.mark.parametrize("target", SAFE)
def test_safe_next_keeps_a_path_of_this_site(bare_app, target):
    with bare_app.test_request_context("/", method="POST", data={"next": target}):
        assert safe_next("/default") == target


def test_login_ignores_every_bypass_and_a_newline_is_no_error(client):
    token = csrf_token(client, "/auth/login")
    for target in BYPASSES:
        response = client.post(
            f"/auth/login?next={quote(target, safe='')}",
            data={"username": "agent", "password": "demo-password", "csrf_token": token},
        )
        assert where_to(response) == expected(target, "/"), target
    response = client.post(
        "/auth/login?next=/inbox%3Fscope%3Dmine",
        data={"username": "agent", "password": "demo-password", "csrf_token": token},
    )
    assert response.headers["Location"] == "/inbox?scope=mine"


def test_language_switch_ignores_every_bypass(client):
    token = csrf_token(client, "/auth/login")
    for target in BYPASSES:
        response = client.post("/lang/fr", data={"next": target, "csrf_token": token})
        assert where_to(response) == expected(target, "/"), target


def test_inbox_claim_ignores_every_bypass(app, client):
    with app.app_context():
        task_id = j.open_task(j.to_classification(), "classify_complaint").id
    login(client, "supervisor")
    token = csrf_token(client, "/inbox")
    for target in BYPASSES:
        # Claim and release again, each time with the hostile `next`.
        for action in ("claim", "unclaim"):
            response = client.post(
                f"/inbox/tasks/{task_id}/{action}", data={"next": target, "csrf_token": token}
            )
            assert where_to(response) == expected(target, "/inbox"), (action, target)


# --- headers and cookies ---------------------------------------------------------------------


def test_every_page_carries_the_security_headers(client):
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    ):
        assert directive in csp.split("; ")
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # tests run on plain HTTP
    # Error pages and static files too; the tracking pages keep their stricter referrer policy.
    assert client.get("/no-such-page").headers["X-Frame-Options"] == "DENY"
    with client.get("/static/css/app.css") as static:
        assert static.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/complaints/new").headers["Referrer-Policy"] == "no-referrer"


def production_app(database_url: str, tmp_path, **config) -> Flask:
    """The application as production configures it: not testing, not demo."""
    return create_app(
        {
            "SECRET_KEY": "production-secret",
            "DEMO": False,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            **config,
        }
    )


def test_production_cookies_are_secure_and_https_is_pinned(database_url, tmp_path):
    app = production_app(database_url, tmp_path)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    response = app.test_client().get("/auth/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=") and "; Secure" in cookie and "; HttpOnly" in cookie
    # A plain-HTTP intranet may turn it off explicitly.
    plain = production_app(database_url, tmp_path, SECURE_COOKIES=False)
    assert plain.config["SESSION_COOKIE_SECURE"] is False


def test_demo_and_tests_keep_cookies_usable_on_plain_http(app, database_url, tmp_path):
    assert app.config["SESSION_COOKIE_SECURE"] is False
    demo = production_app(database_url, tmp_path, DEMO=True)
    assert demo.config["SESSION_COOKIE_SECURE"] is False


def test_staff_sessions_last_eight_hours_by_default(app, client):
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 8 * 3600
    assert app.config["REMEMBER_COOKIE_DURATION"].total_seconds() == 8 * 3600
    cookie = login(client, "agent").headers["Set-Cookie"]
    assert "Expires=" in cookie  # a permanent session, ended by the lifetime above


def test_an_unknown_host_header_is_refused(client):
    assert client.get("/auth/login").status_code == 200  # localhost
    assert client.get("/auth/login", base_url="http://127.0.0.1").status_code == 200
    response = client.get("/auth/login", headers={"Host": EVIL})
    assert response.status_code == 400


def test_allowed_hosts_come_from_the_configuration(database_url, tmp_path):
    app = production_app(database_url, tmp_path, TRUSTED_HOSTS=["complaints.example.org"])
    client = app.test_client()
    assert client.get("/auth/login", base_url="https://complaints.example.org").status_code == 200
    assert client.get("/auth/login", base_url="https://localhost").status_code == 400
    named = production_app(database_url, tmp_path, SERVER_NAME="complaints.example.org:8443")
    assert named.config["TRUSTED_HOSTS"] == ["complaints.example.org"]


def failed_sign_in_address(app: Flask, caplog, **headers: str) -> str:
    """The client address logged for one failed sign-in sent with `headers`."""
    client = app.test_client()
    token = csrf_token(client, "/auth/login")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="app"):
        client.post(
            "/auth/login",
            data={"username": "agent", "password": "wrong-password", "csrf_token": token},
            headers=headers,
        )
    (record,) = [r for r in caplog.records if r.name == "app"]
    return str(record.args[1])


def test_forwarded_headers_are_trusted_only_when_a_proxy_is_configured(app, caplog):
    forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    assert failed_sign_in_address(app, caplog, **forwarded) == "127.0.0.1"
    behind_proxy = create_app({**app.config, "PROXY_FIX_X_FOR": 1, "PROXY_FIX_X_PROTO": 1})
    # Over HTTPS (as the proxy says), Flask-WTF also wants a same-site Referer, as browsers send.
    referred = {**forwarded, "Referer": "https://localhost/auth/login"}
    assert failed_sign_in_address(behind_proxy, caplog, **referred) == "203.0.113.9"
    with behind_proxy.app_context():
        db.engine.dispose()


# --- rate-limit configuration and storage ----------------------------------------------------


def test_several_workers_with_per_process_counters_refuse_to_start(database_url, tmp_path):
    with pytest.raises(RuntimeError) as refused:
        production_app(database_url, tmp_path, WEB_CONCURRENCY=2)
    assert str(refused.value) == (
        "RATELIMIT_STORAGE_URI is memory:// with WEB_CONCURRENCY=2: each worker would count "
        "on its own. Set RATELIMIT_STORAGE_URI=redis://HOST:6379 (shared)."
    )
    shared = production_app(
        database_url, tmp_path, WEB_CONCURRENCY=2, RATELIMIT_STORAGE_URI=REDIS_URL
    )
    assert shared.config["WEB_CONCURRENCY"] == 2


def test_public_form_limit_comes_from_the_configuration(app, client):
    app.config["PUBLIC_POST_RATE_LIMIT"] = "2 per minute"
    token = csrf_token(client, "/complaints/new")
    statuses = [
        client.post("/complaints/new", data={"csrf_token": token}).status_code for _ in range(3)
    ]
    assert statuses == [422, 422, 429]


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of its own in the local Redis, removed afterwards."""
    store = redis.Redis.from_url(REDIS_URL)
    try:
        store.ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: install and start redis-server")
    prefix = f"cf-test-{uuid.uuid4().hex}"
    yield prefix
    for key in store.scan_iter(f"*{prefix}*"):
        store.delete(key)
    store.close()


@pytest.mark.parametrize(("storage", "shared"), [(REDIS_URL, True), ("memory://", False)])
def test_two_instances_share_the_count_only_through_redis(app, redis_prefix, storage, shared):
    config = {
        **app.config,
        "RATELIMIT_STORAGE_URI": storage,
        "RATELIMIT_KEY_PREFIX": redis_prefix,
        "PUBLIC_POST_RATE_LIMIT": "3 per minute",
    }
    first = create_app(config)
    client = first.test_client()
    token = csrf_token(client, "/complaints/new")
    for _ in range(3):
        assert client.post("/complaints/new", data={"csrf_token": token}).status_code == 422
    # A second instance (another worker) opens its own connection to the storage.
    second = create_app(config)
    other_client = second.test_client()
    other_client.set_cookie("session", client.get_cookie("session").value)  # same browser
    response = other_client.post("/complaints/new", data={"csrf_token": token})
    assert response.status_code == (429 if shared else 422)
    for instance in (first, second):
        with instance.app_context():
            db.engine.dispose()


# --- the tracking token is not readable in the session cookie --------------------------------


def session_of(app: Flask, client) -> dict:
    """The session cookie's content, decoded with the app's own key."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def test_tracking_token_is_not_readable_in_the_session_cookie(app, client):
    token = csrf_token(client, "/complaints/new")
    response = client.post("/complaints/new", data={**FORM, "csrf_token": token})
    assert response.status_code == 302
    stored = json.dumps(session_of(app, client))
    page = client.get("/complaints/filed").get_data(as_text=True)
    link = LINK_RE.search(page).group(1)
    tracking_token = link.rsplit("/", 1)[-1]
    assert len(tracking_token) >= 20
    assert tracking_token not in stored
    assert "C-" in stored  # the reference is in it; only the token is sealed
    # Showing the confirmation does not spend the token: the link keeps working.
    assert client.get(f"/track/{tracking_token}").status_code == 200


def test_a_confirmation_sealed_with_another_key_shows_nothing(app, client):
    token = csrf_token(client, "/complaints/new")
    client.post("/complaints/new", data={**FORM, "csrf_token": token})
    other = create_app({**app.config, "SECRET_KEY": "another-key"})
    with other.test_request_context():
        from app.security import seal

        forged = seal("some-token-value")
    with client.session_transaction() as session:
        session["filed"] = {**session["filed"], "sealed_token": forged}
    response = client.get("/complaints/filed")
    assert response.headers["Location"] == "/"
    assert "some-token-value" not in client.get("/").get_data(as_text=True)
    with other.app_context():
        db.engine.dispose()


def test_the_language_switch_restores_only_a_confirmation_this_app_sealed_recently(app, client):
    """The confirmation's language switch carries it sealed; a value sealed with another key,
    or longer ago than the switch allows, shows nothing again."""
    token = csrf_token(client, "/complaints/new")
    client.post("/complaints/new", data={**FORM, "csrf_token": token})
    page = client.get("/complaints/filed").get_data(as_text=True)
    kept = re.search(r'name="filed" value="([^"]+)"', page).group(1)
    assert LINK_RE.search(page).group(1).rsplit("/", 1)[-1] not in kept  # sealed
    other = create_app({**app.config, "SECRET_KEY": "another-key"})
    with other.test_request_context():
        from app.security import seal

        forged = seal(json.dumps({"reference": "C-2026-000001", "sealed_token": seal("x" * 30)}))
    with other.app_context():
        db.engine.dispose()
    lang = csrf_token(client, "/")
    client.post("/lang/fr", data={"csrf_token": lang, "next": "/complaints/filed", "filed": forged})
    assert client.get("/complaints/filed").headers["Location"] == "/"
    from app import public

    public.CONFIRMATION_KEPT_SECONDS, kept_for = -1, public.CONFIRMATION_KEPT_SECONDS
    try:
        client.post("/lang/fr", data={"csrf_token": lang, "next": "/", "filed": kept})
    finally:
        public.CONFIRMATION_KEPT_SECONDS = kept_for
    assert client.get("/complaints/filed").headers["Location"] == "/"
    client.post("/lang/en", data={"csrf_token": lang, "next": "/", "filed": kept})
    assert client.get("/complaints/filed").status_code == 200


# --- confidential complaints stay hidden: inbox, API, counts, reassignment ---------------------


def confidential_with_a_manager_task() -> tuple[int, str, str]:
    """A confidential complaint with a manager's task open on it.

    The procedure no longer leaves one behind (reviews are withdrawn when their step ends and
    confidential cases stay in the focal point's lane), so the state is written directly: this
    guards the query filter itself, for data an older version or a migration left behind.
    Returns the complaint's id, its reference and the manager's task id.
    """
    complaint = j.to_minor_resolution()
    j.complete(complaint, "resolve_minor")
    sign_off = j.open_task(complaint, "sign_off_minor")
    db.session.execute(
        db.update(Complaint).where(Complaint.id == complaint.id).values(confidential=True)
    )
    db.session.execute(
        db.update(Task).where(Task.complaint_id == complaint.id).values(confidential=True)
    )
    db.session.commit()
    complaint = j.refreshed(complaint)
    sign_off = db.session.get(Task, sign_off.id)
    assert complaint.confidential and sign_off.confidential and sign_off.role == "manager"
    return complaint.id, complaint.reference, sign_off.id


def inbox_counts(page: str) -> list[int]:
    """The numbers on the inbox tabs."""
    return [int(n) for n in re.findall(r'<span class="badge">(\d+)</span>', page)]


def test_a_managers_task_on_a_confidential_complaint_is_hidden_from_the_manager(
    app, client, runner
):
    with app.app_context():
        complaint_id, reference, review_id = confidential_with_a_manager_task()
    login(client, "manager")
    response = client.get("/inbox")
    page = response.get_data(as_text=True)
    headers = bearer(issue_token(runner, "manager"))
    api_page = client.get(f"{API}/tasks", headers=headers).json
    seen = {
        "inbox rows": listed(response),
        "inbox task title": "Sign off minor complaint" in page,
        "inbox tab counts": inbox_counts(page),
        "inbox search": listed(client.get(f"/inbox?q={reference}")),
        "task page": client.get(f"/tasks/{review_id}").status_code,
        "API list": (api_page["total"], api_page["tasks"]),
        "API search": client.get(f"{API}/tasks?search={reference}", headers=headers).json["total"],
        "API task": client.get(f"{API}/tasks/{review_id}", headers=headers).status_code,
    }
    assert seen == {
        "inbox rows": [],
        "inbox task title": False,
        "inbox tab counts": [0, 0, 0, 0],
        "inbox search": [],
        "task page": 404,
        "API list": (0, []),
        "API search": 0,
        "API task": 404,
    }
    # The focal point, who holds no manager role, does not get the manager's task either.
    focal = bearer(issue_token(runner, "focal"))
    names = [t["name"] for t in client.get(f"{API}/tasks", headers=focal).json["tasks"]]
    assert names == []


def test_a_manager_cannot_reassign_a_task_of_a_confidential_complaint(app, client):
    with app.app_context():
        _, _, review_id = confidential_with_a_manager_task()
        focal2 = users.by_username("focal2").id
        events = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent))
    login(client, "manager")
    for task_id in (review_id,):
        url = f"/inbox/tasks/{task_id}/reassign"
        assert client.get(url).status_code == 404
        response = post_form(client, url, {"assignee": focal2}, form_url="/inbox")
        assert response.status_code == 404
        assert "No such task." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Task, review_id).assignee_id is None
        assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) == events
