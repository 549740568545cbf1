"""Recurring problems on complaints filed through the real procedure: rising products,
departments, categories and root causes (backdated receipts), look-alike clusters (same
contact and product within N days, similar descriptions) and the confidential rule.

Today is frozen at Friday 27 November 2026, noon in Paris: the default period is the 90 days
30 August - 27 November 2026, compared with 1 June - 29 August 2026.
"""

from __future__ import annotations

import itertools
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from services import complaints, improvement, look_alikes, recurring, users
from services.db import db
from services.errors import InvalidInput, NotFound
from services.models import RecurringSnapshot
from tests import journeys as j
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.usefixtures("app_context")

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 27, 12, tzinfo=PARIS)
PRODUCT = "Washing machine WM-300"
_people = itertools.count(1)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(NOW, tick=False):
        yield


def filed(days_ago: float, **overrides):
    """A complaint received `days_ago` days before now, from a person of its own unless told."""
    n = next(_people)
    values = {
        **j.INTAKE,
        "email": f"person{n}@example.org",
        "phone": f"+33 6 00 00 {n:04d}",
        # Words of its own, so that only the texts a test writes look alike.
        "description": f"alpha{n} bravo{n} charlie{n} delta{n} echo{n} foxtrot{n}",
        **overrides,
    }
    complaint = complaints.file_complaint(
        values, received_at=NOW - timedelta(days=days_ago)
    ).complaint
    db.session.commit()
    return complaint


def manager():
    return j.user("manager")


def cleared_manager():
    """A manager who is also the confidential focal point."""
    user = users.create_user(
        "cleared", "Claire Cleared", DEMO_PASSWORD, ["manager", "confidential_focal_point"]
    )
    db.session.commit()
    return user


def by_kind(found, kind):
    return {c.key: c for c in found if c.kind == kind}


def test_the_default_period_is_the_last_90_days_compared_with_the_90_before():
    span = recurring.period()
    assert (span.start, span.end) == (date(2026, 8, 30), date(2026, 11, 27))
    assert (span.previous_start, span.previous_end) == (date(2026, 6, 1), date(2026, 8, 29))
    assert span.days == 90 and len(span.weeks) == 13
    with pytest.raises(InvalidInput):
        recurring.period(date(2026, 11, 2), date(2026, 11, 1))


def test_a_product_rises_when_its_complaints_grow_however_it_is_spelled():
    filed(120, product_service=PRODUCT)  # the previous period
    filed(80, product_service=PRODUCT)
    filed(20, product_service=" washing  machine wm-300 ")
    filed(3, product_service="WASHING MACHINE WM-300")
    filed(2, product_service="Dryer D-10")
    filed(200, product_service=PRODUCT)  # before both periods: not counted

    found = recurring.recurring(manager())
    products = by_kind(found.rising, "product")
    assert list(products) == ["washing machine wm-300"]
    cluster = products["washing machine wm-300"]
    assert (cluster.now, cluster.before, cluster.change) == (3, 1, 2)
    assert (cluster.now_display, cluster.before_display, cluster.change_display) == ("3", "1", "+2")
    assert " ".join(cluster.label.lower().split()) == "washing machine wm-300"
    assert [w.count for w in cluster.trend] == [0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1]
    assert cluster.trend[0].week == date(2026, 8, 30)
    # Every complaint of the department counts: 4 now against 1 before.
    department = by_kind(found.rising, "department")["Customer service"]
    assert (department.now, department.before) == (4, 1)

    detail = recurring.cluster(manager(), "product", "washing machine wm-300")
    assert len(detail.complaints) == 3
    assert detail.complaints[0].received_at > detail.complaints[-1].received_at


def test_a_steady_product_does_not_rise():
    for days in (100, 110, 120, 10, 20, 30):
        filed(days, product_service=PRODUCT)
    assert by_kind(recurring.recurring(manager()).rising, "product") == {}
    # It is still a cluster one may open, with no rise.
    cluster = recurring.cluster(manager(), "product", "washing machine wm-300")
    assert (cluster.now, cluster.before) == (3, 3)


def test_categories_and_root_causes_rise_from_the_classification_and_investigation():
    for days in (30, 20, 10):
        complaint = filed(days, product_service=f"Item {days}")
        j.complete(complaint, "register_complaint")
        j.complete(complaint, "classify_complaint", category="delivery", severity="high")
        j.complete(complaint, "investigate_complaint", root_cause_category="supplier")
    found = recurring.recurring(manager())
    assert by_kind(found.rising, "category")["delivery"].now == 3
    assert by_kind(found.rising, "root_cause")["supplier"].now == 3


