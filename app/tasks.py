"""The task page: one page per user task, with the case, the diagram, the history and the form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from babel import Locale
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from wtforms import Form

from app import domain_messages, facts, history, procedure_text, uploads
from app.numbers import per_render
from forms.definitions import FormDefinition
from services import (
    attachments,
    audit,
    breach_view,
    documents,
    drafts,
    form_definitions,
    letters,
    notifications,
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
bp.add_app_template_filter(per_render(procedure_text.translated), "translated")

INBOX_PATH = "/inbox"
CLAIM_PATH = "/inbox/tasks/{task_id}/claim"
UNCLAIM_PATH = "/inbox/tasks/{task_id}/unclaim"


@bp.app_template_global()
def may_open_task(task: Task) -> bool:
    """True when the signed-in user may open the task's page (what show() enforces): pages
    that list other roles' tasks link only these, and give the others' titles as text."""
    return permissions.can_view_task(current_user, task)


@bp.get("/<task_id>")
@login_required
def show(task_id: str) -> Any:
    """The task: the case, the diagram, the history and, for whoever may work it, the form."""
    task = tasks.get_for(current_user, task_id)
    case = workflows.case_data(task.complaint)
    page = _render(task, case, _work_form(task, case))
    sensitive.record_opening(current_user, task.complaint, "task", task, name=task.title)
    db.session.commit()
    return page


def _work_form(task: Task, case: Mapping[str, Any]) -> Form | None:
    """The form for whoever may work the task: their own draft if they kept one."""
    if not _may_work(task):
        return None
    draft = drafts.get(current_user, task)
    if draft is not None:
        posted = MultiDict([(k, v) for k, values in draft.values.items() for v in values])
        return workflows.task_form(task, posted)
    return workflows.task_form(task, None, _defaults(task, case))


@bp.post("/<task_id>")
@login_required
def complete(task_id: str) -> Any:
    """Complete the task with the submitted form, then back to the inbox."""
    try:
        completed = workflows.complete_task(task_id, current_user, request.form)
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
    drafts.discard_all(completed)
    db.session.commit()
    flash(_("Task completed"))
    if request.form.get("next_task"):
        following = tasks.next_task(current_user)
        if following is not None:
            return redirect(url_for("tasks.show", task_id=following.id))
        flash(_("No other task is waiting in your inbox."))
    return redirect(INBOX_PATH)


@bp.post("/<task_id>/draft")
@login_required
def save_draft(task_id: str) -> Any:
    """Keep the form's current values for this user and task, without validating them."""
    task = tasks.get_for(current_user, task_id)
    drafts.save(current_user, task, request.form)
    db.session.commit()
    flash(_("Draft saved. Only you can see it; it is restored when you come back to this task."))
    return redirect(url_for("tasks.show", task_id=task.id) + "#form-title")


@bp.post("/<task_id>/draft/delete")
@login_required
def discard_draft(task_id: str) -> Any:
    """Throw away the user's draft: the form starts again from the case's values."""
    task = tasks.get_for(current_user, task_id)
    drafts.discard(current_user, task)
    db.session.commit()
    flash(_("Draft discarded."))
    return redirect(url_for("tasks.show", task_id=task.id) + "#form-title")


@bp.post("/<task_id>/attachments")
@login_required
def add_attachments(task_id: str) -> Any:
    """Staff documents on the task (investigation documents, photos, signed letters)."""
    task = tasks.get_for(current_user, task_id)
    try:
        added = attachments.add_to_task(
            task,
            uploads.files(),
            uploaded_by=current_user,
            upload_dir=current_app.config["UPLOAD_DIR"],
        )
    except attachments.AttachmentRefused as exc:
        db.session.rollback()
        task = tasks.get_for(current_user, task_id)
        case = workflows.case_data(task.complaint)
        alert = _("No file was added.")
        return _render(
            task, case, _work_form(task, case), alert, 422, uploads.task_problem_texts(exc.problems)
        )
    db.session.commit()
    flash(ngettext("%(num)d file added.", "%(num)d files added.", len(added)))
    return redirect(url_for("tasks.show", task_id=task.id) + "#task-files")


@bp.get("/<task_id>/letter.pdf")
@login_required
def letter_pdf(task_id: str) -> Any:
    """The letter being signed off, printed as the complainant will get it (a preview)."""
    task = tasks.get_for(current_user, task_id)
    letter = _letter_preview(task)
    if letter is None or not letter.is_letter:  # a notice is a message, never printed
        abort(404)
    complaint = task.complaint
    content = documents.render_pdf(documents.letter_html(complaint, letter.text))
    response = Response(content, mimetype=documents.PDF)
    response.headers["Content-Disposition"] = (
        f'inline; filename="{complaint.reference}-preview.pdf"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _letter_preview(task: Task) -> notifications.Preview | None:
    """The letter an open sign-off task would send, written as if sent now; else None."""
    kind = _definition(task).signs_off_letter if task.status == "open" else None
    if kind is None:
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
    found = _definition(task)
    names = set(found.field_names)
    values: dict[str, Any] = {}
    if found.reworked:
        values = {name: case[name] for name in names if case.get(name) not in (None, "", [])}
    for letter in ("response_letter", "review_letter"):  # drafted in the complainant's language
        if letter in names and not values.get(letter):
            values[letter] = letters.draft_response(task.complaint, case, current_user)
    return values


def _definition(task: Task) -> FormDefinition:
    return form_definitions.definition(task)


def _show_errors(form: Form, details: Mapping[str, Any]) -> None:
    # A service's own refusal (a Text: "No complaint has the reference …") in the reader's
    # language; the form's messages are already.
    for name, messages in domain_messages.localize_all(dict(details)).items():
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
    return domain_messages.translate(exc)  # "The complaint is busy; try again."…


def _render(
    task: Task,
    case: Mapping[str, Any],
    form: Form | None,
    alert: str | None = None,
    status: int = 200,
    file_errors: list[str] | None = None,
) -> Any:
    complaint = task.complaint
    found = _definition(task)
    labels = facts.FieldIndex(form_definitions.for_version(complaint.instance.process_version))
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
        context=labels.facts(case, found.context),
        context_title=found.text("context_title") or _l("The case so far"),
        phase=found.text("phase"),
        submitted=labels.facts(task.data or {}) if task.status != "open" else [],
        timeline=history.entries(audit.history(complaint.id), all_tasks),
        lane_names=procedure_text.lane_names(),
        element_names=procedure_text.element_names(),
        open_tasks=[t for t in all_tasks if t.status == "open"],
        attachments=attachments.for_complaint(complaint.id),
        task_files=attachments.for_task(task.id),
        file_errors=file_errors or [],
        accepted_files=uploads.ACCEPTED_FILES,
        max_task_files=attachments.MAX_PER_TASK,
        max_file_mb=attachments.MAX_SIZE // (1024 * 1024),
        has_draft=form is not None and drafts.get(current_user, task) is not None,
        diagram_current=drawing.current,
        diagram_done=drawing.done,
        claim_url=CLAIM_PATH.format(task_id=task.id),
        unclaim_url=UNCLAIM_PATH.format(task_id=task.id),
        due_badge=tasks.due_badge(task),
        # Its time left, counted and said as the inbox and the service-level view say it.
        clock_status=breach_view.statuses([task])[task.id] if task.status == "open" else None,
        when=facts.when,
        letter=_letter_preview(task),
        # In a sentence, in the reader's words: "in French", "en français" (not the
        # language's own name, "Français", that the language choices show).
        letter_language=Locale.parse(letters.language_of(complaint)).get_language_name(
            get_locale()
        ),
    )
    return page, status
