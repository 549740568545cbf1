"""Service-level presets: the time limits a deployment follows, as data in processes/presets.

A preset names a target per clock (acknowledge, classify, ..., complaint), which waits pause
the clocks, the rules it comes from, a suggested calendar (whose public holidays count), and
the letter rules its regulator implies (`[letters]`: a letter when a clock breaches, the
short forms a quick resolution may take, the recourse paragraph). The diagrams' timers say
`target("acknowledge")`, so choosing a preset changes the timers without editing a diagram.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from services.business_calendar import (
    CALENDAR_DAYS,
    WORKING_DAYS,
    WORKING_HOURS,
    TargetError,
    iso_duration,
    parse_target,
)

PRESET_DIR = Path(__file__).resolve().parent.parent / "processes" / "presets"
DEFAULT = "grievance"
# The clocks a preset must give a target for (the diagram's `clock` properties name them).
CLOCKS = (
    "acknowledge",
    "classify",
    "resolve_minor",
    "investigate",
    "resolve_major",
    "sign_off",
    "confidential",
    "complaint",
)
LANGUAGES = ("en", "fr")
# The recourse paragraph each letter takes from [letters], by message kind: the first key the
# preset has wins, so a preset that states only `recourse` gives it to every letter.
RECOURSE_KEYS = {
    "response_letter": ("recourse",),
    "review_outcome_letter": ("recourse",),
    "summary_resolution": ("summary_recourse", "recourse"),
    "resolution_notice": ("summary_recourse", "recourse"),
    "delay_letter": ("delay_recourse", "recourse"),
}
# The contact fields of the external body (ombudsman, mediator) a recourse text may use as
# {name}, {address}, ...; {contact} is all of them that are known, on one line.
CONTACT_FIELDS = ("name", "address", "phone", "email", "website")


class PresetError(ValueError):
    """A preset file that is missing, unreadable or incomplete."""


@dataclass(frozen=True)
class SuggestedCalendar:
    """The calendar a preset's regulator counts in (applied on request, never silently)."""

    country: str = ""
    subdivision: str = ""
    timezone: str = ""

    def __bool__(self) -> bool:
        return bool(self.country or self.timezone)

    @property
    def label(self) -> str:
        """ "GB-ENG, Europe/London" """
        place = "-".join(p for p in (self.country, self.subdivision) if p)
        return ", ".join(p for p in (place, self.timezone) if p)


@dataclass(frozen=True)
class LetterRules:
    """What the regulator says the letters must do (all optional)."""

    # clock name -> message kind sent once when that clock breaches before the final response.
    on_breach: Mapping[str, str] = field(default_factory=dict)
    # A response sent within this of receipt goes out as the summary resolution communication.
    summary_resolution_within: str | None = None
    # A complaint closed within this of receipt may skip the written response.
    written_response_optional_within: str | None = None
    # The case-data field that says the complainant accepted the resolution (both short forms
    # need it); empty: no such condition.
    accepted_when: str = ""
    # How far ahead a delay letter says the final response is expected.
    delay_expected_within: str | None = None
    # Recourse paragraphs by key (recourse, delay_recourse, summary_recourse) and language.
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Preset:
    id: str
    title: str
    title_fr: str
    rule: str
    rule_fr: str
    targets: dict[str, str]
    pause_while_waiting_for: frozenset[str] = frozenset()
    at_risk_share: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    citations: Mapping[str, str] = field(default_factory=dict)
    # The same citations in French where their words differ ("10 business days"), by clock.
    citations_fr: Mapping[str, str] = field(default_factory=dict)
    calendar: SuggestedCalendar = SuggestedCalendar()
    letters: LetterRules = LetterRules()
    # The external body the recourse names (ombudsman, mediator), by contact field; the
    # settings (OMBUDSMAN_*) override it.
    ombudsman: Mapping[str, str] = field(default_factory=dict)

    def target(self, clock: str) -> str:
        """The target expression of a clock; PresetError if the preset has none."""
        try:
            return self.targets[clock]
        except KeyError:
            raise PresetError(f"preset {self.id!r} has no target for clock {clock!r}") from None

    def title_in(self, language: str) -> str:
        return self.title_fr if language == "fr" and self.title_fr else self.title

    def rule_in(self, language: str) -> str:
        return self.rule_fr if language == "fr" and self.rule_fr else self.rule

    def citation(self, clock: str, language: str) -> str:
        """The rule a clock's target comes from, in `language` when the preset has it."""
        if language == "fr" and self.citations_fr.get(clock):
            return self.citations_fr[clock]
        return self.citations.get(clock, "")

    def recourse(
        self, kind: str, language: str, contact: Mapping[str, str] | None = None
    ) -> str | None:
        """The recourse paragraph a letter of `kind` states, placeholders filled; None if the
        preset has none (the diagram's own recourse then stays)."""
        for key in RECOURSE_KEYS.get(kind, ()):
            texts = self.letters.texts.get(key)
            if texts:
                text = texts.get(language) or texts.get("en") or ""
                return fill_contact(text, {**self.ombudsman, **(contact or {})}, language)
        return None


