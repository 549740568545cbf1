"""Demo complaints for `flask seed-demo`: a few dozen cases at every stage of the procedure.

Each case goes through the real procedure (services.workflows, the deployed diagram), step by
step, as the people of the demo would work it. The steps happen now, in a few milliseconds;
after each one, what it wrote (tasks, clocks, messages, events) is moved back to the moment
the plan gives it, so the inbox has overdue tasks, the history reads over days and the
figures spread over the last months. The engine's own timers keep the real time: they fire
later than the moments shown (a demo of the timers is `flask tick --now`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, inspect
from werkzeug.datastructures import MultiDict

from services import complaints, composer, tracking, workflows
from services.clock import as_utc, played_at, utcnow
from services.db import db
from services.models import (
    Attachment,
    AuditEvent,
    Complaint,
    Document,
    Notification,
    Referral,
    ServiceClock,
    ServiceClockPause,
    Task,
    TrackingToken,
    User,
)

# Tables a step writes to, found by complaint; their times move with the step.
STEP_TABLES = (AuditEvent, Task, ServiceClock, Notification, TrackingToken, Document, Attachment)
STEP_TABLES += (Referral,)
# Times in the future when written (deadlines): moved only with the row that set them.
DEADLINES = frozenset({"due_at", "at_risk_at", "expires_at", "next_attempt_at"})
# The column that says when a row was written.
ANCHORS = ("created_at", "started_at", "uploaded_at", "at")

PEOPLE = (
    ("Aminata Diallo", "fr", "Lyon"),
    ("James Carter", "en", "Leeds"),
    ("Sophie Martin", "fr", "Nantes"),
    ("Oluwaseun Adeyemi", "en", "Bristol"),
    ("Élodie Bernard", "fr", "Lille"),
    ("Mohamed Benali", "fr", "Marseille"),
    ("Hannah Schmidt", "en", "York"),
    ("Lucas Petit", "fr", "Rennes"),
    ("Grace Mensah", "en", "Cardiff"),
    ("Chloé Rousseau", "fr", "Toulouse"),
    ("Daniel O'Brien", "en", "Belfast"),
    ("Inès Moreau", "fr", "Bordeaux"),
)
CASES = (
    (
        "Washing machine WM-300",
        "product_quality",
        "The machine leaks water from the first wash and the shop ignores my calls.",
        "Replacement or refund",
    ),
    (
        "Home delivery",
        "delivery",
        "The parcel arrived two weeks late and the box was crushed.",
        "A refund of the delivery fee",
    ),
    (
        "Customer service hotline",
        "customer_service",
        "The person on the phone was rude and hung up on me twice.",
        "An apology",
    ),
    (
        "Monthly invoice",
        "billing",
        "I was charged twice for the same month.",
        "Refund of the second payment",
    ),
    (
        "Mobile app",
        "other",
        "The app logs me out every day and I lose my basket.",
        "Fix the app",
    ),
    (
        "Store opening hours",
        "customer_service",
        "The shop was closed during its posted opening hours, twice.",
        "Keep to the opening hours",
    ),
)
# What French-speaking complainants wrote, case by case (product, what happened, what they ask).
CASES_FR = (
    (
        "Lave-linge WM-300",
        "La machine fuit dès le premier lavage et le magasin ne répond pas à mes appels.",
        "Un remplacement ou un remboursement",
    ),
    (
        "Livraison à domicile",
        "Le colis est arrivé avec deux semaines de retard et le carton était écrasé.",
        "Le remboursement des frais de livraison",
    ),
    (
        "Service client par téléphone",
        "La personne au téléphone a été impolie et m'a raccroché au nez deux fois.",
        "Des excuses",
    ),
    (
        "Facture mensuelle",
        "On m'a facturé deux fois le même mois.",
        "Le remboursement du second paiement",
    ),
    (
        "Application mobile",
        "L'application me déconnecte chaque jour et je perds mon panier.",
        "Que l'application soit corrigée",
    ),
    (
        "Horaires du magasin",
        "Le magasin était fermé pendant ses horaires d'ouverture affichés, deux fois.",
        "Que les horaires soient respectés",
    ),
)
DEPARTMENTS = ("Customer service", "Logistics", "Billing", "Stores")

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
        "classification_notes": "Checked against the order.",
    },
    "resolve_minor": {
        "thanked": True,
        "apologised": True,
        "information_collected": True,
        "action_taken": "Called the complainant and arranged the fix.",
        "put_right": "We will put it right this week.",
        "customer_happy": True,
        "resolution_summary": "Put right on the first call.",
        "remedies": ["repair", "apology"],
        "response_letter": "Thank you for telling us. We have put it right and apologise.",
    },
    "investigate_complaint": {
        "interviews": "Store manager, delivery team.",
        "documents_reviewed": "Invoice, delivery note.",
        "findings": "The item was damaged in transport.",
        "root_cause_category": "process",
        "root_cause": "Loading procedure at the depot.",
        "internal_corrections": "Depot staff retrained.",
        "investigation_report": "The item was dropped during loading at the depot; the "
        "delivery team did not report it.",
        "escalation_requested": False,
    },
    "resolve_complaint": {
        "remedies": ["replacement", "compensation"],
        "remedy_details": "New item delivered.",
        "compensation_amount": "50.00",
        "resolution_summary": "Item replaced, compensation paid.",
        "response_letter": "We will replace the item and compensate you for the trouble.",
    },
    "sign_off": {
        "sign_off_decision": "approved",
        "resolution_codes": ["resolved_in_favour", "complainant_informed"],
    },
    "record_consent": {
        "consent_to_action": True,
        "consent_to_disclosure": True,
        "consent_to_referral": True,
        "safe_contact_method": "none",
    },
    "refer_support": {"declined": True, "referral_notes": "Prefers to wait."},
}
# What a French-speaking complainant reads from the answers (the letters), in French.
ANSWERS_FR: dict[str, dict[str, Any]] = {
    "register_complaint": {
        "missing_information": "Une photo de l'article endommagé et le numéro de commande.",
    },
    "resolve_minor": {
        "response_letter": "Merci de nous avoir prévenus. Nous avons corrigé le problème et "
        "vous présentons nos excuses.",
    },
    "resolve_complaint": {
        "response_letter": "Nous allons remplacer l'article et vous dédommager pour le "
        "désagrément.",
    },
}
# Who works each step in the demo (a demo user per role, services.users.DEMO_USERS).
WORKERS = {
    "register_complaint": "agent",
    "classify_complaint": "supervisor",
    "resolve_minor": "supervisor",
    "investigate_complaint": "investigator",
    "resolve_complaint": "investigator",
    "sign_off": "manager",
    "record_consent": "focal",
    "refer_support": "focal",
}


@dataclass(frozen=True)
class Step:
    """A step of a plan: a task to complete (or `survey` / `information`), days after the
    previous one, with answers over the defaults."""

    name: str
    after: float = 1.0
    answers: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """One demo complaint: received `days_ago`, by `channel`, then its steps."""

    days_ago: float
    steps: tuple[Step, ...] = ()
    channel: str = "web"
    sensitive: bool = False


REGISTER = Step("register_complaint", 0.2)
CLASSIFY = Step("classify_complaint", 0.5)
MAJOR = Step("classify_complaint", 0.5, {"severity": "high", "category": "delivery"})
MINOR_DONE = (Step("resolve_minor", 2), Step("sign_off_minor", 0.5))
SLOW_MINOR = (Step("resolve_minor", 16), Step("sign_off_minor", 0.5))
MAJOR_DONE = (
    Step("investigate_complaint", 6),
    Step("resolve_major", 2),
    Step("sign_off_major", 1),
)
INCOMPLETE = Step(
    "register_complaint",
    0.2,
    {
        "registration_outcome": "incomplete",
        "form_complete": False,
        "missing_information": "A photo of the damaged item and the order number.",
    },
)
NOT_A_COMPLAINT = Step(
    "register_complaint",
    0.3,
    {"registration_outcome": "not_a_complaint", "registration_notes": "A question, answered."},
)


def _survey(score: int, after: float = 3) -> Step:
    return Step("survey", after, {"score": score})


def plans() -> list[Plan]:
    """The demo's complaints, from the newest to cases closed months ago."""
    new = [Plan(0.1), Plan(0.4, channel="phone"), Plan(1.2, channel="email"), Plan(2.1)]
    waiting = [Plan(4, (INCOMPLETE,)), Plan(6, (INCOMPLETE,), channel="letter")]
    classify = [Plan(1.5, (REGISTER,)), Plan(2.5, (REGISTER,), channel="phone")]
    classify += [Plan(12, (REGISTER,))]  # overdue: classification waits since last week
    minor = [Plan(3, (REGISTER, CLASSIFY)), Plan(5, (REGISTER, CLASSIFY), channel="counter")]
    minor += [Plan(21, (REGISTER, CLASSIFY)), Plan(30, (REGISTER, CLASSIFY))]  # overdue
    major = [Plan(6, (REGISTER, MAJOR)), Plan(15, (REGISTER, MAJOR), channel="email")]
    major += [Plan(50, (REGISTER, MAJOR))]  # overdue
    escalation = Step(
        "investigate_complaint",
        5,
        {
            "escalation_requested": True,
            "escalation_target": "senior_management",
            "escalation_reason": "A refund above the handler's limit.",
        },
    )
    major += [Plan(9, (REGISTER, MAJOR, escalation))]
    sign_off = [Plan(7, (REGISTER, CLASSIFY, MINOR_DONE[0]))]
    sign_off += [Plan(18, (REGISTER, MAJOR, *MAJOR_DONE[:2]))]
    consent = (Step("record_consent", 0.5), Step("refer_support", 1))
    confidential = [Plan(8, consent, sensitive=True)]
    survey = [Plan(9, (REGISTER, CLASSIFY, *MINOR_DONE)), Plan(14, (REGISTER, MAJOR, *MAJOR_DONE))]
    closed = [
        Plan(
            days,
            (REGISTER, CLASSIFY, *(SLOW_MINOR if slow else MINOR_DONE), _survey(score)),
            channel=channel,
        )
        for days, score, channel, slow in (
            (20, 5, "web", False),
            (35, 4, "phone", False),
            (48, 2, "web", True),  # resolved after its target: met late
            (62, 5, "email", False),
            (80, 4, "web", False),
            (101, 3, "letter", False),
            (125, 5, "web", False),
            (140, 1, "phone", True),
        )
    ]
    closed += [
        Plan(days, (REGISTER, MAJOR, *MAJOR_DONE, _survey(score)))
        for days, score in ((44, 4), (95, 3), (150, 5))
    ]
    closed += [Plan(27, (NOT_A_COMPLAINT,)), Plan(110, (NOT_A_COMPLAINT,), channel="email")]
    return new + waiting + classify + minor + major + sign_off + confidential + survey + closed


