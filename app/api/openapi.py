"""The OpenAPI 3.1 document of the API, built in code so that its input schemas follow the forms."""

from __future__ import annotations

import copy
import re
from typing import Any

from flask import current_app

from app.api import examples, media
from app.api.schemas import FILTER_TEXT_LIMITS, TEXT, answer_schemas, ref
from app.input_guards import MAX_INT as MAX_ID
from app.input_guards import MAX_JSON_DEPTH
from forms import ComplaintForm, TaskForm
from forms import lists as choice_lists
from forms.base import NO_NUL, draft_schema
from forms.choices import STATUSES
from forms.numbers import whole_number_pattern
from forms.text import N_
from services import breach_view, form_definitions
from services.tasks import SCOPES, SORTS

API_VERSION = "1.0.0"
PREFIX = "/api/v1"
BEARER = [{"bearerAuth": []}]
PROBLEM_JSON = "application/problem+json"
# Paging limits of the task list, stated here and enforced by the view.
MAX_PAGE = 100_000
MAX_PER_PAGE = 100
# The task list's filters with a list of values, as on the inbox page (app/inbox.py): stated
# here, enforced by the view (another value is a 422; an empty one filters nothing). Category,
# severity and channel take the values of the active version's lists (processes/choices.toml).
FILTER_LISTS = {"category": "categories", "severity": "severities", "channel": "channels"}


def filter_choices() -> dict[str, list[str]]:
    """The values each of the task list's filters with a list of values takes (every deployed
    version's lists: forms.lists.filterable)."""
    lists = choice_lists.filterable()
    return {
        **{name: lists.values(found) for name, found in FILTER_LISTS.items()},
        "status": [value for value, _ in STATUSES],
    }


def json_body(schema: dict[str, Any], description: str, example: Any = None) -> dict[str, Any]:
    """A JSON response or request body, with an example if given."""
    media: dict[str, Any] = {"schema": schema}
    if example is not None:
        media["example"] = example
    return {"description": description, "content": {"application/json": media}}


def bearer(scope: str = "read") -> list[dict[str, list[str]]]:
    """The security requirement of an operation: a bearer token with `scope`."""
    return [{"bearerAuth": [scope]}]


# The shared error answers: status, the problem codes they carry, and what they mean.
ERRORS: dict[str, tuple[int, tuple[str, ...], str]] = {
    "BadRequest": (
        400,
        ("bad_request", "invalid_idempotency_key", "invalid_if_match"),
        N_(
            "The request could not be read (a NUL character anywhere in it, a JSON body nested "
            "more than %(depth)s levels deep, a malformed Idempotency-Key, an If-Match whose "
            'ETag is not quoted: 3 where "3" is meant…).',
            depth=MAX_JSON_DEPTH,
        ),
    ),
    # The 400 of an operation that reads JSON: the ones above, and a body that does not parse.
    "BadJsonRequest": (
        400,
        ("invalid_json", "bad_request", "invalid_idempotency_key", "invalid_if_match"),
        N_(
            "invalid_json: the body, sent as application/json, is not well-formed JSON (it "
            "breaks off, has a syntax error, is not UTF-8 text, or holds NaN or Infinity); "
            "`detail` says where. "
            "bad_request: a NUL character anywhere in the request, or a JSON body nested more "
            "than %(depth)s levels deep. invalid_idempotency_key: a malformed Idempotency-Key. "
            'invalid_if_match: an If-Match whose ETag is not quoted (3 where "3" is meant). '
            "Nothing was done.",
            depth=MAX_JSON_DEPTH,
        ),
    ),
    "Unauthorized": (401, ("unauthorized",), N_("No API token was sent, or it is not valid.")),
    "Forbidden": (
        403,
        ("forbidden", "insufficient_scope"),
        N_(
            "The task is assigned to someone else, your role does not allow this, or the "
            "token lacks the operation's scope."
        ),
    ),
    "NotFound": (
        404,
        ("not_found",),
        N_("No such thing, or you may not know it exists (confidential complaints)."),
    ),
    "Conflict": (
        409,
        (
            "task_already_completed",
            "concurrent_change",
            "conflict",
            "idempotency_in_progress",
            "idempotency_answer_lost",
            "task_not_open",
        ),
        N_(
            "task_already_completed: the task is no longer open (someone else was first; do not "
            "retry). concurrent_change: the complaint was changed by another request at the same "
            "moment, or is busy; read it again and retry. conflict: another state conflict (the "
            "task is claimed by someone else…). idempotency_in_progress: a request with the same "
            "Idempotency-Key has not finished; retry later. idempotency_answer_lost: the request "
            "with this Idempotency-Key was carried out but its answer could not be kept; read the "
            "current state instead of retrying. task_not_open: the task to assign is no longer "
            "open."
        ),
    ),
    "Gone": (
        410,
        ("link_expired",),
        N_("The tracking link has expired; ask for a new one at /track."),
    ),
    "PreconditionFailed": (
        412,
        ("precondition_failed",),
        N_(
            "If-Match names none of the resource's current ETag: it changed since you read it. "
            "Nothing was done; read it again."
        ),
    ),
    "PayloadTooLarge": (
        413,
        ("payload_too_large",),
        N_("The request is larger than the server accepts."),
    ),
    "Unprocessable": (
        422,
        ("validation_failed", "idempotency_key_reused", "deploy_refused"),
        N_(
            "validation_failed: the input failed validation; `errors` maps each field to its "
            "messages. idempotency_key_reused: the Idempotency-Key was already used with another "
            "request (another body, method or path). deploy_refused: the diagram files failed "
            "the deploy checks; `problems` lists them."
        ),
    ),
    "UnsupportedMediaType": (
        415,
        ("unsupported_media_type",),
        N_(
            "The body's Content-Type is not one the operation reads (the media types of its "
            "request body); `accepted_types` lists them, as does the Accept header. A request "
            "with neither a body nor a Content-Type is read as an empty one."
        ),
    ),
    "PreconditionRequired": (
        428,
        ("precondition_required",),
        N_("The operation needs an If-Match header."),
    ),
    "TooManyRequests": (
        429,
        ("rate_limited",),
        N_("Too many requests from this address; retry after Retry-After seconds."),
    ),
}


