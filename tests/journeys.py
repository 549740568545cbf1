"""Reach a state through the real services, engine and diagrams (no INSERTs, no mocks).

Call these inside an application context; each helper commits like a request would.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from werkzeug.datastructures import MultiDict

from services import complaints, composer, workflows
from services.clock import as_utc
from services.db import db
from services.errors import TaskAlreadyCompleted
from services.models import Complaint, ServiceClock, Task, User

INTAKE = {
    "complainant_name": "Aminata Diallo",
    "email": "aminata@example.org",
    "phone": "+221 77 000 00 00",
    "postal_address": "12 rue des Lilas, Dakar",
    "preferred_contact": "email",
    "anonymous": False,
    "department": "Customer service",
    "event_date": date(2026, 11, 2),
    "product_service": "Washing machine WM-300",
    "purchase_date": date(2026, 10, 1),
    "purchase_mode": "in_store",
    "payment_mode": "card",
    "delivery_date": date(2026, 10, 5),
    "delivery_mode": "home_delivery",
    "description": "The machine leaks water from the first wash and the shop ignores my calls.",
    "desired_remedy": "Replacement or refund",
    "attestation": True,
}

# Valid answers per form key; a journey overrides what its path needs.
ANSWERS: dict[str, dict[str, Any]] = {
    "register_complaint": {
        "form_complete": True,
        "consent_confirmed": True,
        "registration_outcome": "complete",
        "registration_notes": "Complete and signed.",
    },
    "classify_complaint": {
        "category": "product_quality",
        "severity": "low",
        "financial_impact": "120.00",
        "classification_notes": "Leaking appliance.",
    },
    "resolve_minor": {
        "thanked": True,
        "apologised": True,
        "information_collected": True,
        "action_taken": "Technician visit booked; seal replaced.",
        "put_right": "We will replace the door seal this week.",
        "customer_happy": True,
        "resolution_summary": "Seal replaced under warranty.",
        "remedies": ["repair", "apology"],
        "response_letter": "Dear Ms Diallo, we replaced the faulty seal. Thank you for telling us.",
    },
    "investigate_complaint": {
        "interviews": "Store manager, delivery team.",
        "documents_reviewed": "Invoice, delivery note.",
        "findings": "The unit was damaged in transport.",
        "root_cause_category": "process",
        "root_cause": "Loading procedure at the depot.",
        "internal_corrections": "Depot staff retrained.",
        "investigation_report": "Detailed report: the unit was dropped during loading at the "
        "depot; the delivery team did not report it.",
        "escalation_requested": False,
    },
    "approve_escalation": {"escalation_decision": "approved", "escalation_comment": "Go ahead."},
    "legal_review": {
        "legal_opinion": "The consumer is entitled to a replacement.",
        "legal_action": "settlement",
        "legal_recommendations": "Offer a replacement and compensation.",
    },
    "resolve_complaint": {
        "remedies": ["replacement", "compensation"],
        "remedy_details": "New unit delivered and installed.",
        "compensation_amount": "150.00",
        "resolution_summary": "Unit replaced, compensation paid.",
        "response_letter": "Dear Ms Diallo, we will replace your machine and compensate you.",
    },
    "handle_confidential": {
        "findings": "Account confirmed by two witnesses.",
        "protective_measures": "Staff member suspended pending inquiry.",
        "remedies": ["apology", "process_change"],
        "resolution_summary": "Measures taken; inquiry opened.",
        "response_letter": "Dear Madam, Sir, we have taken protective measures after your report.",
    },
    "sign_off": {
        "sign_off_decision": "approved",
        "resolution_codes": ["resolved_in_favour", "complainant_informed"],
    },
    "review_overdue": {"overdue_action": "reminded_handler", "overdue_comment": "Chased."},
    "handle_escalated_delay": {"escalation_response": "Called the handler; done tomorrow."},
    "senior_management_decision": {
        "senior_decision": "remedy_authorised",
        "senior_instructions": "Offer a full refund and review the depot procedure.",
    },
    "police_referral": {
        "police_referral_date": date(2026, 11, 20),
        "police_service": "Commissariat central de Dakar",
        "police_reference": "PV-2026-4411",
    },
    "police_outcome": {"police_outcome": "under_investigation"},
    "record_consent": {
        "consent_to_action": True,
        "consent_to_disclosure": True,
        "consent_to_referral": True,
        "safe_contact_method": "none",
    },
    "refer_support": {"declined": True, "referral_notes": "Prefers to wait."},
    "follow_up_satisfaction": {"follow_up_action": "contacted_complainant"},
    "review_case": {
        "review_decision": "not_upheld",
        "review_findings": "The first decision followed the procedure.",
        "review_letter": "Dear Ms Diallo, we reviewed your complaint; the decision stands.",
    },
}

# Who completes each form key in the demo data.
ACTORS = {
    "register_complaint": "agent",
    "classify_complaint": "supervisor",
    "resolve_minor": "supervisor",
    "investigate_complaint": "investigator",
    "approve_escalation": "manager",
    "legal_review": "counsel",
    "resolve_complaint": "investigator",
    "handle_confidential": "focal",
    "sign_off": "manager",
    "review_overdue": "manager",
    "handle_escalated_delay": "manager",
    "senior_management_decision": "senior",
    "police_referral": "police",
    "police_outcome": "police",
    "record_consent": "focal",
    "refer_support": "focal",
    "follow_up_satisfaction": "manager",
    "review_case": "manager",
}


def formdata(values: Mapping[str, Any]) -> MultiDict:
    """Turn Python values into what a browser would post."""
    items: list[tuple[str, str]] = []
    for key, value in values.items():
        if value is None or value is False:
            continue
        if value is True:
            items.append((key, "y"))
        elif isinstance(value, list | tuple):
            items.extend((key, str(v)) for v in value)
        elif isinstance(value, date):
            items.append((key, value.isoformat()))
        else:
            items.append((key, str(value)))
    return MultiDict(items)


def user(username: str) -> User:
    """A demo user by user name."""
    found = db.session.scalar(db.select(User).where(User.username == username))
    assert found is not None, f"no demo user {username}"
    return found


def file(**overrides: Any) -> Complaint:
    """File a complaint through the web channel and commit."""
    filed = complaints.file_complaint({**INTAKE, **overrides})
    db.session.commit()
    return filed.complaint


def write_messages() -> None:
    """Write every queued message from its template, as the delivery worker does when it
    claims them (tracking link, text, audit event), without sending anything; commit."""
    for row in composer.pending_rows():
        composer.write_pending(row)
    db.session.commit()


def open_tasks(complaint: Complaint) -> list[Task]:
    """The complaint's open tasks, by creation."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            db.select(Task)
            .where(Task.complaint_id == complaint.id, Task.status == "open")
            .order_by(Task.created_at, Task.name)
        )
    )


