"""The OpenAPI 3.1 document of the API, built in code so that its input schemas follow the forms."""

from __future__ import annotations

from typing import Any

from app.api.schemas import TEXT, answer_schemas, ref
from app.input_guards import MAX_INT as MAX_ID
from forms import FORMS, ComplaintForm
from services import breach_view
from services.tasks import SCOPES, SORTS

API_VERSION = "1.0.0"
PREFIX = "/api/v1"
BEARER = [{"bearerAuth": []}]
# Paging limits of the task list, stated here and enforced by the view.
MAX_PAGE = 100_000
MAX_PER_PAGE = 100


def json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """A JSON response or request body."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "Unauthorized": "No API token was sent, or it is not valid.",
    "Forbidden": "The task is assigned to someone else, or your role does not allow this.",
    "NotFound": "No such thing, or you may not know it exists (confidential complaints).",
    "Conflict": "The task is no longer open (someone else was first).",
    "Gone": "The tracking link has expired; ask for a new one at /track.",
    "Unprocessable": "The input failed validation; `details` maps each field to its messages.",
    "TooManyRequests": "Too many requests from this address; retry later.",
}


def form_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of each task form, by class name (several form keys may share one)."""
    return {cls.__name__: cls.json_schema() for cls in FORMS.values()}


def error_responses() -> dict[str, Any]:
    """The shared error answers, each with the Error schema."""
    responses = {name: json_body(ref("Error"), text) for name, text in ERRORS.items()}
    responses["Unauthorized"]["headers"] = {
        "WWW-Authenticate": {"description": "The Bearer challenge.", "schema": TEXT}
    }
    return responses


def errors(*names: str) -> dict[str, Any]:
    """Responses of an operation for the given shared errors."""
    codes = {
        "Unauthorized": "401",
        "Forbidden": "403",
        "NotFound": "404",
        "Conflict": "409",
        "Gone": "410",
        "Unprocessable": "422",
        "TooManyRequests": "429",
    }
    return {codes[name]: {"$ref": f"#/components/responses/{name}"} for name in names}


def path_parameter(name: str, type_name: str = "string") -> dict[str, Any]:
    """A required parameter in the path."""
    return {"name": name, "in": "path", "required": True, "schema": {"type": type_name}}


