"""Email in: mail to the complaints address becomes a complaint for intake or a reply to a case.

The SMTP receiver (app/mail_in.py, `flask receive-mail`) hands each accepted message here.
The raw message is kept as an .eml file under the inbound folder (outside the web root) and
an `inbound_mail` row says what became of it:

- a reply to one of our messages reaches its case when it carries the case's reply token in
  the address (complaints+c-2026-000042.<token>@…) or answers one of our Message-IDs
  (In-Reply-To/References): both are secrets only our own messages carried. It is added to
  the case timeline and, when the procedure waits for information from the complainant,
  delivered as their answer (status `attached`);
- a message that only names the reference (C-2026-000042) in the subject and comes from the
  address on file waits on the case's page for staff who work on the case to confirm it
  (status `unconfirmed`): a reference is no secret and anyone can write any `From:` address,
  so it reaches the case, and answers the procedure, only once a person has checked it;
- anything else waits for staff intake (status `new`), who record it through the intake form,
  pre-filled from the email (status `intake`).

Attachments are checked like uploads (services/attachments.py); refused ones are named in
the row's reason and stay only in the .eml.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from services import attachments, audit, business_calendar, permissions, tracking
from services.clock import utcnow
from services.db import db
from services.errors import NotAllowed, NotFound
from services.models import Complaint, InboundMail, Notification, User

REFERENCE = r"C-\d{4}-\d{6}"
REFERENCE_RE = re.compile(rf"\b{REFERENCE}\b", re.IGNORECASE)
# complaints+c-2026-000042.0123456789abcdef@example.org: the reference and its reply token.
TAG_RE = re.compile(r"\+(c-\d{4}-\d{6})\.([0-9a-f]{16})@", re.IGNORECASE)
TOKEN_LENGTH = 16
MAX_TEXT = 10000

# Statuses of an inbound_mail row.
NEW, ATTACHED, INTAKE, REFUSED = "new", "attached", "intake", "refused"
UNCONFIRMED = "unconfirmed"  # names a case from its address on file: staff confirm it
# How a confirmed email reached its case (the row's reason; shown to staff in their language).
NAMED_FROM_ADDRESS_ON_FILE = "names the case from the address on file; waits for staff"
# Why an email that names a case from another address waits for intake (the row's reason).
NOT_ON_FILE = "names {reference} but comes from an address not on file"
_NOT_ON_FILE_RE = re.compile(NOT_ON_FILE.format(reference=f"({REFERENCE})"))


@dataclass(frozen=True)
class SpamRule:
    """Which mail is refused as spam: flagged by the filter in front of us, or blocklisted.

    `X-Spam-Flag: YES` is what SpamAssassin and rspamd add to mail they judge spam; the
    blocklist holds addresses (someone@example.org) and domains (@example.org).
    """

    blocklist: frozenset[str] = frozenset()

    @classmethod
    def from_setting(cls, value: str) -> SpamRule:
        """The rule from a comma- or space-separated list of addresses and @domains."""
        return cls(frozenset(item.lower() for item in re.split(r"[,\s]+", value) if item))

    def blocks_sender(self, sender: str) -> bool:
        """True for a blocklisted address or an address at a blocklisted domain."""
        address = sender.strip().lower()
        domain = "@" + address.rpartition("@")[2]
        return address in self.blocklist or domain in self.blocklist

    def refusal(self, sender: str, raw: bytes) -> str | None:
        """Why the message is refused as spam, or None."""
        if self.blocks_sender(sender):
            return "sender is on the blocklist"
        headers = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
        if str(headers.get("X-Spam-Flag", "")).strip().upper() == "YES":
            return "flagged as spam (X-Spam-Flag: YES)"
        return None


def reply_token(reference: str, secret: str) -> str:
    """The token that proves a reply address was written by us for this case."""
    digest = hmac.new(secret.encode(), reference.upper().encode(), hashlib.sha256).hexdigest()
    return digest[:TOKEN_LENGTH]


def reply_address(complaint: Complaint, complaints_address: str, secret: str) -> str:
    """The Reply-To of our messages about `complaint`: the complaints address, tagged."""
    local, _, domain = complaints_address.partition("@")
    reference = complaint.reference or ""
    if not reference or not domain:
        return complaints_address
    return f"{local}+{reference.lower()}.{reply_token(reference, secret)}@{domain}"


def parse(raw: bytes) -> EmailMessage:
    """The message, parsed with the modern email API."""
    message: EmailMessage = BytesParser(_class=EmailMessage, policy=policy.default).parsebytes(raw)
    return message


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def text_of(message: EmailMessage) -> str:
    """The message's text: its plain part, else its HTML part without the tags."""
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    content = str(body.get_content())
    if body.get_content_type() == "text/html":
        parser = _Text()
        parser.feed(content)
        content = "".join(parser.parts)
    return content.strip()[:MAX_TEXT]


