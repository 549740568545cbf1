"""A member of staff makes an API token on their account page, uses it, then revokes it."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import assert_accessible, login

pytestmark = pytest.mark.browser


def status_of(context: BrowserContext, url: str, token: str) -> int:
    """The status of an API call with the token (the context's session cookie is ignored)."""
    return context.request.get(url, headers={"Authorization": f"Bearer {token}"}).status


def test_a_token_made_on_the_account_page_works_until_revoked(open_page, live_server):
    page = open_page(axe=True)
    context = page.context
    login(page, live_server, "agent")
    page.locator("nav.mainnav").get_by_role("link", name="My account").click()
    tokens = page.locator("#api-tokens")
    expect(tokens).to_contain_text("You have no token yet.")
    tokens.get_by_label("Name").fill("Call centre")
    tokens.get_by_label("Tasks: claim, complete, drafts").check()
    tokens.get_by_label("Expires").select_option("30")
    tokens.get_by_role("button", name="Create the token").click()
    secret = page.locator("#api-token").inner_text()
    assert secret.startswith("cf_")
    assert_accessible(page)
    assert status_of(context, f"{live_server}/api/v1/tasks", secret) == 200
    row = page.locator("table.api-tokens tr", has_text="Call centre")
    expect(row).to_contain_text("read, tasks")
    expect(row).to_contain_text(secret[:10])
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator("#api-tokens")).to_contain_text("You have no token yet.")
    assert secret not in page.content()
    assert status_of(context, f"{live_server}/api/v1/tasks", secret) == 401


def test_staff_save_the_telephone_number_their_letters_give(open_page, live_server):
    page = open_page(axe=True)
    login(page, live_server, "supervisor")
    page.locator("nav.mainnav").get_by_role("link", name="My account").click()
    contact = page.locator("#contact")
    contact.get_by_label("Your telephone number").fill("not a number")
    contact.get_by_role("button", name="Save").click()
    expect(page.locator("#contact")).to_contain_text("Enter a telephone number")
    assert_accessible(page)
    page.locator("#contact").get_by_label("Your telephone number").fill("+221 33 800 12 34")
    page.locator("#contact").get_by_role("button", name="Save").click()
    expect(page.locator("body")).to_contain_text("Your telephone number is saved.")
    expect(page.locator("#contact").get_by_label("Your telephone number")).to_have_value(
        "+221 33 800 12 34"
    )
