"""Letters to the complainant: the response letter drafted from a template with placeholders."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from string import Template
from typing import Any

from services.clock import as_utc, utcnow
from services.models import Complaint, User

# $placeholders are filled from the complaint, the case data and the handler; the parts in
# [square brackets] are left for the handler to write before sending.
RESPONSE_TEMPLATE = """\
Dear $name,

Re: your complaint $reference of $received_date$about_product

Thank you for telling us about the problem you met$event_date_phrase. We are sorry for the \
trouble it has caused you.

$explanation

[What we will do to put it right, and when.]

If you have any question about this response, please contact me$handler_contact, quoting \
the reference $reference.

Yours sincerely,

$handler_name
$today
"""

NO_EXPLANATION = "[What we found, and why it happened.]"


def long_date(value: date | datetime | None) -> str:
    """A date as letters write it: 2 November 2026."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = (as_utc(value) or value).date()
    return f"{value.day} {value:%B %Y}"


def _explanation(case_data: Mapping[str, Any]) -> str:
    findings = str(case_data.get("findings") or "").strip()
    if findings:
        return f"We have looked into it. What we found: {findings}"
    return NO_EXPLANATION


def _contact(handler: User) -> str:
    if handler.phone:
        return f" on {handler.phone}"
    if handler.email:
        return f" at {handler.email}"
    return ""


def draft_response(
    complaint: Complaint,
    case_data: Mapping[str, Any],
    handler: User,
    *,
    today: date | None = None,
) -> str:
    """The response letter drafted from RESPONSE_TEMPLATE for `handler` to complete."""
    anonymous = complaint.anonymous or not complaint.complainant_name
    product = complaint.product_service.strip()
    values = {
        "name": "Madam, Sir" if anonymous else complaint.complainant_name,
        "reference": complaint.reference or "",
        "received_date": long_date(complaint.received_at),
        "about_product": f" about {product}" if product else "",
        "event_date_phrase": f" on {long_date(complaint.event_date)}"
        if complaint.event_date
        else "",
        "explanation": _explanation(case_data),
        "handler_name": handler.name,
        "handler_contact": _contact(handler),
        "today": long_date(today or utcnow().date()),
    }
    return Template(RESPONSE_TEMPLATE).safe_substitute(values)
