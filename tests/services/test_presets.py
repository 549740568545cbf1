"""The regulatory presets: every one loads, drives a real complaint across a weekend and a
public holiday of its country with every due time checked to the minute, and its letter
rules do what they say (delay letter, summary resolution, no written response, recourse)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from app.delivery_cli import deliver_once, delivery_settings
from services import (
    business_calendar,
    delivery,
    message_templates,
    preset_letters,
    presets,
    workflows,
)
from services.business_calendar import parse_target
from services.clock import as_utc
from services.db import db
from services.models import AuditEvent, BusinessCalendar, Document, Notification, ServiceClock
from services.transports import MailSettings
from tests import journeys as j

LONDON, PARIS, SYDNEY = "Europe/London", "Europe/Paris", "Australia/Sydney"
# Dates of the case before any moment the tests travel to.
BEFORE = {
    "event_date": date(2026, 1, 5),
    "purchase_date": date(2025, 12, 1),
    "delivery_date": date(2025, 12, 5),
}


def at(text: str, zone: str) -> datetime:
    """A wall-clock time in a zone, as an aware UTC datetime: at("2026-04-13 17:30", LONDON)."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


@contextmanager
def moment(text: str, zone: str) -> Iterator[datetime]:
    """Freeze the clock at a wall-clock time of a zone."""
    when = at(text, zone)
    with time_machine.travel(when, tick=False):
        yield when


def use_preset(name: str, country: str = "", zone: str = "") -> presets.Preset:
    """Choose a preset with its calendar (or the one given), working 09:00-17:30 Mon-Fri."""
    preset = presets.set_active(name, None, with_calendar=True)
    row = db.session.get(BusinessCalendar, 1)
    if country:
        row.holiday_country, row.holiday_subdivision, row.timezone = country, "", zone
    row.working_days, row.work_starts, row.work_ends = "1 2 3 4 5", time(9, 0), time(17, 30)
    db.session.commit()
    business_calendar.invalidate()
    return preset


def sent(complaint, kind: str | None = None) -> list[Notification]:
    j.write_messages()  # as the delivery worker does when it claims them
    db.session.expire_all()
    return [
        n
        for n in db.session.scalars(
            db.select(Notification)
            .where(Notification.complaint_id == complaint.id)
            .order_by(Notification.id)
        )
        if kind is None or n.kind == kind
    ]


def minor(**intake):
    """A minor complaint filed, registered and classified now, waiting for its resolution."""
    complaint = j.file(**{**BEFORE, **intake})
    j.complete(complaint, "register_complaint")
    j.complete(complaint, "classify_complaint")
    return complaint


def resolve_minor(complaint, **answers) -> None:
    """Resolve a minor complaint and sign it off: the response goes out."""
    j.complete(complaint, "resolve_minor", **answers)
    j.complete(complaint, "sign_off_minor")


# ---------------------------------------------------------------------------------------------
# Every preset loads
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["grievance", "fca", "acpr", "asic"])
def test_every_preset_loads_and_every_target_parses(name):
    preset = presets.load(name)
    assert preset.id == name and preset.title and preset.title_fr
    assert preset.rule and preset.rule_fr
    for clock in presets.CLOCKS:
        parse_target(preset.target(clock))
        for language in ("en", "fr"):
            assert presets.describe(preset.target(clock), language)
    rules = preset.letters
    for window in (
        rules.summary_resolution_within,
        rules.written_response_optional_within,
        rules.delay_expected_within,
    ):
        if window:
            parse_target(window)
    for clock, kind in rules.on_breach.items():
        assert clock in presets.CLOCKS
        for language in message_templates.LANGUAGES:
            assert message_templates.default(kind, language) is not None, (kind, language)
    for kind in presets.RECOURSE_KEYS:
        for language in ("en", "fr"):
            text = preset.recourse(kind, language)
            assert text is None or ("{" not in text and "}" not in text), text
    assert presets.DEFAULT in {p.id for p in presets.available()}
    assert {p.id for p in presets.available()} == {"grievance", "fca", "acpr", "asic"}


