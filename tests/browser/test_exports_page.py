"""A large XLSX export from the complaint list: the Exports page shows it queued, updates
itself when the background round has built it, and offers the file; in both languages."""

from __future__ import annotations

import io

import openpyxl
import pytest
from playwright.sync_api import expect

from app import exports
from tests import journeys
from tests.browser.conftest import assert_accessible, login

pytestmark = pytest.mark.browser


def test_the_exports_page_follows_a_job_until_its_file_is_ready(open_page, app, live_server):
    with app.app_context():
        references = [journeys.file().reference for _ in range(2)]
    app.config["EXPORT_DIRECT_ROWS"] = 2  # the list's two rows make a background job
    page = open_page(locale="en-GB", axe=True, accept_downloads=True)
    login(page, live_server, "analyst", then=None)
    page.goto(f"{live_server}/complaints")
    page.get_by_role("link", name="XLSX").click()
    expect(page).to_have_url(f"{live_server}/exports")
    expect(page.get_by_role("heading", name="Your exports")).to_be_visible()
    jobs = page.locator("#export-jobs")
    expect(jobs).to_contain_text("Queued")
    expect(jobs).to_contain_text("This list updates by itself.")
    assert_accessible(page)

    with app.app_context():  # the timer process's round, while the page waits
        assert exports.build_next_export() == "ready"
    # The page's script fetched the list again: no reload needed.
    link = page.locator("#export-jobs").get_by_role("link", name="Download")
    expect(link).to_be_visible()
    expect(page.locator("#export-jobs")).to_contain_text("Ready")
    assert_accessible(page)
    with page.expect_download() as caught:
        link.click()
    download = caught.value
    assert download.suggested_filename.startswith("complaints-")
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as file:
        rows = list(openpyxl.load_workbook(io.BytesIO(file.read())).active.values)
    assert sorted(row[0] for row in rows[1:]) == sorted(references)

    page.get_by_role("button", name="Français").click()
    expect(page.get_by_role("heading", name="Vos exports")).to_be_visible()
    expect(page.locator("#export-jobs")).to_contain_text("Prêt")
    expect(page.locator("#export-jobs").get_by_role("link", name="Télécharger")).to_be_visible()
    assert_accessible(page)
