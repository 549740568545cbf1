"""Attachments: the content decides the type, size and count are capped, bytes stay off the web."""

from __future__ import annotations

import hashlib
import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
from flask import current_app

from app.cli import timer_loop
from services import attachments
from services.clock import utcnow
from services.db import db
from services.errors import InvalidInput, NotFound
from services.models import Attachment, AuditEvent
from tests import journeys as j
from tests.samples import EXECUTABLE, GIF, HTML, JPEG, PDF, WEBP, png

pytestmark = pytest.mark.usefixtures("app_context")


def upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def stored_files() -> list[Path]:
    return sorted(upload_dir().iterdir()) if upload_dir().exists() else []


def refusal(complaint, filename, content, declared) -> attachments.Problem:
    with pytest.raises(attachments.AttachmentRefused) as caught:
        attachments.add(complaint, filename, content, declared, upload_dir=upload_dir())
    db.session.rollback()
    [problem] = caught.value.problems
    return problem


@pytest.mark.parametrize(
    ("filename", "content", "declared", "expected"),
    [
        ("photo.png", png(), "image/png", "image/png"),
        ("photo.JPG", JPEG, "image/jpeg", "image/jpeg"),
        ("photo.jpeg", JPEG, "image/jpg", "image/jpeg"),
        ("photo.webp", WEBP, "image/webp", "image/webp"),
        ("anim.gif", GIF, "image/gif", "image/gif"),
        ("invoice.pdf", PDF, "application/pdf", "application/pdf"),
        ("invoice.pdf", PDF, "application/octet-stream", "application/pdf"),
    ],
)
def test_photos_and_pdfs_are_stored_with_a_random_name_and_their_hash(
    filename, content, declared, expected
):
    complaint = j.file()
    attachment = attachments.add(complaint, filename, content, declared, upload_dir=upload_dir())
    db.session.commit()
    assert attachment.content_type == expected
    assert attachment.filename == filename
    assert attachment.size == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.uploaded_by is None
    assert Path(filename).stem not in attachment.stored_name
    path = attachments.path_of(attachment, upload_dir())
    assert path.parent == upload_dir()
    assert path.read_bytes() == content
    assert [a.id for a in attachments.for_complaint(complaint.id)] == [attachment.id]


def test_the_upload_folder_is_created_and_a_stream_is_read(tmp_path):
    complaint = j.file()
    folder = tmp_path / "not" / "yet" / "there"
    attachment = attachments.add(
        complaint, "photo.png", io.BytesIO(png(3, 2)), "image/png", upload_dir=folder
    )
    assert attachments.path_of(attachment, folder).read_bytes() == png(3, 2)


def test_adding_a_file_is_recorded_in_the_audit_trail_and_shown_to_the_complainant():
    complaint = j.file()
    attachments.add(complaint, "photo.png", png(), "image/png", upload_dir=upload_dir())
    db.session.commit()
    event = db.session.scalar(
        db.select(AuditEvent).where(
            AuditEvent.complaint_id == complaint.id, AuditEvent.kind == "attachment_added"
        )
    )
    assert event.public is True
    assert event.actor_label == "complainant"
    assert event.data["filename"] == "photo.png"
    assert event.data["sha256"] == hashlib.sha256(png()).hexdigest()


def test_a_file_added_by_staff_stays_off_the_public_timeline():
    complaint = j.file()
    agent = j.user("agent")
    attachments.add(
        complaint, "note.pdf", PDF, "application/pdf", uploaded_by=agent, upload_dir=upload_dir()
    )
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.kind == "attachment_added"))
    assert event.public is False
    assert event.actor == agent


@pytest.mark.parametrize(
    ("filename", "content", "declared", "code"),
    [
        ("setup.png", EXECUTABLE, "image/png", "not_allowed"),
        ("page.png", HTML, "image/png", "not_allowed"),
        ("page.html", HTML, "text/html", "not_allowed"),
        ("photo.jpg", png(), "image/jpeg", "mismatch"),  # a PNG called a JPEG
        ("photo.png", png(), "application/pdf", "mismatch"),  # declared type disagrees
        ("invoice", PDF, "application/pdf", "mismatch"),  # no extension
        ("empty.png", b"", "image/png", "empty"),
    ],
)
def test_a_file_whose_content_is_not_what_we_accept_is_refused_and_nothing_is_written(
    filename, content, declared, code
):
    complaint = j.file()
    problem = refusal(complaint, filename, content, declared)
    assert problem.code == code
    assert problem.filename == filename
    assert filename in problem.message
    assert db.session.scalar(db.select(db.func.count(Attachment.id))) == 0
    assert stored_files() == []


