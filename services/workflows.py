"""Running a complaint's procedure: start, complete tasks, deliver messages, fire timers.

Each function loads the complaint's workflow, acts, runs the engine to the next wait and
saves: the state (version-checked), the task table, the complaint's projected columns,
notifications and the audit trail. The caller commits once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key

from forms.text import N_
from services import (
    attachments,
    audit,
    departments,
    diagram_rules,
    documents,
    engine,
    events,
    form_definitions,
    notifications,
    permissions,
    procedure_summary,
    processes,
    providers,
    report_columns,
    sensitive,
    service_levels,
    staff_notices,
    tasks,
    timer_attempts,
    timers,
    users,
)
from services.clock import as_utc, step_time, utcnow
from services.db import database_locked, db
from services.errors import Conflict, InvalidInput, NotFound, TaskAlreadyCompleted
from services.models import (
    Complaint,
    ProcessInstance,
    ProcessVersion,
    Task,
    User,
    new_version_token,
)

if TYPE_CHECKING:
    from forms.base import TaskForm

# Status shown while the engine waits for the complainant rather than for staff.
WAITING_STATUS = {
    "information_received": "awaiting_information",
    "survey_answered": "awaiting_feedback",
}
MESSAGE_INFORMATION = "information_received"
MESSAGE_SURVEY = "survey_answered"
MESSAGE_APPEAL = "appeal_requested"
MESSAGE_REOPEN = "case_reopened"
MESSAGE_WITHDRAW = "complaint_withdrawn"
# Phases of tasks that run beside the case (overdue reviews, follow-ups): they do not set the
# status the complainant sees.
BACKGROUND_PHASES = frozenset({"overdue_review", "follow_up"})

logger = logging.getLogger(__name__)


@contextmanager
def _engine_errors_logged(complaint: Complaint) -> Iterator[None]:
    """Log an engine failure with the complaint and the element; staff get the short message."""
    try:
        yield
    except engine.StepError as exc:
        logger.error(
            "engine error on complaint %s at element %s: %s",
            complaint.reference,
            exc.element_id or "-",
            exc.detail,
            exc_info=exc,
            extra={"complaint_reference": complaint.reference, "element_id": exc.element_id},
        )
        raise


def start(complaint: Complaint, data: Mapping[str, Any]) -> ProcessInstance:
    """Start the active procedure for a newly registered complaint."""
    version = processes.active_version()
    seed = {
        **audit.jsonable(dict(data)),
        "reference": complaint.reference,
        "channel": complaint.channel,
        "anonymous": complaint.anonymous,
        "information_requests": 0,
        "sensitive_at_intake": bool(complaint.sensitive_at_intake),
    }
    with _engine_errors_logged(complaint):
        wf = engine.start_workflow(processes.specs_of(version), seed)
    instance = ProcessInstance(
        complaint=complaint, process_version=version, state="", completed=False
    )
    db.session.add(instance)
    _save(complaint, instance, wf)
    return instance


def _load(instance: ProcessInstance, *, to_save: bool = False) -> Any:
    """The instance's workflow: taken from the in-memory cache when it is the saved version.
    `to_save`: the caller saves it (engine.load_workflow)."""
    wf = engine.WORKFLOWS.take((instance.id, instance.version_token))
    if wf is None:
        specs = processes.specs_of(instance.process_version)
        wf = engine.load_workflow(specs, instance.state, to_save=to_save)
    return wf


def _keep(instance: ProcessInstance, wf: Any) -> None:
    """Put an unchanged or just-saved workflow back in the cache under its version."""
    engine.WORKFLOWS.put((instance.id, instance.version_token), wf, len(instance.state or ""))


def _save(
    complaint: Complaint,
    instance: ProcessInstance,
    wf: Any,
    *,
    completed_task_id: str | None = None,
) -> None:
    """Write back everything derived from the workflow, then flush with the version check."""
    now = step_time()
    # The procedure's first save: the clocks it starts count from the complaint's receipt.
    receipt = as_utc(complaint.received_at) if instance.id is None else None
    state = engine.snapshot(wf)
    # Drain thrown messages before dumping: they are acted on now, not stored. (Taken here,
    # sent below once the clocks are in step: the report columns read their names first.)
    thrown = engine.thrown_messages(wf)
    # The filing's first save has no "before": filing is its own event.
    before = None if receipt is not None else complaint.status
    with _stale_state_is_a_conflict():
        _project(complaint, state, now)
        # The change feed's row, before the first flush: one INSERT with the step's own.
        events.record_progress(complaint, before, now)
        # Before the first autoflush, so the complaint's row is updated once.
        names = [m.name for m in thrown]
        closing = report_columns.project(complaint, state.data, names, now, completed_task_id)
        clocks = service_levels.sync(complaint, wf, state, now, receipt=receipt)
        _sync_tasks(complaint, state, now, completed_task_id, clocks.clocks)
        # The deadlines letters quote are read only for a step that sends something: most
        # completions throw no message.
        letter_data = (
            {**state.data, **_deadlines(wf), **_answer_due(state, clocks.clocks)} if thrown else {}
        )
        for message in thrown:
            notice = notifications.send(complaint, message.name, letter_data, message.payload)
            documents.attach_letter(complaint, notice)  # a signed letter: its PDF too
        report_columns.project_clocks(complaint, state.data, clocks.clocks, closing)
        saved = {
            "state": engine.dump_workflow(wf),
            "completed": state.completed,
            # A timer set to its clock's due time (a pause, an extension) moves the next
            # wake-up.
            "next_timer_due": (
                engine.next_timer_due(wf) if clocks.timers_moved else state.next_timer_due
            ),
        }
        if instance.id is None:  # the filing: the row is new
            for name, value in saved.items():
                setattr(instance, name, value)
            db.session.flush()
        else:
            db.session.flush()
            # After the complaint's row, as the ORM orders them (a complaint's row is always
            # locked before its workflow's, so two saves of one complaint never deadlock).
            _write_state(instance, saved, now)
    # The new version token exists now; a later rollback leaves a key no row will match.
    _keep(instance, wf)


def _write_state(instance: ProcessInstance, saved: dict[str, Any], now: datetime) -> None:
    """UPDATE the workflow's row with the version check, in one Core statement.

    What the ORM's flush would send for it, without its unit of work for one more mapper
    (a flush costs per mapper it visits, more than the statement). Called after the step's
    flush, which wrote (with its own check) any other change to the row; the new values are
    then the object's committed ones, so a later flush has nothing to add for it.
    """
    token = new_version_token()
    values = {**saved, "version_token": token, "updated_at": now}
    result = db.session.connection().execute(
        _state_update(), {**values, "row_id": instance.id, "seen_token": instance.version_token}
    )
    if result.rowcount != 1:
        raise StaleDataError("process_instance: the row changed since it was read")
    for name, value in values.items():
        set_committed_value(instance, name, value)


@cache
def _state_update() -> Any:
    table = ProcessInstance.__table__
    return (
        table.update()
        .where(table.c.id == bindparam("row_id"), table.c.version_token == bindparam("seen_token"))
        .values(
            state=bindparam("state"),
            completed=bindparam("completed"),
            next_timer_due=bindparam("next_timer_due"),
            version_token=bindparam("version_token"),
            updated_at=bindparam("updated_at"),
        )
    )


@contextmanager
def _stale_state_is_a_conflict() -> Iterator[None]:
    """Turn a lost optimistic-lock race (at flush or autoflush) into a clear domain error."""
    try:
        yield
    except StaleDataError as exc:
        raise TaskAlreadyCompleted(
            "Someone else changed this complaint at the same time; reload and try again.",
            code="concurrent_change",
        ) from exc
    except IntegrityError as exc:
        # A row the step adds (the clock of the next step, say) was just added by a concurrent
        # save of the same complaint: on PostgreSQL that INSERT waits for the other commit
        # and breaks the unique key before the version check is reached. The same lost race.
        if not _unique_violation(exc):
            raise
        raise TaskAlreadyCompleted(
            "Someone else changed this complaint at the same time; reload and try again.",
            code="concurrent_change",
        ) from exc
    except OperationalError as exc:
        if database_locked(exc):  # SQLite: another writer holds the database
            raise Conflict("The complaint is busy; try again.", code="concurrent_change") from exc
        raise


def _unique_violation(exc: IntegrityError) -> bool:
    # PostgreSQL's SQLSTATE for a unique key, or SQLite's message.
    return getattr(exc.orig, "sqlstate", None) == "23505" or "UNIQUE constraint" in str(exc.orig)


def _project(complaint: Complaint, state: engine.Snapshot, now: datetime) -> None:
    """Copy the fields lists and reports filter on from the case data to the complaint."""
    data = state.data
    for name in ("category", "severity", "route"):
        if data.get(name):
            setattr(complaint, name, data[name])
    if data.get("financial_impact") is not None:
        complaint.financial_impact = data["financial_impact"]
    # Once confidential, always confidential.
    if data.get("sensitive") or data.get("route") == "confidential":
        complaint.confidential = True
    survey = data.get("survey")
    if isinstance(survey, Mapping) and survey.get("score") is not None:
        complaint.satisfaction_score = int(survey["score"])
        complaint.satisfaction_comment = str(survey.get("comment") or "")
    ready = [t for t in state.ready if t.phase not in BACKGROUND_PHASES]
    waiting = [s for name, s in WAITING_STATUS.items() if name in state.waiting_messages]
    if ready:
        complaint.status = ready[0].phase or "in_progress"
    elif waiting:
        complaint.status = waiting[0]
    elif state.outcome is not None or state.completed:
        complaint.status = "closed"
    else:
        complaint.status = "in_progress"
    # The outcome is the main path's last end event, reached even while the appeal window
    # waits; a case reopened for review has none until the review's own end.
    complaint.outcome = state.outcome if complaint.status == "closed" else None
    # Closed when staff work is done (the sign-off): the survey's arrival does not move it.
    if complaint.status in ("closed", "awaiting_feedback"):
        complaint.closed_at = complaint.closed_at or now


def _sync_tasks(
    complaint: Complaint,
    state: engine.Snapshot,
    now: datetime,
    completed_task_id: str | None,
    clocks: Mapping[str, Any],
) -> None:
    """Open a row for each new READY user task; close rows the engine no longer waits for.

    Open rows take their clock, due time and at-risk time from the clock covering them
    (services.service_levels), so a pause or an extension moves them.
    """
    # Loaded with the task being completed, or lazily here (one SELECT); a row completed or
    # withdrawn earlier in this session is no longer open.
    open_rows = (
        {row.id: row for row in complaint.open_task_rows if row.status == "open"}
        if complaint.id is not None
        else {}
    )
    still_open: list[Task] = []
    for info in state.ready:
        row = open_rows.pop(info.id, None)
        clock, due_at, at_risk_at = service_levels.task_fields(info, clocks)
        if row is None:
            row = Task(
                id=info.id,
                complaint=complaint,
                name=info.name,
                title=info.title,
                form_key=info.form_key or "",
                role=info.lane or "",
                due_at=due_at,
                clock=clock,
                at_risk_at=at_risk_at,
                created_at=now,
                not_by=" ".join(info.not_by),
                **_case_columns(complaint),
            )
            departments.route_task(row, info.properties)  # the diagram's `team` property
            db.session.add(row)
            _assign_from_diagram(complaint, row, info, state.data)
            still_open.append(row)
            if row.assignee is not None:  # given on creation (assignTo): tell them
                staff_notices.task_assigned(row, row.assignee, None)
        else:
            still_open.append(row)
            if clock is None:
                # A fired timer (no clock) reports no due time: keep it, the task is overdue.
                due_at, at_risk_at = due_at or as_utc(row.due_at), None
            # Written only when changed: SQLite hands back naive times that never compare equal.
            if (row.clock, as_utc(row.due_at), as_utc(row.at_risk_at)) != (
                clock,
                due_at,
                at_risk_at,
            ):
                row.clock, row.due_at, row.at_risk_at = clock, due_at, at_risk_at
            for name, value in _case_columns(complaint).items():
                setattr(row, name, value)
    for row in open_rows.values():
        if row.id != completed_task_id:
            # The procedure went on without it: its step was done, or the case ended.
            row.status = "cancelled"
            row.completed_at = now
            audit.record(
                complaint.id,
                "task_withdrawn",
                task_name=row.name,
                summary=f"{row.title}: withdrawn, the procedure no longer needs it",
            )
    set_committed_value(complaint, "open_task_rows", still_open)
    if complaint.confidential:
        # Earlier (completed) tasks must vanish from other staff's lists too.
        db.session.execute(
            db.update(Task)
            .where(Task.complaint_id == complaint.id, Task.confidential.is_(False))
            .values(confidential=True)
            .execution_options(synchronize_session="fetch")
        )


def _assign_from_diagram(
    complaint: Complaint, row: Task, info: engine.UserTaskInfo, data: Mapping[str, Any]
) -> None:
    """Give a new task to the person its `assignTo` names: a user name in quotes, or the data
    field holding a user's id (escalate_to).

    Only someone who may take it (permissions.assignment_problem: active, holding the lane's
    role, cleared for a confidential case, not kept off by notBy); otherwise the task stays in
    its role's queue and the case's history says whom the diagram named and why not.
    """
    named = info.properties.get("assignTo")
    if not named:
        return
    username = diagram_rules.assigned_username(named)
    if username is not None:
        user, wanted = users.by_username(username), username
    else:
        value = data.get(named)
        if value in (None, ""):
            return  # nobody chosen
        try:
            user = db.session.get(User, int(value))
        except (TypeError, ValueError):
            user = None
        wanted = str(value)
    problem = permissions.assignment_problem(user, row)
    if problem is None:
        row.assignee = user
        return
    person = user.name if user is not None else wanted
    logger.warning(
        "complaint %s: %s not given to %s (%s), as the diagram's assignTo asks",
        complaint.reference,
        row.name,
        person,
        problem,
    )
    audit.record(
        complaint.id,
        "assignment_fell_back",
        task_name=row.name,
        summary=f"{row.title}: not given to {person} "
        f"({permissions.ASSIGNMENT_PROBLEMS[problem]}); left in the {row.role} queue",
        data={
            "reason": problem,
            "person": person,
            "user_id": user.id if user is not None else None,
            "role": row.role,
            "assign_to": named,
            "title": row.title,
        },
    )


# The deadlines letters quote, read from the timer racing each awaited message: the appeal
# window's end, the day the complainant's missing information is due.
LETTER_DEADLINES = {"appeal_until": MESSAGE_APPEAL, "reply_until": MESSAGE_INFORMATION}


def _deadlines(wf: Any) -> dict[str, str]:
    """Deadlines letters quote, read from the diagram's timers (appeal window, reply)."""
    found: dict[str, str] = {}
    for key, message in LETTER_DEADLINES.items():
        due = engine.message_deadline(wf, message)
        if due is not None:
            # ISO: each message writes the date in its complainant's language.
            found[key] = due.isoformat()
    return found


