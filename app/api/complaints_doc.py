"""The OpenAPI description of the complaints part (app/api/complaints.py): list and search,
look-up by reference, authenticated intake, task reassignment, each with an example."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from app import uploads
from app.api.complaints import FILES_FIELD, TEXT_LIMITS, choices, intake_form
from app.api.openapi import (
    errors,
    if_match,
    json_body,
    location_header,
    optional_choice,
    path_parameter,
    query_parameter,
)
from app.api.schemas import LINKS, TEXT, TIME, nullable, obj, ref
from app.input_guards import MAX_INT as MAX_ID
from forms.intake import StaffIntakeForm
from services import attachments, business_calendar
from services.clock import utcnow
from services.complaint_search import MAX_LIMIT, SORTS, STATES

EXAMPLE_REFERENCE = "C-2026-000042"


def _example(body: dict[str, Any], example: Any) -> dict[str, Any]:
    """`body` (json_body's shape) with an example of each of its media types."""
    body = copy.deepcopy(body)
    for media in body["content"].values():
        media["example"] = example
    return body


CURSOR_EXAMPLE = "WyJuZXdlc3QiLCAiMjAyNi0xMS0wMlQwOToxNTowMCswMDowMCIsIDQyXQ"
SUMMARY_EXAMPLE = {
    "id": 42,
    "reference": EXAMPLE_REFERENCE,
    "status": "investigation",
    "status_label": "Under investigation",
    "category": "product_quality",
    "severity": "high",
    "links": {"self": "/api/v1/complaints/42"},
}
LIST_ITEM_EXAMPLE = {
    **SUMMARY_EXAMPLE,
    "category_label": "Product quality",
    "received_at": "2026-11-02T09:15:00+00:00",
    "channel": "phone",
    "department": "Customer service",
    "department_name": "Customer service",
    "complainant_name": "Aminata Diallo",
    "confidential": False,
    "closed_at": None,
}
# Without received_at: intake_example adds one the form accepts on the day it is served.
INTAKE_EXAMPLE = {
    "channel": "phone",
    "complainant_name": "Aminata Diallo",
    "phone": "+221 77 000 00 00",
    "preferred_contact": "phone",
    "product_service": "Washing machine WM-300",
    "description": "The machine leaks water from the first wash and the shop ignores my calls.",
    "consent_recorded": True,
}


def intake_example() -> dict[str, Any]:
    """The intake example, received yesterday at 10:30 in the organisation's time: the form
    refuses a receipt in the future or more than a year ago, so a fixed date would go stale."""
    yesterday = business_calendar.to_local(utcnow()) - timedelta(days=1)
    received_at = yesterday.strftime("%Y-%m-%dT10:30")
    return {"channel": INTAKE_EXAMPLE["channel"], "received_at": received_at, **INTAKE_EXAMPLE}


RECORDED_EXAMPLE = {
    "id": 43,
    "reference": "C-2026-000043",
    "status": "registration",
    "status_label": "Being registered",
    "tracking_token": "k3Jx9…",
    "tracking_url": "https://complaints.example.org/track/k3Jx9…",
    "links": {
        "tracking": "https://complaints.example.org/api/v1/tracking",
        "complaint": "/api/v1/complaints/43",
    },
}
DETAIL_EXAMPLE = {
    **SUMMARY_EXAMPLE,
    "status": "closed",
    "status_label": "Closed",
    "category_label": "Product quality",
    "severity_label": "High",
    "route": "major",
    "confidential": False,
    "financial_impact": "120.00",
    "outcome": "closed_with_survey",
    "channel": "phone",
    "received_at": "2026-11-02T09:15:00+00:00",
    "received_by": {"id": 1, "username": "agent", "name": "Awa Intake"},
    "consent": True,
    "form_date": "2026-11-02",
    "closed_at": "2026-11-20T15:00:00+00:00",
    "satisfaction": {"score": 4, "comment": "Quick and fair."},
    "intake": {"department": "Customer service", "complainant_name": "Aminata Diallo"},
    "tasks": [],
    "timeline": {
        "public": [
            {"at": "2026-11-02T09:15:00+00:00", "kind": "received", "summary": "Complaint received"}
        ],
        "staff": [],
    },
    "notifications": [],
    "attachments": [],
    "duplicate_of": None,
    "duplicates": [],
}
TASK_EXAMPLE = {
    "id": "4f1c2a9e-5d47-4a0b-9d3e-0c6f1b2a7e55",
    "name": "investigate_complaint",
    "title": "Investigate the complaint",
    "form_key": "investigate_complaint",
    "role": "complaint_manager",
    "status": "open",
    "created_at": "2026-11-03T08:00:00+00:00",
    "due_at": "2026-11-17T17:00:00+00:00",
    "clock": "investigate",
    "at_risk_at": "2026-11-14T17:00:00+00:00",
    "badge": None,
    "assignee": {"id": 3, "username": "investigator", "name": "Ines Investigator"},
    "completed_at": None,
    "completed_by": None,
    "complaint": SUMMARY_EXAMPLE,
    "links": {
        "self": "/api/v1/tasks/4f1c2a9e-5d47-4a0b-9d3e-0c6f1b2a7e55",
        "complete": "/api/v1/tasks/4f1c2a9e-5d47-4a0b-9d3e-0c6f1b2a7e55/complete",
    },
}


def _list_parameters() -> list[dict[str, Any]]:
    day = {"type": "string", "anyOf": [{"format": "date"}, {"const": ""}]}  # empty: no limit
    return [
        query_parameter(
            "reference",
            {"type": "string", "maxLength": TEXT_LIMITS["reference"]},
            "Only the complaint with this reference (any case).",
        ),
        query_parameter(
            "name",
            {"type": "string", "maxLength": TEXT_LIMITS["name"]},
            "Only complainants whose name contains this text (any case).",
        ),
        *(
            query_parameter(name, optional_choice(values), f"Only this {name}.")
            for name, values in choices().items()
        ),
        query_parameter(
            "department",
            {"type": "string", "maxLength": TEXT_LIMITS["department"]},
            "Only complaints about this department.",
        ),
        query_parameter(
            "received_from",
            day,
            "Only complaints received on or after this day (the organisation's time zone).",
        ),
        query_parameter(
            "received_to",
            day,
            "Only complaints received on or before this day (the organisation's time zone).",
        ),
        query_parameter(
            "state",
            optional_choice(STATES),
            "open: staff work goes on; closed: staff work is done (closed_at is set; the "
            "complainant may still answer the survey or ask for a review).",
        ),
        query_parameter(
            "sort",
            optional_choice(SORTS, "newest"),
            "By receipt time, then id: newest or oldest first. A cursor keeps its order.",
        ),
        query_parameter(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 25},
            "Complaints per page.",
        ),
        query_parameter(
            "cursor",
            {"type": "string", "maxLength": 200},
            "Where the previous page ended: its next_cursor (opaque). Pages neither repeat "
            "nor skip complaints when new ones arrive between requests.",
        ),
    ]


