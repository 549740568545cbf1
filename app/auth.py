"""Staff sign-in and sign-out."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from app.extensions import limiter, login_manager
from app.redirects import safe_next
from forms.auth import LoginForm
from services import users
from services.db import db
from services.models import User

bp = Blueprint("auth", __name__, url_prefix="/auth")
login_manager.login_view = "auth.login"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The signed-in user, if active and the cookie's session version is still current."""
    return users.by_session_id(session_id)


def _too_many_attempts() -> str:
    return _("Too many failed sign-in attempts; please wait a few minutes and try again.")


def _account_key() -> str:
    return "account:" + request.form.get("username", "").strip().lower()[:80]


def _failed(response: Any) -> bool:
    # Only failed attempts count towards the limits; a successful sign-in redirects.
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
    error_message=_too_many_attempts,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_ADDRESS_RATE_LIMIT"],
    key_func=get_remote_address,
    methods=["POST"],
    deduct_when=_failed,
    error_message=_too_many_attempts,
)
def login() -> Any:
    """Sign-in form."""
    form = LoginForm(request.form)
    if request.method == "POST" and form.validate():
        user = users.authenticate(form.username.data, form.password.data)
        if user is not None:
            session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME
            login_user(user)
            return redirect(safe_next(url_for("main.index")))
        current_app.logger.warning(
            "failed sign-in for user name %r from %s", form.username.data, request.remote_addr
        )
        form.password.errors.append(_("Unknown user name or wrong password."))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Any:
    """Sign out, here and in every other browser holding a copy of this session's cookie."""
    users.end_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    flash(_("You are signed out."))
    return redirect(url_for("auth.login"))


@bp.route("/token", methods=["GET", "POST"])
@login_required
def api_token() -> Any:
    """Issue a personal token for the JSON API; a new one replaces the previous one."""
    token = None
    if request.method == "POST":
        token = users.issue_api_token(current_user._get_current_object())
        db.session.commit()
    # No redirect after this POST: the token is shown once, here, and never stored in clear.
    response = make_response(
        render_template(
            "auth/token.html", token=token, has_token=current_user.api_token_hash is not None
        )
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
