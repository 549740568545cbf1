"""Signing in and out, CSRF and the language switch."""

from __future__ import annotations

import pytest

from tests.app.helpers import csrf_token, login, post_form


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
    response = post_form(client, "/auth/logout", {}, form_url="/")
    assert response.status_code == 302
    assert "Awa Intake" not in client.get("/").get_data(as_text=True)