def test_each_regulator_sets_its_own_time_limits_and_waits():
    fca, acpr, asic = presets.load("fca"), presets.load("acpr"), presets.load("asic")
    assert fca.target("complaint") == "weeks(8)"
    assert acpr.target("acknowledge") == "working_days(10, saturdays=True)"
    assert acpr.target("complaint") == "months(2)"
    assert asic.target("complaint") == "calendar_days(30)"
    # Their clocks run on while the complainant is asked for information; the product's
    # default stops them.
    assert fca.pause_while_waiting_for == acpr.pause_while_waiting_for == frozenset()
    assert asic.pause_while_waiting_for == frozenset()
    assert presets.load("grievance").pause_while_waiting_for == {
        "information_received",
        "survey_answered",
    }
    assert (fca.calendar.country, fca.calendar.subdivision, fca.calendar.timezone) == (
        "GB",
        "ENG",
        LONDON,
    )
    assert (asic.calendar.label, acpr.calendar.label) == (
        "AU-NSW, Australia/Sydney",
        "FR, Europe/Paris",
    )
    assert fca.letters.on_breach == {"complaint": "delay_letter"}
    assert fca.letters.summary_resolution_within == "working_days(3)"
    assert asic.letters.written_response_optional_within == "working_days(5)"


def test_targets_in_words_in_both_languages():
    assert presets.describe("working_days(10, saturdays=True)") == (
        "10 working days (Monday–Saturday)"
    )
    assert presets.describe("working_days(10, saturdays=True)", "fr") == (
        "10 jours ouvrables (du lundi au samedi)"
    )
    assert presets.describe("working_days(1)", "fr") == "1 jour ouvré"
    assert presets.describe("weeks(8)") == "8 weeks"
    assert presets.describe("months(2)", "fr") == "2 mois"
    assert presets.describe("calendar_days(30)", "fr") == "30 jours calendaires"
    assert presets.describe("hours(24)") == "24 hours"
    assert presets.describe('"P5D"') == "5 calendar days"


def test_time_left_in_words_in_the_unit_of_its_target_in_both_languages():
    day = 8.5 * 3600  # a working day of the default calendar
    words = presets.duration_words
    assert words(2 * day + 3 * 3600, "working_days", day) == "2 working days 3 h"
    assert words(2 * day + 3 * 3600, "working_days", day, "fr") == "2 jours ouvrés 3 h"
    assert words(day, "working_days", day, "fr") == "1 jour ouvré"
    assert words(3600 + 300, "working_days", day) == "1 working hour 5 min"
    assert words(30 * 3600, "working_hours", day, "fr") == "30 heures ouvrées"
    assert words(86400 + 7200, "calendar_days", day) == "1 calendar day 2 h"
    assert words(-12 * 86400, "calendar_days", day, "fr") == "12 jours calendaires"
    assert words(30 * 3600 + 600, "hours", day) == "30 h 10 min"
    assert words(20, "calendar_days", day) == "1 min"


def test_the_recourse_names_the_body_with_its_contact_details_and_settings_override_it():
    fca = presets.load("fca").recourse("response_letter", "en")
    assert "within six months of the date of this letter" in fca
    assert "Exchange Tower, London E14 9SR" in fca and "0800 023 4567" in fca
    asic = presets.load("asic").recourse("response_letter", "fr")
    assert "AFCA" in asic and "1800 931 678" in asic
    acpr = presets.load("acpr").recourse(
        "response_letter", "fr", {"name": "Médiateur de la Banque X", "email": "m@x.example"}
    )
    assert "saisir gratuitement le médiateur : Médiateur de la Banque X" in acpr
    assert "m@x.example" in acpr
    assert presets.load("grievance").recourse("response_letter", "en") is None


def test_a_broken_preset_is_refused_naming_what_is_wrong(tmp_path, monkeypatch):
    monkeypatch.setattr(presets, "PRESET_DIR", tmp_path)
    presets.load.cache_clear()
    try:
        (tmp_path / "half.toml").write_text('[targets]\nacknowledge = "working_days(2)"\n')
        with pytest.raises(presets.PresetError, match="no target for classify"):
            presets.load("half")
        targets = "\n".join(f'{c} = "days(3)"' for c in presets.CLOCKS)
        (tmp_path / "typo.toml").write_text(
            f'[targets]\n{targets}\n[letters]\non_breach = {{ complaint = "nope" }}\n'
        )
        with pytest.raises(presets.PresetError, match="no message kind nope"):
            presets.load("typo")
        (tmp_path / "bad.toml").write_text(
            f"[targets]\n{targets.replace('days(3)', 'fortnights(2)', 1)}\n"
        )
        with pytest.raises(presets.PresetError, match="fortnights"):
            presets.load("bad")
    finally:
        presets.load.cache_clear()