def _answer_due(state: engine.Snapshot, clocks: Mapping[str, Any]) -> dict[str, str]:
    """When our answer is due (the acknowledgement says it): the whole-case clock's due time."""
    dues = [
        as_utc(row.due_at)
        for name, row in clocks.items()
        if name in state.case_clocks and row.state in service_levels.OPEN_STATES and row.due_at
    ]
    return {"respond_by": min(dues).isoformat()} if dues else {}


def _case_columns(complaint: Complaint) -> dict[str, Any]:
    """The complaint's columns an open task row carries for the inbox."""
    return {
        "confidential": complaint.confidential,
        "reference": complaint.reference or "",
        "complainant_name": complaint.complainant_name,
        "anonymous": complaint.anonymous,
        "category": complaint.category,
        "severity": complaint.severity,
        "channel": complaint.channel,
        "case_status": complaint.status,
        "department": complaint.department,
    }


def task_form(task: Task, formdata: Any = None, data: Mapping[str, Any] | None = None) -> Any:
    """The task's form (from its complaint's process version), bound to submitted data, with
    the choices it fills from the database."""
    found = form_definitions.definition(task)
    form = found.form_class(formdata=formdata, data=data)
    people: tuple[list[User], list[User]] | None = None
    for name, source in found.fills.items():
        if source == "support_services":
            form.fill_choices(name, providers.choices())
        else:  # the people an overdue step may go to
            people = people or tasks.overdue_people(task, step_names(task))
            chosen = people[0] if source == "overdue_reassign" else people[1]
            form.fill_choices(name, [(u.id, u.name) for u in chosen])
    files = [name for name, kind in found.form_class.field_types.items() if kind == "file"]
    if files:  # a file field is completed with the files attached to the task
        attached = [{"id": a.id, "name": a.filename} for a in attachments.for_task(task.id)]
        for name in files:
            form[name].data = list(attached)
    return form