# The codes only some operations answer (their responses say which), and those of the
# statuses the server answers for any path (a method it does not take…): status, meaning.
PROBLEMS: dict[str, tuple[int, str]] = {
    "tracking_token_required": (
        401,
        N_(
            "No X-Tracking-Token header: the complainant's operations read the tracking token "
            "there only, never in the address."
        ),
    ),
    "tracking_token_invalid": (404, N_("No complaint has this tracking token.")),
    "not_waiting_for_information": (
        409,
        N_("The complaint is not waiting for information from the complainant; nothing was saved."),
    ),
    "survey_not_open": (
        409,
        N_(
            "The complaint's satisfaction survey is not open (not yet, or no longer); nothing was "
            "saved."
        ),
    ),
    "review_not_available": (
        409,
        N_(
            "A review cannot be asked for now: the complaint is not closed, a review is under way, "
            "or the appeal window is over. Nothing was saved."
        ),
    ),
    "unknown_assignee": (422, N_("No active staff member has this id (`errors.assignee_id`).")),
    "assignee_lacks_role": (
        422,
        N_("The person does not hold the task's role (`errors.assignee_id`)."),
    ),
    "assignee_not_cleared": (
        422,
        N_(
            "The complaint is confidential and the person is not cleared to see confidential "
            "complaints (`errors.assignee_id`)."
        ),
    ),
    "four_eyes": (
        422,
        N_(
            "The person handled an earlier step the task must be checked against: four-eyes rule "
            "(`errors.assignee_id`)."
        ),
    ),
    # Codes that share their status's response: each also has words of its own here, so a
    # problem's page says what that code means rather than every code of its status.
    "bad_request": (
        400,
        N_(
            "The request could not be read: a NUL character somewhere in it, or a JSON body "
            "nested more than %(depth)s levels deep. Nothing was done.",
            depth=MAX_JSON_DEPTH,
        ),
    ),
    "invalid_idempotency_key": (
        400,
        N_(
            "The Idempotency-Key header is malformed: send 1 to 255 printable ASCII characters. "
            "Nothing was done."
        ),
    ),
    "invalid_if_match": (
        400,
        N_(
            'The If-Match header names an ETag that is not quoted (3 where "3" is meant). '
            "Nothing was done."
        ),
    ),
    "forbidden": (
        403,
        N_(
            "You may not do this: the task is assigned to someone else, or your role does not "
            "allow it."
        ),
    ),
    "insufficient_scope": (
        403,
        N_(
            "The API token lacks the scope this operation needs (`read`, `tasks`, `intake` or "
            "`admin`); create a token with it."
        ),
    ),
    "task_already_completed": (
        409,
        N_("The task is no longer open: someone else was first. Do not retry."),
    ),
    "concurrent_change": (
        409,
        N_(
            "The complaint was changed by another request at the same moment, or is busy; read "
            "it again and retry."
        ),
    ),
    "conflict": (
        409,
        N_("The request conflicts with the current state (the task is claimed by someone else…)."),
    ),
    "idempotency_in_progress": (
        409,
        N_("A request with the same Idempotency-Key has not finished yet; retry later."),
    ),
    "idempotency_answer_lost": (
        409,
        N_(
            "The request with this Idempotency-Key was carried out, but its answer could not be "
            "kept; read the current state instead of retrying."
        ),
    ),
    "task_not_open": (409, N_("The task to assign is no longer open; nothing was saved.")),
    "validation_failed": (
        422,
        N_("The input failed validation; `errors` maps each field to its messages."),
    ),
    "idempotency_key_reused": (
        422,
        N_(
            "The Idempotency-Key was already used with another request (another body, method or "
            "path); use a new key for a new request."
        ),
    ),
    "deploy_refused": (
        422,
        N_(
            "The diagram files failed the deploy checks; `problems` lists them. Nothing was "
            "deployed."
        ),
    ),
    "method_not_allowed": (
        405,
        N_("The path does not take this method; the Allow header lists the ones it takes."),
    ),
    "not_acceptable": (406, N_("None of the media types the request accepts can be answered.")),
    "gone": (410, N_("What the address named is gone for good.")),
    "invalid_json": (
        400,
        N_(
            "The body, sent as application/json, is not well-formed JSON: it breaks off, has a "
            "syntax error, or is not UTF-8 text; `detail` says where. Nothing was done: correct "
            "the body and send it again. (Well-formed JSON the operation refuses is a 422.)"
        ),
    ),
}


# Each problem code the operations above may answer, with its status: what `type` names
# (GET /problems/{code} describes one). Codes of one status share its response's description
# (a code of several responses, the first's); the descriptions are Texts, English here (the
# document), translated for the reader by the problem's page.
def problem_codes() -> dict[str, dict[str, Any]]:
    """Every documented problem code → its status and the description of its response."""
    catalogue: dict[str, dict[str, Any]] = {}
    for status, codes, text in ERRORS.values():
        for code in codes:
            catalogue.setdefault(code, {"code": code, "status": status, "description": text})
    for code, (status, text) in PROBLEMS.items():
        catalogue[code] = {"code": code, "status": status, "description": text}
    for code, status, text in (
        (
            "internal_error",
            500,
            N_("Something went wrong; nothing was saved. Retrying may help."),
        ),
        (
            "process_error",
            500,
            N_(
                "A step of the procedure's diagram failed; nothing was saved. `element_id` "
                "names the step; tell the process owner."
            ),
        ),
        ("service_unavailable", 503, N_("The database is unreachable; retry in a moment.")),
    ):
        catalogue[code] = {"code": code, "status": status, "description": text}
    return catalogue


