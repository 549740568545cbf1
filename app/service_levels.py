"""The managers' service-level view, and how every page says where a clock stands.

/service-levels lists what is at risk or breached now (open tasks the manager oversees;
confidential ones only for the confidential focal point), with counts per step and team and
a one-click reassign per row. Staff without the manager role get a 403 page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import department_text
from app.local_time import local_time
from app.procedure_text import translated
from app.redirects import safe_next
from app.role_text import choices as role_choices
from app.role_text import name_of as role_name
from forms.choices import label
from forms.service_levels import (
    CLOCK_STATES,
    PAUSE_REASONS,
    RowReassignForm,
    ServiceLevelFilterForm,
)
from services import breach_view, business_calendar, presets, tasks
from services import service_levels as clock_rules
from services.breach_view import ClockStatus
from services.business_calendar import (
    CALENDAR_DAYS,
    WORKING_DAYS,
    WORKING_HOURS,
    TargetError,
    parse_target,
)
from services.clock import utcnow
from services.db import db
from services.errors import Conflict, NotAllowed
from services.models import ServiceClock, Task, User

bp = Blueprint("service_levels", __name__, url_prefix="/service-levels")


@bp.before_request
@login_required
def require_manager() -> None:
    """Only managers see the service-level view (a 403 page for other staff)."""
    if not breach_view.oversees_service_levels(current_user):
        raise NotAllowed(_("Only managers see the service-level view."))


@bp.get("")
def index() -> Any:
    """Everything at risk or breached now, by step, team and assignee."""
    manager = current_user
    figures = breach_view.counts(manager)
    people = breach_view.staff()
    filters = ServiceLevelFilterForm(request.args)
    filters.set_choices("clock", ((name, clock_name(name)) for name in presets.CLOCKS))
    filters.set_choices("task", ((c.key, translated(c.label)) for c in figures.by_task))
    filters.set_choices("role", role_choices(lanes_only=True))
    filters.set_choices(
        "department", department_text.labels(c.key for c in figures.by_department if c.key)
    )
    filters.set_choices(
        "assignee",
        [(breach_view.NOBODY, _("Nobody"))] + [(str(user.id), user.name) for user in people],
    )
    status = 200 if filters.validate() else 422
    flt = breach_view.BreachFilter(**filters.values())
    page = breach_view.breaches(manager, flt, figures=figures)
    states = breach_view.statuses(page.tasks, page.now)
    rows = [(task, states[task.id]) for task in page.tasks]
    return render_template(
        "service_levels/index.html",
        filters=filters,
        flt=flt,
        page=page,
        rows=rows,
        figures=figures,
        candidates=breach_view.candidates(page.tasks, people),
        query=filters.query(),
        label=label,
        role_labels=role_choices(),
    ), status


@bp.post("/tasks/<task_id>/reassign")
def reassign(task_id: str) -> Any:
    """Give a row's task to someone who may do it; errors come back as a message."""
    back = safe_next(url_for("service_levels.index"))
    task = tasks.get_for_manager(current_user, task_id)
    form = RowReassignForm(request.form)
    assignee = db.session.get(User, form.assignee.data) if form.validate() else None
    problem = breach_view.reassign_problem(task, assignee)
    if problem is not None or assignee is None:
        return _went_back(back, _reassign_refusal(problem or "unknown", task, assignee))
    try:
        tasks.reassign(current_user, task.id, assignee)
    except Conflict:
        return _went_back(back, _("“%(title)s” is no longer open.", title=translated(task.title)))
    db.session.commit()
    flash(
        _(
            "%(reference)s: “%(title)s” is now assigned to %(name)s.",
            reference=task.reference,
            title=translated(task.title),
            name=assignee.name,
        )
    )
    return redirect(back)


def _reassign_refusal(problem: str, task: Task, assignee: User | None) -> str:
    title = translated(task.title)
    if problem == "four_eyes" and assignee is not None:
        return _(
            "%(name)s cannot take “%(title)s”: they handled an earlier step of this complaint "
            "and the four-eyes rule needs someone else.",
            name=assignee.name,
            title=title,
        )
    if problem == "role" and assignee is not None:
        return _(
            "%(name)s cannot take “%(title)s”: it needs the role %(role)s.",
            name=assignee.name,
            title=title,
            role=role_name(task.role),
        )
    return _("Choose who takes “%(title)s” from the list.", title=title)


def _went_back(back: str, message: str) -> Any:
    db.session.rollback()
    flash(message, "error")
    return redirect(back)


# ---------------------------------------------------------------------------------------------
# Words for clocks, used by the inbox, the complaint page and this view
# ---------------------------------------------------------------------------------------------


