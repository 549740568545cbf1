"""The time limits of a deployed procedure, read from its diagrams (for the public page).

The limits are not written anywhere else: a process owner who deploys a new duration changes
what the public page says.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

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
    # The literal payload each thrown message carries, by message name.
    payloads: dict[str, Any] = field(default_factory=dict)
    # How long the procedure waits for a message (the timer racing it), by message name.
    message_waits: dict[str, timedelta] = field(default_factory=dict)

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
    payloads: dict[str, Any] = {}
    waits: dict[str, timedelta] = {}
    for name in sorted(version.files):
        if name.endswith(".bpmn"):
            xml = version.files[name].encode()
            limits.extend(_limits(xml))
            recourse = recourse or _recourse(xml)
            root = _root(xml)
            payloads = {**_payloads(root), **payloads}
            waits = {**_message_waits(root), **waits}
    return Summary(
        version=version.version,
        limits=limits,
        recourse=recourse,
        payloads=payloads,
        message_waits=waits,
    )


def _root(xml: bytes) -> etree._Element:
    return etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))


def _message_names(root: etree._Element) -> dict[str, str]:
    return {m.get("id", ""): m.get("name", "") for m in root.iterfind(".//bpmn:message", NS)}


def _payloads(root: etree._Element) -> dict[str, Any]:
    """The literal payload of each thrown message (an expression over case data: none)."""
    names = _message_names(root)
    found: dict[str, Any] = {}
    for event in root.iter(f"{{{BPMN}}}intermediateThrowEvent", f"{{{BPMN}}}endEvent"):
        definition = event.find("bpmn:messageEventDefinition", NS)
        if definition is None:
            continue
        message = names.get(definition.get("messageRef", ""), "")
        payload = definition.find(".//spiff:messagePayload", NS)
        if not message or payload is None or message in found:
            continue
        try:
            found[message] = ast.literal_eval((payload.text or "").strip())
        except (ValueError, SyntaxError):
            continue
    return found


def _message_waits(root: etree._Element) -> dict[str, timedelta]:
    """For each message awaited at an event gateway, the duration of the timer racing it."""
    names = _message_names(root)
    events = {el.get("id"): el for el in root.iter(f"{{{BPMN}}}intermediateCatchEvent")}
    flows = {flow.get("id"): flow.get("targetRef") for flow in root.iter(f"{{{BPMN}}}sequenceFlow")}
    waits: dict[str, timedelta] = {}
    for gateway in root.iter(f"{{{BPMN}}}eventBasedGateway"):
        targets = [
            events.get(flows.get(out.text or "")) for out in gateway.iterfind("bpmn:outgoing", NS)
        ]
        durations = [d for d in (_timer_duration(t) for t in targets if t is not None) if d]
        if not durations:
            continue
        for target in targets:
            definition = (
                target.find("bpmn:messageEventDefinition", NS) if target is not None else None
            )
            if definition is not None:
                message = names.get(definition.get("messageRef", ""), "")
                if message:
                    waits.setdefault(message, min(durations))
    return waits


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