# The IETF RateLimit headers (draft-ietf-httpapi-ratelimit-headers) of rate-limited operations;
# X-RateLimit-* are the same figures under their older names (X-RateLimit-Reset: a Unix time).
RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": "How many requests the operation's tightest limit allows in its window.",
    "RateLimit-Remaining": "How many of them are left.",
    "RateLimit-Reset": "Seconds until the window ends and the count starts again.",
}


def task_forms() -> dict[str, type[TaskForm]]:
    """The task forms of the active process version, by form key."""
    return form_definitions.classes(form_definitions.active())


def form_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of each task form, by class name (several form keys may share one)."""
    return {cls.__name__: cls.json_schema() for cls in task_forms().values()}


def upload_limit() -> int:
    """The largest request body the server reads, in bytes (MAX_CONTENT_LENGTH)."""
    return int(current_app.config.get("MAX_CONTENT_LENGTH") or 0)


def header_components() -> dict[str, Any]:
    """Response headers shared by the operations."""
    integer = {"type": "integer", "minimum": 0}
    headers = {
        name: {"description": text, "schema": integer} for name, text in RATE_LIMIT_HEADERS.items()
    }
    headers["Retry-After"] = {
        "description": "Seconds to wait before retrying.",
        "schema": integer,
    }
    headers["ETag"] = {
        "description": "A strong validator of the resource's current state; send it back "
        "in If-Match to act only on the version you read.",
        "schema": TEXT,
    }
    headers["Idempotent-Replayed"] = {
        "description": "`true` when the answer is the stored one of an earlier request with "
        "the same Idempotency-Key (nothing was done again).",
        "schema": {"type": "string", "enum": ["true"]},
    }
    return headers


def location_header(description: str) -> dict[str, Any]:
    """The Location header of an answer that names a resource (app.api.hooks makes it
    absolute): its description and schema, to put in the answer's headers."""
    return {
        "Location": {
            "description": f"{description} An absolute URL.",
            "schema": {"type": "string", "format": "uri"},
        }
    }


def rate_limit_headers(refused: bool = False) -> dict[str, Any]:
    """The headers of an answer from a rate-limited operation, to add to its responses; a
    refusal (429) also says when to retry."""
    names = (*RATE_LIMIT_HEADERS, "Retry-After") if refused else tuple(RATE_LIMIT_HEADERS)
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def problem_example(status: int, code: str, detail: str, **extra: Any) -> dict[str, Any]:
    """An example problem answer."""
    return {
        "type": f"{PREFIX}/problems/{code}",
        "title": {
            400: "Bad Request",
            401: "Unauthorized",
            403: "Forbidden",
            404: "Not Found",
            409: "Conflict",
            410: "Gone",
            412: "Precondition Failed",
            413: "Request Entity Too Large",
            415: "Unsupported Media Type",
            422: "Unprocessable Entity",
            428: "Precondition Required",
            429: "Too Many Requests",
        }[status],
        "status": status,
        "detail": detail,
        "code": code,
        "instance": f"{PREFIX}/tasks/e8c3e859-8bc8-4c2a-879b-f279f3572501/complete",
        **extra,
    }


PROBLEM_EXAMPLES = {
    "BadRequest": ("The request contains a NUL character.", {}),
    "BadJsonRequest": (
        "The body is not well-formed JSON: the error is at line 1, column 6. Nothing was done.",
        {},
    ),
    "Unauthorized": ("The API token is not valid.", {}),
    "Forbidden": ("This task is assigned to Awa Intake.", {}),
    "NotFound": ("No such task.", {}),
    "Conflict": ("This task was already completed by Awa Intake.", {}),
    "Gone": ("This tracking link has expired.", {}),
    "PreconditionFailed": (
        "The task changed since you read it; read it again (its ETag is new).",
        {},
    ),
    "PayloadTooLarge": ("What you sent is too large.", {}),
    "Unprocessable": (
        "Please correct the highlighted fields.",
        {"errors": {"missing_information": ["Say what information the complainant must supply."]}},
    ),
    "UnsupportedMediaType": (
        "Send the body as one of: application/json (the Content-Type header says which).",
        {"accepted_types": ["application/json"]},
    ),
    "PreconditionRequired": ("Send If-Match with the ETag you read.", {}),
    "TooManyRequests": ("Too many requests; wait a moment and try again.", {}),
}


def error_responses() -> dict[str, Any]:
    """The shared error answers, each a problem (application/problem+json)."""
    responses: dict[str, Any] = {}
    for name, (status, codes, text) in ERRORS.items():
        detail, extra = PROBLEM_EXAMPLES[name]
        description = f"{text} Codes: {', '.join(codes)}."
        if name == "PayloadTooLarge":
            description += f" The limit is {upload_limit()} bytes (attachments included)."
        responses[name] = {
            "description": description,
            "content": {
                PROBLEM_JSON: {
                    "schema": ref("Problem"),
                    "example": problem_example(status, codes[0], detail, **extra),
                }
            },
        }
    responses["Unauthorized"]["headers"] = {
        "WWW-Authenticate": {"description": "The Bearer challenge.", "schema": TEXT}
    }
    responses["TooManyRequests"]["headers"] = rate_limit_headers(refused=True)
    responses["UnsupportedMediaType"]["headers"] = {
        "Accept": {
            "description": "The media types the operation reads, comma-separated.",
            "schema": TEXT,
        }
    }
    return responses


def errors(*names: str) -> dict[str, Any]:
    """Responses of an operation for the given shared errors (ERRORS' names)."""
    return {str(ERRORS[name][0]): {"$ref": f"#/components/responses/{name}"} for name in names}


