"""Signing in and out, CSRF and the language switch."""

from __future__ import annotations

import logging
import time

import pytest
from werkzeug.security import check_password_hash, generate_password_hash

from app import create_app
from app.config import from_environment
from services import users
from services.db import db
from tests.app.helpers import csrf_token, login, post_form
from tests.app.test_security import REDIS_URL, redis_prefix  # noqa: F401 - a fixture
from tests.conftest import DEMO_PASSWORD


def test_demo_user_signs_in_and_sees_their_name(client):
    login(client, "supervisor")
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Samuel Supervisor" in page


def test_wrong_password_is_refused_with_a_message(client):
    response = post_form(client, "/auth/login", {"username": "agent", "password": "nope-nope"})
    assert response.status_code == 422
    assert "Unknown user name or wrong password." in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client):
    response = client.post("/auth/login", data={"username": "agent", "password": "x"})
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example/", "https://evil.example/"])
def test_open_redirect_after_login_is_ignored(client, target):
    token = csrf_token(client, "/auth/login")
    response = client.post(
        f"/auth/login?next={target}",
        data={"username": "agent", "password": "demo-password", "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_language_switch_returns_only_to_a_page_of_this_site(client):
    response = post_form(client, "/lang/fr", {"next": "//evil.example/"}, form_url="/auth/login")
    assert response.headers["Location"] == "/"


def test_language_switch_turns_the_page_french(client):
    post_form(client, "/lang/fr", {"next": "/auth/login"}, form_url="/auth/login")
    page = client.get("/auth/login").get_data(as_text=True)
    assert 'lang="fr"' in page


def test_browser_language_is_the_default(client):
    page = client.get("/auth/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert 'lang="fr"' in page.get_data(as_text=True)


def test_sign_out_needs_a_post_with_csrf(client):
    login(client, "agent")
    assert client.get("/auth/logout").status_code == 405
    assert "Awa Intake" in client.get("/", follow_redirects=True).get_data(as_text=True)
    response = post_form(client, "/auth/logout", {}, form_url="/")
    assert response.status_code == 302
    assert "Awa Intake" not in client.get("/", follow_redirects=True).get_data(as_text=True)
    assert client.get("/inbox").headers["Location"].startswith("/auth/login")


# --- sessions end on the server -----------------------------------------------------------


def test_a_session_cookie_copied_before_sign_out_is_refused_afterwards(app, client):
    login(client, "agent")
    copied = client.get_cookie("session").value
    assert "Awa Intake" in client.get("/inbox").get_data(as_text=True)
    post_form(client, "/auth/logout", {}, form_url="/")
    # This browser's cookie no longer names anyone...
    serializer = app.session_interface.get_signing_serializer(app)
    assert "_user_id" not in serializer.loads(client.get_cookie("session").value)
    # ...and someone who copied the old one replays it from another browser.
    thief = app.test_client()
    thief.set_cookie("session", copied)
    response = thief.get("/inbox")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    with app.app_context():
        assert users.by_username("agent").session_version == 1


def test_signing_in_again_after_sign_out_works(client):
    login(client, "agent")
    post_form(client, "/auth/logout", {}, form_url="/")
    login(client, "agent")  # signing in again works, with the new version
    assert "Awa Intake" in client.get("/inbox").get_data(as_text=True)


def test_sign_out_without_the_csrf_token_is_refused_and_keeps_the_session(app, client):
    login(client, "agent")
    response = client.post("/auth/logout")
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)
    assert "Awa Intake" in client.get("/inbox").get_data(as_text=True)
    with app.app_context():
        assert users.by_username("agent").session_version == 0


# --- inactive users -------------------------------------------------------------------------


def deactivate(app, username: str) -> None:
    with app.app_context():
        users.by_username(username).active = False
        db.session.commit()


def test_an_inactive_user_cannot_sign_in(app, client):
    deactivate(app, "agent")
    response = post_form(client, "/auth/login", {"username": "agent", "password": DEMO_PASSWORD})
    assert response.status_code == 422
    assert "Unknown user name or wrong password." in response.get_data(as_text=True)
    assert client.get("/inbox").headers["Location"].startswith("/auth/login")


def test_a_signed_in_user_who_is_deactivated_is_signed_out_at_the_next_request(app, client):
    login(client, "agent")
    assert client.get("/inbox").status_code == 200
    deactivate(app, "agent")
    response = client.get("/inbox")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


# --- throttling, timing, logging ------------------------------------------------------------


ATTACKER = "203.0.113.66"
HOME = "198.51.100.7"


def fail(client, username: str, token: str, address: str = "127.0.0.1"):
    return client.post(
        "/auth/login",
        data={"username": username, "password": "wrong-pass", "csrf_token": token},
        environ_overrides={"REMOTE_ADDR": address},
    )


def right(client, username: str, token: str, address: str):
    return client.post(
        "/auth/login",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token},
        environ_overrides={"REMOTE_ADDR": address},
    )


def test_failed_sign_ins_are_throttled_per_account_and_address(app, client):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    token = csrf_token(client, "/auth/login")
    assert [fail(client, "agent", token).status_code for _ in range(3)] == [422] * 3
    response = fail(client, "Agent", token)
    assert response.status_code == 429
    assert "Too many failed sign-in attempts from your connection" in response.get_data(
        as_text=True
    )
    # Even the right password waits now from this address; another account does not.
    assert right(client, "agent", token, "127.0.0.1").status_code == 429
    assert fail(client, "supervisor", token).status_code == 422
    # From another address the account is not locked.
    assert right(client, "agent", token, HOME).status_code == 302


@pytest.mark.parametrize("storage", ["memory://", REDIS_URL])
def test_an_attacker_failing_from_one_address_does_not_lock_the_administrator_out(
    app,
    storage,
    redis_prefix,  # noqa: F811 - the fixture imported above
):
    attack = create_app(
        {**app.config, "RATELIMIT_STORAGE_URI": storage, "RATELIMIT_KEY_PREFIX": redis_prefix}
    )
    attacker, user = attack.test_client(), attack.test_client()
    token = csrf_token(attacker, "/auth/login")
    statuses = [fail(attacker, "admin", token, ATTACKER).status_code for _ in range(30)]
    # The attacker's address is stopped after five tries (LOGIN_RATE_LIMIT's default)...
    assert statuses == [422] * 5 + [429] * 25
    assert right(attacker, "admin", token, ATTACKER).status_code == 429
    # ... and the administrator, from their own address, signs in at once.
    signed_in = right(user, "admin", csrf_token(user, "/auth/login"), HOME)
    assert signed_in.status_code == 302
    assert "Ada Admin" in user.get("/", follow_redirects=True).get_data(as_text=True)
    with attack.app_context():
        db.engine.dispose()


def test_a_guesser_spread_over_many_addresses_gets_one_try_per_interval(app, client):
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "4 per minute"
    app.config["LOGIN_SLOWED_SECONDS"] = 1
    token = csrf_token(client, "/auth/login")
    # Four addresses, one failure each: the account is slowed now, never locked.
    for n in range(4):
        assert fail(client, "admin", token, f"192.0.2.{n}").status_code == 422
    # A fifth address gets its try (a wrong guess); a sixth, right after, waits its turn.
    assert fail(client, "admin", token, "192.0.2.50").status_code == 422
    waiting = fail(client, "admin", token, "192.0.2.51")
    assert waiting.status_code == 429
    assert int(waiting.headers["Retry-After"]) <= 1
    page = waiting.get_data(as_text=True)
    assert "This account has had many failed sign-in attempts" in page
    assert "seconds and try again" in page
    # An address that failed on the account is kept off it, even with the right password.
    time.sleep(1.1)
    again = right(client, "admin", token, "192.0.2.1")
    assert again.status_code == 429
    assert "from your connection" in again.get_data(as_text=True)
    # The administrator, from an address that has not failed, gets the next try.
    assert right(client, "admin", token, HOME).status_code == 302
    # Other accounts are not slowed.
    assert fail(client, "agent", token, "192.0.2.52").status_code == 422


def test_failed_sign_ins_are_throttled_per_address(app, client):
    app.config["LOGIN_ADDRESS_RATE_LIMIT"] = "4 per minute"
    token = csrf_token(client, "/auth/login")
    names = ["a1", "a2", "a3", "a4", "a5"]
    assert [fail(client, name, token).status_code for name in names] == [422] * 4 + [429]
    assert "Too many failed sign-in attempts" in fail(client, "a6", token).get_data(as_text=True)
    assert right(client, "agent", token, HOME).status_code == 302


def test_a_browser_that_signed_in_before_is_not_held_back_by_an_attacker_on_its_address(
    app, client
):
    """An attacker behind the user's own address (an office's NAT) fills the address's and
    the account's counts; the user's browser, which signed in before, still signs in."""
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "4 per minute"
    user, attacker = client, app.test_client()
    login_page = csrf_token(user, "/auth/login")
    first = right(user, "admin", login_page, HOME)
    assert first.status_code == 302
    cookie = user.get_cookie("cf_device", path="/auth/login")
    assert cookie is not None and cookie.http_only
    user.post("/auth/logout", data={"csrf_token": csrf_token(user, "/account")})
    token = csrf_token(attacker, "/auth/login")
    statuses = [fail(attacker, "admin", token, HOME).status_code for _ in range(8)]
    assert statuses == [422] * 4 + [429] * 4  # the account is slowed after four
    # A browser without the cookie, on that address, is refused even with the password...
    assert right(attacker, "admin", token, HOME).status_code == 429
    # ... the user's browser is not.
    again = right(user, "admin", csrf_token(user, "/auth/login"), HOME)
    assert again.status_code == 302
    assert "Ada Admin" in user.get("/", follow_redirects=True).get_data(as_text=True)


def test_a_device_cookie_is_for_its_own_account_and_has_failure_counts_of_its_own(app, client):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    token = csrf_token(client, "/auth/login")
    assert right(client, "agent", token, HOME).status_code == 302
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/account")})
    token = csrf_token(client, "/auth/login")
    # The agent's cookie does not help with another account: its address counts apply.
    assert [fail(client, "supervisor", token, HOME).status_code for _ in range(4)] == [
        422,
        422,
        422,
        429,
    ]
    # A guesser holding the agent's cookie gets the cookie's own three tries, then the
    # address's counts apply as to anyone.
    assert [fail(client, "agent", token, HOME).status_code for _ in range(3)] == [422] * 3
    statuses = [fail(client, "agent", token, HOME).status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    # A forged cookie is no cookie.
    client.set_cookie("cf_device", "forged.value", path="/auth/login")
    assert right(client, "agent", token, HOME).status_code == 429


def test_successful_sign_ins_do_not_use_up_the_budget(app, client):
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    app.config["LOGIN_ADDRESS_RATE_LIMIT"] = "2 per minute"
    for _ in range(4):
        login(client, "agent")


@pytest.fixture
def scrypt(app):
    """New passwords hashed with the production method (the suite sets a cheap one)."""
    users.configure(users.DEFAULT_HASH_METHOD)
    yield
    users.configure(app.config["PASSWORD_HASH_METHOD"])


def test_an_unknown_user_name_costs_a_password_hash_like_a_known_one(app_context, scrypt):
    # The observable: checking an unknown user takes at least as long as one scrypt check.
    agent = users.by_username("agent")
    users.set_password(agent, "a-password-hashed-with-scrypt")
    db.session.commit()
    assert agent.password_hash.startswith("scrypt:")
    stored = generate_password_hash("some-password", method="scrypt")
    scrypt = min(timed(check_password_hash, stored, "other-password") for _ in range(3))
    unknown = min(timed(users.authenticate, "nobody-by-that-name", "x") for _ in range(3))
    known = min(timed(users.authenticate, "agent", "wrong-password") for _ in range(3))
    assert unknown > 0.5 * scrypt
    assert known > 0.5 * scrypt
    assert users.authenticate("nobody-by-that-name", "x") is None


def test_passwords_are_hashed_with_scrypt_unless_configured(
    monkeypatch, tmp_path, app_context, scrypt
):
    monkeypatch.delenv("PASSWORD_HASH_METHOD", raising=False)
    assert from_environment(str(tmp_path))["PASSWORD_HASH_METHOD"] == "scrypt:8192:8:10"
    # N = 2^13, r = 8, p = 10: 8 MiB of scratch memory per hash (128 * r * N bytes).
    stored = users.hash_password("long enough secret words")
    assert stored.startswith("scrypt:8192:8:10$")
    assert check_password_hash(stored, "long enough secret words")


def test_a_password_hashed_with_the_configured_method_verifies(app_context, app):
    method = app.config["PASSWORD_HASH_METHOD"]
    user = users.create_user("hashed", "Hana Hashed", "long enough secret words", ["supervisor"])
    db.session.commit()
    assert user.password_hash.startswith(method)
    assert users.authenticate("hashed", "long enough secret words") == user
    assert users.authenticate("hashed", "long enough secret word") is None


def test_a_scrypt_password_still_verifies_under_another_method(app_context, app, scrypt):
    user = users.create_user("hashed", "Hana Hashed", "long enough secret words", ["supervisor"])
    db.session.commit()
    assert user.password_hash.startswith("scrypt:")
    users.configure("pbkdf2:sha256:1000")
    assert users.authenticate("hashed", "long enough secret words") == user
    assert users.authenticate("hashed", "wrong secret words here") is None


def test_an_unknown_hash_method_is_refused_at_start(tmp_path):
    config = {"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    with pytest.raises(ValueError, match="md5"):
        create_app({**config, "UPLOAD_DIR": str(tmp_path), "PASSWORD_HASH_METHOD": "md5"})


def timed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def test_failed_sign_ins_are_logged_without_the_password(client, caplog):
    token = csrf_token(client, "/auth/login")
    with caplog.at_level(logging.WARNING, logger="app"):
        client.post(
            "/auth/login",
            data={"username": "agent", "password": "secret-guess-42", "csrf_token": token},
            environ_overrides={"REMOTE_ADDR": "192.0.2.44"},
        )
    messages = [r.getMessage() for r in caplog.records if r.name == "app"]
    assert messages == ["failed sign-in for user name 'agent' from 192.0.2.44"]
    assert "secret-guess-42" not in caplog.text


def test_sign_in_works_with_rate_limits_turned_off(app):
    from app.extensions import limiter

    try:
        quiet = create_app({**app.config, "RATELIMIT_ENABLED": False})
        client = quiet.test_client()
        token = csrf_token(client, "/auth/login")
        assert fail(client, "agent", token, HOME).status_code == 422
        assert right(client, "agent", token, HOME).status_code == 302
        with quiet.app_context():
            db.engine.dispose()
    finally:
        # The limiter is one object for every app of the process, and an app that does not
        # say RATELIMIT_ENABLED keeps the last one's: later tests' apps would count nothing.
        limiter.enabled = True
