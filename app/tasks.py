"""The task page: one page per user task, with the case, the diagram, the history and the form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import Form

from app import facts, procedure_text
from forms import FORMS
from forms.choices import LANGUAGES, label
from services import (
    attachments,
    audit,
    documents,
    letters,
    message_templates,
    permissions,
    sensitive,
    tasks,
    workflows,
)
from services.db import db
from services.errors import Conflict, InvalidInput, NotAllowed
from services.models import Task

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
# Task names and instructions from the diagrams, translated where the catalogue knows them.
bp.add_app_template_filter(procedure_text.translated, "translated")

INBOX_PATH = "/inbox"
CLAIM_PATH = "/inbox/tasks/{task_id}/claim"
UNCLAIM_PATH = "/inbox/tasks/{task_id}/unclaim"

# Case data shown above each form, so the person deciding sees what the decision rests on.
CONTEXT: dict[str, tuple[str, ...]] = {
    "register_complaint": ("missing_information", "information_reply", "registration_notes"),
    "classify_complaint": ("registration_notes",),
    "resolve_minor": ("category", "severity", "classification_notes", "sign_off_comment"),
    "investigate_complaint": (
        "category",
        "severity",
        "breach_of_law",
        "safety_issue",
        "financial_impact",
        "classification_notes",
        "escalation_decision",
        "escalation_comment",
    ),
    "approve_escalation": (
        "escalation_target",
        "escalation_reason",
        "investigation_report",
        "findings",
        "root_cause_category",
        "root_cause",
        "internal_corrections",
    ),
    "legal_review": (
        "escalation_target",
        "escalation_reason",
        "escalation_comment",
        "investigation_report",
        "findings",
        "root_cause_category",
        "root_cause",
    ),
    "resolve_complaint": (
        "findings",
        "root_cause_category",
        "root_cause",
        "investigation_report",
        "legal_opinion",
        "legal_action",
        "legal_recommendations",
        "sign_off_comment",
    ),
    "handle_confidential": ("category", "severity", "classification_notes", "sign_off_comment"),
    "sign_off": (
        "action_taken",
        "put_right",
        "findings",
        "protective_measures",
        "remedies",
        "remedy_details",
        "compensation_amount",
        "resolution_summary",
    ),
}
CONTEXT_TITLES = {
    "approve_escalation": _l("Escalation requested"),
    "legal_review": _l("Escalation and investigation"),
    "resolve_complaint": _l("Investigation"),
    "sign_off": _l("Resolution to sign off"),
}
EVENT_KINDS = {
    "received": _l("Complaint received"),
    "task_completed": _l("Task completed"),
    "claimed": _l("Task claimed"),
    "unclaimed": _l("Task released"),
    "reassigned": _l("Task reassigned"),
    "notification": _l("Message to the complainant"),
    "message_received": _l("Reply from the complainant"),
    "timer_fired": _l("Time limit reached"),
    "attachment_added": _l("File added"),
    "confidential_opened": _l("Confidential case opened"),
    "letter_rule": _l("Letter rule of the service-level preset"),
}
ACTORS = {audit.SYSTEM: _l("System"), audit.COMPLAINANT: _l("Complainant")}
# The letter a form's approval sends (the diagram throws it after the sign-off): the page
# shows it as it will be sent, so the manager signs off that letter.
SIGNED_OFF_LETTERS = {"sign_off": "response_letter"}
# Forms worked again after a send-back or a refusal: they start from the previous answers.
REWORKED_FORMS = frozenset(
    {"investigate_complaint", "resolve_minor", "resolve_complaint", "handle_confidential"}
)


@bp.get("/<task_id>")
@login_required
def show(task_id: str) -> Any:
    """The task: the case, the diagram, the history and, for whoever may work it, the form."""
    task = tasks.get_for(current_user, task_id)
    case = workflows.case_data(task.complaint)
    form = None
    if _may_work(task):
        form = workflows.task_form(task, None, _defaults(task, case))
    sensitive.record_opening(current_user, task.complaint, f"task {task.title}", task)
    page = _render(task, case, form)
    db.session.commit()
    return page


@bp.post("/<task_id>")
@login_required
def complete(task_id: str) -> Any:
    """Complete the task with the submitted form, then back to the inbox."""
    try:
        workflows.complete_task(task_id, current_user, request.form)
    except InvalidInput as exc:
        db.session.rollback()
        task = tasks.get_for(current_user, task_id)
        form = workflows.task_form(task, request.form)
        _show_errors(form, exc.details)
        alert = _("Please correct the highlighted fields.")
        return _render(task, workflows.case_data(task.complaint), form, alert, 422)
    except Conflict as exc:
        db.session.rollback()
        task = tasks.get_for(current_user, task_id)
        return _render(task, workflows.case_data(task.complaint), None, _conflict(task, exc), 409)
    db.session.commit()
    flash(_("Task completed"))
    return redirect(INBOX_PATH)


@bp.get("/<task_id>/letter.pdf")
@login_required
def letter_pdf(task_id: str) -> Any:
    """The letter being signed off, printed as the complainant will get it (a preview)."""
    task = tasks.get_for(current_user, task_id)
    letter = _letter_preview(task)
    if letter is None:
        abort(404)
    complaint = task.complaint
    content = documents.render_pdf(documents.letter_html(complaint, letter.text))
    response = Response(content, mimetype=documents.PDF)
    response.headers["Content-Disposition"] = (
        f'inline; filename="{complaint.reference}-preview.pdf"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _letter_preview(task: Task) -> message_templates.Rendered | None:
    """The letter an open sign-off task would send, written as if sent now; else None."""
    kind = SIGNED_OFF_LETTERS.get(task.form_key)
    if kind is None or task.status != "open":
        return None
    return workflows.message_preview(task.complaint, kind)


@bp.get("/<task_id>/diagram.bpmn")
@login_required
def diagram(task_id: str) -> Any:
    """The BPMN diagram of the version the task's complaint runs on."""
    task = tasks.get_for(current_user, task_id)
    drawing = workflows.diagram(task.complaint)
    response = Response(drawing.xml, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'inline; filename="{drawing.file_name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _may_work(task: Task) -> bool:
    if task.status != "open":
        return False
    try:
        permissions.require_work_task(current_user, task)
    except NotAllowed:
        return False
    return True


def _defaults(task: Task, case: Mapping[str, Any]) -> dict[str, Any]:
    """Start values: the previous answers of a reworked form, a drafted response letter."""
    form_cls = FORMS.get(task.form_key)
    if form_cls is None:
        return {}
    names = {f.short_name for f in form_cls()}
    values: dict[str, Any] = {}
    if task.form_key in REWORKED_FORMS:
        values = {name: case[name] for name in names if case.get(name) not in (None, "", [])}
    for letter in ("response_letter", "review_letter"):  # drafted in the complainant's language
        if letter in names and not values.get(letter):
            values[letter] = letters.draft_response(task.complaint, case, current_user)
    return values


def _show_errors(form: Form, details: Mapping[str, Any]) -> None:
    for name, messages in details.items():
        if name in form:
            form[name].errors = list(messages)


def _conflict(task: Task, exc: Conflict) -> str:
    if task.status == "completed" and task.completed_by is not None:
        return _(
            "This task was already completed by %(name)s; nothing you entered was saved.",
            name=task.completed_by.name,
        )
    if task.status != "open":
        return _("This task is no longer open; nothing you entered was saved.")
    return exc.message


def _render(
    task: Task,
    case: Mapping[str, Any],
    form: Form | None,
    alert: str | None = None,
    status: int = 200,
) -> Any:
    complaint = task.complaint
    labels = facts.FieldIndex()
    drawing = workflows.diagram(complaint)
    all_tasks = tasks.for_complaint(complaint.id)
    page = render_template(
        "tasks/show.html",
        task=task,
        complaint=complaint,
        form=form,
        alert=alert,
        instructions=procedure_text.translated(workflows.instructions(task)),
        summary=facts.complaint_summary(complaint),
        context=labels.facts(case, CONTEXT.get(task.form_key, ())),
        context_title=CONTEXT_TITLES.get(task.form_key, _l("The case so far")),
        submitted=labels.facts(task.data or {}) if task.status != "open" else [],
        history=[
            (event, labels.facts(event.data or {}) if event.kind == "task_completed" else [])
            for event in audit.history(complaint.id)
        ],
        open_tasks=[t for t in all_tasks if t.status == "open"],
        attachments=attachments.for_complaint(complaint.id),
        diagram_current=drawing.current,
        diagram_done=drawing.done,
        claim_url=CLAIM_PATH.format(task_id=task.id),
        unclaim_url=UNCLAIM_PATH.format(task_id=task.id),
        due_badge=tasks.due_badge(task),
        event_kinds=EVENT_KINDS,
        actors=ACTORS,
        when=facts.when,
        letter=_letter_preview(task),
        letter_language=label(LANGUAGES, letters.language_of(complaint)),
    )
    return page, status
