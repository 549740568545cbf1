"""Staff complaint list, complaint detail (case file and audit trail), document downloads.

A confidential complaint is a 404 for everyone but the confidential focal point: in the
list, the reference lookup, the detail page and its documents (services.permissions).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app import department_text, downloads, history, procedure_text, service_levels
from app.local_time import local_time
from forms import StaffIntakeForm
from forms import lists as choice_lists
from forms.choices import CONTACT_CHANNELS, SAFE_CONTACT_METHODS, STATUSES, label
from forms.complaints import ComplaintFilterForm
from forms.inbox import department_options
from services import (
    attachments,
    breach_view,
    complaints,
    documents,
    form_definitions,
    inbound_mail,
    permissions,
    roles,
    sensitive,
    timers,
    workflows,
)
from services.db import db
from services.errors import NotAllowed, NotFound

bp = Blueprint("complaints", __name__, url_prefix="/complaints")

# The intake form's labels that speak to the complainant, as staff say them.
STAFF_LABELS = {
    "complainant_name": _l("Complainant"),
    "preferred_contact": _l("Preferred contact"),
    "description": _l("What happened"),
    "desired_remedy": _l("What the complainant asks for"),
    "language": _l("Language of our letters"),
}
ROUTES = {"minor": _l("Minor"), "major": _l("Major"), "confidential": _l("Confidential")}
# How a case ended: the end events of the default procedure; another end shows its id.
OUTCOMES = {
    "closed_incomplete": _l("Closed: the missing information never came"),
    "closed_not_a_complaint": _l("Closed: not a complaint or a duplicate"),
    "closed_with_survey": _l("Closed, survey answered"),
    "closed_with_survey_after_reminder": _l("Closed, survey answered after a reminder"),
    "closed_without_survey": _l("Closed, survey not answered"),
    "closed_after_review": _l("Closed after a review"),
    "closed_withdrawn": _l("Withdrawn by the complainant"),
}
# The application's own lists of the complaint's coded fields; the others are the
# procedure's (LISTED), whose words are those of the complaint's process version.
OWN_CHOICES = {
    "status": STATUSES,
    "preferred_contact": CONTACT_CHANNELS,
    "safe_contact_method": SAFE_CONTACT_METHODS,
}
LISTED = {
    "category": "categories",
    "severity": "severities",
    "channel": "channels",
    "purchase_mode": "purchase_modes",
    "payment_mode": "payment_modes",
    "delivery_mode": "delivery_modes",
}


def choices_of(lists: choice_lists.ChoiceLists) -> dict[str, Any]:
    """Field → its (value, words) pairs, the procedure's read in `lists`."""
    return {**OWN_CHOICES, **{name: lists.labels(found).items() for name, found in LISTED.items()}}


@bp.before_request
@login_required
def require_reader() -> None:
    """Only staff who read complaints reach these pages."""
    if not permissions.reads_complaints(current_user):
        raise NotAllowed(gettext("Your role does not give access to complaints."))


@bp.get("")
def index() -> Any:
    """Complaints the user may see, filtered and paginated."""
    filters = ComplaintFilterForm(request.args)
    filters.department.choices = department_options(
        department_text.labels(complaints.departments(current_user))
    )
    status = 200 if filters.validate() else 422
    values = filters.values()
    if not permissions.sees_confidential(current_user):
        values.pop("confidential", None)
    page = complaints.list_for(current_user, complaints.ComplaintFilter(**values))
    return render_template(
        "complaints/index.html",
        filters=filters,
        page=page,
        query=filters.query(),
        sees_confidential=permissions.sees_confidential(current_user),
        label=label,
        choices=_choices_by_complaint(page.complaints),
    ), status


