"""The JSON API's routes: filing and tracking for the public, the task inbox for staff."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from flask import current_app, jsonify, request, url_for
from flask_babel import get_locale, gettext
from werkzeug.datastructures import MultiDict
from werkzeug.routing import BaseConverter

from app.api import hooks, openapi, serializers
from app.api.auth import token_required
from app.api.blueprint import bp
from app.api.media import JSON, reads
from app.api.openapi import FILTER_LISTS, MAX_PAGE, MAX_PER_PAGE, filter_choices
from app.api.schemas import FILTER_TEXT_LIMITS
from app.domain_messages import localize
from app.extensions import limiter, too_many_requests
from forms import ComplaintForm, TaskForm, formdata_from_json
from forms.base import JsonInputError, draft_errors, schema_errors
from forms.numbers import whole_number
from services import (
    breach_view,
    complaints,
    drafts,
    form_definitions,
    permissions,
    sensitive,
    tasks,
    workflows,
)
from services import tracking as tracking_service
from services.db import db
from services.errors import DomainError, InvalidInput, LinkExpired, NotAllowed, NotFound
from services.models import Task, User
from services.tasks import SCOPES, SORTS, InboxFilter

FILTERS = ("category", "severity", "channel", "status", "department", "search")
QUERY_PARAMETERS = frozenset({"scope", "sort", "page", "per_page", *FILTERS})
BREACH_FILTERS = ("clock", "task", "role", "department")
BREACH_PARAMETERS = frozenset({"state", "assignee", "sort", "page", "per_page", *BREACH_FILTERS})
INBOX_TEXT_LIMITS = {n: FILTER_TEXT_LIMITS[n] for n in FILTERS if n in FILTER_TEXT_LIMITS}
BREACH_TEXT_LIMITS = {n: FILTER_TEXT_LIMITS[n] for n in BREACH_FILTERS if n in FILTER_TEXT_LIMITS}
# If-Match (RFC 9110): `*`, or a comma-separated list of entity-tags, each quoted and
# optionally weak (W/"..."); empty list elements are allowed. Werkzeug reads a bare 3 as "3".
_ENTITY_TAG = r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"'
IF_MATCH_FORM = re.compile(rf"[\s,]*(?:\*|{_ENTITY_TAG}(?:\s*,[\s,]*{_ENTITY_TAG})*)?[\s,]*")
__all__ = ["bp", "hooks"]  # hooks: Idempotency-Key and RateLimit headers on every operation


class PreconditionFailed(DomainError):
    """If-Match named another version of the resource than the current one."""

    status = 412
    code = "precondition_failed"


def filing_limit() -> str:
    """How many complaints one address may file through the API."""
    return str(current_app.config["API_FILING_RATE_LIMIT"])


@bp.post("/complaints")
@limiter.limit(filing_limit, error_message=too_many_requests)
@reads(JSON)
def file_complaint() -> Any:
    """File a complaint as the public web form does; answer its reference and tracking link."""
    form = json_form(ComplaintForm)
    if form.errors:
        raise InvalidInput(gettext("Please correct the highlighted fields."), details=form.errors)
    # Without a language: the request's (Accept-Language).
    data = {**form.task_data(), "language": form.language.data or str(get_locale())}
    filed = complaints.file_complaint(data, channel="web")
    db.session.commit()
    body = serializers.filed(filed)
    # The tracking token is shown once and answers for the complainant: no cache keeps it.
    return jsonify(body), 201, {"Location": body["links"]["tracking"], "Cache-Control": "no-store"}


class TrackingTokenConverter(BaseConverter):
    """A tracking token in the (deprecated) path: any segment but the names of the
    complainant's actions beside it, so that GET /tracking/survey is a 405 naming POST, not a
    token looked up, and the actions' 405s do not offer GET."""

    regex = r"(?!(?:information|survey|review|resend-link)$)[^/]+"


bp.record_once(
    lambda state: state.app.url_map.converters.setdefault("tracking_token", TrackingTokenConverter)
)


