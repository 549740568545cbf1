"""Systemic issues and improvement actions: ISO 10002's loop from complaint to change.

Managers mark a recurring problem as a systemic issue (ASIC RG 271) and open improvement
actions from a cluster, an issue or a complaint; quality analysts and senior management read
them; an action's owner updates its status and outcome.

Audit: each change is one event without a complaint (complaint_id None, kind
systemic_issue_* or improvement_action_*, the issue's or action's id in its data), like the
calendar and provider settings; linking a complaint also writes one event on that complaint,
so its own history says which issue or action it feeds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import selectinload

from services import audit, business_calendar, permissions, roles
from services.clock import utcnow
from services.db import db
from services.errors import InvalidInput, NotAllowed, NotFound
from services.models import (
    AuditEvent,
    Complaint,
    ImprovementAction,
    ImprovementActionComplaint,
    SystemicIssue,
    SystemicIssueComplaint,
    User,
    UserRole,
)

ISSUE_STATUSES = ("open", "monitoring", "closed")
ACTION_STATUSES = ("open", "in_progress", "done", "cancelled")
ACTIVE_ACTION_STATUSES = ("open", "in_progress")
ENDED_ACTION_STATUSES = ("done", "cancelled")
# How many overdue actions the dashboard's summary lists.
SUMMARY_LIMIT = 10
# How many complaints one request may link (a rising cluster's list is capped the same way).
MAX_LINKS = 500


def reads_improvement(user: User) -> bool:
    """Managers, quality analysts and senior management read recurring problems and actions."""
    return user.active and bool(user.role_names & permissions.REPORT_ROLES)


def manages_improvement(user: User) -> bool:
    """Managers open and change systemic issues and improvement actions."""
    return user.active and user.has_role(roles.MANAGER)


def require_reads(user: User) -> User:
    """The user if they read recurring problems and actions, else NotAllowed."""
    if not reads_improvement(user):
        raise NotAllowed("Your role does not give access to recurring problems and actions.")
    return user


def require_manages(user: User) -> User:
    """The user if they may open and change issues and actions, else NotAllowed."""
    if not manages_improvement(user):
        raise NotAllowed("Only managers open and change systemic issues and actions.")
    return user


def owns_actions(user: User) -> bool:
    """True when some improvement action is the user's to carry out."""
    found = db.session.scalar(
        select(ImprovementAction.id).where(ImprovementAction.owner_id == user.id).limit(1)
    )
    return user.active and found is not None


def today() -> date:
    """The organisation's calendar day: what "overdue" is measured against."""
    return business_calendar.local_today()


def is_overdue(action: ImprovementAction, on: date | None = None) -> bool:
    """Due before today and neither done nor cancelled."""
    return (
        action.status in ACTIVE_ACTION_STATUSES
        and action.due_date is not None
        and action.due_date < (on or today())
    )


# ---------------------------------------------------------------------------------------------
# Complaints linked to issues and actions
# ---------------------------------------------------------------------------------------------


def _complaints_for(actor: User, ids: Iterable[int]) -> list[Complaint]:
    """The complaints by id, each one visible to the actor (else NotFound)."""
    wanted = sorted(set(ids))
    if len(wanted) > MAX_LINKS:
        raise InvalidInput(f"At most {MAX_LINKS} complaints can be linked at once.")
    if not wanted:
        return []
    found = list(
        db.session.scalars(
            select(Complaint).where(
                Complaint.id.in_(wanted), permissions.visible_complaints_filter(actor)
            )
        )
    )
    if len(found) != len(wanted):
        raise NotFound("No such complaint.")
    return sorted(found, key=lambda c: c.id)