def properties(task: Task) -> dict[str, str]:
    """The spiffworkflow:properties the diagram gives the task (watches, notBy, assignTo...)."""
    specs = processes.specs_of(task.complaint.instance.process_version)
    return engine.task_properties(specs, task.name)


def step_names(task: Task) -> set[str]:
    """The tasks of the step a review watches (its `watches` property), or none."""
    watched = properties(task).get("watches")
    if not watched:
        return set()
    return engine.step_task_names(
        processes.specs_of(task.complaint.instance.process_version), watched
    )


def _completion_query(task_id: str) -> Task | None:
    # One round trip for the task, its complaint, the complaint's workflow row with its
    # version's id and hash (the parsed spec is cached by them), its clocks and open tasks:
    # everything the save reads. A query, not session.get, so that a task already in the
    # session gets the rest filled in.
    return db.session.scalars(_completion_select(), {"task_id": task_id}).unique().one_or_none()


@cache
def _completion_select() -> Any:
    # Built once, not per request: building it and its cache key was 3% of a completion.
    case = joinedload(Task.complaint)
    return (
        db.select(Task)
        .where(Task.id == bindparam("task_id"))
        .options(
            case.joinedload(Complaint.instance)
            .joinedload(ProcessInstance.process_version)
            .load_only(ProcessVersion.content_hash),
            case.joinedload(Complaint.clock_rows),
            case.joinedload(Complaint.open_task_rows),
        )
    )


