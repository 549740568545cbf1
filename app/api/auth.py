"""Bearer-token authentication for the API. The session cookie is never read here, which is
why the API can be exempt from CSRF: a browser attaches cookies by itself, never this header."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import request
from flask_babel import gettext

from app.errors import error_response
from services import users

REALM = "complaintflow"


# The scopes a token may carry; an operation names the one it needs.
SCOPES = ("read", "tasks", "intake", "admin")


def token_required(
    view: Callable[..., Any] | None = None, *, scope: str = "read"
) -> Callable[..., Any]:
    """Run `view(user, **kwargs)` for the staff member whose token is sent, else answer 401.

    Used bare (`@token_required`, the read scope) or with the scope an operation needs
    (`@token_required(scope="tasks")`)."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(**kwargs: Any) -> Any:
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                return _challenge(gettext("Send an API token: Authorization: Bearer <token>."))
            user = users.by_api_token(token)
            if user is None:
                return _challenge(gettext("The API token is not valid."), error="invalid_token")
            return view(user, **kwargs)

        wrapped.required_scope = scope  # type: ignore[attr-defined]
        return wrapped

    return decorate(view) if view is not None else decorate


def _challenge(message: str, error: str | None = None) -> Any:
    # RFC 6750: a 401 names the scheme, and says "invalid_token" when one was sent but refused.
    response, status = error_response(401, message)
    challenge = f'Bearer realm="{REALM}"'
    if error:
        challenge += f', error="{error}"'
    response.headers["WWW-Authenticate"] = challenge
    return response, status