def files_of(message: EmailMessage) -> list[attachments.Upload]:
    """The message's attached files, as uploads to check."""
    found = []
    for part in message.iter_attachments():
        content = part.get_payload(decode=True)
        if isinstance(content, bytes):
            found.append(
                attachments.Upload(
                    part.get_filename() or "attachment", content, part.get_content_type()
                )
            )
    return found


def receive(
    raw: bytes,
    *,
    sender: str,
    recipients: Sequence[str],
    mail_dir: str | os.PathLike[str],
    upload_dir: str | os.PathLike[str],
    secret: str,
) -> InboundMail:
    """Keep an accepted email and take it to its case, or leave it for staff intake."""
    message = parse(raw)
    directory = Path(mail_dir)
    directory.mkdir(parents=True, exist_ok=True)
    mail = InboundMail(
        sender=(parseaddr(str(message.get("From", "")))[1] or sender)[:254],
        recipient=", ".join(recipients)[:254],
        subject=str(message.get("Subject", ""))[:300],
        message_id=str(message.get("Message-ID", ""))[:300],
        status=NEW,
        stored_name=secrets.token_hex(16) + ".eml",
        size=len(raw),
    )
    db.session.add(mail)
    db.session.flush()
    attachments.write_new_file(directory / mail.stored_name, raw)
    complaint, how = _case_of(message, mail, recipients, secret)
    if complaint is not None and how == NAMED_FROM_ADDRESS_ON_FILE:
        mail.status, mail.complaint_id, mail.reason = UNCONFIRMED, complaint.id, how
    elif complaint is not None:
        _add_reply(mail, complaint, message, how, upload_dir)
    return mail


def _case_of(
    message: EmailMessage, mail: InboundMail, recipients: Sequence[str], secret: str
) -> tuple[Complaint | None, str]:
    """The case an email answers and how we know, or None."""
    for address in recipients:
        tagged = TAG_RE.search(address)
        if tagged is None:
            continue
        reference, token = tagged.group(1).upper(), tagged.group(2).lower()
        if hmac.compare_digest(token, reply_token(reference, secret)):
            found = _by_reference(reference)
            if found is not None:
                return found, "reply address"
    answered = " ".join(str(message.get(h, "")) for h in ("In-Reply-To", "References"))
    for message_id in re.findall(r"<[^<>\s]+>", answered):
        notice = db.session.scalar(
            db.select(Notification).where(Notification.provider_message_id == message_id)
        )
        if notice is not None and notice.complaint_id is not None:
            return db.session.get(Complaint, notice.complaint_id), "answers our message"
    named = REFERENCE_RE.search(mail.subject)
    if named is not None:
        found = _by_reference(named.group(0).upper())
        # A reference is no secret and a From: address proves nothing: staff confirm it.
        if found is not None and _from_address_on_file(found, mail.sender):
            return found, NAMED_FROM_ADDRESS_ON_FILE
        if found is not None:
            mail.reason = NOT_ON_FILE.format(reference=found.reference)
    return None, ""


