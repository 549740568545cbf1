"""Letters to the complainant: the response letter drafted from a template with placeholders."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from string import Template
from typing import Any

from services import business_calendar
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

RESPONSE_TEMPLATE_FR = """\
$name,

Objet : votre réclamation $reference du $received_date$about_product

Nous vous remercions de nous avoir signalé le problème rencontré$event_date_phrase. Nous \
regrettons les désagréments qu'il vous a causés.

$explanation

[Ce que nous allons faire pour y remédier, et quand.]

Pour toute question sur cette réponse, vous pouvez me contacter$handler_contact, en rappelant \
la référence $reference.

Veuillez agréer nos salutations distinguées.

$handler_name
$today
"""

NO_EXPLANATION = "[What we found, and why it happened.]"

# The draft's words in each language the complainant may have; English when unknown.
WORDING: dict[str, dict[str, str]] = {
    "en": {
        "template": RESPONSE_TEMPLATE,
        "anonymous": "Madam, Sir",
        "greeting": "{name}",
        "about": " about {product}",
        "on": " on {date}",
        "found": "We have looked into it. What we found: {findings}",
        "no_explanation": NO_EXPLANATION,
        "by_phone": " on {phone}",
        "by_email": " at {email}",
    },
    "fr": {
        "template": RESPONSE_TEMPLATE_FR,
        "anonymous": "Madame, Monsieur",
        "greeting": "Bonjour {name}",
        "about": " concernant {product}",
        "on": " le {date}",
        "found": "Nous avons examiné votre réclamation. Voici ce que nous avons constaté : "
        "{findings}",
        "no_explanation": "[Ce que nous avons constaté, et pourquoi c'est arrivé.]",
        "by_phone": " au {phone}",
        "by_email": " à l'adresse {email}",
    },
}
FRENCH_MONTHS = (
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
).split()


def long_date(value: date | datetime | None, language: str = "en") -> str:
    """A date as letters write it: 2 November 2026 (2 novembre, 1er novembre 2026 in French)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = business_calendar.to_local(value).date()
    if language == "fr":  # the first of the month is an ordinal: 1er décembre 2026
        day = "1er" if value.day == 1 else str(value.day)
        return f"{day} {FRENCH_MONTHS[value.month - 1]} {value.year}"
    return f"{value.day} {value:%B %Y}"


def language_of(complaint: Complaint) -> str:
    """The language letters to this complainant are written in."""
    language = getattr(complaint, "language", None) or "en"
    return language if language in WORDING else "en"


def _explanation(case_data: Mapping[str, Any], words: Mapping[str, str]) -> str:
    findings = str(case_data.get("findings") or "").strip()
    if findings:
        return words["found"].format(findings=findings)
    return words["no_explanation"]


def _contact(handler: User, words: Mapping[str, str]) -> str:
    if handler.phone:
        return words["by_phone"].format(phone=handler.phone)
    if handler.email:
        return words["by_email"].format(email=handler.email)
    return ""


def draft_response(
    complaint: Complaint,
    case_data: Mapping[str, Any],
    handler: User,
    *,
    today: date | None = None,
) -> str:
    """The response letter drafted in the complainant's language for `handler` to complete."""
    language = language_of(complaint)
    words = WORDING[language]
    anonymous = complaint.anonymous or not complaint.complainant_name
    product = complaint.product_service.strip()
    values = {
        "name": words["anonymous"]
        if anonymous
        else words["greeting"].format(name=complaint.complainant_name),
        "reference": complaint.reference or "",
        "received_date": long_date(complaint.received_at, language),
        "about_product": words["about"].format(product=product) if product else "",
        "event_date_phrase": words["on"].format(date=long_date(complaint.event_date, language))
        if complaint.event_date
        else "",
        "explanation": _explanation(case_data, words),
        "handler_name": handler.name,
        "handler_contact": _contact(handler, words),
        "today": long_date(today or business_calendar.local_today(), language),
    }
    return Template(words["template"]).safe_substitute(values)
