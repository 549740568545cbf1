"""What-if replay: how would a candidate decision table have routed past complaints?

Before deploying an edited routing table, a process owner runs it on the classification
of the last N classified complaints and compares with the route they actually took.
Nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from services import engine, permissions
from services.db import db
from services.errors import DomainError, InvalidInput
from services.models import Complaint, Task, User

CLASSIFY_TASK = "classify_complaint"
ROUTING_DECISION = "complaint_routing"
ROUTE = "route"
MAX_ROWS = 1000


@dataclass(frozen=True)
class ReplayRow:
    """One past complaint: its classification, the route it took and the candidate's route."""

    reference: str
    classified_at: datetime | None
    inputs: dict[str, Any]
    actual_route: str | None
    new_route: str | None
    changed: bool
    error: str | None = None


@dataclass(frozen=True)
class Replay:
    """The rows, newest classification first, and the decision that was run."""

    decision_id: str
    decision_name: str
    input_labels: list[str]
    rows: list[ReplayRow] = field(default_factory=list)

    @property
    def changed(self) -> list[ReplayRow]:
        """The rows whose route the candidate table changes (errors included)."""
        return [row for row in self.rows if row.changed]


def routing(
    dmn_xml_text: str | bytes,
    last_n: int,
    *,
    viewer: User,
    decision_id: str = ROUTING_DECISION,
) -> list[ReplayRow]:
    """Run the candidate routing table on the last `last_n` classified complaints.

    Raises InvalidInput with details {"problems": [text], "items": [Problem.as_dict()]}
    when the DMN cannot be parsed or a cell is refused by the restricted evaluator.
    """
    return replay(dmn_xml_text, last_n, viewer=viewer, decision_id=decision_id).rows


def replay(
    dmn_xml_text: str | bytes,
    last_n: int,
    *,
    viewer: User,
    decision_id: str = ROUTING_DECISION,
    output: str = ROUTE,
) -> Replay:
    """Like routing(), with the decision's name and input labels (for a table header).

    The viewer must be a process owner (NotAllowed). Confidential complaints are left out
    unless the viewer is the confidential focal point: they exist for no one else. Each
    complaint's inputs are the data of its latest completed classify_complaint task, with
    numbers and booleans typed as the table's columns say, plus its channel and
    anonymity; a row whose evaluation fails carries the error and counts as changed.
    """
    permissions.require_manages_processes(viewer)
    dmn = dmn_xml_text.encode("utf-8") if isinstance(dmn_xml_text, str) else dmn_xml_text
    table, problems = engine.parse_decision(dmn, decision_id, file=f"{decision_id}.dmn")
    if table is None:
        raise InvalidInput(
            "The decision table has problems: " + "; ".join(str(p) for p in problems),
            details={
                "problems": [str(p) for p in problems],
                "items": [p.as_dict() for p in problems],
            },
        )
    rows = []
    for task in _classified(viewer, last_n):
        try:
            rows.append(_row(table, task, output))
        except engine.EvaluationLimitExceeded as exc:
            # One bounded runaway is enough: the next rows would each wait as long again.
            problem = engine.Problem(
                f"{decision_id}.dmn",
                exc.element,
                f"stopped on complaint {task.complaint.reference}: {exc.detail}",
                exc.element_id,
            )
            raise InvalidInput(
                "The decision table was stopped: " + str(problem),
                details={"problems": [str(problem)], "items": [problem.as_dict()]},
            ) from exc
    return Replay(table.decision_id, table.name, [i.label for i in table.inputs], rows)


def _classified(viewer: User, last_n: int) -> list[Task]:
    """The latest completed classification of each of the last N classified complaints."""
    query = (
        db.select(Task)
        .join(Complaint, Complaint.id == Task.complaint_id)
        .where(Task.name == CLASSIFY_TASK, Task.status == "completed")
        .order_by(Task.completed_at.desc(), Task.id)
    )
    if not permissions.sees_confidential(viewer):
        query = query.where(Complaint.confidential.is_(False))
    tasks: list[Task] = []
    seen: set[int] = set()
    limit = max(0, min(last_n, MAX_ROWS))
    for task in db.session.scalars(query):
        if len(tasks) >= limit:
            break
        if task.complaint_id not in seen:
            seen.add(task.complaint_id)
            tasks.append(task)
    return tasks


def _row(table: engine.DecisionTable, task: Task, output: str) -> ReplayRow:
    complaint = task.complaint
    data = {
        "reference": complaint.reference,
        "channel": complaint.channel,
        "anonymous": complaint.anonymous,
        **(task.data or {}),
    }
    for column in table.inputs:
        name = column.expression.strip()
        if name in data:
            data[name] = _typed(data[name], column.type_ref)
    inputs = {column.label: data.get(column.expression.strip()) for column in table.inputs}
    try:
        new_route = engine.run_decision(table, data).get(output)
        error = None
    except engine.EvaluationLimitExceeded:
        raise
    except engine.StepError as exc:
        new_route, error = None, exc.detail  # the process owner wrote the cell: show it all
    except DomainError as exc:
        new_route, error = None, exc.message
    return ReplayRow(
        reference=complaint.reference or str(complaint.id),
        classified_at=task.completed_at,
        inputs=inputs,
        actual_route=complaint.route,
        new_route=new_route,
        changed=error is not None or new_route != complaint.route,
        error=error,
    )


def _typed(value: Any, type_ref: str) -> Any:
    """Task data is stored as JSON (amounts as text): give a column the type it declares."""
    if value is None or value == "":
        return None
    if type_ref in ("number", "integer", "long", "double") and isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    if type_ref == "boolean" and isinstance(value, str):
        return value.strip().lower() in ("true", "y", "yes", "1", "on")
    return value
