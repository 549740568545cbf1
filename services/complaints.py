"""Complaints: filing (public form or staff intake), finding, listing what a user may see."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services import (
    attachments,
    audit,
    message_templates,
    notifications,
    permissions,
    search,
    tasks,
    tracking_links,
    workflows,
)
from services.clock import as_utc, utcnow
from services.db import db
from services.errors import InvalidInput, LinkExpired, NotFound
from services.models import Attachment, AuditEvent, Complaint, Notification, Task, User
from services.paging import Paged

# Intake fields copied to the complaint row (and into the case data the procedure sees).
INTAKE_FIELDS = (
    "department",
    "anonymous",
    "complainant_name",
    "postal_address",
    "phone",
    "email",
    "preferred_contact",
    "event_date",
    "product_service",
    "purchase_date",
    "purchase_mode",
    "payment_mode",
    "delivery_date",
    "delivery_mode",
    "description",
    "desired_remedy",
)
CONTACT_FIELDS = ("complainant_name", "postal_address", "phone", "email")
# The field holding each contact channel's address, in the order "first given" reads them.
CONTACT_FIELD_OF = {"email": "email", "phone": "phone", "letter": "postal_address"}


@dataclass(frozen=True)
class Filed:
    """A newly filed complaint and its tracking token (shown once, stored only as a hash)."""

    complaint: Complaint
    tracking_token: str


def hash_token(token: str) -> str:
    """The stored form of a tracking token."""
    return tracking_links.hash_token(token)


def file_complaint(
    data: Mapping[str, Any],
    *,
    channel: str = "web",
    received_by: User | None = None,
    received_at: datetime | None = None,
) -> Filed:
    """Register a complaint, give it a reference and start the active procedure."""
    if not str(data.get("description") or "").strip():
        raise InvalidInput("A description is required.", details={"description": ["Required."]})
    values = {name: data.get(name) for name in INTAKE_FIELDS if name in data}
    if values.get("anonymous"):
        values.update({name: "" for name in CONTACT_FIELDS})
        values["preferred_contact"] = "none"
    elif not values.get("preferred_contact"):
        values["preferred_contact"] = default_contact(values, channel)
    sensitive = bool(data.get("sensitive_at_intake"))
    for name, value in list(values.items()):
        if value is None and name not in ("event_date", "purchase_date", "delivery_date"):
            values[name] = ""
    token = secrets.token_urlsafe(32)
    consent = bool(data.get("attestation") or data.get("consent_recorded"))
    complaint = Complaint(
        **values,
        channel=channel,
        received_by=received_by,
        received_at=as_utc(received_at) or utcnow(),
        consent=consent,
        form_date=date.today(),
        tracking_token_hash=hash_token(token),
        language=message_templates.language_of(data.get("language")),
        # Violence, abuse or harassment: only the focal point sees it, from its first task.
        sensitive_at_intake=sensitive,
        confidential=sensitive,
    )
    db.session.add(complaint)
    db.session.flush()
    complaint.reference = f"C-{complaint.received_at.year}-{complaint.id:06d}"
    audit.record(
        complaint.id,
        "received",
        actor=received_by,
        actor_label=None if received_by else audit.COMPLAINANT,
        summary=f"Complaint received ({channel})",
        data={**values, "channel": channel, "consent": consent, "sensitive_at_intake": sensitive},
        public=True,
    )
    workflows.start(complaint, {**values, "consent": consent, "sensitive_at_intake": sensitive})
    return Filed(complaint, token)


def default_contact(values: Mapping[str, Any], channel: str) -> str:
    """Where to write when the complainant named no preference: on the channel they used (a
    letter by letter, an email by email, a call by telephone) if we have its detail; else at
    the first contact detail given. The other channels carry no contact detail."""
    field = CONTACT_FIELD_OF.get(channel)
    if field is not None and str(values.get(field) or "").strip():
        return channel
    return first_contact_given(values)


def first_contact_given(values: Mapping[str, Any]) -> str:
    """The channel of the first contact detail given (email, telephone, letter), else none."""
    for channel, name in CONTACT_FIELD_OF.items():
        if str(values.get(name) or "").strip():
            return channel
    return "none"


def by_token(token: str) -> Complaint:
    """The complaint a tracking link points to, or NotFound (LinkExpired for an old link)."""
    found = tracking_links.lookup(token)
    if found.expired:
        raise LinkExpired(
            "This tracking link has expired. Ask for a new one with your reference and the "
            "email address or telephone number you gave us."
        )
    if found.complaint is None:
        raise NotFound("This tracking link is not valid.")
    return found.complaint


def get_for(user: User, complaint_id: int) -> Complaint:
    """A complaint the user may see, or NotFound."""
    return permissions.require_view_complaint(user, db.session.get(Complaint, complaint_id))


def by_reference_for(user: User, reference: str) -> Complaint:
    """A complaint by reference, if the user may see it."""
    complaint = db.session.scalar(db.select(Complaint).where(Complaint.reference == reference))
    return permissions.require_view_complaint(user, complaint)


def visible_query(user: User) -> Any:
    """A select of the complaints the user may see."""
    return db.select(Complaint).where(permissions.visible_complaints_filter(user))


@dataclass(frozen=True)
class ComplaintFilter:
    """What the complaint list shows: filters, search, order and page."""

    category: str | None = None
    status: str | None = None
    channel: str | None = None
    department: str | None = None
    confidential: bool = False  # only confidential ones (the focal point's view)
    search: str | None = None
    sort: str = "newest"
    page: int = 1
    per_page: int = 25


@dataclass(frozen=True)
class ComplaintPage(Paged):
    """One page of complaints and the total count."""

    complaints: list[Complaint]
    total: int
    page: int
    per_page: int


def filtered_query(user: User, flt: ComplaintFilter) -> Any:
    """The complaints of the list's filter that the user may see (the list, its export)."""
    query = visible_query(user)
    for column, value in (
        (Complaint.category, flt.category),
        (Complaint.status, flt.status),
        (Complaint.channel, flt.channel),
        (Complaint.department, flt.department),
    ):
        if value:
            query = query.where(column == value)
    if flt.confidential:
        query = query.where(Complaint.confidential.is_(True))
    if flt.search and flt.search.strip():
        query = query.where(search.condition(flt.search.strip()))
    return query