def fill_contact(text: str, contact: Mapping[str, str], language: str = "en") -> str:
    """A recourse text with {name}, {address}, ... and {contact} filled (unknown ones blank)."""
    values = {
        key: str(contact.get(f"{key}_{language}") or contact.get(key) or "")
        for key in CONTACT_FIELDS
    }
    values["contact"] = ", ".join(" ".join(v.split()) for v in values.values() if v)
    return text.format_map(_Blank(values))


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _texts(raw: Mapping[str, Any], key: str) -> dict[str, str]:
    """`key` and `key_fr` of a TOML table as {"en": ..., "fr": ...}: lines joined, the
    paragraphs (blank lines) kept."""
    found = {}
    for language in LANGUAGES:
        value = raw.get(key if language == "en" else f"{key}_{language}")
        if value:
            paragraphs = re.split(r"\n\s*\n", str(value).strip())
            found[language] = "\n\n".join(" ".join(p.split()) for p in paragraphs)
    return found


def _check_target(name: str, where: str, text: Any) -> str:
    try:
        parse_target(str(text))
    except TargetError as exc:
        raise PresetError(f"preset {name!r}, {where}: {exc}") from exc
    return str(text)


def _letters(name: str, raw: Mapping[str, Any]) -> LetterRules:
    if not isinstance(raw, Mapping):
        raise PresetError(f"preset {name!r}: [letters] must be a table")
    on_breach = {str(k): str(v) for k, v in (raw.get("on_breach") or {}).items()}
    unknown = [clock for clock in on_breach if clock not in CLOCKS]
    if unknown:
        raise PresetError(f"preset {name!r}: on_breach names no clock {', '.join(unknown)}")
    from services import message_templates  # the kinds are data too

    kinds = message_templates.kinds()
    missing = sorted(kind for kind in on_breach.values() if kind not in kinds)
    if missing:
        raise PresetError(f"preset {name!r}: no message kind {', '.join(missing)}")
    windows = {}
    for key in ("summary_resolution_within", "written_response_optional_within"):
        windows[key] = _check_target(name, key, raw[key]) if raw.get(key) else None
    expected = raw.get("delay_expected_within")
    return LetterRules(
        on_breach=on_breach,
        accepted_when=str(raw.get("accepted_when") or ""),
        delay_expected_within=_check_target(name, "delay_expected_within", expected)
        if expected
        else None,
        texts={
            key: texts
            for key in ("recourse", "delay_recourse", "summary_recourse")
            if (texts := _texts(raw, key))
        },
        **windows,
    )