@bp.get("/tracking/<tracking_token:token>")
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


@bp.get("/service-levels")
@token_required
def service_levels(user: User) -> Any:
    """Managers: the open tasks at risk or breached now, as the service-level page lists them."""
    if not breach_view.oversees_service_levels(user):
        raise NotAllowed(gettext("Only managers see the service-level view."))
    flt = breach_filter(request.args)
    breach_view.staff()  # the assignees, read once into the session (breach_view.breaches)
    figures = breach_view.counts(user)
    page = breach_view.breaches(user, flt, figures=figures)
    states = breach_view.statuses(page.tasks, page.now)
    links = page_links(page.page, page.pages, "api.service_levels", BREACH_PARAMETERS)
    return jsonify(serializers.breach_page(page, figures, states, links))


@bp.get("/tasks/<task_id>")
@token_required
def show_task(user: User, task_id: str) -> Any:
    """A task, with the JSON Schema of the data that completes it (managers read every task
    they oversee, as they may reassign it)."""
    task = tasks.get_to_read(user, task_id)
    # The task's form with the choices it reads from data (the support services offered).
    schema = form_class(task).json_schema(workflows.task_form(task))
    body = serializers.task_detail(task, schema)
    etag = serializers.task_etag(task)
    sensitive.record_opening(user, task.complaint, "task", task, name=task.title, api=True)
    db.session.commit()
    return jsonify(body), {"ETag": etag}


@bp.post("/tasks/<task_id>/claim")
@token_required(scope="tasks")
def claim_task(user: User, task_id: str) -> Any:
    """Take an open task for oneself."""
    if_match(user, task_id)
    task = tasks.claim(user, task_id)
    answer = task_answer(task)  # before the commit expires what it reads
    db.session.commit()
    return answer


@bp.post("/tasks/<task_id>/unclaim")
@token_required(scope="tasks")
def unclaim_task(user: User, task_id: str) -> Any:
    """Give a claimed task back to its role's queue."""
    if_match(user, task_id)
    task = tasks.unclaim(user, task_id)
    answer = task_answer(task)  # before the commit expires what it reads
    db.session.commit()
    return answer


@bp.post("/tasks/<task_id>/complete")
@token_required(scope="tasks")
@reads(JSON)
def complete_task(user: User, task_id: str) -> Any:
    """Complete a task with a JSON object validated by the same form as the task's page."""
    # Read with everything the completion reads, so that it makes no second round trip.
    task = if_match(user, task_id, load=workflows.task_to_complete)
    form = json_form(form_class(task), lambda data: workflows.task_form(task, data))
    task = workflows.complete_task(task_id, user, form=form)
    drafts.discard_all(task)  # a completed task's drafts have nothing left to fill
    answer = task_answer(task)  # built before the commit: nothing reads the rows after it,
    db.session().expire_on_commit = False  # so the commit need not expire them
    db.session.commit()
    return answer


def if_match(user: User, task_id: str, load: Callable[[User, str], Task] = tasks.get_for) -> Task:
    """The task the user may see; 412 if If-Match (optional) names none of its current ETag.

    The ETag is strong and compared strongly (RFC 9110): a weak one never matches; `*`
    matches any task that exists. The check and the change share one transaction, and the
    workflow's optimistic lock refuses a change made in between (409 concurrent_change).
    An If-Match that is not a list of quoted entity-tags is a 400 invalid_if_match."""
    raw = request.headers.get("If-Match")
    if raw is not None and not IF_MATCH_FORM.fullmatch(raw):
        raise DomainError(
            gettext(
                'The ETag in If-Match must be quoted, as the ETag header gives it: "3f1d…" '
                'or W/"3f1d…" (RFC 9110), or be *.'
            ),
            code="invalid_if_match",
        )
    task = load(user, task_id)
    if "If-Match" in request.headers and not request.if_match.contains(
        serializers.task_etag(task).strip('"')
    ):
        raise PreconditionFailed(
            gettext("The task changed since you read it; read it again (its ETag is new).")
        )
    return task