def query_parameter(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    """An optional query-string parameter."""
    return {"name": name, "in": "query", "schema": schema, "description": description}


def task_completion_schema(forms: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The body of /complete: the schema of the task's form, one of the forms' schemas."""
    keys = ", ".join(f"`{key}` → {cls.__name__}" for key, cls in sorted(FORMS.items()))
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
        "Conditional fields: a property with x-shown-when applies only when the field it "
        "names has the value given (`equals`), or one of the values (`in`; for a list, any "
        "of them ticked). Otherwise the task's page hides it, it is not required, and a value "
        "sent for it is ignored (the task data holds it empty); where it is required when it "
        "applies, an if/then of the form's schema says so.",
        "oneOf": [ref(name) for name in forms],
    }


def breach_parameters() -> list[dict[str, Any]]:
    """The query parameters of the service-level view (services.breach_view.BreachFilter)."""
    return [
        query_parameter(
            "state",
            {"type": "string", "enum": list(breach_view.STATES)},
            "Only at-risk tasks (not yet due) or only breached ones (due time passed).",
        ),
        query_parameter("clock", TEXT, "Only this step: a clock name (acknowledge, classify…)."),
        query_parameter("task", TEXT, "Only this task (its id in the diagram)."),
        query_parameter("role", TEXT, "Only this team: the task's lane (a role)."),
        query_parameter("department", TEXT, "Only complaints of this department."),
        query_parameter(
            "assignee",
            {"type": "string", "pattern": "^(none|[0-9]{1,9})$"},
            "A user id, or `none` for unassigned tasks.",
        ),
        query_parameter(
            "sort",
            {"type": "string", "enum": list(breach_view.SORTS), "default": "due"},
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
            query_parameter(name, TEXT, f"Only complaints with this {name}.")
            for name in ("category", "severity", "channel", "status", "department")
        ]
        + [query_parameter("search", TEXT, "A complaint reference or part of a name.")]
    )
    task_action = {
        "security": BEARER,
        "parameters": [task_id],
        "responses": {
            "200": json_body(ref("Task"), "The task as it is now."),
            **errors("Unauthorized", "Forbidden", "NotFound", "Conflict"),
        },
    }
    return {
        "/complaints": {
            "post": {
                "operationId": "fileComplaint",
                "summary": "File a complaint (public, rate-limited)",
                "security": [],
                "requestBody": {
                    "required": True,
                    **json_body(ref("ComplaintForm"), "The public form's fields."),
                },
                "responses": {
                    "201": json_body(ref("Filed"), "Filed; keep the tracking token."),
                    **errors("Unprocessable", "TooManyRequests"),
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
                    "200": json_body(ref("Tracking"), "Status and public timeline."),
                    **errors("NotFound", "Gone"),
                },
            }
        },
        "/tasks": {
            "get": {
                "operationId": "listTasks",
                "summary": "My open tasks, as in the inbox",
                "security": BEARER,
                "parameters": inbox_params,
                "responses": {
                    "200": json_body(ref("TaskPage"), "One page of open tasks."),
                    **errors("Unauthorized", "Unprocessable"),
                },
            }
        },
        "/service-levels": {
            "get": {
                "operationId": "listServiceLevels",
                "summary": "Managers: open tasks at risk or breached now, with counts",
                "security": BEARER,
                "parameters": breach_parameters(),
                "responses": {
                    "200": json_body(ref("BreachPage"), "One page of at-risk and breached tasks."),
                    **errors("Unauthorized", "Forbidden", "Unprocessable"),
                },
            }
        },
        "/tasks/{task_id}": {
            "get": {
                "operationId": "showTask",
                "summary": "A task and the JSON Schema of the data that completes it",
                "security": BEARER,
                "parameters": [task_id],
                "responses": {
                    "200": json_body(ref("TaskDetail"), "The task."),
                    **errors("Unauthorized", "NotFound"),
                },
            }
        },
        "/tasks/{task_id}/claim": {
            "post": {"operationId": "claimTask", "summary": "Take a task", **task_action}
        },
        "/tasks/{task_id}/unclaim": {
            "post": {"operationId": "unclaimTask", "summary": "Give a task back", **task_action}
        },
        "/tasks/{task_id}/complete": {
            "post": {
                "operationId": "completeTask",
                "summary": "Complete a task with its form's data",
                "x-form-keys": {key: ref(cls.__name__)["$ref"] for key, cls in FORMS.items()},
                "security": BEARER,
                "parameters": [task_id],
                "requestBody": {
                    "required": True,
                    **json_body(ref("TaskCompletion"), "The task form's fields."),
                },
                "responses": {
                    "200": json_body(ref("Task"), "The completed task."),
                    **errors("Unauthorized", "Forbidden", "NotFound", "Conflict", "Unprocessable"),
                },
            }
        },
        "/tasks/{task_id}/draft": {
            "get": {
                "operationId": "showDraft",
                "summary": "My draft of a task (a draft is private to its author)",
                "security": BEARER,
                "parameters": [task_id],
                "responses": {
                    "200": json_body(ref("TaskDraft"), "The draft."),
                    **errors("Unauthorized", "NotFound"),
                },
            },
            "put": {
                "operationId": "saveDraft",
                "summary": "Keep unfinished values of a task I may work on",
                "security": BEARER,
                "parameters": [task_id],
                "requestBody": {
                    "required": True,
                    **json_body(
                        {
                            "type": "object",
                            "description": "Any of the task form's fields (the properties of "
                            "its payload_schema, with their JSON types); none is required and "
                            "no cross-field rule applies, a draft being unfinished. It replaces "
                            "my previous draft and is deleted when the task is completed.",
                        },
                        "Some of the task form's fields.",
                    ),
                },
                "responses": {
                    "200": json_body(ref("TaskDraft"), "The draft as kept."),
                    **errors("Unauthorized", "Forbidden", "NotFound", "Conflict", "Unprocessable"),
                },
            },
            "delete": {
                "operationId": "discardDraft",
                "summary": "Throw my draft of a task away",
                "security": BEARER,
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
                "security": BEARER,
                "parameters": [
                    {
                        **path_parameter("complaint_id", "integer"),
                        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
                    }
                ],
                "responses": {
                    "200": json_body(ref("ComplaintDetail"), "The complaint."),
                    **errors("Unauthorized", "NotFound"),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "security": [],
                "responses": {"200": json_body({"type": "object"}, "OpenAPI 3.1.")},
            }
        },
    }


def document() -> dict[str, Any]:
    """The whole OpenAPI document (labels in the request's language)."""
    from app.api import SECTIONS  # the sections import this module's helpers

    forms = form_schemas()
    section_paths: dict[str, Any] = {}
    section_schemas: dict[str, Any] = {}
    for section in SECTIONS:
        section_paths.update(section.paths())
        section_schemas.update(section.schemas())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "complaintflow API",
            "version": API_VERSION,
            "description": "File and follow complaints (public); work the task inbox (staff, "
            "with a token from `flask issue-token USERNAME`). Errors are JSON: "
            '{"error": message, "status": code, "details": {...}}.',
        },
        "servers": [{"url": PREFIX}],
        "paths": {**paths(), **section_paths},
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token issued with `flask issue-token USERNAME`.",
                }
            },
            "schemas": {
                "ComplaintForm": ComplaintForm.json_schema(),
                **forms,
                "TaskCompletion": task_completion_schema(forms),
                **answer_schemas(),
                **section_schemas,
            },
            "responses": error_responses(),
        },
    }
