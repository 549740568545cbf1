"""Complaints for staff and integrators: list and search, look-up by reference, authenticated
intake, task reassignment."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import current_app, jsonify, request, url_for
from flask_babel import get_locale, gettext
from werkzeug.datastructures import MultiDict

from app import uploads
from app.api import serializers
from app.api.auth import token_required
from app.api.blueprint import bp
from app.api.media import JSON, MULTIPART, reads
from app.api.views import if_match, json_form, too_long
from app.input_guards import MAX_INT as MAX_ID
from forms import lists as choice_lists
from forms.choices import STATUSES
from forms.intake import StaffIntakeForm
from services import (
    assignment,
    attachments,
    business_calendar,
    complaint_search,
    complaints,
    form_definitions,
    permissions,
    sensitive,
    tasks,
)
from services.complaint_search import MAX_LIMIT, SORTS, STATES, ComplaintQuery
from services.db import db
from services.errors import InvalidInput, NotAllowed
from services.models import User

# The web form files its own complaints (POST /complaints); staff record the other channels.
WEB_CHANNEL = "web"
# The list's filters with a list of values: the statuses, and lists of the procedure's
# (processes/choices.toml) whose values are those of every deployed version.
LISTED = {"category": "categories", "channel": "channels"}
CHOICE_PARAMETERS = ("status", *LISTED)
TEXT_LIMITS = {"reference": 20, "name": 200, "department": 100}
LIST_PARAMETERS = (
    *CHOICE_PARAMETERS,
    *TEXT_LIMITS,
    "received_from",
    "received_to",
    "state",
    "sort",
    "limit",
    "cursor",
)
# The multipart part that carries files, as on the intake page.
FILES_FIELD = "attachments"


def choices() -> dict[str, list[str]]:
    """The values each filter with a list of values takes (every deployed version's lists:
    forms.lists.filterable)."""
    lists = choice_lists.filterable()
    return {
        "status": [value for value, _ in STATUSES],
        **{name: lists.values(found) for name, found in LISTED.items()},
    }


# --- routes ---------------------------------------------------------------------------------


@bp.get("/complaints")
@token_required
def list_complaints(user: User) -> Any:
    """The complaints the caller may see, filtered, newest first, a page per cursor."""
    if not permissions.reads_complaints(user):
        raise NotAllowed(gettext("Your role does not give access to complaints."))
    query = complaint_query(request.args)
    found = complaint_search.search(user, query)
    lists = form_definitions.lists_for_complaints(found.complaints)  # the page's at once
    kept = {k: v for k, v in request.args.items() if k in LIST_PARAMETERS and k != "cursor"}
    return jsonify(
        {
            "complaints": [
                serializers.complaint_list_item(c, lists[c.id]) for c in found.complaints
            ],
            "limit": query.limit,
            "next_cursor": found.next_cursor,
            "links": {
                "self": url_for("api.list_complaints", **kept, cursor=request.args.get("cursor")),
                "next": url_for("api.list_complaints", **kept, cursor=found.next_cursor)
                if found.next_cursor
                else None,
            },
        }
    )


@bp.get("/complaints/by-reference/<reference>")
@token_required
def complaint_by_reference(user: User, reference: str) -> Any:
    """A complaint by its reference (closed ones too), as GET /complaints/{id} answers."""
    complaint = complaints.by_reference_for(user, reference.strip().upper())
    case = complaints.case_file(user, complaint.id)
    body = serializers.complaint_detail(case)
    sensitive.record_opening(user, case.complaint, "complaint", api=True)
    db.session.commit()
    return jsonify(body)


@bp.post("/complaints/intake")
@token_required(scope="intake")
@reads(JSON, MULTIPART)
def record_complaint(user: User) -> Any:
    """Record a complaint received by telephone, at the counter, by letter, email or on social
    media: the intake page's form and file checks, as JSON or multipart (with files)."""
    permissions.require_records_complaints(user)
    if request.mimetype == "multipart/form-data":
        form, posted = _multipart_intake()
    else:
        payload = request.get_json(silent=True)
        if isinstance(payload, dict) and FILES_FIELD in payload:
            # The form has a file field; JSON cannot carry files (multipart does).
            raise InvalidInput(
                gettext("Please correct the highlighted fields."),
                details={FILES_FIELD: [gettext("Send files in a multipart/form-data body.")]},
            )
        form, posted = json_form(StaffIntakeForm, intake_form), []
        if form.errors:
            raise InvalidInput(
                gettext("Please correct the highlighted fields."), details=form.errors
            )
    data = form.task_data()
    data["language"] = data.get("language") or str(get_locale())
    filed = complaints.file_complaint(
        data,
        channel=data["channel"],
        received_by=user,
        received_at=business_calendar.from_local(data["received_at"])
        if data["received_at"]
        else None,
    )
    if posted:
        attachments.add_all(
            filed.complaint, posted, uploaded_by=user, upload_dir=current_app.config["UPLOAD_DIR"]
        )
    db.session.commit()
    visible = permissions.can_view_complaint(user, filed.complaint)
    body = serializers.recorded(filed, visible)
    # The tracking token is shown once and answers for the complainant: no cache keeps it.
    headers = {"Cache-Control": "no-store"}
    if visible:  # a confidential complaint's address would be a 404 for this caller
        headers["Location"] = url_for("api.show_complaint", complaint_id=filed.complaint.id)
    return jsonify(body), 201, headers