def idempotency_key() -> dict[str, Any]:
    """The Idempotency-Key header every POST accepts."""
    return {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "Optional. A key of your choosing (a UUID, say), unique per request: "
        "a retry with the same key, from the same user (with a tracking token, for the same "
        "complaint; without a token, from the same address), to the "
        "same method and path with the same body gets the first answer again for 24 hours, "
        "with Idempotent-Replayed: true, and nothing is done twice. Successes and client "
        "errors (4xx, except 401, 403, 409 and 429) are replayed; after a 5xx, a retry runs "
        "again. The key is looked at only once the request is authenticated: without a "
        "valid token (or one with the operation's scope) the answer is 401 (403), whatever "
        "the key, and it is never kept. The "
        "same key with another request: 422 idempotency_key_reused; while the first request "
        "runs: 409 idempotency_in_progress (if it died before saving anything, its key is free "
        "again after a minute; if it saved its work but not its answer, 409 "
        "idempotency_answer_lost). 1 to 255 visible ASCII characters, else 400 "
        "invalid_idempotency_key.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
        "example": "5f0c8f7e-3b2a-4c47-9a51-1f6d2b9e8a10",
    }


def if_match() -> dict[str, Any]:
    """The optional If-Match header of the task actions."""
    return {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": "Optional. The task's ETag as read (GET /tasks/{task_id}, or the "
        "answer of a previous action): the action is done only if the task is still in that "
        "state, else 412 precondition_failed and nothing is done. ETags are strong and "
        "compared strongly (RFC 9110); `*` matches any existing task. Without If-Match the "
        "action is done on the current state. Each ETag is sent quoted, as the ETag header "
        'gives it ("…" or W/"…"; several separated by commas): an unquoted one is refused '
        "with 400 invalid_if_match and nothing is done.",
        "schema": TEXT,
        "example": '"3f1d0c9a7b2e4d5f8a6c1b0e9d7f2a4c"',
    }


def with_idempotency(paths: dict[str, Any]) -> dict[str, Any]:
    """Every POST with the Idempotency-Key header and the answers it may give."""
    paths = copy.deepcopy(paths)
    for item in paths.values():
        operation = item.get("post")
        if operation is None:
            continue
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == "Idempotency-Key" for p in parameters):
            parameters.append({"$ref": "#/components/parameters/IdempotencyKey"})
        responses = operation.setdefault("responses", {})
        for name in ("BadRequest", "Conflict", "Unprocessable"):
            responses.setdefault(str(ERRORS[name][0]), {"$ref": f"#/components/responses/{name}"})
        for status, response in responses.items():
            if status.startswith("2") and "$ref" not in response:
                # New dicts: the answer and its headers may be shared with a GET's (the
                # version, the task's ETag), which never replays.
                headers = {
                    **response.get("headers", {}),
                    "Idempotent-Replayed": {"$ref": "#/components/headers/Idempotent-Replayed"},
                }
                responses[status] = {**response, "headers": headers}
    return paths


# The methods whose body the server reads (app/input_guards.py looks into it for NUL).
BODY_METHODS = frozenset({"post", "put", "patch", "delete"})
OPERATION_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch"})


def openapi_path(rule: str) -> str:
    """The document's key of a Flask rule: `/api/v1/tasks/<task_id>` → `/tasks/{task_id}`."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.removeprefix(PREFIX))


def with_scopes(paths: dict[str, Any]) -> dict[str, Any]:
    """Each staff operation's security as its view enforces it (app.api.auth.token_required):
    the scope it needs, "tasks" for a change whose view names "read", and every scope (any
    one will do) where any token of the caller's is enough (GET /me, the caller's own
    tokens); an operation needing one scope documents the 403 of a token without it. Read
    from the routes, so that the document cannot name another scope."""
    from app.api import auth  # auth's module imports the blueprint this document describes

    paths = copy.deepcopy(paths)
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or not rule.rule.startswith(PREFIX):
            continue
        scope = getattr(current_app.view_functions[rule.endpoint], "required_scope", None)
        item = paths.get(openapi_path(rule.rule))
        if scope is None or item is None:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation = item.get(method.lower())
            if operation is None:
                continue
            needed = auth.needed_scope(scope, method)
            named = [needed] if needed is not None else list(auth.SCOPES)
            operation["security"] = [{"bearerAuth": [name]} for name in named]
            if needed is not None:  # a token without that scope gets 403 insufficient_scope
                operation.setdefault("responses", {}).setdefault(
                    "403", {"$ref": "#/components/responses/Forbidden"}
                )
    return paths


def with_media_types(paths: dict[str, Any]) -> dict[str, Any]:
    """Each operation whose view reads a body (app.api.media.reads) with the 415 of a body of
    another type, and, where it reads JSON, the 400 of JSON that does not parse (invalid_json).
    Read from the routes, as the scopes are; the request body's media types are the ones
    declared (tests/app/test_api_media_types.py holds them to it)."""
    paths = copy.deepcopy(paths)
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or not rule.rule.startswith(PREFIX):
            continue
        declared = getattr(current_app.view_functions[rule.endpoint], media.ATTRIBUTE, None)
        item = paths.get(openapi_path(rule.rule))
        if not declared or item is None:
            continue
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            operation = item.get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            responses.setdefault("415", {"$ref": "#/components/responses/UnsupportedMediaType"})
            if media.JSON in declared:  # instead of the 400 every operation answers
                responses["400"] = {"$ref": "#/components/responses/BadJsonRequest"}
    return paths


_TASK = {"task_id": "$request.path.task_id", "header.If-Match": "$response.header.ETag"}
# Where an answer leads (OpenAPI links): the operations its id (and ETag) is for, so that a
# client, or a fuzzer's stateful run, goes from what it made or read to what it may do next.
LINKS: dict[tuple[str, str, str], dict[str, dict[str, str]]] = {
    ("post", "/complaints", "201"): {
        "showTracking": {"header.X-Tracking-Token": "$response.body#/tracking_token"}
    },
    ("post", "/complaints/intake", "201"): {
        "showComplaint": {"complaint_id": "$response.body#/id"},
    },
    ("get", "/tasks/{task_id}", "200"): {
        name: _TASK for name in ("claimTask", "unclaimTask", "completeTask", "assignTask")
    },
    ("post", "/tasks/{task_id}/claim", "200"): {
        **{name: _TASK for name in ("unclaimTask", "completeTask")},
        # A draft is its author's own, not the task's state: it takes no If-Match.
        "saveDraft": {"task_id": "$request.path.task_id"},
    },
    ("post", "/tokens", "201"): {"revokeToken": {"token_id": "$response.body#/id"}},
    ("post", "/webhooks", "201"): {
        name: {"subscription_id": "$response.body#/id"}
        for name in ("showWebhook", "updateWebhook", "deleteWebhook", "listWebhookDeliveries")
    },
}


def with_links(paths: dict[str, Any]) -> dict[str, Any]:
    """Each answer of LINKS with its links to the operations it leads to."""
    paths = copy.deepcopy(paths)
    for (method, path, status), targets in LINKS.items():
        response = paths[path][method]["responses"][status]
        response["links"] = {
            target[0].upper() + target[1:]: {"operationId": target, "parameters": parameters}
            for target, parameters in targets.items()
        }
    return paths


def with_input_errors(paths: dict[str, Any]) -> dict[str, Any]:
    """The answers any request may get before its operation reads it: 400 (a NUL character
    in the path, query or body; JSON nested too deeply) and, for a method with a body, 413."""
    paths = copy.deepcopy(paths)
    for item in paths.values():
        for method, operation in item.items():
            if method not in OPERATION_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            names = ("BadRequest", "PayloadTooLarge") if method in BODY_METHODS else ("BadRequest",)
            for name in names:
                responses.setdefault(
                    str(ERRORS[name][0]), {"$ref": f"#/components/responses/{name}"}
                )
    return paths


def filing_cap() -> str:
    """The public filing limits (API_FILING_RATE_LIMIT) in words: "10 per minute and 100 per
    day"."""
    limits = str(current_app.config["API_FILING_RATE_LIMIT"]).replace(",", ";").split(";")
    return " and ".join(limit.strip() for limit in limits if limit.strip())


