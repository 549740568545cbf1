"""PDFs are printed in a short-lived child interpreter, so no worker keeps WeasyPrint."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from pypdf import PdfReader

from services import documents, printing
from tests import journeys as j
from tests.fresh_interpreter import last_line


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_child_prints_the_page_it_is_given():
    pdf = printing.print_in_child(
        "<html><body><p>Réclamation CMP-2026-000123 : réglée.</p></body></html>", "/"
    )
    assert pdf.startswith(b"%PDF-")
    assert "Réclamation CMP-2026-000123 : réglée." in _text(pdf)


def test_a_child_that_takes_too_long_is_stopped_with_a_clear_error(monkeypatch):
    monkeypatch.setattr(printing, "TIMEOUT_SECONDS", 0.05)  # less than the import takes
    with pytest.raises(printing.PrintingFailed, match="longer than 0.05 s"):
        printing.print_in_child("<p>Hello</p>", "/")


@pytest.fixture
def printing_in_child(app):
    previous = documents.SETTINGS
    documents.SETTINGS = documents.Settings(
        directory=previous.directory, letterhead=previous.letterhead, print_in_child=True
    )
    yield
    documents.SETTINGS = previous


def test_the_signed_letter_is_printed_in_a_child_and_stored_with_its_sha256(
    app_context, printing_in_child
):
    complaint = j.to_survey()
    [document] = documents.for_complaint(complaint.id)
    content = documents.path_of(document).read_bytes()
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert complaint.reference in _text(content)


def test_the_app_prints_in_a_child_unless_told_otherwise(tmp_path):
    """With the default settings a process that prints a letter never imports WeasyPrint."""
    script = (
        "import sys; "
        "from app import create_app; from services import documents; "
        f"app = create_app({{'TESTING': True, 'SECRET_KEY': 'x' * 40, "
        f"'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/app.sqlite'}}); "
        "pdf = documents.render_pdf('<p>Hello</p>'); "
        "print(pdf[:5], 'weasyprint' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PRINT_IN_CHILD"}
    assert last_line(script, env) == "b'%PDF-' False"


def test_a_one_shot_command_prints_in_its_own_process_then_the_child_is_back(printing_in_child):
    with documents.printing_in_this_process():
        assert documents.SETTINGS.print_in_child is False
        assert documents.render_pdf("<p>Demo</p>").startswith(b"%PDF-")
    assert documents.SETTINGS.print_in_child is True
