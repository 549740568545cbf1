"""Lazy labels and messages: readable without an app, translated inside a request."""

import pytest
from flask import Flask
from flask_babel import Babel
from werkzeug.datastructures import MultiDict

from forms import ClassificationForm, ComplaintForm, SurveyForm


def test_labels_render_without_an_app_context():
    form = ComplaintForm()
    assert str(form.description.label.text) == "What happened?"
    assert 'for="description"' in str(form.description.label())
    assert "Gender-based violence" in str(ClassificationForm().category())


def test_error_messages_render_without_an_app_context():
    form = SurveyForm(MultiDict())
    assert not form.validate()
    assert [str(message) for message in form.errors["score"]] == ["Choose a score from 1 to 5."]


@pytest.fixture
def french_app() -> Flask:
    app = Flask(__name__)
    Babel(app, locale_selector=lambda: "fr")
    return app


def test_wtforms_own_messages_follow_the_request_locale(french_app):
    with french_app.test_request_context():
        form = ClassificationForm(MultiDict({"category": "weather", "severity": "low"}))
        assert not form.validate()
        assert form.errors == {"category": ["N'est pas un choix valide."]}


def test_labels_render_inside_a_request_of_an_app_with_babel(french_app):
    with french_app.test_request_context():
        # No catalogue of ours is loaded here, so the English source text shows.
        assert str(ComplaintForm().description.label.text) == "What happened?"


def test_validation_outside_a_request_keeps_wtforms_messages_in_english():
    app = Flask(__name__)

    def needs_a_request() -> str:
        raise RuntimeError("Working outside of request context.")

    Babel(app, locale_selector=needs_a_request)
    with app.app_context():
        form = ClassificationForm(MultiDict({"category": "weather", "severity": "low"}))
        assert not form.validate()
        assert form.errors == {"category": ["Not a valid choice."]}
