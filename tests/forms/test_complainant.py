"""What the complainant sends from the tracking page."""

import pytest

from forms import InformationReplyForm, SurveyForm


def test_information_reply_is_accepted(post):
    posted = post(InformationReplyForm, {"information_reply": "Invoice number 2026-118."})
    assert posted.valid, posted.errors
    assert posted.form.task_data() == {"information_reply": "Invoice number 2026-118."}


def test_information_reply_is_required_and_not_just_a_few_letters(post):
    assert post(InformationReplyForm, {"information_reply": "  "}).errors == {
        "information_reply": ["Write the information we asked for."]
    }
    assert post(InformationReplyForm, {"information_reply": "ok"}).errors == {
        "information_reply": ["Field must be between 5 and 5000 characters long."]
    }


@pytest.mark.parametrize("score", [1, 3, 5])
def test_survey_score_is_an_integer_from_one_to_five(post, score):
    posted = post(SurveyForm, {"score": str(score), "comment": "Quick and kind."})
    assert posted.valid, posted.errors
    assert posted.form.task_data() == {"score": score, "comment": "Quick and kind."}


def test_survey_without_comment_is_accepted(post):
    assert post(SurveyForm, {"score": "4"}).form.task_data() == {"score": 4, "comment": ""}


def test_survey_score_is_required(post):
    assert post(SurveyForm, {"comment": "No score."}).errors == {
        "score": ["Choose a score from 1 to 5."]
    }


@pytest.mark.parametrize("score", ["0", "6", "five"])
def test_survey_score_outside_one_to_five_is_refused(post, score):
    posted = post(SurveyForm, {"score": score})
    assert list(posted.errors) == ["score"]


def test_survey_comment_is_limited_to_2000_characters(post):
    posted = post(SurveyForm, {"score": "2", "comment": "x" * 2001})
    assert posted.errors == {"comment": ["Field cannot be longer than 2000 characters."]}
