"""What changed between two process versions, element by element, read from their BPMN and DMN.

The diff works on the stored source files, so it speaks the editor's language: element
ids and names, conditions, timers, properties, lanes, and decision table rows and cells.
services.processes.diff() is the entry point for a pair of stored versions.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from forms.lists import FILE_NAME as LISTS_FILE
from services import diagram_rules

BPMN = diagram_rules.BPMN
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
ADDED, REMOVED, CHANGED = "added", "removed", "changed"

# BPMN containers whose children are elements of their own in the diff.
_CONTAINERS = {"process", "subProcess", "adHocSubProcess", "transaction", "collaboration"}
_TOP_LEVEL = {"message", "error", "signal", "escalation", "dataStore"}
# Child tags that restate something the diff reports elsewhere (flows, lanes, DI).
_SKIPPED = {"incoming", "outgoing", "flowNodeRef", "childLaneSet", "laneSet"}
# Readable names for the parts of an element a process owner edits.
_PARTS = {
    "conditionExpression": "condition",
    "timeDuration": "timer (duration)",
    "timeDate": "timer (date)",
    "timeCycle": "timer (cycle)",
    "instructionsForEndUser": "instructions",
    "script": "script",
    "preScript": "pre-script",
    "postScript": "post-script",
    "calledDecisionId": "decision",
    "messagePayload": "message payload",
    "messageVariable": "message variable",
    "documentation": "documentation",
}
_ATTRIBUTES = {"sourceRef": "from", "targetRef": "to", "messageRef": "message"}


@dataclass(frozen=True)
class Change:
    """One changed aspect of an element: what, and the old and new values (None: absent)."""

    what: str
    old: str | None
    new: str | None

    def __str__(self) -> str:
        if self.old is None:
            return f"{self.what} set to {self.new!r}"
        if self.new is None:
            return f"{self.what} removed (was {self.old!r})"
        return f"{self.what}: {self.old!r} → {self.new!r}"


@dataclass(frozen=True)
class ElementChange:
    """An element (task, flow, lane, decision rule...) added, removed or changed in a file."""

    file: str
    element_id: str
    kind: str
    name: str
    status: str
    changes: tuple[Change, ...] = ()

    @property
    def label(self) -> str:
        """ "Name (id)", or the id alone."""
        return f"{self.name} ({self.element_id})" if self.name else self.element_id

    def __str__(self) -> str:
        head = f"{self.file}: {self.kind} {self.label} {self.status}"
        return head + "".join(f"\n  - {c}" for c in self.changes)


@dataclass(frozen=True)
class VersionDiff:
    """Everything that differs between two sets of process files."""

    old_version: int | None
    new_version: int | None
    files_added: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)
    elements: list[ElementChange] = field(default_factory=list)
    layout_changed: list[str] = field(default_factory=list)

    @property
    def added(self) -> list[ElementChange]:
        """Elements only the new version has."""
        return [e for e in self.elements if e.status == ADDED]

    @property
    def removed(self) -> list[ElementChange]:
        """Elements only the old version has."""
        return [e for e in self.elements if e.status == REMOVED]

    @property
    def changed(self) -> list[ElementChange]:
        """Elements both have, with what changed."""
        return [e for e in self.elements if e.status == CHANGED]

    def element(self, element_id: str) -> ElementChange | None:
        """The entry for one element id, if it changed at all."""
        return next((e for e in self.elements if e.element_id == element_id), None)

    @property
    def empty(self) -> bool:
        """True when the two versions are the same, layout included."""
        return not (self.files_added or self.files_removed or self.elements or self.layout_changed)

    def lines(self) -> list[str]:
        """The diff as readable text lines."""
        lines = [f"file {name} added" for name in self.files_added]
        lines += [f"file {name} removed" for name in self.files_removed]
        lines += [str(e) for e in self.elements]
        lines += [f"{name}: diagram layout changed" for name in self.layout_changed]
        return lines


def diff_files(
    old: Mapping[str, str],
    new: Mapping[str, str],
    *,
    old_version: int | None = None,
    new_version: int | None = None,
) -> VersionDiff:
    """Compare two sets of BPMN/DMN files (name -> XML text)."""
    result = VersionDiff(
        old_version,
        new_version,
        files_added=sorted(set(new) - set(old)),
        files_removed=sorted(set(old) - set(new)),
    )
    for name in sorted(set(old) | set(new)):
        before = _elements(name, old.get(name))
        after = _elements(name, new.get(name))
        for element_id in sorted(set(before) | set(after), key=_order(before, after)):
            change = _compare(name, element_id, before.get(element_id), after.get(element_id))
            if change is not None:
                result.elements.append(change)
        diagram = not name.endswith(".toml")
        if diagram and name in old and name in new and _layout(old[name]) != _layout(new[name]):
            result.layout_changed.append(name)
        if name.endswith(".dmn") and name in old and name in new:
            for reordered in _rule_order(name, old[name], new[name]):
                _merge(result.elements, reordered)
    return result


def _merge(elements: list[ElementChange], extra: ElementChange) -> None:
    """Add `extra`, folding its changes into an entry for the same element if there is one."""
    for index, existing in enumerate(elements):
        if (existing.file, existing.element_id) == (extra.file, extra.element_id):
            changes = existing.changes + extra.changes
            elements[index] = ElementChange(
                existing.file, existing.element_id, existing.kind, existing.name, CHANGED, changes
            )
            return
    elements.append(extra)


def _order(*maps: dict[str, _Element]) -> Callable[[str], int]:
    """Sort key keeping document order (old file first, then what the new one adds)."""
    position: dict[str, int] = {}
    for mapping in maps:
        for element_id in mapping:
            position.setdefault(element_id, len(position))
    return lambda element_id: position[element_id]


@dataclass(frozen=True)
class _Element:
    kind: str
    name: str
    parts: dict[str, str]


def _compare(
    file: str, element_id: str, old: _Element | None, new: _Element | None
) -> ElementChange | None:
    if old is None:
        return None if new is None else ElementChange(file, element_id, new.kind, new.name, ADDED)
    if new is None:
        return ElementChange(file, element_id, old.kind, old.name, REMOVED)
    changes = []
    if old.kind != new.kind:
        changes.append(Change("type", old.kind, new.kind))
    if old.name != new.name:
        changes.append(Change("name", old.name or None, new.name or None))
    for key in list(old.parts) + [k for k in new.parts if k not in old.parts]:
        if old.parts.get(key) != new.parts.get(key):
            changes.append(Change(key, old.parts.get(key), new.parts.get(key)))
    if not changes:
        return None
    return ElementChange(file, element_id, new.kind, new.name, CHANGED, tuple(changes))


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname


def _text(node: etree._Element) -> str:
    # Inner whitespace is kept: in a script, indentation is meaning.
    return (node.text or "").strip()


def _elements(file: str, text: str | None) -> dict[str, _Element]:
    if text is None:
        return {}
    if file == LISTS_FILE:
        return dict(_list_elements(text))
    if file.endswith(".toml"):
        return dict(_form_elements(file, text))
    root = diagram_rules.parse(text.encode("utf-8"))
    if root is None:
        return {}
    return dict(_dmn_elements(root) if file.endswith(".dmn") else _bpmn_elements(root))


def _list_elements(text: str) -> Iterator[tuple[str, _Element]]:
    """The choice lists as elements: each list, its values' labels as its settings."""
    try:
        spec = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return
    for name, entries in spec.items():
        if isinstance(entries, Mapping):
            parts = {str(value): _flat(labels) for value, labels in entries.items()}
            parts["value order"] = ", ".join(map(str, entries))
            yield f"choices.{name}", _Element("choice list", name, parts)


