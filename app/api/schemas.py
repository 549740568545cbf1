"""JSON Schemas of what the API answers, for its OpenAPI document."""

from __future__ import annotations

from typing import Any

from services import business_calendar


def ref(name: str) -> dict[str, str]:
    """A reference to a schema of the document's components."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(type_name: str, **extra: Any) -> dict[str, Any]:
    """A schema of `type_name` or null."""
    return {"type": [type_name, "null"], **extra}


def obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """An object schema; every property is required unless `required` says otherwise."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }


TEXT = {"type": "string"}
# The longest text each list filter reads (the inbox page's search, a department's name, an id
# of the diagram): a longer one matches nothing, and percent-encoded it could outgrow the
# request line the server reads (gunicorn's limit_request_line).
FILTER_TEXT_LIMITS = {"search": 200, "department": 100, "clock": 100, "task": 100, "role": 100}
NULLABLE_TEXT = nullable("string")
TIME = nullable("string", format="date-time")
LINKS = {"type": "object", "additionalProperties": nullable("string")}


def _breach_page() -> dict[str, Any]:
    """One page of the managers' service-level view."""
    count = obj(
        {"key": TEXT, "at_risk": {"type": "integer"}, "breached": {"type": "integer"}},
    )
    counts = {"type": "array", "items": count}
    department_count = obj(
        {
            "key": {
                "type": "string",
                "description": 'The department as complaints carry it (its English name; "" '
                "for none): what the department filter takes.",
            },
            "name": {
                "type": "string",
                "description": "The department in the Accept-Language: its French or English name.",
            },
            "at_risk": {"type": "integer"},
            "breached": {"type": "integer"},
        },
    )
    service_level = nullable(
        "object",
        properties={
            "state": {
                "type": "string",
                "enum": ["on_track", "at_risk", "breached", "paused", "met", "stopped"],
            },
            "seconds_left": nullable(
                "integer",
                description="Time left in seconds, counted like the target: working time for "
                "a target in working days or hours, elapsed time otherwise; < 0: late.",
            ),
            "unit": {
                "type": "string",
                "enum": list(business_calendar.UNITS),
                "description": "The unit the target counts in, and the pages say the time left "
                "in: working_days, working_hours (seconds_left is working time), calendar_days, "
                "hours (elapsed time).",
            },
            "due_at": TIME,
        },
    )
    return obj(
        {
            "tasks": {
                "type": "array",
                "items": {
                    "allOf": [ref("Task"), obj({"service_level": service_level})],
                },
            },
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "pages": {"type": "integer"},
            "now": TIME,
            "counts": obj(
                {
                    "at_risk": {"type": "integer"},
                    "breached": {"type": "integer"},
                    "by_step": counts,
                    "by_task": counts,
                    "by_role": counts,
                    "by_department": {"type": "array", "items": department_count},
                }
            ),
            "links": LINKS,
        }
    )