def complaints_by_reference(actor: User, references: Iterable[str]) -> list[Complaint]:
    """Complaints by reference (case and spaces ignored), or InvalidInput naming the unknown."""
    wanted = list(dict.fromkeys(r.strip().upper() for r in references if r.strip()))
    if not wanted:
        raise InvalidInput(
            "Give at least one complaint reference.", details={"references": ["required"]}
        )
    if len(wanted) > MAX_LINKS:
        raise InvalidInput(f"At most {MAX_LINKS} complaints can be linked at once.")
    found = {
        c.reference: c
        for c in db.session.scalars(
            select(Complaint).where(
                Complaint.reference.in_(wanted), permissions.visible_complaints_filter(actor)
            )
        )
    }
    unknown = [r for r in wanted if r not in found]
    if unknown:
        raise InvalidInput(
            "No complaint with the reference " + ", ".join(unknown) + ".",
            details={"references": unknown},
        )
    return [found[r] for r in wanted]


@dataclass(frozen=True)
class Links:
    """The complaints of an issue or action as one viewer may read them."""

    visible: list[Complaint]


def visible_links(viewer: User, complaints: Sequence[Complaint]) -> Links:
    """The linked complaints the viewer may see. The others are not counted either: "and 1
    you may not see" told a viewer without clearance that a confidential complaint exists and
    what it is about."""
    visible = [c for c in complaints if permissions.can_view_complaint(viewer, c)]
    return Links(sorted(visible, key=lambda c: c.id))


def _record_links(kind: str, complaints: Iterable[Complaint], actor: User, **data: Any) -> None:
    """One event on each linked complaint's own history."""
    title = str(data.get("title", ""))
    for complaint in complaints:
        audit.record(complaint.id, kind, actor=actor, summary=title, data=data)


# ---------------------------------------------------------------------------------------------
# Systemic issues
# ---------------------------------------------------------------------------------------------


def _text(value: str | None, name: str, limit: int, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"The {name} is required.", details={name: ["required"]})
    if len(text) > limit:
        raise InvalidInput(f"The {name} is too long.", details={name: ["too long"]})
    return text


def open_issue(
    actor: User,
    *,
    title: str,
    description: str = "",
    cluster_kind: str = "",
    cluster_key: str = "",
    complaint_ids: Iterable[int] = (),
) -> SystemicIssue:
    """Mark a recurring problem systemic: a tracked issue with the cluster's complaints."""
    require_manages(actor)
    linked = _complaints_for(actor, complaint_ids)
    issue = SystemicIssue(
        title=_text(title, "title", 200, required=True),
        description=_text(description, "description", 20_000),
        cluster_kind=cluster_kind[:30],
        cluster_key=cluster_key[:300],
        status="open",
        opened_by=actor,
        opened_at=utcnow(),
        complaints=linked,
    )
    db.session.add(issue)
    db.session.flush()
    data = {"issue_id": issue.id, "title": issue.title, "cluster": f"{cluster_kind}:{cluster_key}"}
    audit.record(
        None,
        "systemic_issue_opened",
        actor=actor,
        summary=f"Systemic issue #{issue.id} opened: {issue.title}",
        data={**data, "complaints": [c.reference for c in linked]},
    )
    _record_links("systemic_issue_linked", linked, actor, **data)
    return issue


def get_issue(viewer: User, issue_id: int) -> SystemicIssue:
    """A systemic issue the viewer may read, or NotFound."""
    require_reads(viewer)
    issue = db.session.get(SystemicIssue, issue_id)
    if issue is None:
        raise NotFound("No such systemic issue.")
    return issue


def set_issue_status(actor: User, issue_id: int, status: str) -> SystemicIssue:
    """Move an issue between open, monitoring and closed."""
    require_manages(actor)
    issue = get_issue(actor, issue_id)
    if status not in ISSUE_STATUSES:
        raise InvalidInput("Unknown status.", details={"status": ["invalid"]})
    if status == issue.status:
        return issue
    before, issue.status = issue.status, status
    issue.closed_at = utcnow() if status == "closed" else None
    audit.record(
        None,
        "systemic_issue_status",
        actor=actor,
        summary=f"Systemic issue #{issue.id}: {before} → {status}",
        data={"issue_id": issue.id, "from": before, "to": status},
    )
    return issue


