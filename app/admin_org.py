"""Administration: departments, teams, and the organisation's settings (letterhead, recourse,
service-level preset)."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    has_app_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from app import choice_source, department_text
from app.public import APPEAL_TIMER, limit_words
from forms import intake as intake_forms
from forms.organisation import (
    DepartmentForm,
    OrganisationForm,
    PresetForm,
    TeamForm,
    department_options,
)
from services import (
    attachments,
    departments,
    organisation,
    permissions,
    presets,
    procedure_summary,
    processes,
    users,
)
from services.db import db
from services.errors import InvalidInput, NotFound

bp = Blueprint("admin_org", __name__, url_prefix="/admin")


@bp.record_once
def _supply_departments(_state: Any) -> None:
    # The public form and staff intake offer the managed list (forms import nothing of ours).
    # Outside an application (a form built in a unit test) there is no list to read.
    # A department's French name is taken too, for the same department.
    intake_forms.use_departments(
        lambda: department_text.choices() if has_app_context() else [],
        lambda: department_text.aliases() if has_app_context() else {},
    )
    # Their choice lists are the active version's (the shipped ones outside an application).
    choice_source.register()


@bp.before_request
@login_required
def require_admin() -> None:
    """Only administrators reach these pages."""
    departments.require_administers(current_user)


def _show_errors(form: Any, exc: InvalidInput) -> None:
    for name, messages in exc.details.items():
        target = getattr(form, name, None) or form.name
        target.errors = [_(str(m)) for m in messages]


# --- departments and teams --------------------------------------------------------------------


def _team_form(formdata: Any = None, **kwargs: Any) -> TeamForm:
    # Prefixed: it shares the departments page with the department form (unique ids).
    form = TeamForm(formdata, prefix="team-", **kwargs)
    language = department_text.language()
    form.department.choices = department_options(
        [(d.id, d.name_in(language)) for d in departments.all_departments()]
    )
    form.members.choices = users.choices()
    return form


def _departments_page(
    department_form: DepartmentForm, team_form: TeamForm, status: int = 200
) -> Any:
    return render_template(
        "admin/departments.html",
        department_form=department_form,
        team_form=team_form,
        departments=departments.all_departments(),
        teams=departments.all_teams(),
        history=departments.history(),
    ), status


@bp.get("/departments", endpoint="departments")
def departments_index() -> Any:
    """The departments and the teams, with the forms that add one."""
    return _departments_page(DepartmentForm(), _team_form())


@bp.post("/departments/new")
def department_add() -> Any:
    """Add a department."""
    form = DepartmentForm(request.form)
    if form.validate():
        try:
            department = departments.add_department(current_user, form.name.data, form.name_fr.data)
        except InvalidInput as exc:
            db.session.rollback()
            _show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("%(name)s added.", name=department.name_in(department_text.language())))
            return redirect(url_for("admin_org.departments"))
    return _departments_page(form, _team_form(), 422)


@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
def department_edit(department_id: int) -> Any:
    """Rename a department (its complaints follow the new name)."""
    department = departments.get(department_id)
    form = DepartmentForm(request.form if request.method == "POST" else None, obj=department)
    if request.method == "POST" and form.validate():
        try:
            departments.rename_department(
                current_user, department.id, form.name.data, form.name_fr.data
            )
        except InvalidInput as exc:
            db.session.rollback()
            _show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("%(name)s saved.", name=department.name_in(department_text.language())))
            return redirect(url_for("admin_org.departments"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/department_edit.html", form=form, department=department), status


@bp.post("/departments/<int:department_id>/active")
def department_active(department_id: int) -> Any:
    """Stop offering a department (complaints keep it), or offer it again."""
    active = request.form.get("active") == "1"
    department = departments.set_department_active(current_user, department_id, active)
    db.session.commit()
    if active:
        flash(_("%(name)s is offered again.", name=department.name_in(department_text.language())))
    else:
        flash(
            _(
                "%(name)s is no longer offered; complaints keep it.",
                name=department.name_in(department_text.language()),
            )
        )
    return redirect(url_for("admin_org.departments"))


@bp.post("/teams/new")
def team_add() -> Any:
    """Add a team."""
    form = _team_form(request.form)
    if form.validate():
        try:
            team = departments.add_team(
                current_user, form.name.data, form.department.data or None, form.members.data or []
            )
        except InvalidInput as exc:
            db.session.rollback()
            _show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("%(name)s added.", name=team.name))
            return redirect(url_for("admin_org.departments") + "#teams")
    return _departments_page(DepartmentForm(), form, 422)


@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
def department_team(team_id: int) -> Any:
    """Change a team's name, department and members."""
    team = departments.get_team(team_id)
    if request.method == "POST":
        form = _team_form(request.form)
    else:
        form = _team_form(
            data={
                "name": team.name,
                "department": team.department_id or 0,
                "members": [u.id for u in team.members],
            }
        )
    if request.method == "POST" and form.validate():
        try:
            departments.update_team(
                current_user,
                team.id,
                form.name.data,
                form.department.data or None,
                form.members.data or [],
            )
        except InvalidInput as exc:
            db.session.rollback()
            _show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("%(name)s saved.", name=team.name))
            return redirect(url_for("admin_org.departments") + "#teams")
    status = 422 if request.method == "POST" else 200
    return render_template("admin/team_edit.html", form=form, team=team), status


