"""The time limits of a deployed procedure, read from its diagrams (for the public page).

The limits are not written anywhere else: a process owner who deploys a new duration changes
what the public page says.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from datetime import timedelta

from lxml import etree

from services import processes
from services.models import ProcessVersion

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiff": SPIFF}
DURATION = re.compile(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?")

SERVICE_LEVEL = "service_level"  # a boundary timer on a task or subprocess
DUE = "due"  # a task's dueIn property
WAIT = "wait"  # an intermediate timer: how long the procedure waits (for a reply…)


@dataclass(frozen=True)
class TimeLimit:
    """One time limit of the procedure and the step it applies to."""

    element_id: str  # the step it watches: task, subprocess, or the timer event itself
    name: str  # that step's name in the diagram
    timer_id: str  # the timer event's id (the task's, for dueIn)
    timer_name: str  # the timer event's name ("" for dueIn)
    kind: str
    duration: timedelta


@dataclass(frozen=True)
class Summary:
    """The limits of one version, by the element they apply to and by timer id."""

    version: int
    limits: list[TimeLimit]
    # The recourse the letters state (the "recourse" of a message payload), by language.
    recourse: dict[str, str] = field(default_factory=dict)

    def for_element(self, element_id: str) -> TimeLimit | None:
        """The (first) limit on a task or subprocess, or the wait at an event."""
        return next((limit for limit in self.limits if limit.element_id == element_id), None)

    def for_timer(self, timer_id: str) -> TimeLimit | None:
        """The limit a given timer event sets."""
        return next((limit for limit in self.limits if limit.timer_id == timer_id), None)


def active_summary(process_id: str = processes.DEFAULT_PROCESS_ID) -> Summary:
    """The time limits of the active version of the process."""
    return summary_of(processes.active_version(process_id))


def summary_of(version: ProcessVersion) -> Summary:
    """The literal time limits (quoted ISO 8601 durations, dueIn) of a version's diagrams."""
    limits: list[TimeLimit] = []
    recourse: dict[str, str] = {}
    for name in sorted(version.files):
        if name.endswith(".bpmn"):
            xml = version.files[name].encode()
            limits.extend(_limits(xml))
            recourse = recourse or _recourse(xml)
    return Summary(version=version.version, limits=limits, recourse=recourse)


def _recourse(xml: bytes) -> dict[str, str]:
    """The recourse text of the first message payload that states one, by language."""
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    for payload in root.iter(f"{{{SPIFF}}}messagePayload"):
        try:
            value = ast.literal_eval((payload.text or "").strip())
        except (ValueError, SyntaxError):
            continue  # an expression over case data, not a literal text
        recourse = value.get("recourse") if isinstance(value, dict) else None
        if isinstance(recourse, dict):
            return {str(k): str(v) for k, v in recourse.items()}
        if isinstance(recourse, str):
            return {"en": recourse}
    return {}


def _limits(xml: bytes) -> list[TimeLimit]:
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    names = {el.get("id"): el.get("name") or el.get("id") for el in root.iter() if el.get("id")}
    limits: list[TimeLimit] = []
    for event in root.iter(f"{{{BPMN}}}boundaryEvent", f"{{{BPMN}}}intermediateCatchEvent"):
        duration = _timer_duration(event)
        if duration is None:
            continue
        event_id = event.get("id", "")
        if event.tag == f"{{{BPMN}}}boundaryEvent":
            step, kind = event.get("attachedToRef") or event_id, SERVICE_LEVEL
        else:
            # A timer racing the steps of a subprocess watches that subprocess; a timer on
            # the main path is a wait (for the complainant's reply, for instance).
            enclosing = next(event.iterancestors(f"{{{BPMN}}}subProcess"), None)
            step = enclosing.get("id", event_id) if enclosing is not None else event_id
            kind = SERVICE_LEVEL if enclosing is not None else WAIT
        limits.append(
            TimeLimit(
                step, names.get(step, step), event_id, names.get(event_id, ""), kind, duration
            )
        )
    for task in root.iterfind(".//bpmn:userTask", NS):
        prop = task.find(".//spiff:property[@name='dueIn']", NS)
        duration = _duration(prop.get("value", "")) if prop is not None else None
        if duration is not None:
            task_id = task.get("id", "")
            limits.append(TimeLimit(task_id, names[task_id], task_id, "", DUE, duration))
    return limits


def _timer_duration(event: etree._Element) -> timedelta | None:
    text = event.findtext("bpmn:timerEventDefinition/bpmn:timeDuration", namespaces=NS)
    if text is None:
        return None
    # Timer fields are expressions: only a quoted literal is a limit we can state.
    literal = re.fullmatch(r"\s*([\"'])(.*)\1\s*", text)
    return _duration(literal.group(2)) if literal else None


def _duration(text: str) -> timedelta | None:
    match = DURATION.fullmatch(text.strip())
    if not match or not any(match.groups()):
        return None
    weeks, days, hours, minutes = (int(g or 0) for g in match.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)
