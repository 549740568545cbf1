"""Landing page and language switch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import public
from app.redirects import safe_next
from services import delivery, permissions, roles

bp = Blueprint("main", __name__)


@bp.route("/")
def index() -> Any:
    """Home: staff go to their inbox, the public to the complaint form."""
    if current_user.is_authenticated and permissions.works_on_tasks(current_user):
        return redirect(url_for("inbox.index"))
    return render_template("main/index.html", user=current_user)


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str) -> Any:
    """Switch the interface language."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    # On the filed complaint's confirmation, shown once: shown again, in the new language.
    public.restore_confirmation(request.form.get("filed", ""))
    return redirect(safe_next(url_for("main.index")))


# Staff navigation: (endpoint, label, roles allowed, or a predicate on the user (the role
# table decides who handles cases), or None for every signed-in user).
NAV: list[tuple[str, Any, frozenset[str] | Callable[[Any], bool] | None]] = [
    ("inbox.index", _l("Inbox"), permissions.works_on_tasks),
    ("service_levels.index", _l("Service levels"), frozenset({roles.MANAGER})),
    ("complaints.index", _l("Complaints"), permissions.reads_complaints),
    ("dashboard.index", _l("Dashboard"), permissions.REPORT_ROLES),
    ("improvement.index", _l("Improvement"), permissions.REPORT_ROLES),
    ("management_review.index", _l("Management review"), permissions.REPORT_ROLES),
    ("intake.new", _l("New complaint (intake)"), frozenset({"intake_agent"})),
    ("intake.mail_list", _l("Incoming email"), frozenset({"intake_agent"})),
    ("processes.editor", _l("Procedure"), frozenset({roles.PROCESS_OWNER})),
    ("outbox.post_queue", _l("Letters to post"), frozenset({roles.INTAKE_AGENT, roles.MANAGER})),
    # Intake agents and managers retry or reroute the complainants' messages, managers and
    # administrators the emails to staff (services.delivery.may_see_failures).
    ("outbox.failed", _l("Failed deliveries"), lambda user: delivery.may_see_failures(user)),
    # The demo's mail catcher: every email sent lands there instead of a mailbox.
    ("outbox.caught_mail", _l("Caught mail"), lambda user: _demo() and delivery.may_handle(user)),
    ("notes.mentions", _l("My mentions"), permissions.reads_complaints),
    # One entry for the admin area; its pages share a side navigation (app/admin.py SECTIONS).
    ("admin.home", _l("Administration"), frozenset({roles.ADMINISTRATOR})),
    ("account.show", _l("My account"), None),
]


# Owners of open improvement actions without a report role: their actions, not the reports.
OWN_ACTIONS = ("improvement.actions_index", _l("My improvement actions"))


def _demo() -> bool:
    return bool(current_app.config["DEMO"])


def nav_links() -> list[tuple[str, str]]:
    """Navigation entries the signed-in user may use, for endpoints that exist."""
    if not current_user.is_authenticated:
        return []
    links = [
        (endpoint, str(label))
        for endpoint, label, roles in NAV
        if endpoint in current_app.view_functions
        and (
            roles is None
            or (roles(current_user) if callable(roles) else current_user.role_names & roles)
        )
    ]
    if permissions.needs_own_actions_entry(current_user):
        links.insert(len(links) - 1, (OWN_ACTIONS[0], str(OWN_ACTIONS[1])))  # before account
    return links


@bp.app_context_processor
def template_helpers() -> dict[str, Any]:
    """Helpers every template can call."""
    return {"current_locale": lambda: str(get_locale() or "en"), "nav_links": nav_links}
