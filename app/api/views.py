"""The JSON API's routes: filing and tracking for the public, the task inbox for staff."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import get_locale, gettext
from werkzeug.datastructures import MultiDict

from app.api import openapi, serializers
from app.api.auth import token_required
from app.api.openapi import MAX_PAGE, MAX_PER_PAGE
from app.extensions import csrf, limiter
from forms import FORMS, ComplaintForm, TaskForm, formdata_from_json
from forms.base import JsonInputError, schema_errors
from services import complaints, sensitive, tasks, workflows
from services import tracking as tracking_service
from services.db import db
from services.errors import InvalidInput, LinkExpired, NotFound
from services.models import Task, User
from services.tasks import SCOPES, SORTS, InboxFilter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Cookie-less: staff authenticate with a bearer token, the public endpoints need nothing.
csrf.exempt(bp)

FILTERS = ("category", "severity", "channel", "status", "department", "search")
QUERY_PARAMETERS = frozenset({"scope", "sort", "page", "per_page", *FILTERS})


def filing_limit() -> str:
    """How many complaints one address may file through the API."""
    return str(current_app.config["API_FILING_RATE_LIMIT"])


@bp.post("/complaints")
@limiter.limit(filing_limit)
def file_complaint() -> Any:
    """File a complaint as the public web form does; answer its reference and tracking link."""
    form = ComplaintForm(json_formdata(ComplaintForm))
    if not form.validate():
        raise InvalidInput(gettext("Please correct the highlighted fields."), details=form.errors)
    # Without a language: the request's (Accept-Language).
    data = {**form.task_data(), "language": form.language.data or str(get_locale())}
    filed = complaints.file_complaint(data, channel="web")
    db.session.commit()
    body = serializers.filed(filed)
    return jsonify(body), 201, {"Location": body["links"]["tracking"]}


@bp.get("/tracking/<token>")
def tracking(token: str) -> Any:
    """A complaint's public status and timeline, by its private tracking token."""
    try:
        complaint = complaints.by_token(token)
    except LinkExpired as exc:
        raise LinkExpired(
            gettext(
                "This tracking link has expired. Ask for a new one with your reference and the "
                "email address or telephone number you gave us: %(url)s",
                url=url_for("public.resend_link", _external=True),
            )
        ) from exc
    return jsonify(serializers.tracking(tracking_service.overview(complaint)))


@bp.get("/tasks")
@token_required
def list_tasks(user: User) -> Any:
    """The signed-in staff member's open tasks, filtered and paginated like the inbox."""
    flt = inbox_filter(request.args)
    page = tasks.inbox(user, flt)
    return jsonify(serializers.inbox_page(page, page_links(page.page, page.pages)))


@bp.get("/tasks/<task_id>")
@token_required
def show_task(user: User, task_id: str) -> Any:
    """A task, with the JSON Schema of the data that completes it."""
    task = tasks.get_for(user, task_id)
    # The task's form with the choices it reads from data (the support services offered).
    schema = form_class(task).json_schema(workflows.task_form(task))
    body = serializers.task_detail(task, schema)
    sensitive.record_opening(user, task.complaint, f"task {task.title} (API)", task)
    db.session.commit()
    return jsonify(body)


@bp.post("/tasks/<task_id>/claim")
@token_required
def claim_task(user: User, task_id: str) -> Any:
    """Take an open task for oneself."""
    task = tasks.claim(user, task_id)
    db.session.commit()
    return jsonify(serializers.task_dict(task))


@bp.post("/tasks/<task_id>/unclaim")
@token_required
def unclaim_task(user: User, task_id: str) -> Any:
    """Give a claimed task back to its role's queue."""
    task = tasks.unclaim(user, task_id)
    db.session.commit()
    return jsonify(serializers.task_dict(task))