def task_answer(task: Task) -> Any:
    """A task as it is now, with its new ETag."""
    return jsonify(serializers.task_dict(task)), {"ETag": serializers.task_etag(task)}


@bp.get("/tasks/<task_id>/draft")
@token_required
def show_draft(user: User, task_id: str) -> Any:
    """The caller's own draft of a task (nobody else's), the values as a browser posts them."""
    task = tasks.get_for(user, task_id)
    draft = drafts.get(user, task)
    if draft is None:
        raise NotFound(gettext("You have no draft of this task."))
    return jsonify(serializers.draft_dict(draft))


@bp.put("/tasks/<task_id>/draft")
@token_required(scope="tasks")
@reads(JSON)
def save_draft(user: User, task_id: str) -> Any:
    """Keep unfinished values of a task for the caller: any of its form's fields, each within
    the limits the form publishes (length, type, choices), none required."""
    task = tasks.get_for(user, task_id)
    permissions.require_work_task(user, task)  # refused before the values are looked at
    payload = request.get_json(silent=True)
    form_cls = form_class(task)
    if not isinstance(payload, dict):
        raise InvalidInput(
            gettext("Send a JSON object with the form's fields."),
            details={"body": [gettext("The input must be a JSON object.")]},
        )
    # Every field's problem at once (its type, an unknown name, a limit), against the task's
    # draft_schema, as the document publishes it.
    errors = draft_errors(form_cls, payload, workflows.task_form(task))
    if errors:
        raise InvalidInput(gettext("Please correct the highlighted fields."), details=errors)
    draft = drafts.save(user, task, formdata_from_json(form_cls, payload))
    db.session.commit()
    return jsonify(serializers.draft_dict(draft))


@bp.delete("/tasks/<task_id>/draft")
@token_required(scope="tasks")
def discard_draft(user: User, task_id: str) -> Any:
    """Throw the caller's draft of a task away (nothing happens if there is none)."""
    task = tasks.get_for(user, task_id)
    drafts.discard(user, task)
    db.session.commit()
    return "", 204


@bp.get("/complaints/<int:complaint_id>")
@token_required
def show_complaint(user: User, complaint_id: int) -> Any:
    """A complaint with its tasks, timelines, notifications and files."""
    case = complaints.case_file(user, complaint_id)
    body = serializers.complaint_detail(case)
    etag = serializers.digest_etag(body)
    sensitive.record_opening(user, case.complaint, "complaint", api=True)
    db.session.commit()
    return jsonify(body), {"ETag": etag}


@bp.get("/problems/<code>")
def describe_problem(code: str) -> Any:
    """What a problem code means: the address a problem's `type` names. Said in the reader's
    language, as the problem's `detail` is (the document's catalogue keeps the English)."""
    described = openapi.problem_codes().get(code)
    if described is None:
        raise NotFound(gettext("No problem has this code."))
    return jsonify({**described, "description": localize(described["description"])})


@bp.get("/openapi.json")
def openapi_document() -> Any:
    """The OpenAPI 3.1 description of this API, built from the forms."""
    return jsonify(openapi.document())


def form_class(task: Task) -> type[TaskForm]:
    """The form class that validates a task's data."""
    return form_definitions.form_class(task)