def test_the_same_contact_about_the_same_product_within_n_days_is_a_cluster():
    a = filed(50, email="Repeat@Example.org", phone="")
    b = filed(30, email="repeat@example.org ", phone="")  # 20 days later
    c = filed(5, email="other@example.org", phone="+221 77 123 45 67")
    d = filed(3, email="third@example.org", phone="+221-77-123-45-67")  # the same phone
    filed(4, email="repeat@example.org", product_service="Dryer D-10")  # another product
    filed(1, email="far@example.org")
    filed(60 + 45, email="far@example.org")  # 104 days apart: not a chain

    clusters = [c for c in recurring.recurring(manager()).look_alikes if c.kind == "contact"]
    members = sorted(sorted(ref.id for ref in cl.complaints) for cl in clusters)
    assert members == sorted([sorted([a.id, b.id]), sorted([c.id, d.id])])
    by_first = {min(ref.id for ref in cl.complaints): cl for cl in clusters}
    assert by_first[a.id].label == f"repeat@example.org · {PRODUCT}"
    assert by_first[a.id].key.startswith("c") and "@" not in by_first[a.id].key
    assert recurring.cluster(manager(), "contact", by_first[c.id].key).now == 2


def test_a_chain_may_begin_before_the_period_and_counts_it_before():
    early = filed(95, email="chain@example.org")  # before the period, within 30 days of the next
    later = filed(70, email="chain@example.org")
    (cluster,) = [c for c in recurring.recurring(manager()).look_alikes if c.kind == "contact"]
    assert {r.id for r in cluster.complaints} == {early.id, later.id}
    assert (cluster.now, cluster.before) == (1, 1)


def test_complaints_with_similar_descriptions_about_a_product_are_a_cluster():
    leak = "The washing machine leaks water from the door seal after every wash cycle."
    first = filed(40, description=leak)
    second = filed(
        20, description="Washing machine leaks water from the door seal after each wash."
    )
    third = filed(2, description=leak + " Nobody answers the phone.")
    filed(10, description="The delivery driver was rude and left the box in the rain.")
    filed(9, description=leak, product_service="Dryer D-10", category=None)

    clusters = [c for c in recurring.recurring(manager()).look_alikes if c.kind == "similar_text"]
    assert len(clusters) == 1
    (cluster,) = clusters
    assert {r.id for r in cluster.complaints} == {first.id, second.id, third.id}
    assert cluster.key == f"t{first.id}"
    assert cluster.before is None and cluster.before_display == "—"
    assert "washing machine leaks water" in cluster.label
    assert sum(w.count for w in cluster.trend) == 3


def test_shingles_and_jaccard():
    assert look_alikes.words("The box, it was BROKEN!") == ["box", "broken"]
    assert look_alikes.shingles("red blue green", 2) == frozenset({"red blue", "blue green"})
    assert look_alikes.jaccard(frozenset({"a", "b"}), frozenset({"b", "c"})) == pytest.approx(1 / 3)


def test_confidential_complaints_count_only_for_viewers_cleared_for_them():
    """Not as "< 5" either: a week and a value would give a confidential complaint away."""
    filed(100)
    visible = [filed(days) for days in (30, 20)]
    secret = filed(10, sensitive_at_intake=True, email=j.INTAKE["email"])
    visible.append(filed(9, email=j.INTAKE["email"]))  # the confidential one's contact

    found = recurring.recurring(manager())
    cluster = by_kind(found.rising, "product")["washing machine wm-300"]
    assert (cluster.now, cluster.now_display, cluster.before_display) == (3, "3", "1")
    assert cluster.change_display == "+2"
    assert [w.display for w in cluster.trend if w.count] == ["1", "1", "1"]
    assert "< 5" not in str(found)
    detail = recurring.cluster(manager(), "product", "washing machine wm-300")
    assert {r.id for r in detail.complaints} == {c.id for c in visible}
    assert detail.now == 3
    # The confidential complaint ties no one to anyone for the manager.
    assert [c for c in found.look_alikes if c.kind == "contact"] == []

    cleared = recurring.recurring(cleared_manager())
    cluster = by_kind(cleared.rising, "product")["washing machine wm-300"]
    assert cluster.now_display == "4"
    detail = recurring.cluster(j.user("cleared"), "product", "washing machine wm-300")
    assert secret.id in {r.id for r in detail.complaints}
    (contact,) = [c for c in cleared.look_alikes if c.kind == "contact"]
    assert secret.id in {r.id for r in contact.complaints}


def test_an_unknown_cluster_is_not_found():
    with pytest.raises(NotFound):
        recurring.cluster(manager(), "product", "nothing like it")
    with pytest.raises(NotFound):
        recurring.cluster(manager(), "colour", "red")
    with pytest.raises(NotFound):
        recurring.cluster(manager(), "similar_text", "t999")