@cache
def load(name: str) -> Preset:
    """Read and check processes/presets/<name>.toml."""
    if not name or not name.replace("_", "").isalnum():
        raise PresetError(f"{name!r} is not a preset name")
    path = PRESET_DIR / f"{name}.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PresetError(f"no preset {name!r} in {PRESET_DIR}") from None
    except tomllib.TOMLDecodeError as exc:
        raise PresetError(f"preset {name!r}: {exc}") from exc
    targets = {str(k): str(v) for k, v in (raw.get("targets") or {}).items()}
    missing = [clock for clock in CLOCKS if clock not in targets]
    if missing:
        raise PresetError(f"preset {name!r} has no target for {', '.join(missing)}")
    for clock, text in targets.items():
        _check_target(name, f"clock {clock}", text)
    if raw.get("id", name) != name:
        raise PresetError(f"preset {name!r} says id = {raw['id']!r}: use the file's name")
    suggested = raw.get("calendar") or {}
    known = {"id", "title", "title_fr", "rule", "rule_fr", "targets", "source", "citations"}
    known |= {"citations_fr"}
    known |= {"pause_while_waiting_for", "at_risk_share", "calendar", "letters", "ombudsman"}
    return Preset(
        id=name,
        title=str(raw.get("title") or name),
        title_fr=str(raw.get("title_fr") or ""),
        rule=str(raw.get("rule") or ""),
        rule_fr=str(raw.get("rule_fr") or ""),
        targets=targets,
        pause_while_waiting_for=frozenset(raw.get("pause_while_waiting_for") or ()),
        at_risk_share=raw.get("at_risk_share"),
        extra={k: v for k, v in raw.items() if k not in known},
        source=str(raw.get("source") or ""),
        citations={str(k): str(v) for k, v in (raw.get("citations") or {}).items()},
        citations_fr={str(k): str(v) for k, v in (raw.get("citations_fr") or {}).items()},
        calendar=SuggestedCalendar(
            country=str(suggested.get("country") or "").upper(),
            subdivision=str(suggested.get("subdivision") or "").upper(),
            timezone=str(suggested.get("timezone") or ""),
        ),
        letters=_letters(name, raw.get("letters") or {}),
        ombudsman={str(k): str(v) for k, v in (raw.get("ombudsman") or {}).items()},
    )


def names() -> list[str]:
    """The names of the presets shipped in processes/presets, sorted (none is read)."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.toml"))


def available() -> list[Preset]:
    """Every preset shipped in processes/presets, the default first."""
    return sorted((load(n) for n in names()), key=lambda p: (p.id != DEFAULT, p.title))


def active() -> Preset:
    """The preset the organisation's calendar names (the default if that one is gone)."""
    from services import business_calendar

    try:
        return load(business_calendar.current().preset or DEFAULT)
    except PresetError:
        return load(DEFAULT)


# ---------------------------------------------------------------------------------------------
# Targets in words (the public page, the process owner's page, the letters)
# ---------------------------------------------------------------------------------------------

# (singular, plural) per language and target kind; "{n}" is the amount.
_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "working_days": ("{n} working day", "{n} working days"),
        "working_days_saturdays": (
            "{n} working day (Monday–Saturday)",
            "{n} working days (Monday–Saturday)",
        ),
        "working_hours": ("{n} working hour", "{n} working hours"),
        "calendar_days": ("{n} calendar day", "{n} calendar days"),
        "hours": ("{n} hour", "{n} hours"),
        "weeks": ("{n} week", "{n} weeks"),
        "months": ("{n} month", "{n} months"),
    },
    "fr": {
        "working_days": ("{n} jour ouvré", "{n} jours ouvrés"),
        "working_days_saturdays": (
            "{n} jour ouvrable (du lundi au samedi)",
            "{n} jours ouvrables (du lundi au samedi)",
        ),
        "working_hours": ("{n} heure ouvrée", "{n} heures ouvrées"),
        "calendar_days": ("{n} jour calendaire", "{n} jours calendaires"),
        "hours": ("{n} heure", "{n} heures"),
        "weeks": ("{n} semaine", "{n} semaines"),
        "months": ("{n} mois", "{n} mois"),
    },
}