def test_a_file_over_ten_megabytes_is_refused_without_reading_it_all():
    complaint = j.file()
    stream = io.BytesIO(png() + b"\0" * attachments.MAX_SIZE)
    problem = refusal(complaint, "huge.png", stream, "image/png")
    assert problem.code == "too_large"
    assert stream.tell() == attachments.MAX_SIZE + 1
    assert stored_files() == []


def test_a_file_of_exactly_ten_megabytes_is_accepted():
    complaint = j.file()
    content = PDF + b"\0" * (attachments.MAX_SIZE - len(PDF))
    attachment = attachments.add(
        complaint, "scan.pdf", content, "application/pdf", upload_dir=upload_dir()
    )
    assert attachment.size == attachments.MAX_SIZE


def test_a_sixth_file_is_refused():
    complaint = j.file()
    for number in range(attachments.MAX_PER_COMPLAINT):
        attachments.add(complaint, f"p{number}.png", png(), "image/png", upload_dir=upload_dir())
    db.session.commit()
    assert refusal(complaint, "p6.png", png(), "image/png").code == "too_many"
    assert len(attachments.for_complaint(complaint.id)) == attachments.MAX_PER_COMPLAINT


def test_one_bad_file_in_a_batch_refuses_the_batch_and_names_every_problem():
    complaint = j.file()
    batch = [
        attachments.Upload("ok.png", png(), "image/png"),
        attachments.Upload("virus.png", EXECUTABLE, "image/png"),
        attachments.Upload("blank.pdf", b"", "application/pdf"),
    ]
    with pytest.raises(InvalidInput) as caught:
        attachments.add_all(complaint, batch, upload_dir=upload_dir())
    db.session.rollback()
    assert [p.filename for p in caught.value.problems] == ["virus.png", "blank.pdf"]
    assert len(caught.value.details["attachments"]) == 2
    assert attachments.for_complaint(complaint.id) == []
    assert stored_files() == []


def test_a_rolled_back_request_leaves_no_attachment_row():
    complaint = j.file()
    attachments.add(complaint, "photo.png", png(), "image/png", upload_dir=upload_dir())
    db.session.rollback()  # a later step of the same request failed
    assert attachments.for_complaint(complaint.id) == []


def test_the_uploaders_file_name_is_only_a_label():
    assert attachments.clean_filename("C:\\fakepath\\photo.png") == "photo.png"
    assert attachments.clean_filename("../../etc/passwd") == "passwd"
    assert attachments.clean_filename("a\x00b\n.png") == "ab.png"
    assert attachments.clean_filename("") == "file"
    long_name = attachments.clean_filename("x" * 300 + ".pdf")
    assert len(long_name) == 255 and long_name.endswith(".pdf")


def test_a_stored_name_that_is_a_path_or_a_missing_file_is_not_found():
    complaint = j.file()
    attachment = attachments.add(complaint, "p.png", png(), "image/png", upload_dir=upload_dir())
    attachments.path_of(attachment, upload_dir()).unlink()
    with pytest.raises(NotFound):
        attachments.path_of(attachment, upload_dir())
    attachment.stored_name = "../app.sqlite"
    with pytest.raises(NotFound):
        attachments.path_of(attachment, upload_dir())
    db.session.rollback()


# --- orphan sweep ----------------------------------------------------------------------------


def _aged(path: Path, content: bytes, age: timedelta) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    when = (utcnow() - age).timestamp()
    os.utime(path, (when, when))
    return path


def test_the_sweep_removes_old_orphans_and_keeps_recent_and_referenced_files(app, runner):
    complaint = j.file()
    kept = attachments.add(complaint, "photo.png", png(), "image/png", upload_dir=upload_dir())
    db.session.commit()
    referenced = upload_dir() / kept.stored_name
    os.utime(referenced, (0, 0))  # very old, but an attachment names it
    stray = _aged(upload_dir() / "0123abcd.pdf", PDF, timedelta(hours=2))
    in_flight = _aged(upload_dir() / "4567ef01.jpg", JPEG, timedelta(minutes=5))

    dry = runner.invoke(args=["sweep-uploads", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output == f"would remove {stray}\n1 orphan file(s) would remove.\n"
    assert stray.exists()

    result = runner.invoke(args=["sweep-uploads"])
    assert result.exit_code == 0, result.output
    assert result.output == f"removed {stray}\n1 orphan file(s) removed.\n"
    assert stored_files() == sorted([referenced, in_flight])


def test_the_timer_loop_sweeps_orphan_uploads():
    stray = _aged(upload_dir() / "89abcdef.png", png(), timedelta(hours=2))
    timer_loop(0.01, until=iter([False, True]).__next__, sleep=lambda _s: None)
    assert not stray.exists()
