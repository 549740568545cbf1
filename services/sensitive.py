"""Sensitive (confidential) cases: consent and safe contact, referrals, and who opened them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from services import audit, providers
from services.db import db
from services.models import Complaint, Referral, Task, User

CONSENT_FORM = "record_consent"
REFERRAL_FORM = "refer_support"
OPENED = "confidential_opened"


def apply_task_data(
    complaint: Complaint, form_key: str, data: Mapping[str, Any], actor: User
) -> None:
    """Act on a completed consent or referral task; other tasks are left alone.

    Called before the workflow is saved, so the messages thrown by the same step already go
    to the safe contact.
    """
    if form_key == CONSENT_FORM:
        record_safe_contact(complaint, data)
    elif form_key == REFERRAL_FORM and data.get("provider"):
        record_referral(complaint, data, actor)


def record_safe_contact(complaint: Complaint, data: Mapping[str, Any]) -> None:
    """Copy the safe contact the complainant chose onto the complaint (messages read it)."""
    complaint.safe_contact_method = str(data.get("safe_contact_method") or "none")
    complaint.safe_contact = str(data.get("safe_contact_details") or "")[:300]
    complaint.safe_times = str(data.get("safe_times") or "")[:200]
    complaint.shared_contact_safe = bool(data.get("shared_contact_safe"))


def record_referral(complaint: Complaint, data: Mapping[str, Any], actor: User) -> Referral:
    """Record a referral to an active support service, with its date and consent."""
    provider = providers.get_active(int(data["provider"]))
    referred_at = data.get("referral_date")
    if isinstance(referred_at, str):
        referred_at = date.fromisoformat(referred_at)
    referral = Referral(
        complaint_id=complaint.id,
        provider=provider,
        referred_at=referred_at or date.today(),
        consent=bool(data.get("consent_confirmed")),
        notes=str(data.get("referral_notes") or ""),
        created_by=actor,
    )
    db.session.add(referral)
    db.session.flush()
    return referral


def referrals(complaint_id: int) -> list[Referral]:
    """The complaint's referrals, oldest first."""
    return list(
        db.session.scalars(
            db.select(Referral)
            .where(Referral.complaint_id == complaint_id)
            .order_by(Referral.referred_at, Referral.id)
        )
    )


# What a confidential case's trail says was opened (data["opened"]).
OPENED_KINDS = ("complaint", "task", "file", "document")


def record_opening(
    user: User,
    complaint: Complaint,
    what: str,
    task: Task | None = None,
    *,
    name: str = "",
    api: bool = False,
) -> None:
    """Record in a confidential case's trail that `user` opened it: `what` is one of
    OPENED_KINDS, `name` the task's title or the file's name, `api` through the API.

    Staff-only: the complainant's timeline never shows these events.
    """
    if not complaint.confidential:
        return
    if what not in OPENED_KINDS:
        raise ValueError(f"record_opening: {what!r} is not one of {OPENED_KINDS}")
    data: dict[str, Any] = {"opened": what, "via": "api" if api else "page"}
    if name:
        data["name"] = name
    if task is not None:
        data["task_id"] = task.id
    audit.record(
        complaint.id,
        OPENED,
        actor=user,
        task_name=task.name if task is not None else None,
        summary=f"Opened: {what} {name}".strip() + (" (API)" if api else ""),
        data=data,
        public=False,
    )