def _loaded_for_completion(task_id: str) -> Task | None:
    """The task with what its completion reads, from the session when a view already loaded
    it that way (task_to_complete), else in one query."""
    task = db.session.identity_map.get(identity_key(Task, task_id))
    if task is not None and "complaint" in task.__dict__:
        case = task.complaint.__dict__
        if "clock_rows" in case and "open_task_rows" in case and "instance" in case:
            return task
    return _completion_query(task_id)


def task_to_complete(actor: User, task_id: str) -> Task:
    """A task the actor may see, loaded with everything completing it reads (for views
    that look at the task, to choose its form, before completing it)."""
    return permissions.require_view_task(actor, _completion_query(task_id))


def complete_task(
    task_id: str, actor: User, formdata: Any = None, *, form: TaskForm | None = None
) -> Task:
    """Validate the submitted form data with the task's form and complete the task.

    `form`, instead of `formdata`: the task's form (task_form) bound to the data and already
    validated by the caller (the API, which checks its schema too), not validated again.
    Raises NotFound/NotAllowed (authorisation), InvalidInput (with field errors),
    TaskAlreadyCompleted (someone else was first). Nothing is written unless it succeeds.
    """
    loaded = _loaded_for_completion(task_id)
    task = permissions.require_work_task(actor, loaded)
    if task.status != "open":
        if task.completed_by is None:
            raise TaskAlreadyCompleted("The procedure already went past this task.")
        raise TaskAlreadyCompleted(
            "This task was already completed by %(name)s.",
            params={"name": task.completed_by.name},
        )
    permissions.require_four_eyes(actor, task)
    if form is None:
        form = task_form(task, formdata)
        form.validate()
    if form.errors:
        raise InvalidInput("Please correct the highlighted fields.", details=form.errors)
    data = form.task_data()
    complaint = task.complaint
    original = _duplicated(actor, complaint, data)
    instance = complaint.instance
    watched = step_names(task)
    wf = _load(instance, to_save=True)
    with _engine_errors_logged(complaint):
        _fire_late_timers(complaint, instance, wf)
        engine.run_user_task(wf, task_id, data)
    if original is not None:
        complaint.duplicate_of = original
    on_time = set[str]()
    working_days = saturdays = False
    if watched and data.get("overdue_action") == "deadline_extended":
        on_time, working_days, saturdays = _extend(
            task, complaint, wf, watched, int(data["extend_days"])
        )
    task.status = "completed"
    task.completed_at = utcnow()
    task.completed_by = actor
    task.assignee = task.assignee or actor
    task.data = audit.jsonable(data)
    audit.record(
        complaint.id,
        "task_completed",
        actor=actor,
        task_name=task.name,
        summary=task.title,
        data=data,
    )
    sensitive.apply_task_data(complaint, task.form_key, data, actor)
    _save(complaint, instance, wf, completed_task_id=task_id)
    if watched:
        tasks.act_on_overdue_review(
            actor,
            task,
            watched,
            data,
            timer_moved=on_time,
            working_days=working_days,
            saturdays=saturdays,
        )
    return task


