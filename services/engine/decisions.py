"""Decision tables: checking their cells and running a candidate table on past data."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from lxml import etree
from SpiffWorkflow.exceptions import (
    SpiffWorkflowException,
)
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from forms.text import N_
from services.engine.problems import Problem, _problem_from, _syntax_problem
from services.engine.runtime import latest_data
from services.engine.sandbox import check_restricted
from services.engine.state import Specs, start_workflow


def lint_decisions(specs: Specs) -> list[Problem]:
    """Every DMN cell the business rule tasks of a process will evaluate, restricted-compiled."""
    problems: list[Problem] = []
    for process in [specs.spec, *specs.subprocess_specs.values()]:
        for ts in process.task_specs.values():
            table = getattr(getattr(ts, "dmnEngine", None), "decision_table", None)
            if table is not None:
                problems.extend(_table_problems(table, ""))
    return problems


def _table_problems(table: Any, file: str) -> list[Problem]:
    problems = []
    # A column's input expression runs on its own (DMNEngine validates or evaluates it before
    # any cell): "({input}) == ({cell})" may compile when the input alone does not, such as
    # ")(category", which then failed every classification at run time.
    checked: set[str] = set()
    for rule in table.rules:
        for entry in rule.inputEntries:
            column = entry.input
            expression = column.expression or ""
            if not expression or column.id in checked or not any(entry.lhs):
                continue
            checked.add(column.id)
            why = _syntax_problem(expression, "eval") or check_restricted(expression, "eval")
            if why:
                message = N_(
                    "input expression %(expression)s: %(why)s", expression=repr(expression), why=why
                )
                where = N_("input %(label)s", label=column.label or column.id)
                problems.append(Problem(file, where, message, column.id))
    for rule in table.rules:
        where = (
            N_(
                "rule %(number)s (%(description)s)",
                number=rule.row_number,
                description=rule.description,
            )
            if rule.description
            else N_("rule %(number)s", number=rule.row_number)
        )
        for entry in rule.inputEntries:
            for text in entry.lhs:
                why = _dmn_match_problem(entry.input.expression or "", text) if text else None
                if why:
                    message = N_("input entry %(entry)s: %(why)s", entry=repr(text), why=why)
                    problems.append(Problem(file, where, message, entry.id))
        for entry in rule.outputEntries:
            why = _syntax_problem(entry.text, "eval") or check_restricted(entry.text, "eval")
            if entry.text and why:
                message = N_("output entry %(entry)s: %(why)s", entry=repr(entry.text), why=why)
                problems.append(Problem(file, where, message, entry.id))
    return problems


def _dmn_match_problem(input_expression: str, text: str) -> str | None:
    """Compile a DMN input cell the ways DMNEngine.evaluate may run it; None if one works."""
    match = re.sub(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)", "dmninputexpr", text)
    if "dmninputexpr" in match:
        candidates = [match]
    else:
        candidates = [f"({input_expression}) == ({match})", f"{input_expression} {match}"]
    whys = [_syntax_problem(c, "eval") or check_restricted(c, "eval") for c in candidates]
    return None if any(w is None for w in whys) else whys[0]


_DECISION_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="decision_replay" targetNamespace="http://bpmn.io/schema/bpmn">
  <process id="decision_replay_process" isExecutable="true">
    <startEvent id="start"><outgoing>to_decide</outgoing></startEvent>
    <businessRuleTask id="decide" name="Decide">
      <extensionElements>
        <spiffworkflow:calledDecisionId>{decision_id}</spiffworkflow:calledDecisionId>
      </extensionElements>
      <incoming>to_decide</incoming><outgoing>to_end</outgoing>
    </businessRuleTask>
    <endEvent id="end"><incoming>to_end</incoming></endEvent>
    <sequenceFlow id="to_decide" sourceRef="start" targetRef="decide" />
    <sequenceFlow id="to_end" sourceRef="decide" targetRef="end" />
  </process>
</definitions>"""


@dataclass(frozen=True)
class DecisionInput:
    """One input column of a decision table."""

    label: str
    expression: str
    type_ref: str


@dataclass(frozen=True)
class DecisionTable:
    """A parsed candidate decision table, ready to run on data (see run_decision)."""

    decision_id: str
    name: str
    inputs: list[DecisionInput]
    outputs: list[str]
    specs: Specs


def parse_decision(
    dmn: bytes, decision_id: str | None = None, file: str = "decision.dmn"
) -> tuple[DecisionTable | None, list[Problem]]:
    """Parse one DMN document and pick a decision (the only one, or `decision_id`).

    Returns the table, or None and the problems (XML, DMN schema, restricted cells).
    """
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_dmn_io(BytesIO(dmn), filename=file)
    except etree.XMLSyntaxError as exc:
        message = N_("not well-formed XML (line %(line)s): %(why)s", line=exc.lineno, why=exc.msg)
        return None, [Problem(file, "", message)]
    except SpiffWorkflowException as exc:
        return None, [_problem_from(exc, file)]
    found = list(parser.dmn_parsers)
    chosen = decision_id if decision_id in found else (found[0] if len(found) == 1 else None)
    if chosen is None:
        listed = ", ".join(found) or N_("none")
        message = (
            N_(
                "expected decision '%(decision)s'; found %(found)s",
                decision=decision_id,
                found=listed,
            )
            if decision_id
            else N_("expected exactly one decision; found %(found)s", found=listed)
        )
        return None, [Problem(file, "", message)]
    try:
        parser.add_bpmn_io(BytesIO(_DECISION_PROCESS.format(decision_id=chosen).encode()))
        spec = parser.get_spec("decision_replay_process")
        dmn_parser = parser.dmn_parsers[chosen]
        table = dmn_parser.decision.decisionTables[0]
    except SpiffWorkflowException as exc:
        return None, [_problem_from(exc, file)]
    except (IndexError, AttributeError, KeyError, ValueError, SyntaxError) as exc:
        message = N_("the decision table cannot be read: %(why)s", why=str(exc))
        return None, [Problem(file, chosen, message, chosen)]
    problems = _table_problems(table, file)
    if problems:
        return None, problems
    inputs = [
        DecisionInput(i.label or i.name or i.id, i.expression or "", i.typeRef or "")
        for i in table.inputs
    ]
    outputs = [o.name or o.label for o in table.outputs]
    name = dmn_parser.decision.name or chosen
    return DecisionTable(chosen, name, inputs, outputs, Specs(spec, {})), []


def run_decision(table: DecisionTable, data: Mapping[str, Any]) -> dict[str, Any]:
    """Run the decision on `data` as a business rule task would; its outputs by name.

    Raises ProcessError when a cell fails on this data.
    """
    wf = start_workflow(table.specs, data)
    result = dict(wf.data) if wf.is_completed() else latest_data(wf)
    return {name: result.get(name) for name in table.outputs}
