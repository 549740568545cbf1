"""Messages to the complainant, produced when the procedure throws a message event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services import (
    audit,
    business_calendar,
    delivery,
    message_templates,
    preset_letters,
    tracking_links,
)
from services.db import db
from services.models import Complaint, Notification

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
    "tracking_link": "Tracking link sent again",
    "summary_resolution": "Response sent",
    "resolution_notice": "Response sent",
    "delay_letter": "Delay explained",
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


def addresses_on_file(complaint: Complaint) -> list[tuple[str, str]]:
    """The (channel, address) pairs a tracking link may be sent to on request.

    A confidential or sensitive case only ever to the safe contact: another address on file
    may be read by the person the complainant fears.
    """
    if complaint.anonymous:
        return []
    if complaint.confidential or complaint.sensitive_at_intake or complaint.safe_contact_method:
        found = [_recipient(complaint)]
    else:
        found = [("email", complaint.email or ""), ("phone", complaint.phone or "")]
    return [(channel, address) for channel, address in found if channel in ("email", "phone")]


def _address(complaint: Complaint, channel: str) -> str:
    return {
        "email": complaint.email,
        "phone": complaint.phone,
        "letter": complaint.postal_address,
    }.get(channel, "")


# How a letter greets a complainant whose name we do not have, by language.
NO_NAME = {"en": "Madam, Sir", "fr": "Madame, Monsieur"}


def message_values(
    complaint: Complaint, data: Mapping[str, Any], payload: Any, language: str
) -> dict[str, Any]:
    """What a message template may use: case data, the thrown payload and the complaint."""
    values = {str(k): v for k, v in audit.jsonable(dict(data)).items() if v is not None}
    if isinstance(payload, Mapping):
        values.update({str(k): v for k, v in audit.jsonable(dict(payload)).items()})
    values.update(
        reference=complaint.reference or "",
        name=complaint.complainant_name or NO_NAME[language],
        received=business_calendar.local_today(complaint.received_at).isoformat(),
        received_date=message_templates.long_date(complaint.received_at, language),
    )
    values.setdefault("reason", values.get("registration_outcome", ""))
    if values.get("appeal_until"):
        values["appeal_until"] = message_templates.long_date(values["appeal_until"], language)
    # Texts the diagram gives in several languages ({"en": …, "fr": …}): the complainant's.
    for key, value in list(values.items()):
        if isinstance(value, Mapping) and message_templates.DEFAULT_LANGUAGE in value:
            values[key] = value.get(language) or value[message_templates.DEFAULT_LANGUAGE]
    return values


def send(
    complaint: Complaint,
    name: str,
    data: Mapping[str, Any],
    payload: Any = None,
    *,
    to: tuple[str, str] | None = None,
) -> Notification:
    """Queue the message `name` in the complainant's language, with a fresh tracking link.

    `to` (channel, address) overrides the complainant's usual channel (a link asked for).
    The response and review letters follow the letter rules of the complaint's service-level
    preset (their short forms, the recourse they state): services.preset_letters.
    """
    name, payload = preset_letters.letter_for(complaint, name, data, payload)
    language = message_templates.language_of(complaint.language)
    values = message_values(complaint, data, payload, language)
    purpose = "resend" if name == "tracking_link" else "message"
    values["tracking_url"] = tracking_links.url(tracking_links.issue(complaint, purpose))
    rendered = message_templates.render(name, language, values)
    channel, recipient = to or _recipient(complaint)
    notification = Notification(
        complaint_id=complaint.id,
        kind=name,
        channel=channel,
        recipient=recipient,
        subject=rendered.subject[:300],
        body=rendered.text,
        html_body=rendered.html,
        language=language,
        status=delivery.initial_status(channel),
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