def _extend(
    review: Task, complaint: Complaint, wf: Any, watched: set[str], days: int
) -> tuple[set[str], bool, bool]:
    """An overdue review extends the deadline: the watched step's clocks move by `days`
    working days, counted as each clock's target counts them (Saturdays too for jours
    ouvrables; the save then moves its tasks and engine timer); in a diagram without clocks,
    the waiting timers covering the step move by `days` calendar days.

    Returns the ids of the open tasks whose due time follows, whether days were working, and
    whether they counted Saturdays (every clock moved counts them).
    """
    step_tasks = tasks.open_step_tasks(complaint.id, watched)
    specs = processes.specs_of(complaint.instance.process_version)
    names = service_levels.watched_clocks(specs, properties(review).get("watches", ""), step_tasks)
    moved = service_levels.extend(complaint, names, days)
    if moved:
        names = {row.name for row in moved}
        saturdays = all(service_levels.counts_saturdays(row.target) for row in moved)
        return {t.id for t in step_tasks if t.clock in names}, True, saturdays
    return engine.postpone_timers(wf, watched, timedelta(days=days)), False, False


def _fire_late_timers(complaint: Complaint, instance: ProcessInstance, wf: Any) -> None:
    """Fire the timers already due before a person acts, as the timer loop would have.

    Otherwise the engine fires them itself (it reads the real time) in the middle of the
    person's step: a registration done just after its overdue-review timer fell due, before
    the loop's next round, ended its subprocess with the timer branch's data and failed. A
    reply that comes after its deadline now meets the deadline's branch, as it should.
    This process living through the evaluation ends the deaths the timer rounds counted for
    these timers: a later death is a first one again (services.timer_attempts).
    """
    now = utcnow()
    due = as_utc(instance.next_timer_due)
    if due is None or due > now:
        return
    try:
        fired = engine.fire_due_timers(wf, now)
    finally:
        timer_attempts.end(complaint.id)
    for name in fired:
        audit.record(complaint.id, "timer_fired", summary=name, data={"at": now})


