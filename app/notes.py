"""Internal notes on a case and the list of one's @mentions (staff only).

The case page and the task page include the notes partial (templates/complaints/_notes.html),
which reads the notes through the `case_notes` template global: one source for both pages.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app.redirects import safe_next
from forms.notes import NoteForm
from services import attachments, notes, permissions
from services.db import db
from services.errors import NotAllowed, NotFound
from services.models import Attachment, CaseNote, Complaint, NoteMention

bp = Blueprint("notes", __name__)


@bp.before_request
@login_required
def require_reader() -> None:
    """Notes are for staff who read complaints: others get the complaint pages' 403."""
    if not permissions.reads_complaints(current_user):
        raise NotAllowed(_("Your role does not give access to complaints."))


@bp.app_template_global()
def case_notes(complaint: Complaint) -> list[CaseNote]:
    """The complaint's internal notes, for the signed-in member of staff."""
    return notes.for_complaint(current_user, complaint)


@bp.app_template_global()
def note_form(next_path: str = "") -> NoteForm:
    """An empty note form that comes back to `next_path`."""
    form = NoteForm()
    form.next.data = next_path
    return form


@bp.app_template_global()
def staff_files(complaint: Complaint) -> list[Attachment]:
    """The files staff added to the complaint's tasks, oldest first."""
    return [a for a in attachments.for_complaint(complaint.id) if a.uploaded_by_id is not None]


@bp.app_template_global()
def unread_mentions() -> int:
    """How many mentions the signed-in user has not opened (the navigation's badge)."""
    if not current_user.is_authenticated or not permissions.reads_complaints(current_user):
        return 0
    return notes.unread_count(current_user)


@bp.post("/complaints/<int:complaint_id>/notes")
def add(complaint_id: int) -> Any:
    """Add an internal note; the page it came from shows it."""
    complaint = permissions.require_view_complaint(
        current_user, db.session.get(Complaint, complaint_id)
    )
    back = safe_next(url_for("complaints.show", complaint_id=complaint.id))
    form = NoteForm(request.form)
    if form.validate():
        try:
            notes.add(
                current_user,
                complaint,
                form.body.data,
                base_url=current_app.config["PUBLIC_BASE_URL"],
            )
        except notes.NoteRefused as exc:
            db.session.rollback()
            form.body.errors = _refusal_texts(exc)
        else:
            db.session.commit()
            flash(_("Note added."))
            return redirect(f"{back}#notes")
    return render_template("notes/new.html", form=form, complaint=complaint, back=back), 422


def _refusal_texts(exc: notes.NoteRefused) -> list[str]:
    if not exc.refused:
        return [_("Write the note.")]
    texts = []
    for refused in exc.refused:
        if refused.reason == "no_access":
            texts.append(
                _(
                    "@%(name)s cannot see this complaint, so cannot be mentioned here.",
                    name=refused.username,
                )
            )
        else:
            texts.append(_("Nobody active has the username @%(name)s.", name=refused.username))
    return texts


@bp.get("/mentions")
def mentions() -> Any:
    """The notes in which colleagues mentioned the signed-in user, newest first."""
    found = notes.mentions_of(current_user)
    unread = sum(1 for m in found if m.read_at is None)
    return render_template(
        "notes/mentions.html",
        mentions=found,
        unread_text=ngettext("%(num)d unread mention", "%(num)d unread mentions", unread),
    )


@bp.get("/mentions/<int:mention_id>")
def open_mention(mention_id: int) -> Any:
    """Open a mention: marks the user's mentions on that case read, then shows the notes."""
    mention = db.session.get(NoteMention, mention_id)
    if mention is None or mention.user_id != current_user.id:
        raise NotFound(_("No such mention."))
    complaint = permissions.require_view_complaint(
        current_user, db.session.get(Complaint, mention.note.complaint_id)
    )
    notes.mark_read(current_user, complaint)
    db.session.commit()
    return redirect(url_for("complaints.show", complaint_id=complaint.id) + "#notes")
