"""Validation looks the same everywhere: a staff form refused by the server shows the public
form's error summary (focused, each error linking to its field), never a browser pop-up."""

from __future__ import annotations

from tests.browser.conftest import login


def test_staff_intake_form_answers_with_the_error_summary_not_a_browser_popup(page, live_server):
    login(page, live_server, "agent")
    page.goto(f"{live_server}/intake")
    assert page.evaluate("[...document.forms].every((form) => form.noValidate)")
    page.click("main form[enctype] button[type=submit]")
    page.wait_for_load_state("networkidle")
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert "Please correct the following" in summary.inner_text()
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    first = summary.locator("a").first
    target = first.get_attribute("href")
    assert target and target.startswith("#") and page.locator(target).count() == 1


def test_resend_link_form_shows_the_error_summary(page, live_server):
    page.goto(f"{live_server}/track")
    page.click("main form[action$='/track'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".error-summary").is_visible()