def _duplicated(actor: User, complaint: Complaint, data: Mapping[str, Any]) -> Complaint | None:
    """The complaint a registration closes this one as a duplicate of, or InvalidInput.

    It must exist, be another complaint, and be one the actor may see: a confidential
    complaint is "not found" for everyone else, so its reference cannot be probed here.
    """
    if data.get("registration_outcome") != "duplicate":
        return None
    reference = str(data.get("duplicate_of") or "")
    original: Complaint | None = db.session.scalar(
        db.select(Complaint).where(Complaint.reference == reference)
    )
    message: str
    if original is None or not permissions.can_view_complaint(actor, original):
        # A Text: pages and the API say it in their reader's language.
        message = N_("No complaint has the reference %(reference)s.", reference=reference)
    elif original.id == complaint.id:
        message = N_("A complaint cannot duplicate itself: give the reference of the other one.")
    else:
        return original
    raise InvalidInput(
        "Please correct the highlighted fields.", details={"duplicate_of": [message]}
    )


def deliver_message(
    complaint: Complaint, name: str, payload: Mapping[str, Any], actor: User | None = None
) -> None:
    """Hand a reply (information, survey, review request...) to the waiting procedure.

    Without `actor` it comes from the complainant and shows on their timeline.
    """
    instance = complaint.instance
    wf = _load(instance, to_save=True)
    with _engine_errors_logged(complaint):
        _fire_late_timers(complaint, instance, wf)
        engine.send_message(wf, name, payload)
    audit.record(
        complaint.id,
        "message_received",
        actor=actor,
        actor_label=None if actor is not None else audit.COMPLAINANT,
        task_name=name,
        summary=name,
        data=payload,
        public=actor is None,
    )
    _save(complaint, instance, wf)


def reopen(
    complaint: Complaint, message: str, payload: Mapping[str, Any], actor: User | None
) -> None:
    """Reopen a closed case on the review path (the complainant's appeal, or staff).

    Counted on the complaint and recorded in its audit trail; it is closed again when the
    review's letter goes out.
    """
    if message not in waiting_for(complaint):
        raise Conflict("This case cannot be reopened any more: the appeal window is over.")
    complaint.reopen_count = (complaint.reopen_count or 0) + 1
    complaint.closed_at = None
    audit.record(
        complaint.id,
        "reopened",
        actor=actor,
        actor_label=None if actor is not None else audit.COMPLAINANT,
        summary=str(payload.get("reason") or ""),
        data=dict(payload),
    )
    deliver_message(complaint, message, payload, actor)


def reopen_by_staff(complaint: Complaint, actor: User, reason: str) -> None:
    """A manager reopens a closed case with a reason (message case_reopened)."""
    permissions.require_reopens(actor, complaint)
    if not reason.strip():
        raise InvalidInput("Give the reason for reopening.", details={"reason": ["Required."]})
    reopen(complaint, MESSAGE_REOPEN, {"reason": reason.strip()}, actor)


