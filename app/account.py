"""The signed-in staff member's page: which emails they want from the application, and their
API tokens."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from app import domain_messages
from forms.account import ContactForm, NotificationSettingsForm
from forms.api_tokens import SCOPE_LABELS, ApiTokenForm
from services import api_tokens, staff_notices, users
from services.db import db
from services.errors import InvalidInput

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("", methods=["GET", "POST"])
@login_required
def show() -> Any:
    """The notification settings: an email on assignment, a daily digest of overdue tasks."""
    if request.method == "POST":
        form = NotificationSettingsForm(request.form)
        staff_notices.set_preferences(
            current_user,
            notify_assignment=bool(form.notify_assignment.data),
            daily_digest=bool(form.daily_digest.data),
        )
        db.session.commit()
        flash(_("Your notification settings are saved."))
        return redirect(url_for("account.show"))
    form = NotificationSettingsForm(obj=current_user)
    return _page(form, _token_form())


def _token_form(formdata: Any = None) -> ApiTokenForm:
    """The new-token form, offering the scopes the user's roles allow."""
    form = ApiTokenForm(formdata)
    allowed = api_tokens.allowed_scopes(current_user)
    form.scopes.choices = [SelectChoice(scope, SCOPE_LABELS[scope]) for scope in allowed]
    if formdata is None:
        form.scopes.data = [api_tokens.READ]
    return form


@bp.post("/phone")
@login_required
def phone() -> Any:
    """The telephone number the response letters the user drafts give complainants."""
    contact_form = ContactForm(request.form)
    if not contact_form.validate():
        settings = NotificationSettingsForm(obj=current_user)
        return _page(settings, _token_form(), status=422, contact_form=contact_form)
    users.set_phone(current_user._get_current_object(), contact_form.phone.data or "")
    db.session.commit()
    flash(_("Your telephone number is saved."))
    return redirect(url_for("account.show", _anchor="contact"))


def _page(
    form: NotificationSettingsForm,
    token_form: ApiTokenForm,
    secret: str | None = None,
    status: int = 200,
    contact_form: ContactForm | None = None,
) -> Any:
    response = make_response(
        render_template(
            "account/show.html",
            form=form,
            contact_form=contact_form or ContactForm(obj=current_user),
            token_form=token_form,
            tokens=api_tokens.owned(current_user),
            scope_labels=SCOPE_LABELS,
            secret=secret,
        ),
        status,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/tokens")
@login_required
def create_token() -> Any:
    """Create an API token; its secret is shown on this answer only (no redirect, no store)."""
    token_form = _token_form(request.form)
    settings = NotificationSettingsForm(obj=current_user)
    if not token_form.validate():
        return _page(settings, token_form, status=422)
    user = current_user._get_current_object()
    days = token_form.expires_in_days.data
    try:
        token, secret = api_tokens.create(
            user,
            user,
            token_form.name.data,
            token_form.scopes.data,
            expires_at=api_tokens.expiry(int(days)) if days else None,
        )
    except InvalidInput as exc:
        db.session.rollback()
        for name, messages in exc.details.items():
            field = getattr(token_form, name, None)
            if field is not None:
                field.errors = [domain_messages.text(m) for m in messages]
        return _page(settings, token_form, status=422)
    db.session.commit()
    flash(_("Token “%(name)s” created. Copy it now: it will not be shown again.", name=token.name))
    return _page(settings, _token_form(), secret=secret)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Any:
    """Revoke one of one's tokens: programs using it are refused from now on."""
    token = api_tokens.revoke(current_user._get_current_object(), token_id)
    db.session.commit()
    flash(_("Token “%(name)s” revoked.", name=token.name))
    return redirect(url_for("account.show", _anchor="api-tokens"))