def _by_reference(reference: str) -> Complaint | None:
    return db.session.scalar(db.select(Complaint).where(Complaint.reference == reference))


def _from_address_on_file(complaint: Complaint, sender: str) -> bool:
    on_file = {complaint.email.strip().lower()}
    if complaint.safe_contact_method == "email":
        on_file.add(complaint.safe_contact.strip().lower())
    return sender.strip().lower() in on_file - {""}


def _add_reply(
    mail: InboundMail,
    complaint: Complaint,
    message: EmailMessage,
    how: str,
    upload_dir: str | os.PathLike[str],
) -> None:
    """Put the reply on the case: as the awaited information, or on the timeline."""
    text = text_of(message)
    accepted, refused = _acceptable(files_of(message), complaint)
    mail.complaint_id = complaint.id
    mail.status = ATTACHED
    notes = [how]
    if refused:
        notes.append("files refused: " + ", ".join(refused))
    mail.reason = "; ".join(notes)[:300]
    if tracking.is_waiting(complaint, tracking.INFORMATION):
        tracking.reply_information(complaint, text, accepted, upload_dir=upload_dir)
        mail.reason = ("delivered as the awaited information; " + mail.reason)[:300]
        return
    audit.record(
        complaint.id,
        "message_received",  # like a reply from the tracking page, on both timelines
        actor_label=audit.COMPLAINANT,
        task_name="email_received",
        summary=f"Email received: {mail.subject}"[:300],
        data={"sender": mail.sender, "subject": mail.subject, "text": text},
        public=True,
    )
    if accepted:
        attachments.add_all(complaint, accepted, upload_dir=upload_dir)


def _acceptable(
    files: Sequence[attachments.Upload], complaint: Complaint
) -> tuple[list[attachments.Upload], list[str]]:
    """The files an upload would accept (up to the complaint's limit), and the others' names."""
    room = attachments.MAX_PER_COMPLAINT - attachments.count(complaint.id)
    accepted: list[attachments.Upload] = []
    refused: list[str] = []
    for upload in files:
        problem = attachments.problem_with(upload.filename, upload.data(), upload.declared_type)
        if problem is None and len(accepted) < room:
            accepted.append(upload)
        else:
            refused.append(attachments.clean_filename(upload.filename))
    return accepted, refused


def named_not_on_file(mail: InboundMail) -> str | None:
    """The reference an email waiting for intake names from an address not on file, if so."""
    found = _NOT_ON_FILE_RE.fullmatch(mail.reason or "")
    return found.group(1) if found else None


def unconfirmed_for(complaint: Complaint) -> list[InboundMail]:
    """Emails that name the case from its address on file and wait for staff, oldest first."""
    return list(
        db.session.scalars(
            db.select(InboundMail)
            .where(InboundMail.complaint_id == complaint.id, InboundMail.status == UNCONFIRMED)
            .order_by(InboundMail.id)
        )
    )


def may_confirm(user: User, complaint: Complaint) -> bool:
    """Staff who work on complaints and may open this one confirm emails that name it."""
    return permissions.works_on_tasks(user) and permissions.can_view_complaint(user, complaint)


def _unconfirmed(complaint: Complaint, mail_id: int, actor: User) -> InboundMail:
    if not may_confirm(actor, complaint):
        raise NotAllowed("Only staff who work on complaints confirm the emails that name one.")
    mail = db.session.get(InboundMail, mail_id)
    if mail is None or mail.status != UNCONFIRMED or mail.complaint_id != complaint.id:
        raise NotFound("This email is not available.")
    return mail


