"""Checks on the BPMN XML itself, where the engine's parsed spec has lost the information.

The engine checks what it will run (services.engine.lint_specs); these read what the
editor drew: which flows leave a gateway without a condition, and in which lane band a
task is drawn. Each finding names the element id the editor highlights.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree
from sqlalchemy import Column

from forms.text import N_
from services.engine import Problem
from services.models import AuditEvent, Complaint, Notification, Task

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "spiffworkflow": SPIFF}

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def parse(content: bytes) -> etree._Element | None:
    """The document's root element, or None when it is not well-formed XML."""
    try:
        return etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError:
        return None


def element_names(root: etree._Element) -> dict[str, str]:
    """BPMN id -> readable label "Name (id)" (or the id alone) for every element with an id."""
    labels = {}
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        element_id = node.get("id")
        if element_id:
            name = (node.get("name") or "").strip()
            labels[element_id] = f"{name} ({element_id})" if name else element_id
    return labels


def check(file: str, root: etree._Element) -> list[Problem]:
    """Every finding of the rules below for one BPMN document."""
    labels = element_names(root)
    return [
        *gateway_conditions(file, root, labels),
        *lane_mismatches(file, root, labels),
        *column_overflows(file, root, labels),
        *task_references(file, root, labels),
    ]


# Where the application copies a diagram's ids, names and properties (services.workflows,
# services.engine.runtime, services.notifications): user task property -> columns.
_PROPERTY_COLUMNS = {
    "formKey": (Task.__table__.c.form_key,),
    "phase": (Complaint.__table__.c.status, Task.__table__.c.case_status),
}


def column_overflows(file: str, root: etree._Element, labels: dict[str, str]) -> list[Problem]:
    """Every id, name and property the application stores must fit its database column.

    A value that does not fit passes SQLite and fails every complaint reaching the element
    on PostgreSQL. The lengths are read from the models, so they follow a migration.
    """
    problems = []

    def fits(node: etree._Element, what: str, value: str | None, *columns: Column) -> None:
        element_id = node.get("id", "")
        for column in columns:
            limit = getattr(column.type, "length", None)
            if value and limit and len(value) > limit:
                shown = value if len(value) <= 40 else f"{value[:40]}…"
                message = N_(
                    "%(what)s '%(value)s' is %(length)s characters long; at most %(limit)s fit "
                    "(column %(column)s)",
                    what=what,
                    value=shown,
                    length=len(value),
                    limit=limit,
                    column=f"{column.table.name}.{column.name}",
                )
                problems.append(
                    Problem(file, labels.get(element_id, element_id), message, element_id)
                )
                return

    for task in root.iterfind(".//bpmn:userTask", NS):
        fits(task, N_("the id"), task.get("id"), Task.__table__.c.name)
        fits(task, N_("the name"), task.get("name"), Task.__table__.c.title)
        for prop in task.iterfind(".//spiffworkflow:property", NS):
            columns = _PROPERTY_COLUMNS.get(prop.get("name", ""), ())
            what = N_("the %(name)s property", name=prop.get("name"))
            fits(task, what, prop.get("value"), *columns)
    for lane in root.iterfind(".//bpmn:lane", NS):
        fits(lane, N_("the lane name"), lane.get("name"), Task.__table__.c.role)
    for end in root.iterfind(".//bpmn:endEvent", NS):  # the outcome of a closed complaint
        fits(end, N_("the id"), end.get("id"), Complaint.__table__.c.outcome)
    for message in root.iterfind(".//bpmn:message", NS):
        columns = (Notification.__table__.c.kind, AuditEvent.__table__.c.task_name)
        fits(message, N_("the message name"), message.get("name"), *columns)
    return problems


# Case data the services copy onto complaint columns (services.workflows._project).
PROJECTED_COLUMNS: dict[str, Column] = {
    name: Complaint.__table__.c[name] for name in ("category", "severity", "route")
}


