"""Bearer-token authentication for the API. The session cookie is never read here, which is
why the API can be exempt from CSRF: a browser attaches cookies by itself, never this header."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, g, request
from flask_babel import gettext

from app.api.blueprint import bp
from app.errors import error_response
from services import api_tokens
from services.db import db
from services.errors import NotAllowed

REALM = "complaintflow"

# The scopes a token may carry; an operation names the one it needs.
SCOPES = api_tokens.SCOPES
# A token with the read scope alone changes nothing: an operation that changes something
# and names no other scope needs "tasks".
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# For operations on the token itself (GET /me, the caller's own tokens): any scope will do.
ANY = "any"


def bearer_secret() -> str:
    """The token the request sends in `Authorization: Bearer <token>`; "" without one."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else ""


def authenticate(secret: str) -> api_tokens.Authenticated | None:
    """api_tokens.authenticate, once per request: the idempotency hook (whose keys are the
    token's) asks before the view does."""
    checked = g.get("bearer_checked")
    if checked is not None and checked[0] == secret:
        return checked[1]
    found = api_tokens.authenticate(secret)
    g.bearer_checked = (secret, found)
    return found


def _commit_time_of_use() -> None:
    """Commit the token's time of use (at most once a minute, see authenticate) on its own,
    so that a request that fails still records it. Without expiring what was just read: the
    token, its user and roles would otherwise be read again (two more statements)."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def token_required(
    view: Callable[..., Any] | None = None, *, scope: str = "read"
) -> Callable[..., Any]:
    """Run `view(user, **kwargs)` for the staff member whose token is sent, else answer 401;
    403 insufficient_scope when the token lacks the scope the operation needs.

    Used bare (`@token_required`, the read scope) or with the scope an operation needs
    (`@token_required(scope="tasks")`). The token is in `g.api_token` during the request.
    """
    if scope not in SCOPES and scope != ANY:
        raise ValueError(f"unknown scope {scope!r}")

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(**kwargs: Any) -> Any:
            secret = bearer_secret()
            if not secret:
                return _challenge(gettext("Send an API token: Authorization: Bearer <token>."))
            found = authenticate(secret)
            if found is None:
                return _challenge(gettext("The API token is not valid."), error="invalid_token")
            if db.session.is_modified(found.token):
                _commit_time_of_use()
            g.api_token = found
            needed = needed_scope(scope, request.method)
            if needed is not None and needed not in found.scopes:
                # RFC 6750 §3.1; the header is added by add_scope_challenge below.
                g.insufficient_scope = needed
                raise NotAllowed(
                    gettext(
                        "This token lacks the “%(scope)s” scope this operation needs.",
                        scope=needed,
                    ),
                    code="insufficient_scope",
                )
            return view(found.user, **kwargs)

        wrapped.required_scope = scope  # type: ignore[attr-defined]
        return wrapped

    return decorate(view) if view is not None else decorate


def needed_scope(scope: str, method: str) -> str | None:
    """The scope a request needs: the operation's, but "tasks" for a change that names "read"."""
    if scope == ANY:
        return None
    if scope == api_tokens.READ and method not in SAFE_METHODS:
        return api_tokens.TASKS
    return scope


@bp.after_request
def add_scope_challenge(response: Response) -> Response:
    """Name the missing scope in the 403's challenge, whichever handler wrote the body."""
    needed = g.pop("insufficient_scope", None)
    if needed is not None and response.status_code == 403:
        response.headers["WWW-Authenticate"] = (
            f'Bearer realm="{REALM}", error="insufficient_scope", scope="{needed}"'
        )
    return response


def _challenge(message: str, error: str | None = None) -> Any:
    # RFC 6750: a 401 names the scheme, and says "invalid_token" when one was sent but refused.
    response, status = error_response(401, message)
    challenge = f'Bearer realm="{REALM}"'
    if error:
        challenge += f', error="{error}"'
    response.headers["WWW-Authenticate"] = challenge
    return response, status