@bp.app_template_global()
def clock_name(name: str | None) -> str:
    """A clock (a step's service level) in the reader's language (processes/clocks.toml)."""
    return clock_rules.title(name, str(get_locale() or "en")) if name else ""


@bp.app_template_global()
def clock_state(state: str) -> str:
    """A clock's state in words: on track, at risk, breached, paused, met, stopped."""
    return str(label(CLOCK_STATES, state))


@bp.app_template_global()
def pause_reason(reason: str) -> str:
    """What a paused clock waited for, in words."""
    return str(label(PAUSE_REASONS, reason))


def duration(seconds: float, day_seconds: float, unit: str = WORKING_DAYS) -> str:
    """A duration in the unit its target counts in (business_calendar.UNITS): working days
    and hours ('2 working days 6 h', a day `day_seconds` long), working hours and minutes,
    calendar days and hours, or hours and minutes; under an hour, minutes."""
    seconds = abs(seconds)
    if unit in (WORKING_DAYS, CALENDAR_DAYS):
        day = day_seconds if unit == WORKING_DAYS else 86400.0
        days = int(seconds // day)
        if days:
            return _days(unit, days, int((seconds - days * day) // 3600))
    hours, minutes = int(seconds // 3600), int(seconds % 3600 // 60)
    if hours and unit in (WORKING_DAYS, WORKING_HOURS):
        # Working time under a day (or a target in working hours): say it is working time.
        if minutes:
            return ngettext(
                "%(num)d working hour %(minutes)d min",
                "%(num)d working hours %(minutes)d min",
                hours,
                minutes=minutes,
            )
        return ngettext("%(num)d working hour", "%(num)d working hours", hours)
    if hours:
        if minutes:
            return _("%(hours)d h %(minutes)d min", hours=hours, minutes=minutes)
        return _("%(hours)d h", hours=hours)
    return _("%(minutes)d min", minutes=max(1, minutes))


def _days(unit: str, days: int, hours: int) -> str:
    # One literal call per phrase, so that the catalogue extraction finds every one.
    if unit == WORKING_DAYS:
        if hours:
            return ngettext(
                "%(num)d working day %(hours)d h",
                "%(num)d working days %(hours)d h",
                days,
                hours=hours,
            )
        return ngettext("%(num)d working day", "%(num)d working days", days)
    if hours:
        return ngettext(
            "%(num)d calendar day %(hours)d h",
            "%(num)d calendar days %(hours)d h",
            days,
            hours=hours,
        )
    return ngettext("%(num)d calendar day", "%(num)d calendar days", days)


@bp.app_template_global()
def time_words(status: ClockStatus | None) -> str:
    """'2 working days 6 h left', '12 calendar days late', 'paused, 3 working hours left'...
    for a clock status, in the unit its target counts in ('' if none)."""
    if status is None or status.seconds is None:
        return ""
    if status.state in ("breached", "met", "stopped") or status.seconds < 0:
        if -status.seconds < 60:
            # Late only outside working hours so far (due at the close of business).
            return _("late since %(when)s", when=local_time(status.due_at)) if status.due_at else ""
        return _("%(time)s late", time=duration(status.seconds, status.day_seconds, status.unit))
    left = duration(status.seconds, status.day_seconds, status.unit)
    if status.state == "paused":
        return _("paused, %(time)s left", time=left)
    return _("%(time)s left", time=left)


@bp.app_template_global()
def target_words(text: str) -> str:
    """A target expression in words: working_days(2) -> '2 working days'."""
    try:
        target = parse_target(text)
    except TargetError:
        return text
    n, kind = target.amount, target.kind
    # One literal call per unit, so that the catalogue extraction finds every phrase.
    if kind == "working_days" and target.saturdays:
        return ngettext(
            "%(num)d working day (Monday to Saturday)",
            "%(num)d working days (Monday to Saturday)",
            n,
        )
    if kind == "working_days":
        return ngettext("%(num)d working day", "%(num)d working days", n)
    if kind == "working_hours":
        return ngettext("%(num)d working hour", "%(num)d working hours", n)
    if kind in ("calendar_days", "days"):
        return ngettext("%(num)d calendar day", "%(num)d calendar days", n)
    if kind == "hours":
        return ngettext("%(num)d hour", "%(num)d hours", n)
    if kind == "weeks":
        return ngettext("%(num)d week", "%(num)d weeks", n)
    if kind == "months":
        return ngettext("%(num)d month", "%(num)d months", n)
    return text.strip("\"'")


def clock_rows(
    clocks: list[ServiceClock], now: datetime | None = None
) -> list[tuple[ServiceClock, ClockStatus]]:
    """A complaint's clocks with their state now (the complaint page's panel)."""
    now = now or utcnow()
    calendar = business_calendar.current()
    return [(clock, breach_view.clock_status(clock, now, calendar)) for clock in clocks]