def seed(now: datetime | None = None) -> list[Complaint]:
    """File the demo complaints once (none when the database already has complaints)."""
    if db.session.scalar(db.select(Complaint.id).limit(1)) is not None:
        return []
    now = as_utc(now) or utcnow()
    return [_play(number, plan, now) for number, plan in enumerate(plans())]


def _intake(number: int, plan: Plan) -> dict[str, Any]:
    name, language, city = PEOPLE[number % len(PEOPLE)]
    product, category, description, remedy = CASES[number % len(CASES)]
    if language == "fr":
        product, description, remedy = CASES_FR[number % len(CASES_FR)]
    first = name.split()[0].lower().replace("é", "e").replace("è", "e").replace("'", "")
    return {
        "complainant_name": name,
        "email": f"{first}@example.org",
        "phone": f"+33 6 00 00 {number:02d} {number:02d}",
        "postal_address": f"{number + 3} rue des Lilas, {city}",
        "preferred_contact": "email",
        "anonymous": False,
        "department": DEPARTMENTS[number % len(DEPARTMENTS)],
        "product_service": product,
        "description": description,
        "desired_remedy": remedy,
        "attestation": True,
        "language": language,
        "sensitive_at_intake": plan.sensitive,
        "_category": category,
    }


def _play(number: int, plan: Plan, now: datetime) -> Complaint:
    moment = now - timedelta(days=plan.days_ago, hours=number % 5)
    data = _intake(number, plan)
    category = data.pop("_category")
    started = utcnow()
    agent = _user("agent") if plan.channel != "web" else None
    filed = complaints.file_complaint(
        data, channel=plan.channel, received_by=agent, received_at=moment
    )
    complaint = filed.complaint
    _settle(complaint, started, moment)
    for step in plan.steps:
        moment = min(moment + timedelta(days=step.after), now - timedelta(minutes=5))
        started = utcnow()
        # Played at its moment: a clock met then is met on time or late as of then (played
        # now, against a due time already moved into the past, every clock was met late).
        with played_at(moment):
            if step.name == "survey":
                tracking.answer_survey(complaint, int(step.answers["score"]), "")
            else:
                answers = dict(step.answers)
                if step.name == "classify_complaint":
                    answers = {"category": category, **answers}
                _complete(complaint, step.name, answers)
        _settle(complaint, started, moment)
    return complaint