def _form_elements(file: str, text: str) -> Iterator[tuple[str, _Element]]:
    """A form definition as elements: the form's settings, each field, each rule."""
    try:
        spec = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return
    key = file.rsplit("/", 1)[-1].removesuffix(".toml")
    fields = [
        f
        for f in spec.get("fields", [])
        if isinstance(f, Mapping) and isinstance(f.get("name"), str)
    ]
    settings = {k: _flat(v) for k, v in spec.items() if k not in ("fields", "rules")}
    if fields:
        settings["field order"] = ", ".join(f["name"] for f in fields)
    title = spec.get("title") if isinstance(spec.get("title"), Mapping) else {}
    yield key, _Element("form", str(title.get("en", "")), settings)
    for raw in fields:
        label = raw.get("label") if isinstance(raw.get("label"), Mapping) else {}
        parts = {k: _flat(v) for k, v in raw.items() if k != "name"}
        yield f"{key}.{raw['name']}", _Element("form field", str(label.get("en", "")), parts)
    for number, raw in enumerate(spec.get("rules", []), 1):
        if isinstance(raw, Mapping):
            parts = {k: _flat(v) for k, v in raw.items()}
            yield f"{key}.rule{number}", _Element("form rule", str(raw.get("field", "")), parts)


def _flat(value: Any) -> str:
    """A definition's value as one comparable line."""
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_flat(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_flat(v) for v in value)
    return str(value)


def _bpmn_elements(root: etree._Element) -> Iterator[tuple[str, _Element]]:
    lanes = {ref: lane.get("name") or lane.get("id") for ref, lane in _lanes(root).items()}
    for node in root.iter(f"{{{BPMN}}}*"):
        parent = node.getparent()
        if not node.get("id") or parent is None or not isinstance(node.tag, str):
            continue
        where = _local(parent)
        is_lane = _local(node) == "lane"
        if not (
            is_lane
            or where in _CONTAINERS
            or (where == "definitions" and _local(node) in _TOP_LEVEL)
        ):
            continue
        parts = _attributes(node)
        for child in node:
            if isinstance(child.tag, str) and not _is_element(child):
                _collect(child, parts)
        if node.get("id") in lanes:
            parts["lane"] = lanes[node.get("id")]
        yield node.get("id"), _Element(_local(node), node.get("name") or "", parts)


def _is_element(node: etree._Element) -> bool:
    """True for a node the diff lists on its own (a subprocess's tasks, nested lanes)."""
    return bool(node.get("id")) and _local(node.getparent()) in _CONTAINERS | {"lane", "laneSet"}