def path_parameter(name: str, type_name: str = "string") -> dict[str, Any]:
    """A required parameter in the path."""
    return {"name": name, "in": "path", "required": True, "schema": {"type": type_name}}


def query_parameter(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    """An optional query-string parameter."""
    return {"name": name, "in": "query", "schema": schema, "description": description}


def optional_choice(values: Any, default: str | None = None) -> dict[str, Any]:
    """The schema of a query parameter taking one of `values`, where an empty value is read as
    leaving it out (no filter, or the default order), as the lists read it."""
    schema: dict[str, Any] = {"type": "string", "enum": [*values, ""]}
    if default is not None:
        schema["default"] = default
    return schema


def task_completion_schema(forms: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The body of /complete: the schema of the task's form, one of the forms' schemas."""
    keys = ", ".join(f"`{key}` → {cls.__name__}" for key, cls in sorted(task_forms().items()))
    return {
        "description": "The data of the task's form. Each task is completed with the schema "
        f"of its own form_key ({keys}; also in x-form-keys), also given as payload_schema by "
        "GET /tasks/{task_id}: a body valid for another form is refused with 422. The schemas "
        "exclude one another (each has its own required fields and no other keys), so exactly "
        "one of them matches a valid body. Each states the form's cross-field rules (allOf of "
        "if/then); the one rule no schema can state is that duplicate_of must name an existing "
        "complaint you may see, other than this one. Choices filled from data (provider: the "
        "support services; reassign_to, escalate_to: people) are listed only in the task's "
        "payload_schema. Amounts are JSON numbers read as the "
        "decimals they are written as (multipleOf 0.01), dates not after formatMaximum. "
        "Conditional fields: a property with x-shown-when applies only when its condition "
        "holds: `{field, equals}` (a value; true: ticked), `{field, in}` (one of the values; "
        "for a list, any of them ticked), `{field, filled}`, `{field, contains}` (a list "
        "holds the value), `{field, op, value}` (a number compared), and `all`, `any`, "
        "`not` of conditions. Otherwise the task's page hides it, it is not required, and a value "
        "sent for it is ignored (the task data holds it empty); where it is required when it "
        "applies, an if/then of the form's schema says so.",
        "oneOf": [ref(name) for name in forms],
    }


def draft_schemas(forms: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The schema of a draft of each task form (forms.base.draft_schema), by component name."""
    return {f"{name}Draft": draft_schema(schema) for name, schema in forms.items()}


def task_draft_schema(forms: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The body of PUT /tasks/{task_id}/draft: a draft of the task's own form."""
    return {
        "description": "Some of the task form's fields, to keep unfinished: the schema of a "
        "draft of the task's own form_key (x-form-keys), also given as draft_schema by GET "
        "/tasks/{task_id} with the choices filled from data. Exact: no other keys; each value "
        "of its field's JSON type, or null for a field left out; within the form's limits "
        "(maxLength, maxItems, minimum, maximum, multipleOf, the choices, an empty choice "
        "too). Nothing is required and no cross-field rule applies, a draft being unfinished. "
        "It replaces my previous draft and is deleted when the task is completed.",
        "anyOf": [ref(f"{name}Draft") for name in forms],
    }


def breach_parameters() -> list[dict[str, Any]]:
    """The query parameters of the service-level view (services.breach_view.BreachFilter)."""
    return [
        query_parameter(
            "state",
            optional_choice(breach_view.STATES),
            "Only at-risk tasks (not yet due) or only breached ones (due time passed).",
        ),
        query_parameter(
            "clock", filter_text("clock"), "Only this step: a clock name (acknowledge, classify…)."
        ),
        query_parameter("task", filter_text("task"), "Only this task (its id in the diagram)."),
        query_parameter("role", filter_text("role"), "Only this team: the task's lane (a role)."),
        query_parameter(
            "department", filter_text("department"), "Only complaints of this department."
        ),
        query_parameter(
            "assignee",
            {"type": "string", "pattern": f"^(none|{whole_number_pattern(1)})?$"},
            "A user id, or `none` for unassigned tasks (empty: anyone's).",
        ),
        query_parameter(
            "sort",
            optional_choice(breach_view.SORTS, "due"),
            "due: most late first; due_desc: due last first; step; team; assignee.",
        ),
        query_parameter(
            "page",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
            "Page number.",
        ),
        query_parameter(
            "per_page",
            {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 25},
            "Tasks per page.",
        ),
    ]


def filter_text(name: str) -> dict[str, Any]:
    """A list's text filter, as long as the server reads it (schemas.FILTER_TEXT_LIMITS)."""
    return {"type": "string", "maxLength": FILTER_TEXT_LIMITS[name]}


def paths() -> dict[str, Any]:
    """Every route of the API with its input and answers."""
    task_id = path_parameter("task_id")
    inbox_params = (
        [
            query_parameter(
                "scope",
                {"type": "string", "enum": list(SCOPES), "default": "roles"},
                "mine: claimed by me; unassigned; roles: unassigned or mine; team: routed to "
                "one of my teams, whoever holds them.",
            ),
            query_parameter(
                "sort",
                {"type": "string", "enum": list(SORTS), "default": "due"},
                "Order of the tasks.",
            ),
            query_parameter(
                "page",
                {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
                "Page number.",
            ),
            query_parameter(
                "per_page",
                {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 25},
                "Tasks per page.",
            ),
        ]
        + [
            query_parameter(name, optional_choice(values), f"Only complaints with this {name}.")
            for name, values in filter_choices().items()
        ]
        + [
            query_parameter(
                "department", filter_text("department"), "Only complaints of this department."
            )
        ]
        + [
            query_parameter(
                "search", filter_text("search"), "A complaint reference or part of a name."
            )
        ]
    )
    etag = {"ETag": {"$ref": "#/components/headers/ETag"}}

    def task_action(example: dict[str, Any]) -> dict[str, Any]:
        return {
            "security": bearer("tasks"),
            "parameters": [task_id, if_match()],
            "responses": {
                "200": {
                    **json_body(ref("Task"), "The task as it is now.", example),
                    "headers": etag,
                },
                **errors("Unauthorized", "Forbidden", "NotFound", "Conflict", "PreconditionFailed"),
            },
        }

    filed = json_body(ref("Filed"), "Filed; keep the tracking token.", examples.FILED)
    filed["headers"] = {
        **location_header("The complaint's tracking address (GET /tracking)."),
        **rate_limit_headers(),
    }
    return {
        "/complaints": {
            "post": {
                "operationId": "fileComplaint",
                "summary": "File a complaint (public, rate-limited)",
                "description": "Rate-limited per client address: at most "
                f"{filing_cap()} filings (every request counts, accepted or refused). The "
                "answers carry RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset (and "
                "X-RateLimit-*) for the tightest limit; past it, 429 with Retry-After. Send an "
                "Idempotency-Key to retry safely: the same key files one complaint only.",
                "security": [],
                "requestBody": {
                    "required": True,
                    **json_body(
                        ref("ComplaintForm"), "The public form's fields.", examples.COMPLAINT_FORM
                    ),
                },
                "responses": {
                    "201": filed,
                    **errors("Unprocessable", "TooManyRequests", "PayloadTooLarge"),
                },
            }
        },
        "/tracking/{token}": {
            "get": {
                "operationId": "trackComplaint",
                "summary": "Follow a complaint with its tracking token (public)",
                "deprecated": True,  # the token in the path ends up in logs: GET /tracking
                "security": [],
                "parameters": [path_parameter("token")],
                "responses": {
                    "200": json_body(
                        ref("Tracking"), "Status and public timeline.", examples.TRACKING
                    ),
                    **errors("NotFound", "Gone"),
                },
            }
        },
        "/tasks": {
            "get": {
                "operationId": "listTasks",
                "summary": "My open tasks, as in the inbox",
                "security": bearer("read"),
                "parameters": inbox_params,
                "responses": {
                    "200": json_body(
                        ref("TaskPage"), "One page of open tasks.", examples.TASK_PAGE
                    ),
                    **errors("Unauthorized", "Unprocessable"),
                },
            }
        },
        "/service-levels": {
            "get": {
                "operationId": "listServiceLevels",
                "summary": "Managers: open tasks at risk or breached now, with counts",
                "security": bearer("read"),
                "parameters": breach_parameters(),
                "responses": {
                    "200": json_body(
                        ref("BreachPage"),
                        "One page of at-risk and breached tasks.",
                        examples.BREACH_PAGE,
                    ),
                    **errors("Unauthorized", "Forbidden", "Unprocessable"),
                },
            }
        },
        "/tasks/{task_id}": {
            "get": {
                "operationId": "showTask",
                "summary": "A task and the JSON Schema of the data that completes it",
                "description": "A task of one of your roles; managers read every task they "
                "oversee (the ones they may reassign). The ETag of the answer is the task's "
                "current state: send it in If-Match to claim, give back or complete the task "
                "only if nobody changed it.",
                "security": bearer("read"),
                "parameters": [task_id],
                "responses": {
                    "200": {
                        **json_body(ref("TaskDetail"), "The task.", examples.TASK_DETAIL),
                        "headers": etag,
                    },
                    **errors("Unauthorized", "NotFound"),
                },
            }
        },
        "/tasks/{task_id}/claim": {
            "post": {
                "operationId": "claimTask",
                "summary": "Take a task",
                **task_action(examples.CLAIMED),
            }
        },
        "/tasks/{task_id}/unclaim": {
            "post": {
                "operationId": "unclaimTask",
                "summary": "Give a task back",
                **task_action({**examples.CLAIMED, "assignee": None}),
            }
        },
        "/tasks/{task_id}/complete": {
            "post": {
                "operationId": "completeTask",
                "summary": "Complete a task with its form's data",
                "x-form-keys": {
                    key: ref(cls.__name__)["$ref"] for key, cls in task_forms().items()
                },
                "security": bearer("tasks"),
                "parameters": [task_id, if_match()],
                "requestBody": {
                    "required": True,
                    **json_body(
                        ref("TaskCompletion"), "The task form's fields.", examples.COMPLETION
                    ),
                },
                "responses": {
                    "200": {
                        **json_body(ref("Task"), "The completed task.", examples.COMPLETED),
                        "headers": etag,
                    },
                    **errors(
                        "Unauthorized",
                        "Forbidden",
                        "NotFound",
                        "Conflict",
                        "PreconditionFailed",
                        "Unprocessable",
                    ),
                },
            }
        },
        "/tasks/{task_id}/draft": {
            "get": {
                "operationId": "showDraft",
                "summary": "My draft of a task (a draft is private to its author)",
                "security": bearer("read"),
                "parameters": [task_id],
                "responses": {
                    "200": json_body(ref("TaskDraft"), "The draft.", examples.DRAFT),
                    **errors("Unauthorized", "NotFound"),
                },
            },
            "put": {
                "operationId": "saveDraft",
                "summary": "Keep unfinished values of a task I may work on",
                "security": bearer("tasks"),
                "parameters": [task_id],
                "x-form-keys": {
                    key: ref(f"{cls.__name__}Draft")["$ref"] for key, cls in task_forms().items()
                },
                "requestBody": {
                    "required": True,
                    **json_body(
                        ref("TaskDraftValues"),
                        "Some of the task form's fields.",
                        examples.DRAFT_VALUES,
                    ),
                },
                "responses": {
                    "200": json_body(ref("TaskDraft"), "The draft as kept.", examples.DRAFT),
                    **errors("Unauthorized", "Forbidden", "NotFound", "Conflict", "Unprocessable"),
                },
            },
            "delete": {
                "operationId": "discardDraft",
                "summary": "Throw my draft of a task away",
                "security": bearer("tasks"),
                "parameters": [task_id],
                "responses": {
                    "204": {"description": "No draft is left."},
                    **errors("Unauthorized", "NotFound"),
                },
            },
        },
        "/complaints/{complaint_id}": {
            "get": {
                "operationId": "showComplaint",
                "summary": "A complaint with its tasks, timelines and notifications",
                "description": "The ETag of the answer is a digest of its content.",
                "security": bearer("read"),
                "parameters": [
                    {
                        **path_parameter("complaint_id", "integer"),
                        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
                    }
                ],
                "responses": {
                    "200": {
                        **json_body(ref("ComplaintDetail"), "The complaint.", examples.COMPLAINT),
                        "headers": etag,
                    },
                    **errors("Unauthorized", "NotFound"),
                },
            }
        },
        "/problems/{code}": {
            "get": {
                "operationId": "describeProblem",
                "summary": "What a problem code means (the `type` of a problem names it)",
                "description": "The description is in the reader's language (Accept-Language: "
                "English or French), as Content-Language says.",
                "security": [],
                "parameters": [
                    {
                        **path_parameter("code"),
                        "schema": {"type": "string", "pattern": "^[a-z][a-z_]*$"},
                    }
                ],
                "responses": {
                    "200": json_body(
                        ref("ProblemType"),
                        "The code, its HTTP status and what it means.",
                        problem_codes()["task_already_completed"],
                    ),
                    **errors("NotFound"),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": json_body(
                        {"type": "object"},
                        "OpenAPI 3.1.",
                        {"openapi": "3.1.0", "info": {"title": "complaintflow API"}},
                    )
                },
            }
        },
    }


def refusing_nul(paths: dict[str, Any]) -> dict[str, Any]:
    """The operations with every text they read (query parameters, and the strings of a
    request body) stating what the server does: a NUL refused. Texts
    bound by a choice or a pattern already say so; the task forms' schemas say it
    themselves (forms.base.NO_NUL)."""
    result: dict[str, Any] = {}
    for path, operations in paths.items():
        result[path] = {}
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                result[path][method] = operation
                continue
            changed = dict(operation)
            if "parameters" in operation:
                changed["parameters"] = [
                    {**p, "schema": without_nul(p["schema"])}
                    if "schema" in p and p.get("in") == "query"
                    else p
                    for p in operation["parameters"]
                ]
            body = operation.get("requestBody")
            if isinstance(body, dict) and "content" in body:
                changed["requestBody"] = {
                    **body,
                    "content": {
                        media: {**item, "schema": without_nul(item["schema"])}
                        if "schema" in item
                        else item
                        for media, item in body["content"].items()
                    },
                }
            result[path][method] = changed
    return result


def input_schemas(operations: dict[str, Any], schemas: dict[str, Any]) -> set[str]:
    """The component schemas requests are read with: named by a request body, or by one of
    those, however deep."""
    found: set[str] = set()
    pending = [
        item.get("schema")
        for path in operations.values()
        for operation in path.values()
        if isinstance(operation, dict) and isinstance(operation.get("requestBody"), dict)
        for item in operation["requestBody"].get("content", {}).values()
    ]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            reference = value.get("$ref")
            if isinstance(reference, str) and reference.startswith(SCHEMA_REF):
                name = reference.removeprefix(SCHEMA_REF)
                if name not in found and name in schemas:
                    found.add(name)
                    pending.append(schemas[name])
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return found


SCHEMA_REF = "#/components/schemas/"


def spells_out(pattern: Any) -> bool:
    """Whether a pattern names every character of the texts it allows (anchored at both ends,
    as "^[0-9]{1,9}$"), so that a NUL is refused by it; an unanchored one ("\\S": not blank)
    says nothing of the other characters, and a text with a NUL in it may match."""
    return isinstance(pattern, str) and pattern.startswith("^") and pattern.endswith("$")


def without_nul(schema: Any) -> Any:
    """`schema` with each free text in it refusing NUL (a new dict: the shared ones stay)."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return schema
    kind = schema.get("type")
    texts = kind == "string" or (isinstance(kind, list) and "string" in kind)
    ruled = any(isinstance(rule, dict) and "not" in rule for rule in schema.get("allOf", []))
    # A file's content (contentMediaType) may hold any byte: the guard reads its name only.
    bounded = {"enum", "const", "not", "format", "contentMediaType"}
    free = (
        texts and not ruled and not bounded & set(schema) and not spells_out(schema.get("pattern"))
    )
    changed = {**schema, **NO_NUL} if free else dict(schema)
    # An object that takes other keys (a multipart form's other parts) takes no name with a NUL.
    if "properties" in schema and schema.get("additionalProperties") is not False:
        changed.setdefault("propertyNames", NO_NUL)
    for key in ("items", "additionalProperties", "not", "if", "then", "else"):
        if key in schema and key != "not":
            changed[key] = without_nul(schema[key])
    if isinstance(schema.get("properties"), dict):
        changed["properties"] = {k: without_nul(v) for k, v in schema["properties"].items()}
    for key in ("allOf", "anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            changed[key] = [without_nul(item) for item in schema[key]]
    return changed


def document() -> dict[str, Any]:
    """The whole OpenAPI document (labels in the request's language)."""
    from app.api import SECTIONS  # the sections import this module's helpers

    forms = form_schemas()
    section_paths: dict[str, Any] = {}
    section_schemas: dict[str, Any] = {}
    for section in SECTIONS:
        section_paths.update(section.paths())
        section_schemas.update(section.schemas())
    operations = refusing_nul({**paths(), **section_paths})
    schemas = {
        "ComplaintForm": ComplaintForm.json_schema(),
        **forms,
        "TaskCompletion": task_completion_schema(forms),
        **draft_schemas(forms),
        "TaskDraftValues": task_draft_schema(forms),
        "ProblemType": {
            "type": "object",
            "properties": {
                "code": TEXT,
                "status": {"type": "integer"},
                "description": TEXT,
            },
            "required": ["code", "status", "description"],
        },
        **answer_schemas(),
        **section_schemas,
    }
    # The API's own input schemas; the forms' state it themselves (forms.base.NO_NUL), and
    # are published exactly as the forms give them.
    for name in input_schemas(operations, schemas) & set(section_schemas):
        schemas[name] = without_nul(schemas[name])
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "complaintflow API",
            "version": API_VERSION,
            "description": "File and follow complaints (public); work the task inbox (staff, "
            "with a token from their account page, POST /tokens or "
            "`flask issue-token USERNAME`).\n\n"
            "**Errors** are RFC 9457 problem details (`application/problem+json`): `type` "
            f"(`{PREFIX}/problems/<code>`, a URI reference relative to this server), `title` "
            "(the HTTP status's name), `status`, `detail` (for people), `code` (stable, for "
            "programs: validation_failed, task_already_completed, concurrent_change, "
            "not_found, forbidden, insufficient_scope, unauthorized, link_expired, "
            "rate_limited, payload_too_large, precondition_failed, precondition_required, "
            "invalid_if_match, idempotency_key_reused, idempotency_in_progress…), `instance` "
            "(the request's path) and, for validation_failed, `errors`: field → messages.\n\n"
            "**Retries:** every POST takes an optional `Idempotency-Key`; see the parameter. "
            "**Concurrency:** tasks and complaints carry a strong `ETag`; the task actions "
            "honour an optional `If-Match` (412 precondition_failed when it is stale, 400 "
            "invalid_if_match when its ETag is not quoted). "
            "**Rate limits:** rate-limited operations say so in their description and answer "
            "`RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds), with the "
            "same figures as `X-RateLimit-*` (whose Reset is a Unix time), and 429 with "
            "`Retry-After`. Requests larger than "
            f"{upload_limit()} bytes are refused with 413.\n\n"
            "**Scopes:** each operation's security names the token scope it needs (read, "
            "tasks, intake, admin); a token without it gets 403 insufficient_scope. Where "
            "it names all four, any token of the caller's will do (GET /me, the caller's own "
            "tokens; another user's tokens need admin).\n\n"
            "**Input:** a NUL character anywhere in a request (path, query, body) and a JSON "
            f"body nested more than {MAX_JSON_DEPTH} levels deep are refused with 400 "
            "bad_request before anything else; a body sent as application/json that is not "
            "well-formed JSON is a 400 invalid_json (well-formed JSON that fails validation, "
            "a 422); an id beyond what the database holds "
            f"({MAX_ID}) is a 404.",
        },
        "servers": [{"url": PREFIX}],
        "paths": with_links(
            with_input_errors(with_media_types(with_scopes(with_idempotency(operations))))
        ),
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A staff member's API token: made on their account page "
                    "or with POST /tokens, for a service account with `flask issue-token "
                    "USERNAME`. Its scopes (read, tasks, intake, admin) narrow what it may do; "
                    "a missing scope is a 403 insufficient_scope.",
                },
                "trackingToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Tracking-Token",
                    "description": "The complainant's private tracking token (from the filing "
                    "answer or the tracking link), for the /tracking operations. Sent in this "
                    "header, never in a URL.",
                },
            },
            "schemas": schemas,
            "responses": error_responses(),
            "parameters": {"IdempotencyKey": idempotency_key()},
            "headers": header_components(),
        },
    }
