"""Internal notes on a complaint, for staff only, with @mentions that notify colleagues.

A note is never shown to the complainant: no tracking page, message or complainant API reads
this table, and the audit event a note leaves is internal and holds no text. A mention names a
colleague by username; one who may not see the complaint is refused (the author learns only
that this colleague cannot be mentioned here), so a mention never reveals a case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services import audit, composer, delivery, message_templates, permissions
from services.clock import utcnow
from services.db import db
from services.errors import InvalidInput
from services.models import CaseNote, Complaint, NoteMention, Notification, User

MAX_LENGTH = 5000
# @username: letters, digits and . _ - as usernames are made; an e-mail address is no mention.
MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9][A-Za-z0-9._-]{0,79})")


@dataclass(frozen=True)
class MentionRefused:
    """A name in a note that cannot be mentioned: unknown, inactive, or without access."""

    username: str
    reason: str  # unknown, no_access


class NoteRefused(InvalidInput):
    """The note was not saved: empty, too long, or it mentions someone who cannot be told."""

    def __init__(self, message: str, refused: list[MentionRefused] | None = None) -> None:
        super().__init__(message, details={"body": [message]})
        self.refused = refused or []


def mentioned_names(body: str) -> list[str]:
    """The usernames a text mentions, in order, each once (a trailing full stop is no part)."""
    seen: dict[str, None] = {}
    for match in MENTION.finditer(body):
        seen.setdefault(match.group(1).rstrip(".-_").lower(), None)
    return list(seen)


def add(
    author: User, complaint: Complaint, body: str, *, base_url: str = "http://localhost:5000"
) -> CaseNote:
    """Record a note by `author` on a complaint they see, and notify whoever it mentions.

    NotFound if the author may not see the complaint; NoteRefused (nothing saved) if the text
    is empty or too long or names someone who cannot be mentioned on this complaint.
    """
    permissions.require_view_complaint(author, complaint)
    text = (body or "").strip()
    if not text:
        raise NoteRefused("Write the note.")
    if len(text) > MAX_LENGTH:
        raise NoteRefused(f"A note has at most {MAX_LENGTH} characters.")
    people, refused = _resolve(complaint, mentioned_names(text))
    if refused:
        raise NoteRefused("Some people cannot be mentioned on this complaint.", refused)
    note = CaseNote(complaint_id=complaint.id, author=author, body=text)
    db.session.add(note)
    for person in people:
        note.mentions.append(NoteMention(user=person))
    db.session.flush()
    audit.record(
        complaint.id,
        "note_added",
        actor=author,
        # The history line names the kind; the summary only whom it mentions (no words to
        # translate, and never the text).
        summary=", ".join(f"@{p.username}" for p in people),
        # Who was mentioned, never what was written: the text lives in the note alone.
        data={"note_id": note.id, "mentioned": [p.username for p in people]},
        public=False,
    )
    for person in people:
        if person.id != author.id:
            _email(person, author, complaint, base_url)
    return note


def _resolve(complaint: Complaint, names: list[str]) -> tuple[list[User], list[MentionRefused]]:
    if not names:
        return [], []
    found = {
        user.username.lower(): user
        for user in db.session.scalars(
            db.select(User).where(db.func.lower(User.username).in_(names))
        )
    }
    people, refused = [], []
    for name in names:
        user = found.get(name)
        if user is None or not user.active:
            refused.append(MentionRefused(name, "unknown"))
        elif not permissions.can_view_complaint(user, complaint):
            refused.append(MentionRefused(name, "no_access"))
        else:
            people.append(user)
    return people, refused


def _email(person: User, author: User, complaint: Complaint, base_url: str) -> None:
    """An outbox email for a colleague who asked for emails about their work."""
    if not person.notify_assignment or not person.email:
        return
    row = Notification(
        complaint_id=complaint.id,
        user_id=person.id,
        kind="note_mention",
        channel="email",
        recipient=person.email,
        language=message_templates.language_of(person.locale),
        status=delivery.initial_status("email"),
    )
    values = {
        "user_name": person.name,
        "author_name": author.name,
        "reference": complaint.reference or "",
        "url": f"{base_url.rstrip('/')}/complaints/{complaint.id}#notes",
    }
    composer.defer(row, values, None)
    db.session.add(row)


def for_complaint(viewer: User, complaint: Complaint) -> list[CaseNote]:
    """The complaint's notes, oldest first, for staff who see the complaint."""
    permissions.require_view_complaint(viewer, complaint)
    return list(
        db.session.scalars(
            db.select(CaseNote)
            .where(CaseNote.complaint_id == complaint.id)
            .order_by(CaseNote.created_at, CaseNote.id)
        )
    )


def mentions_of(user: User, *, limit: int = 100) -> list[NoteMention]:
    """The user's mentions, newest first, on complaints they (still) see."""
    rows = db.session.scalars(
        db.select(NoteMention)
        .join(CaseNote)
        .join(Complaint, Complaint.id == CaseNote.complaint_id)
        .where(NoteMention.user_id == user.id, permissions.visible_complaints_filter(user))
        .order_by(CaseNote.created_at.desc(), CaseNote.id.desc())
        .limit(limit)
    )
    return list(rows)


def unread_count(user: User) -> int:
    """How many of the user's mentions they have not opened yet."""
    found = db.session.scalar(
        db.select(db.func.count(NoteMention.id))
        .join(CaseNote)
        .join(Complaint, Complaint.id == CaseNote.complaint_id)
        .where(
            NoteMention.user_id == user.id,
            NoteMention.read_at.is_(None),
            permissions.visible_complaints_filter(user),
        )
    )
    return int(found or 0)


def mark_read(user: User, complaint: Complaint) -> int:
    """Mark the user's mentions on this complaint as read (they opened it); how many."""
    rows = db.session.scalars(
        db.select(NoteMention)
        .join(CaseNote)
        .where(
            NoteMention.user_id == user.id,
            NoteMention.read_at.is_(None),
            CaseNote.complaint_id == complaint.id,
        )
    )
    now = utcnow()
    count = 0
    for mention in rows:
        mention.read_at = now
        count += 1
    db.session.flush()
    return count
