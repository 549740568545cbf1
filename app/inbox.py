"""The staff task inbox: scopes, filters, saved filters, claiming and reassigning.

Errors: a task or saved filter the user may not see is a 404 page and a forbidden action a
403 page (app/errors.py). A task that changed under the user (claimed by someone else,
completed meanwhile) is no fault of theirs: they go back where they were with a message.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app import department_text, role_text
from app.domain_messages import translate
from app.procedure_text import translated
from app.redirects import safe_next
from forms import lists as choice_lists
from forms.choices import STATUSES, label
from forms.inbox import (
    SCOPES,
    AllTasksFilterForm,
    BulkForm,
    InboxFilterForm,
    ReassignForm,
    SaveFilterForm,
    department_options,
)
from services import breach_view, complaints, permissions, roles, saved_filters, tasks
from services.db import db
from services.errors import Conflict, InvalidInput, NotAllowed
from services.models import User

bp = Blueprint("inbox", __name__, url_prefix="/inbox")

# The procedure's lists the inbox names values of (processes/choices.toml).
LISTED = {"category": "categories", "severity": "severities", "channel": "channels"}


def choices() -> dict[str, Any]:
    """Field → its (value, words) pairs: every deployed version's lists (forms.lists.filterable),
    and the statuses."""
    lists = choice_lists.filterable()
    return {
        "status": STATUSES,
        **{name: lists.labels(found).items() for name, found in LISTED.items()},
    }


@bp.before_request
@login_required
def require_lane_role() -> None:
    """Only staff holding a lane role have an inbox."""
    if not permissions.works_on_tasks(current_user):
        raise NotAllowed(_("Only staff who handle complaints have a task inbox."))


@bp.app_template_global()
def task_url(task_id: str) -> str:
    """The address of a task's page."""
    return url_for("tasks.show", task_id=task_id)


@bp.get("")
def index() -> Any:
    """The task inbox of the signed-in user."""
    return _render(InboxFilterForm(request.args), SaveFilterForm())


def _render(filters: InboxFilterForm, save_form: SaveFilterForm, status: int = 200) -> Any:
    filters.department.choices = department_options(
        department_text.labels(complaints.departments(current_user))
    )
    if not filters.validate():
        status = 422
    flt = tasks.InboxFilter(**filters.values())
    page = tasks.inbox(current_user, flt)
    return render_template(
        "inbox/index.html",
        filters=filters,
        save_form=save_form,
        flt=flt,
        page=page,
        query=filters.query(),
        counts=tasks.scope_counts(current_user, flt),
        scopes=SCOPES,
        saved=saved_filters.list_for(current_user),
        clocks=breach_view.statuses(page.tasks),
        label=label,
        choices=choices(),
        role_labels=role_text.choices(),
        bulk_form=_bulk_form(),
    ), status


def _bulk_form(formdata: Any = None) -> BulkForm:
    """The bulk action form; only managers may assign."""
    form = BulkForm(formdata)
    manages = current_user.has_role(roles.MANAGER)
    people = tasks.assignable_people() if manages else []
    form.set_people(((p.id, p.name) for p in people), assigns=manages)
    return form


@bp.post("/bulk")
def bulk() -> Any:
    """Claim, release or assign the ticked tasks, each on its own; report each refusal."""
    back = safe_next(url_for("inbox.index"))
    form = _bulk_form(request.form)
    if not form.validate():
        for messages in form.errors.values():
            for message in messages:
                flash(str(message), "error")
        return redirect(back)
    assignee = None
    if form.action.data == "assign":
        assignee = db.session.get(User, form.assignee.data)
        if assignee is None or not assignee.active:
            flash(_("Choose who takes the ticked tasks."), "error")
            return redirect(back)
    try:
        outcomes = tasks.bulk(current_user, form.action.data, form.task_ids.data, assignee)
    except InvalidInput as exc:
        db.session.rollback()
        flash(translate(exc), "error")
        return redirect(back)
    db.session.commit()
    done = sum(1 for o in outcomes if o.done)
    messages = {
        "claim": ngettext("%(num)d task claimed.", "%(num)d tasks claimed.", done),
        "release": ngettext("%(num)d task released.", "%(num)d tasks released.", done),
        "assign": ngettext(
            "%(num)d task assigned to %(name)s.",
            "%(num)d tasks assigned to %(name)s.",
            done,
            name=assignee.name if assignee else "",
        ),
    }
    flash(messages[form.action.data])
    for outcome in outcomes:
        if not outcome.done:
            what = (
                f"{outcome.reference} · {translated(outcome.title)}"
                if outcome.reference
                else _("A task")
            )
            # Services word reasons in English, naming people through placeholders: the
            # catalogue has them (app/domain_messages.py), filled in after translation.
            reason = translate(outcome.error) if outcome.error else ""
            flash(_("%(task)s: not done. %(reason)s", task=what, reason=reason), "error")
    return redirect(back)