def migrate(complaint: Complaint, version: ProcessVersion) -> None:
    """Move the complaint's running procedure onto another version of its process and save.

    Raises Conflict naming the reasons when the engine refuses (nothing is written then).
    Open tasks keep their ids, assignees and clocks; their title, form and role follow the
    new version. Used by services.instance_migration, which checks and audits.
    """
    instance = complaint.instance
    wf = _load(instance, to_save=True)
    engine.migrate_instance(wf, processes.specs_of(version))
    instance.process_version = version
    _save(complaint, instance, wf)
    ready = {info.id: info for info in engine.snapshot(wf).ready}
    for row in db.session.scalars(
        db.select(Task).where(Task.complaint_id == complaint.id, Task.status == "open")
    ):
        info = ready.get(row.id)
        if info is not None:
            row.title, row.form_key, row.role = info.title, info.form_key or "", info.lane or ""
    db.session.flush()


def _read(complaint: Complaint) -> engine.Snapshot:
    instance = complaint.instance
    wf = _load(instance)
    try:
        return engine.snapshot(wf)
    finally:
        _keep(instance, wf)


def waiting_for(complaint: Complaint) -> set[str]:
    """The messages the complaint's procedure is waiting for now."""
    if complaint.instance is None or complaint.instance.completed:
        return set()
    return _read(complaint).waiting_messages


def appeal_deadline(complaint: Complaint) -> datetime | None:
    """Until when the complainant may ask for a review (the appeal window's timer)."""
    return message_deadline(complaint, MESSAGE_APPEAL)


def message_deadline(complaint: Complaint, message: str) -> datetime | None:
    """Until when the procedure waits for `message` (the timer racing it), or None."""
    instance = complaint.instance
    if instance is None or instance.completed:
        return None
    wf = _load(instance)
    try:
        return engine.message_deadline(wf, message)
    finally:
        _keep(instance, wf)


def message_preview(
    complaint: Complaint, name: str, *, now: datetime | None = None
) -> notifications.Preview:
    """The message `name` as the procedure would send it now, for the person signing it off.

    The case data as it stands, the payload the diagram throws with it (the recourse), and
    the deadlines it quotes counted from now (the appeal window starts when it is sent).
    """
    now = now or utcnow()
    summary = procedure_summary.summary_of(complaint.instance.process_version)
    data = dict(case_data(complaint))
    wait = summary.message_waits.get(MESSAGE_APPEAL)
    if wait is not None:
        data["appeal_until"] = (now + wait).isoformat()
    return notifications.preview(complaint, name, data, summary.payloads.get(name))


def case_data(complaint: Complaint) -> dict[str, Any]:
    """The freshest case data of a complaint (for task pages and letters)."""
    return _read(complaint).data


@dataclass(frozen=True)
class Diagram:
    """A complaint's process diagram: the BPMN text of its version and where the case stands."""

    file_name: str
    xml: str
    current: list[str]
    done: list[str]


def diagram(complaint: Complaint) -> Diagram:
    """The BPMN diagram the complaint runs on (its own version), with current and done steps."""
    instance = complaint.instance
    version = instance.process_version
    bpmn = {name: text for name, text in version.files.items() if name.endswith(".bpmn")}
    if not bpmn:
        raise NotFound("This process version has no BPMN diagram.")
    marker = f'id="{version.process_id}"'
    file_name = next(
        (name for name in bpmn if name == f"{version.process_id}.bpmn"),
        next((name for name in sorted(bpmn) if marker in bpmn[name]), min(bpmn)),
    )
    wf = _load(instance)
    try:
        current, done = engine.active_element_ids(wf), engine.completed_element_ids(wf)
    finally:
        _keep(instance, wf)
    return Diagram(file_name=file_name, xml=bpmn[file_name], current=current, done=done)


def instructions(task: Task) -> str:
    """What the diagram tells the person doing `task` (its instructionsForEndUser)."""
    specs = processes.specs_of(task.complaint.instance.process_version)
    return engine.task_instructions(specs, task.name)