def open_task(complaint: Complaint, name: str) -> Task:
    """The open task called `name`; fails with the open ones listed."""
    tasks = open_tasks(complaint)
    for task in tasks:
        if task.name == name:
            return task
    raise AssertionError(f"{name} is not open; open: {[t.name for t in tasks]}")


def complete(complaint: Complaint, name: str, by: str | None = None, **answers: Any) -> Task:
    """Complete the open task `name` with valid answers (plus overrides) and commit."""
    task = open_task(complaint, name)
    values = {**ANSWERS[task.form_key], **answers}
    done = workflows.complete_task(task.id, user(by or ACTORS[task.form_key]), formdata(values))
    db.session.commit()
    return done


def open_names(complaint: Complaint) -> list[str]:
    """Names of the complaint's open tasks."""
    return sorted(t.name for t in open_tasks(complaint))


def refreshed(complaint: Complaint) -> Complaint:
    """The complaint re-read from the database."""
    db.session.expire_all()
    found = db.session.get(Complaint, complaint.id)
    assert found is not None
    return found


def to_classification(**intake: Any) -> Complaint:
    """A registered, acknowledged complaint waiting for classification."""
    complaint = file(**intake)
    complete(complaint, "register_complaint")
    return complaint


def to_information_request(missing: str = "A photo of the parcel", **intake: Any) -> Complaint:
    """A complaint whose registration asked for `missing`, the request written (with its
    tracking link): waiting for the complainant's answer."""
    complaint = file(**intake)
    complete(
        complaint,
        "register_complaint",
        registration_outcome="incomplete",
        form_complete=False,
        missing_information=missing,
    )
    write_messages()
    return complaint


def to_minor_resolution() -> Complaint:
    """A minor complaint waiting for the supervisor's resolution."""
    complaint = to_classification()
    complete(complaint, "classify_complaint")
    return complaint


def to_investigation() -> Complaint:
    """A major complaint waiting for investigation."""
    complaint = to_classification()
    complete(complaint, "classify_complaint", severity="high")
    return complaint


def escalated(target: str) -> Complaint:
    """A major complaint whose escalation to `target` (senior_management, legal_counsel,
    police) the manager approved, waiting for that target's step."""
    complaint = to_investigation()
    complete(
        complaint,
        "investigate_complaint",
        escalation_requested=True,
        escalation_target=target,
        escalation_reason="Beyond what the complaint manager can decide.",
    )
    complete(complaint, "approve_escalation", escalation_decision="approved")
    return complaint


def to_survey(route: str = "minor") -> Complaint:
    """A complaint closed and signed off, its survey waiting for the complainant."""
    if route == "minor":
        complaint = to_minor_resolution()
        complete(complaint, "resolve_minor")
        complete(complaint, "sign_off_minor")
    else:
        complaint = to_investigation()
        complete(complaint, "investigate_complaint")
        complete(complaint, "resolve_major")
        complete(complaint, "sign_off_major")
    return complaint


def clock(complaint: Complaint, name: str) -> ServiceClock:
    """The complaint's service-level clock `name`, re-read from the database."""
    db.session.expire_all()
    found = db.session.scalar(
        db.select(ServiceClock).where(
            ServiceClock.complaint_id == complaint.id, ServiceClock.name == name
        )
    )
    assert found is not None, f"{complaint.reference} has no clock {name}"
    return found


def past_due(complaint: Complaint, name: str, after: timedelta = timedelta(minutes=1)) -> datetime:
    """A moment just after clock `name` of the complaint falls due (working days and holidays
    make "2 days later" wrong on a Friday)."""
    return as_utc(clock(complaint, name).due_at) + after


def overdue(complaint: Complaint, name: str) -> Complaint:
    """Fire the timers due just after clock `name` runs out (its overdue review) and commit."""
    workflows.tick(past_due(complaint, name))
    db.session.commit()
    return complaint


def complete_at_once(app: Any, task_id: str, by: str, form_key: str) -> list[str]:
    """Two requests complete the same task at the same moment, each in its own thread and
    session: "won", "conflict: <message>" (TaskAlreadyCompleted) or "error: <type>" each."""
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt() -> None:
        with app.app_context():
            data = formdata(ANSWERS[form_key])
            actor = user(by)
            barrier.wait()
            try:
                workflows.complete_task(task_id, actor, data)
                db.session.commit()
                outcomes.append("won")
            except TaskAlreadyCompleted as exc:
                db.session.rollback()
                outcomes.append(f"conflict: {exc.message}")
            except Exception as exc:  # noqa: BLE001 - what the request would have answered 500
                db.session.rollback()
                outcomes.append(f"error: {type(exc).__name__}")

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
