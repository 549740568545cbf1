"""The API reference at /api/docs: Swagger UI, served from our own static files, draws the
published OpenAPI document under the strict Content-Security-Policy."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_csp import violations, watched  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


def test_the_reference_shows_the_operations_without_a_policy_violation(live_server, watched):  # noqa: F811
    page, console = watched
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.goto(f"{live_server}/api/docs")
    assert response.status == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe" not in policy
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("complaintflow API")
    # Operations of several parts of the API, by their summaries.
    filing = page.locator(".opblock-summary-description", has_text="File a complaint")
    expect(filing.first).to_be_visible()
    expect(
        page.locator(".opblock-summary-path", has_text="/tracking/information").first
    ).to_be_visible()
    # An operation opens on its details: the example body of the complainant's reply.
    page.locator("#operations-complainant-answerInformationRequest").click()
    expect(page.locator("#operations-complainant-answerInformationRequest")).to_contain_text(
        "X-Tracking-Token"
    )
    assert violations(page, console) == [], "\n".join(violations(page, console))
    # Everything came from this server: no CDN, no validator badge.
    assert requested and all(url.startswith(live_server) for url in requested), requested


def test_the_reference_is_accessible_with_each_kind_of_operation_open(live_server, open_page):
    from tests.browser.conftest import assert_accessible

    page = open_page(locale="fr-FR", axe=True)
    page.goto(f"{live_server}/api/docs")
    expect(page.locator(".opblock-summary-control").first).to_be_visible()
    expect(page.locator("#servers")).to_have_attribute("aria-label", "Serveur")
    # The authorisation dialog, over the page with its operations closed (axe reads both)...
    page.locator(".btn.authorize").first.click()
    expect(page.locator(".close-modal")).to_have_attribute("aria-label", "Fermer la fenêtre")
    assert_accessible(page)
    page.locator(".close-modal").click()
    # ...then one operation of each method open, the file upload too: each kind of body,
    # parameter and answer Swagger UI draws (axe over all of them took most of a minute).
    opened = page.evaluate(
        """() => ['get', 'post', 'put', 'patch', 'delete'].flatMap(method => {
             const block = document.querySelector('.opblock-' + method);
             if (!block) return [];
             block.querySelector('.opblock-summary-control').click();
             return [method];
           }).concat([...document.querySelectorAll('.opblock-post')]
             .filter(b => b.textContent.includes('/attachments'))
             .slice(0, 1)
             .map(b => {
               b.querySelector('.opblock-summary-control').click();
               return 'upload';
             }))"""
    )
    assert opened == ["get", "post", "put", "patch", "delete", "upload"], opened
    expect(page.locator(".opblock-body")).to_have_count(len(opened))
    assert_accessible(page)
