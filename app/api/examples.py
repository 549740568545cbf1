"""Examples of the API's requests and answers for the OpenAPI document: real answers of
the running application (a complaint filed and registered), shortened; the tests check each
against its schema."""

from __future__ import annotations

from typing import Any

COMPLAINT_FORM: dict[str, Any] = {
    "complainant_name": "Aminata Diallo",
    "email": "aminata@example.org",
    "preferred_contact": "email",
    "product_service": "Washing machine WM-300",
    "purchase_date": "2026-01-10",
    "description": "The machine leaks water from the first wash and nobody answers.",
    "attestation": True,
}

DRAFT_VALUES: dict[str, Any] = {"registration_notes": "Called back"}

FILED: dict[str, Any] = {
    "id": 1,
    "links": {"tracking": "https://complaints.example.org/api/v1/tracking"},
    "reference": "C-2026-000001",
    "status": "registration",
    "status_label": "Being registered",
    "tracking_token": "q3Jx9V0wY7dNfUe2kLr8sTz4bHc6mPa1oGi5nDvXyQw",
    "tracking_url": "https://complaints.example.org/track/q3Jx9V0wY7dNfUe2kLr8sTz4bHc6mPa1oGi5nDvXyQw",
}

TRACKING: dict[str, Any] = {
    "awaiting_information": False,
    "awaiting_survey": False,
    "closed_at": None,
    "files": [],
    "information_requested": None,
    "language": "en",
    "messages": [],
    "received_at": "2026-11-29T00:43:56.049953+00:00",
    "reference": "C-2026-000001",
    "status": "registration",
    "status_label": "Being registered",
    "timeline": [{"at": "2026-11-29T00:43:56.086466+00:00", "detail": "", "step": "received"}],
}

TASK_PAGE: dict[str, Any] = {
    "links": {"next": None, "prev": None, "self": "/api/v1/tasks?per_page=1&page=1"},
    "page": 1,
    "pages": 1,
    "per_page": 1,
    "tasks": [
        {
            "assignee": None,
            "at_risk_at": "2026-12-01T12:15:00+00:00",
            "badge": None,
            "clock": "acknowledge",
            "complaint": {
                "category": None,
                "id": 1,
                "links": {"self": "/api/v1/complaints/1"},
                "reference": "C-2026-000001",
                "severity": None,
                "status": "registration",
                "status_label": "Being registered",
            },
            "completed_at": None,
            "completed_by": None,
            "created_at": "2026-11-29T00:43:56.495768+00:00",
            "due_at": "2026-12-01T16:30:00+00:00",
            "form_key": "register_complaint",
            "id": "e8c3e859-8bc8-4c2a-879b-f279f3572501",
            "links": {
                "claim": "/api/v1/tasks/e8c3e859-8bc8-4c2a-879b-f279f3572501/claim",
                "complaint": "/api/v1/complaints/1",
                "complete": "/api/v1/tasks/e8c3e859-8bc8-4c2a-879b-f279f3572501/complete",
                "self": "/api/v1/tasks/e8c3e859-8bc8-4c2a-879b-f279f3572501",
                "unclaim": "/api/v1/tasks/e8c3e859-8bc8-4c2a-879b-f279f3572501/unclaim",
            },
            "name": "register_complaint",
            "role": "intake_agent",
            "status": "open",
            "title": "Register complaint",
        }
    ],
    "total": 1,
}

TASK_DETAIL: dict[str, Any] = {
    "assignee": None,
    "at_risk_at": "2026-12-01T12:15:00+00:00",
    "badge": None,
    "clock": "acknowledge",
    "complaint": {
        "category": None,
        "id": 1,
        "links": {"self": "/api/v1/complaints/1"},
        "reference": "C-2026-000001",
        "severity": None,
        "status": "registration",
        "status_label": "Being registered",
    },
    "completed_at": None,
    "completed_by": None,
    "created_at": "2026-11-29T00:43:56.495768+00:00",
    "data": None,
    "due_at": "2026-12-01T16:30:00+00:00",
    "form_key": "register_complaint",
    "id": "e8c3e859-8bc8-4c2a-879b-f279f3572501",
    "links": {
        "claim": "/api/v1/tasks/e8c3e859-8bc8-4c2a-879b-f279f3572501/claim",
        "complaint": "/api/v1/complaints/1",
        "complete": "/api/v1/tasks/e8c3e859-8bc8-4c2a-879b-f279f3572501/complete",
        "self": "/api/v1/tasks/e8c3e859-8bc8-4c2a-879b-f279f3572501",
        "unclaim": "/api/v1/tasks/e8c3e859-8bc8-4c2a-879b-f279f3572501/unclaim",
    },
    "name": "register_complaint",
    "payload_schema": {
        "description": "Shortened here: the task form's whole JSON Schema.",
        "type": "object",
        "required": ["registration_outcome"],
        "properties": {
            "registration_outcome": {
                "type": "string",
                "enum": ["complete", "incomplete", "not_a_complaint", "duplicate"],
            }
        },
    },
    "draft_schema": {
        "description": "Shortened here: the schema of a draft of the task's form.",
        "type": "object",
        "properties": {
            "registration_outcome": {
                "type": ["string", "null"],
                "enum": ["complete", "incomplete", "not_a_complaint", "duplicate", "", None],
            }
        },
        "additionalProperties": False,
    },
    "role": "intake_agent",
    "status": "open",
    "title": "Register complaint",
}