@dataclass
class TickReport:
    """What one timer run did."""

    fired: dict[str, list[str]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    # Complaints set aside in this run (reference -> the deaths of the timer process counted).
    set_aside: dict[str, int] = field(default_factory=dict)
    # Service levels: (reference, clock) marked breached, and told "at risk", in this run.
    clocks: service_levels.ClockReport = field(default_factory=service_levels.ClockReport)


def _due(now: datetime, limit: int = 500) -> list[tuple[int, int]]:
    """(instance id, complaint id) of the instances with a timer due at `now`, earliest first."""
    return [
        (instance_id, complaint_id)
        for instance_id, complaint_id in db.session.execute(
            db.select(ProcessInstance.id, ProcessInstance.complaint_id)
            .join(Complaint, Complaint.id == ProcessInstance.complaint_id)
            .where(
                timers.runnable(),
                ProcessInstance.completed.is_(False),
                ProcessInstance.next_timer_due.is_not(None),
                ProcessInstance.next_timer_due <= now,
            )
            .order_by(ProcessInstance.next_timer_due)
            .limit(limit)
        )
    ]


def due_instances(now: datetime, limit: int = 500) -> list[int]:
    """Ids of instances with a timer due at `now`."""
    return [instance_id for instance_id, _complaint_id in _due(now, limit)]


def next_due() -> datetime | None:
    """When the earliest pending timer of any running complaint falls due, or a service-level
    clock turns at risk or runs out (the timer loop wakes up for both)."""
    due = db.session.scalar(
        db.select(db.func.min(ProcessInstance.next_timer_due))
        .join(Complaint, Complaint.id == ProcessInstance.complaint_id)
        .where(ProcessInstance.completed.is_(False), timers.runnable())
    )
    found = [d for d in (as_utc(due), service_levels.next_event()) if d is not None]
    return min(found, default=None)


def tick(now: datetime | None = None) -> TickReport:
    """Fire every timer due at `now` (default: the current time), one savepoint per complaint,
    then mark the service-level clocks that ran out and send the "at risk" notices due.

    A complaint whose timers fail is left as it was and reported, with the error kept on
    it (services.timers); the others go ahead. A database failure is raised, not recorded.
    A complaint whose evaluation ended the process itself (the diagram-code backstop, so the
    round's transaction died too) is found in the attempt ledger by a later round, and set
    aside after timer_attempts.SET_ASIDE_AFTER such deaths in a row: the others go ahead.
    The caller holds the timer lock on PostgreSQL (app.background.fire_timers, the timer loop).
    """
    now = as_utc(now) or utcnow()
    report = TickReport()
    # The round's first read: on SQLite it holds the write lock from here (BEGIN IMMEDIATE in
    # the timer processes), on PostgreSQL the caller holds the timer lock. No other round is
    # evaluating, so a mark in the ledger is one whose process died (services.timer_attempts).
    due = _due(now)
    deaths = timer_attempts.deaths((complaint_id for _instance_id, complaint_id in due), now)
    for instance_id, complaint_id in due:
        died = deaths.get(complaint_id, 0)
        if died >= timer_attempts.SET_ASIDE_AFTER:
            complaint = db.session.get(Complaint, complaint_id)
            timers.set_aside(complaint, died, now)
            report.set_aside[complaint.reference or str(complaint.id)] = died
            continue
        # Committed at once, outside this round's transaction: it outlives the process.
        timer_attempts.begin(complaint_id, now)
        try:
            _fire_one(instance_id, now, report)
        finally:
            timer_attempts.end(complaint_id)  # the process lived through the evaluation
    # After the timers: a fired overdue review and its clock's breach are seen together.
    report.clocks = service_levels.process_due(now)
    report_columns.note_breaches(reference for reference, _clock in report.clocks.breached)
    return report


def _fire_one(instance_id: int, now: datetime, report: TickReport) -> None:
    """Fire one instance's due timers in a savepoint; a failure is recorded on its complaint."""
    savepoint = db.session.begin_nested()
    try:
        instance = db.session.get(ProcessInstance, instance_id)
        complaint = instance.complaint
        wf = _load(instance, to_save=True)
        with _engine_errors_logged(complaint):
            fired = engine.fire_due_timers(wf, now)
        for name in fired:
            audit.record(complaint.id, "timer_fired", summary=name, data={"at": now})
        timers.record_success(complaint)
        _save(complaint, instance, wf)
        savepoint.commit()
        report.fired[complaint.reference or str(complaint.id)] = fired
    except OperationalError:
        raise  # the database itself failed: the caller retries the whole round
    except Exception as exc:  # noqa: BLE001 - one broken case must not stop the others
        savepoint.rollback()
        report.failed[str(instance_id)] = str(exc)
        if not isinstance(exc, Conflict):  # a lost race is retried, not held against it
            failed = db.session.get(ProcessInstance, instance_id)
            timers.record_failure(failed.complaint, f"{type(exc).__name__}: {exc}", now)
