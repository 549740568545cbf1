"""The manager's review of an overdue task."""

import pytest

from forms import OverdueReviewForm


@pytest.mark.parametrize(
    "action", ["reminded_handler", "reassigned", "deadline_extended", "taken_over"]
)
def test_each_overdue_action_is_accepted(post, action):
    posted = post(OverdueReviewForm, {"overdue_action": action})
    assert posted.valid, posted.errors
    assert posted.form.task_data() == {"overdue_action": action, "overdue_comment": ""}


def test_overdue_action_is_required(post):
    assert post(OverdueReviewForm, {"overdue_comment": "Hm."}).errors == {
        "overdue_action": ["Choose what to do about the delay."]
    }


def test_unknown_overdue_action_is_refused(post):
    assert post(OverdueReviewForm, {"overdue_action": "ignored"}).errors == {
        "overdue_action": ["Not a valid choice."]
    }
