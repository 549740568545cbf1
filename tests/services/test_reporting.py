"""Report data on the real procedure: the complaint's report columns, the daily roll-ups after
refresh, a reopening moving figures, the rebuild agreeing with the incremental path, and
confidential complaints counted apart.

Times are Paris times on the default calendar (Monday to Friday 9:00-17:30, French public
holidays). November 2026: Monday 9, Tuesday 10, Wednesday 11 (Armistice, a holiday),
Thursday 12, Friday 13, Monday 16.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask_migrate import downgrade, upgrade

from app.cli import timer_loop
from services import complaints, reporting, tracking, workflows
from services.clock import as_utc
from services.db import db
from services.models import Complaint, ComplaintCode, ReportCodeDay, ReportDay, ReportStaleDay
from tests import journeys as j

pytestmark = pytest.mark.usefixtures("app_context")

PARIS = ZoneInfo("Europe/Paris")
HOUR = 3600


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


def at(text: str):
    """Freeze the clock at a Paris time."""
    return time_machine.travel(paris(text), tick=False)


def local(moment: datetime | None) -> str | None:
    return None if moment is None else as_utc(moment).astimezone(PARIS).strftime("%Y-%m-%d %H:%M")


def refresh() -> None:
    while reporting.refresh():
        db.session.commit()
    db.session.commit()


def figures(day: str, dimension: str = "all", value: str = "", confidential: bool = False):
    """The ReportDay row's non-zero figures, or {}."""
    db.session.expire_all()
    row = db.session.get(ReportDay, (dimension, value, date.fromisoformat(day), confidential))
    if row is None:
        return {}
    found = {name: getattr(row, name) for name in reporting.FIGURES}
    return {name: value for name, value in found.items() if value}


def codes(day: str, kind: str, dimension: str = "all", value: str = "", confidential=False):
    """{code: count} of one kind on one day in one slice."""
    rows = db.session.scalars(
        db.select(ReportCodeDay).where(
            ReportCodeDay.day == date.fromisoformat(day),
            ReportCodeDay.kind == kind,
            ReportCodeDay.dimension == dimension,
            ReportCodeDay.value == value,
            ReportCodeDay.confidential.is_(confidential),
        )
    )
    return {row.code: row.count for row in rows}


def all_rows() -> tuple[set, set]:
    db.session.expire_all()
    days = {
        (r.dimension, r.value, r.day, r.confidential, *(getattr(r, n) for n in reporting.FIGURES))
        for r in db.session.scalars(db.select(ReportDay))
    }
    code_rows = {
        (r.dimension, r.value, r.day, r.confidential, r.kind, r.code, r.count)
        for r in db.session.scalars(db.select(ReportCodeDay))
    }
    return days, code_rows


def file_by(channel: str, **intake) -> Complaint:
    """File a complaint received on another channel than the web form."""
    filed = complaints.file_complaint({**j.INTAKE, **intake}, channel=channel)
    db.session.commit()
    return filed.complaint


def minor_case() -> Complaint:
    """A minor complaint: received Monday 10:00, acknowledged 11:00, classified 12:00,
    resolved Tuesday 10:00, signed off (response sent, closed) Thursday 10:00."""
    with at("2026-11-09 10:00"):
        complaint = j.file()
    with at("2026-11-09 11:00"):
        j.complete(complaint, "register_complaint")
    with at("2026-11-09 12:00"):
        j.complete(complaint, "classify_complaint")
    with at("2026-11-10 10:00"):
        j.complete(complaint, "resolve_minor")
    with at("2026-11-12 10:00"):
        j.complete(complaint, "sign_off_minor")
    return complaint


# ---- the histogram -------------------------------------------------------------------------


def test_working_times_fall_in_buckets_and_percentiles_read_them_back():
    assert reporting.time_bucket(0) == 0
    assert reporting.time_bucket(HOUR - 1) == 1  # [0.5 h, 1 h)
    assert reporting.time_bucket(HOUR) == 2  # [1 h, 2 h)
    assert reporting.bucket_range(2) == (HOUR, 2 * HOUR)
    last = len(reporting.bucket_bounds())
    assert reporting.time_bucket(10**9) == last
    assert reporting.bucket_range(last) == (1024 * HOUR, None)
    # Ten times in [1 h, 2 h): the median half-way, the 90th percentile at nine tenths.
    assert reporting.median({2: 10}) == round(1.5 * HOUR)
    assert reporting.p90({"2": 10}) == round(1.9 * HOUR)
    assert reporting.median({2: 1, 10: 1}) == 2 * HOUR  # the first's whole bucket
    assert reporting.percentile({last: 3}, 0.5) == 1024 * HOUR
    assert reporting.median({}) is None
    assert reporting.median({4: 0}) is None


