"""Documents the organisation produces for a complaint: the signed letters, as PDF.

A letter is rendered with the organisation's letterhead (WeasyPrint), its bytes are stored
under DOCUMENT_DIR with a random name (outside the web root, like uploads, but in its own
folder so the upload sweep never sees them) and a `document` row keeps its SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from services import (
    attachments,
    audit,
    composer,
    letters,
    organisation,
    printing,
)
from services.db import db
from services.errors import NotFound
from services.models import Complaint, Document, Notification

# Messages whose text is a letter: signed off, then sent as a PDF too.
LETTER_KINDS = composer.LETTER_KINDS
PDF = "application/pdf"

LABELS = {
    "en": {
        "reference": "Reference",
        "date": "Date",
        "colon": ":",
        "response_letter": "response",
        "review_outcome_letter": "review-decision",
        "summary_resolution": "response",
        "delay_letter": "delay",
    },
    "fr": {
        "reference": "Référence",
        "date": "Date",
        "colon": "\u00a0:",  # French puts a no-break space before a colon
        "response_letter": "reponse",
        "review_outcome_letter": "decision-de-reexamen",
        "summary_resolution": "reponse",
        "delay_letter": "retard",
    },
}


def css_string(value: object) -> Markup:
    """Text for inside a CSS string of a page's <style> (its footer): every character but
    letters, digits and spaces as a CSS escape. HTML escaping does not do there (a <style>
    holds raw text, so "Smith &amp; Co" printed as it is), nor does it stop a quote."""
    return Markup(  # noqa: S704 - only letters, digits, spaces and CSS escapes are left
        # A space ends an escape and goes with it ("\\26 " is "&"): one that follows stays.
        "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in str(value))
    )


_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_TEMPLATES.filters["css_string"] = css_string


@dataclass(frozen=True)
class Letterhead:
    """Who the letters come from: name, address, contacts, signature block, optional logo."""

    name: str = "Complaints Service (demo)"
    address: str = "BP 1000\nDakar, Senegal"
    phone: str = ""
    email: str = ""
    signature: str = "The Complaints Service"
    # French letters print these when set (else the name and signature above).
    name_fr: str = ""
    signature_fr: str = ""
    logo_path: str = ""
    # The logo an administrator uploaded, as a data: URL (it wins over logo_path).
    logo_data: str = ""

    def in_language(self, language: str) -> Letterhead:
        """The letterhead a letter in `language` prints: French name and signature if set."""
        if language != "fr":
            return self
        return replace(
            self, name=self.name_fr or self.name, signature=self.signature_fr or self.signature
        )

    @property
    def logo_url(self) -> str:
        """The logo as a URL WeasyPrint can read, or "" without one."""
        if self.logo_data:
            return self.logo_data
        return Path(self.logo_path).resolve().as_uri() if self.logo_path else ""


@dataclass(frozen=True)
class Settings:
    """Where documents go and the letterhead; set once by the application factory."""

    directory: Path = Path("instance/documents")
    letterhead: Letterhead = Letterhead()
    # Print in a child process (services/printing.py), so no worker keeps WeasyPrint.
    print_in_child: bool = True


# The engine saves (and so throws letters) deep inside services called from requests, CLI
# commands and the timer loop; the factory hands the settings here once, rather than
# threading a directory and a letterhead through every one of those calls.
SETTINGS = Settings()


def configure(config: Mapping[str, Any]) -> None:
    """Take DOCUMENT_DIR and the ORG_* letterhead settings from the application's config."""
    global SETTINGS
    head = Letterhead()
    SETTINGS = Settings(
        directory=Path(config.get("DOCUMENT_DIR") or SETTINGS.directory),
        letterhead=replace(
            head,
            name=config.get("ORG_NAME") or head.name,
            address=config.get("ORG_ADDRESS") or head.address,
            phone=config.get("ORG_PHONE") or "",
            email=config.get("ORG_EMAIL") or "",
            signature=config.get("ORG_SIGNATURE") or head.signature,
            name_fr=config.get("ORG_NAME_FR") or "",
            signature_fr=config.get("ORG_SIGNATURE_FR") or "",
            logo_path=config.get("ORG_LOGO") or "",
        ),
        print_in_child=bool(config.get("PRINT_IN_CHILD", True)),
    )