@bp.post("/tasks/<task_id>/assign")
@token_required(scope="tasks")
@reads(JSON)
def assign_task(user: User, task_id: str) -> Any:
    """Managers: give an open task they oversee to someone holding its role, or (null) back
    to its team."""
    # If-Match as for the other task actions: the link from GET /tasks/{id} sends the ETag
    # read, and a reassignment made on a stale read would undo someone else's.
    if_match(user, task_id, load=tasks.get_for_manager)
    payload = request.get_json(silent=True)
    assignee_id = _assignee_id(payload)
    task = assignment.assign(user, task_id, assignee_id)
    # Built before the commit expires what it reads; the ETag is the one GET /tasks/{id} gives.
    answer = jsonify(serializers.task_dict(task)), {"ETag": serializers.task_etag(task)}
    db.session.commit()
    return answer


# --- input ----------------------------------------------------------------------------------


def intake_form(formdata: MultiDict[str, str] | None = None) -> StaffIntakeForm:
    """The staff intake form, its channels without the web form's."""
    form = StaffIntakeForm(formdata)
    form.channel.choices = [c for c in form.channel.choices if c.value != WEB_CHANNEL]
    return form


def _multipart_intake() -> tuple[StaffIntakeForm, list[attachments.Upload]]:
    """The intake form and its files from a multipart body; 422 naming each problem."""
    form = intake_form(request.form)
    known = {field.short_name for field in form}
    problems: dict[str, list[str]] = {}
    for name in [*request.form, *request.files]:
        if name not in known and name != FILES_FIELD:
            problems[name] = [gettext("This field is not part of the form.")]
    posted = uploads.files()
    if not form.validate():
        problems.update({name: [str(m) for m in msgs] for name, msgs in form.errors.items()})
    refused = uploads.problem_texts(attachments.check_all(posted))
    if refused:
        problems[FILES_FIELD] = refused
    if problems:
        raise InvalidInput(gettext("Please correct the highlighted fields."), details=problems)
    return form, posted


def _assignee_id(payload: Any) -> int | None:
    """The assignee id of an assign body: {"assignee_id": id or null}; 422 otherwise."""
    if not isinstance(payload, dict):
        raise InvalidInput(
            gettext("Send a JSON object with the form's fields."),
            details={"body": [gettext("The input must be a JSON object.")]},
        )
    problems = {
        str(name): [gettext("This field is not part of the form.")]
        for name in payload
        if name != "assignee_id"
    }
    value = payload.get("assignee_id", ...)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 12.0 is an integer in JSON Schema, as in the task forms
    if value is ...:
        problems["assignee_id"] = [gettext("This field is required.")]
    elif value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID
    ):
        problems["assignee_id"] = [gettext("Give a user id, or null to release the task.")]
    if problems:
        raise InvalidInput(gettext("Please correct the highlighted fields."), details=problems)
    return None if value is None else int(value)


def complaint_query(args: MultiDict[str, str]) -> ComplaintQuery:
    """The list's query from the query string; 422 naming each bad parameter."""
    problems: dict[str, list[str]] = {}
    chosen: dict[str, Any] = {}
    for name, allowed in (*choices().items(), ("state", list(STATES)), ("sort", list(SORTS))):
        value = args.get(name) or None
        if value is not None and value not in allowed:
            problems[name] = [gettext("Choose one of: %(values)s.", values=", ".join(allowed))]
        chosen[name] = value
    texts = {name: (args.get(name) or "").strip() for name in TEXT_LIMITS}
    too_long(texts, TEXT_LIMITS, problems)
    chosen.update({name: value or None for name, value in texts.items()})
    for name in ("received_from", "received_to"):
        chosen[name] = _day(args.get(name), name, problems)
    start, end = chosen["received_from"], chosen["received_to"]
    if start is not None and end is not None and end < start:
        problems["received_to"] = [gettext("Give a date on or after received_from.")]
    limit = args.get("limit", "25")
    if re.fullmatch(r"[0-9]{1,3}", limit) and 1 <= int(limit) <= MAX_LIMIT:
        chosen["limit"] = int(limit)
    else:
        problems["limit"] = [gettext("Give a whole number from 1 to %(max)d.", max=MAX_LIMIT)]
    chosen["sort"] = chosen["sort"] or "newest"
    cursor = args.get("cursor")
    if cursor:
        try:
            chosen["after"] = complaint_search.decode_cursor(cursor)
        except InvalidInput:
            problems["cursor"] = [gettext("This cursor is not one this list gave.")]
    if problems:
        raise InvalidInput(gettext("Please correct the query parameters."), details=problems)
    return ComplaintQuery(**chosen)


def _day(text: str | None, name: str, problems: dict[str, list[str]]) -> date | None:
    if not text:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        problems[name] = [gettext("Give a date as YYYY-MM-DD.")]
        return None


# --- the OpenAPI document (app/api/complaints_doc.py) ---------------------------------------


def paths() -> dict[str, Any]:
    """This part's operations for the OpenAPI document (keys relative to /api/v1)."""
    from app.api import complaints_doc  # it reads this module's forms and limits

    return complaints_doc.paths()


def schemas() -> dict[str, Any]:
    """This part's component schemas for the OpenAPI document."""
    from app.api import complaints_doc

    return complaints_doc.schemas()