# ---------------------------------------------------------------------------------------------
# Choosing a preset
# ---------------------------------------------------------------------------------------------


def test_choosing_a_preset_is_audited_and_takes_effect_at_once(app_context):
    before = business_calendar.current()
    assert presets.active().id == "grievance"
    owner = j.user("owner")
    presets.choose(owner, "asic")
    db.session.commit()
    assert presets.active().id == "asic"  # the cached calendar was dropped
    assert business_calendar.current() is not before
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.kind == "preset_changed"))
    assert event.actor_id == owner.id
    assert event.data["from"] == "grievance" and event.data["to"] == "asic"
    # The process owner's choice leaves the administrator's calendar alone.
    assert db.session.get(BusinessCalendar, 1).timezone == before.timezone


def test_a_preset_chosen_at_setup_brings_its_at_risk_share(app_context, tmp_path, monkeypatch):
    shipped = (presets.PRESET_DIR / "fca.toml").read_text()
    monkeypatch.setattr(presets, "PRESET_DIR", tmp_path)
    presets.load.cache_clear()
    try:
        (tmp_path / "early.toml").write_text(
            shipped.replace('id = "fca"', 'id = "early"').replace(
                "at_risk_share = 0.75", "at_risk_share = 0.6"
            )
        )
        presets.set_active("early", None, with_calendar=True)
        db.session.commit()
        assert db.session.get(BusinessCalendar, 1).at_risk_share == Decimal("0.60")
        assert business_calendar.current().at_risk_share == 0.6
    finally:
        presets.load.cache_clear()


def test_only_a_process_owner_chooses_and_only_a_shipped_preset(app_context):
    from services.errors import InvalidInput, NotAllowed

    with pytest.raises(NotAllowed):
        presets.choose(j.user("manager"), "fca")
    with pytest.raises(InvalidInput):
        presets.choose(j.user("owner"), "../grievance")
    assert presets.active().id == "grievance"


# ---------------------------------------------------------------------------------------------
# Letter rules: summary resolution (FCA), no written response (ASIC), recourse (ACPR)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resolved", "kind"),
    [("2026-10-14 11:00", "summary_resolution"), ("2026-10-19 11:00", "response_letter")],
)
def test_fca_summary_resolution_by_the_third_business_day_only(app_context, resolved, kind):
    use_preset("fca")
    with moment("2026-10-12 10:00", LONDON):  # a Monday
        complaint = minor()
    with moment(resolved, LONDON):  # day 2 (Wednesday), or day 5 (the next Monday)
        resolve_minor(complaint)
    [response] = sent(complaint, kind)
    other = ({"summary_resolution", "response_letter"} - {kind}).pop()
    assert not sent(complaint, other)
    assert "we replaced the faulty seal" in response.body  # the handler's letter is in it
    # A letter either way: printed to PDF, on the complaint, recorded as the response.
    assert response.document_id is not None
    assert db.session.get(Document, response.document_id).public
    if kind == "summary_resolution":
        assert "As you agreed, we now consider it resolved." in response.body
        assert "you may be able to refer it to the Financial Ombudsman Service" in response.body
        assert "https://www.financial-ombudsman.org.uk" in response.body
        rule = db.session.scalar(
            db.select(AuditEvent).where(
                AuditEvent.complaint_id == complaint.id, AuditEvent.kind == "letter_rule"
            )
        )
        assert "summary resolution" in rule.summary and "3 working days" in rule.summary
    else:
        assert "within six months of the date of this letter" in response.body
        assert "Exchange Tower, London E14 9SR" in response.body
    assert j.refreshed(complaint).status == "awaiting_feedback"


def test_the_sign_off_preview_follows_the_letter_rules_without_recording_them(app_context):
    from services import workflows

    use_preset("fca")
    with moment("2026-10-12 10:00", LONDON):  # a Monday
        complaint = minor()
        j.complete(complaint, "resolve_minor")
    with moment("2026-10-13 11:00", LONDON):  # within 3 business days: a summary resolution
        quick = workflows.message_preview(complaint, "response_letter")
    with moment("2026-10-19 11:00", LONDON):  # later: the final response
        late = workflows.message_preview(complaint, "response_letter")
    assert (quick.kind, late.kind) == ("summary_resolution", "response_letter")
    assert quick.is_letter and late.is_letter  # previewed as letters: their own subject line
    assert "As you agreed, we now consider it resolved." in quick.text
    assert "Financial Ombudsman Service" in quick.text
    assert "As you agreed" not in late.text
    assert "within six months of the date of this letter" in late.text
    # Only the letter sent is recorded: a preview leaves the audit trail alone.
    assert not db.session.scalars(
        db.select(AuditEvent).where(
            AuditEvent.complaint_id == complaint.id, AuditEvent.kind == "letter_rule"
        )
    ).all()


