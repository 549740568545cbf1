"""Complaints: filing (public form or staff intake), finding, listing what a user may see."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services import audit, permissions, workflows
from services.clock import as_utc, utcnow
from services.db import db
from services.errors import InvalidInput, NotFound
from services.models import Complaint, User

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


@dataclass(frozen=True)
class Filed:
    """A newly filed complaint and its tracking token (shown once, stored only as a hash)."""

    complaint: Complaint
    tracking_token: str


def hash_token(token: str) -> str:
    """The stored form of a tracking token."""
    return hashlib.sha256(token.encode()).hexdigest()


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
        data={**values, "channel": channel, "consent": consent},
        public=True,
    )
    workflows.start(complaint, {**values, "consent": consent})
    return Filed(complaint, token)


def by_token(token: str) -> Complaint:
    """The complaint a tracking link points to, or NotFound."""
    complaint = db.session.scalar(
        db.select(Complaint).where(Complaint.tracking_token_hash == hash_token(token))
    )
    if complaint is None:
        raise NotFound("This tracking link is not valid.")
    return complaint


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
