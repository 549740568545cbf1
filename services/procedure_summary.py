"""The time limits of a deployed procedure, read from its diagrams and the service-level
preset in force (for the public page).

The limits are not written anywhere else: a process owner who deploys a new duration, or
picks another preset (whose targets the diagram's `target("clock")` timers take), changes
what the public page says.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from lxml import etree

from services import preset_letters, presets, processes
from services.business_calendar import TargetError, parse_target
from services.engine.runtime import parse_duration
from services.models import ProcessVersion

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiff": SPIFF}
# A timer that takes a clock's target from the preset: target("acknowledge").
TARGET_CALL = re.compile(r"""\s*target\(\s*(["'])(\w+)\1\s*\)\s*""")

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
    # A plain duration ("P5D"), or None when the limit is a calendar target:
    duration: timedelta | None
    # working_days(2), months(2)...: the target counted on the business calendar, from the
    # preset (a target("clock") timer) or written in the diagram; "" for a plain duration.
    target: str = ""
    clock: str = ""  # the preset clock a target("clock") timer takes

    def words(self, language: str) -> str | None:
        """The target in words ("2 working days"); None for a plain duration."""
        return presets.describe(self.target, language) if self.target else None


@dataclass(frozen=True)
class Summary:
    """The limits of one version, by the element they apply to and by timer id."""

    version: int
    limits: list[TimeLimit]
    # The recourse the letters state, by language: the preset's when it has one, else the
    # diagram's (the "recourse" of a message payload).
    recourse: dict[str, str] = field(default_factory=dict)
    # The literal payload each thrown message carries, by message name.
    payloads: dict[str, Any] = field(default_factory=dict)
    # How long the procedure waits for a message (the timer racing it), by message name.
    message_waits: dict[str, timedelta] = field(default_factory=dict)
    preset: presets.Preset | None = None

    def targets(self, language: str) -> list[tuple[str, str, str]]:
        """(clock, target in words, rule cited) for each clock of the preset in force."""
        if self.preset is None:
            return []
        return [
            (
                clock,
                presets.describe(self.preset.target(clock), language),
                self.preset.citation(clock, language),
            )
            for clock in presets.CLOCKS
        ]

    def for_element(self, element_id: str) -> TimeLimit | None:
        """The (first) limit on a task or subprocess, or the wait at an event."""
        return next((limit for limit in self.limits if limit.element_id == element_id), None)

    def for_timer(self, timer_id: str) -> TimeLimit | None:
        """The limit a given timer event sets."""
        return next((limit for limit in self.limits if limit.timer_id == timer_id), None)


def active_summary(process_id: str = processes.DEFAULT_PROCESS_ID) -> Summary:
    """The time limits of the active version of the process, under the active preset."""
    return summary_of(processes.active_version(process_id), presets.active())


def summary_of(version: ProcessVersion, preset: presets.Preset | None = None) -> Summary:
    """The time limits of a version's diagrams: quoted ISO 8601 durations, calendar targets
    (working_days(2), and target("clock") read from `preset`, the default one if None), dueIn.
    """
    preset = preset or presets.load(presets.DEFAULT)
    limits: list[TimeLimit] = []
    recourse: dict[str, str] = {}
    payloads: dict[str, Any] = {}
    waits: dict[str, timedelta] = {}
    for name in sorted(version.files):
        if name.endswith(".bpmn"):
            xml = version.files[name].encode()
            limits.extend(_limits(xml, preset))
            recourse = recourse or _recourse(xml)
            root = _root(xml)
            payloads = {**_payloads(root), **payloads}
            waits = {**_message_waits(root), **waits}
    recourse = preset_letters.recourse(preset, "response_letter") or recourse
    return Summary(
        version=version.version,
        limits=limits,
        recourse=recourse,
        payloads=payloads,
        message_waits=waits,
        preset=preset,
    )


def step_names(version: ProcessVersion) -> dict[str, str]:
    """Each named element of the version's diagrams by id (a step's name for pages that know
    only its id, such as the migration dry run)."""
    names: dict[str, str] = {}
    for file_name, text in version.files.items():
        if file_name.endswith(".bpmn"):
            for element in _root(text.encode()).iter():
                if element.get("id") and element.get("name"):
                    names.setdefault(element.get("id", ""), element.get("name", ""))
    return names


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


def _limits(xml: bytes, preset: presets.Preset) -> list[TimeLimit]:
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    names = {el.get("id"): el.get("name") or el.get("id") for el in root.iter() if el.get("id")}
    limits: list[TimeLimit] = []
    for event in root.iter(f"{{{BPMN}}}boundaryEvent", f"{{{BPMN}}}intermediateCatchEvent"):
        duration, target, clock = _timer_limit(event, preset)
        if duration is None and not target:
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
                step,
                names.get(step, step),
                event_id,
                names.get(event_id, ""),
                kind,
                duration,
                target,
                clock,
            )
        )
    for task in root.iterfind(".//bpmn:userTask", NS):
        prop = task.find(".//spiff:property[@name='dueIn']", NS)
        duration = parse_duration(prop.get("value", "")) if prop is not None else None
        if duration is not None:
            task_id = task.get("id", "")
            limits.append(TimeLimit(task_id, names[task_id], task_id, "", DUE, duration))
    return limits


def _timer_limit(
    event: etree._Element, preset: presets.Preset
) -> tuple[timedelta | None, str, str]:
    """(plain duration, calendar target, preset clock) of a timer; (None, "", "") when its
    expression states no limit we can tell (it computes one from case data)."""
    text = event.findtext("bpmn:timerEventDefinition/bpmn:timeDuration", namespaces=NS)
    if text is None:
        return None, "", ""
    literal = re.fullmatch(r"\s*([\"'])(.*)\1\s*", text)
    if literal:
        return parse_duration(literal.group(2)), "", ""
    call = TARGET_CALL.fullmatch(text)
    if call:
        try:
            return None, preset.target(call.group(2)), call.group(2)
        except presets.PresetError:
            return None, "", ""
    try:
        parse_target(text)  # working_days(2), months(2)...: counted on the calendar
    except TargetError:
        return None, "", ""
    return None, text.strip(), ""


def _timer_duration(event: etree._Element) -> timedelta | None:
    """The plain duration of a timer written as a quoted literal ("P56D"), else None."""
    text = event.findtext("bpmn:timerEventDefinition/bpmn:timeDuration", namespaces=NS)
    literal = re.fullmatch(r"\s*([\"'])(.*)\1\s*", text) if text is not None else None
    return parse_duration(literal.group(2)) if literal else None
