"""A complaint about violence, filed in French, handled by the focal point alone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.browser.test_complaint_journey import stored

pytestmark = pytest.mark.browser

NARRATIVE = (
    "Mon supérieur m'a agressée dans son bureau et menace de me licencier si je parle. "
    "Il lit mes courriels professionnels."
)


def test_a_complaint_about_violence_filed_in_french_reaches_only_the_focal_point(
    app, live_server, open_page
):
    complainant = open_page(locale="fr-FR")
    complainant.goto(f"{live_server}/complaints/new")
    expect(complainant.locator("h1")).to_have_text("Déposer une réclamation")
    # The form links to how complaints are handled, with the limits of the procedure in force.
    complainant.locator("main a[href='/how-we-handle-complaints']").click()
    expect(complainant.locator("table.limits tbody tr").first).to_be_visible()
    screenshot(complainant, "how-we-handle-complaints-fr")
    complainant.go_back()
    complainant.fill("#complainant_name", "Awa Ndiaye")
    complainant.fill("#email", "awa@example.org")
    complainant.check("#sensitive_at_intake")
    complainant.fill("#description", NARRATIVE)
    complainant.check("#attestation")
    screenshot(complainant, "sensitive-public-form-fr")
    complainant.locator("main form button[type=submit]").click()
    expect(complainant.locator("p.reference strong")).to_have_text(re.compile(r"^C-\d{4}-\d{6}$"))
    reference = complainant.locator("p.reference strong").inner_text()

    complaint = stored(app, reference)
    assert (complaint.confidential, complaint.sensitive_at_intake) == (True, True)
    assert complaint.preferred_contact == "email"  # the first detail given

    focal = open_page(locale="en-GB")
    login(focal, live_server, "focal")
    row = focal.locator("main table tbody tr", has_text=reference)
    expect(row).to_have_count(1)
    row.get_by_role("link", name="Record informed consent").click()
    expect(focal.locator("h1")).to_contain_text("Record informed consent")
    focal.check("#consent_to_action")
    focal.check("#consent_to_referral")
    focal.select_option("#safe_contact_method", "phone")
    focal.fill("#safe_contact_details", "+221 76 555 55 55")
    focal.fill("#safe_times", "En semaine, 10 h - 12 h")
    screenshot(focal, "sensitive-record-consent")
    focal.get_by_role("button", name="Complete task").click()
    expect(focal.locator(".flash", has_text="Task completed")).to_be_visible()
    referral_row = focal.locator("main table tbody tr", has_text=reference)
    expect(referral_row).to_contain_text("Refer to support services")

    complaint = stored(app, reference)
    assert (complaint.safe_contact_method, complaint.safe_contact) == (
        "phone",
        "+221 76 555 55 55",
    )

    supervisor = open_page(locale="en-GB")
    login(supervisor, live_server, "supervisor")
    expect(supervisor.locator("main")).not_to_contain_text(reference)
    supervisor.goto(f"{live_server}/complaints")
    expect(supervisor.locator("main")).not_to_contain_text(reference)
    response = supervisor.goto(f"{live_server}/complaints/{complaint.id}")
    assert response is not None and response.status == 404
