"""What-if replay: how would a candidate decision table have routed past complaints?

Before deploying an edited routing table, a process owner runs it on the classification
of the last N classified complaints and compares with the route they actually took.
Nothing is written.

The table may read a name no past classification has: a field new in the edited
classification form, or a misspelt one. Replay.missing says so per input, and the rows are
run with it empty (None), as a complaint classified before the field existed would be.
Values are typed by the classification form's field types (numbers, checkboxes) when the
form defines the name, else by the column's typeRef.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from forms.definitions import FormDefinition
from services import engine, form_definitions, permissions
from services.db import db
from services.errors import DomainError, InvalidInput
from services.models import Complaint, Task, User

CLASSIFY_TASK = "classify_complaint"
ROUTING_DECISION = "complaint_routing"
ROUTE = "route"
MAX_ROWS = 1000
NUMBER_TYPES = frozenset({"number", "integer", "long", "double"})
# What a row's data holds besides the classification's answers.
COMPLAINT_NAMES = ("reference", "channel", "anonymous")


@dataclass(frozen=True)
class MissingInput:
    """A name an input column reads that no replayed complaint has.

    `in_form`: the classification form defines it (a new field), else it may be misspelt.
    """

    label: str
    name: str
    in_form: bool


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
    missing: list[MissingInput] = field(default_factory=list)

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
    form: FormDefinition | None = None,
) -> list[ReplayRow]:
    """Run the candidate routing table on the last `last_n` classified complaints.

    Raises InvalidInput with details {"problems": [text], "items": [Problem.as_dict()]}
    when the DMN cannot be parsed or a cell is refused by the restricted evaluator.
    """
    return replay(dmn_xml_text, last_n, viewer=viewer, decision_id=decision_id, form=form).rows


def replay(
    dmn_xml_text: str | bytes,
    last_n: int,
    *,
    viewer: User,
    decision_id: str = ROUTING_DECISION,
    output: str = ROUTE,
    form: FormDefinition | None = None,
) -> Replay:
    """Like routing(), with the decision's name, input labels (for a table header) and the
    names no replayed complaint has.

    The viewer must be a process owner (NotAllowed). Confidential complaints are left out
    unless the viewer is the confidential focal point: they exist for no one else. Each
    complaint's inputs are the data of its latest completed classify_complaint task, plus
    its channel and anonymity, typed by `form` (the classification form of the edited
    files; by default the active version's) or else the table's columns; a name the table
    reads that a complaint lacks is None. A row whose evaluation fails carries the error
    and counts as changed.
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
    if form is None:
        form = form_definitions.active().get(CLASSIFY_TASK)
    field_types = {f.name: f.type for f in form.fields} if form is not None else {}
    tasks = _classified(viewer, last_n)
    reads = {column.label: _names(column.expression) for column in table.inputs}
    seen = {name for task in tasks for name in (task.data or {})} | set(COMPLAINT_NAMES)
    missing = [
        MissingInput(label, name, name in field_types)
        for label, names in reads.items()
        for name in names
        if tasks and name not in seen
    ]
    wanted = {name for names in reads.values() for name in names}
    rows = []
    for task in tasks:
        try:
            rows.append(_row(table, task, output, field_types, wanted))
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
    return Replay(table.decision_id, table.name, [i.label for i in table.inputs], rows, missing)


def _names(expression: str) -> list[str]:
    """The case data names an input expression reads, in order (not builtins or helpers)."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        return []  # the evaluation reports it on each row
    bound = {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}
    bound |= {
        n.id
        for c in ast.walk(tree)
        if isinstance(c, ast.comprehension)
        for n in ast.walk(c.target)
        if isinstance(n, ast.Name)
    }
    helpers = set(dir(builtins)) | set(engine.DIAGRAM_HELPERS) | {"True", "False", "None"}
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in bound | helpers | set(names):
            names.append(node.id)
    return names


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


def _row(
    table: engine.DecisionTable,
    task: Task,
    output: str,
    field_types: Mapping[str, str],
    wanted: set[str],
) -> ReplayRow:
    complaint = task.complaint
    data = {
        "reference": complaint.reference,
        "channel": complaint.channel,
        "anonymous": complaint.anonymous,
        **(task.data or {}),
    }
    data.update({name: None for name in wanted if name not in data})
    # The form's type of a field wins over the column's typeRef (a number read as a string...).
    columns = {column.expression.strip(): column.type_ref for column in table.inputs}
    for name, value in data.items():
        kind = _FIELD_KINDS.get(field_types.get(name, "")) or columns.get(name)
        if kind is not None:
            data[name] = _typed(value, kind)
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


# The typeRef a form field's values are typed as (others keep their stored JSON type).
_FIELD_KINDS = {"number": "number", "amount": "number", "checkbox": "boolean"}


def _typed(value: Any, type_ref: str) -> Any:
    """Task data is stored as JSON (amounts as text): give a value the type declared for it."""
    if value is None or value == "":
        return None
    if type_ref in NUMBER_TYPES and isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    if type_ref == "boolean" and isinstance(value, str):
        return value.strip().lower() in ("true", "y", "yes", "1", "on")
    return value