def test_fca_a_quick_answer_the_complainant_did_not_accept_is_a_final_response(app_context):
    use_preset("fca")
    with moment("2026-10-12 10:00", LONDON):
        complaint = minor()
    with moment("2026-10-13 10:00", LONDON):
        resolve_minor(complaint, customer_happy=False)
    assert [n.kind for n in sent(complaint) if n.kind.endswith(("letter", "resolution"))] == [
        "response_letter"
    ]


def test_asic_a_complaint_resolved_within_five_business_days_gets_a_short_notice(app_context):
    use_preset("asic")
    with moment("2026-06-05 16:00", SYDNEY):  # Friday; Monday 8 June is the King's Birthday
        complaint = minor()
    with moment("2026-06-15 15:00", SYDNEY):  # the 5th business day
        resolve_minor(complaint)
    kinds = [n.kind for n in sent(complaint)]
    assert "resolution_notice" in kinds and "response_letter" not in kinds
    [notice] = sent(complaint, "resolution_notice")
    assert notice.document_id is None  # no written response
    assert "If you would like our response in writing" in notice.body
    assert "AFCA" in notice.body
    # Still recorded: the response the handler wrote stays in the case, and the audit says why.
    case = j.refreshed(complaint)
    assert case.status == "awaiting_feedback" and case.closed_at is not None
    assert "we replaced the faulty seal" in workflows.case_data(case)["response_letter"]
    rule = db.session.scalar(
        db.select(AuditEvent).where(
            AuditEvent.complaint_id == complaint.id, AuditEvent.kind == "letter_rule"
        )
    )
    assert "Written response not needed" in rule.summary and "5 working days" in rule.summary


@pytest.mark.parametrize(
    ("resolved", "answers"),
    [
        ("2026-06-12 10:00", {"written_response_requested": True}),  # asked for the letter
        ("2026-06-16 10:00", {}),  # the 6th business day: too late for the exemption
    ],
)
def test_asic_the_written_response_goes_when_asked_for_or_after_five_days(
    app_context, resolved, answers
):
    use_preset("asic")
    with moment("2026-06-05 16:00", SYDNEY):
        complaint = minor()
    with moment(resolved, SYDNEY):
        resolve_minor(complaint, **answers)
    [letter] = sent(complaint, "response_letter")
    assert not sent(complaint, "resolution_notice")
    assert "Australian Financial Complaints Authority (AFCA)" in letter.body
    assert "GPO Box 3, Melbourne VIC 3001" in letter.body
    assert letter.document_id is not None


def test_acpr_a_refusal_states_the_mediator_and_their_contact_details(app, app_context):
    use_preset("acpr")
    preset_letters.configure(
        {
            **app.config,
            "OMBUDSMAN_NAME": "Le Médiateur de la Banque Exemple",
            "OMBUDSMAN_ADDRESS": "CS 151, 75422 Paris Cedex 09",
            "OMBUDSMAN_WEBSITE": "https://mediateur.banque-exemple.fr",
        }
    )
    try:
        with moment("2026-10-12 10:00", PARIS):
            complaint = minor(language="fr")
        with moment("2026-11-20 10:00", PARIS):
            j.complete(
                complaint,
                "resolve_minor",
                remedies=["apology"],
                response_letter="Madame, après examen, nous ne pouvons pas donner suite à "
                "votre demande de remboursement.",
            )
            j.complete(complaint, "sign_off_minor", resolution_codes=["not_upheld"])
    finally:
        preset_letters.configure(app.config)
    [letter] = sent(complaint, "response_letter")
    assert letter.language == "fr"
    assert "nous ne pouvons pas donner suite" in letter.body
    assert (
        "vous pouvez saisir gratuitement le médiateur : Le Médiateur de la Banque Exemple, "
        "CS 151, 75422 Paris Cedex 09, https://mediateur.banque-exemple.fr" in letter.body
    )
    assert "article L.612-2 du code de la consommation" in letter.body
    assert "médiateur de la consommation ou au médiateur de notre secteur" not in letter.body