def _choices_by_complaint(found: list[Any]) -> dict[int, dict[str, Any]]:
    """Complaint id → its fields' choices in the words of the version it runs on (as its own
    page and the API's list name them), asked for the whole page at once."""
    lists = form_definitions.lists_for_complaints(found)
    made: dict[int, dict[str, Any]] = {}  # by lists object: a page runs on a version or two
    return {
        complaint_id: made.setdefault(id(version_lists), choices_of(version_lists))
        for complaint_id, version_lists in lists.items()
    }


@bp.get("/lookup")
def lookup() -> Any:
    """Go straight to a complaint by its reference."""
    reference = request.args.get("reference", "").strip().upper()
    complaint = complaints.by_reference_for(current_user, reference)
    return redirect(url_for("complaints.show", complaint_id=complaint.id))


@bp.get("/<int:complaint_id>")
def show(complaint_id: int) -> Any:
    """The case file: intake, classification, tasks, audit trail, letters, documents."""
    case = complaints.case_file(current_user, complaint_id)
    current, done = _steps(case.complaint)
    intake_form = StaffIntakeForm()
    choices = choices_of(form_definitions.lists_for_complaint(case.complaint))
    intake = [
        (
            str(STAFF_LABELS.get(name) or intake_form[name].label.text),
            _intake_value(case.complaint, name, choices),
        )
        for name in (
            "channel",
            "received_at",
            *complaints.INTAKE_FIELDS,
        )
        if name in intake_form and name != "anonymous"
    ]
    sensitive.record_opening(current_user, case.complaint, "complaint")
    page = render_template(
        "complaints/show.html",
        case=case,
        complaint=case.complaint,
        intake=intake,
        timeline=history.entries(case.events, case.tasks),
        diagram_current=current,
        diagram_done=done,
        lane_names=procedure_text.lane_names(),
        element_names=procedure_text.element_names(),
        open_tasks=[task for task in case.tasks if task.status == "open"],
        is_manager=current_user.has_role(roles.MANAGER),
        can_retry_timers=timers.can_retry(current_user, case.complaint),
        task_clocks=breach_view.statuses(t for t in case.tasks if t.status == "open"),
        clocks=service_levels.clock_rows(breach_view.complaint_clocks(case.complaint.id)),
        routes=ROUTES,
        outcomes=OUTCOMES,
        label=label,
        choices=choices,
        referrals=sensitive.referrals(case.complaint.id) if case.complaint.confidential else [],
        may_reopen=_may_reopen(case.complaint),
        letters=documents.for_complaint(case.complaint.id),
        unconfirmed_emails=_unconfirmed_emails(case.complaint),
    )
    db.session.commit()
    return page


def _steps(complaint: Any) -> tuple[list[str], list[str]]:
    """The diagram's current and done steps; none when the state cannot be read."""
    try:
        drawing = workflows.diagram(complaint)
    except Exception:  # an unreadable state must not hide the case file (and its error box)
        current_app.logger.exception("complaint %s: state unreadable", complaint.reference)
        return [], []
    return drawing.current, drawing.done


def _may_reopen(complaint: Any) -> bool:
    """A manager (the focal point for a confidential case) may reopen it in its appeal window."""
    if complaint.status != "closed":  # only a closed case waits in its appeal window
        return False
    try:
        permissions.require_reopens(current_user, complaint)
    except NotAllowed:
        return False
    try:
        return workflows.MESSAGE_REOPEN in workflows.waiting_for(complaint)
    except Exception:  # an unreadable state must not hide the case file (and its error box)
        current_app.logger.exception("complaint %s: state unreadable", complaint.reference)
        return False


