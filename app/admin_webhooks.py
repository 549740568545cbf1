"""Administration: webhook subscriptions (integrators' endpoints) and their delivery log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forms.webhooks import EVENT_CHOICES, WebhookForm
from services import permissions, webhooks
from services.db import db
from services.errors import InvalidInput
from services.models import WebhookSubscription

bp = Blueprint("admin_webhooks", __name__, url_prefix="/admin/webhooks")
# Events reach the subscriptions from every process that creates the app (web, workers).
bp.record_once(lambda _state: webhooks.install(db.session))


@bp.before_request
@login_required
def require_admin() -> None:
    """Only administrators reach these pages."""
    permissions.require_administrator(current_user)


def allow_private() -> bool:
    """WEBHOOK_ALLOW_PRIVATE_TARGETS: loopback and private addresses, and plain http."""
    return bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE_TARGETS"))


def _show_errors(form: WebhookForm, exc: InvalidInput) -> None:
    for name, messages in (exc.details or {"url": [exc.message]}).items():
        target = getattr(form, name, form.url)
        target.errors = [_(str(m)) for m in messages]


@bp.route("", methods=["GET", "POST"])
def index() -> Any:
    """The subscriptions, and the form that adds one."""
    form = WebhookForm(request.form)
    if request.method == "POST" and form.validate():
        try:
            row = webhooks.create(
                current_user,
                url=form.url.data,
                types=form.events.data or [],
                description=form.description.data or "",
                active=bool(form.active.data),
                allow_private=allow_private(),
            )
        except InvalidInput as exc:
            db.session.rollback()
            _show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Webhook added. Its signing secret is shown on its page."))
            return redirect(url_for("admin_webhooks.edit", subscription_id=row.id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "admin/webhooks.html", subscriptions=webhooks.subscriptions(), form=form
    ), status


@bp.route("/<int:subscription_id>", methods=["GET", "POST"])
def edit(subscription_id: int) -> Any:
    """A subscription: change it, see its secret and its delivery log."""
    row = webhooks.get(subscription_id)
    if request.method == "POST":
        form = WebhookForm(request.form)
    else:
        form = WebhookForm(
            data={
                "url": row.url,
                "events": row.events.split(),
                "description": row.description,
                "active": row.active,
            }
        )
    if request.method == "POST" and form.validate():
        try:
            webhooks.update_subscription(
                row,
                url=form.url.data,
                types=form.events.data or [],
                description=form.description.data or "",
                active=bool(form.active.data),
                allow_private=allow_private(),
            )
        except InvalidInput as exc:
            db.session.rollback()
            row = webhooks.get(subscription_id)
            _show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Webhook saved."))
            return redirect(url_for("admin_webhooks.edit", subscription_id=row.id))
    status = 422 if request.method == "POST" else 200
    return _page(row, form, status)


def _page(row: WebhookSubscription, form: WebhookForm, status: int = 200) -> Any:
    return render_template(
        "admin/webhook_edit.html",
        subscription=row,
        form=form,
        deliveries=webhooks.deliveries(row),
        event_labels=dict(EVENT_CHOICES),
    ), status


@bp.post("/<int:subscription_id>/secret")
def rotate_secret(subscription_id: int) -> Any:
    """A new signing secret (the old one stops working at once)."""
    webhooks.update_subscription(webhooks.get(subscription_id), rotate_secret=True)
    db.session.commit()
    flash(_("A new signing secret was made; give it to the receiver."))
    return redirect(url_for("admin_webhooks.edit", subscription_id=subscription_id))


@bp.post("/<int:subscription_id>/delete")
def delete(subscription_id: int) -> Any:
    """Remove the subscription and its log; its queued deliveries are cancelled."""
    webhooks.delete(webhooks.get(subscription_id))
    db.session.commit()
    flash(_("Webhook deleted."))
    return redirect(url_for("admin_webhooks.index"))
