"""Messages to the complainant, produced when the procedure throws a message event.

Throwing a message writes its outbox row; services/composer.py says when its text is written
(by the delivery worker as it sends, or at once for letters and messages nobody sends).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services import (
    audit,
    business_calendar,
    composer,
    delivery,
    message_templates,
    preset_letters,
    tracking_links,
)
from services.db import db
from services.models import Complaint, Notification

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


# The deadlines a message may quote (ISO in the case data): written as dates in its language.
DEADLINES = ("appeal_until", "reply_until", "respond_by")

# How a letter greets a complainant whose name we do not have, by language.
NO_NAME = {"en": "Madam, Sir", "fr": "Madame, Monsieur"}


def message_values(
    complaint: Complaint, data: Mapping[str, Any], payload: Any, language: str, name: str
) -> dict[str, Any]:
    """What the template of message `name` may use: case data, the payload, the complaint.

    Only the kind's documented variables (a template may use no other): the outbox row keeps
    them as its snapshot, and the rest of the case data stays out of it.
    """
    allowed = message_templates.kind(name).samples
    values = {k: audit.jsonable(data[k]) for k in allowed if data.get(k) is not None}
    if isinstance(payload, Mapping):
        values.update({str(k): audit.jsonable(v) for k, v in payload.items() if k in allowed})
    values.update(
        reference=complaint.reference or "",
        name=complaint.complainant_name or NO_NAME[language],
        received=business_calendar.local_today(complaint.received_at).isoformat(),
        received_date=message_templates.long_date(complaint.received_at, language),
    )
    if "reason" in allowed:
        values.setdefault("reason", str(data.get("registration_outcome") or ""))
    for deadline in DEADLINES:
        if values.get(deadline):
            values[deadline] = message_templates.long_date(values[deadline], language)
    # Texts the diagram gives in several languages ({"en": …, "fr": …}): the complainant's.
    for key, value in list(values.items()):
        if isinstance(value, Mapping) and message_templates.DEFAULT_LANGUAGE in value:
            values[key] = value.get(language) or value[message_templates.DEFAULT_LANGUAGE]
    return values


def _link_until(data: Mapping[str, Any]) -> datetime | None:
    """The end of the appeal window a message quotes: its link must work until then."""
    value = data.get("appeal_until")
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def send(
    complaint: Complaint,
    name: str,
    data: Mapping[str, Any],
    payload: Any = None,
    *,
    to: tuple[str, str] | None = None,
) -> Notification:
    """Queue the message `name` in the complainant's language (with a fresh tracking link).

    `to` (channel, address) overrides the complainant's usual channel (a link asked for).
    Only the outbox row is written here when the worker sends the message: the worker
    writes its text, and mints its link, as it sends it (services/composer.py). That row is
    INSERTed at once and returned detached (composer.queue); a letter or a message nobody
    sends is written now and returned in the session, for its PDF (documents.attach_letter).
    The response and review letters follow the letter rules of the complaint's service-level
    preset (their short forms, the recourse they state): services.preset_letters.
    """
    name, payload = preset_letters.letter_for(complaint, name, data, payload)
    language = message_templates.language_of(complaint.language)
    values = message_values(complaint, data, payload, language, name)
    channel, recipient = to or _recipient(complaint)
    status = delivery.initial_status(channel)
    if composer.written_at_send(name, channel):
        return composer.queue(
            complaint, name, channel, recipient, language, status, values, _link_until(data)
        )
    notification = Notification(
        complaint_id=complaint.id,
        kind=name,
        channel=channel,
        recipient=recipient,
        language=language,
        status=status,
    )
    composer.write(notification, complaint, values, _link_until(data))
    db.session.add(notification)  # once written: rendering queries (and so autoflushes)
    return notification


@dataclass(frozen=True)
class Preview:
    """A message as it would be written now: its kind (the letter rules may change it), its
    subject and text, and whether it is a letter (printed to PDF, where its subject is the
    line the letter's text states, not the email's)."""

    kind: str
    subject: str
    text: str

    @property
    def is_letter(self) -> bool:
        """True for a letter printed to PDF, False for a message (a resolution notice)."""
        return self.kind in composer.LETTER_KINDS


def preview(
    complaint: Complaint, name: str, data: Mapping[str, Any], payload: Any = None
) -> Preview:
    """The message `name` as it would be written now, for staff to read before it goes.

    The same values and rendering as `send`; the private tracking link, minted only when
    the message is written, shows as a placeholder.
    """
    # The preset's letter rules apply as at the send (a summary resolution, the recourse).
    name, payload = preset_letters.letter_for(complaint, name, data, payload, record=False)
    language = message_templates.language_of(complaint.language)
    values = message_values(complaint, data, payload, language, name)
    values["tracking_url"] = tracking_links.url("…")
    rendered = composer.render(name, language, values)
    return Preview(name, rendered.subject, rendered.text)


def for_complaint(complaint_id: int) -> list[Notification]:
    """The messages to the complaint's complainant, oldest first.

    Not the emails to staff about it (a task assigned): they are no message to the
    complainant, and the tracking page must never show them.
    """
    return list(
        db.session.scalars(
            db.select(Notification)
            .where(Notification.complaint_id == complaint_id, Notification.user_id.is_(None))
            .order_by(Notification.id)
        )
    )