def _complete(complaint: Complaint, name: str, answers: Mapping[str, Any]) -> None:
    db.session.flush()
    task = db.session.scalar(
        db.select(Task).where(
            Task.complaint_id == complaint.id, Task.name == name, Task.status == "open"
        )
    )
    if task is None:
        raise LookupError(f"{complaint.reference}: {name} is not open")
    form_key = "sign_off" if task.form_key.startswith("sign_off") else task.form_key
    values = {**ANSWERS.get(task.form_key, ANSWERS.get(form_key, {})), **answers}
    if complaint.language == "fr":  # only answers this step gives: a letter, a request
        french = ANSWERS_FR.get(task.form_key, ANSWERS_FR.get(form_key, {}))
        values.update({name: text for name, text in french.items() if name in values})
    worker = WORKERS.get(task.form_key) or WORKERS.get(form_key, "manager")
    if task.form_key == "sign_off" and task.name == "sign_off_confidential":
        worker = "focal2"
    workflows.complete_task(task.id, _user(worker), _formdata(values))


def _settle(complaint: Complaint, since: datetime, moment: datetime) -> None:
    """Write the step's messages as sent, and move what the step wrote back to `moment`."""
    db.session.flush()
    for row in db.session.scalars(
        db.select(Notification).where(
            Notification.complaint_id == complaint.id, Notification.subject == ""
        )
    ):
        composer.write_pending(row)
        row.status = "sent"
        row.sent_at = utcnow()
    db.session.flush()
    _move(complaint, since, moment - since)


