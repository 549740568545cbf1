"""Service-level presets: the time limits a deployment follows, as data in processes/presets.

A preset names a target per clock (acknowledge, classify, ..., complaint), which waits pause
the clocks, and the letter rules its regulator implies. The diagrams' timers say
`target("acknowledge")`, so choosing a preset changes the timers without editing a diagram.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from services.business_calendar import TargetError, parse_target

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


class PresetError(ValueError):
    """A preset file that is missing, unreadable or incomplete."""


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

    def target(self, clock: str) -> str:
        """The target expression of a clock; PresetError if the preset has none."""
        try:
            return self.targets[clock]
        except KeyError:
            raise PresetError(f"preset {self.id!r} has no target for clock {clock!r}") from None

    def title_in(self, language: str) -> str:
        return self.title_fr if language == "fr" and self.title_fr else self.title


@cache
def load(name: str) -> Preset:
    """Read and check processes/presets/<name>.toml."""
    if not name.replace("_", "").isalnum():
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
        try:
            parse_target(text)
        except TargetError as exc:
            raise PresetError(f"preset {name!r}, clock {clock}: {exc}") from exc
    known = {"id", "title", "title_fr", "rule", "rule_fr", "targets"}
    known |= {"pause_while_waiting_for", "at_risk_share"}
    return Preset(
        id=str(raw.get("id") or name),
        title=str(raw.get("title") or name),
        title_fr=str(raw.get("title_fr") or ""),
        rule=str(raw.get("rule") or ""),
        rule_fr=str(raw.get("rule_fr") or ""),
        targets=targets,
        pause_while_waiting_for=frozenset(raw.get("pause_while_waiting_for") or ()),
        at_risk_share=raw.get("at_risk_share"),
        extra={k: v for k, v in raw.items() if k not in known},
    )


def available() -> list[Preset]:
    """Every preset shipped in processes/presets, the default first."""
    names = sorted(p.stem for p in PRESET_DIR.glob("*.toml"))
    return sorted((load(n) for n in names), key=lambda p: (p.id != DEFAULT, p.title))


def active() -> Preset:
    """The preset the organisation's calendar names (the default if that one is gone)."""
    from services import business_calendar

    try:
        return load(business_calendar.current().preset or DEFAULT)
    except PresetError:
        return load(DEFAULT)
