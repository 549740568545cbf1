"""TaskForm.task_data: what a completed task writes, in plain Python types."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from werkzeug.datastructures import MultiDict
from wtforms.fields import StringField, SubmitField

from forms import FORMS, ClassificationForm, ResolutionForm, StaffIntakeForm, TaskForm

# A receipt time within the last year (older ones are refused).
RECEIVED = datetime.combine(date.today() - timedelta(days=30), datetime.min.time()).replace(
    hour=9, minute=30
)


class ButtonedForm(TaskForm):
    """A form with a submit button, as a view might declare one."""

    note = StringField("Note")
    submit = SubmitField("Save")


def test_buttons_and_csrf_token_are_not_task_data():
    form = ButtonedForm(MultiDict({"note": "hi", "submit": "Save", "csrf_token": "abc"}))
    assert form.task_data() == {"note": "hi"}


def test_values_keep_their_python_types():
    form = StaffIntakeForm(
        MultiDict(
            {
                "channel": "letter",
                "received_at": f"{RECEIVED:%Y-%m-%dT%H:%M}",
                "event_date": "2026-01-02",
                "anonymous": "y",
                "description": "The bill was charged twice.",
            }
        )
    )
    assert form.validate(), form.errors
    data = form.task_data()
    assert data["received_at"] == RECEIVED
    assert type(data["event_date"]) is date
    assert data["anonymous"] is True
    assert data["purchase_date"] is None

    resolution = ResolutionForm(
        MultiDict({"remedies": ["refund", "apology"], "compensation_amount": "19.99"})
    )
    assert resolution.task_data()["remedies"] == ["refund", "apology"]
    assert resolution.task_data()["compensation_amount"] == Decimal("19.99")


def test_empty_optional_text_is_empty_and_empty_numbers_are_none():
    data = ClassificationForm(MultiDict({"category": "billing", "severity": "low"})).task_data()
    assert data["classification_notes"] == ""
    assert data["financial_impact"] is None
    assert data["breach_of_law"] is False


def test_a_form_without_input_gives_empty_values_of_the_right_type():
    for form_cls in FORMS.values():
        for name, value in form_cls().task_data().items():
            assert value in ("", None, False, []), (form_cls.__name__, name, value)
