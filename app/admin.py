"""Administration: the admin area's home and navigation, support services for referrals, and
the message templates."""

from __future__ import annotations

import difflib
from typing import Any

from babel import Locale
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app import audit_text, domain_messages
from forms.admin import PROVIDER_KINDS, MessageTemplateForm, ServiceProviderForm
from forms.choices import label
from forms.numbers import whole_number
from services import departments, message_templates, permissions, providers, roles, users
from services.db import db
from services.errors import InvalidInput

bp = Blueprint("admin", __name__, url_prefix="/admin")
# The admin pages' change log in the reader's language (admin/_changes.html).
bp.add_app_template_global(audit_text.summary, "audit_summary")


@bp.before_request
@login_required
def require_admin() -> None:
    """Only administrators reach these pages."""
    permissions.require_administrator(current_user)


# The admin area's side navigation: (endpoint, label, the endpoints' prefix it covers).
SECTIONS: list[tuple[str, Any, str]] = [
    ("admin.home", _l("Overview"), "admin.home"),
    ("admin_users.index", _l("Users"), "admin_users."),
    ("admin_roles.index", _l("Roles"), "admin_roles."),
    ("admin_org.departments", _l("Departments and teams"), "admin_org.department"),
    ("admin_org.organisation", _l("Organisation"), "admin_org.organisation"),
    ("admin.templates_index", _l("Message templates"), "admin.template"),
    ("calendar_admin.index", _l("Business calendar"), "calendar_admin."),
    ("admin.providers_index", _l("Service providers"), "admin.provider"),
    ("admin_webhooks.index", _l("Webhooks"), "admin_webhooks."),
]


@bp.app_context_processor
def admin_helpers() -> dict[str, Any]:
    """The admin navigation for admin/layout.html: (endpoint, label, is the current page)."""

    def sections() -> list[tuple[str, str, bool]]:
        endpoint = request.endpoint or ""
        return [
            (target, str(label), endpoint.startswith(prefix))
            for target, label, prefix in SECTIONS
            if target in current_app.view_functions
        ]

    return {"admin_sections": sections}


@bp.get("")
def home() -> Any:
    """The admin area: one card per kind of setting, with a figure where one helps."""
    everyone = users.search()
    active = sum(1 for u in everyone if u.active)
    teams = departments.all_teams()
    cards = [
        (
            "admin_users.index",
            _("Users"),
            _("Accounts, roles, confidential clearance, invitations and password resets."),
            ngettext("%(num)d active user", "%(num)d active users", active),
        ),
        (
            "admin_roles.index",
            _("Roles"),
            _("The roles staff hold, the lanes of the procedure, and who sees confidential cases."),
            ngettext("%(num)d role", "%(num)d roles", len(roles.all_roles())),
        ),
        (
            "admin_org.departments",
            _("Departments and teams"),
            _("The departments complainants and intake choose from, and the teams tasks go to."),
            ngettext("%(num)d team", "%(num)d teams", len(teams)),
        ),
        (
            "admin_org.organisation",
            _("Organisation"),
            _("Name, logo, address, complaints email, signature, recourse and service levels."),
            "",
        ),
        (
            "admin.templates_index",
            _("Message templates"),
            _("What we write to complainants and staff, in each language."),
            "",
        ),
        (
            "calendar_admin.index",
            _("Business calendar"),
            _("Working days and hours, public holidays and closure days."),
            "",
        ),
        (
            "admin.providers_index",
            _("Service providers"),
            _("Support services complainants can be referred to."),
            "",
        ),
    ]
    cards = [card for card in cards if card[0] in current_app.view_functions]
    return render_template("admin/home.html", cards=cards)