def answer_schemas() -> dict[str, Any]:
    """The schemas of what the API answers."""
    user = nullable(
        "object", properties={"id": {"type": "integer"}, "username": TEXT, "name": TEXT}
    )
    complaint_summary = obj(
        {
            "id": {"type": "integer"},
            "reference": NULLABLE_TEXT,
            "status": TEXT,
            "status_label": TEXT,
            "category": NULLABLE_TEXT,
            "severity": NULLABLE_TEXT,
            "links": LINKS,
        }
    )
    task = obj(
        {
            "id": TEXT,
            "name": {"type": "string", "description": "The task id in the BPMN diagram."},
            "title": TEXT,
            "form_key": {
                "type": "string",
                "description": "The task's form (a definition of its process version); its "
                "schema is the task's payload_schema.",
            },
            "role": {
                "type": "string",
                "description": "The key of the role (the lane) whose holders do the task.",
            },
            "status": {"type": "string", "enum": ["open", "completed", "cancelled"]},
            "created_at": TIME,
            "due_at": TIME,
            "clock": nullable("string", description="The service-level clock setting due_at."),
            "at_risk_at": TIME,
            "badge": {"type": ["string", "null"], "enum": ["overdue", "at_risk", None]},
            "assignee": ref("UserRef"),
            "completed_at": TIME,
            "completed_by": ref("UserRef"),
            "complaint": ref("ComplaintSummary"),
            "links": LINKS,
        },
        required=["id", "name", "title", "form_key", "role", "status", "links"],
    )
    event = obj(
        {"at": TIME, "kind": TEXT, "summary": TEXT},
    )
    staff_event = obj(
        {
            "at": TIME,
            "kind": TEXT,
            "actor": TEXT,
            "task_name": NULLABLE_TEXT,
            "summary": TEXT,
            "public": {"type": "boolean"},
            "data": nullable("object"),
        }
    )
    notification = obj(
        {
            "kind": TEXT,
            "channel": TEXT,
            "recipient": TEXT,
            "subject": TEXT,
            "body": {
                **TEXT,
                "description": "The text sent, its tracking link without the token "
                "(…/track/…): the token is the complainant's alone.",
            },
            "status": TEXT,
            "created_at": TIME,
            "sent_at": TIME,
        }
    )
    return {
        "Problem": {
            "type": "object",
            "description": "An RFC 9457 problem (application/problem+json). Other members may "
            "say more about some problems (element_id: the diagram step that failed).",
            "properties": {
                "type": {
                    "type": "string",
                    "format": "uri-reference",
                    "description": "/api/v1/problems/<code>: names the kind of problem.",
                },
                "title": {
                    "type": "string",
                    "description": "The HTTP status's name, in the reader's language.",
                },
                "status": {"type": "integer", "description": "The HTTP status, repeated."},
                "detail": {"type": "string", "description": "What happened, for people."},
                "code": {
                    "type": "string",
                    "pattern": "^[a-z][a-z_]*$",
                    "description": "Stable, for programs (the last segment of `type`).",
                },
                "instance": {
                    "type": "string",
                    "format": "uri-reference",
                    "description": "The path of the request that had the problem.",
                },
                "errors": {
                    "type": "object",
                    "description": "validation_failed: field name → messages.",
                    "additionalProperties": {"type": "array", "items": TEXT},
                },
                "accepted_types": {
                    "type": "array",
                    "items": TEXT,
                    "description": "unsupported_media_type: the media types the operation "
                    "reads its body as.",
                },
            },
            "required": ["type", "title", "status", "detail", "code", "instance"],
        },
        # The former name of Problem, for references made before it.
        "Error": ref("Problem"),
        "UserRef": user,
        "ComplaintSummary": complaint_summary,
        "Task": task,
        "TaskDraft": obj(
            {
                "task_id": TEXT,
                "values": {
                    "type": "object",
                    "description": "Each field's values as text, as a browser posts them.",
                    "additionalProperties": {"type": "array", "items": TEXT},
                },
                "updated_at": TIME,
                "links": LINKS,
            }
        ),
        "TaskDetail": {
            "allOf": [
                ref("Task"),
                obj(
                    {
                        "payload_schema": {
                            "type": "object",
                            "description": "The JSON Schema of the body of /complete.",
                        },
                        "draft_schema": {
                            "type": "object",
                            "description": "The JSON Schema of the body of PUT "
                            "/tasks/{task_id}/draft: the same fields, none required, each of "
                            "its JSON type or null (left out), within the form's limits "
                            "(lengths, numbers of items, ranges, choices, an empty choice "
                            "too); no other keys.",
                        },
                        "data": nullable("object", description="The data it was completed with."),
                    }
                ),
            ]
        },
        "TaskPage": obj(
            {
                "tasks": {"type": "array", "items": ref("Task")},
                "total": {"type": "integer"},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "pages": {"type": "integer"},
                "links": LINKS,
            }
        ),
        "BreachPage": _breach_page(),
        "Filed": obj(
            {
                "id": {"type": "integer", "description": "The complaint's id (staff URLs)."},
                "reference": TEXT,
                "status": TEXT,
                "status_label": TEXT,
                "tracking_token": {
                    "type": "string",
                    "description": "Shown once: the complainant's private key to the complaint.",
                },
                "tracking_url": {"type": "string", "format": "uri"},
                "links": {
                    **LINKS,
                    "description": "tracking: GET /tracking, with tracking_token in the "
                    "X-Tracking-Token header (also the Location of the answer).",
                },
            }
        ),
        "Tracking": obj(
            {
                "reference": TEXT,
                "status": TEXT,
                "status_label": {"type": "string", "description": "In the Accept-Language."},
                "language": {
                    "type": "string",
                    "description": "The language of this answer's words (status_label, the "
                    "timeline's labels), from Accept-Language, as Content-Language says.",
                },
                "received_at": TIME,
                "closed_at": TIME,
                "timeline": {"type": "array", "items": ref("TrackingStep")},
                "messages": {"type": "array", "items": ref("Message")},
                "files": {"type": "array", "items": ref("ComplainantFile")},
                "awaiting_information": {"type": "boolean"},
                "information_requested": NULLABLE_TEXT,
                "awaiting_survey": {"type": "boolean"},
            }
        ),
        "TrackingStep": obj(
            {
                "at": TIME,
                "step": {
                    "type": "string",
                    "description": "received, acknowledgement, information_request, …",
                },
                "detail": TEXT,
            }
        ),
        "Message": obj({"at": TIME, "kind": TEXT, "subject": TEXT, "body": TEXT}),
        "ComplainantFile": obj(
            {"filename": TEXT, "size": {"type": "integer"}, "uploaded_at": TIME}
        ),
        "Attachment": obj(
            {
                "id": {"type": "integer"},
                "filename": TEXT,
                "content_type": TEXT,
                "size": {"type": "integer"},
                "uploaded_at": TIME,
                "uploaded_by": ref("UserRef"),
                "task_id": nullable(
                    "string",
                    description="The task staff added it on; null for the complainant's files.",
                ),
                "links": obj(
                    {
                        "content": {
                            **TEXT,
                            "description": "GET it for the file's content.",
                        }
                    }
                ),
            }
        ),
        "PublicEvent": event,
        "StaffEvent": staff_event,
        "Notification": notification,
        "ComplaintDetail": {
            "allOf": [
                ref("ComplaintSummary"),
                obj(
                    {
                        "category_label": TEXT,
                        "severity_label": TEXT,
                        "route": NULLABLE_TEXT,
                        "confidential": {"type": "boolean"},
                        "financial_impact": NULLABLE_TEXT,
                        "outcome": NULLABLE_TEXT,
                        "channel": TEXT,
                        "received_at": TIME,
                        "received_by": ref("UserRef"),
                        "consent": {"type": "boolean"},
                        "form_date": nullable("string", format="date"),
                        "closed_at": TIME,
                        "satisfaction": obj(
                            {"score": nullable("integer"), "comment": TEXT},
                        ),
                        "intake": {"type": "object"},
                        "tasks": {"type": "array", "items": ref("Task")},
                        "timeline": obj(
                            {
                                "public": {"type": "array", "items": ref("PublicEvent")},
                                "staff": {"type": "array", "items": ref("StaffEvent")},
                            }
                        ),
                        "notifications": {"type": "array", "items": ref("Notification")},
                        "attachments": {"type": "array", "items": ref("Attachment")},
                        "duplicate_of": {
                            "description": "The complaint this one repeats (closed as its "
                            "duplicate), if you may see it.",
                            "oneOf": [ref("ComplaintSummary"), {"type": "null"}],
                        },
                        "duplicates": {
                            "type": "array",
                            "description": "The complaints closed as duplicates of this one "
                            "that you may see.",
                            "items": ref("ComplaintSummary"),
                        },
                    }
                ),
            ]
        },
    }
