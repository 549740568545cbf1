"""One place that turns domain errors into HTTP answers: HTML for pages, RFC 9457 problem
details (application/problem+json) under /api/, plain JSON for other clients that prefer it."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Flask, g, jsonify, make_response, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from app import domain_messages, health
from app.extensions import login_manager
from forms.base import JsonInputError
from services.db import db
from services.engine import EvaluationLimitExceeded, StepError
from services.errors import DomainError, InvalidInput

# Our own words for the statuses whose text Werkzeug gives in English only.
STATUS_TEXTS = {
    400: _l("The request could not be understood."),
    403: _l("You are not allowed to see this page."),
    404: _l("This page does not exist. Check the address, or start again from the home page."),
    405: _l("This page does not accept this kind of request."),
    413: _l("What you sent is too large."),
    429: _l("Too many requests; wait a moment and try again."),
    500: _l("Something went wrong; nothing was saved."),
}
# A problem's title, HTTP's reason phrase, in the reader's language (RFC 9457 lets a title
# be localized; `code` and `type` are what a program reads). Other statuses keep Werkzeug's.
PROBLEM_TITLES = {
    400: _l("Bad Request"),
    401: _l("Unauthorized"),
    403: _l("Forbidden"),
    404: _l("Not Found"),
    405: _l("Method Not Allowed"),
    406: _l("Not Acceptable"),
    409: _l("Conflict"),
    410: _l("Gone"),
    412: _l("Precondition Failed"),
    413: _l("Request Entity Too Large"),
    415: _l("Unsupported Media Type"),
    422: _l("Unprocessable Entity"),
    428: _l("Precondition Required"),
    429: _l("Too Many Requests"),
    500: _l("Internal Server Error"),
    502: _l("Bad Gateway"),
    503: _l("Service Unavailable"),
}
# The same for a program: it asked for an address, not a page.
JSON_STATUS_TEXTS = {
    **STATUS_TEXTS,
    403: _l("You are not allowed to do this."),
    404: _l("Nothing exists at this address."),
    405: _l("This address does not accept this method; see the Allow header."),
}


# A problem's `type` is this prefix and its code: a URI reference, relative to the API, that
# names the kind of problem for good (the OpenAPI document lists the codes).
PROBLEM_TYPE = "/api/v1/problems/"
PROBLEM_JSON = "application/problem+json"
# The code of an answer whose raiser named none, by status.
STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    428: "precondition_required",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


def wants_json() -> bool:
    """API paths and clients that prefer JSON get JSON errors."""
    if is_api() or request.path == "/healthz":
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def is_api() -> bool:
    """Whether the request is the API's, whose errors are problem details."""
    return request.path.startswith("/api/")


def problem(
    status: int,
    detail: str,
    details: dict[str, Any] | None = None,
    code: str | None = None,
    field_errors: bool | None = None,
) -> dict[str, Any]:
    """An RFC 9457 problem: `type` and `code` name the kind for good, `detail` this occurrence.

    Field errors (code validation_failed, or any refused input: `field_errors`) are `errors`,
    field → messages; other details (the step of a failed diagram, a refused deployment's
    problems) are members of their own."""
    code = code or STATUS_CODES.get(status, "error")
    if field_errors is None:
        field_errors = code == "validation_failed"
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code,
        "title": str(PROBLEM_TITLES.get(status) or HTTP_STATUS_CODES.get(status, "Error")),
        "status": status,
        "detail": detail,
        "code": code,
        "instance": instance(),
    }
    if details:
        if field_errors:
            body["errors"] = details
        else:
            body.update({k: v for k, v in details.items() if k not in body})
    return body


def instance() -> str:
    """The request's path as a URI reference (percent-encoded, as its `format` says): the
    path Werkzeug gives is decoded ("/api/v1/complaints/Æ")."""
    return quote(request.path, safe="/:@!$&'()*+,;=")


def error_response(
    status: int,
    message: str,
    details: dict[str, Any] | None = None,
    code: str | None = None,
    field_errors: bool | None = None,
) -> Any:
    """A problem (API), JSON or HTML error page with `status`; `code` names the problem."""
    details = domain_messages.localize_all(details)  # a refused deploy's form problems
    if is_api():
        response = jsonify(problem(status, message, details, code, field_errors))
        response.mimetype = PROBLEM_JSON
        return response, status
    if wants_json():
        body: dict[str, Any] = {"error": message, "status": status}
        if details:
            body["details"] = details
        return jsonify(body), status
    return render_template("errors/error.html", status=status, message=message), status


def register(app: Flask) -> None:
    """Install the handlers; every one rolls the session back first."""

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> Any:
        db.session.rollback()
        # Services word their errors in English; the catalogue has them (app/domain_messages).
        # Pages and JSON answers alike speak the reader's language (programs match on `code`;
        # `detail` is for the people who read it, as the field messages already were).
        message = domain_messages.translate(exc)
        # Refused input maps field → messages, whatever its code names (unknown_assignee…).
        field_errors = isinstance(exc, InvalidInput) or None
        details = domain_messages.field_messages(exc.details) if field_errors else exc.details
        response = make_response(
            error_response(exc.status, message, details, exc.code, field_errors)
        )
        # What the status promises (Accept on a 415), when the error names it.
        response.headers.update(getattr(exc, "headers", None) or {})
        return response

    @app.errorhandler(JsonInputError)
    def json_input_error(exc: JsonInputError) -> Any:
        # A JSON body read by a form (formdata_from_json) with a value of the wrong type.
        db.session.rollback()
        message = gettext("Send a JSON object with the form's fields.")
        return error_response(422, message, exc.messages(), "validation_failed")

    @app.errorhandler(StepError)
    def step_error(exc: StepError) -> Any:
        # services.workflows logged the details; staff get the step, not the expression.
        db.session.rollback()
        if isinstance(exc, EvaluationLimitExceeded):
            message = gettext(
                "The procedure stopped at step “%(step)s”: the diagram's code there ran too "
                "long or grew too large. Nothing was saved; please tell the process owner.",
                step=exc.element,
            )
        else:
            message = gettext(
                "The procedure could not continue at step “%(step)s”. Nothing was saved; "
                "please tell the process owner.",
                step=exc.element,
            )
        return error_response(exc.status, message, {"element_id": exc.element_id}, exc.code)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        db.session.rollback()
        return error_response(
            400, gettext("The form expired; please reload the page and retry."), code="csrf_failed"
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        db.session.rollback()
        code = exc.code or 500
        description = exc.description or exc.name
        texts = JSON_STATUS_TEXTS if wants_json() else STATUS_TEXTS
        if description == type(exc).description and code in texts:
            description = str(texts[code])  # instead of Werkzeug's default text, in English
        response = make_response(error_response(code, description))
        # Keep what the status promises, such as Allow on a 405.
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        db.session.rollback()
        app.logger.exception("unhandled error")
        return error_response(500, gettext("Something went wrong; nothing was saved."))

    @app.errorhandler(OperationalError)
    def database_error(exc: OperationalError) -> Any:
        if not health.unreachable(exc):
            return unexpected(exc)
        db.session.rollback()
        health.log_unreachable(exc)
        g._login_user = login_manager.anonymous_user()  # the page must not ask the database
        return error_response(503, gettext("The database is unreachable; try again in a moment."))