def link_issue_complaints(actor: User, issue_id: int, references: Iterable[str]) -> list[Complaint]:
    """Link more complaints to an issue by reference; returns those newly linked."""
    require_manages(actor)
    issue = get_issue(actor, issue_id)
    found = complaints_by_reference(actor, references)
    already = {c.id for c in issue.complaints}
    added = [c for c in found if c.id not in already]
    issue.complaints.extend(added)
    if added:
        data = {"issue_id": issue.id, "title": issue.title}
        audit.record(
            None,
            "systemic_issue_linked",
            actor=actor,
            summary=f"Systemic issue #{issue.id}: {len(added)} complaint(s) linked",
            data={**data, "complaints": [c.reference for c in added]},
        )
        _record_links("systemic_issue_linked", added, actor, **data)
    return added


def _alive(opened: Any, ended: Any, start: date | None, end: date | None) -> list[Any]:
    """Conditions for a thing opened at `opened` and ended at `ended` to overlap the period."""
    conditions = []
    if end is not None:
        conditions.append(opened < business_calendar.from_local(_midnight(end, 1)))
    if start is not None:
        conditions.append(
            or_(ended.is_(None), ended >= business_calendar.from_local(_midnight(start)))
        )
    return conditions


def _midnight(day: date, plus_days: int = 0) -> datetime:
    return datetime.combine(day + timedelta(days=plus_days), time())


def systemic_issues(
    viewer: User,
    *,
    status: str | None = None,
    start: date | None = None,
    end: date | None = None,
    complaint_id: int | None = None,
) -> list[SystemicIssue]:
    """Systemic issues, newest first; with start/end, those open at some time in the period."""
    require_reads(viewer)
    query = select(SystemicIssue).options(selectinload(SystemicIssue.complaints))
    if status == "active":
        query = query.where(SystemicIssue.status != "closed")
    elif status:
        query = query.where(SystemicIssue.status == status)
    if complaint_id is not None:
        query = query.where(
            exists().where(
                SystemicIssueComplaint.issue_id == SystemicIssue.id,
                SystemicIssueComplaint.complaint_id == complaint_id,
            )
        )
    query = query.where(*_alive(SystemicIssue.opened_at, SystemicIssue.closed_at, start, end))
    return list(
        db.session.scalars(query.order_by(SystemicIssue.opened_at.desc(), SystemicIssue.id))
    )


# ---------------------------------------------------------------------------------------------
# Improvement actions
# ---------------------------------------------------------------------------------------------


def staff() -> list[User]:
    """Active staff who may own an action, by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.active.is_(True), exists().where(UserRole.user_id == User.id))
            .order_by(User.name, User.id)
        )
    )


def _owner(owner_id: int | None) -> User:
    owner = db.session.get(User, owner_id) if owner_id else None
    if owner is None or not owner.active:
        raise InvalidInput("Choose the action's owner.", details={"owner": ["invalid"]})
    return owner


def open_action(
    actor: User,
    *,
    title: str,
    description: str = "",
    owner_id: int | None,
    due_date: date | None,
    complaint_ids: Iterable[int] = (),
    systemic_issue_id: int | None = None,
) -> ImprovementAction:
    """Open an improvement action (what, who, by when) with the complaints it answers."""
    require_manages(actor)
    if due_date is None:
        raise InvalidInput("Give a due date.", details={"due_date": ["required"]})
    issue = get_issue(actor, systemic_issue_id) if systemic_issue_id else None
    linked = _complaints_for(actor, complaint_ids)
    action = ImprovementAction(
        title=_text(title, "title", 200, required=True),
        description=_text(description, "description", 20_000),
        owner=_owner(owner_id),
        due_date=due_date,
        status="open",
        systemic_issue=issue,
        created_by=actor,
        created_at=utcnow(),
        complaints=linked,
    )
    db.session.add(action)
    db.session.flush()
    data = {"action_id": action.id, "title": action.title}
    audit.record(
        None,
        "improvement_action_opened",
        actor=actor,
        summary=f"Improvement action #{action.id} opened: {action.title}",
        data={
            **data,
            "owner": action.owner.name if action.owner else "",
            "due_date": due_date,
            "issue_id": systemic_issue_id,
            "complaints": [c.reference for c in linked],
        },
    )
    _record_links("improvement_action_linked", linked, actor, **data)
    return action


def can_update_action(user: User, action: ImprovementAction) -> bool:
    """Managers and the action's owner update its status and outcome."""
    return user.active and (manages_improvement(user) or action.owner_id == user.id)


