"""A complaint's facts in words: its record and its task data as labelled values for pages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice
from wtforms.fields import BooleanField, Field, SelectFieldBase

from app import department_text
from app.local_time import DATE, local_time
from forms import InformationReplyForm, StaffIntakeForm, SurveyForm
from forms.choices import CONTACT_CHANNELS, STATUSES, label
from forms.definitions import FormDefinition
from forms.summary import labelled, number_text
from services import form_definitions
from services.clock import as_utc
from services.models import Complaint

# Where a form's own label would be ambiguous or addressed to the complainant.
LABELS = {
    "information_reply": _l("The complainant's answer"),
    "information": _l("Information sent"),
    "attachments": _l("Files"),
    "score": _l("Satisfaction score"),
    "comment": _l("The complainant's comment"),
    "survey": _l("Satisfaction survey"),
    "anonymous": _l("The complainant wants to stay anonymous"),
    "preferred_contact": _l("Preferred contact"),
    "description": _l("What happened"),
    "desired_remedy": _l("What the complainant asks for"),
    "escalation_decision": _l("Escalation decision"),
    "escalation_comment": _l("Manager's comment on the escalation"),
    "sign_off_decision": _l("Sign-off decision"),
    "sign_off_comment": _l("Sign-off comment"),
    "registration_notes": _l("Registration notes"),
    "classification_notes": _l("Classification notes"),
}
ROUTES = (
    ("minor", _l("Minor")),
    ("major", _l("Major")),
    ("confidential", _l("Confidential")),
)
# Text written by people, shown keeping its line breaks.
LONG_TEXT = "TextAreaField"


@dataclass(frozen=True)
class Fact:
    """One labelled value; `long` when it is free text to show as a block."""

    name: str
    label: str
    value: str
    long: bool = False


class FieldIndex:
    """Every field of the procedure's forms by name: where labels and choice words come from."""

    def __init__(self, forms: Mapping[str, FormDefinition] | None = None) -> None:
        """Index the given forms (a version's), else those of the active version."""
        self.fields: dict[str, Field] = {}
        found = form_definitions.active() if forms is None else forms
        task_forms = [definition.form_class for definition in found.values()]
        for form_cls in (*task_forms, StaffIntakeForm, InformationReplyForm, SurveyForm):
            for field in form_cls():
                self.fields.setdefault(field.short_name, field)

    def label(self, name: str) -> str:
        """The label of a task-data key."""
        if name in LABELS:
            return str(LABELS[name])
        field = self.fields.get(name)
        return str(field.label.text) if field is not None else name.replace("_", " ").capitalize()

    def text(self, name: str, value: Any) -> str | None:
        """A task-data value in words, or None when there is nothing to show."""
        if value is None or value == "" or value == []:
            return None
        if name == "department" and isinstance(value, str):
            # The managed list's name in the reader's language (one no longer listed as it is).
            return department_text.name_of(value)
        field = self.fields.get(name)
        if isinstance(field, BooleanField) or isinstance(value, bool):
            return _("Yes") if value else _("No")
        if isinstance(field, SelectFieldBase):
            words = _choice_words(field)
            items = value if isinstance(value, list) else [value]
            return ", ".join(str(words.get(str(item), item)) for item in items)
        if isinstance(value, list):
            return ", ".join(str(self.text(name, item) or "") for item in value if item)
        if isinstance(value, Mapping):
            # A message's data (the complainant's reply: information and files), labelled.
            parts = ((self.label(key), self.text(key, item)) for key, item in value.items())
            return labelled((label, text) for label, text in parts if text)
        return number_text(field, value)

    def facts(self, data: Mapping[str, Any], names: Iterable[str] | None = None) -> list[Fact]:
        """Labelled values of `names` (default: every key) in `data`, skipping empty ones."""
        result = []
        for name in data if names is None else names:
            text = self.text(name, data.get(name))
            if text is None:
                continue
            field = self.fields.get(name)
            long = (field is not None and field.type == LONG_TEXT) or "\n" in text
            result.append(Fact(name, self.label(name), text, long))
        return result


def _choice_words(field: SelectFieldBase) -> dict[str, Any]:
    words = {}
    for choice in field.choices or ():
        if isinstance(choice, SelectChoice):
            words[str(choice.value)] = choice.label
        else:
            words[str(choice[0])] = choice[1]
    return words


def when(value: datetime | date | None, zone: bool = False) -> str:
    """A date, or a date and time in the organisation's time zone, in the one format of every
    page (app/local_time.py); `zone` names the zone after the time."""
    if isinstance(value, datetime):
        return local_time(as_utc(value), zone=zone)
    return local_time(value, DATE)


def complaint_summary(complaint: Complaint) -> list[Fact]:
    """The complaint as received and as classified, for staff, in the words of its process
    version's lists."""
    lists = form_definitions.lists_for_complaint(complaint)
    rows: list[tuple[str, Any, str | None]] = [
        ("reference", _("Reference"), complaint.reference),
        ("received_at", _("Received"), when(complaint.received_at, zone=True)),
        ("channel", _("Channel"), lists.label("channels", complaint.channel)),
        (
            "received_by",
            _("Recorded by"),
            complaint.received_by.name if complaint.received_by else _("The complainant"),
        ),
        ("status", _("Status"), label(STATUSES, complaint.status)),
        ("category", _("Category"), lists.label("categories", complaint.category)),
        ("severity", _("Severity"), lists.label("severities", complaint.severity)),
        ("route", _("Route"), label(ROUTES, complaint.route)),
        ("department", _("Department"), department_text.name_of(complaint.department)),
    ]
    if complaint.anonymous:
        rows.append(("complainant", _("Complainant"), _("Anonymous (tracking link only)")))
    else:
        rows += [
            ("complainant", _("Complainant"), complaint.complainant_name),
            ("email", _("Email"), complaint.email),
            ("phone", _("Telephone"), complaint.phone),
            ("postal_address", _("Postal address"), complaint.postal_address),
            (
                "preferred_contact",
                _("Preferred contact"),
                label(CONTACT_CHANNELS, complaint.preferred_contact),
            ),
        ]
    rows += [
        ("product_service", _("Product or service"), complaint.product_service),
        ("event_date", _("Date of the event"), when(complaint.event_date)),
        ("purchase_date", _("Purchase date"), when(complaint.purchase_date)),
        (
            "purchase_mode",
            _("Bought"),
            lists.label("purchase_modes", complaint.purchase_mode or None),
        ),
        (
            "payment_mode",
            _("Paid by"),
            lists.label("payment_modes", complaint.payment_mode or None),
        ),
        ("delivery_date", _("Delivery date"), when(complaint.delivery_date)),
        (
            "delivery_mode",
            _("Delivered"),
            lists.label("delivery_modes", complaint.delivery_mode or None),
        ),
        ("consent", _("Consent or signature"), _("Yes") if complaint.consent else _("No")),
    ]
    facts = [Fact(name, text, str(value)) for name, text, value in rows if value]
    for name, text, value in (
        ("description", _("Description"), complaint.description),
        ("desired_remedy", _("Desired remedy"), complaint.desired_remedy),
    ):
        if value:
            facts.append(Fact(name, text, value, long=True))
    return facts