def decision_output_overflows(file: str, root: etree._Element) -> list[Problem]:
    """A decision table's text outputs that land in a complaint column must fit it.

    `"confidential_to_second_line"` as a route passes SQLite and fails every complaint the
    rule matches on PostgreSQL.
    """
    problems = []
    for table in root.xpath(".//*[local-name()='decisionTable']"):
        outputs = [o.get("name", "") for o in table.xpath("./*[local-name()='output']")]
        for rule in table.xpath("./*[local-name()='rule']"):
            entries = rule.xpath("./*[local-name()='outputEntry']")
            for name, entry in zip(outputs, entries, strict=False):
                column = PROJECTED_COLUMNS.get(name)
                text = "".join(entry.xpath("./*[local-name()='text']/text()")).strip()
                value = text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else ""
                limit = getattr(column.type, "length", None) if column is not None else None
                if limit and len(value) > limit:
                    rule_id = rule.get("id", "")
                    message = N_(
                        "%(what)s '%(value)s' is %(length)s characters long; at most "
                        "%(limit)s fit (column %(column)s)",
                        what=N_("the %(name)s", name=name),
                        value=value[:40],
                        length=len(value),
                        limit=limit,
                        column=f"{column.table.name}.{column.name}",
                    )
                    problems.append(Problem(file, rule_id, message, entry.get("id", rule_id)))
    return problems


# Properties whose value names other elements of the diagram (space-separated ids).
REFERENCE_PROPERTIES = {
    "notBy": N_("four-eyes rule: not by whoever completed"),
    "watches": N_("the overdue review watches"),
}


def task_references(file: str, root: etree._Element, labels: dict[str, str]) -> list[Problem]:
    """notBy and watches must name user tasks (or, for watches, a subprocess) of the diagram.

    A misspelt id would silently switch the four-eyes rule or the review's actions off.
    """
    user_tasks = {t.get("id") for t in root.iterfind(".//bpmn:userTask", NS)}
    steps = user_tasks | {s.get("id") for s in root.iterfind(".//bpmn:subProcess", NS)}
    problems = []
    for task in root.iterfind(".//bpmn:userTask", NS):
        task_id = task.get("id", "")
        for prop in task.iterfind(f".//{{{SPIFF}}}property"):
            name = prop.get("name")
            if name not in REFERENCE_PROPERTIES:
                continue
            allowed = user_tasks if name == "notBy" else steps
            for ref in (prop.get("value") or "").split() or [""]:
                if ref in allowed and ref != task_id:
                    continue
                message = (
                    N_(
                        "property %(name)s='%(ref)s' (%(meaning)s) does not name another user "
                        "task of this diagram",
                        name=name,
                        ref=ref,
                        meaning=REFERENCE_PROPERTIES[name],
                    )
                    if name == "notBy"
                    else N_(
                        "property %(name)s='%(ref)s' (%(meaning)s) does not name another user "
                        "task or subprocess of this diagram",
                        name=name,
                        ref=ref,
                        meaning=REFERENCE_PROPERTIES[name],
                    )
                )
                problems.append(Problem(file, labels.get(task_id, task_id), message, task_id))
    return problems


def assigned_username(value: str) -> str | None:
    """The user name an `assignTo` property names in quotes ('ada'), or None when it names
    the data field that holds a user's id (escalate_to)."""
    value = value.strip()
    if len(value) > 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1].strip() or None
    return None


def assignments(root: etree._Element) -> list[tuple[str, str, str]]:
    """(user task id, its lane's role, user name) for each user task whose `assignTo` names
    a person in quotes."""
    declared = _declared_lanes(root)
    found = []
    for task in root.iterfind(".//bpmn:userTask", NS):
        for prop in task.iterfind(f".//{{{SPIFF}}}property"):
            if prop.get("name") != "assignTo":
                continue
            username = assigned_username(prop.get("value") or "")
            lane = declared.get(task.get("id", ""))
            if username is not None:
                found.append(
                    (
                        task.get("id", ""),
                        (lane.get("name") or "") if lane is not None else "",
                        username,
                    )
                )
    return found