def can_read_action(user: User, action: ImprovementAction) -> bool:
    """Report readers, and the action's owner."""
    return reads_improvement(user) or (user.active and action.owner_id == user.id)


def get_action(viewer: User, action_id: int) -> ImprovementAction:
    """An action the viewer may read (NotFound), or NotAllowed for staff without access."""
    action = db.session.get(ImprovementAction, action_id)
    if action is None:
        if not reads_improvement(viewer) and not owns_actions(viewer):
            raise NotAllowed("Your role does not give access to improvement actions.")
        raise NotFound("No such improvement action.")
    if not can_read_action(viewer, action):
        raise NotAllowed("Your role does not give access to improvement actions.")
    return action


def update_action(
    actor: User,
    action_id: int,
    *,
    status: str,
    outcome: str,
    due_date: date | None = None,
    owner_id: int | None = None,
) -> ImprovementAction:
    """Change an action's status and outcome (its owner or a manager); managers may also
    change its owner and due date."""
    action = get_action(actor, action_id)
    if not can_update_action(actor, action):
        raise NotAllowed("Only the action's owner or a manager updates it.")
    if status not in ACTION_STATUSES:
        raise InvalidInput("Unknown status.", details={"status": ["invalid"]})
    changes: dict[str, Any] = {}
    outcome = _text(outcome, "outcome", 20_000)
    if status == "done" and not outcome:
        raise InvalidInput(
            "Say what was done before marking the action done.", details={"outcome": ["required"]}
        )
    if status != action.status:
        changes["status"] = [action.status, status]
        action.status = status
        action.completed_at = utcnow() if status in ENDED_ACTION_STATUSES else None
    if outcome != action.outcome:
        changes["outcome"] = outcome
        action.outcome = outcome
    if manages_improvement(actor):
        if due_date is not None and due_date != action.due_date:
            changes["due_date"] = [action.due_date, due_date]
            action.due_date = due_date
        if owner_id is not None and owner_id != action.owner_id:
            owner = _owner(owner_id)
            changes["owner"] = [action.owner.name if action.owner else "", owner.name]
            action.owner = owner
    if changes:
        audit.record(
            None,
            "improvement_action_updated",
            actor=actor,
            summary=f"Improvement action #{action.id}: {action.status}",
            data={"action_id": action.id, **changes},
        )
    return action


def link_action_complaints(
    actor: User, action_id: int, references: Iterable[str]
) -> list[Complaint]:
    """Link more complaints to an action by reference; returns those newly linked."""
    require_manages(actor)
    action = get_action(actor, action_id)
    found = complaints_by_reference(actor, references)
    already = {c.id for c in action.complaints}
    added = [c for c in found if c.id not in already]
    action.complaints.extend(added)
    if added:
        data = {"action_id": action.id, "title": action.title}
        audit.record(
            None,
            "improvement_action_linked",
            actor=actor,
            summary=f"Improvement action #{action.id}: {len(added)} complaint(s) linked",
            data={**data, "complaints": [c.reference for c in added]},
        )
        _record_links("improvement_action_linked", added, actor, **data)
    return action.complaints


