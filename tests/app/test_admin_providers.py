"""Administrators maintain the service providers complainants can be referred to."""

from __future__ import annotations

import pytest

from services import providers
from services.db import db
from services.models import AuditEvent, ServiceProvider
from tests.app.helpers import login, post_form

URL = "/admin/providers"


def stored(app, name: str) -> ServiceProvider | None:
    with app.app_context():
        provider = db.session.scalar(db.select(ServiceProvider).where(ServiceProvider.name == name))
        if provider is not None:
            db.session.expunge(provider)
        return provider


def provider_events(app) -> list[tuple[str, str, int | None]]:
    with app.app_context():
        return [
            (e.kind, e.actor_label, e.complaint_id)
            for e in db.session.scalars(
                db.select(AuditEvent)
                .where(AuditEvent.kind.like("provider_%"))
                .order_by(AuditEvent.id)
            )
        ]


def test_the_demo_has_providers_and_the_admin_finds_the_page_in_the_menu(app, client):
    login(client, "admin")
    page = client.get(URL).get_data(as_text=True)
    assert f'href="{URL}"' in page
    for name, _kind, _contact in providers.DEMO_PROVIDERS:
        assert name.replace("'", "&#39;") in page


@pytest.mark.parametrize("username", ["focal", "manager", "agent", "owner"])
def test_other_roles_may_not_maintain_providers(client, username):
    login(client, username)
    assert client.get(URL).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_admin_adds_edits_deactivates_and_reactivates_a_provider_all_audited(app, client):
    login(client, "admin")
    response = post_form(
        client,
        URL,
        {"name": "Commissariat central", "kind": "police", "contact": "17 · 24 h/24"},
    )
    assert response.status_code == 302
    added = stored(app, "Commissariat central")
    assert (added.kind, added.contact, added.active) == ("police", "17 · 24 h/24", True)

    edit_url = f"{URL}/{added.id}"
    assert "Commissariat central" in client.get(edit_url).get_data(as_text=True)
    response = post_form(
        client,
        edit_url,
        {"name": "Commissariat central (brigade des mineurs)", "kind": "police", "contact": "17"},
    )
    assert response.status_code == 302
    assert stored(app, "Commissariat central (brigade des mineurs)").contact == "17"

    post_form(client, f"{edit_url}/active", {"active": "0"}, form_url=URL)
    assert stored(app, "Commissariat central (brigade des mineurs)").active is False
    with app.app_context():
        assert added.id not in {pid for pid, _label in providers.choices()}
    post_form(client, f"{edit_url}/active", {"active": "1"}, form_url=URL)
    assert stored(app, "Commissariat central (brigade des mineurs)").active is True

    assert provider_events(app) == [
        ("provider_added", "Ada Admin", None),
        ("provider_changed", "Ada Admin", None),
        ("provider_deactivated", "Ada Admin", None),
        ("provider_activated", "Ada Admin", None),
    ]
    with app.app_context():
        changed = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.kind == "provider_changed")
        ).one()
        assert changed.data["before"]["name"] == "Commissariat central"
    assert "Service provider changed: Commissariat central" in client.get(URL).get_data(
        as_text=True
    )


def test_an_invalid_provider_is_refused_with_its_errors(app, client):
    login(client, "admin")
    response = post_form(client, URL, {"name": "", "kind": "", "contact": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Give the name of the service." in page
    assert "Choose the kind of support." in page
    # The same accessible summary as every form, each error linking to its field.
    assert 'class="error-summary"' in page and 'href="#name"' in page
    assert provider_events(app) == []


def test_an_unknown_provider_is_404(client):
    login(client, "admin")
    assert client.get(f"{URL}/999999").status_code == 404


@pytest.mark.parametrize(
    ("language", "refusal"),
    [
        ("en", "Only administrators open the administration pages."),
        ("fr", "Seuls les administrateurs ouvrent les pages d&#39;administration."),
    ],
)
@pytest.mark.parametrize("url", ["/admin", "/admin/users", "/admin/webhooks", URL])
def test_other_roles_are_told_the_administration_is_for_administrators(
    client, url, language, refusal
):
    """The refusal names the administration, not another admin page's business (the
    overview said the providers were for administrators, the users page the settings)."""
    login(client, "manager")
    post_form(client, f"/lang/{language}", {}, form_url="/inbox")
    page = client.get(url)
    assert page.status_code == 403
    assert refusal in page.get_data(as_text=True)
