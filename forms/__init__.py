"""WTForms classes: the public and staff forms declared in code, and the task forms compiled
from the procedure's definitions (processes/forms, forms.definitions).

`FORMS` and the task forms' class names (RegistrationForm, SignOffForm...) give the shipped
definitions' classes; the application reads a task's form from the version its complaint
runs on (services.form_definitions).
"""

from typing import Any

from forms.base import TaskForm, formdata_from_json
from forms.complainant import InformationReplyForm, SurveyForm
from forms.intake import ComplaintForm, StaffIntakeForm


def __getattr__(name: str) -> Any:
    if name != "FORMS" and not name.endswith("Form"):  # a submodule being imported
        raise AttributeError(f"module 'forms' has no attribute {name!r}")
    # Compiled on first use, not at import: reading and checking them takes a moment.
    from forms.definitions import shipped as compile_shipped

    shipped = compile_shipped()
    if name == "FORMS":
        return {key: found.form_class for key, found in shipped.items()}
    for found in shipped.values():
        if found.form_class.__name__ == name:
            return found.form_class
    raise AttributeError(f"module 'forms' has no attribute {name!r}")


__all__ = [
    "ComplaintForm",
    "InformationReplyForm",
    "StaffIntakeForm",
    "SurveyForm",
    "TaskForm",
    "formdata_from_json",
]
