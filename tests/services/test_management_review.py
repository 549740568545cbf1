"""The management review: its periods, its figures against the previous period, the narrative."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from services import improvement, reporting, users
from services import management_review as reviews
from services.db import db
from services.errors import InvalidInput, NotAllowed
from services.models import AuditEvent, ManagementReview
from tests import journeys as j
from tests.conftest import DEMO_PASSWORD

# The demo procedure's clock is the real one; complaints are filed at these moments.
NOVEMBER = datetime(2026, 11, 10, 9, 30, tzinfo=UTC)
OCTOBER = datetime(2026, 10, 14, 9, 30, tzinfo=UTC)


def test_the_default_period_is_the_last_calendar_year():
    assert reviews.default_period(date(2026, 3, 5)) == (date(2025, 1, 1), date(2025, 12, 31))


@pytest.mark.parametrize(
    ("start", "end", "before"),
    [
        (date(2025, 1, 1), date(2025, 12, 31), (date(2024, 1, 1), date(2024, 12, 31))),
        (date(2026, 4, 1), date(2026, 6, 30), (date(2026, 1, 1), date(2026, 3, 31))),
        (date(2026, 3, 1), date(2026, 3, 31), (date(2026, 2, 1), date(2026, 2, 28))),
        (date(2026, 3, 10), date(2026, 3, 19), (date(2026, 2, 28), date(2026, 3, 9))),
    ],
)
def test_the_previous_period_has_the_same_length(start, end, before):
    assert reviews.previous(start, end) == before


def test_a_wrong_period_is_refused():
    with pytest.raises(InvalidInput):
        reviews.review_period(date(2026, 2, 1), date(2026, 1, 1))
    with pytest.raises(InvalidInput):
        reviews.review_period(date(2020, 1, 1), date(2026, 1, 1))
    with pytest.raises(InvalidInput):
        reviews.review_period(date(2026, 1, 1), None)


def build(at: datetime, count: int, closed: int = 0) -> list:
    """`count` complaints filed at `at`, the first `closed` of them taken to the survey."""
    made = []
    with time_machine.travel(at, tick=False):
        for n in range(count):
            made.append(j.to_survey() if n < closed else j.file())
        j.write_messages()
    return made


def headline(review, key):
    return next(row for row in review.headlines if row.key == key)


def test_the_review_compares_the_period_with_the_previous_one(app_context):
    build(OCTOBER, 1)
    build(NOVEMBER, 3, closed=2)
    reporting.refresh()
    db.session.commit()
    review = reviews.review(j.user("manager"), date(2026, 11, 1), date(2026, 11, 30))
    assert (review.period.previous_start, review.period.previous_end) == (
        date(2026, 10, 1),
        date(2026, 10, 31),
    )
    received = headline(review, "received")
    assert (received.now.value, received.before.value) == (3, 1)
    assert received.change == 2
    assert received.percent == 2.0
    closed = headline(review, "closed")
    assert (closed.now.value, closed.before.value, closed.change) == (2, 0, 2)
    assert closed.percent is None  # nothing to compare with
    backlog = headline(review, "backlog_end")
    assert backlog.now.value == 2  # the October one and the November one still open
    resolve = headline(review, "resolve_median")
    assert resolve.now.value is not None and resolve.before.value is None
    assert resolve.change is None


def compared(review, name):
    """A compared table as {key: (now, before)}, the cells as shown."""
    table = next(table for table in review.tables if table.name == name)
    return {
        row.key: (str(row.now.get("count", "")), str(row.before.get("count", "")))
        for row in table.rows
    }


def test_the_review_compares_the_complaints_received_by_category_and_department(app_context):
    build(OCTOBER, 1)
    november = build(NOVEMBER, 3, closed=2)
    november[2].department = "Billing"
    db.session.commit()
    reporting.refresh()
    db.session.commit()
    review = reviews.review(j.user("manager"), date(2026, 11, 1), date(2026, 11, 30))
    # The two taken to the survey were classified; the others not yet.
    assert compared(review, "categories") == {"product_quality": ("2", ""), "": ("1", "1")}
    assert compared(review, "departments") == {
        "Customer service": ("2", "1"),
        "Billing": ("1", ""),
    }


def test_confidential_complaints_are_not_counted_in_the_review_of_an_uncleared_reader(app_context):
    with time_machine.travel(NOVEMBER, tick=False):
        complaint = j.to_classification()
        j.complete(complaint, "classify_complaint", category="gender_based_violence")
        j.file()
    reporting.refresh()
    db.session.commit()
    review = reviews.review(j.user("analyst"), date(2026, 11, 1), date(2026, 11, 30))
    received = headline(review, "received")
    assert str(received.now) == "1"
    # The category only the confidential complaint has is not named.
    assert compared(review, "categories") == {"": ("1", "")}
    assert compared(review, "departments") == {"Customer service": ("1", "")}
    reader = users.create_user(
        "cleared", "Claire Cleared", DEMO_PASSWORD, ["manager", "confidential_focal_point"]
    )
    cleared = reviews.review(reader, date(2026, 11, 1), date(2026, 11, 30))
    assert str(headline(cleared, "received").now) == "2"
    assert compared(cleared, "categories") == {"gender_based_violence": ("1", ""), "": ("1", "")}


def test_actions_and_systemic_issues_of_the_period_are_listed(app_context):
    manager = j.user("manager")
    with time_machine.travel(NOVEMBER, tick=False):
        complaint = j.file()
        issue = improvement.open_issue(
            manager, title="Leaking seals", cluster_kind="product", cluster_key="wm-300"
        )
        late = improvement.open_action(
            manager,
            title="Change the seal supplier",
            owner_id=manager.id,
            due_date=date(2026, 11, 12),
            complaint_ids=[complaint.id],
            systemic_issue_id=issue.id,
        )
        improvement.open_action(
            manager, title="Train the depot", owner_id=manager.id, due_date=date(2027, 1, 31)
        )
        db.session.commit()
    with time_machine.travel(datetime(2026, 11, 20, 9, 0, tzinfo=UTC), tick=False):
        review = reviews.review(j.user("senior"), date(2026, 11, 1), date(2026, 11, 30))
    assert [i.title for i in review.issues] == ["Leaking seals"]
    assert [a.title for a in review.actions] == ["Change the seal supplier", "Train the depot"]
    assert review.actions_by_status == {"open": 2}
    assert review.overdue_action_ids == {late.id}
    assert reviews.review(manager, date(2025, 1, 1), date(2025, 12, 31)).actions == []


def test_the_manager_writes_the_narrative_once_per_period_and_it_is_audited(app_context):
    manager = j.user("manager")
    reviews.save_narrative(manager, date(2025, 1, 1), date(2025, 12, 31), "  First draft.\r\n")
    db.session.commit()
    reviews.save_narrative(manager, date(2025, 1, 1), date(2025, 12, 31), "Final text.")
    db.session.commit()
    rows = list(db.session.scalars(db.select(ManagementReview)))
    assert [(r.period_start, r.period_end, r.narrative) for r in rows] == [
        (date(2025, 1, 1), date(2025, 12, 31), "Final text.")
    ]
    assert rows[0].updated_by_id == manager.id
    events = list(
        db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.kind == "management_review_saved")
        )
    )
    assert len(events) == 2
    assert "narrative written" in events[0].summary
    assert "narrative changed" in events[1].summary
    review = reviews.review(j.user("analyst"), date(2025, 1, 1), date(2025, 12, 31))
    assert review.narrative == "Final text."


def test_only_managers_write_the_narrative_and_within_its_limit(app_context):
    with pytest.raises(NotAllowed):
        reviews.save_narrative(j.user("analyst"), date(2025, 1, 1), date(2025, 12, 31), "x")
    with pytest.raises(InvalidInput):
        reviews.save_narrative(
            j.user("manager"), date(2025, 1, 1), date(2025, 12, 31), "x" * 20_001
        )
    with pytest.raises(NotAllowed):
        reviews.review(j.user("agent"))