CLAIMED: dict[str, Any] = {
    "assignee": {"id": 1, "name": "Awa Intake", "username": "agent"},
    "at_risk_at": "2026-12-01T12:15:00+00:00",
    "badge": None,
    "clock": "acknowledge",
    "complaint": {
        "category": None,
        "id": 1,
        "links": {"self": "/api/v1/complaints/1"},
        "reference": "C-2026-000001",
        "severity": None,
        "status": "registration",
        "status_label": "Being registered",
    },
    "completed_at": None,
    "completed_by": None,
    "created_at": "2026-11-29T00:43:56.495768+00:00",
    "due_at": "2026-12-01T16:30:00+00:00",
    "form_key": "register_complaint",
    "id": "e8c3e859-8bc8-4c2a-879b-f279f3572501",
    "links": {
        "claim": "/api/v1/tasks/e8c3e859-8bc8-4c2a-879b-f279f3572501/claim",
        "complaint": "/api/v1/complaints/1",
        "complete": "/api/v1/tasks/e8c3e859-8bc8-4c2a-879b-f279f3572501/complete",
        "self": "/api/v1/tasks/e8c3e859-8bc8-4c2a-879b-f279f3572501",
        "unclaim": "/api/v1/tasks/e8c3e859-8bc8-4c2a-879b-f279f3572501/unclaim",
    },
    "name": "register_complaint",
    "role": "intake_agent",
    "status": "open",
    "title": "Register complaint",
}

DRAFT: dict[str, Any] = {
    "links": {"task": "/api/v1/tasks/e8c3e859-8bc8-4c2a-879b-f279f3572501"},
    "task_id": "e8c3e859-8bc8-4c2a-879b-f279f3572501",
    "updated_at": "2026-11-29T00:43:56.900431+00:00",
    "values": {"registration_notes": ["Called back"]},
}

COMPLETED: dict[str, Any] = {
    "assignee": {"id": 1, "name": "Awa Intake", "username": "agent"},
    "at_risk_at": "2026-12-01T12:15:00+00:00",
    "badge": None,
    "clock": "acknowledge",
    "complaint": {
        "category": None,
        "id": 1,
        "links": {"self": "/api/v1/complaints/1"},
        "reference": "C-2026-000001",
        "severity": None,
        "status": "classification",
        "status_label": "Being analysed",
    },
    "completed_at": "2026-11-29T00:43:56.968562+00:00",
    "completed_by": {"id": 1, "name": "Awa Intake", "username": "agent"},
    "created_at": "2026-11-29T00:43:56.495768+00:00",
    "due_at": "2026-12-01T16:30:00+00:00",
    "form_key": "register_complaint",
    "id": "e8c3e859-8bc8-4c2a-879b-f279f3572501",
    "links": {
        "claim": "/api/v1/tasks/e8c3e859-8bc8-4c2a-879b-f279f3572501/claim",
        "complaint": "/api/v1/complaints/1",
        "complete": "/api/v1/tasks/e8c3e859-8bc8-4c2a-879b-f279f3572501/complete",
        "self": "/api/v1/tasks/e8c3e859-8bc8-4c2a-879b-f279f3572501",
        "unclaim": "/api/v1/tasks/e8c3e859-8bc8-4c2a-879b-f279f3572501/unclaim",
    },
    "name": "register_complaint",
    "role": "intake_agent",
    "status": "completed",
    "title": "Register complaint",
}

COMPLETION: dict[str, Any] = {
    "form_complete": True,
    "consent_confirmed": True,
    "registration_outcome": "complete",
    "registration_notes": "Complete and signed.",
}

