"""How the API shows complaints, tasks, timelines and notifications: JSON-ready dicts."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from flask import current_app, url_for
from flask_babel import get_locale

from app import department_text
from forms.base import draft_schema
from forms.choices import STATUSES, label
from forms.lists import ChoiceLists
from services import breach_view, complaints, form_definitions, tasks, tracking_links
from services.clock import as_utc
from services.complaints import CaseFile, Filed
from services.models import (
    Attachment,
    AuditEvent,
    Complaint,
    Notification,
    Task,
    TaskDraft,
    User,
)
from services.tasks import InboxPage
from services.tracking import Tracking

# The public tracking page, when the public blueprint provides it; else the API's own answer.
TRACKING_PAGE = "public.track"


def iso(value: date | datetime | None) -> str | None:
    """A date or time as ISO 8601 text (times in UTC), or None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return (as_utc(value) or value).isoformat()
    return value.isoformat()


def status_label(status: str) -> str:
    """A complaint status in plain words, in the request's language."""
    return str(label(STATUSES, status))


def user_ref(user: User | None) -> dict[str, Any] | None:
    """Who a staff member is, without anything private."""
    if user is None:
        return None
    return {"id": user.id, "username": user.username, "name": user.name}


def tracking_url(token: str) -> str:
    """The absolute address the complainant follows their complaint at."""
    if TRACKING_PAGE in current_app.view_functions:
        return url_for(TRACKING_PAGE, token=token, _external=True)
    return url_for("api.tracking", token=token, _external=True)


def complaint_summary(complaint: Complaint) -> dict[str, Any]:
    """The few fields that identify a complaint in a list."""
    return {
        "id": complaint.id,
        "reference": complaint.reference,
        "status": complaint.status,
        "status_label": status_label(complaint.status),
        "category": complaint.category,
        "severity": complaint.severity,
        "links": {"self": url_for("api.show_complaint", complaint_id=complaint.id)},
    }


def task_links(task: Task) -> dict[str, str]:
    """Where to read and act on a task."""
    return {
        "self": url_for("api.show_task", task_id=task.id),
        "complaint": url_for("api.show_complaint", complaint_id=task.complaint_id),
        "claim": url_for("api.claim_task", task_id=task.id),
        "unclaim": url_for("api.unclaim_task", task_id=task.id),
        "complete": url_for("api.complete_task", task_id=task.id),
    }


def task_dict(task: Task, *, with_complaint: bool = True) -> dict[str, Any]:
    """A task as the inbox lists it."""
    body: dict[str, Any] = {
        "id": task.id,
        "name": task.name,
        "title": task.title,
        "form_key": task.form_key,
        "role": task.role,
        "status": task.status,
        "created_at": iso(task.created_at),
        "due_at": iso(task.due_at),
        "clock": task.clock,
        "at_risk_at": iso(task.at_risk_at),
        "badge": tasks.due_badge(task) if task.status == "open" else None,
        "assignee": user_ref(task.assignee),
        "completed_at": iso(task.completed_at),
        "completed_by": user_ref(task.completed_by),
        "links": task_links(task),
    }
    if with_complaint:
        body["complaint"] = (
            _open_task_complaint(task)
            if task.status == "open"
            else complaint_summary(task.complaint)
        )
    return body


def _open_task_complaint(task: Task) -> dict[str, Any]:
    """complaint_summary from the columns an open task's row carries (kept current by every
    save), so that listing the inbox loads no complaint."""
    return {
        "id": task.complaint_id,
        "reference": task.reference,
        "status": task.case_status,
        "status_label": status_label(task.case_status),
        "category": task.category,
        "severity": task.severity,
        "links": {"self": url_for("api.show_complaint", complaint_id=task.complaint_id)},
    }


def draft_dict(draft: TaskDraft) -> dict[str, Any]:
    """A user's draft of a task: each field's values as text, as a browser would post them."""
    return {
        "task_id": draft.task_id,
        "values": draft.values,
        "updated_at": iso(draft.updated_at),
        "links": {"task": url_for("api.show_task", task_id=draft.task_id)},
    }


def task_detail(task: Task, payload_schema: dict[str, Any]) -> dict[str, Any]:
    """A task with the JSON Schemas of the data that completes it and of a draft of it (and
    that data, once done)."""
    return {
        **task_dict(task),
        "payload_schema": payload_schema,
        "draft_schema": draft_schema(payload_schema),
        "data": task.data,
    }


