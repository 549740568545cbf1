"""Staff sign-in and sign-out."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.extensions import login_manager
from app.redirects import safe_next
from forms.auth import LoginForm
from services import users
from services.db import db
from services.models import User

bp = Blueprint("auth", __name__, url_prefix="/auth")
login_manager.login_view = "auth.login"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The signed-in user, from the session cookie."""
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Sign-in form."""
    form = LoginForm(request.form)
    if request.method == "POST" and form.validate():
        user = users.authenticate(form.username.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(safe_next(url_for("main.index")))
        form.password.errors.append(_("Unknown user name or wrong password."))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Any:
    """Sign out."""
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