COMPLAINT: dict[str, Any] = {
    "attachments": [],
    "category": None,
    "category_label": "",
    "channel": "web",
    "closed_at": None,
    "confidential": False,
    "consent": True,
    "duplicate_of": None,
    "duplicates": [],
    "financial_impact": None,
    "form_date": "2026-11-29",
    "id": 1,
    "intake": {
        "anonymous": False,
        "complainant_name": "Aminata Diallo",
        "delivery_date": None,
        "delivery_mode": "",
        "department": "",
        "description": "The machine leaks water from the first wash and nobody answers.",
        "desired_remedy": "",
        "email": "aminata@example.org",
        "event_date": None,
        "payment_mode": "",
        "phone": "",
        "postal_address": "",
        "preferred_contact": "email",
        "product_service": "Washing machine WM-300",
        "purchase_date": "2026-01-10",
        "purchase_mode": "",
    },
    "links": {"self": "/api/v1/complaints/1"},
    "notifications": [
        {
            "body": "",
            "channel": "email",
            "created_at": "2026-11-29T00:43:56.995979+00:00",
            "kind": "acknowledgement",
            "recipient": "aminata@example.org",
            "sent_at": None,
            "status": "queued",
            "subject": "",
        }
    ],
    "outcome": None,
    "received_at": "2026-11-29T00:43:56.049953+00:00",
    "received_by": None,
    "reference": "C-2026-000001",
    "route": None,
    "satisfaction": {"comment": "", "score": None},
    "severity": None,
    "severity_label": "",
    "status": "classification",
    "status_label": "Being analysed",
    "tasks": [
        {
            "assignee": None,
            "at_risk_at": "2026-12-01T12:15:00+00:00",
            "badge": None,
            "clock": "classify",
            "completed_at": None,
            "completed_by": None,
            "created_at": "2026-11-29T00:43:56.968808+00:00",
            "data": None,
            "due_at": "2026-12-01T16:30:00+00:00",
            "form_key": "classify_complaint",
            "id": "61bb7883-ace1-407c-9556-21abe045e5e8",
            "links": {
                "claim": "/api/v1/tasks/61bb7883-ace1-407c-9556-21abe045e5e8/claim",
                "complaint": "/api/v1/complaints/1",
                "complete": "/api/v1/tasks/61bb7883-ace1-407c-9556-21abe045e5e8/complete",
                "self": "/api/v1/tasks/61bb7883-ace1-407c-9556-21abe045e5e8",
                "unclaim": "/api/v1/tasks/61bb7883-ace1-407c-9556-21abe045e5e8/unclaim",
            },
            "name": "classify_complaint",
            "role": "supervisor",
            "status": "open",
            "title": "Classify complaint",
        }
    ],
    "timeline": {
        "public": [
            {
                "at": "2026-11-29T00:43:56.086466+00:00",
                "kind": "received",
                "summary": "Complaint received (web)",
            }
        ],
        "staff": [
            {
                "actor": "complainant",
                "at": "2026-11-29T00:43:56.086466+00:00",
                "data": {"channel": "web", "consent": True},
                "kind": "received",
                "public": True,
                "summary": "Complaint received (web)",
                "task_name": None,
            }
        ],
    },
}

BREACH_PAGE: dict[str, Any] = {
    "counts": {
        "at_risk": 1,
        "breached": 0,
        "by_step": [{"key": "acknowledge", "at_risk": 1, "breached": 0}],
        "by_task": [{"key": "register_complaint", "at_risk": 1, "breached": 0}],
        "by_role": [{"key": "intake_agent", "at_risk": 1, "breached": 0}],
        "by_department": [],
    },
    "links": {"next": None, "prev": None, "self": "/api/v1/service-levels?per_page=1&page=1"},
    "now": "2026-11-29T00:43:57.127467+00:00",
    "page": 1,
    "pages": 1,
    "per_page": 1,
    "tasks": [
        {
            "assignee": None,
            "at_risk_at": "2026-12-01T12:15:00+00:00",
            "badge": "at_risk",
            "clock": "acknowledge",
            "complaint": {
                "category": None,
                "id": 1,
                "links": {"self": "/api/v1/complaints/1"},
                "reference": "C-2026-000001",
                "severity": None,
                "status": "registration",
                "status_label": "Being registered",
            },
            "completed_at": None,
            "completed_by": None,
            "created_at": "2026-11-29T00:43:56.495768+00:00",
            "due_at": "2026-12-01T16:30:00+00:00",
            "form_key": "register_complaint",
            "id": "e8c3e859-8bc8-4c2a-879b-f279f3572501",
            "links": {
                "claim": "/api/v1/tasks/e8c3e859-8bc8-4c2a-879b-f279f3572501/claim",
                "complaint": "/api/v1/complaints/1",
                "complete": "/api/v1/tasks/e8c3e859-8bc8-4c2a-879b-f279f3572501/complete",
                "self": "/api/v1/tasks/e8c3e859-8bc8-4c2a-879b-f279f3572501",
                "unclaim": "/api/v1/tasks/e8c3e859-8bc8-4c2a-879b-f279f3572501/unclaim",
            },
            "name": "register_complaint",
            "role": "intake_agent",
            "status": "open",
            "title": "Register complaint",
            "service_level": {
                "state": "at_risk",
                "seconds_left": 5400,
                "unit": "working_days",
                "due_at": "2026-12-01T16:30:00+00:00",
            },
        }
    ],
    "total": 1,
}