# ---- the columns ---------------------------------------------------------------------------


def test_a_minor_complaint_carries_its_times_handler_and_codes():
    complaint = minor_case()
    row = j.refreshed(complaint)
    assert (local(row.acknowledged_at), local(row.responded_at), local(row.closed_at)) == (
        "2026-11-09 11:00",
        "2026-11-12 10:00",
        "2026-11-12 10:00",
    )
    assert row.ack_working_seconds == HOUR
    # Monday 10:00-17:30, Tuesday 8.5 h, Wednesday a holiday, Thursday 9:00-10:00.
    assert row.resolve_working_seconds == row.close_working_seconds == 17 * HOUR
    assert row.handler_id == j.user("supervisor").id
    assert row.surveyed_at is None and row.breaches == 0 and row.appeals == 0
    assert row.root_cause_category is None and row.escalation_target is None
    stored = set(
        db.session.execute(
            db.select(ComplaintCode.kind, ComplaintCode.code).where(
                ComplaintCode.complaint_id == complaint.id
            )
        ).all()
    )
    assert stored == {
        ("resolution_code", "resolved_in_favour"),
        ("resolution_code", "complainant_informed"),
        ("remedy", "repair"),
        ("remedy", "apology"),
        ("clock_met", "acknowledge"),
        ("clock_met", "classify"),
        ("clock_met", "resolve_minor"),
        ("clock_met", "sign_off"),
        ("clock_met", "complaint"),
    }
    with at("2026-11-13 09:30"):
        tracking.answer_survey(j.refreshed(complaint), 4, "Quick.")
        db.session.commit()
    row = j.refreshed(complaint)
    assert (local(row.surveyed_at), row.satisfaction_score) == ("2026-11-13 09:30", 4)
    assert row.outcome == "closed_with_survey"


def test_a_major_complaint_carries_root_cause_escalation_and_compensation():
    with at("2026-11-09 10:00"):
        complaint = j.to_investigation()
    with at("2026-11-10 10:00"):
        j.complete(
            complaint,
            "investigate_complaint",
            root_cause_category="supplier",
            escalation_requested=True,
            escalation_target="legal_counsel",
            escalation_reason="Possible breach of consumer law.",
        )
    row = j.refreshed(complaint)
    assert (row.escalation_target, row.escalation_decision) == ("legal_counsel", None)
    assert local(row.escalated_at) == "2026-11-10 10:00"
    with at("2026-11-10 11:00"):
        j.complete(complaint, "approve_escalation", escalation_decision="refused",
                   escalation_comment="Not needed.")  # fmt: skip
    with at("2026-11-10 12:00"):
        j.complete(complaint, "investigate_complaint", root_cause_category="supplier")
    with at("2026-11-12 10:00"):
        j.complete(complaint, "resolve_major")
    with at("2026-11-12 11:00"):
        j.complete(complaint, "sign_off_major")
    row = j.refreshed(complaint)
    assert row.root_cause_category == "supplier"
    assert (row.escalation_target, row.escalation_decision) == ("legal_counsel", "refused")
    assert local(row.escalated_at) == "2026-11-10 10:00"  # the first request
    assert row.compensation_paid == Decimal("150.00")
    assert row.handler_id == j.user("investigator").id
    refresh()
    assert figures("2026-11-10")["escalated"] == 1
    assert codes("2026-11-10", "escalation_target") == {"legal_counsel": 1}
    assert codes("2026-11-10", "escalation_decision") == {"refused": 1}
    assert figures("2026-11-12")["compensation"] == Decimal("150.00")
    assert codes("2026-11-12", "root_cause") == {"supplier": 1}
    assert codes("2026-11-12", "remedy") == {"replacement": 1, "compensation": 1}
    assert codes("2026-11-12", "root_cause", "severity", "high") == {"supplier": 1}


# ---- the roll-ups --------------------------------------------------------------------------


