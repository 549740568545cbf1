"""Staff sign-in and sign-out, a forgotten password, and the one-time links that set one."""

from __future__ import annotations

from collections.abc import Callable
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

from app import login_throttle
from app.extensions import limiter, login_manager
from app.redirects import safe_next
from forms.auth import LoginForm
from forms.users import ForgotPasswordForm, SetPasswordForm
from services import invitations, users
from services.db import db
from services.errors import InvalidInput
from services.models import User

bp = Blueprint("auth", __name__, url_prefix="/auth")
login_manager.login_view = "auth.login"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The signed-in user, if active and the cookie's session version is still current."""
    return users.by_session_id(session_id)


def _too_many_attempts() -> str:
    return _(
        "Too many failed sign-in attempts from your connection; please wait a few minutes and "
        "try again. Signing in from another connection is not affected."
    )


def _pair_key() -> str:
    # One account from one address: what one guesser fills, not what locks the account.
    username = login_throttle.account_key(request.form.get("username", ""))
    return f"account:{username}|{get_remote_address()}"


def _trusted_device() -> bool:
    # A browser that signed in to this account before is not held back by what others fill.
    return login_throttle.trusted_device(request.form.get("username", ""))


def _failed(response: Any) -> bool:
    # Only a form shown again counts (a wrong password); a sign-in redirects, a wait is a 429.
    return response.status_code == 422


def _slowed_down(form: LoginForm, seconds: int) -> Any:
    """The sign-in page, refused for now: the account is slowed after many failures."""
    if seconds > 60:
        message = _too_many_attempts()
    else:
        message = _(
            "This account has had many failed sign-in attempts, so its sign-ins are slowed "
            "down: wait %(seconds)d seconds and try again.",
            seconds=seconds,
        )
    form.password.errors.append(message)
    response = make_response(render_template("auth/login.html", form=form), 429)
    response.headers["Retry-After"] = str(seconds)
    return response


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    key_func=_pair_key,
    methods=["POST"],
    deduct_when=_failed,
    exempt_when=_trusted_device,
    error_message=_too_many_attempts,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_ADDRESS_RATE_LIMIT"],
    key_func=get_remote_address,
    methods=["POST"],
    deduct_when=_failed,
    exempt_when=_trusted_device,
    error_message=_too_many_attempts,
)
def login() -> Any:
    """Sign-in form; failures are throttled as app.login_throttle says."""
    form = LoginForm(request.form)
    if request.method == "POST" and form.validate():
        address = get_remote_address()
        trusted = login_throttle.trusted_device(form.username.data)
        wait = None if trusted else login_throttle.wait_before_trying(form.username.data, address)
        if wait is not None:
            return _slowed_down(form, wait)
        user = users.authenticate(form.username.data, form.password.data)
        if user is not None:
            session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME
            login_user(user)
            response = redirect(safe_next(url_for("main.index")))
            login_throttle.remember_device(response, form.username.data)
            return response
        if trusted:
            login_throttle.record_device_failure(form.username.data)
        else:
            login_throttle.record_failure(form.username.data, address)
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


@bp.get("/token")
@login_required
def api_token() -> Any:
    """The former token page: API tokens are now managed on the account page."""
    return redirect(url_for("account.show", _anchor="api-tokens"), 301)


def _too_many_requests() -> str:
    return _("Too many requests from your connection; please wait a while and try again.")


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["PUBLIC_POST_RATE_LIMIT"],
    methods=["POST"],
    error_message=_too_many_requests,
)
def forgot() -> Any:
    """Ask for a password reset link; the answer never says whether the account exists."""
    form = ForgotPasswordForm(request.form)
    if request.method == "POST" and form.validate():
        response = make_response(render_template("auth/forgot_sent.html"))
        # Looking the account up, the token and the email are done once the answer is sent:
        # done here, they made the answer slower for a real account than for an unknown one.
        response.call_on_close(
            _after_the_answer(
                invitations.request_reset,
                form.identifier.data,
                current_app.config["PUBLIC_BASE_URL"],
            )
        )
        return response
    status = 422 if request.method == "POST" else 200
    return render_template("auth/forgot.html", form=form), status


def _after_the_answer(work: Callable[..., None], *args: Any) -> Callable[[], None]:
    """`work(*args)` in a transaction of its own, to run when the response is closed (the
    server has sent it); a failure is logged, since no page can show it any more."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> None:
        with app.app_context():
            try:
                work(*args)
                db.session.commit()
            except Exception:  # noqa: BLE001 - the answer is sent; the log keeps the failure
                db.session.rollback()
                app.logger.exception("%s failed after the answer was sent", work.__name__)

    return run


@bp.route("/password/<token>", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["PUBLIC_POST_RATE_LIMIT"],
    methods=["POST"],
    error_message=_too_many_requests,
)
def set_password(token: str) -> Any:
    """Choose a password with an invitation or reset link (it works once, until it expires)."""
    row = invitations.find(token)
    if row is None:
        response = make_response(render_template("auth/link_expired.html"), 404)
    else:
        form = SetPasswordForm(request.form)
        status = 200
        if request.method == "POST" and form.validate():
            try:
                invitations.use(
                    token,
                    form.password.data,
                    breach_url=current_app.config.get("PWNED_PASSWORDS_URL", ""),
                )
            except InvalidInput as exc:
                db.session.rollback()
                form.password.errors = [_(str(m)) for m in exc.details.get("password", [])]
            else:
                db.session.commit()
                if current_user.is_authenticated:
                    logout_user()  # whoever was signed in here, the new password is not theirs
                flash(_("Your password is set. Sign in with it."))
                return redirect(url_for("auth.login"))
        if request.method == "POST":
            status = 422
        response = make_response(
            render_template(
                "auth/set_password.html", form=form, user=row.user, purpose=row.purpose
            ),
            status,
        )
    # The token is in the address: keep the page out of caches and off other sites' logs.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
