"""The inbox and complaint-list filter forms, bound to a query string."""

from werkzeug.datastructures import MultiDict

from forms.complaints import ComplaintFilterForm
from forms.inbox import InboxFilterForm, ReassignForm, department_options


def test_inbox_filters_keep_the_valid_settings_and_drop_the_rest():
    form = InboxFilterForm(
        MultiDict({"scope": "mine", "category": "weather", "severity": "high", "page": "2"})
    )
    assert not form.validate()
    assert "category" in form.errors
    assert form.values() == {"scope": "mine", "severity": "high", "sort": "due", "page": 2}
    assert form.query() == {"scope": "mine", "severity": "high", "sort": "due"}


def test_an_unknown_scope_or_page_is_refused():
    form = InboxFilterForm(MultiDict({"scope": "everyone", "page": "0"}))
    assert not form.validate()
    assert set(form.errors) == {"scope", "page"}


def test_department_choices_come_from_the_view():
    form = InboxFilterForm(MultiDict({"department": "Billing office"}))
    form.department.choices = department_options([("Billing office", "Facturation")])
    assert form.validate()
    assert form.values()["department"] == "Billing office"
    # The value is the name complaints carry; the label, the name in the reader's language.
    assert [(c.value, c.label) for c in form.department.choices][1:] == [
        ("Billing office", "Facturation")
    ]


def test_reassignment_only_to_an_offered_person():
    form = ReassignForm(MultiDict({"assignee": "7"}))
    form.set_candidates([(3, "Samuel Supervisor")])
    assert not form.validate()
    form = ReassignForm(MultiDict({"assignee": "3"}))
    form.set_candidates([(3, "Samuel Supervisor")])
    assert form.validate() and form.assignee.data == 3


def test_complaint_filters_leave_out_an_unticked_confidential_box():
    form = ComplaintFilterForm(MultiDict({"search": "  C-2026-000001 ", "sort": "oldest"}))
    assert form.validate()
    assert form.values() == {"search": "C-2026-000001", "sort": "oldest"}
