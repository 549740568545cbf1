"""The registry of form keys used by the BPMN user tasks."""

import re
from pathlib import Path

import forms
from forms import FORMS, TaskForm

PROCESSES_README = Path(__file__).parents[2] / "processes" / "README.md"


def form_keys_in_the_procedure_readme() -> set[str]:
    """The form keys the user-task table of processes/README.md lists (third column)."""
    keys = set()
    for line in PROCESSES_README.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"`\w+`", cells[2]):
            keys.add(cells[2].strip("`"))
    return keys


def test_every_form_key_of_the_procedure_has_a_form():
    assert set(FORMS) == form_keys_in_the_procedure_readme()


def test_registered_forms_are_task_forms_named_after_what_they_hold():
    for form_cls in FORMS.values():
        assert issubclass(form_cls, TaskForm)
        assert form_cls.__name__.endswith("Form")


def test_complainant_forms_are_exported_but_not_task_forms_of_the_procedure():
    for name in ("ComplaintForm", "StaffIntakeForm", "InformationReplyForm", "SurveyForm"):
        assert getattr(forms, name) not in FORMS.values()
        assert name in forms.__all__