@bp.get("/all")
def all_tasks() -> Any:
    """Every open task, whoever holds it (managers): filter, then assign or release in bulk."""
    tasks.require_manager(current_user)
    filters = AllTasksFilterForm(request.args)
    filters.department.choices = department_options(
        department_text.labels(complaints.departments(current_user))
    )
    status = 200 if filters.validate() else 422
    values = filters.values()
    assignee = values.pop("assignee", "")  # a person's id, NOBODY, or everyone's ("")
    flt = tasks.InboxFilter(**values)
    page = tasks.all_open(current_user, flt, assignee)
    query = filters.query()
    bulk_form = _bulk_form()
    bulk_form.action.data = "assign"  # a manager here hands tasks out more than claims them
    return render_template(
        "inbox/all.html",
        filters=filters,
        flt=flt,
        page=page,
        query=query,
        assignee=assignee,
        clocks=breach_view.statuses(page.tasks),
        label=label,
        choices=choices(),
        role_labels=role_text.choices(),
        bulk_form=bulk_form,
    ), status


@bp.get("/workload")
def workload() -> Any:
    """Open and overdue tasks per person, team, role and department (managers)."""
    load = tasks.workload(current_user)
    return render_template(
        "inbox/workload.html", load=load, label=label, role_labels=role_text.choices()
    )


@bp.post("/filters")
def save_filter() -> Any:
    """Keep the current filters under a name."""
    filters = InboxFilterForm(request.form)
    filters.department.choices = department_options(
        department_text.labels(complaints.departments(current_user))
    )
    save_form = SaveFilterForm(request.form)
    filters_valid = filters.validate()
    if not (save_form.validate() and filters_valid):
        return _render(filters, save_form, 422)
    saved = saved_filters.save(current_user, save_form.name.data, filters.query())
    db.session.commit()
    flash(_("Filter “%(name)s” saved.", name=saved.name))
    return redirect(url_for("inbox.index", **saved.query))


@bp.post("/filters/<int:filter_id>/delete")
def delete_filter(filter_id: int) -> Any:
    """Delete one of the user's saved filters."""
    saved = saved_filters.delete(current_user, filter_id)
    db.session.commit()
    flash(_("Filter “%(name)s” deleted.", name=saved.name))
    return redirect(safe_next(url_for("inbox.index")))


@bp.post("/tasks/<task_id>/claim")
def claim(task_id: str) -> Any:
    """Take a task for oneself."""
    try:
        task = tasks.claim(current_user, task_id)
    except Conflict as exc:
        return _went_back(_("The task could not be claimed: %(reason)s", reason=translate(exc)))
    db.session.commit()
    flash(_("You have claimed “%(title)s”.", title=translated(task.title)))
    return redirect(safe_next(url_for("inbox.index")))


@bp.post("/tasks/<task_id>/unclaim")
def unclaim(task_id: str) -> Any:
    """Give a task back to its role's queue."""
    try:
        task = tasks.unclaim(current_user, task_id)
    except Conflict as exc:
        return _went_back(_("The task could not be released: %(reason)s", reason=translate(exc)))
    db.session.commit()
    flash(_("“%(title)s” is back in the queue.", title=translated(task.title)))
    return redirect(safe_next(url_for("inbox.index")))


@bp.route("/tasks/<task_id>/reassign", methods=["GET", "POST"])
def reassign(task_id: str) -> Any:
    """A manager gives an open task to someone holding its role."""
    task = tasks.get_for_manager(current_user, task_id)
    people = tasks.candidates(task)
    form = ReassignForm(request.form)
    form.set_candidates((person.id, person.name) for person in people)
    if request.method == "POST" and form.validate():
        assignee = next(person for person in people if person.id == form.assignee.data)
        try:
            tasks.reassign(current_user, task.id, assignee)
        except Conflict as exc:
            return _went_back(
                _("The task could not be reassigned: %(reason)s", reason=translate(exc))
            )
        db.session.commit()
        flash(
            _(
                "“%(title)s” is now assigned to %(name)s.",
                title=translated(task.title),
                name=assignee.name,
            )
        )
        return redirect(safe_next(url_for("inbox.index")))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "inbox/reassign.html",
        task=task,
        form=form,
        next=safe_next(url_for("complaints.show", complaint_id=task.complaint_id)),
    ), status


def _went_back(message: str) -> Any:
    db.session.rollback()
    flash(message, "error")
    return redirect(safe_next(url_for("inbox.index")))
