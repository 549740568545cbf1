"""The choice lists the application owns: (value stored, translatable label).

Each value here needs code: a status is the application's reading of the procedure, a
contact channel a way it delivers messages (and the contact detail it needs), a language one
it writes in, a satisfaction score a point of the scale its reports compute on. The
procedure's lists (categories, remedies, decisions, channels...) are data deployed with it,
processes/choices.toml, read through forms.lists."""

from collections.abc import Callable, Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from wtforms import SelectChoice

from forms import lists

Choices = tuple[tuple[Any, LazyString], ...]

PLACEHOLDER = _l("Choose…")

# The languages we write to complainants in (message templates exist in each).
LANGUAGES: Choices = (
    ("en", "English"),
    ("fr", "Français"),
)

# How the application writes to a complainant: each is a way it delivers (and the contact
# detail the intake forms then require).
CONTACT_CHANNELS: Choices = (
    ("email", _l("Email")),
    ("phone", _l("Telephone")),
    ("letter", _l("Letter")),
    ("none", _l("No contact (tracking link only)")),
)

# How the complainant of a confidential case can safely be reached: each maps to a way the
# application delivers (services.notifications.SAFE_CHANNELS).
SAFE_CONTACT_METHODS: Choices = (
    ("email", _l("Email")),
    ("phone", _l("Telephone")),
    ("post", _l("Post")),
    ("in_person", _l("In person")),
    ("none", _l("No contact (tracking link only)")),
)

# The satisfaction survey's scale: the diagram's low-score condition, the reports' averages
# and the API's 1-5 integer read these very numbers.
SCORES: Choices = (
    (1, _l("1 – very dissatisfied")),
    (2, _l("2 – dissatisfied")),
    (3, _l("3 – neither satisfied nor dissatisfied")),
    (4, _l("4 – satisfied")),
    (5, _l("5 – very satisfied")),
)

# A complaint's status (the open task's BPMN "phase", or a waiting state) in plain words.
STATUSES: Choices = (
    ("received", _l("Received")),
    ("registration", _l("Being registered")),
    ("classification", _l("Being analysed")),
    ("investigation", _l("Under investigation")),
    ("escalation", _l("Escalation under review")),
    ("legal_review", _l("Under legal review")),
    ("resolution", _l("Being resolved")),
    ("sign_off", _l("Response being approved")),
    ("review", _l("Being reviewed at the complainant's request")),
    ("in_progress", _l("In progress")),
    ("awaiting_information", _l("Waiting for information from the complainant")),
    ("awaiting_feedback", _l("Waiting for the complainant's opinion on how we handled it")),
    ("closed", _l("Closed")),
)


def label(choices: Iterable[tuple[Any, LazyString]], value: Any) -> LazyString | str:
    """The label of `value` in `choices`; the value itself if it is not one of them."""
    if value is None:
        return ""
    for choice_value, choice_label in choices:
        if choice_value == value:
            return choice_label
    return str(value)


def options(choices: Choices, blank: LazyString | None = None) -> list[SelectChoice]:
    """WTForms options for `choices`, headed by an empty option labelled `blank` if given."""
    # WTForms 3.3 deprecates (value, label) tuples as field choices.
    head = [SelectChoice("", blank)] if blank is not None else []
    return head + [SelectChoice(value, text) for value, text in choices]


def listed(name: str, blank: LazyString | None = None) -> Callable[[], list[SelectChoice]]:
    """A select's choices read from the procedure's list `name` each time a form is built
    (forms.lists.current: the active version's), headed by `blank` if given."""
    return lambda: options(lists.current().choices(name), blank)


def filtered(name: str, blank: LazyString | None = None) -> Callable[[], list[SelectChoice]]:
    """A filter's choices from list `name`: the active version's values, then those only
    earlier versions had (forms.lists.filterable), headed by `blank` if given."""
    return lambda: options(lists.filterable().choices(name), blank)