def _lanes(root: etree._Element) -> dict[str, etree._Element]:
    lanes = {}
    for ref in root.iter(f"{{{BPMN}}}flowNodeRef"):
        if ref.text:
            lanes[ref.text.strip()] = ref.getparent()
    return lanes


def _attributes(node: etree._Element, prefix: str = "") -> dict[str, str]:
    parts = {}
    for key, value in node.attrib.items():
        qname = etree.QName(key)
        name = qname.localname
        if name == "id" or (name == "name" and not prefix) or qname.namespace == _XSI:
            continue
        parts[prefix + _ATTRIBUTES.get(name, name)] = value
    return parts


def _collect(node: etree._Element, parts: dict[str, str]) -> None:
    tag = _local(node)
    if tag in _SKIPPED:
        return
    if tag == "property" and etree.QName(node).namespace == SPIFF:
        parts[f"property {node.get('name')}"] = node.get("value") or ""
        return
    if tag.endswith("EventDefinition"):
        parts["event"] = tag.removesuffix("EventDefinition")
    key = _PARTS.get(tag, tag)
    text = _text(node)
    if text:
        parts[key] = f"{parts[key]}\n{text}" if key in parts else text
    parts.update(_attributes(node, prefix="" if tag.endswith("EventDefinition") else f"{key} "))
    for child in node:
        if isinstance(child.tag, str):
            _collect(child, parts)


def _dmn_elements(root: etree._Element) -> Iterator[tuple[str, _Element]]:
    for decision in root.iter("{*}decision"):
        table = decision.find("{*}decisionTable")
        parts = {"hit policy": table.get("hitPolicy", "UNIQUE")} if table is not None else {}
        yield decision.get("id", ""), _Element("decision", decision.get("name") or "", parts)
        if table is None:
            continue
        inputs = table.findall("{*}input")
        outputs = table.findall("{*}output")
        for column in inputs:
            expression = column.find("{*}inputExpression")
            yield (
                column.get("id", ""),
                _Element(
                    "input",
                    column.get("label") or "",
                    {
                        "expression": _text(expression.find("{*}text"))
                        if expression is not None and expression.find("{*}text") is not None
                        else "",
                        "type": expression.get("typeRef", "") if expression is not None else "",
                    },
                ),
            )
        for column in outputs:
            yield (
                column.get("id", ""),
                _Element(
                    "output",
                    column.get("label") or column.get("name") or "",
                    {"name": column.get("name", ""), "type": column.get("typeRef", "")},
                ),
            )
        for rule in table.findall("{*}rule"):
            yield rule.get("id", ""), _rule(rule, inputs, outputs)


def _column_label(column: etree._Element, index: int) -> str:
    return column.get("label") or column.get("name") or column.get("id") or f"column {index + 1}"


def _rule(rule: etree._Element, inputs: list, outputs: list) -> _Element:
    parts = {}
    description = rule.find("{*}description")
    for index, entry in enumerate(rule.findall("{*}inputEntry")):
        label = _column_label(inputs[index], index) if index < len(inputs) else f"input {index + 1}"
        parts[f"if {label}"] = (
            _text(entry.find("{*}text")) if entry.find("{*}text") is not None else ""
        )
    for index, entry in enumerate(rule.findall("{*}outputEntry")):
        label = (
            _column_label(outputs[index], index) if index < len(outputs) else f"output {index + 1}"
        )
        parts[f"then {label}"] = (
            _text(entry.find("{*}text")) if entry.find("{*}text") is not None else ""
        )
    return _Element("rule", _text(description) if description is not None else "", parts)


def _rule_order(file: str, old: str, new: str) -> list[ElementChange]:
    """A decision whose rows kept their ids but were reordered (it matters for FIRST tables)."""
    changes = []
    old_root = diagram_rules.parse(old.encode("utf-8"))
    new_root = diagram_rules.parse(new.encode("utf-8"))
    if old_root is None or new_root is None:
        return []
    new_decisions = {d.get("id"): d for d in new_root.iter("{*}decision")}
    for decision in old_root.iter("{*}decision"):
        other = new_decisions.get(decision.get("id"))
        if other is None:
            continue
        before = [r.get("id") for r in decision.iter("{*}rule")]
        after = [r.get("id") for r in other.iter("{*}rule")]
        common = set(before) & set(after)
        before = [r for r in before if r in common]
        after = [r for r in after if r in common]
        if before != after:
            change = Change("rule order", ", ".join(before), ", ".join(after))
            changes.append(
                ElementChange(
                    file,
                    decision.get("id", ""),
                    "decision",
                    decision.get("name") or "",
                    CHANGED,
                    (change,),
                )
            )
    return changes


def _layout(text: str) -> bytes:
    """The drawing part of a file (BPMN DI or DMN DI), canonicalised."""
    root = diagram_rules.parse(text.encode("utf-8"))
    if root is None:
        return b""
    drawings = [
        etree.tostring(node, method="c14n")
        for node in root
        if isinstance(node.tag, str) and _local(node) in ("BPMNDiagram", "DMNDI")
    ]
    return b"".join(drawings)