def json_form(
    form_cls: type[TaskForm], build: Callable[[MultiDict[str, str]], Any] | None = None
) -> Any:
    """The request's JSON body as `form_cls`'s form, validated once; 422 naming each field
    unless it fits the form's published schema (JSON types, no unknown fields, the
    cross-field rules). A form the data does not satisfy comes back with its `errors`, for
    the caller to report as it reports a page's.

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
        # With the form's own choices (read from the database, as the departments are), so
        # that the schema checked is the one of now.
        errors = schema_errors(form_cls, payload, form)
        if errors:
            raise InvalidInput(gettext("Please correct the highlighted fields."), details=errors)
    return form


def inbox_filter(args: MultiDict[str, str]) -> InboxFilter:
    """The inbox filter from the query string; 422 naming each bad parameter."""
    errors: dict[str, list[str]] = {}
    scope = args.get("scope", "roles")
    if scope not in SCOPES:
        errors["scope"] = [gettext("Choose one of: %(values)s.", values=", ".join(SCOPES))]
    sort = args.get("sort", "due")
    if sort not in SORTS:
        errors["sort"] = [gettext("Choose one of: %(values)s.", values=", ".join(SORTS))]
    # Empty: not filtered, as elsewhere. The lists are asked for only when a filter is given:
    # an inbox read is three statements.
    given = {name: value for name in (*FILTER_LISTS, "status") if (value := args.get(name))}
    allowed_values = filter_choices() if given else {}
    for name, value in given.items():
        if value not in allowed_values[name]:
            allowed = allowed_values[name]
            errors[name] = [gettext("Choose one of: %(values)s.", values=", ".join(allowed))]
    too_long(args, INBOX_TEXT_LIMITS, errors)
    numbers = paging(args, errors)
    if errors:
        raise InvalidInput(gettext("Please correct the query parameters."), details=errors)
    filters = {name: args.get(name) or None for name in FILTERS}
    return InboxFilter(scope=scope, sort=sort, **numbers, **filters)


def too_long(
    values: Mapping[str, str], limits: Mapping[str, int], errors: dict[str, list[str]]
) -> None:
    """Note in `errors` each of the text parameters `limits` names that is longer than it
    allows (the lists of tasks, service levels and complaints)."""
    for name, limit in limits.items():
        if len(values.get(name) or "") > limit:
            errors[name] = [gettext("At most %(max)d characters.", max=limit)]


def paging(args: MultiDict[str, str], errors: dict[str, list[str]]) -> dict[str, int]:
    """page and per_page from the query string; a bad one is added to `errors`."""
    numbers = {}
    for name, default, maximum in (("page", 1, MAX_PAGE), ("per_page", 25, MAX_PER_PAGE)):
        number = whole_number(args.get(name, str(default)), 1, maximum)
        if number is not None:
            numbers[name] = number
        else:
            errors[name] = [gettext("Give a whole number from 1 to %(max)d.", max=maximum)]
    return numbers


def breach_filter(args: MultiDict[str, str]) -> breach_view.BreachFilter:
    """The service-level view's filter from the query string; 422 naming each bad parameter."""
    errors: dict[str, list[str]] = {}
    choices = (("state", breach_view.STATES, None), ("sort", tuple(breach_view.SORTS), "due"))
    chosen: dict[str, str | None] = {}
    for name, allowed, default in choices:
        value = args.get(name) or default
        if value is not None and value not in allowed:
            errors[name] = [gettext("Choose one of: %(values)s.", values=", ".join(allowed))]
        chosen[name] = value
    assignee = args.get("assignee") or None
    if assignee not in (None, breach_view.NOBODY) and whole_number(assignee, 1) is None:
        errors["assignee"] = [gettext("Give a user id, or “none” for unassigned tasks.")]
    too_long(args, BREACH_TEXT_LIMITS, errors)
    numbers = paging(args, errors)
    if errors:
        raise InvalidInput(gettext("Please correct the query parameters."), details=errors)
    filters = {name: args.get(name) or None for name in BREACH_FILTERS}
    return breach_view.BreachFilter(
        state=chosen["state"], sort=chosen["sort"] or "due", assignee=assignee, **numbers, **filters
    )


def page_links(
    page: int,
    pages: int,
    endpoint: str = "api.list_tasks",
    parameters: frozenset[str] = QUERY_PARAMETERS,
) -> dict[str, str | None]:
    """This page of a list and its neighbours, keeping the other query parameters."""
    params = {k: v for k, v in request.args.items() if k in parameters and k != "page"}

    def at(number: int) -> str:
        return url_for(endpoint, **params, page=number)

    return {
        "self": at(page),
        # Past the last page, the page before is the last one (not page - 1, empty too).
        "prev": at(min(page - 1, max(pages, 1))) if page > 1 else None,
        "next": at(page + 1) if page < pages else None,
    }
