"""Who may see and do what: pure predicates, and the matching query filters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, literal, not_, select, true
from sqlalchemy.orm import aliased

from services import roles
from services.db import db
from services.errors import NotAllowed, NotFound
from services.models import Complaint, Role, Task, User, UserRole

# Who reads (non-confidential) complaints: holders of a role that handles cases (the role
# table's lane flag, read with the user), and these.
NON_LANE_READERS = roles.NON_LANE_READERS
# Roles that read the reports (dashboard, recurring problems, management review); their
# figures count confidential complaints only for those cleared for them (sees_confidential).
REPORT_ROLES = frozenset({roles.MANAGER, roles.QUALITY_ANALYST, roles.SENIOR_MANAGEMENT})


def sees_confidential(user: User) -> bool:
    """Holders of a role with confidential clearance (the focal point's always has it), and
    staff an administrator cleared one by one, see confidential cases.

    Clearance is about seeing (lists, pages, tasks of their roles); handling confidential
    cases as such (reopening one without being a manager) stays the focal point's. The roles'
    flags come with the user's roles (one SELECT), never from a cache.
    """
    if handles_confidential(user) or user.confidential_clearance:
        return True
    return any(_definition(held).confidential_clearance for held in user.roles)


def holds_lane_role(user: User) -> bool:
    """True when the user holds a role that handles cases (the role table's lane flag)."""
    return any(_definition(held).handles_cases for held in user.roles)


def _definition(held: UserRole) -> Role:
    # A role given in this session and not yet flushed has no definition loaded yet.
    found = held.definition or db.session.get(Role, held.role)
    if found is None:
        raise NotFound(f"No such role: {held.role}.")
    return found


def _reads(user: User) -> bool:
    return bool(user.role_names & NON_LANE_READERS) or holds_lane_role(user)


def handles_confidential(user: User) -> bool:
    """The confidential focal point: the one role that runs confidential cases."""
    return user.has_role(roles.CONFIDENTIAL_FOCAL_POINT)


def can_view_complaint(user: User, complaint: Complaint) -> bool:
    """True when the user may know this complaint exists."""
    if not user.active:
        return False
    if not _reads(user):
        return False
    return not complaint.confidential or sees_confidential(user)


def visible_complaints_filter(user: User) -> ColumnElement[bool]:
    """The SQL form of can_view_complaint, for lists, searches and counts."""
    if not user.active:
        return false()
    if not _reads(user):
        return false()
    if sees_confidential(user):
        return true()
    return Complaint.confidential.is_(False)


def can_view_task(user: User, task: Task) -> bool:
    """A task is visible to holders of its role, subject to the complaint's confidentiality."""
    if not user.active or not user.has_role(task.role):
        return False
    # A task completed before its complaint was flagged keeps its old flag: the complaint decides.
    confidential = task.confidential or task.complaint.confidential
    return not confidential or sees_confidential(user)


def visible_tasks_filter(user: User) -> ColumnElement[bool]:
    """The SQL form of can_view_task."""
    if not user.active or not user.role_names:
        return false()
    condition = Task.role.in_(sorted(user.role_names))
    if not sees_confidential(user):
        condition = condition & Task.confidential.is_(False)
    return condition


def _latest_completions(
    complaint_id: Any, names: Any, aliases: tuple[Any, Any] | None = None
) -> Any:
    """Completed task rows of the complaint that are the latest completion of their task."""
    done, later = aliases or (aliased(Task), aliased(Task))
    newer = exists().where(
        later.complaint_id == done.complaint_id,
        later.name == done.name,
        later.status == "completed",
        later.completed_at > done.completed_at,
    )
    return done, and_(
        done.complaint_id == complaint_id, done.status == "completed", names(done), not_(newer)
    )


def excluded_by_four_eyes(user: User, task: Task) -> bool:
    """True when the task's notBy names a task this user did last in the same complaint.

    The latest completion counts: after a sign-off sent back and handled by someone else,
    the first handler may sign off the second handler's work.
    """
    names = (task.not_by or "").split()
    if not names:
        return False
    # A row not flushed yet (a task opening now) knows its complaint, not yet the id column.
    complaint_id = task.complaint_id if task.complaint_id is not None else task.complaint.id
    done, condition = _latest_completions(complaint_id, lambda t: t.name.in_(names))
    found = db.session.scalar(
        select(done.id).where(condition, done.completed_by_id == user.id).limit(1)
    )
    return found is not None


# Why a person may not be given a task: code -> English reason (assignment_problem).
ASSIGNMENT_PROBLEMS = {
    "unknown_assignee": "No active staff member has this id.",
    "assignee_lacks_role": "This person does not hold the task's role.",
    "assignee_not_cleared": "This person is not cleared to see confidential complaints.",
    "four_eyes": "This person handled an earlier step of this complaint: four-eyes rule.",
}


def assignment_problem(user: User | None, task: Task) -> str | None:
    """Why `user` may not be given `task` (a code of ASSIGNMENT_PROBLEMS), or None.

    The one rule for a manager's assignment and the diagram's (assignTo): an active person
    holding the task's role, cleared for a confidential complaint, not kept off by notBy.
    """
    if user is None or not user.active:
        return "unknown_assignee"
    if not user.has_role(task.role):
        return "assignee_lacks_role"
    if (task.confidential or task.complaint.confidential) and not sees_confidential(user):
        return "assignee_not_cleared"
    if excluded_by_four_eyes(user, task):
        return "four_eyes"
    return None


def four_eyes_excluded(task: Task) -> set[int]:
    """The users excluded_by_four_eyes keeps off the task, in one query (lists of people)."""
    names = (task.not_by or "").split()
    if not names:
        return set()
    done, condition = _latest_completions(task.complaint_id, lambda t: t.name.in_(names))
    found = db.session.scalars(select(done.completed_by_id).where(condition))
    return {user_id for user_id in found if user_id is not None}


# The inbox's four-eyes subquery builds on the same aliases every time: SQLAlchemy adapts an
# alias's columns once, which took a third of the Python time of an inbox query.
_FOUR_EYES_HELD = aliased(Task, name="four_eyes_held")
_FOUR_EYES_DONE_LATER = (
    aliased(Task, name="four_eyes_done"),
    aliased(Task, name="four_eyes_later"),
)


def four_eyes_filter(user: User) -> ColumnElement[bool]:
    """The SQL form of `not excluded_by_four_eyes`, for the inbox and its counts.

    The open tasks of the user's roles it keeps them off are found once, by a subquery that
    does not depend on the row: written per row (EXISTS), PostgreSQL costed it for each of a
    role's open tasks, and at a million complaints every inbox count passed the cost at which
    it compiles the query (JIT, 80 ms and more) although almost no task has a notBy.
    """
    held = _FOUR_EYES_HELD
    padded = literal(" ") + held.not_by + literal(" ")
    done, condition = _latest_completions(
        held.complaint_id,
        lambda t: padded.contains(literal(" ") + t.name + literal(" ")),
        _FOUR_EYES_DONE_LATER,
    )
    excluded = select(held.id).where(
        held.status == "open",
        held.not_by != "",
        held.role.in_(sorted(user.role_names)),
        condition,
        done.completed_by_id == user.id,
    )
    return Task.id.not_in(excluded)


def require_four_eyes(user: User, task: Task) -> Task:
    """The task, or NotAllowed when the four-eyes rule (notBy) keeps this user off it."""
    if excluded_by_four_eyes(user, task):
        raise NotAllowed(
            "Four-eyes rule: someone other than the person who handled an earlier step of "
            "this complaint must do this task."
        )
    return task


def require_reopens(user: User, complaint: Complaint) -> Complaint:
    """The complaint if the user may reopen it (a manager who sees it), else NotAllowed."""
    require_view_complaint(user, complaint)
    if not (
        user.has_role(roles.MANAGER) or (complaint.confidential and handles_confidential(user))
    ):
        raise NotAllowed("Only a manager reopens a case.")
    return complaint


def require_view_complaint(user: User, complaint: Complaint | None) -> Complaint:
    """The complaint, or NotFound: an invisible complaint does not exist for this user."""
    if complaint is None or not can_view_complaint(user, complaint):
        raise NotFound("No such complaint.")
    return complaint


def oversees_task(user: User, task: Task) -> bool:
    """Managers read every task they may see the complaint of, whatever its role (to
    reassign it); working on it still takes its role."""
    if not user.active or not user.has_role(roles.MANAGER):
        return False
    return not (task.confidential or task.complaint.confidential) or sees_confidential(user)


def require_administrator(user: User) -> User:
    """The user if they are an administrator (the administration pages), else NotAllowed:
    a refusal that names no one page, as the pages behind it have their own checks."""
    if not (user.active and user.has_role(roles.ADMINISTRATOR)):
        raise NotAllowed("Only administrators open the administration pages.")
    return user


def require_view_task(user: User, task: Task | None) -> Task:
    """The task, or NotFound; NotAllowed for a manager who reads it without holding its role
    (the task exists for them: a 404 after a 200 would say otherwise)."""
    if task is None or not can_view_task(user, task):
        if task is not None and oversees_task(user, task):
            raise NotAllowed(
                "Your roles do not include this task's: you may read it, not work on it."
            )
        raise NotFound("No such task.")
    return task


def require_work_task(user: User, task: Task | None) -> Task:
    """The task if the user may complete it now, else NotFound or NotAllowed."""
    task = require_view_task(user, task)
    if task.assignee_id is not None and task.assignee_id != user.id:
        name = task.assignee.name if task.assignee else "someone else"
        raise NotAllowed(f"This task is assigned to {name}.")
    return task


def works_on_tasks(user: User) -> bool:
    """Staff holding a lane role have a task inbox."""
    return user.active and holds_lane_role(user)


def reads_complaints(user: User) -> bool:
    """Staff who may list and read (non-confidential) complaints."""
    return user.active and _reads(user)


def records_complaints(user: User) -> bool:
    """Intake agents record complaints that came in by telephone, letter, email and so on."""
    return user.active and user.has_role(roles.INTAKE_AGENT)


def require_records_complaints(user: User) -> User:
    """The user if they may record complaints, else NotAllowed."""
    if not records_complaints(user):
        raise NotAllowed("Only intake agents record complaints.")
    return user


def manages_processes(user: User) -> bool:
    """Process owners validate, deploy and roll back the procedure and migrate complaints."""
    return user.active and user.has_role(roles.PROCESS_OWNER)


def require_manages_processes(user: User) -> User:
    """The user if they may change the procedure, else NotAllowed."""
    if not manages_processes(user):
        raise NotAllowed("Only process owners change the procedure.")
    return user


def needs_own_actions_entry(user: User) -> bool:
    """True for staff without a report role who own an open improvement action: their way to
    it is their own entry, since the reports' pages (/improvement, the dashboard) stay closed."""
    from services.improvement import ACTIVE_ACTION_STATUSES  # improvement imports this module
    from services.models import ImprovementAction

    if not user.active or user.role_names & REPORT_ROLES:
        return False
    found = db.session.scalar(
        select(ImprovementAction.id)
        .where(
            ImprovementAction.owner_id == user.id,
            ImprovementAction.status.in_(ACTIVE_ACTION_STATUSES),
        )
        .limit(1)
    )
    return found is not None
