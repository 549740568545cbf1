"""The signed-in staff member's page: which emails they want from the application."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forms.account import NotificationSettingsForm
from services import staff_notices
from services.db import db

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("", methods=["GET", "POST"])
@login_required
def show() -> Any:
    """The notification settings: an email on assignment, a daily digest of overdue tasks."""
    if request.method == "POST":
        form = NotificationSettingsForm(request.form)
        staff_notices.set_preferences(
            current_user,
            notify_assignment=bool(form.notify_assignment.data),
            daily_digest=bool(form.daily_digest.data),
        )
        db.session.commit()
        flash(_("Your notification settings are saved."))
        return redirect(url_for("account.show"))
    form = NotificationSettingsForm(obj=current_user)
    return render_template("account/show.html", form=form)