def list_for(user: User, flt: ComplaintFilter | None = None) -> ComplaintPage:
    """Complaints the user may see, filtered, searched, newest or oldest first, paginated."""
    flt = flt or ComplaintFilter()
    query = filtered_query(user, flt)
    total = db.session.scalar(db.select(db.func.count()).select_from(query.subquery())) or 0
    page = max(1, flt.page)
    order = Complaint.received_at.asc() if flt.sort == "oldest" else Complaint.received_at.desc()
    rows = db.session.scalars(
        query.order_by(order, Complaint.id).limit(flt.per_page).offset((page - 1) * flt.per_page)
    )
    return ComplaintPage(list(rows), total, page, flt.per_page)


def departments(user: User) -> list[str]:
    """The departments named on complaints the user may see, for filter choices."""
    return list(
        db.session.scalars(
            db.select(Complaint.department)
            .where(permissions.visible_complaints_filter(user), Complaint.department != "")
            .distinct()
            .order_by(Complaint.department)
        )
    )


@dataclass(frozen=True)
class CaseFile:
    """Everything staff read about one complaint: tasks, audit trail, letters, documents."""

    complaint: Complaint
    tasks: list[Task]
    events: list[AuditEvent]
    notifications: list[Notification]
    attachments: list[Attachment]
    # The duplicate links the user may see: the complaint this one repeats, and its repeats.
    duplicate_of: Complaint | None = None
    duplicates: tuple[Complaint, ...] = ()


def case_file(user: User, complaint_id: int) -> CaseFile:
    """The case file of a complaint the user may see, or NotFound."""
    complaint = get_for(user, complaint_id)
    original = complaint.duplicate_of
    return CaseFile(
        complaint=complaint,
        tasks=tasks.for_complaint(complaint.id),
        events=audit.history(complaint.id),
        notifications=notifications.for_complaint(complaint.id),
        attachments=attachments.for_complaint(complaint.id),
        duplicate_of=original
        if original is not None and permissions.can_view_complaint(user, original)
        else None,
        duplicates=tuple(
            db.session.scalars(
                visible_query(user)
                .where(Complaint.duplicate_of_id == complaint.id)
                .order_by(Complaint.id)
            )
        ),
    )


def attachment_for(user: User, complaint_id: int, attachment_id: int) -> Attachment:
    """A file of a complaint the user may see, or NotFound."""
    complaint = get_for(user, complaint_id)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.complaint_id != complaint.id:
        raise NotFound("No such file.")
    return attachment