def test_roll_ups_count_each_figure_on_its_days_in_every_slice():
    first = minor_case()
    with at("2026-11-09 15:00"):
        file_by("phone", department="Billing")  # received, not yet registered
    with at("2026-11-13 09:30"):
        tracking.answer_survey(j.refreshed(first), 2, "Slow.")
        db.session.commit()
    refresh()
    assert figures("2026-11-09") == {"received": 2, "acknowledged": 1}
    assert codes("2026-11-09", "channel") == {"web": 1, "phone": 1}
    # The category and department received (the phone one is not classified yet).
    assert codes("2026-11-09", "category") == {"product_quality": 1, "": 1}
    assert codes("2026-11-09", "department") == {"Customer service": 1, "Billing": 1}
    assert codes("2026-11-09", "department", "channel", "phone") == {"Billing": 1}
    assert codes("2026-11-09", "time_acknowledge") == {str(reporting.time_bucket(HOUR)): 1}
    assert figures("2026-11-12") == {"closed": 1, "responded": 1, "surveys_sent": 1}
    assert figures("2026-11-13") == {"surveys_answered": 1, "score_sum": 2}
    assert codes("2026-11-13", "score") == {"2": 1}
    bucket = str(reporting.time_bucket(17 * HOUR))
    assert codes("2026-11-12", "time_resolve") == codes("2026-11-12", "time_close") == {bucket: 1}
    assert codes("2026-11-12", "outcome") == {"closed_with_survey": 1}
    assert codes("2026-11-12", "remedy") == {"repair": 1, "apology": 1}
    assert codes("2026-11-12", "clock_met")["acknowledge"] == 1
    assert codes("2026-11-12", "clock_breached") == {}
    # Slices: the complaint's current values; unset ones under "".
    assert figures("2026-11-09", "category", "product_quality") == {
        "received": 1,
        "acknowledged": 1,
    }
    assert figures("2026-11-09", "category", "") == {"received": 1}
    assert figures("2026-11-09", "department", "Billing") == {"received": 1}
    assert figures("2026-11-09", "channel", "phone") == {"received": 1}
    handler = str(j.user("supervisor").id)
    assert figures("2026-11-12", "assignee", handler)["closed"] == 1
    assert figures("2026-11-09", "assignee", "") == {"received": 1}
    assert figures("2026-11-12", "route", "minor")["closed"] == 1
    assert figures("2026-11-10") == {}
    # Nothing stale is left; a second refresh finds nothing to do.
    assert db.session.scalar(db.select(db.func.count()).where(Complaint.report_stale)) == 0
    assert reporting.refresh() == 0


def test_a_reopened_complaint_moves_its_closure_to_the_day_it_closes_again():
    complaint = minor_case()
    with at("2026-11-13 09:30"):
        tracking.answer_survey(j.refreshed(complaint), 2, "")
        db.session.commit()
    refresh()
    assert figures("2026-11-12")["closed"] == 1
    assert codes("2026-11-12", "outcome") == {"closed_with_survey": 1}
    with at("2026-11-16 10:00"):
        workflows.reopen_by_staff(j.refreshed(complaint), j.user("manager"), "Wrong part sent.")
        db.session.commit()
    row = j.refreshed(complaint)
    assert (row.closed_at, row.close_working_seconds, local(row.reopened_at)) == (
        None,
        None,
        "2026-11-16 10:00",
    )
    assert row.report_stale  # the refresh takes its counted closure off the day it was on
    assert figures("2026-11-12")["closed"] == 1  # until then
    refresh()
    assert "closed" not in figures("2026-11-12")
    assert figures("2026-11-12")["responded"] == 1  # the first response stays
    assert codes("2026-11-12", "remedy") == codes("2026-11-12", "outcome") == {}
    assert figures("2026-11-16") == {"reopened": 1}
    with at("2026-11-17 10:00"):
        j.complete(complaint, "review_case")
    row = j.refreshed(complaint)
    assert local(row.closed_at) == "2026-11-17 10:00"
    # Monday 9 10:00 to Tuesday 17 10:00: 7.5 + 8.5 + 0 + 8.5 + 8.5 + 8.5 + 1 working hours.
    assert row.close_working_seconds == 42.5 * HOUR
    assert local(row.responded_at) == "2026-11-12 10:00"
    refresh()
    assert figures("2026-11-17")["closed"] == 1
    assert codes("2026-11-17", "outcome") == {"closed_after_review": 1}
    assert codes("2026-11-17", "remedy") == {"repair": 1, "apology": 1}


