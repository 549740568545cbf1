"""What a diagram check reports: the file, the element and what is wrong."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from SpiffWorkflow.exceptions import (
    SpiffWorkflowException,
)

from forms.text import N_


@dataclass(frozen=True)
class Problem:
    """One finding about a diagram: where, and what is wrong.

    `element` is a readable label ("Classify complaint (classify_complaint)"); `element_id`
    is the BPMN/DMN id an editor highlights ("" when the finding concerns the whole file).
    `severity` is "error" (blocks a deploy) or "warning"; `rule` names the check (bpmnlint
    rule name, or "" for our own checks). `message` may be a forms.text.Text: English as a
    str, translated by the web layer (app.domain_messages.localize).
    """

    file: str
    element: str
    message: str
    element_id: str = ""
    severity: str = "error"
    rule: str = ""

    def as_dict(self) -> dict[str, str]:
        """The finding as plain JSON-ready data (for an editor or an API)."""
        return {
            "file": self.file,
            "element": self.element,
            "element_id": self.element_id,
            "message": self.message,
            "severity": self.severity,
            "rule": self.rule,
        }

    def __str__(self) -> str:
        # A Text: the web layer shows it in the reader's language, like the message.
        if self.element:
            return N_(
                "%(file)s, element '%(element)s': %(message)s",
                file=self.file,
                element=self.element,
                message=self.message,
            )
        return N_("%(file)s: %(message)s", file=self.file, message=self.message)


def _problem_from(exc: SpiffWorkflowException, fallback_file: str) -> Problem:
    file = getattr(exc, "file_name", "") or fallback_file
    element_id = getattr(exc, "id", "") or ""
    name = getattr(exc, "name", "") or ""
    element = f"{name} ({element_id})" if name and element_id else element_id
    line = getattr(exc, "line_number", "")
    message = str(getattr(exc, "error_msg", "") or exc).split("\n")[0]
    if line:
        return Problem(
            file, element, N_("%(message)s (line %(line)s)", message=message, line=line), element_id
        )
    return Problem(file, element, message, element_id)


def _syntax_problem(source: str, mode: str) -> str | None:
    try:
        ast.parse(source, mode=mode)
    except SyntaxError as exc:
        return f"syntax error: {exc.msg} (line {exc.lineno})"
    return None
