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
    return _of_request()[0]


def every_versions_lists() -> choice_lists.ChoiceLists:
    """The lists of every deployed version, merged: what filters accept."""
    if not has_app_context():
        return choice_lists.shipped()
    if not has_request_context():
        return form_definitions.versions_lists()[1]
    return _of_request()[1]


def _of_request() -> tuple[choice_lists.ChoiceLists, choice_lists.ChoiceLists]:
    """Both, asked for once per request with one statement (a page with filters and labels
    needs both)."""
    found = g.get("choice_lists")
    if found is None:
        found = g.choice_lists = form_definitions.versions_lists()
    return found


def register() -> None:
    """Forms import nothing of ours: give forms.lists the active version's lists, and every
    version's for the filters."""
    choice_lists.use_source(active_lists, every_versions_lists)