def test_results_are_kept_until_a_complaint_arrives_and_issue_marks_stay_current():
    for days in (30, 20, 10):
        filed(days)
    first = recurring.recurring(manager())
    assert recurring.recurring(manager()) is first  # kept
    key = by_kind(first.rising, "product")["washing machine wm-300"]
    assert key.issue_id is None
    issue = improvement.open_issue(
        manager(), title="Seals", cluster_kind="product", cluster_key="washing machine wm-300"
    )
    db.session.commit()
    kept = recurring.recurring(manager())
    assert kept is first
    assert by_kind(kept.rising, "product")["washing machine wm-300"].issue_id == issue.id
    filed(1)
    fresh = recurring.recurring(manager())
    assert fresh is not first
    assert by_kind(fresh.rising, "product")["washing machine wm-300"].now == 4


def test_the_process_keeps_a_few_results_however_many_complaints_arrive():
    # Each complaint filed makes a new result (its id is part of the key): kept, but not all.
    recurring.forget()
    for days in range(12):
        filed(days + 1)
        latest = recurring.recurring(manager())
    assert len(recurring._CACHE) <= recurring._KEEP
    assert recurring.recurring(manager()) is latest


def plain(found):
    """What a page shows of recurring problems, in plain values."""
    return [
        (
            c.kind,
            c.key,
            c.label,
            c.now,
            c.before,
            c.now_display,
            c.before_display,
            c.change_display,
            [(w.week, w.count, w.display) for w in c.trend],
            [(r.id, r.reference, r.received_at) for r in c.complaints],
            c.issue_id,
        )
        for c in found.clusters
    ]


def test_the_timer_process_computes_the_default_period_ahead():
    filed(100)
    for days in (30, 20):
        filed(days)
    filed(10, sensitive_at_intake=True, email=j.INTAKE["email"])
    filed(9, email=j.INTAKE["email"])
    focal = cleared_manager()
    live = {False: plain(recurring.recurring(manager())), True: plain(recurring.recurring(focal))}
    assert live[False] != live[True]  # the focal point sees the confidential complaint
    assert any(c[0] == "product" for c in live[False])
    assert recurring.precompute() == 2  # without clearance, and with it
    db.session.commit()
    assert recurring.precompute() == 0  # current: nothing to do
    recurring.forget()
    assert plain(recurring.recurring(manager())) == live[False]
    assert plain(recurring.recurring(focal)) == live[True]
    # The page reads the snapshot: a change that files no complaint shows only once it is
    # computed again (as with the kept results, within `cache_seconds`).
    renamed = filed(8)
    recurring.forget()
    recurring.precompute()
    db.session.commit()
    renamed.product_service = "Something else entirely"
    db.session.commit()
    recurring.forget()
    kept = by_kind(recurring.recurring(manager()).rising, "product")
    assert kept["washing machine wm-300"].now == 4  # the manager's: not the confidential one
    # A complaint filed since makes the snapshot old: the page computes at once.
    filed(1, product_service="Tumble dryer TD-1")
    recurring.forget()
    fresh = by_kind(recurring.recurring(manager()).rising, "product")
    assert fresh["washing machine wm-300"].now == 3  # the renamed one left it
    assert recurring.precompute() == 2
    db.session.commit()
    # Another period than the default one is computed, not read.
    other = recurring.recurring(manager(), date(2026, 10, 1), date(2026, 11, 27))
    assert other.period.start == date(2026, 10, 1)


def test_a_snapshot_written_while_small_counts_read_less_than_5_is_computed_again():
    """Its counts took confidential complaints in, and a change or a sparkline read now would
    tell what its "< 5" hid; one in the stored format is read as it is."""
    for days in (30, 20, 10):
        filed(days)
    live = plain(recurring.recurring(manager()))
    assert recurring.precompute() == 2
    db.session.commit()
    row = db.session.get(RecurringSnapshot, False)
    stored = json.loads(row.payload)
    product = next(c for c in stored["rising"] if c["kind"] == "product")

    def store_and_read():
        row.payload = json.dumps(stored)
        db.session.commit()
        recurring.forget()
        return recurring.recurring(manager())

    product["label"] = "Read from the snapshot"
    read = by_kind(store_and_read().rising, "product")["washing machine wm-300"]
    assert read.label == "Read from the snapshot"
    product["trend"][-1][2] = "< 5"  # a week as the old rule showed it
    assert plain(store_and_read()) == live
    product["trend"][-1][2] = str(product["trend"][-1][1])
    product["before_display"] = "< 5"
    assert plain(store_and_read()) == live