def paths() -> dict[str, Any]:
    """This part's operations for the OpenAPI document (keys relative to /api/v1)."""
    from app.api import openapi  # the public filing operation shares the /complaints path

    bearer: list[dict[str, list[str]]] = [{"bearerAuth": []}]
    intake_fields = "; ".join(
        f"{name}: {text}"
        for name, text in (
            ("booleans", "true or false"),
            ("received_at", "the organisation's local time, YYYY-MM-DDTHH:MM; empty: now"),
            ("attachments", f"up to {attachments.MAX_PER_COMPLAINT} photos or PDFs"),
        )
    )
    return {
        "/complaints": {
            **openapi.paths().get("/complaints", {}),
            "get": {
                "operationId": "listComplaints",
                "summary": "Complaints I may see, filtered, a page per cursor",
                "description": "Staff who read complaints (the staff list's roles); a "
                "confidential complaint is listed only to staff cleared for it. Newest first "
                "(receipt time, then id); follow links.next (or pass next_cursor as cursor) "
                "until it is null.",
                "security": bearer,
                "parameters": _list_parameters(),
                "responses": {
                    "200": _example(
                        json_body(ref("ComplaintList"), "One page of complaints."),
                        {
                            "complaints": [LIST_ITEM_EXAMPLE],
                            "limit": 25,
                            "next_cursor": CURSOR_EXAMPLE,
                            "links": {
                                "self": "/api/v1/complaints?state=open",
                                "next": f"/api/v1/complaints?state=open&cursor={CURSOR_EXAMPLE}",
                            },
                        },
                    ),
                    **errors("Unauthorized", "Forbidden", "Unprocessable"),
                },
            },
        },
        "/complaints/by-reference/{reference}": {
            "get": {
                "operationId": "showComplaintByReference",
                "summary": "A complaint by its reference, closed ones too",
                "security": bearer,
                "parameters": [
                    {
                        **path_parameter("reference"),
                        "schema": {"type": "string", "maxLength": 20},
                        "example": EXAMPLE_REFERENCE,
                    }
                ],
                "responses": {
                    "200": _example(
                        json_body(
                            ref("ComplaintDetail"), "The complaint, as GET /complaints/{id}."
                        ),
                        DETAIL_EXAMPLE,
                    ),
                    **errors("Unauthorized", "NotFound"),
                },
            }
        },
        "/complaints/intake": {
            "post": {
                "operationId": "recordComplaint",
                "summary": "Intake agents: record a complaint received by telephone, at the "
                "counter, by letter, email or on social media",
                "description": "The staff intake page's form and checks (token scope intake, "
                "the intake agent role). Send JSON, or multipart/form-data to attach files: "
                f"{intake_fields}. A file is kept only if its content is a JPEG, PNG, WebP, "
                f"GIF or PDF matching its name and type, at most "
                f"{attachments.MAX_SIZE // (1024 * 1024)} MB. Nothing is recorded if any "
                "field or file is refused.",
                "security": bearer,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": ref("StaffIntakeForm"),
                            "example": intake_example(),
                        },
                        "multipart/form-data": {
                            "schema": ref("StaffIntakeMultipart"),
                            "encoding": {
                                FILES_FIELD: {
                                    "contentType": uploads.ACCEPTED_FILES.replace(",", ", ")
                                }
                            },
                            "example": intake_example(),
                        },
                    },
                },
                "responses": {
                    "201": {
                        **_example(
                            json_body(
                                ref("Filed"),
                                "Recorded; give the complainant the tracking link (shown once). "
                                "links.complaint is null when only the confidential focal point "
                                "may read it (violence, abuse or harassment).",
                            ),
                            RECORDED_EXAMPLE,
                        ),
                        "headers": location_header(
                            "The complaint (GET /complaints/{id}); not sent when "
                            "links.complaint is null."
                        ),
                    },
                    **errors("Unauthorized", "Forbidden", "Unprocessable"),
                },
            }
        },
        "/tasks/{task_id}/assign": {
            "post": {
                "operationId": "assignTask",
                "summary": "Managers: give an open task to someone, or back to its team",
                "description": "The assignee must be active, hold the task's role, be cleared "
                "for a confidential complaint and not be kept off by the four-eyes rule; each "
                "refusal is a 422 with its own code (unknown_assignee, assignee_lacks_role, "
                "assignee_not_cleared, four_eyes). null releases the task to its team. Managers "
                "oversee every task whatever its role (GET /tasks/{task_id} reads it); a "
                "confidential one without their clearance is a 404. The answer carries the "
                "task's new ETag.",
                "security": bearer,
                "parameters": [path_parameter("task_id"), if_match()],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": ref("TaskAssignment"),
                            "example": {"assignee_id": 3},
                        }
                    },
                },
                "responses": {
                    "200": {
                        **_example(json_body(ref("Task"), "The task as it is now."), TASK_EXAMPLE),
                        "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
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
    }


def schemas() -> dict[str, Any]:
    """This part's component schemas for the OpenAPI document."""
    intake = StaffIntakeForm.json_schema(intake_form())
    multipart = copy.deepcopy(intake)
    multipart["title"] = "StaffIntakeMultipart"
    multipart["description"] = "The intake form's fields as form parts, with files."
    multipart["properties"][FILES_FIELD] = {
        "type": "array",
        "maxItems": attachments.MAX_PER_COMPLAINT,
        "items": {"type": "string", "contentMediaType": "application/octet-stream"},
    }
    return {
        "StaffIntakeForm": intake,
        "StaffIntakeMultipart": multipart,
        "ComplaintListItem": {
            "allOf": [
                ref("ComplaintSummary"),
                obj(
                    {
                        "category_label": {
                            "type": "string",
                            "description": "The category in the Accept-Language, in the words "
                            "of the procedure version the complaint runs on, as GET "
                            '/complaints/{id} gives it ("" for none).',
                        },
                        "received_at": TIME,
                        "channel": TEXT,
                        "department": {
                            "type": "string",
                            "description": "The department as complaints carry it (its "
                            'English name; "" for none): what the department filter takes.',
                        },
                        "department_name": {
                            "type": "string",
                            "description": "The department in the Accept-Language: its French "
                            "or English name.",
                        },
                        "complainant_name": nullable(
                            "string", description="null for an anonymous complaint."
                        ),
                        "confidential": {"type": "boolean"},
                        "closed_at": TIME,
                    }
                ),
            ]
        },
        "ComplaintList": obj(
            {
                "complaints": {"type": "array", "items": ref("ComplaintListItem")},
                "limit": {"type": "integer"},
                "next_cursor": nullable("string", description="null on the last page."),
                "links": LINKS,
            }
        ),
        "TaskAssignment": {
            **obj(
                {
                    "assignee_id": nullable(
                        "integer",
                        minimum=1,
                        maximum=MAX_ID,
                        description="A user id, or null to release the task to its team.",
                    )
                }
            ),
            "additionalProperties": False,
        },
    }