def current_letterhead() -> Letterhead:
    """The configured letterhead with what an administrator set (organisation settings)."""
    overrides = organisation.letterhead_overrides()
    for field in ("name", "signature"):
        if field in overrides:
            # Set here in one language only: French letters print it too, not the
            # configuration's French text (the organisation renamed itself).
            overrides.setdefault(f"{field}_fr", "")
    head = replace(SETTINGS.letterhead, **overrides)
    logo = organisation.logo()
    if logo is not None:
        encoded = base64.b64encode(logo.content).decode()
        head = replace(head, logo_data=f"data:{logo.content_type};base64,{encoded}")
    return head


def letter_html(
    complaint: Complaint,
    text: str,
    *,
    letterhead: Letterhead | None = None,
    today: date | None = None,
) -> str:
    """The letter as the HTML page the PDF is printed from, in the complainant's language."""
    language = letters.language_of(complaint)
    org = (letterhead or current_letterhead()).in_language(language)
    recipient = ""
    if not complaint.anonymous and complaint.complainant_name:
        recipient = complaint.complainant_name
        if complaint.postal_address and not complaint.confidential:
            recipient += "\n" + complaint.postal_address
    paragraphs = [p.strip("\n") for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return _TEMPLATES.get_template("letter.html").render(
        language=language,
        title=f"{complaint.reference} — {org.name}",
        org=org,
        recipient=recipient,
        reference=complaint.reference or "",
        date=letters.long_date(today or letters.letter_day(), language),
        labels=LABELS[language],
        paragraphs=paragraphs,
    )


@contextmanager
def printing_in_this_process() -> Iterator[None]:
    """Print in this process for a while: for one-shot commands (their memory goes when they
    exit), where a child per letter would cost a second each."""
    global SETTINGS
    before = SETTINGS
    SETTINGS = replace(SETTINGS, print_in_child=False)
    try:
        yield
    finally:
        SETTINGS = before


def render_pdf(html: str) -> bytes:
    """Print an HTML page to PDF (in a child process unless PRINT_IN_CHILD is off)."""
    base_url = str(Path.cwd())
    logo = SETTINGS.letterhead.logo_path
    files = [str(Path(logo).resolve())] if logo else []  # the one file a page may read
    if SETTINGS.print_in_child:
        return printing.print_in_child(html, base_url, files)
    return printing.print_here(html, base_url, files)


def attach_letter(complaint: Complaint, notification: Notification) -> Document | None:
    """For a letter message, store its PDF on the complaint and link it from the notification."""
    if notification.kind not in LETTER_KINDS:
        return None
    content = render_pdf(letter_html(complaint, notification.body))
    language = letters.language_of(complaint)
    document = Document(
        complaint_id=complaint.id,
        kind=notification.kind,
        filename=f"{complaint.reference}-{LABELS[language][notification.kind]}.pdf",
        stored_name=secrets.token_hex(16) + ".pdf",
        content_type=PDF,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        public=True,
    )
    db.session.add(document)
    db.session.flush()  # the row first: a refused row never leaves a file behind
    directory = SETTINGS.directory
    directory.mkdir(parents=True, exist_ok=True)
    attachments.write_new_file(directory / document.stored_name, content)
    notification.document_id = document.id
    audit.record(
        complaint.id,
        "document_added",
        summary=f"Letter stored: {document.filename}",
        data={
            "document_id": document.id,
            "filename": document.filename,
            "size": document.size,
            "sha256": document.sha256,
        },
    )
    return document


def path_of(document: Document) -> Path:
    """Where the document's bytes are; NotFound if they are missing."""
    name = document.stored_name
    path = SETTINGS.directory / name
    if not name or Path(name).name != name or name.startswith(".") or not path.is_file():
        raise NotFound("This document is not available.")
    return path


def for_complaint(complaint_id: int, *, public_only: bool = False) -> list[Document]:
    """The complaint's documents, oldest first (only those the complainant may have)."""
    query = db.select(Document).where(Document.complaint_id == complaint_id)
    if public_only:
        query = query.where(Document.public.is_(True))
    return list(db.session.scalars(query.order_by(Document.id)))


def get(complaint_id: int, document_id: int, *, public_only: bool = False) -> Document:
    """One document of the complaint, or NotFound."""
    document = db.session.get(Document, document_id)
    if document is None or document.complaint_id != complaint_id:
        raise NotFound("This document is not available.")
    if public_only and not document.public:
        raise NotFound("This document is not available.")
    return document