def gateway_conditions(file: str, root: etree._Element, labels: dict[str, str]) -> list[Problem]:
    """Each flow leaving an exclusive gateway that splits must have a condition or be its default.

    Otherwise the engine cannot choose the flow: with no true condition and no default it
    stops the complaint with an error.
    """
    problems = []
    for gateway in root.iterfind(".//bpmn:exclusiveGateway", NS):
        gateway_id = gateway.get("id", "")
        flows = root.xpath(
            ".//bpmn:sequenceFlow[@sourceRef=$source]", namespaces=NS, source=gateway_id
        )
        if len(flows) < 2:
            continue
        default = gateway.get("default")
        for flow in flows:
            condition = flow.find("bpmn:conditionExpression", NS)
            has_condition = condition is not None and (condition.text or "").strip()
            if has_condition or flow.get("id") == default:
                continue
            flow_id = flow.get("id", "")
            target = labels.get(flow.get("targetRef", ""), flow.get("targetRef", ""))
            message = N_(
                "flow to '%(target)s' leaves gateway '%(gateway)s' without a condition: give it "
                "a condition or make it the gateway's default flow",
                target=target,
                gateway=labels.get(gateway_id, gateway_id),
            )
            problems.append(Problem(file, labels.get(flow_id, flow_id), message, flow_id))
    return problems


@dataclass(frozen=True)
class _Box:
    x: float
    y: float
    width: float
    height: float

    def contains(self, x: float, y: float) -> bool:
        return self.x <= x <= self.x + self.width and self.y <= y <= self.y + self.height

    @property
    def area(self) -> float:
        return self.width * self.height


def _planes(root: etree._Element) -> Iterator[dict[str, _Box]]:
    """For each diagram plane: element id -> the bounds of its shape."""
    for plane in root.iterfind(".//bpmndi:BPMNPlane", NS):
        boxes = {}
        for shape in plane.iterfind("bpmndi:BPMNShape", NS):
            bounds = shape.find("dc:Bounds", NS)
            if bounds is None or not shape.get("bpmnElement"):
                continue
            try:
                boxes[shape.get("bpmnElement")] = _Box(
                    *(float(bounds.get(k, "0")) for k in ("x", "y", "width", "height"))
                )
            except ValueError:
                continue
        yield boxes


def _declared_lanes(root: etree._Element) -> dict[str, etree._Element]:
    """Flow node id -> its lane, the way the engine reads it (the last flowNodeRef wins)."""
    lanes = {}
    for ref in root.iterfind(".//bpmn:flowNodeRef", NS):
        if ref.text:
            lanes[ref.text.strip()] = ref.getparent()
    return lanes


def lane_mismatches(file: str, root: etree._Element, labels: dict[str, str]) -> list[Problem]:
    """A user task must be drawn in the lane band it belongs to.

    The engine gives a task to the role of the lane that lists it (flowNodeRef), not to
    the band it is drawn in. bpmn-js does not update that list for the tasks inside a
    subprocess when the subprocess or its tasks are moved across lanes, so the picture and
    the assignment disagree. With nested lanes the innermost band counts.
    """
    lanes = {lane.get("id"): lane for lane in root.iterfind(".//bpmn:lane", NS)}
    declared = _declared_lanes(root)
    problems = []
    for boxes in _planes(root):
        bands = [(boxes[lane_id], lane) for lane_id, lane in lanes.items() if lane_id in boxes]
        if not bands:
            continue
        for task in root.iterfind(".//bpmn:userTask", NS):
            task_id = task.get("id", "")
            box = boxes.get(task_id)
            if box is None:
                continue
            centre = (box.x + box.width / 2, box.y + box.height / 2)
            inside = [(b, lane) for b, lane in bands if b.contains(*centre)]
            if not inside:
                continue
            drawn = min(inside, key=lambda item: item[0].area)[1]
            listed = declared.get(task_id)
            if listed is not None and listed.get("name") == drawn.get("name"):
                continue
            drawn_name = drawn.get("name") or drawn.get("id")
            if listed is None:
                message = N_(
                    "user task is drawn in lane '%(lane)s' but no lane lists it, so no role "
                    "gets it: move it out of the lane and back in, or list it in the lane",
                    lane=drawn_name,
                )
            else:
                message = N_(
                    "user task is drawn in lane '%(lane)s' but belongs to lane '%(listed)s' "
                    "(its flowNodeRef), which decides who gets it; the editor does not update "
                    "it when a subprocess or its tasks move across lanes: drag the task into "
                    "the lane that should do it again",
                    lane=drawn_name,
                    listed=listed.get("name") or listed.get("id"),
                )
            problems.append(Problem(file, labels.get(task_id, task_id), message, task_id))
    return problems
