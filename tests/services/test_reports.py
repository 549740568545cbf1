"""The dashboard's figures, counted on complaints built through the real procedure."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from services import business_calendar, reporting, reports, workflows
from services.db import db
from services.errors import InvalidInput
from services.models import ReportFact
from services.reports import ReportQuery
from tests import journeys as j

pytestmark = pytest.mark.usefixtures("app_context")


def this_month() -> ReportQuery:
    today = business_calendar.local_today()
    return ReportQuery(start=today - timedelta(days=40), end=today, grain="week")


def answered(complaint, score: int) -> None:
    workflows.deliver_message(complaint, "survey_answered", {"score": score, "comment": ""})
    db.session.commit()


def build() -> dict[str, object]:
    """Two closed (minor with a survey answered 4, major), one waiting, one just filed."""
    minor = j.to_survey("minor")
    answered(minor, 4)
    major = j.to_survey("major")
    waiting = j.to_classification(department="Billing")
    filed = j.file()
    reporting.refresh()
    db.session.commit()
    return {"minor": minor, "major": major, "waiting": waiting, "filed": filed}


def test_figures_count_complaints_built_through_the_procedure():
    built = build()
    manager = j.user("manager")
    query = this_month()
    figures = reports.figures(manager, query)
    assert figures.path == "rollup"
    totals = {name: cell.value for name, cell in figures.totals.items()}
    assert totals["received"] == 4
    assert totals["closed"] == 2
    assert totals["acknowledged"] == 3  # the one just filed is not registered yet
    assert totals["responded"] == 2
    assert totals["surveys_sent"] == 2
    assert totals["surveys_answered"] == 1
    assert totals["backlog_start"] == 0 and totals["backlog_end"] == 2
    assert sum(row.cells["received"].value for row in figures.volumes) == 4
    assert figures.volumes[-1].cells["backlog"].value == 2
    assert figures.satisfaction["average"].value == 4.0
    assert figures.satisfaction["response_rate"].value == 0.5
    scores = {row.key: row.cells["count"].value for row in figures.satisfaction_scores}
    assert scores == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}
    remedies = {row.key: row.cells["count"].value for row in figures.remedies}
    assert remedies == {"repair": 1, "apology": 1, "replacement": 1, "compensation": 1}
    assert figures.compensation["total"].value == 150
    codes = {row.key: row.cells["count"].value for row in figures.resolution_codes}
    assert codes == {"resolved_in_favour": 2, "complainant_informed": 2}
    assert {row.key: row.cells["count"].value for row in figures.root_causes} == {"process": 1}
    assert {row.key: row.cells["count"].value for row in figures.channels} == {"web": 4}
    # Received by category (two not classified yet) and by department.
    categories = {row.key: row.cells["count"].value for row in figures.categories}
    assert categories == {"product_quality": 2, "": 2}
    departments = {row.key: row.cells["count"].value for row in figures.departments}
    assert departments == {"Customer service": 3, "Billing": 1}
    ages = {row.key: row.cells["count"].value for row in figures.backlog_by_age}
    assert ages["0-7"] == 2 and sum(ages.values()) == 2
    steps = {row.key: row.cells["met"].value for row in figures.service_levels}
    assert steps["acknowledge"] == 2  # the two closed complaints, acknowledged on time
    # Known times: each complaint's own working seconds, through the same histogram.
    minor, major = j.refreshed(built["minor"]), j.refreshed(built["major"])
    closes = [minor.close_working_seconds, major.close_working_seconds]
    histogram: dict[int, int] = {}
    for seconds in closes:
        bucket = reporting.time_bucket(seconds)
        histogram[bucket] = histogram.get(bucket, 0) + 1
    close = next(row for row in figures.times if row.key == "close")
    assert close.cells["count"].value == 2
    assert close.cells["median"].value == reporting.percentile(histogram, 0.5)
    assert close.cells["p90"].value == reporting.percentile(histogram, 0.9)


def test_roll_ups_and_complaint_table_give_the_same_answers():
    build()
    query = this_month()
    for filters in (
        {},
        {"category": "product_quality"},
        {"department": "Billing"},
        {"route": "major"},
    ):
        asked = replace(query, **filters)
        _path, rolled = reports.tally(asked, "rollup")
        _path, counted = reports.tally(asked, "complaints")
        assert rolled.comparable() == counted.comparable(), filters
    month = replace(query, grain="month")
    assert reports.tally(month, "rollup")[1].comparable() == (
        reports.tally(month, "complaints")[1].comparable()
    )


def test_several_filters_read_the_report_facts():
    built = build()
    query = replace(this_month(), category="product_quality", severity="high", channel="web")
    postgres = db.session.get_bind().dialect.name == "postgresql"
    memory = db.session.scalar(db.text("SHOW work_mem")) if postgres else None
    figures = reports.figures(j.user("manager"), query)
    assert figures.path == "facts"
    if postgres:  # the counting's roomier work_mem does not outlive it
        assert db.session.scalar(db.text("SHOW work_mem")) == memory
    assert figures.totals["received"].value == 1  # the major one
    assert figures.totals["closed"].value == 1
    # A handler and another filter: the assignee is not rolled up in pairs.
    handler = j.refreshed(built["major"]).handler_id
    by_handler = replace(this_month(), assignee=handler, category="product_quality")
    handled = reports.figures(j.user("manager"), by_handler)
    assert handled.path == "facts"
    assert handled.totals["received"].value == 1


def test_two_filters_on_paired_dimensions_read_the_pair_roll_ups():
    build()
    query = replace(this_month(), category="product_quality", severity="high")
    figures = reports.figures(j.user("manager"), query)
    assert figures.path == "rollup"
    assert figures.totals["received"].value == 1  # the major one
    assert figures.totals["closed"].value == 1
    for grain in ("week", "month"):
        for filters in SEVERAL:
            if reporting.pair_slice(filters) is None:
                continue
            asked = replace(this_month(), grain=grain, **filters)
            rolled = reports.tally(asked, "rollup")[1].comparable()
            assert rolled == reports.tally(asked, "complaints")[1].comparable(), filters
    # While a day up to the period's end waits to be computed again (as after the migration
    # that added the pairs), the pair's view counts the report facts.
    reporting.mark_stale([this_month().start])
    db.session.commit()
    assert reports.figures(j.user("manager"), query).path == "facts"
    reporting.refresh()
    db.session.commit()
    assert reports.figures(j.user("manager"), query).path == "rollup"


def test_confidential_complaints_count_only_for_viewers_cleared_for_them():
    """A viewer without clearance reads the figures of the complaints they may list: a count
    that took a confidential complaint in (even as "< 5") told them it existed, and a day
    and a channel narrowed it down to one."""
    build()
    j.file(description="My supervisor harasses me.", sensitive_at_intake=True)
    reporting.refresh()
    db.session.commit()
    query = this_month()
    manager = reports.figures(j.user("manager"), query)
    focal = reports.figures(j.user("focal"), query)
    assert focal.totals["received"].value == 5
    assert manager.totals["received"].value == 4
    assert str(manager.totals["received"]) == "4"
    assert manager.totals["closed"].value == 2
    assert {row.key: row.cells["count"].value for row in manager.channels} == {"web": 4}
    assert {row.key: row.cells["count"].value for row in focal.channels} == {"web": 5}
    # The confidential one is not classified yet, and came to Customer service.
    categories = {row.key: str(row.cells["count"]) for row in manager.categories}
    assert categories == {"product_quality": "2", "": "2"}
    departments = {row.key: str(row.cells["count"]) for row in manager.departments}
    assert departments == {"Customer service": "3", "Billing": "1"}
    assert {row.key: str(row.cells["count"]) for row in focal.departments} == {
        "Customer service": "4",
        "Billing": "1",
    }
    # The same through the complaint table (several filters): nothing for the manager.
    both = replace(query, channel="web", route="confidential")
    assert reports.figures(j.user("manager"), both).totals["received"].value == 0
    assert reports.figures(j.user("focal"), both).totals["received"].value == 1


SEVERAL = (
    {"category": "product_quality", "severity": "high"},
    {"channel": "web", "route": "confidential"},
    {"channel": "web", "route": "minor", "category": "product_quality"},
    {"department": "Billing", "channel": "web"},
    {"channel": "web", "severity": "medium"},
)


def both_paths(viewer, query):
    """The figures through the report facts and through the complaint table, as compared."""
    found = []
    paths = ("facts", "complaints")
    if reporting.pair_slice(query.filters()) is not None:
        paths = ("rollup", *paths)
    for path in paths:
        figures = reports.figures(viewer, query, path)
        assert figures.path == path
        found.append(
            {
                "totals": {name: str(cell) for name, cell in figures.totals.items()},
                "satisfaction": {name: str(cell) for name, cell in figures.satisfaction.items()},
                "compensation": str(figures.compensation["total"]),
                **{
                    name: [(row.key, {k: str(v) for k, v in row.cells.items()}) for row in rows]
                    for name in reports.TABLES
                    for rows in [figures.table(name)]
                },
            }
        )
    return found


def test_report_facts_count_what_the_complaint_table_counts():
    built = build()
    secret = j.file(description="My supervisor harasses me.", sensitive_at_intake=True)
    reporting.refresh()
    db.session.commit()
    query = this_month()
    seen = set()
    for grain in ("week", "month"):
        for filters in SEVERAL:
            asked = replace(query, grain=grain, **filters)
            facts = reports.tally(asked, "facts")[1].comparable()
            assert facts == reports.tally(asked, "complaints")[1].comparable(), filters
            seen.add(facts["counts"].get("totals:received", [0])[0])
            for viewer in ("manager", "focal"):
                first, *others = both_paths(j.user(viewer), asked)
                assert all(other == first for other in others), (viewer, filters)
    assert seen >= {0, 1}  # some combinations count complaints, some none
    # The confidential complaint, alone in its combination: counted for the focal point only.
    alone = replace(query, channel="web", route="confidential")
    manager = reports.figures(j.user("manager"), alone)
    assert manager.path == "rollup"  # a pair's slice
    assert str(manager.totals["received"]) == "0"
    assert str(reports.figures(j.user("manager"), alone, "facts").totals["received"]) == "0"
    assert reports.figures(j.user("focal"), alone).totals["received"].value == 1
    # A later change reaches the facts at the next refresh, not before.
    closed = j.refreshed(built["minor"])
    by_dept = replace(query, department="Billing", channel="web")
    before = reports.figures(j.user("focal"), by_dept).totals["received"].value
    closed.department = "Billing"
    db.session.commit()
    reporting.refresh()
    db.session.commit()
    after = reports.figures(j.user("focal"), by_dept).totals["received"].value
    assert after == before + 1
    assert reports.tally(by_dept, "facts")[1].comparable() == (
        reports.tally(by_dept, "complaints")[1].comparable()
    )
    assert secret.id


def test_rebuild_writes_the_report_facts():
    build()
    query = replace(this_month(), channel="web", severity="high")
    expected = reports.tally(query, "complaints")[1].comparable()
    db.session.execute(db.delete(ReportFact))
    db.session.commit()
    assert reports.tally(query, "facts")[1].comparable() != expected
    reporting.rebuild()
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(ReportFact)) == 4
    assert reports.tally(query, "facts")[1].comparable() == expected


def test_drill_downs_list_only_visible_complaints():
    built = build()
    secret = j.file(description="My supervisor harasses me.", sensitive_at_intake=True)
    reporting.refresh()
    db.session.commit()
    query = this_month()
    manager, focal = j.user("manager"), j.user("focal")
    listed = reports.drilldown(manager, query, "received")
    assert listed.total == 4
    assert secret.id not in {c.id for c in listed.complaints}
    assert reports.drilldown(focal, query, "received").total == 5
    closed = reports.drilldown(manager, query, "closed")
    assert {c.id for c in closed.complaints} == {built["minor"].id, built["major"].id}
    backlog = reports.drilldown(manager, query, "backlog")
    assert {c.id for c in backlog.complaints} == {built["waiting"].id, built["filed"].id}
    remedy = reports.drilldown(manager, query, "remedies", "replacement")
    assert [c.id for c in remedy.complaints] == [built["major"].id]
    scores = reports.drilldown(manager, query, "scores", "4")
    assert [c.id for c in scores.complaints] == [built["minor"].id]
    met = reports.drilldown(manager, query, "sl_met", "acknowledge")
    assert met.total == 2
    week = query.periods()[-1].isoformat()
    assert reports.drilldown(manager, query, "received", week).total <= 4
    with pytest.raises(InvalidInput):
        reports.drilldown(manager, query, "received", "1999-01-01")
    with pytest.raises(InvalidInput):
        reports.drilldown(manager, query, "nonsense")


def test_periods_and_default_query():
    query = ReportQuery(
        start=business_calendar.local_today().replace(month=1, day=15),
        end=business_calendar.local_today().replace(month=3, day=2),
    )
    keys = query.periods()
    assert keys[0] == query.start and keys[1].day == 1 and len(keys) == 3
    default = reports.default_query()
    assert default.grain == "month" and default.start.day == 1
    assert (default.end - default.start).days <= 366


def test_nothing_measured_is_no_figure():
    figures = reports.figures(j.user("manager"), this_month())
    assert figures.totals["received"].value == 0
    assert figures.satisfaction["average"].value is None
    assert figures.satisfaction["response_rate"].value is None
    assert all(row.cells["median"].value is None for row in figures.times)
    assert str(figures.satisfaction["average"]) == ""


def test_categories_and_departments_count_the_complaints_received_by_every_path():
    """The tables of categories and departments: the roll-ups (no filter, one, a pair), the
    report facts and the complaint table give the same counts, department names being free
    text ("|" in a name, a name of 100 characters)."""
    built = build()
    long_name = "D" * 100
    major, minor = j.refreshed(built["major"]), j.refreshed(built["minor"])
    major.department, minor.department = "Sales | North", long_name
    db.session.commit()
    reporting.refresh()
    db.session.commit()
    manager = j.user("manager")
    query = this_month()
    figures = reports.figures(manager, query)
    assert figures.path == "rollup"
    departments = {row.key: row.cells["count"].value for row in figures.departments}
    assert departments == {"Customer service": 1, "Billing": 1, "Sales | North": 1, long_name: 1}
    for filters in ({}, {"category": "product_quality"}, {"department": "Sales | North"}):
        asked = replace(query, **filters)
        rolled = reports.figures(manager, asked, "rollup")
        for path in ("facts", "complaints"):
            other = reports.figures(manager, asked, path)
            for name in ("categories", "departments"):
                assert [(r.key, str(r.cells["count"])) for r in other.table(name)] == [
                    (r.key, str(r.cells["count"])) for r in rolled.table(name)
                ], (filters, path, name)
    by_category = reports.figures(manager, replace(query, category="product_quality"))
    assert {row.key: row.cells["count"].value for row in by_category.departments} == {
        "Sales | North": 1,
        long_name: 1,
    }
    assert [row.key for row in by_category.categories] == ["product_quality"]
    # Three filters: the report facts, as the complaint table counts.
    several = replace(query, category="product_quality", channel="web", route="major")
    facts = reports.figures(manager, several)
    assert facts.path == "facts"
    assert {row.key: row.cells["count"].value for row in facts.departments} == {"Sales | North": 1}
    assert reports.tally(several, "facts")[1].comparable() == (
        reports.tally(several, "complaints")[1].comparable()
    )


def test_drill_downs_list_the_complaints_of_a_category_or_department():
    built = build()
    manager = j.user("manager")
    query = this_month()
    page = reports.drilldown(manager, query, "categories", "product_quality")
    assert {c.id for c in page.complaints} == {built["minor"].id, built["major"].id}
    # "Not recorded": the complaints not classified yet (no category).
    page = reports.drilldown(manager, query, "categories", "")
    assert {c.id for c in page.complaints} == {built["waiting"].id, built["filed"].id}
    page = reports.drilldown(manager, query, "departments", "Billing")
    assert [c.id for c in page.complaints] == [built["waiting"].id]