@bp.route("/providers", methods=["GET", "POST"])
def providers_index() -> Any:
    """The service providers, and the form that adds one."""
    form = ServiceProviderForm(request.form)
    if request.method == "POST" and form.validate():
        provider = providers.add(current_user, form.data)
        db.session.commit()
        flash(_("%(name)s added.", name=provider.name))
        return redirect(url_for("admin.providers_index"))
    return render_template(
        "admin/providers.html",
        form=form,
        providers=providers.all_providers(),
        history=providers.history()[:50],
        kinds=PROVIDER_KINDS,
        label=label,
    ), 422 if request.method == "POST" else 200


@bp.route("/providers/<int:provider_id>", methods=["GET", "POST"])
def provider_edit(provider_id: int) -> Any:
    """Change a provider's name, kind or contact."""
    provider = providers.get(provider_id)
    form = ServiceProviderForm(request.form, obj=provider)
    if request.method == "POST" and form.validate():
        providers.update(current_user, provider_id, form.data)
        db.session.commit()
        flash(_("%(name)s saved.", name=provider.name))
        return redirect(url_for("admin.providers_index"))
    return render_template(
        "admin/provider_edit.html", form=form, provider=provider
    ), 422 if request.method == "POST" else 200


@bp.post("/providers/<int:provider_id>/active")
def provider_active(provider_id: int) -> Any:
    """Deactivate a provider (no longer offered for referrals), or make it active again."""
    active = request.form.get("active") == "1"
    provider = providers.set_active(current_user, provider_id, active)
    db.session.commit()
    if active:
        flash(_("%(name)s is offered for referrals again.", name=provider.name))
    else:
        flash(_("%(name)s is no longer offered for referrals.", name=provider.name))
    return redirect(url_for("admin.providers_index"))


@bp.get("/templates")
def templates_index() -> Any:
    """Every message kind in every language, with the version in use."""
    rows = [
        (kind, language, message_templates.active(kind.name, language))
        for kind in message_templates.kinds().values()
        for language in message_templates.LANGUAGES
    ]
    # Each language by its name in the reader's words (French, français), not its code.
    names = {
        code: Locale.parse(code).get_language_name(get_locale())
        for code in message_templates.LANGUAGES
    }
    # Edited templates whose shipped wording changed since: the page of each says so.
    changed = {
        (kind.name, language)
        for kind, language, row in rows
        if row is not None and message_templates.shipped_changed(kind.name, language)
    }
    return render_template(
        "admin/templates.html", rows=rows, language_names=names, shipped_changed=changed
    )


@bp.route("/templates/<kind>/<language>", methods=["GET", "POST"])
def template_edit(kind: str, language: str) -> Any:
    """Edit a template (each save a new version) or preview the draft on a sample complaint.

    `?version=N` previews an earlier version, which can be restored from there.
    """
    info = message_templates.kind(kind)
    if language not in message_templates.LANGUAGES:
        abort(404)
    current = message_templates.source(kind, language)
    form = MessageTemplateForm(
        request.form, data=vars(current) if request.method == "GET" else None
    )
    if info.draft:  # a draft a person completes: its text alone
        del form.subject
        del form.body_html
    status = 200
    preview = None
    shown_version = None
    # A version number beyond what the database holds is none, as a text that is no number.
    asked = whole_number(request.args.get("version")) if request.method == "GET" else None
    if asked is not None:
        shown_version = message_templates.version_of(kind, language, asked)
        preview = message_templates.sample(
            kind, language, message_templates.source_of(shown_version), site=_site()
        )
    if request.method == "POST" and form.validate():
        draft = message_templates.Source(
            form.subject.data if "subject" in form else "",
            form.body_text.data,
            (form.body_html.data or None) if "body_html" in form else None,
        )
        try:
            if request.form.get("action") == "preview":
                message_templates.check(kind, draft)
                preview = message_templates.sample(kind, language, draft, site=_site())
            else:
                row = message_templates.save(
                    current_user, kind, language, draft, form.comment.data or ""
                )
                db.session.commit()
                flash(_("Version %(version)d saved; it is used from now on.", version=row.version))
                return redirect(url_for("admin.template_edit", kind=kind, language=language))
        except InvalidInput as exc:
            for name, messages in domain_messages.localize_all(exc.details).items():
                getattr(form, name).errors = list(messages)
            status = 422
    elif request.method == "POST":
        status = 422
    previewing_draft = preview is not None and shown_version is None
    if preview is None and status == 200:
        preview = message_templates.sample(kind, language, site=_site())
    changed = message_templates.shipped_changed(kind, language)
    return render_template(
        "admin/template_edit.html",
        form=form,
        kind=info,
        language=language,
        shipped_changed=changed,
        shipped_diff=_shipped_diff(kind, language) if changed else [],
        variables=message_templates.variables(kind),
        preview=preview,
        preview_document=_html_document(preview.html, language) if preview else "",
        previewing_draft=previewing_draft,
        shown_version=shown_version,
        versions=message_templates.versions(kind, language),
    ), status


