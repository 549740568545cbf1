"""Administration: staff accounts (list, create, invite, edit, deactivate, password reset)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import role_text
from forms.users import NewUserForm, UserForm, UserSearchForm, role_options
from services import departments, invitations, permissions, users
from services.db import db
from services.errors import InvalidInput
from services.models import User

bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")


@bp.before_request
@login_required
def require_admin() -> None:
    """Only administrators reach these pages."""
    permissions.require_administrator(current_user)


def _base_url() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"])


def _with_teams(form: UserForm) -> UserForm:
    form.roles.choices = role_options(role_text.choices())
    form.teams.choices = departments.team_choices()
    return form


def _show_errors(form: Any, exc: InvalidInput) -> None:
    """Put a service's refusal on the fields it names (the error summary lists them)."""
    for name, messages in exc.details.items():
        target = getattr(form, name, None)
        if target is None:
            target = form.name
        target.errors = [_(str(m)) for m in messages]


@bp.get("")
def index() -> Any:
    """Every user, searchable by name, role and status."""
    search = UserSearchForm(request.args)
    labels = role_text.labels()
    search.role.choices = [*search.role.choices, *role_options(list(labels.items()))]
    status = search.status.data or ""
    found = users.search(
        search.q.data or "",
        search.role.data if search.role.data in labels else "",
        {"active": True, "inactive": False}.get(status),
    )
    return render_template(
        "admin/users.html",
        search=search,
        users=found,
        role_labels=labels,
        teams_of=departments.teams_of,
        history=users.history()[:20],
    )


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    """Add a user: invited by email (they choose their password) or with a password now."""
    form = _with_teams(NewUserForm(request.form))
    if request.method == "POST" and form.validate():
        inviting = form.how.data != "password"
        try:
            user = users.add_user(
                current_user,
                username=form.username.data,
                name=form.name.data,
                email=form.email.data or "",
                roles=form.roles.data,
                clearance=form.confidential_clearance.data,
                team_ids=form.teams.data or [],
                password=None if inviting else form.password.data or "",
                breach_url=current_app.config.get("PWNED_PASSWORDS_URL", ""),
            )
            if inviting:
                invitations.send(user, invitations.INVITE, _base_url(), by=current_user)
        except InvalidInput as exc:
            db.session.rollback()
            _show_errors(form, exc)
        else:
            db.session.commit()
            if inviting:
                flash(
                    _(
                        "%(name)s added; an invitation was sent to %(email)s.",
                        name=user.name,
                        email=user.email,
                    )
                )
            else:
                flash(_("%(name)s added.", name=user.name))
            return redirect(url_for("admin_users.show", user_id=user.id))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/user_new.html", form=form), status


@bp.route("/<int:user_id>", methods=["GET", "POST"])
def show(user_id: int) -> Any:
    """A user's details, roles, clearance and teams, with the account actions."""
    user = users.get(user_id)
    if request.method == "POST":
        form = _with_teams(UserForm(request.form))
    else:
        form = _with_teams(
            UserForm(
                data={
                    "name": user.name,
                    "email": user.email,
                    "roles": sorted(user.role_names),
                    "confidential_clearance": user.confidential_clearance,
                    "teams": sorted(departments.team_ids_of(user)),
                }
            )
        )
    if request.method == "POST" and form.validate():
        try:
            users.update_user(
                current_user,
                user.id,
                name=form.name.data,
                email=form.email.data or "",
                roles=form.roles.data,
                clearance=form.confidential_clearance.data,
                team_ids=form.teams.data or [],
            )
        except InvalidInput as exc:
            db.session.rollback()
            _show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("%(name)s saved.", name=user.name))
            return redirect(url_for("admin_users.show", user_id=user.id))
    status = 422 if request.method == "POST" else 200
    return _page(user, form, status)


def _page(user: User, form: UserForm, status: int = 200) -> Any:
    return render_template(
        "admin/user.html",
        user=user,
        form=form,
        is_self=user.id == current_user.id,
        history=users.history(user.id),
    ), status


@bp.post("/<int:user_id>/active")
def set_active(user_id: int) -> Any:
    """Deactivate a user (signed out everywhere, cannot sign in) or reactivate them."""
    active = request.form.get("active") == "1"
    try:
        user = users.set_active(current_user, user_id, active)
    except InvalidInput as exc:
        db.session.rollback()
        flash(_(str(next(iter(exc.details.values()))[0])), "error")
        return redirect(url_for("admin_users.show", user_id=user_id))
    db.session.commit()
    if active:
        flash(_("%(name)s can sign in again.", name=user.name))
    else:
        flash(_("%(name)s is deactivated and signed out everywhere.", name=user.name))
    return redirect(url_for("admin_users.show", user_id=user.id))


@bp.post("/<int:user_id>/invite")
def invite(user_id: int) -> Any:
    """Send (again) the invitation link; an earlier one stops working."""
    return _send(user_id, invitations.INVITE)


@bp.post("/<int:user_id>/reset")
def reset(user_id: int) -> Any:
    """Email the user a link to choose a new password."""
    return _send(user_id, invitations.RESET)


def _send(user_id: int, purpose: str) -> Any:
    user = users.get(user_id)
    try:
        invitations.send(user, purpose, _base_url(), by=current_user)
    except InvalidInput:
        db.session.rollback()
        flash(_("%(name)s has no email address: add one first.", name=user.name), "error")
        return redirect(url_for("admin_users.show", user_id=user.id))
    db.session.commit()
    if purpose == invitations.INVITE:
        flash(_("Invitation sent to %(email)s.", email=user.email))
    else:
        flash(_("A password reset link was sent to %(email)s.", email=user.email))
    return redirect(url_for("admin_users.show", user_id=user.id))
