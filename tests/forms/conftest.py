"""Form tests post browser-like data to a form class; no app, no request, no database."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form


@dataclass
class Posted:
    """A form after validation, with its error messages rendered as text."""

    form: Any
    valid: bool
    errors: dict[str, list[str]]


def post_form(form_cls: type[Form], data: Mapping[str, str | list[str]]) -> Posted:
    """Validate `data` (a browser's post: text values, lists for repeated keys) with a form."""
    form = form_cls(MultiDict(data))
    valid = form.validate()
    errors = {
        name: [str(message) for message in messages] for name, messages in form.errors.items()
    }
    return Posted(form, valid, errors)


@pytest.fixture
def post() -> Callable[[type[Form], Mapping[str, str | list[str]]], Posted]:
    """The `post_form` helper, for tests to post data to a form class."""
    return post_form


def without(data: Mapping[str, Any], *names: str) -> dict[str, Any]:
    """A copy of `data` without the keys `names`."""
    return {key: value for key, value in data.items() if key not in names}


@pytest.fixture(name="without")
def without_fixture() -> Callable[..., dict[str, Any]]:
    """The `without` helper."""
    return without
