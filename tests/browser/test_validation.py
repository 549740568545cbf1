"""Validation looks the same everywhere: a staff form refused by the server shows the public
form's error summary (focused, each error linking to its field), never a browser pop-up."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import login


def test_staff_intake_form_answers_with_the_error_summary_not_a_browser_popup(page, live_server):
    login(page, live_server, "agent", then=None)
    page.goto(f"{live_server}/intake")
    assert page.evaluate("[...document.forms].every((form) => form.noValidate)")
    page.click("main form[enctype] button[type=submit]")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Please correct the following")
    expect(summary).to_be_focused()
    first = summary.locator("a").first
    target = first.get_attribute("href")
    assert target and target.startswith("#") and page.locator(target).count() == 1


def test_resend_link_form_shows_the_error_summary(page, live_server):
    page.goto(f"{live_server}/track")
    page.click("main form[action$='/track'] button[type=submit]")
    expect(page.locator(".error-summary")).to_be_visible()


def test_staff_intake_form_speaks_about_the_complainant_not_to_them(page, live_server):
    """The agent's form said "nothing is done or shared without your consent" under the
    violence box and asked the agent "What would you like us to do?": the public form's words,
    addressed to the complainant."""
    login(page, live_server, "agent", then=None)
    page.goto(f"{live_server}/intake")
    hint = page.locator(".field", has=page.locator("#sensitive_at_intake"))
    expect(hint).to_contain_text("without the complainant's consent")
    expect(page.locator("main")).not_to_contain_text("your consent")
    expect(page.get_by_label("What the complainant asks for")).to_be_visible()
    expect(page.get_by_label("What would you like us to do?")).to_have_count(0)
    # The public form keeps speaking to the complainant.
    page.goto(f"{live_server}/complaints/new")
    expect(page.get_by_label("What would you like us to do?")).to_be_visible()