@dataclass(frozen=True)
class ActionFilter:
    """Which actions a list shows."""

    status: str | None = None  # one of ACTION_STATUSES, or "active" (open and in progress)
    owner_id: int | None = None
    overdue: bool = False
    start: date | None = None  # with end: actions alive at some time in the period
    end: date | None = None
    systemic_issue_id: int | None = None
    complaint_id: int | None = None


def _overdue_condition(on: date) -> Any:
    return and_(
        ImprovementAction.status.in_(ACTIVE_ACTION_STATUSES), ImprovementAction.due_date < on
    )


def _action_query(viewer: User, flt: ActionFilter) -> Select[Any]:
    query = select(ImprovementAction)
    if not reads_improvement(viewer):
        if not viewer.active:
            raise NotAllowed("Your role does not give access to improvement actions.")
        query = query.where(ImprovementAction.owner_id == viewer.id)  # an owner: their own
    if flt.status == "active":
        query = query.where(ImprovementAction.status.in_(ACTIVE_ACTION_STATUSES))
    elif flt.status:
        query = query.where(ImprovementAction.status == flt.status)
    if flt.owner_id is not None:
        query = query.where(ImprovementAction.owner_id == flt.owner_id)
    if flt.overdue:
        query = query.where(_overdue_condition(today()))
    if flt.systemic_issue_id is not None:
        query = query.where(ImprovementAction.systemic_issue_id == flt.systemic_issue_id)
    if flt.complaint_id is not None:
        query = query.where(
            exists().where(
                ImprovementActionComplaint.action_id == ImprovementAction.id,
                ImprovementActionComplaint.complaint_id == flt.complaint_id,
            )
        )
    return query.where(
        *_alive(ImprovementAction.created_at, ImprovementAction.completed_at, flt.start, flt.end)
    )


def actions(viewer: User, flt: ActionFilter | None = None) -> list[ImprovementAction]:
    """Actions the viewer may read (report readers: all; an owner: theirs), soonest due first."""
    query = _action_query(viewer, flt or ActionFilter())
    return list(
        db.session.scalars(
            query.options(
                selectinload(ImprovementAction.owner),
                selectinload(ImprovementAction.complaints),
            ).order_by(
                ImprovementAction.due_date.asc().nulls_last(),
                ImprovementAction.id,
            )
        )
    )


@dataclass(frozen=True)
class ActionSummary:
    """What the dashboard shows of the actions: how many are open, how many overdue."""

    open: int  # open or in progress, overdue ones included
    overdue: int
    overdue_actions: list[ImprovementAction]  # the longest overdue first, at most 10
    today: date


def summary(viewer: User) -> ActionSummary:
    """Open and overdue improvement actions (for the dashboard)."""
    require_reads(viewer)
    on = today()
    open_count, overdue_count = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(_as_int(_overdue_condition(on))), 0),
        ).where(ImprovementAction.status.in_(ACTIVE_ACTION_STATUSES))
    ).one()
    late = list(
        db.session.scalars(
            select(ImprovementAction)
            .options(selectinload(ImprovementAction.owner))
            .where(_overdue_condition(on))
            .order_by(ImprovementAction.due_date, ImprovementAction.id)
            .limit(SUMMARY_LIMIT)
        )
    )
    return ActionSummary(int(open_count or 0), int(overdue_count or 0), late, on)


def _as_int(condition: Any) -> Any:
    return case((condition, 1), else_=0)


def history(kind_prefix: str, key: str, value: int, limit: int = 200) -> list[AuditEvent]:
    """The events of one issue (`systemic_issue`, `issue_id`) or action, newest first.

    These events belong to no complaint; there are few of them (people write them), so the
    issue's or action's id is matched in Python rather than in a JSON query.
    """
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.complaint_id.is_(None), AuditEvent.kind.like(f"{kind_prefix}_%"))
        .order_by(AuditEvent.id.desc())
    )
    found = []
    for event in events:
        if (event.data or {}).get(key) == value:
            found.append(event)
            if len(found) >= limit:
                break
    return found
