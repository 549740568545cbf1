"""An administrator adds a webhook in the browser, in English and in French; the pages pass
the axe accessibility checks."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from services.db import db
from services.models import WebhookSubscription
from tests.browser.conftest import assert_accessible, login

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("locale", "nav", "address", "add", "saved"),
    [
        ("en-GB", "Webhooks", "Address (https URL)", "Add", "Webhook added"),
        ("fr-FR", "Webhooks", "Adresse (URL https)", "Ajouter", "Webhook ajouté"),
    ],
)
def test_an_administrator_adds_a_webhook(
    open_page, live_server, app, locale, nav, address, add, saved
):
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = True  # the address below is local
    page = open_page(locale=locale, axe=True)
    login(page, live_server, "admin", then=None)
    page.goto(f"{live_server}/admin")
    page.locator("nav.admin-nav").get_by_role("link", name=nav).click()
    assert_accessible(page)
    page.get_by_label(address).fill("http://127.0.0.1:9/hooks")
    page.get_by_label("complaint.filed", exact=False).check()
    page.get_by_role("button", name=add, exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(saved)
    expect(page.locator("#secret")).to_contain_text("whsec_")
    assert_accessible(page)
    with app.app_context():
        row = db.session.scalar(db.select(WebhookSubscription))
        assert row is not None and row.events == "complaint.filed"
