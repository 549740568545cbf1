"""The manager's review of an overdue task."""

import pytest
from werkzeug.datastructures import MultiDict

from forms import OverdueReviewForm

EMPTY = {"extend_days": None, "reassign_to": "", "escalate_to": "", "overdue_comment": ""}


@pytest.mark.parametrize("action", ["reminded_handler", "taken_over"])
def test_each_overdue_action_without_details_is_accepted(post, action):
    posted = post(OverdueReviewForm, {"overdue_action": action, "extend_days": ""})
    assert posted.valid, posted.errors
    assert posted.form.task_data() == {"overdue_action": action, **EMPTY}


def test_extending_needs_a_number_of_days_within_limits(post):
    action = {"overdue_action": "deadline_extended"}
    assert post(OverdueReviewForm, action).errors == {
        "extend_days": ["Say by how many days the deadline moves."]
    }
    assert post(OverdueReviewForm, {**action, "extend_days": "91"}).errors == {
        "extend_days": ["Between 1 and 90 days."]
    }
    posted = post(OverdueReviewForm, {**action, "extend_days": "3"})
    assert posted.valid and posted.form.task_data()["extend_days"] == 3


@pytest.mark.parametrize("days", ["9" * 400, "99999999999999999999999"])
def test_a_number_of_days_beyond_what_the_database_holds_is_out_of_the_limits(post, days):
    # Beyond a float, WTForms' NumberRange raised OverflowError: a 500 on the task's page.
    posted = post(OverdueReviewForm, {"overdue_action": "deadline_extended", "extend_days": days})
    assert posted.errors == {"extend_days": ["Between 1 and 90 days."]}
    assert posted.form.extend_days.data is None


@pytest.mark.parametrize(
    ("action", "field"), [("reassigned", "reassign_to"), ("escalated", "escalate_to")]
)
def test_reassigning_or_escalating_needs_one_of_the_people_offered(action, field):
    form = OverdueReviewForm(MultiDict({"overdue_action": action}))
    form.fill_choices("reassign_to", [(7, "Samuel")])
    form.fill_choices("escalate_to", [(9, "Marie")])
    assert not form.validate() and field in form.errors
    value = "7" if field == "reassign_to" else "9"
    form = OverdueReviewForm(MultiDict({"overdue_action": action, field: value}))
    form.fill_choices("reassign_to", [(7, "Samuel")])
    form.fill_choices("escalate_to", [(9, "Marie")])
    assert form.validate(), form.errors
    form = OverdueReviewForm(MultiDict({"overdue_action": action, field: "8"}))
    form.fill_choices("reassign_to", [(7, "Samuel")])
    form.fill_choices("escalate_to", [(9, "Marie")])
    assert form.errors == {} and not form.validate()


def test_overdue_action_is_required(post):
    assert post(OverdueReviewForm, {"overdue_comment": "Hm."}).errors == {
        "overdue_action": ["Choose what to do about the delay."]
    }


def test_unknown_overdue_action_is_refused(post):
    assert post(OverdueReviewForm, {"overdue_action": "ignored"}).errors == {
        "overdue_action": ["Not a valid choice."]
    }
