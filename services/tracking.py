"""What a complainant sees and does on the tracking page: status, public steps, replies.

Statuses and steps come out as keys (`awaiting_information`, `acknowledgement`): the page puts
them in words in the reader's language.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services import attachments, audit, notifications, workflows
from services.clock import as_utc, utcnow
from services.db import db
from services.errors import Conflict
from services.models import Attachment, Complaint, Notification

STATUSES = frozenset(
    {
        "received",
        "registration",
        "classification",
        "investigation",
        "escalation",
        "legal_review",
        "resolution",
        "sign_off",
        "overdue_review",
        "awaiting_information",
        "awaiting_feedback",
        "review",
        "closed",
        "in_progress",
    }
)
INFORMATION = workflows.MESSAGE_INFORMATION
SURVEY = workflows.MESSAGE_SURVEY
APPEAL = workflows.MESSAGE_APPEAL
WITHDRAW = workflows.MESSAGE_WITHDRAW


def status_key(complaint: Complaint) -> str:
    """The complaint's status as a key the page words; unknown phases read as in progress."""
    return complaint.status if complaint.status in STATUSES else "in_progress"


@dataclass(frozen=True)
class Step:
    """One public step: when, what (a key such as `acknowledgement`), and a detail line."""

    at: datetime
    key: str
    detail: str = ""


def timeline(complaint: Complaint) -> list[Step]:
    """The public steps, oldest first; a message sent to the complainant shows its subject.

    Our messages come from the outbox rows, from the moment they are thrown: a message the
    worker has not written yet shows its step without a subject.
    """
    steps = []
    for event in audit.history(complaint.id, public_only=True):
        data: dict[str, Any] = event.data or {}
        at = as_utc(event.at) or event.at
        if event.kind == "received":
            steps.append(Step(at, "received"))
        elif event.kind == "notification":
            continue  # the message's own row, below
        elif event.kind == "message_received":
            steps.append(Step(at, event.task_name or "update"))
        elif event.kind == "attachment_added":
            steps.append(Step(at, "attachment_added", str(data.get("filename", ""))))
        else:
            steps.append(Step(at, "update"))
    for message in notifications.for_complaint(complaint.id):
        if message.replaces_id is None:  # not again for a copy sent another way
            at = as_utc(message.created_at) or message.created_at
            steps.append(Step(at, message.kind, message.subject))
    return sorted(steps, key=lambda step: step.at)


@dataclass(frozen=True)
class Tracking:
    """Everything the tracking page shows about one complaint."""

    complaint: Complaint
    status: str
    steps: list[Step]
    messages: list[Notification]
    files: list[Attachment]
    awaiting_information: bool
    awaiting_survey: bool
    information_request: str
    # The complainant may ask for a review until this time (the appeal window), or None.
    review_until: datetime | None = None
    may_withdraw: bool = False
    # The answer to an information request is due by then (the diagram's timer), or None.
    information_until: datetime | None = None


def overview(complaint: Complaint) -> Tracking:
    """What the complainant may see: status, steps, our messages, their files, what we wait for."""
    waiting = workflows.waiting_for(complaint)
    return Tracking(
        complaint=complaint,
        status=status_key(complaint),
        steps=timeline(complaint),
        # Written ones: a queued message has no text until the worker sends it.
        messages=[n for n in notifications.for_complaint(complaint.id) if n.subject],
        # Only what the complainant sent: documents staff attach stay internal.
        files=[a for a in attachments.for_complaint(complaint.id) if a.uploaded_by_id is None],
        awaiting_information=INFORMATION in waiting,
        awaiting_survey=SURVEY in waiting,
        information_request=information_request(complaint) if INFORMATION in waiting else "",
        review_until=workflows.appeal_deadline(complaint) if APPEAL in waiting else None,
        may_withdraw=WITHDRAW in waiting,
        information_until=workflows.message_deadline(complaint, INFORMATION)
        if INFORMATION in waiting
        else None,
    )


def information_request(complaint: Complaint) -> str:
    """What we asked the complainant for: the agent's words, else the last request's text."""
    asked = workflows.case_data(complaint).get("missing_information")
    if isinstance(asked, str) and asked.strip():
        return asked.strip()
    requests = [
        n
        for n in notifications.for_complaint(complaint.id)
        if n.kind == "information_request" and n.body
    ]
    return requests[-1].body if requests else ""


def _same_address(channel: str, on_file: str, given: str) -> bool:
    """An email compared without case, a telephone number by its digits only."""
    if channel == "email":
        return on_file.strip().casefold() == given.strip().casefold()
    digits = "".join(c for c in on_file if c.isdigit())
    return len(digits) >= 6 and digits == "".join(c for c in given if c.isdigit())


def resend_link(reference: str, contact: str) -> Notification | None:
    """Queue a fresh tracking link to `contact` if it is the complaint's address on file.

    Returns None when nothing was sent; the caller answers the same either way, so no one
    learns whether a reference exists or what address it has.
    """
    complaint = db.session.scalar(
        db.select(Complaint).where(Complaint.reference == reference.strip().upper())
    )
    if complaint is None or not contact.strip():
        return None
    for channel, address in notifications.addresses_on_file(complaint):
        if address and _same_address(channel, address, contact):
            return notifications.send(complaint, "tracking_link", {}, to=(channel, address))
    return None


def is_waiting(complaint: Complaint, message: str) -> bool:
    """True when the procedure waits for `message` (INFORMATION or SURVEY) from the complainant."""
    return message in workflows.waiting_for(complaint)


def _require_waiting(complaint: Complaint, message: str) -> None:
    if not is_waiting(complaint, message):
        raise Conflict("Your complaint is not waiting for this any more; nothing was saved.")


def reply_information(
    complaint: Complaint,
    text: str,
    files: Sequence[attachments.Upload] = (),
    *,
    upload_dir: str | os.PathLike[str],
) -> None:
    """Hand the complainant's missing information (and files) to the waiting procedure."""
    _require_waiting(complaint, INFORMATION)
    payload: dict[str, Any] = {"information": text}
    if files:
        payload["attachments"] = [attachments.clean_filename(f.filename) for f in files]
    workflows.deliver_message(complaint, INFORMATION, payload)
    attachments.add_all(complaint, files, upload_dir=upload_dir)


def answer_survey(complaint: Complaint, score: int, comment: str) -> None:
    """Hand the complainant's satisfaction score and comment to the waiting procedure."""
    _require_waiting(complaint, SURVEY)
    workflows.deliver_message(complaint, SURVEY, {"score": int(score), "comment": comment})


def request_review(complaint: Complaint, reason: str) -> None:
    """The complainant asks for a review of the closed case, within the appeal window."""
    _require_waiting(complaint, APPEAL)
    complaint.appeal_requested_at = utcnow()
    workflows.reopen(complaint, APPEAL, {"reason": reason}, None)


def withdraw(complaint: Complaint, reason: str = "") -> None:
    """The complainant withdraws the complaint (where the procedure allows it)."""
    _require_waiting(complaint, WITHDRAW)
    complaint.withdrawn_at = utcnow()
    audit.record(
        complaint.id,
        "withdrawn",
        actor_label=audit.COMPLAINANT,
        summary=reason,
        data={"reason": reason},
    )
    workflows.deliver_message(complaint, WITHDRAW, {"reason": reason})
