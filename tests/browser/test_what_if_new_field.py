"""The editor's what-if names a column that reads a field no past complaint has."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, expect

from services import processes
from services.db import db
from tests import diagrams as d
from tests import journeys as j
from tests.browser.conftest import login

URGENT = """
[[fields]]
name = "urgent"
type = "checkbox"
label = { en = "Urgent", fr = "Urgent" }
"""


def test_the_what_if_says_a_column_reads_a_field_new_in_the_classification_form(
    app: Flask, live_server: str, page: Page
) -> None:
    with app.app_context():
        classified = j.to_classification()  # on version 1: it has no "urgent"
        j.complete(classified, "classify_complaint")
        reference = classified.reference
        files = d.variant(
            dmn_text=d.edited(
                d.dmn(), "<text>safety_issue</text>", "<text>urgent or safety_issue</text>"
            )
        )
        form = (d.PROCESSES / "forms" / "classify_complaint.toml").read_text() + URGENT
        files["forms/classify_complaint.toml"] = form.encode()
        version_id = processes.deploy(files, actor=None, comment="urgent").version.id
        db.session.commit()

    login(page, live_server, "owner", then=None)
    page.goto(f"{live_server}/processes/editor?version={version_id}")
    page.wait_for_selector("#editor.is-ready")
    page.fill("#last_n", "20")
    page.click("#replay-button")
    notice = page.locator("#replay-result .replay-missing li")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("No past complaint has urgent (column Safety issue)")
    expect(notice).to_contain_text("a new field of the classification form?")
    expect(page.locator("#replay-result table")).to_contain_text(reference)