def test_an_appeal_counts_on_the_day_the_complainant_asks():
    complaint = minor_case()
    with at("2026-11-13 09:30"):
        tracking.answer_survey(j.refreshed(complaint), 3, "")
        db.session.commit()
    with at("2026-11-16 09:30"):
        tracking.request_review(j.refreshed(complaint), "The part is still faulty.")
        db.session.commit()
    row = j.refreshed(complaint)
    assert (row.appeals, row.reopen_count) == (1, 1)
    refresh()
    assert figures("2026-11-16") == {"appealed": 1, "reopened": 1}


def test_confidential_complaints_are_counted_in_their_own_rows():
    with at("2026-11-09 10:00"):
        j.file(sensitive_at_intake=True)
        j.file()
    refresh()
    assert figures("2026-11-09") == {"received": 1}
    assert figures("2026-11-09", confidential=True) == {"received": 1}
    assert figures("2026-11-09", "route", "confidential", confidential=True) == {"received": 1}


def test_a_breach_is_counted_when_the_complaint_closes():
    with at("2026-11-09 10:00"):
        complaint = j.file()
    with at("2026-11-13 10:00"):  # acknowledgement was due Thursday 17:30
        workflows.tick()
        db.session.commit()
    assert j.refreshed(complaint).breaches == 1  # counted by the timer loop
    with at("2026-11-13 11:00"):
        j.complete(complaint, "register_complaint")
        j.complete(complaint, "classify_complaint")
        j.complete(complaint, "resolve_minor")
    with at("2026-11-13 12:00"):
        j.complete(complaint, "sign_off_minor")
    refresh()
    assert figures("2026-11-13")["breached"] == 1
    assert codes("2026-11-13", "clock_breached") == {"acknowledge": 1}
    assert "acknowledge" not in codes("2026-11-13", "clock_met")


def test_the_rebuild_gives_the_rows_of_the_incremental_path(runner):
    minor_case()
    with at("2026-11-09 15:00"):
        file_by("letter", sensitive_at_intake=True)
    with at("2026-11-10 09:00"):
        j.to_investigation()
    refresh()
    incremental = all_rows()
    assert incremental[0] and incremental[1]
    result = runner.invoke(args=["rebuild-reports"])
    assert result.exit_code == 0, result.output
    assert all_rows() == incremental
    result = runner.invoke(args=["rebuild-reports", "--since", "2026-11-10"])
    assert result.exit_code == 0, result.output
    assert all_rows() == incremental
    result = runner.invoke(args=["rebuild-reports", "--since", "10/11/2026"])
    assert result.exit_code != 0


def test_refreshing_after_every_step_keeps_the_rows_a_rebuild_gives(runner):
    """Each refresh takes a changed complaint's last counted figures off and adds its new
    ones: after every step of a case that moves, changes slices and reopens, the roll-ups
    are those a rebuild counts from nothing, and no row is left holding only zeros."""
    with at("2026-11-09 10:00"):
        complaint = j.file()
        other = file_by("phone", department="Billing")
    refresh()
    steps = [
        ("2026-11-09 11:00", lambda: j.complete(complaint, "register_complaint")),
        ("2026-11-09 12:00", lambda: j.complete(complaint, "classify_complaint")),
        ("2026-11-10 10:00", lambda: j.complete(complaint, "resolve_minor")),
        ("2026-11-12 10:00", lambda: j.complete(complaint, "sign_off_minor")),
        ("2026-11-13 09:30", lambda: tracking.answer_survey(j.refreshed(complaint), 2, "")),
        (
            "2026-11-16 10:00",
            lambda: workflows.reopen_by_staff(j.refreshed(complaint), j.user("manager"), "Again."),
        ),
        ("2026-11-16 11:00", lambda: setattr(j.refreshed(other), "department", "Delivery")),
        ("2026-11-17 10:00", lambda: j.complete(complaint, "review_case")),
    ]
    for moment, step in steps:
        with at(moment):
            step()
            db.session.commit()
        refresh()
        incremental = all_rows()
        zeros = [row for row in incremental[0] if not any(row[4:])]
        zeros += [row for row in incremental[1] if not row[-1]]
        assert zeros == [], (moment, zeros)
        result = runner.invoke(args=["rebuild-reports"])
        assert result.exit_code == 0, result.output
        assert all_rows() == incremental, moment
    assert figures("2026-11-12") == {"responded": 1, "surveys_sent": 1}  # closure moved
    assert figures("2026-11-17")["closed"] == 1
    assert figures("2026-11-09", "department", "Delivery") == {"received": 1}
    assert figures("2026-11-09", "department", "Billing") == {}


