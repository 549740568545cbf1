"""The choice lists forms offer and pages name: the active version's, asked for once per
request (forms.lists reads them through the source registered here)."""

from __future__ import annotations

from flask import g, has_app_context, has_request_context

from forms import lists as choice_lists
from services import form_definitions


def active_lists() -> choice_lists.ChoiceLists:
    """The active version's choice lists. Once per request: a page names a label per row
    (history lines, report tables), and each asking costs a query for the version."""
    if not has_app_context():
        return choice_lists.shipped()
    if not has_request_context():
        return form_definitions.active_lists()  # a background round: deploys happen meanwhile
    found = g.get("active_choice_lists")
    if found is None:
        found = g.active_choice_lists = form_definitions.active_lists()
    return found


def register() -> None:
    """Forms import nothing of ours: give forms.lists the active version's lists."""
    choice_lists.use_source(active_lists)
