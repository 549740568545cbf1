"""The demo's caught mail in a real browser: reached from the top bar, dated like every page."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from playwright.sync_api import Page, expect

from app.delivery_cli import deliver_once
from tests import journeys
from tests.app.test_outbox_pages import _failed_acknowledgement
from tests.browser.conftest import login, logout
from tests.services.test_delivery import settings_for

PARIS = ZoneInfo("Europe/Paris")
SENT = datetime(2026, 12, 7, 23, 30, tzinfo=PARIS)  # 22:30 UTC: another day in Paris


def test_the_demo_offers_its_caught_mail_and_dates_it_in_the_organisations_zone(
    app, live_server, page: Page, tmp_path
):
    from aiosmtpd.controller import Controller

    from app.delivery_cli import CatchingHandler
    from tests.servers import free_port

    app.config.update(DEMO=True, MAIL_CATCHER_DIR=str(tmp_path / "mail"))
    port = free_port()
    controller = Controller(CatchingHandler(tmp_path / "mail"), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with app.app_context(), time_machine.travel(SENT, tick=False):
            reference = journeys.to_classification().reference
            settings = settings_for(app)
            deliver_once(replace(settings, mail=replace(settings.mail, port=port)))
    finally:
        controller.stop()
    login(page, live_server, "agent")
    page.get_by_role("button", name="Français").click()
    page.locator("nav.mainnav").get_by_role("link", name="Courriels interceptés").click()
    row = page.locator("tbody tr", has_text=reference)
    expect(row).to_contain_text("2026-12-07 23:30")  # it said "Mon, 07 Dec 2026 22:30:00 +0000"
    expect(row).not_to_contain_text("Dec")
    row.get_by_role("link").click()
    expect(page.locator("dl.summary")).to_contain_text("2026-12-07 23:30 (Europe/Paris)")
    expect(page.locator("dl.summary")).not_to_contain_text("+0000")


def test_the_intake_agent_reaches_the_failed_deliveries_from_the_top_bar(
    app, live_server, page: Page
):
    """Intake agents retry or reroute a complainant's message that could not be delivered,
    but the top bar offered "Failed deliveries" to managers and administrators only: an agent
    had no way to the list."""
    _, message_id = _failed_acknowledgement(app)
    login(page, live_server, "agent")
    page.locator("nav.mainnav").get_by_role("link", name="Failed deliveries").click()
    expect(page.locator(f"#message-{message_id}")).to_be_visible()
    expect(
        page.locator(f"#message-{message_id}").get_by_role("button", name="Retry")
    ).to_be_visible()
    logout(page)
    login(page, live_server, "analyst")  # who handles no delivery is not offered it
    expect(page.locator(".topbar .who")).to_have_text("Quentin Quality")
    expect(page.locator("nav.mainnav a[href='/outbox/failed']")).to_have_count(0)


def test_the_caught_mail_is_offered_only_in_the_demo(live_server, page: Page):
    login(page, live_server, "manager")
    expect(page.locator("nav.mainnav a[href='/outbox/failed']")).to_be_visible()
    expect(page.locator("nav.mainnav a[href='/outbox/mail']")).to_have_count(0)