@bp.post("/tasks/<task_id>/complete")
@token_required
def complete_task(user: User, task_id: str) -> Any:
    """Complete a task with a JSON object validated by the same form as the task's page."""
    task = tasks.get_for(user, task_id)
    formdata = json_formdata(form_class(task), lambda data: workflows.task_form(task, data))
    task = workflows.complete_task(task_id, user, formdata)
    db.session.commit()
    return jsonify(serializers.task_dict(task))


@bp.get("/complaints/<int:complaint_id>")
@token_required
def show_complaint(user: User, complaint_id: int) -> Any:
    """A complaint with its tasks, timelines, notifications and files."""
    case = complaints.case_file(user, complaint_id)
    body = serializers.complaint_detail(case)
    sensitive.record_opening(user, case.complaint, "complaint (API)")
    db.session.commit()
    return jsonify(body)


@bp.get("/openapi.json")
def openapi_document() -> Any:
    """The OpenAPI 3.1 description of this API, built from the forms."""
    return jsonify(openapi.document())


def form_class(task: Task) -> type[TaskForm]:
    """The form class that validates a task's data."""
    form_cls = FORMS.get(task.form_key)
    if form_cls is None:
        raise NotFound(gettext("No form is registered for this task."))
    return form_cls


def json_formdata(
    form_cls: type[TaskForm], build: Callable[[MultiDict[str, str]], Any] | None = None
) -> MultiDict[str, str]:
    """The request's JSON body as form data for `form_cls`; 422 naming each field unless it
    fits the form's published schema (JSON types, no unknown fields, the cross-field rules).

    The form's own messages come first: the schema is checked once the form accepts the data,
    so that whatever the schema refuses is refused, even where the form would be lenient.
    `build` makes the task's own form (choices filled from data); its schema is the task's
    `payload_schema`.
    """
    payload = request.get_json(silent=True)
    try:
        formdata = formdata_from_json(form_cls, payload)
    except JsonInputError as exc:
        raise InvalidInput(
            gettext("Send a JSON object with the form's fields."), details=exc.messages()
        ) from exc
    form = build(formdata) if build is not None else form_cls(formdata)
    if form.validate():
        errors = schema_errors(form_cls, payload, form if build is not None else None)
        if errors:
            raise InvalidInput(gettext("Please correct the highlighted fields."), details=errors)
    return formdata


def inbox_filter(args: MultiDict[str, str]) -> InboxFilter:
    """The inbox filter from the query string; 422 naming each bad parameter."""
    errors: dict[str, list[str]] = {}
    scope = args.get("scope", "roles")
    if scope not in SCOPES:
        errors["scope"] = [gettext("Choose one of: %(values)s.", values=", ".join(SCOPES))]
    sort = args.get("sort", "due")
    if sort not in SORTS:
        errors["sort"] = [gettext("Choose one of: %(values)s.", values=", ".join(SORTS))]
    numbers = {}
    for name, default, maximum in (("page", 1, MAX_PAGE), ("per_page", 25, MAX_PER_PAGE)):
        number = whole_number(args.get(name, str(default)))
        if number is not None and 1 <= number <= maximum:
            numbers[name] = number
        else:
            errors[name] = [gettext("Give a whole number from 1 to %(max)d.", max=maximum)]
    if errors:
        raise InvalidInput(gettext("Please correct the query parameters."), details=errors)
    filters = {name: args.get(name) or None for name in FILTERS}
    return InboxFilter(scope=scope, sort=sort, **numbers, **filters)


def whole_number(text: str) -> int | None:
    """The number written in plain ASCII digits, else None."""
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None


def page_links(page: int, pages: int) -> dict[str, str | None]:
    """This page of the task list and its neighbours, keeping the other query parameters."""
    params = {k: v for k, v in request.args.items() if k in QUERY_PARAMETERS and k != "page"}

    def at(number: int) -> str:
        return url_for("api.list_tasks", **params, page=number)

    return {
        "self": at(page),
        "prev": at(page - 1) if page > 1 else None,
        "next": at(page + 1) if page < pages else None,
    }