def test_without_preset_rules_the_letter_keeps_the_diagrams_recourse(app_context):
    complaint = j.to_minor_resolution()
    resolve_minor(complaint)
    [letter] = sent(complaint, "response_letter")
    assert "to the consumer mediator or the ombudsman of our sector" in letter.body


# ---------------------------------------------------------------------------------------------
# A complaint under each preset, across a weekend and a public holiday of its country
# ---------------------------------------------------------------------------------------------


def clock(complaint, name: str) -> ServiceClock:
    db.session.expire_all()
    found = db.session.scalar(
        db.select(ServiceClock).where(
            ServiceClock.complaint_id == complaint.id, ServiceClock.name == name
        )
    )
    assert found is not None, f"no clock {name}"
    return found


def due(complaint, name: str) -> datetime:
    return as_utc(clock(complaint, name).due_at)


def task_due(complaint, name: str) -> datetime:
    return as_utc(j.open_task(complaint, name).due_at)


def assert_met_on_time(complaint, *names: str) -> None:
    for name in names:
        row = clock(complaint, name)
        assert (row.state, row.breached_at) == ("met", None), name
        assert as_utc(row.ended_at) <= as_utc(row.due_at), name


def test_fca_a_complaint_across_easter_in_england(app_context):
    use_preset("fca")
    with moment("2026-04-02 10:00", LONDON):  # Thursday; Good Friday and Easter Monday follow
        complaint = j.file(**BEFORE)
    # 5 business days: Tuesday 7 to Monday 13 April, at the close of business.
    assert due(complaint, "acknowledge") == at("2026-04-13 17:30", LONDON)
    assert task_due(complaint, "register_complaint") == at("2026-04-13 17:30", LONDON)
    # DISP 1.6.2R: 8 weeks after receipt, to the minute.
    assert due(complaint, "complaint") == at("2026-05-28 10:00", LONDON)
    assert clock(complaint, "complaint").preset == "fca"
    # The diagram's overdue-review timer follows the clock.
    assert as_utc(j.refreshed(complaint).instance.next_timer_due) == at("2026-04-13 17:30", LONDON)
    with moment("2026-04-09 16:00", LONDON):
        j.complete(complaint, "register_complaint")
    assert_met_on_time(complaint, "acknowledge")
    assert due(complaint, "classify") == at("2026-04-13 17:30", LONDON)  # Friday 10, Monday 13
    assert task_due(complaint, "classify_complaint") == at("2026-04-13 17:30", LONDON)
    with moment("2026-04-13 09:30", LONDON):
        j.complete(complaint, "classify_complaint")
    assert due(complaint, "resolve_minor") == at("2026-04-16 17:30", LONDON)
    assert task_due(complaint, "resolve_minor") == at("2026-04-16 17:30", LONDON)
    with moment("2026-04-15 10:00", LONDON):
        j.complete(complaint, "resolve_minor")
    assert due(complaint, "sign_off") == at("2026-04-17 17:30", LONDON)
    assert task_due(complaint, "sign_off_minor") == at("2026-04-17 17:30", LONDON)
    with moment("2026-04-16 11:00", LONDON):
        j.complete(complaint, "sign_off_minor")
    assert_met_on_time(complaint, "classify", "resolve_minor", "sign_off", "complaint")
    assert due(complaint, "complaint") == at("2026-05-28 10:00", LONDON)
    # Past the third business day (Thursday 9 April): a final response, not a summary one.
    assert [n.kind for n in sent(complaint, "response_letter")] == ["response_letter"]


