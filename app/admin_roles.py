"""Administration: the staff roles (who holds each, the lanes, confidential clearance)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import role_text
from forms.roles import RoleForm
from services import roles
from services.db import db
from services.errors import InvalidInput

bp = Blueprint("admin_roles", __name__, url_prefix="/admin/roles")


@bp.before_request
@login_required
def require_admin() -> None:
    """Only administrators reach these pages."""
    roles.require_administers(current_user)


def _show_errors(form: RoleForm, exc: InvalidInput) -> None:
    """Put a service's refusal on the fields it names (the error summary lists them)."""
    for name, messages in exc.details.items():
        target = getattr(form, name, None) or form.key
        target.errors = [_(str(m)) for m in messages]


def _index_page(form: RoleForm, status: int = 200, refused: str = "") -> Any:
    return render_template(
        "admin/roles.html",
        form=form,
        roles=roles.all_roles(),
        holders=roles.holders(),
        lanes=roles.lanes_in_use(),
        language=role_text.language(),
        refused=refused,
        history=roles.history(),
    ), status


@bp.get("")
def index() -> Any:
    """Every role with who holds it, and the form that adds one."""
    return _index_page(RoleForm(data={"handles_cases": True}))


@bp.post("/new")
def add() -> Any:
    """Add a role."""
    form = RoleForm(request.form)
    if form.validate():
        try:
            role = roles.create(
                current_user,
                form.key.data,
                form.name_en.data,
                form.name_fr.data,
                description=form.description.data or "",
                handles_cases=form.handles_cases.data,
                confidential_clearance=form.confidential_clearance.data,
            )
        except InvalidInput as exc:
            db.session.rollback()
            _show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("%(name)s added.", name=role.name_in(role_text.language())))
            return redirect(url_for("admin_roles.index"))
    return _index_page(form, 422)


@bp.route("/<key>", methods=["GET", "POST"])
def edit(key: str) -> Any:
    """Change a role's names, description and flags (and the key of an unused role)."""
    role = roles.get(key)
    if request.method == "POST":
        form = RoleForm(request.form)
        if role.built_in:
            # Not offered for a built-in role (disabled fields are not posted): what is
            # stored stands. The service refuses a change of them all the same.
            form.key.data = role.key
            form.handles_cases.data = role.handles_cases
        if role.key == roles.CONFIDENTIAL_FOCAL_POINT:
            form.confidential_clearance.data = True
    else:
        form = RoleForm(obj=role)
    if request.method == "POST" and form.validate():
        try:
            role = roles.update(
                current_user,
                role.key,
                new_key=form.key.data,
                name_en=form.name_en.data,
                name_fr=form.name_fr.data,
                description=form.description.data or "",
                handles_cases=form.handles_cases.data,
                confidential_clearance=form.confidential_clearance.data,
            )
        except InvalidInput as exc:
            db.session.rollback()
            role = roles.get(key)
            _show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("%(name)s saved.", name=role.name_in(role_text.language())))
            return redirect(url_for("admin_roles.index"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "admin/role_edit.html",
        form=form,
        role=role,
        holders=roles.holders().get(role.key, []),
        in_use=[_(reason) for reason in roles.in_use(role.key)],
        language=role_text.language(),
    ), status


@bp.post("/<key>/delete")
def delete(key: str) -> Any:
    """Delete a role nobody holds and nothing uses; a clear refusal otherwise."""
    role = roles.get(key)
    name = role.name_in(role_text.language())
    try:
        roles.delete(current_user, role.key)
    except InvalidInput as exc:
        db.session.rollback()
        reasons = exc.details.get("key", [str(exc)])
        refused = _(
            "%(name)s cannot be deleted: %(reasons)s",
            name=name,
            reasons=" ".join(_(str(reason)) for reason in reasons),
        )
        return _index_page(RoleForm(data={"handles_cases": True}), 409, refused)
    db.session.commit()
    flash(_("%(name)s deleted.", name=name))
    return redirect(url_for("admin_roles.index"))
