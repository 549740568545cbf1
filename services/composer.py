"""Writing an outbox row's message from its template: at send time, or at once.

The request (or timer) that throws a message only writes what the transactional outbox
needs: the row with its kind, channel, recipient, language and a JSON snapshot of the
template's variables. The delivery worker writes the message when it claims the row
(services/delivery.claim, in the claim's transaction, committed before anything is sent):
it mints the fresh tracking link, renders the template in use, stores subject, text and HTML
on the row (so staff read exactly what was sent) and records the audit event. This keeps
template lookups, rendering and two INSERTs off the request path.

Until then the row is *pending*: its subject and body are empty and the snapshot waits in
`pending_values`. Staff pages show it as queued, with its kind.

Written at once, in the request: letters (the response and the review decision), which are
signed off and printed to PDF there, and messages no worker sends (the post queue, the
tracking page only, in person), which people read straight away.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import make_transient_to_detached

from services import audit, message_templates, tracking_links
from services.clock import as_utc, utcnow
from services.db import db
from services.errors import NotFound
from services.models import Complaint, Notification

# Channels the delivery worker sends (services/delivery.SENT_BY_WORKER).
WORKER_CHANNELS = frozenset({"email", "phone"})
# Messages whose text is a letter: signed off, then printed to PDF in the same request.
LETTER_KINDS = frozenset(
    {"response_letter", "review_outcome_letter", "summary_resolution", "delay_letter"}
)

# Steps the complainant sees on the tracking page, by message name (the audit summary).
PUBLIC_SUMMARY = {
    "acknowledgement": "Complaint acknowledged",
    "information_request": "More information requested",
    "closure_letter": "Closed without investigation",
    "response_letter": "Response sent",
    "survey_invitation": "Satisfaction survey sent",
    "survey_reminder": "Survey reminder sent",
    "review_outcome_letter": "Review decision sent",
    "withdrawal_confirmation": "Withdrawal confirmed",
    "tracking_link": "Tracking link sent again",
    "summary_resolution": "Response sent",
    "resolution_notice": "Response sent",
    "delay_letter": "Delay explained",
}


def written_at_send(kind: str, channel: str) -> bool:
    """True when the worker writes the message as it sends it, False to write it now."""
    return channel in WORKER_CHANNELS and kind not in LETTER_KINDS


def is_pending(row: Notification) -> bool:
    """True while the message waits to be written from its template (nothing to show yet)."""
    return not row.subject


def defer(row: Notification, values: Mapping[str, Any], link_until: datetime | None) -> None:
    """Leave the row pending: the snapshot of its variables, written later by the worker."""
    row.subject = ""
    row.body = ""
    row.html_body = ""
    row.pending_values = _pending(values, link_until)


def _pending(values: Mapping[str, Any], link_until: datetime | None) -> dict[str, Any]:
    return {
        "values": audit.jsonable(dict(values)),
        "link_until": link_until.isoformat() if link_until else None,
    }


# Compiled once: the values go as parameters.
_INSERT = Notification.__table__.insert()
# The other columns of a new outbox row, all given so that every attribute of the row
# returned by queue() is loaded.
_NO_DELIVERY_YET: dict[str, Any] = {
    "user_id": None,
    "subject": "",
    "body": "",
    "html_body": "",
    "document_id": None,
    "attempts": 0,
    "next_attempt_at": None,
    "claimed_at": None,
    "claimed_by": "",
    "last_error": "",
    "provider_message_id": None,
    "sent_at": None,
    "posted_at": None,
    "posted_by_id": None,
    "replaces_id": None,
}


def queue(
    complaint: Complaint,
    kind: str,
    channel: str,
    recipient: str,
    language: str,
    status: str,
    values: Mapping[str, Any],
    link_until: datetime | None,
) -> Notification:
    """Write the pending outbox row of a message to the complainant now: one Core INSERT.

    On the session's connection, so in the request's transaction: it commits or rolls back
    with the step, and no worker can claim it before. The ORM's unit of work would build,
    sort and flush an object for it, which cost a task completion more than the INSERT.
    Returns the row as written, detached: the session holds no object for it (nothing to
    flush again, nothing left behind by a rollback).
    """
    row = {
        **_NO_DELIVERY_YET,
        "complaint_id": complaint.id,
        "kind": kind,
        "channel": channel,
        "recipient": recipient,
        "language": language,
        "status": status,
        "pending_values": _pending(values, link_until),
        "created_at": utcnow(),
    }
    # Not Session.execute: that would autoflush what the step still has pending, which
    # is flushed once, at the end of the step.
    result = db.session.connection().execute(_INSERT, row)
    notification = Notification(id=result.inserted_primary_key[0], **row)
    make_transient_to_detached(notification)  # a stored row: never INSERTed again
    return notification


def snapshot(row: Notification) -> tuple[dict[str, Any], datetime | None]:
    """A pending row's variables and the date its tracking link must last until."""
    data = row.pending_values or {}
    until = data.get("link_until")
    return dict(data.get("values") or {}), datetime.fromisoformat(until) if until else None


# The templates in use, by (kind, language), looked up once per claim of the worker.
Sources = dict[tuple[str, str], message_templates.Source]


def render(
    kind: str, language: str, values: Mapping[str, Any], sources: Sources | None = None
) -> message_templates.Rendered:
    """The message from the template in use: what is sent, previewed, and printed."""
    key = (kind, message_templates.language_of(language))
    if sources is None:
        src = message_templates.source(*key)
    else:
        if key not in sources:
            sources[key] = message_templates.source(*key)
        src = sources[key]
    rendered = message_templates.render_source(src, kind, values)
    # An empty subject would read as "not written yet": the kind's description instead.
    return message_templates.Rendered(
        rendered.subject or message_templates.kind(kind).description,
        rendered.text,
        rendered.html,
    )


def write(
    row: Notification,
    complaint: Complaint | None,
    values: Mapping[str, Any],
    link_until: datetime | None = None,
    *,
    now: datetime | None = None,
    sources: Sources | None = None,
) -> None:
    """Write the message on the row: a fresh tracking link for a complainant, the template.

    Raises InvalidInput (the template cannot be rendered) or NotFound (no template).
    """
    now = as_utc(now) or utcnow()
    context = dict(values)
    to_complainant = row.user_id is None and complaint is not None
    if to_complainant:
        purpose = "resend" if row.kind == "tracking_link" else "message"
        token = tracking_links.issue(complaint, purpose, now=now, until=link_until)
        context["tracking_url"] = tracking_links.url(token)
    rendered = render(row.kind, row.language, context, sources)
    row.subject = rendered.subject[:300]
    row.body = rendered.text
    row.html_body = rendered.html
    row.pending_values = None
    if to_complainant:
        audit.record(
            row.complaint_id,
            "notification",
            task_name=row.kind,
            summary=PUBLIC_SUMMARY.get(row.kind, row.kind),
            data={"channel": row.channel, "subject": row.subject},
            public=True,
        )


def write_pending(
    row: Notification, *, now: datetime | None = None, sources: Sources | None = None
) -> None:
    """Write a pending row from its snapshot (what the worker does before sending it)."""
    values, link_until = snapshot(row)
    complaint = None
    if row.complaint_id is not None:
        complaint = db.session.get(Complaint, row.complaint_id)
        if complaint is None:
            raise NotFound("The complaint of this message no longer exists.")
    write(row, complaint, values, link_until, now=now, sources=sources)


def pending_rows() -> list[Notification]:
    """Rows still to be written, oldest first."""
    return list(
        db.session.scalars(
            db.select(Notification).where(Notification.subject == "").order_by(Notification.id)
        )
    )