def _move(complaint: Complaint, since: datetime, delta: timedelta) -> None:
    """Move every time the complaint's rows got since `since` by `delta`."""
    rows: list[Any] = [complaint]
    for model in STEP_TABLES:
        rows += db.session.scalars(db.select(model).where(model.complaint_id == complaint.id))
    clocks = [row.id for row in rows if isinstance(row, ServiceClock)]
    if clocks:
        rows += db.session.scalars(
            db.select(ServiceClockPause).where(ServiceClockPause.clock_id.in_(clocks))
        )
    for row in rows:
        _shift(row, since, delta)
    db.session.flush()


def _shift(row: Any, since: datetime, delta: timedelta) -> None:
    columns = [c.key for c in inspect(type(row)).column_attrs if _is_time(c)]
    anchor = next((name for name in ANCHORS if name in columns), None)
    written = anchor is not None and _after(getattr(row, anchor), since)
    for name in columns:
        value = getattr(row, name)
        if not _after(value, since) or (name in DEADLINES and not written):
            continue
        if isinstance(row, Complaint) and name == "received_at":
            continue  # filed at its moment already
        setattr(row, name, as_utc(value) + delta)


def _is_time(column: Any) -> bool:
    return any(isinstance(c.type, DateTime) for c in column.columns)


def _after(value: datetime | None, since: datetime) -> bool:
    return value is not None and (as_utc(value) or value) >= since


def _user(username: str) -> User:
    found = db.session.scalar(db.select(User).where(User.username == username))
    if found is None:
        raise LookupError(f"no demo user {username}; seed the users first")
    return found


def _formdata(values: Mapping[str, Any]) -> MultiDict[str, str]:
    """Python values as a browser posts them."""
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


def counts(rows: Iterable[Complaint]) -> dict[str, int]:
    """How many demo complaints per status, for the command's report."""
    found: dict[str, int] = {}
    for row in rows:
        found[row.status] = found.get(row.status, 0) + 1
    return dict(sorted(found.items()))
