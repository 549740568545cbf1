"""Letters to the complainant: the response letter drafted from its template."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from services import business_calendar, dates, message_templates
from services.clock import step_time
from services.models import Complaint, User

# The draft's text is data: processes/messages/response_draft.<language>.txt, edited by
# administrators at /admin/templates like the messages. The parts in [square brackets] are
# left for the handler to write before sending.
DRAFT = "response_draft"


def letter_day() -> date:
    """The date a letter bears: the day, in the organisation's time zone, of the step that
    writes it (a replayed past step, the demo's, dates its letter then, not today)."""
    return business_calendar.local_today(step_time())


def long_date(value: date | datetime | None, language: str = "en") -> str:
    """A date as letters write it (services/dates.py): 2 November 2026, 1er novembre 2026."""
    return dates.long_date(value, language)


def language_of(complaint: Complaint) -> str:
    """The language letters to this complainant are written in."""
    return message_templates.language_of(getattr(complaint, "language", None))


def draft_response(
    complaint: Complaint,
    case_data: Mapping[str, Any],
    handler: User,
    *,
    today: date | None = None,
) -> str:
    """The response letter drafted in the complainant's language for `handler` to complete,
    from the draft template in use."""
    language = language_of(complaint)
    anonymous = bool(complaint.anonymous or not complaint.complainant_name)
    values = {
        "anonymous": anonymous,
        "name": "" if anonymous else complaint.complainant_name,  # never an anonymous one's
        "reference": complaint.reference or "",
        "received_date": long_date(complaint.received_at, language),
        "product": complaint.product_service.strip(),
        "event_date": long_date(complaint.event_date, language),
        "findings": str(case_data.get("findings") or "").strip(),
        "handler_name": handler.name,
        "handler_phone": handler.phone or "",
        "handler_email": handler.email or "",
        "today": long_date(today or letter_day(), language),
    }
    return message_templates.render(DRAFT, language, values).text