def test_acpr_jours_ouvrables_count_saturdays_but_not_may_holidays(app_context):
    use_preset("acpr")
    with moment("2026-04-30 15:00", PARIS):  # Thursday; 1 May (Friday) is a holiday
        complaint = j.file(**BEFORE)
        confidential = j.file(sensitive_at_intake=True, **BEFORE)
    # 10 jours ouvrables: Sat 2, Mon 4 ... Thu 7, Sat 9, Mon 11 ... Wed 13, Fri 15 (8 May and
    # Ascension on 14 May are holidays, Sundays never count).
    assert due(complaint, "acknowledge") == at("2026-05-15 17:30", PARIS)
    assert task_due(complaint, "register_complaint") == at("2026-05-15 17:30", PARIS)
    # Two calendar months.
    assert due(complaint, "complaint") == at("2026-06-30 15:00", PARIS)
    # The confidential branch: 45 calendar days, for every task inside it.
    assert due(confidential, "confidential") == at("2026-06-14 15:00", PARIS)
    assert task_due(confidential, "record_consent") == at("2026-06-14 15:00", PARIS)
    assert due(confidential, "complaint") == at("2026-06-30 15:00", PARIS)
    with moment("2026-05-06 10:00", PARIS):
        j.complete(complaint, "register_complaint")
    assert_met_on_time(complaint, "acknowledge")
    # Working days for the organisation's own targets: Thu 7, (Fri 8 off), Mon 11, Tue 12.
    assert due(complaint, "classify") == at("2026-05-12 17:30", PARIS)
    assert task_due(complaint, "classify_complaint") == at("2026-05-12 17:30", PARIS)
    with moment("2026-05-12 09:00", PARIS):
        j.complete(complaint, "classify_complaint")
    # 10 working days: Ascension (14 May) and Whit Monday (25 May) left out.
    assert due(complaint, "resolve_minor") == at("2026-05-28 17:30", PARIS)
    assert task_due(complaint, "resolve_minor") == at("2026-05-28 17:30", PARIS)
    with moment("2026-05-13 10:00", PARIS):
        j.complete(complaint, "resolve_minor")
    assert due(complaint, "sign_off") == at("2026-05-19 17:30", PARIS)  # Fri 15, Mon 18, Tue 19
    assert task_due(complaint, "sign_off_minor") == at("2026-05-19 17:30", PARIS)
    with moment("2026-05-18 16:00", PARIS):
        j.complete(complaint, "sign_off_minor")
    assert_met_on_time(complaint, "classify", "resolve_minor", "sign_off", "complaint")
    [letter] = sent(complaint, "response_letter")
    assert "La Médiation de l'Assurance, TSA 50110, 75441 Paris Cedex 09" in letter.body


def test_asic_a_complaint_across_the_kings_birthday_weekend(app_context):
    use_preset("asic")
    with moment("2026-06-05 16:00", SYDNEY):  # Friday; Monday 8 June is the King's Birthday
        complaint = j.file(**BEFORE)
    # One business day: Tuesday 9 June, at the close of business.
    assert due(complaint, "acknowledge") == at("2026-06-09 17:30", SYDNEY)
    assert task_due(complaint, "register_complaint") == at("2026-06-09 17:30", SYDNEY)
    assert due(complaint, "complaint") == at("2026-07-05 16:00", SYDNEY)  # 30 calendar days
    with moment("2026-06-09 10:00", SYDNEY):
        j.complete(complaint, "register_complaint")
    assert_met_on_time(complaint, "acknowledge")
    assert due(complaint, "classify") == at("2026-06-11 17:30", SYDNEY)
    assert task_due(complaint, "classify_complaint") == at("2026-06-11 17:30", SYDNEY)
    with moment("2026-06-11 11:00", SYDNEY):
        j.complete(complaint, "classify_complaint")
    assert due(complaint, "resolve_minor") == at("2026-06-18 17:30", SYDNEY)
    assert task_due(complaint, "resolve_minor") == at("2026-06-18 17:30", SYDNEY)
    with moment("2026-06-12 09:00", SYDNEY):
        j.complete(complaint, "resolve_minor")
    assert due(complaint, "sign_off") == at("2026-06-16 17:30", SYDNEY)  # Mon 15, Tue 16
    assert task_due(complaint, "sign_off_minor") == at("2026-06-16 17:30", SYDNEY)
    with moment("2026-06-12 10:00", SYDNEY):
        j.complete(complaint, "sign_off_minor")
    assert_met_on_time(complaint, "classify", "resolve_minor", "sign_off", "complaint")
    # Closed within 5 business days of receipt (by Monday 15 June), accepted: no letter.
    assert [n.kind for n in sent(complaint, "resolution_notice")] == ["resolution_notice"]
    assert not sent(complaint, "response_letter")