def test_the_migration_backfills_existing_complaints_like_the_saves_do(app):
    minor = minor_case()
    with at("2026-11-13 09:30"):
        tracking.answer_survey(j.refreshed(minor), 5, "")
        db.session.commit()
    with at("2026-11-16 10:00"):
        major = j.to_investigation()
        j.complete(
            major,
            "investigate_complaint",
            root_cause_category="people",
            escalation_requested=True,
            escalation_target="police",
            escalation_reason="Theft suspected.",
        )
        j.complete(major, "approve_escalation")
    with at("2026-11-17 10:00"):
        j.file(sensitive_at_intake=True)
    refresh()
    columns = [c for c in Complaint.__table__.columns if c.name != "report_stale"]

    def stored():
        db.session.expire_all()
        rows = db.session.execute(db.select(*columns).order_by(Complaint.id)).all()
        facts = db.session.execute(
            db.select(ComplaintCode.complaint_id, ComplaintCode.kind, ComplaintCode.code)
        ).all()
        return [tuple(row) for row in rows], set(facts)

    projected, rolled_up = stored(), all_rows()
    assert projected[0][1][columns.index(Complaint.escalation_target)] == "police"
    db.session.remove()
    with at("2026-11-18 10:00"):
        downgrade(revision="c1e6155e77a9")
        upgrade()
    after = stored()
    names = [c.name for c in columns]
    differences = [
        (before[0], name, old, new)
        for before, now in zip(projected[0], after[0], strict=True)
        for name, old, new in zip(names, before, now, strict=True)
        if old != new
    ]
    assert differences == [], "\n".join(map(str, differences))
    assert after[1] == projected[1]
    assert db.session.get(ReportStaleDay, date(2026, 11, 9)) is not None
    refresh()
    assert all_rows() == rolled_up


def test_the_migration_of_categories_and_departments_counts_the_days_already_rolled_up(app):
    minor_case()
    with at("2026-11-09 15:00"):
        file_by("phone", department="Billing")
    refresh()
    rolled_up = all_rows()
    db.session.remove()
    with at("2026-11-18 10:00"):
        downgrade(revision="a13p00000018")
    assert codes("2026-11-09", "category") == codes("2026-11-09", "department") == {}
    db.session.remove()
    with at("2026-11-18 10:00"):
        upgrade()
    # The days already rolled up are counted again by the report round.
    assert db.session.get(ReportStaleDay, date(2026, 11, 9)) is not None
    assert db.session.get(ReportStaleDay, date(2026, 11, 12)) is not None
    refresh()
    assert codes("2026-11-09", "department") == {"Customer service": 1, "Billing": 1}
    assert all_rows() == rolled_up


def test_the_timer_loop_brings_the_roll_ups_up_to_date():
    with at("2026-11-09 10:00"):
        j.file()
    assert figures("2026-11-09") == {}
    rounds = iter([False, True])
    with at("2026-11-09 10:05"):
        timer_loop(0.01, until=lambda: next(rounds), sleep=lambda _seconds: None)
    assert figures("2026-11-09") == {"received": 1}


def test_a_change_marks_the_complaint_again_after_a_refresh_cleared_it_meanwhile():
    with at("2026-11-09 10:00"):
        complaint = j.to_classification()
    complaint = j.refreshed(complaint)
    assert complaint.report_stale
    # Another process's refresh clears the mark after this copy was read...
    db.session.execute(
        db.update(Complaint)
        .where(Complaint.id == complaint.id)
        .values(report_stale=False)
        .execution_options(synchronize_session=False)
    )
    # ...then this copy changes a reported figure: the mark is written again.
    complaint.department = "Billing"
    db.session.commit()
    assert j.refreshed(complaint).report_stale