@bp.post("/templates/<kind>/<language>/versions/<int:number>/restore")
def template_restore(kind: str, language: str, number: int) -> Any:
    """Use an earlier version again (a new version copying it)."""
    message_templates.kind(kind)
    if language not in message_templates.LANGUAGES:
        abort(404)
    row = message_templates.restore(current_user, kind, language, number)
    db.session.commit()
    flash(
        _(
            "Version %(old)d restored as version %(version)d; it is used from now on.",
            old=number,
            version=row.version,
        )
    )
    return redirect(url_for("admin.template_edit", kind=kind, language=language))


@bp.post("/templates/<kind>/<language>/shipped")
def template_shipped(kind: str, language: str) -> Any:
    """After the shipped wording changed: take it (a new version copying the shipped file),
    or keep the edited wording (a new version copying it, the change noted)."""
    message_templates.kind(kind)
    if language not in message_templates.LANGUAGES:
        abort(404)
    if request.form.get("action") == "keep":
        row = message_templates.keep_edited(current_user, kind, language)
        db.session.commit()
        flash(
            _(
                "Version %(version)d keeps your wording; it is used from now on.",
                version=row.version,
            )
        )
    else:
        row = message_templates.follow_shipped(current_user, kind, language)
        db.session.commit()
        flash(
            _(
                "Version %(version)d is the shipped wording; it is used from now on.",
                version=row.version,
            )
        )
    return redirect(url_for("admin.template_edit", kind=kind, language=language))


def _shipped_diff(kind: str, language: str) -> list[tuple[str, str]]:
    """Each part of the template (subject, text, HTML) that differs between the version in
    use and the shipped file, as (part's name, unified diff lines: - in use, + shipped)."""
    row = message_templates.active(kind, language)
    shipped = message_templates.default(kind, language)
    if row is None or shipped is None:
        return []
    ours = message_templates.source_of(row)
    parts = (
        (_("Subject"), ours.subject, shipped.subject),
        (_("Text"), ours.body_text, shipped.body_text),
        (_("HTML version"), ours.body_html or "", shipped.body_html or ""),
    )
    found = []
    for name, mine, theirs in parts:
        if mine.strip() == theirs.strip():
            continue
        lines = difflib.unified_diff(
            mine.strip().splitlines(),
            theirs.strip().splitlines(),
            fromfile=_("in use (version %(version)d)", version=row.version),
            tofile=_("shipped"),
            lineterm="",
        )
        found.append((name, "\n".join(lines)))
    return found


def _html_document(body: str, language: str) -> str:
    """The HTML part as the page a mail client shows, for a sandboxed frame (srcdoc).

    The frame runs no script and inherits this site's policy (no inline style, no image
    from elsewhere): what an administrator wrote can neither act nor call out.
    """
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8"></head>'
        f"<body>{body}</body></html>"
    )


def _site() -> str:
    """The site's own address, which the messages' links are built on."""
    return str(current_app.config["PUBLIC_BASE_URL"])