@bp.get("/<int:complaint_id>/diagram.bpmn")
def diagram(complaint_id: int) -> Any:
    """The BPMN diagram of the version the complaint runs on (drawn on the case page)."""
    complaint = complaints.get_for(current_user, complaint_id)
    drawing = workflows.diagram(complaint)
    response = Response(drawing.xml, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'inline; filename="{drawing.file_name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/<int:complaint_id>/reopen")
def reopen(complaint_id: int) -> Any:
    """Reopen a closed case with a reason: it goes to the review path."""
    complaint = complaints.get_for(current_user, complaint_id)
    workflows.reopen_by_staff(complaint, current_user, request.form.get("reason", ""))
    db.session.commit()
    flash(gettext("The case is reopened for review."))
    return redirect(url_for("complaints.show", complaint_id=complaint_id))


@bp.post("/<int:complaint_id>/emails/<int:mail_id>/confirm")
def confirm_email(complaint_id: int, mail_id: int) -> Any:
    """An email naming the case, from its address on file, is the complainant's: add it."""
    complaint = complaints.get_for(current_user, complaint_id)
    inbound_mail.confirm(
        complaint,
        mail_id,
        current_user,
        mail_dir=current_app.config["INBOUND_MAIL_DIR"],
        upload_dir=current_app.config["UPLOAD_DIR"],
    )
    db.session.commit()
    flash(gettext("The email is added to the case as the complainant's."))
    return redirect(url_for("complaints.show", complaint_id=complaint_id))


@bp.post("/<int:complaint_id>/emails/<int:mail_id>/set-aside")
def set_aside_email(complaint_id: int, mail_id: int) -> Any:
    """An email naming the case is not the complainant's: keep it off the case."""
    complaint = complaints.get_for(current_user, complaint_id)
    inbound_mail.set_aside(complaint, mail_id, current_user)
    db.session.commit()
    flash(gettext("The email is set aside: it stays off the case."))
    return redirect(url_for("complaints.show", complaint_id=complaint_id))


def _unconfirmed_emails(complaint: Any) -> list[tuple[Any, str, list[str]]]:
    """Emails naming the case that wait for the reader to confirm them, with their text and
    files' names (none for a reader who may not confirm)."""
    if not inbound_mail.may_confirm(current_user, complaint):
        return []
    found = []
    for mail in inbound_mail.unconfirmed_for(complaint):
        try:
            message = inbound_mail.message_of(mail, current_app.config["INBOUND_MAIL_DIR"])
        except NotFound:
            continue
        files = [upload.filename for upload in inbound_mail.files_of(message)]
        found.append((mail, inbound_mail.text_of(message)[:2000], files))
    return found


@bp.post("/<int:complaint_id>/retry-timers")
def retry_timers(complaint_id: int) -> Any:
    """Let the timer process fire this complaint's timers again after repeated failures."""
    timers.retry(complaint_id, current_user)
    db.session.commit()
    flash(gettext("The timers of this complaint will be tried again within a second."))
    return redirect(url_for("complaints.show", complaint_id=complaint_id))


@bp.get("/<int:complaint_id>/attachments/<int:attachment_id>")
def attachment(complaint_id: int, attachment_id: int) -> Any:
    """Download a document of a complaint the user may see."""
    found = complaints.attachment_for(current_user, complaint_id, attachment_id)
    path = attachments.path_of(found, current_app.config["UPLOAD_DIR"])
    complaint = complaints.get_for(current_user, complaint_id)
    sensitive.record_opening(current_user, complaint, "file", name=found.filename)
    db.session.commit()
    return downloads.private_file(path, found.content_type, found.filename)


@bp.get("/<int:complaint_id>/documents/<int:document_id>")
def document(complaint_id: int, document_id: int) -> Any:
    """Download a letter we produced for a complaint the user may see."""
    complaint = complaints.get_for(current_user, complaint_id)
    found = documents.get(complaint.id, document_id)
    sensitive.record_opening(current_user, complaint, "document", name=found.filename)
    db.session.commit()
    return downloads.private_file(documents.path_of(found), found.content_type, found.filename)


def _intake_value(complaint: Any, name: str, choices: Mapping[str, Any]) -> str:
    value = getattr(complaint, name)
    if name in choices:
        return str(label(choices[name], value))
    if name == "received_at":
        return local_time(value, zone=True)
    if name == "department":
        return department_text.name_of(value)
    return "" if value is None else str(value)
