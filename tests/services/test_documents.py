"""The signed response letter, printed to PDF with the letterhead and stored with its SHA-256."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import weasyprint
from PIL import Image

from services import documents, letters, notifications, printing, workflows
from services.clock import played_at
from services.errors import NotFound
from services.models import Document
from tests import journeys as j


def test_the_signed_off_response_letter_is_stored_as_a_pdf_with_its_sha256(app, app_context):
    complaint = j.to_survey()
    [document] = documents.for_complaint(complaint.id)
    content = documents.path_of(document).read_bytes()
    assert content.startswith(b"%PDF-")
    assert document.size == len(content) > 1000
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.kind == "response_letter" and document.public
    assert document.filename == f"{complaint.reference}-response.pdf"
    # Outside the web root and apart from uploads (whose sweep removes unnamed files).
    assert documents.path_of(document).parent == Path(app.config["DOCUMENT_DIR"])
    letter = next(
        n for n in notifications.for_complaint(complaint.id) if n.kind == "response_letter"
    )
    assert letter.document_id == document.id


def test_no_pdf_before_the_manager_signs_the_letter_off(app_context):
    complaint = j.to_minor_resolution()
    j.complete(complaint, "resolve_minor")
    assert documents.for_complaint(complaint.id) == []
    j.complete(complaint, "sign_off_minor", sign_off_decision="sent_back", sign_off_comment="No.")
    assert documents.for_complaint(complaint.id) == []


def test_the_letter_page_carries_the_letterhead_and_the_signed_text(app_context):
    complaint = j.to_minor_resolution()
    head = documents.Letterhead(
        name="Sénélec Clients", address="BP 93\nDakar", signature="Awa Ndiaye\nHead of complaints"
    )
    text = "Dear Ms Diallo,\n\nWe replaced the seal <today>.\n\nYours sincerely,"
    page = documents.letter_html(complaint, text, letterhead=head, today=date(2026, 12, 1))
    assert '<html lang="en">' in page
    assert "Sénélec Clients" in page and "BP 93\nDakar" in page
    assert "Awa Ndiaye\nHead of complaints" in page
    assert f"Reference: {complaint.reference}" in page and "1 December 2026" in page
    assert "<p>We replaced the seal &lt;today&gt;.</p>" in page  # the handler's text, escaped
    assert "12 rue des Lilas, Dakar" in page  # the complainant's postal address
    # Without a French name and signature, a French letter prints the ones there are.
    french = j.file(language="fr")
    page_fr = documents.letter_html(french, "Bonjour,", letterhead=head)
    assert "Sénélec Clients" in page_fr and "Awa Ndiaye\nHead of complaints" in page_fr
    named = documents.Letterhead(
        name="Clients", signature="Head", name_fr="Clientèle", signature_fr="Responsable"
    )
    page_fr = documents.letter_html(french, "Bonjour,", letterhead=named)
    assert "Clientèle" in page_fr and "Responsable" in page_fr and "Head" not in page_fr
    assert documents.render_pdf(page).startswith(b"%PDF-")


def test_the_footer_prints_the_organisations_name_as_written(app_context):
    # The footer is a CSS string in the page's <style>, where HTML escaping printed
    # "Smith &amp; Co" as it is, and a quote ended the string.
    complaint = j.to_minor_resolution()
    head = documents.Letterhead(name='Smith & "Co" <Ltd>')
    page = documents.letter_html(complaint, "Dear Ms Diallo,", letterhead=head)
    style = page.split("<style>")[1].split("</style>")[0]
    assert "&amp;" not in style and '"Co"' not in style and "<Ltd>" not in style
    printed = weasyprint.HTML(string=page).render().pages[0]._page_box  # the margin boxes
    assert 'Smith & "Co" <Ltd> · ' in "".join(_texts(printed))


def _texts(box: object) -> Iterator[str]:
    if isinstance(getattr(box, "text", None), str):
        yield box.text
    for child in getattr(box, "children", None) or ():
        yield from _texts(child)


def test_a_letter_written_in_a_replayed_step_bears_that_steps_date(app_context):
    # The demo replays its complaints' past: a letter signed off 200 days ago was dated today.
    complaint = j.to_minor_resolution()
    moment = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    with played_at(moment):
        page = documents.letter_html(complaint, "Dear Ms Diallo,")
        draft = letters.draft_response(
            complaint, workflows.case_data(complaint), j.user("supervisor")
        )
    assert "2 March 2026" in page and draft.rstrip().endswith("2 March 2026")
    today = letters.long_date(letters.letter_day(), "en")
    assert today != "2 March 2026" and today in documents.letter_html(complaint, "Dear Ms Diallo,")


def test_a_french_complainant_gets_a_french_draft_and_a_french_letter(app_context):
    complaint = j.file(language="fr")
    j.complete(complaint, "register_complaint")
    j.complete(complaint, "classify_complaint")
    draft = letters.draft_response(
        complaint, workflows.case_data(complaint), j.user("supervisor"), today=date(2026, 12, 1)
    )
    assert draft.startswith("Bonjour Aminata Diallo,")
    assert "Objet\u00a0: votre réclamation" in draft
    assert "concernant Washing machine WM-300" in draft
    assert "[Ce que nous allons faire pour y remédier, et quand.]" in draft
    assert draft.rstrip().endswith("1er décembre 2026")  # the first of the month: an ordinal
    j.complete(complaint, "resolve_minor")
    j.complete(complaint, "sign_off_minor")
    [document] = documents.for_complaint(complaint.id)
    assert document.filename == f"{complaint.reference}-reponse.pdf"
    page = documents.letter_html(complaint, "Bonjour,\n\nC'est réglé.")
    assert '<html lang="fr">' in page and "Référence\u00a0:" in page
    # Signed in French: the demo configuration's French name and signature block.
    assert "Service des réclamations (démo)" in page
    assert "Le responsable du service des réclamations" in page
    assert "Complaints Service (demo)" not in page
    assert documents.path_of(document).read_bytes().startswith(b"%PDF-")


def test_a_document_of_another_complaint_is_not_found(app_context):
    complaint = j.to_survey()
    other = j.file()
    [document] = documents.for_complaint(complaint.id)
    with pytest.raises(NotFound):
        documents.get(other.id, document.id)
    assert isinstance(documents.get(complaint.id, document.id), Document)


@pytest.fixture
def web_peer() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records the paths asked of it."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            asked.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()


def _png(path: Path) -> Path:
    Image.new("RGB", (4, 4), "red").save(path)
    return path


def test_printing_fetches_no_address_and_no_file_but_the_logo(web_peer, tmp_path):
    # The organisation's name is written in the page's style too: what an administrator
    # writes there could make the printer fetch any address or read any file of the server.
    peer, asked = web_peer
    logo, other = _png(tmp_path / "logo.png"), _png(tmp_path / "other.png")
    page = f"""<html><head><style>@import url({peer}/style.css);
        body {{ background: url({peer}/background.png) }}</style></head><body>
        <img src="{peer}/image.png"><img src="{other.as_uri()}"><p>Text</p></body></html>"""
    pdf = printing.print_in_child(page, str(tmp_path), [str(logo)])
    assert pdf.startswith(b"%PDF-") and asked == []
    assert pdf.count(b"/Subtype /Image") == 0  # not the other file either
    with_logo = page.replace("<p>Text</p>", f'<img src="{logo.as_uri()}">')
    assert printing.print_here(with_logo, str(tmp_path), [str(logo)]).count(b"/Subtype /Image") == 1
    assert asked == []
