"""Saved inbox filters: kept per user, replaced by name, invisible to anybody else."""

from __future__ import annotations

import pytest

from services import saved_filters
from services.db import db
from services.errors import InvalidInput, NotFound
from services.models import SavedFilter
from tests import journeys as j

pytestmark = pytest.mark.usefixtures("app_context")


def test_a_saved_filter_keeps_only_inbox_settings():
    saved = saved_filters.save(
        j.user("supervisor"),
        "  Billing, urgent first ",
        {"category": "billing", "sort": "due", "search": "", "page": 3, "evil": "x"},
    )
    db.session.commit()
    assert saved.name == "Billing, urgent first"
    assert saved.query == {"category": "billing", "sort": "due"}


def test_each_user_lists_only_their_own_filters_by_name():
    supervisor, manager = j.user("supervisor"), j.user("manager")
    saved_filters.save(supervisor, "Zebra", {"channel": "phone"})
    saved_filters.save(supervisor, "Alpha", {"channel": "email"})
    saved_filters.save(manager, "Mine", {"scope": "mine"})
    db.session.commit()
    assert [f.name for f in saved_filters.list_for(supervisor)] == ["Alpha", "Zebra"]
    assert [f.name for f in saved_filters.list_for(manager)] == ["Mine"]


def test_saving_under_an_existing_name_replaces_the_filter():
    supervisor = j.user("supervisor")
    first = saved_filters.save(supervisor, "Phone", {"channel": "phone"})
    db.session.commit()
    second = saved_filters.save(supervisor, "Phone", {"channel": "phone", "severity": "high"})
    db.session.commit()
    assert second.id == first.id
    assert db.session.scalar(db.select(db.func.count(SavedFilter.id))) == 1
    assert db.session.get(SavedFilter, first.id).query == {"channel": "phone", "severity": "high"}


def test_a_filter_needs_a_name():
    with pytest.raises(InvalidInput) as refused:
        saved_filters.save(j.user("supervisor"), "   ", {"channel": "phone"})
    assert "name" in refused.value.details


def test_a_user_deletes_their_own_filter():
    supervisor = j.user("supervisor")
    saved = saved_filters.save(supervisor, "Phone", {"channel": "phone"})
    db.session.commit()
    saved_filters.delete(supervisor, saved.id)
    db.session.commit()
    assert saved_filters.list_for(supervisor) == []


def test_another_users_filter_does_not_exist_for_them():
    saved = saved_filters.save(j.user("supervisor"), "Phone", {"channel": "phone"})
    db.session.commit()
    manager = j.user("manager")
    with pytest.raises(NotFound):
        saved_filters.get_for(manager, saved.id)
    with pytest.raises(NotFound):
        saved_filters.delete(manager, saved.id)
    assert db.session.get(SavedFilter, saved.id) is not None