def test_grievance_a_major_complaint_across_christmas_and_new_year_in_france(app_context):
    use_preset("grievance", "FR", PARIS)
    with moment("2026-12-24 16:00", PARIS):  # Thursday; Christmas Day follows
        complaint = j.file(**BEFORE)
    assert due(complaint, "acknowledge") == at("2026-12-29 17:30", PARIS)  # Mon 28, Tue 29
    assert task_due(complaint, "register_complaint") == at("2026-12-29 17:30", PARIS)
    assert due(complaint, "complaint") == at("2027-02-07 16:00", PARIS)  # 45 calendar days
    with moment("2026-12-29 17:31", PARIS):  # the timer loop, a minute after the due time
        workflows.tick()
        db.session.commit()
    assert as_utc(clock(complaint, "acknowledge").breached_at) == at("2026-12-29 17:30", PARIS)
    assert "review_overdue_acknowledgement" in j.open_names(complaint)
    with moment("2026-12-31 10:00", PARIS):  # late
        j.complete(complaint, "register_complaint")
    assert clock(complaint, "acknowledge").state == "met"
    assert "review_overdue_acknowledgement" not in j.open_names(complaint)  # withdrawn
    assert due(complaint, "classify") == at("2027-01-05 17:30", PARIS)  # (1 Jan off) Mon 4, Tue 5
    assert task_due(complaint, "classify_complaint") == at("2027-01-05 17:30", PARIS)
    with moment("2027-01-04 09:00", PARIS):
        j.complete(complaint, "classify_complaint", severity="high")
    assert due(complaint, "resolve_major") == at("2027-02-03 09:00", PARIS)  # 30 calendar days
    assert due(complaint, "investigate") == at("2027-01-25 17:30", PARIS)  # 15 working days
    assert task_due(complaint, "investigate_complaint") == at("2027-01-25 17:30", PARIS)
    with moment("2027-01-06 10:00", PARIS):
        j.complete(complaint, "investigate_complaint")
    assert_met_on_time(complaint, "investigate")
    # The resolution has no clock of its own: the major case's.
    assert task_due(complaint, "resolve_major") == at("2027-02-03 09:00", PARIS)
    with moment("2027-01-07 10:00", PARIS):
        j.complete(complaint, "resolve_major")
    assert due(complaint, "sign_off") == at("2027-01-11 17:30", PARIS)  # Fri 8, Mon 11
    assert task_due(complaint, "sign_off_major") == at("2027-01-11 17:30", PARIS)
    with moment("2027-01-08 10:00", PARIS):
        j.complete(complaint, "sign_off_major")
    assert_met_on_time(complaint, "classify", "resolve_major", "sign_off", "complaint")


@pytest.mark.parametrize(
    ("name", "zone", "moved"),
    [
        # The grievance default stops the clocks while waiting for the complainant: the
        # acknowledgement moves by the 8.5 working hours waited, the whole case by a day.
        ("grievance", PARIS, ("2026-12-10 17:30", "2027-01-22 10:00")),
        # DISP counts from receipt: nothing moves.
        ("fca", LONDON, ("2026-12-14 17:30", "2027-02-01 10:00")),
    ],
)
def test_only_the_waits_the_preset_allows_stop_the_clocks(app_context, name, zone, moved):
    if name == "grievance":
        use_preset(name, "FR", zone)
    else:
        use_preset(name)
    with moment("2026-12-07 10:00", zone):  # a Monday
        complaint = j.file(**BEFORE)
    with moment("2026-12-07 11:00", zone):
        j.complete(
            complaint,
            "register_complaint",
            registration_outcome="incomplete",
            form_complete=False,
            missing_information="A copy of your invoice, please.",
        )
    waiting = clock(complaint, "complaint")
    assert waiting.state == ("paused" if name == "grievance" else "running")
    with moment("2026-12-08 11:00", zone):
        workflows.deliver_message(complaint, "information_received", {"information": "INV-4411"})
        db.session.commit()
    assert due(complaint, "acknowledge") == at(moved[0], zone)
    assert task_due(complaint, "register_complaint") == at(moved[0], zone)
    assert due(complaint, "complaint") == at(moved[1], zone)
    pauses = [p.reason for p in clock(complaint, "complaint").pauses]
    assert pauses == (["information_received"] if name == "grievance" else [])


# ---------------------------------------------------------------------------------------------
# FCA: the delay letter at 8 weeks, through the outbox to a real SMTP server
# ---------------------------------------------------------------------------------------------


def smtp_settings(app, smtp) -> delivery.Settings:
    """The app's delivery settings pointed at the test SMTP server."""
    return replace(
        delivery_settings(app.config),
        mail=MailSettings(
            server="127.0.0.1",
            port=smtp.port,
            sender="Complaints <complaints@example.org>",
            reply_to="reclamations@example.org",
            timeout=5,
        ),
    )