def inbox_page(page: InboxPage, links: dict[str, str | None]) -> dict[str, Any]:
    """One page of the inbox."""
    return {
        "tasks": [task_dict(task) for task in page.tasks],
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "pages": page.pages,
        "links": links,
    }


def clock_status(status: breach_view.ClockStatus | None) -> dict[str, Any] | None:
    """Where a task's service level stands: state, seconds left (negative: late) and the
    unit its target counts in (what the pages say the time left in)."""
    if status is None:
        return None
    seconds = None if status.seconds is None else round(status.seconds)
    return {
        "state": status.state,
        "seconds_left": seconds,
        "unit": status.unit,
        "due_at": iso(status.due_at),
    }


def _count(count: breach_view.Count) -> dict[str, Any]:
    return {"key": count.key, "at_risk": count.at_risk, "breached": count.breached}


def breach_page(
    page: breach_view.BreachPage,
    figures: breach_view.Counts,
    states: dict[str, breach_view.ClockStatus | None],
    links: dict[str, str | None],
) -> dict[str, Any]:
    """One page of the service-level view, with the counts by step, task, team and department."""
    return {
        "tasks": [
            {**task_dict(task), "service_level": clock_status(states.get(task.id))}
            for task in page.tasks
        ],
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "pages": page.pages,
        "now": iso(page.now),
        "counts": {
            "at_risk": figures.at_risk,
            "breached": figures.breached,
            "by_step": [_count(c) for c in figures.by_step],
            "by_task": [_count(c) for c in figures.by_task],
            "by_role": [_count(c) for c in figures.by_role],
            "by_department": [
                {**_count(c), "name": department_text.name_of(c.key)} for c in figures.by_department
            ],
        },
        "links": links,
    }


def public_event(event: AuditEvent) -> dict[str, Any]:
    """A step of the public timeline: what the complainant may know."""
    return {"at": iso(event.at), "kind": event.kind, "summary": event.summary}


def staff_event(event: AuditEvent) -> dict[str, Any]:
    """A step of the audit trail, with who did it and the data recorded."""
    return {
        "at": iso(event.at),
        "kind": event.kind,
        "actor": event.actor_label,
        "task_name": event.task_name,
        "summary": event.summary,
        "public": event.public,
        "data": event.data,
    }


def notification_dict(notification: Notification) -> dict[str, Any]:
    """A message to the complainant."""
    return {
        "kind": notification.kind,
        "channel": notification.channel,
        "recipient": notification.recipient,
        # Both empty while queued: the worker writes the message as it sends it.
        "subject": notification.subject,
        # Its tracking link without the token: that is the complainant's alone.
        "body": tracking_links.redact(notification.body),
        "status": notification.status,
        "created_at": iso(notification.created_at),
        "sent_at": iso(notification.sent_at),
    }


def complaint_detail(case: CaseFile) -> dict[str, Any]:
    """Everything staff see about a complaint."""
    complaint = case.complaint
    intake = {
        name: iso(value) if isinstance(value, date) else value
        for name in complaints.INTAKE_FIELDS
        for value in [getattr(complaint, name)]
    }
    lists = form_definitions.lists_for_complaint(complaint)  # its version's words
    return {
        **complaint_summary(complaint),
        "category_label": str(lists.label("categories", complaint.category)),
        "severity_label": str(lists.label("severities", complaint.severity)),
        "route": complaint.route,
        "confidential": complaint.confidential,
        "financial_impact": _text(complaint.financial_impact),
        "outcome": complaint.outcome,
        "channel": complaint.channel,
        "received_at": iso(complaint.received_at),
        "received_by": user_ref(complaint.received_by),
        "consent": complaint.consent,
        "form_date": iso(complaint.form_date),
        "closed_at": iso(complaint.closed_at),
        "satisfaction": {
            "score": complaint.satisfaction_score,
            "comment": complaint.satisfaction_comment,
        },
        "intake": intake,
        "tasks": [{**task_dict(t, with_complaint=False), "data": t.data} for t in case.tasks],
        "timeline": {
            "public": [public_event(e) for e in case.events if e.public],
            "staff": [staff_event(e) for e in case.events],
        },
        "notifications": [notification_dict(n) for n in case.notifications],
        "attachments": [attachment_dict(a) for a in case.attachments],
        "duplicate_of": complaint_summary(case.duplicate_of) if case.duplicate_of else None,
        "duplicates": [complaint_summary(c) for c in case.duplicates],
    }


