"""Messages to the complainant, produced when the procedure throws a message event."""

from __future__ import annotations

from collections.abc import Mapping
from string import Template
from typing import Any

from services import audit
from services.db import db
from services.models import Complaint, Notification

# Subject and body per message name; $placeholders come from the complaint and case data.
TEMPLATES: dict[str, tuple[str, str]] = {
    "acknowledgement": (
        "Your complaint $reference has been received",
        "Dear $name,\n\nWe have registered your complaint under reference $reference on "
        "$received. We will keep you informed of its progress.\n",
    ),
    "information_request": (
        "We need more information about complaint $reference",
        "Dear $name,\n\nTo handle your complaint $reference we need the following:\n\n"
        "$missing_information\n\nPlease answer from your tracking page within 14 days.\n",
    ),
    "closure_letter": (
        "Your complaint $reference has been closed",
        "Dear $name,\n\nWe have closed your submission $reference ($reason). "
        "If you think this is a mistake, please contact us.\n",
    ),
    "response_letter": (
        "Our response to your complaint $reference",
        "$response_letter\n\nIf you are not satisfied with this response, you can ask us for a "
        "review from your tracking page until $appeal_until. $recourse\n",
    ),
    "review_outcome_letter": (
        "The review of your complaint $reference",
        "$review_letter\n\nThis review ends our procedure. $recourse\n",
    ),
    "withdrawal_confirmation": (
        "You have withdrawn complaint $reference",
        "Dear $name,\n\nAs you asked, we have stopped handling complaint $reference. "
        "You can contact us again at any time.\n",
    ),
    "survey_invitation": (
        "How did we handle complaint $reference?",
        "Dear $name,\n\nPlease tell us how satisfied you are with the handling of your "
        "complaint $reference from your tracking page.\n",
    ),
    "survey_reminder": (
        "Reminder: your opinion on complaint $reference",
        "Dear $name,\n\nYou can still tell us how satisfied you are with the handling of "
        "complaint $reference from your tracking page.\n",
    ),
}

# Steps the complainant sees on the tracking page, by message name.
PUBLIC_SUMMARY = {
    "acknowledgement": "Complaint acknowledged",
    "information_request": "More information requested",
    "closure_letter": "Closed without investigation",
    "response_letter": "Response sent",
    "survey_invitation": "Satisfaction survey sent",
    "survey_reminder": "Survey reminder sent",
    "review_outcome_letter": "Review decision sent",
    "withdrawal_confirmation": "Withdrawal confirmed",
}


# The notification channel of each safe contact method the complainant can choose.
SAFE_CHANNELS = {"email": "email", "phone": "phone", "post": "letter", "in_person": "in_person"}


def _recipient(complaint: Complaint) -> tuple[str, str]:
    """The channel and address of the next message: the safe contact first, if there is one.

    A sensitive or confidential case is never written to at an address the complainant did
    not say is safe (someone else may read it): without a safe contact, the tracking page.
    """
    if complaint.anonymous:
        return "tracking_page", ""
    method = complaint.safe_contact_method
    if method is not None:
        channel = SAFE_CHANNELS.get(method)
        if channel is None:
            return "tracking_page", ""
        address = complaint.safe_contact
        if not address and complaint.shared_contact_safe:
            address = _address(complaint, channel)
        return (channel, address) if address else ("tracking_page", "")
    if (complaint.confidential or complaint.sensitive_at_intake) and not (
        complaint.shared_contact_safe
    ):
        return "tracking_page", ""
    channel = complaint.preferred_contact
    if channel == "none":
        return "tracking_page", ""
    address = _address(complaint, channel)
    return (channel, address) if address else ("tracking_page", "")


def _address(complaint: Complaint, channel: str) -> str:
    return {
        "email": complaint.email,
        "phone": complaint.phone,
        "letter": complaint.postal_address,
    }.get(channel, "")


# Letters are written in English until message templates per language exist.
LETTER_LANGUAGE = "en"


def send(
    complaint: Complaint, name: str, data: Mapping[str, Any], payload: Any = None
) -> Notification:
    """Queue the notification for a thrown message and record it on the public timeline."""
    subject_tpl, body_tpl = TEMPLATES.get(name, ("Update on complaint $reference", "$reference"))
    values = {str(k): v for k, v in audit.jsonable(dict(data)).items() if v is not None}
    if isinstance(payload, Mapping):
        values.update({str(k): v for k, v in audit.jsonable(dict(payload)).items()})
    values.update(
        reference=complaint.reference or "",
        name=complaint.complainant_name or "Madam, Sir",
        received=complaint.received_at.strftime("%Y-%m-%d"),
    )
    values.setdefault("reason", values.get("registration_outcome", ""))
    # Texts the diagram gives in several languages ({"en": …, "fr": …}): the letter's.
    for key, value in list(values.items()):
        if isinstance(value, Mapping) and LETTER_LANGUAGE in value:
            values[key] = value[LETTER_LANGUAGE]
    channel, recipient = _recipient(complaint)
    notification = Notification(
        complaint_id=complaint.id,
        kind=name,
        channel=channel,
        recipient=recipient,
        subject=Template(subject_tpl).safe_substitute(values),
        body=Template(body_tpl).safe_substitute(values),
    )
    db.session.add(notification)
    audit.record(
        complaint.id,
        "notification",
        task_name=name,
        summary=PUBLIC_SUMMARY.get(name, name),
        data={"channel": channel, "subject": notification.subject},
        public=True,
    )
    return notification


def for_complaint(complaint_id: int) -> list[Notification]:
    """The complaint's notifications, oldest first."""
    return list(
        db.session.scalars(
            db.select(Notification)
            .where(Notification.complaint_id == complaint_id)
            .order_by(Notification.id)
        )
    )