def confirm(
    complaint: Complaint,
    mail_id: int,
    actor: User,
    *,
    mail_dir: str | os.PathLike[str],
    upload_dir: str | os.PathLike[str],
) -> InboundMail:
    """Staff checked that an email naming the case is the complainant's: it reaches the case
    as a reply would (the awaited information, or the timeline, with its files).

    NotAllowed unless `actor` may (may_confirm), NotFound unless the email waits for it.
    """
    mail = _unconfirmed(complaint, mail_id, actor)
    message = message_of(mail, mail_dir)
    _handled(mail, actor, "email_confirmed", "Email confirmed as the complainant's")
    _add_reply(mail, complaint, message, "confirmed by staff", upload_dir)
    return mail


def set_aside(complaint: Complaint, mail_id: int, actor: User) -> InboundMail:
    """Staff judged that an email naming the case is not the complainant's: it stays only in
    the mail folder, and the case's history says who set it aside."""
    mail = _unconfirmed(complaint, mail_id, actor)
    mail.status, mail.reason = REFUSED, "set aside by staff: not the complainant's"
    _handled(mail, actor, "email_set_aside", "Email set aside")
    return mail


def _handled(mail: InboundMail, actor: User, kind: str, what: str) -> None:
    """Who decided about an email naming its case, on the row and in the case's history."""
    mail.handled_by, mail.handled_at = actor, utcnow()
    audit.record(
        mail.complaint_id,
        kind,
        actor=actor,
        summary=f"{what}: {mail.subject}"[:300],
        data={"sender": mail.sender, "subject": mail.subject},
    )


def waiting_for_intake() -> list[InboundMail]:
    """Emails that are no reply to a case, oldest first: complaints for staff to record."""
    return list(
        db.session.scalars(
            db.select(InboundMail).where(InboundMail.status == NEW).order_by(InboundMail.id)
        )
    )


def waiting(mail_id: int) -> InboundMail:
    """One email waiting for intake, or NotFound.

    Any other is no business of the intake form: a reply that reached its case (perhaps a
    confidential one, which only its focal point may read), an email already recorded, spam.
    """
    mail = db.session.get(InboundMail, mail_id)
    if mail is None or mail.status != NEW:
        raise NotFound("This email is not available.")
    return mail


def message_of(mail: InboundMail, mail_dir: str | os.PathLike[str]) -> EmailMessage:
    """The stored message of an inbound email."""
    name = mail.stored_name
    path = Path(mail_dir) / name
    if Path(name).name != name or not path.is_file():
        raise NotFound("This email is not available.")
    return parse(path.read_bytes())


def intake_values(mail: InboundMail, mail_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Intake form values taken from the email: channel, time, sender, what it says."""
    message = message_of(mail, mail_dir)
    name, address = parseaddr(str(message.get("From", "")))
    subject = mail.subject.strip()
    text = text_of(message)
    return {
        "channel": "email",
        # As the intake form reads it: the organisation's local time.
        "received_at": business_calendar.to_local(mail.received_at).replace(
            tzinfo=None, second=0, microsecond=0
        ),
        "complainant_name": name,
        "email": address,
        "preferred_contact": "email",
        "description": f"{subject}\n\n{text}".strip() if subject else text,
    }


def record_intake(
    mail: InboundMail,
    complaint: Complaint,
    actor: User,
    *,
    mail_dir: str | os.PathLike[str],
    upload_dir: str | os.PathLike[str],
) -> list[str]:
    """The email became `complaint` through staff intake: keep its files, mark it handled.

    Returns the names of the files refused (not a photo or PDF, too big, one too many),
    which stay only in the .eml.
    """
    if mail.status != NEW:
        raise NotFound("This email was already handled.")
    accepted, refused = _acceptable(files_of(message_of(mail, mail_dir)), complaint)
    if accepted:
        attachments.add_all(complaint, accepted, uploaded_by=actor, upload_dir=upload_dir)
    mail.status = INTAKE
    mail.complaint_id = complaint.id
    mail.handled_by = actor
    mail.handled_at = utcnow()
    if refused:
        mail.reason = ("files refused: " + ", ".join(refused))[:300]
    return refused
