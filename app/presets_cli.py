"""`flask set-preset` and `flask list-presets`: the service-level preset chosen at setup.

`COMPLAINTFLOW_PRESET` (or `flask seed-demo --preset NAME`) picks one when the deployment is
set up; after that the process owner's choice (the Service levels page, or set-preset)
stands: setup never overwrites it.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from services import presets
from services.db import db
from services.models import AuditEvent


def describe(preset: presets.Preset) -> str:
    """One preset as the commands list it: id, title, suggested calendar, targets."""
    lines = [f"{preset.id}: {preset.title}"]
    if preset.calendar:
        lines.append(f"  calendar: {preset.calendar.label}")
    for clock in presets.CLOCKS:
        lines.append(f"  {clock:<13} {presets.describe(preset.target(clock))}")
    return "\n".join(lines)


def chosen_before() -> bool:
    """Someone already chose a preset (a process owner, or an earlier setup)."""
    return (
        db.session.scalar(
            db.select(AuditEvent.id).where(AuditEvent.kind == "preset_changed").limit(1)
        )
        is not None
    )


def apply_at_setup(name: str | None) -> str | None:
    """Apply the setup's preset (argument, else COMPLAINTFLOW_PRESET) unless one was chosen
    already; what was done, for the command's output, or None."""
    name = (name or current_app.config.get("COMPLAINTFLOW_PRESET") or "").strip()
    if not name:
        return None
    try:
        preset = presets.load(name)
    except presets.PresetError as exc:
        raise click.ClickException(str(exc)) from exc
    if chosen_before():
        current = presets.active().id
        return f"Service-level preset stays {current} (chosen before; flask set-preset changes it)."
    presets.set_active(preset.id, None, with_calendar=True)
    db.session.commit()
    calendar = preset.calendar.label or "calendar unchanged"
    return f"Service-level preset: {preset.title} ({calendar})."


@click.command("set-preset")
@click.argument("name")
@click.option(
    "--with-calendar/--keep-calendar",
    default=False,
    help="Also take the preset's country, holidays and time zone for the business calendar.",
)
@with_appcontext
def set_preset(name: str, with_calendar: bool) -> None:
    """Choose the service-level preset new clocks follow (running complaints keep theirs)."""
    try:
        preset = presets.set_active(name, None, with_calendar=with_calendar)
    except presets.PresetError as exc:
        db.session.rollback()
        names = ", ".join(p.id for p in presets.available())
        raise click.ClickException(f"{exc}. Presets: {names}") from exc
    db.session.commit()
    click.echo(f"Service-level preset is now {preset.id}: new clocks follow it; running")
    click.echo("complaints keep the targets their clocks started with.")
    click.echo(describe(preset))


@click.command("list-presets")
@with_appcontext
def list_presets() -> None:
    """The service-level presets shipped in processes/presets, the active one marked."""
    active = presets.active().id
    for preset in presets.available():
        mark = " (active)" if preset.id == active else ""
        click.echo(describe(preset).replace(":", f"{mark}:", 1))