def test_fca_the_delay_letter_goes_once_when_eight_weeks_pass_without_a_final_response(
    app, app_context, smtp_server
):
    use_preset("fca")
    with moment("2026-04-02 10:00", LONDON):
        complaint = j.file(**BEFORE)
    with moment("2026-04-07 10:00", LONDON):
        j.complete(complaint, "register_complaint")
        j.complete(complaint, "classify_complaint", severity="high")  # a long investigation
    with moment("2026-05-28 09:59", LONDON):  # a minute before the 8 weeks end
        workflows.tick()
        db.session.commit()
    assert not sent(complaint, "delay_letter")
    with moment("2026-05-28 10:00", LONDON):  # the timer loop, when the 8 weeks end
        workflows.tick()
        db.session.commit()
    [queued] = sent(complaint, "delay_letter")
    assert as_utc(clock(complaint, "complaint").breached_at) == at("2026-05-28 10:00", LONDON)

    done = deliver_once(
        smtp_settings(app, smtp_server), clock=lambda: at("2026-05-28 10:01", LONDON)
    )
    assert queued.id in done.sent
    [message] = [m for m in smtp_server.messages if "final response is delayed" in m["Subject"]]
    assert message["To"] == "aminata@example.org"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert f"You made a complaint to us on 2 April 2026 (reference {complaint.reference})" in text
    assert "within 8 weeks of receiving it, that is by 28 May 2026" in text
    assert "Your complaint needs a full investigation, which is still going on." in text
    # When the final response is expected: 10 business days on (DISP 1.6.2R(2)(a)).
    assert "We expect to send you our final response by 11 June 2026" in text
    # The right to go to the Ombudsman now (DISP 1.6.2R(2)(b)), with the contact details.
    assert "You may now refer your complaint to the Financial Ombudsman Service" in text
    assert "Exchange Tower, London E14 9SR" in text
    # A written response: the letter's PDF is attached and kept on the complaint.
    attachments = [part.get_filename() for part in message.iter_attachments()]
    assert attachments == [f"{complaint.reference}-delay.pdf"]

    # Later rounds of the timer loop do not send it again.
    with moment("2026-06-01 10:00", LONDON):
        workflows.tick()
        db.session.commit()
    deliver_once(smtp_settings(app, smtp_server), clock=lambda: at("2026-06-01 10:01", LONDON))
    assert len(sent(complaint, "delay_letter")) == 1
    assert len([m for m in smtp_server.messages if "delayed" in m["Subject"]]) == 1


def test_fca_no_delay_letter_once_the_final_response_is_out(app_context):
    use_preset("fca")
    with moment("2026-04-02 10:00", LONDON):
        complaint = minor()
    with moment("2026-04-20 10:00", LONDON):
        resolve_minor(complaint)
    # The case stays open for the survey and the appeal window; the whole-case clock is met.
    with moment("2026-05-29 10:00", LONDON):
        workflows.tick()
        db.session.commit()
    assert not sent(complaint, "delay_letter")
    assert clock(complaint, "complaint").breached_at is None


def test_running_complaints_keep_their_preset_when_the_owner_changes_it(app_context):
    use_preset("grievance", "GB", LONDON)
    with moment("2026-10-12 10:00", LONDON):
        before = minor()
    presets.choose(j.user("owner"), "fca")
    db.session.commit()
    with moment("2026-10-12 11:00", LONDON):
        after = minor()
    assert (clock(before, "complaint").target, clock(before, "complaint").preset) == (
        "calendar_days(45)",
        "grievance",
    )
    assert (clock(after, "complaint").target, clock(after, "complaint").preset) == (
        "weeks(8)",
        "fca",
    )
    assert clock(before, "resolve_minor").target == "working_days(5)"
    assert clock(after, "resolve_minor").target == "working_days(3)"
    with moment("2026-10-13 10:00", LONDON):
        resolve_minor(before)
        resolve_minor(after)
    # The letters follow the rules in force when each complaint was received.
    [old] = [n for n in sent(before) if n.kind in ("response_letter", "summary_resolution")]
    [new] = [n for n in sent(after) if n.kind in ("response_letter", "summary_resolution")]
    assert old.kind == "response_letter" and "consumer mediator" in old.body
    assert new.kind == "summary_resolution" and "Financial Ombudsman Service" in new.body
