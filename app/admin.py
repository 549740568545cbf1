"""Administration: the list of support services (service providers) for referrals."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forms.admin import PROVIDER_KINDS, ServiceProviderForm
from forms.choices import label
from services import providers
from services.db import db

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_admin() -> None:
    """Only administrators reach these pages."""
    providers.require_manages_providers(current_user)


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