@bp.post("/teams/<int:team_id>/active")
def department_team_active(team_id: int) -> Any:
    """Stop routing tasks to a team, or start again."""
    active = request.form.get("active") == "1"
    team = departments.set_team_active(current_user, team_id, active)
    db.session.commit()
    if active:
        flash(_("%(name)s is active again.", name=team.name))
    else:
        flash(_("%(name)s is deactivated: no new task goes to it.", name=team.name))
    return redirect(url_for("admin_org.departments") + "#teams")


# --- organisation -----------------------------------------------------------------------------


def _preset_form(formdata: Any = None) -> PresetForm:
    language = str(get_locale() or "en")
    form = PresetForm(formdata, data=None if formdata else {"preset": presets.active().id})
    form.preset.choices = [SelectChoice(p.id, p.title_in(language)) for p in presets.available()]
    return form


def _appeal_window(language: str) -> str:
    """The appeal window the active procedure sets (its timer), in words; "" if none."""
    try:
        summary = procedure_summary.summary_of(processes.active_version(), presets.active())
    except NotFound:
        return ""
    limit = summary.for_timer(APPEAL_TIMER)
    return limit_words(limit, language) if limit is not None else ""


def _organisation_page(form: OrganisationForm, preset_form: PresetForm, status: int = 200) -> Any:
    language = str(get_locale() or "en")
    preset = presets.active()
    return render_template(
        "admin/organisation.html",
        form=form,
        preset_form=preset_form,
        preset=preset,
        preset_rule=preset.rule_fr if language == "fr" and preset.rule_fr else preset.rule,
        defaults=current_app.config,
        logo=organisation.logo(),
        appeal_window=_appeal_window(language),
        # The editor refuses all but process owners: the link is for an administrator who is one.
        procedure_url=url_for("processes.editor")
        if "processes.editor" in current_app.view_functions
        and permissions.manages_processes(current_user)
        else "",
        public_procedure_url=url_for("public.procedure"),
        history=organisation.history(),
    ), status


@bp.route("/organisation", methods=["GET", "POST"], endpoint="organisation")
def organisation_page() -> Any:
    """Name, logo, address, complaints email, signature and recourse body of the letters."""
    if request.method == "GET":
        return _organisation_page(OrganisationForm(data=organisation.values()), _preset_form())
    form = OrganisationForm(request.form)
    if form.validate():
        upload = request.files.get("logo")
        logo = None
        if upload is not None and upload.filename:
            logo = attachments.Upload(upload.filename, upload.stream, upload.mimetype or "")
        try:
            organisation.update(
                current_user,
                {name: getattr(form, name).data for name in organisation.TEXT_FIELDS},
                logo_upload=logo,
                remove_logo=request.form.get("remove_logo") == "1",
            )
        except InvalidInput as exc:
            db.session.rollback()
            _show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Organisation settings saved. Letters written from now on use them."))
            return redirect(url_for("admin_org.organisation"))
    return _organisation_page(form, _preset_form(), 422)


@bp.post("/organisation/preset")
def organisation_preset() -> Any:
    """Choose the service-level preset new clocks follow."""
    form = _preset_form(request.form)
    if form.validate():
        preset = organisation.set_preset(current_user, form.preset.data)
        db.session.commit()
        flash(
            _(
                "Service levels now follow %(preset)s for the clocks that start from now on.",
                preset=preset.title_in(str(get_locale() or "en")),
            )
        )
        return redirect(url_for("admin_org.organisation") + "#preset")
    return _organisation_page(OrganisationForm(data=organisation.values()), form, 422)


@bp.get("/organisation/logo")
def organisation_logo() -> Any:
    """The uploaded logo, for the settings page."""
    logo = organisation.logo()
    if logo is None:
        raise NotFound("No logo.")
    response = Response(logo.content, mimetype=logo.content_type)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