def describe(text: str, language: str = "en") -> str:
    """A target in words: working_days(10, saturdays=True) -> "10 working days
    (Monday–Saturday)", "10 jours ouvrables (du lundi au samedi)" in French."""
    words = _WORDS.get(language, _WORDS["en"])
    target = parse_target(text)
    kind, amount = target.kind, target.amount
    if kind == "days":
        kind = "calendar_days"
    elif kind == "working_days" and target.saturdays:
        kind = "working_days_saturdays"
    elif kind == "iso":
        # A quoted ISO duration: whole days, else hours.
        delta = iso_duration(text.strip().strip("\"'"))
        seconds = int(delta.total_seconds())
        if seconds % 86400 == 0:
            kind, amount = "calendar_days", seconds // 86400
        else:
            kind, amount = "hours", seconds // 3600
    one, many = words[kind]
    return (one if amount == 1 else many).format(n=amount)


def duration_words(seconds: float, unit: str, day_seconds: float, language: str = "en") -> str:
    """Time left (or late) in the unit its target counts in (business_calendar.UNITS), as
    the pages say it (app.service_levels.duration): "2 working days 3 h", "4 working hours
    37 min", "12 calendar days 2 h", "5 h 10 min"; a working day is `day_seconds` long."""
    words = _WORDS.get(language, _WORDS["en"])
    seconds = abs(seconds)

    def counted(kind: str, amount: int, rest: str) -> str:
        one, many = words[kind]
        return (one if amount == 1 else many).format(n=amount) + (f" {rest}" if rest else "")

    if unit in (WORKING_DAYS, CALENDAR_DAYS):
        day = day_seconds if unit == WORKING_DAYS else 86400.0
        days = int(seconds // day)
        if days:
            hours = int((seconds - days * day) // 3600)
            return counted(unit, days, f"{hours} h" if hours else "")
    hours, minutes = int(seconds // 3600), int(seconds % 3600 // 60)
    if hours and unit in (WORKING_DAYS, WORKING_HOURS):
        return counted("working_hours", hours, f"{minutes} min" if minutes else "")
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{max(1, minutes)} min"


# ---------------------------------------------------------------------------------------------
# Choosing the preset (setup, the process owner)
# ---------------------------------------------------------------------------------------------


def set_active(name: str, actor: Any = None, *, with_calendar: bool = False) -> Preset:
    """Make `name` the preset new clocks take their targets from; audited.

    Running complaints keep their clocks (each clock stores its target and preset); only
    clocks started from now on use the new one. With `with_calendar`, the organisation's
    calendar also takes the preset's country, subdivision, time zone and at-risk share
    (setup).
    """
    from services import audit, business_calendar
    from services.db import db
    from services.models import BusinessCalendar

    preset = load(name)
    row = db.session.get(BusinessCalendar, 1)
    if row is None:
        row = BusinessCalendar(id=1)
        db.session.add(row)
    before = row.preset
    changes: dict[str, Any] = {"preset": [before, preset.id]}
    row.preset = preset.id
    suggested = preset.calendar
    if with_calendar and suggested:
        for column, value in (
            ("holiday_country", suggested.country),
            ("holiday_subdivision", suggested.subdivision),
            ("timezone", suggested.timezone),
        ):
            if value and getattr(row, column) != value:
                changes[column] = [getattr(row, column), value]
                setattr(row, column, value)
    if with_calendar and preset.at_risk_share is not None:
        share = Decimal(str(preset.at_risk_share))
        if row.at_risk_share != share:
            changes["at_risk_share"] = [str(row.at_risk_share), str(share)]
            row.at_risk_share = share
    if actor is not None:
        row.updated_by_id = actor.id
    audit.record(
        None,
        "preset_changed",
        actor=actor,
        message="Service-level preset: %(before)s -> %(after)s",
        params={"before": before or DEFAULT, "after": preset.id},
        data={"from": before, "to": preset.id, "changes": changes},
    )
    db.session.flush()
    business_calendar.invalidate()
    return preset


def choose(actor: Any, name: str) -> Preset:
    """A process owner picks the preset (NotAllowed for anyone else, InvalidInput if unknown)."""
    from services import permissions
    from services.errors import InvalidInput

    permissions.require_manages_processes(actor)
    if name not in {p.id for p in available()}:
        raise InvalidInput(
            "Choose one of the presets.", details={"preset": [f"There is no preset {name!r}."]}
        )
    return set_active(name, actor)