def attachment_dict(attachment: Attachment) -> dict[str, Any]:
    """A file of a complaint: the complainant's, or one staff added on a task (task_id)."""
    return {
        "id": attachment.id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "uploaded_at": iso(attachment.uploaded_at),
        "uploaded_by": user_ref(attachment.uploaded_by),
        "task_id": attachment.task_id,
        "links": {
            "content": url_for(
                "api.attachment_content",
                complaint_id=attachment.complaint_id,
                attachment_id=attachment.id,
            )
        },
    }


def tracking(overview: Tracking) -> dict[str, Any]:
    """What the complainant sees on their tracking link."""
    complaint = overview.complaint
    return {
        "reference": complaint.reference,
        "status": overview.status,
        "status_label": status_label(overview.status),
        "language": str(get_locale() or "en"),
        "received_at": iso(complaint.received_at),
        "closed_at": iso(complaint.closed_at),
        "timeline": [
            {"at": iso(step.at), "step": step.key, "detail": step.detail} for step in overview.steps
        ],
        "messages": [
            {"at": iso(n.created_at), "kind": n.kind, "subject": n.subject, "body": n.body}
            for n in overview.messages
        ],
        "files": [
            {"filename": a.filename, "size": a.size, "uploaded_at": iso(a.uploaded_at)}
            for a in overview.files
        ],
        "awaiting_information": overview.awaiting_information,
        "information_requested": overview.information_request or None,
        "awaiting_survey": overview.awaiting_survey,
    }


def filed(result: Filed) -> dict[str, Any]:
    """The answer to a newly filed complaint: its reference and the private tracking link."""
    complaint = result.complaint
    return {
        "id": complaint.id,
        "reference": complaint.reference,
        "status": complaint.status,
        "status_label": status_label(complaint.status),
        "tracking_token": result.tracking_token,
        "tracking_url": tracking_url(result.tracking_token),
        # GET /tracking with the token in X-Tracking-Token: never the token in a URL, where
        # access logs keep it (GET /tracking/{token} is deprecated).
        "links": {"tracking": url_for("api.tracking_status", _external=True)},
    }


def _text(value: Any) -> str | None:
    # Amounts as text, so no client rounds them through a float.
    return None if value is None else str(value)


def task_etag(task: Task) -> str:
    """A strong ETag of the task's state: it changes when the task is
    claimed, given back, completed or cancelled, or its complaint's procedure moves on; the
    same in every language, so that If-Match works whatever the client reads in."""
    instance = task.complaint.instance if task.complaint is not None else None
    state = [
        task.id,
        task.status,
        task.assignee_id,
        task.completed_by_id,
        iso(task.completed_at),
        iso(task.due_at),
        instance.version_token if instance is not None else None,
    ]
    return _etag(state)


def digest_etag(body: Any) -> str:
    """A strong ETag of a JSON representation: the digest of its content."""
    return _etag(body)


def _etag(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def complaint_list_item(complaint: Complaint, lists: ChoiceLists) -> dict[str, Any]:
    """A complaint as the staff list shows it (the anonymous have no name); `lists` are its
    version's choice lists (form_definitions.lists_for_complaints, asked for the whole page)."""
    return {
        **complaint_summary(complaint),
        "category_label": str(lists.label("categories", complaint.category)),
        "received_at": iso(complaint.received_at),
        "channel": complaint.channel,
        "department": complaint.department,
        "department_name": department_text.name_of(complaint.department),
        "complainant_name": None if complaint.anonymous else complaint.complainant_name,
        "confidential": complaint.confidential,
        "closed_at": iso(complaint.closed_at),
    }


def recorded(result: Filed, visible: bool) -> dict[str, Any]:
    """The answer to a complaint staff recorded: as filed, plus where staff read it (if they
    still may: one flagged as violence, abuse or harassment is the focal point's alone)."""
    body = filed(result)
    complaint_link = url_for("api.show_complaint", complaint_id=result.complaint.id)
    body["links"] = {**body["links"], "complaint": complaint_link if visible else None}
    return body
