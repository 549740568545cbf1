"""Test-client helpers: CSRF stays on, so forms are fetched before they are posted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import DEMO_PASSWORD

CSRF_RE = re.compile(
    r'name="csrf_token"[^>]*value="([^"]+)"|<meta name="csrf-token" content="([^"]+)"'
)


def csrf_token(client: FlaskClient, url: str) -> str:
    """GET `url` (following redirects) and read the CSRF token its page carries."""
    page = client.get(url, follow_redirects=True)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} (status {page.status_code})"
    return match.group(1) or match.group(2)


def post_form(
    client: FlaskClient,
    url: str,
    data: dict[str, Any] | list[tuple[str, Any]],
    *,
    form_url: str | None = None,
    **kwargs: Any,
) -> TestResponse:
    """Post `data` to `url` with the CSRF token read from `form_url` (default: `url`)."""
    token = csrf_token(client, form_url or url)
    items = list(data.items()) if isinstance(data, dict) else list(data)
    payload: dict[str, Any] = {}
    for key, value in items + [("csrf_token", token)]:
        if key in payload:
            existing = payload[key]
            payload[key] = (existing if isinstance(existing, list) else [existing]) + [value]
        else:
            payload[key] = value
    return client.post(url, data=payload, **kwargs)


def login(client: FlaskClient, username: str) -> TestResponse:
    """Sign in a demo user through the login form."""
    response = post_form(client, "/auth/login", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def flask_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Our `flask --app app` command run in a process of its own, with `env`."""
    return subprocess.run(  # noqa: S603 - our own command
        [str(Path(sys.executable).parent / "flask"), "--app", "app", *args],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
