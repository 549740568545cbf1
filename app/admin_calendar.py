"""Administration: the business calendar (working time, time zone, holidays, closure days)."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.local_time import long_date
from forms.calendar import WEEKDAYS, CalendarForm, ClosureDayForm, country_name, weekday_name
from services import business_calendar, calendar_settings, permissions, presets
from services.db import db
from services.errors import InvalidInput

bp = Blueprint("calendar_admin", __name__, url_prefix="/admin/calendar")


@bp.before_request
@login_required
def require_admin() -> None:
    """Only administrators reach these pages."""
    calendar_settings.require_manages_calendar(current_user)


def _settings_form() -> CalendarForm:
    # What the calendar accepts, read here so that the form stays a declaration.
    choices: dict[str, Any] = {
        "timezones": business_calendar.timezones(),
        "countries": list(business_calendar.countries()),
        "preloaded": list(business_calendar.COUNTRIES),
        "subdivisions": business_calendar.subdivision_lookup,
    }
    if request.method == "POST" and "timezone" in request.form:
        return CalendarForm(request.form, **choices)
    row = calendar_settings.settings()
    return CalendarForm(
        **choices,
        data={
            "timezone": row.timezone,
            "weekdays": sorted(business_calendar.weekdays_from_text(row.working_days)),
            "starts": row.work_starts,
            "ends": row.work_ends,
            "country": row.holiday_country,
            "subdivision": row.holiday_subdivision,
            "at_risk_percent": int(round(float(row.at_risk_share) * 100)),
        },
    )


def _page(settings_form: CalendarForm, closure_form: ClosureDayForm, status: int = 200) -> Any:
    language = str(get_locale() or "en")
    calendar = business_calendar.current()
    today = business_calendar.local_today()
    preset = presets.active()
    return render_template(
        "admin/calendar.html",
        form=settings_form,
        closure_form=closure_form,
        calendar=calendar,
        country=country_name(calendar.country) if calendar.country else "",
        working_days=", ".join(weekday_name(d) for d in WEEKDAYS if d in calendar.weekdays),
        closures=calendar_settings.closures(),
        days_off=calendar_settings.days_off_ahead(today, language),
        today=today,
        preset=preset,
        preset_title=preset.title_in(language),
        # Where the process owner chooses the preset (its own page, else the editor), for an
        # administrator who is one: those pages refuse everyone else.
        preset_url=url_for(
            "processes.preset"
            if "processes.preset" in current_app.view_functions
            else "processes.editor"
        )
        if permissions.manages_processes(current_user)
        else "",
        preset_rule=preset.rule_fr if language == "fr" and preset.rule_fr else preset.rule,
        history=calendar_settings.history(),
        long_day=lambda day: long_date(day, "full"),
    ), status


@bp.route("", methods=["GET", "POST"])
def index() -> Any:
    """The calendar's settings, its closure days, and the days off of the next twelve months."""
    form = _settings_form()
    if request.method == "GET":
        return _page(form, ClosureDayForm())
    if form.validate():
        try:
            calendar_settings.update(
                current_user,
                timezone=form.timezone.data,
                weekdays=form.weekdays.data,
                starts=form.starts.data,
                ends=form.ends.data,
                country=form.country.data or "",
                subdivision=form.subdivision.data or "",
                at_risk_percent=form.at_risk_percent.data,
            )
        except InvalidInput:
            # The form checks the same rules first: only a race (or a bug) gets here.
            db.session.rollback()
            flash(_("The calendar was not saved: check the values and try again."), "error")
            return _page(form, ClosureDayForm(), 422)
        db.session.commit()
        business_calendar.invalidate()  # after the commit: this worker reads the new values
        flash(_("Calendar saved. Due times computed from now on use it."))
        return redirect(url_for("calendar_admin.index"))
    return _page(form, ClosureDayForm(), 422)


@bp.post("/closures")
def add_closure() -> Any:
    """Close the organisation on a day."""
    form = ClosureDayForm(request.form)
    if form.validate():
        existing = calendar_settings.closure_on(form.day.data)
        if existing is not None:
            form.day.errors = [
                _(
                    "%(day)s is already a closure day (%(name)s).",
                    day=long_date(form.day.data, "long"),
                    name=existing.name,
                )
            ]
        else:
            try:
                closure = calendar_settings.add_closure(current_user, form.day.data, form.name.data)
            except InvalidInput:
                db.session.rollback()
                form.day.errors = [
                    _(
                        "%(day)s is already a closure day.",
                        day=long_date(form.day.data, "long"),
                    )
                ]
            else:
                db.session.commit()
                business_calendar.invalidate()
                flash(
                    _(
                        "%(day)s added as a closure day: %(name)s.",
                        day=long_date(closure.day, "long"),
                        name=closure.name,
                    )
                )
                return redirect(url_for("calendar_admin.index") + "#closures")
    return _page(_settings_form(), form, 422)


@bp.post("/closures/<int:closure_id>/delete")
def remove_closure(closure_id: int) -> Any:
    """Work again on a closure day."""
    closure = calendar_settings.remove_closure(current_user, closure_id)
    db.session.commit()
    business_calendar.invalidate()
    flash(
        _(
            "%(day)s is no longer a closure day.",
            day=long_date(closure.day, "long"),
        )
    )
    return redirect(url_for("calendar_admin.index") + "#closures")
