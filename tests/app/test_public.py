"""The public side: filing a complaint with files, the tracking link, replies and the survey."""

from __future__ import annotations

import hashlib
import html
import io
import re
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app import create_app
from services import attachments, business_calendar, workflows
from services.db import db
from services.models import Attachment, AuditEvent, Complaint
from tests import journeys as j
from tests.app.helpers import csrf_token, post_form
from tests.samples import EXECUTABLE, HTML, JPEG, PDF, png

FORM = {
    "complainant_name": "Aminata Diallo",
    "email": "aminata@example.org",
    "phone": "+221 77 000 00 00",
    "preferred_contact": "email",
    "product_service": "Washing machine WM-300",
    "event_date": "2025-11-02",
    "description": "The machine leaks water from the first wash and the shop ignores my calls.",
    "desired_remedy": "Replacement or refund",
    "attestation": "y",
}
LINK_RE = re.compile(r'id="tracking-link"[^>]*value="([^"]+)"')


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model)) or 0


def stored_files(app) -> list[Path]:
    folder = Path(app.config["UPLOAD_DIR"])
    return sorted(folder.iterdir()) if folder.exists() else []


def post_files(client, url, fields, files=(), *, form_url=None):
    """Post a form with files (content, name, declared type), CSRF token included.

    The body is built in memory: the test client spools a big one to a temporary file that it
    never closes, which the warnings-as-errors setting turns into a failure.
    """
    items = MultiDict(list(fields.items()))
    items.add("csrf_token", csrf_token(client, form_url or url))
    for content, name, declared in files:
        items.add("attachments", FileStorage(io.BytesIO(content), name, content_type=declared))
    boundary, body = encode_multipart(items)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def file_online(client, files=(), **fields) -> str:
    """File through the public form and return the tracking page path from the confirmation."""
    response = post_files(client, "/complaints/new", {**FORM, **fields}, files)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"] == "/complaints/filed"
    page = client.get("/complaints/filed").get_data(as_text=True)
    link = html.unescape(LINK_RE.search(page).group(1))
    return link.removeprefix("http://localhost")


def complaint_of(path: str) -> Complaint:
    """The complaint a tracking path points to (inside an app context)."""
    from services import complaints

    return complaints.by_token(path.rsplit("/", 1)[-1])


def ask_for_information(app, path: str, text: str = "Please send a copy of your invoice.") -> None:
    with app.app_context():
        j.complete(
            complaint_of(path),
            "register_complaint",
            registration_outcome="incomplete",
            form_complete=False,
            missing_information=text,
        )


def bring_to_survey(app, path: str) -> None:
    with app.app_context():
        complaint = complaint_of(path)
        for task in ("register_complaint", "classify_complaint", "resolve_minor", "sign_off_minor"):
            j.complete(complaint, task)


def test_visitor_sees_file_a_complaint_on_the_home_page(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/complaints/new"' in page
    assert "File a complaint" in page


def test_complaint_form_offers_photos_and_pdf_and_the_anonymous_choice(client):
    page = client.get("/complaints/new").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert (
        'type="file" id="attachments" name="attachments" multiple '
        'accept="image/jpeg,image/png,image/webp,image/gif,application/pdf"'
    ) in page
    assert 'id="anonymous"' in page and 'id="attestation"' in page
    assert '<label for="attachments">' in page


def test_complaint_filed_with_a_photo_and_a_pdf_stores_both(app, client):
    photo, scan = png(4, 3), PDF
    path = file_online(
        client,
        files=[
            (photo, "leak.png", "image/png"),
            (scan, "invoice.pdf", "application/pdf"),
            (JPEG, "label.jpg", "image/jpeg"),
        ],
    )
    with app.app_context():
        complaint = complaint_of(path)
        assert complaint.channel == "web"
        assert complaint.complainant_name == "Aminata Diallo"
        assert complaint.consent is True
        files = attachments.for_complaint(complaint.id)
        assert [(a.filename, a.content_type) for a in files] == [
            ("leak.png", "image/png"),
            ("invoice.pdf", "application/pdf"),
            ("label.jpg", "image/jpeg"),
        ]
        assert files[0].sha256 == hashlib.sha256(photo).hexdigest()
        upload_dir = app.config["UPLOAD_DIR"]
        assert attachments.path_of(files[1], upload_dir).read_bytes() == scan
        assert all("leak" not in a.stored_name for a in files)
    page = client.get(path).get_data(as_text=True)
    assert "Files you sent" in page and "leak.png" in page


def test_confirmation_shows_reference_and_link_once_and_the_link_works(app, client):
    response = post_form(client, "/complaints/new", FORM)
    confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        reference = db.session.scalar(db.select(Complaint.reference))
    assert reference in confirmation
    assert "shown only once" in confirmation
    # Lost, it can be sent again: the page says where, as the tracking page does.
    assert "If you lose it, ask for a new one at http://localhost/track with" in confirmation
    link = html.unescape(LINK_RE.search(confirmation).group(1))
    assert link.startswith("http://localhost/track/")
    tracking = client.get(link)
    assert tracking.status_code == 200
    assert reference in tracking.get_data(as_text=True)
    assert tracking.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in tracking.headers["Cache-Control"]
    again = client.get("/complaints/filed")
    assert again.status_code == 302
    assert link not in client.get(again.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(
    ("filename", "content", "declared"),
    [
        ("photo.png", EXECUTABLE, "image/png"),  # a program renamed .png
        ("page.png", HTML, "image/png"),
        ("page.html", HTML, "text/html"),
    ],
)
def test_a_file_that_is_not_a_photo_or_pdf_is_refused_next_to_the_field_and_nothing_is_written(
    app, client, filename, content, declared
):
    files = [(png(), "fine.png", "image/png"), (content, filename, declared)]
    response = post_files(client, "/complaints/new", FORM, files)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    message = f"“{filename}” is not a photo (JPEG, PNG, WebP, GIF) or a PDF document."
    field = page.split('<label for="attachments">', 1)[1].split("</fieldset>", 1)[0]
    assert html.escape(message, quote=False) in field or message in field
    assert "please select them again" in field
    assert FORM["description"] in page  # what was typed stays
    assert 'value="aminata@example.org"' in page
    assert count(app, Complaint) == 0
    assert count(app, Attachment) == 0
    assert stored_files(app) == []


def test_a_png_named_like_a_jpeg_is_refused(app, client):
    files = [(png(), "photo.jpg", "image/jpeg")]
    response = post_files(client, "/complaints/new", FORM, files)
    assert response.status_code == 422
    assert "does not match its name or type" in response.get_data(as_text=True)
    assert count(app, Complaint) == 0


def test_a_file_over_ten_megabytes_is_refused(app, client):
    big = png() + b"\0" * attachments.MAX_SIZE
    response = post_files(client, "/complaints/new", FORM, [(big, "big.png", "image/png")])
    assert response.status_code == 422
    assert "“big.png” is larger than 10 MB." in response.get_data(as_text=True)
    assert count(app, Complaint) == 0
    assert stored_files(app) == []


def test_six_files_are_refused(app, client):
    files = [(png(), f"p{n}.png", "image/png") for n in range(6)]
    response = post_files(client, "/complaints/new", FORM, files)
    assert response.status_code == 422
    assert "Attach at most 5 files to a complaint." in response.get_data(as_text=True)
    assert count(app, Complaint) == 0


def test_a_sending_over_the_size_limit_says_what_to_do(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    big = png() + b"\0" * 2 * 1024 * 1024
    response = post_files(client, "/complaints/new", FORM, [(big, "big.png", "image/png")])
    assert response.status_code == 413
    assert "Your files are too large together" in response.get_data(as_text=True)
    assert count(app, Complaint) == 0


def test_invalid_complaint_is_shown_again_with_errors_and_typed_values(app, client):
    form = {**FORM, "attestation": "", "email": "not-an-address"}
    response = post_form(client, "/complaints/new", form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Confirm that the information is accurate." in page
    assert "Enter a valid email address." in page
    assert 'href="#attestation"' in page  # the summary links to the field
    assert 'value="not-an-address"' in page
    assert FORM["description"] in page
    assert count(app, Complaint) == 0


def test_the_error_summary_lists_the_errors_in_the_order_of_the_form(app, client):
    form = {
        **FORM,
        "complainant_name": "",
        "email": "not-an-address",
        "phone": "call me",
        "description": "Short",
        "attestation": "",
    }
    response = post_files(client, "/complaints/new", form, [(HTML, "page.html", "text/html")])
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    summary, fields = page.split('class="error-summary"', 1)[1].split("</ul>", 1)
    listed = [
        (target, html.unescape(text))
        for target, text in re.findall(r'<a href="#([a-z_]+)">([^<]+)</a>', summary)
    ]
    assert listed == [
        ("complainant_name", "Full name: Give a name, or choose to stay anonymous."),
        ("email", "Email: Enter a valid email address."),
        ("phone", "Telephone: Enter a telephone number, for example +33 1 23 45 67 89."),
        ("description", "What happened: Field must be between 10 and 5000 characters long."),
        ("attachments", "“page.html” is not a photo (JPEG, PNG, WebP, GIF) or a PDF document."),
        (
            "attestation",
            "I confirm the information is accurate: Confirm that the information is accurate.",
        ),
    ]
    # The page shows the fields below the summary in that same order.
    targets = [target for target, _ in listed]
    assert targets == sorted(targets, key=lambda name: fields.index(f'id="{name}"'))


def test_anonymous_complaint_keeps_no_contact_details(app, client):
    path = file_online(
        client,
        anonymous="y",
        preferred_contact="none",
        complainant_name="",
        phone="",
        email="typed.before@example.org",  # typed, then the complainant chose anonymity
    )
    with app.app_context():
        complaint = complaint_of(path)
        assert complaint.anonymous is True
        assert (complaint.complainant_name, complaint.email, complaint.phone) == ("", "", "")
        assert complaint.postal_address == "" and complaint.preferred_contact == "none"
    assert client.get(path).status_code == 200


def test_anonymous_complaint_must_not_ask_to_be_contacted(app, client):
    response = post_form(
        client, "/complaints/new", {**FORM, "anonymous": "y", "preferred_contact": "email"}
    )
    assert response.status_code == 422
    assert "choose “No contact”" in response.get_data(as_text=True)


def test_tracking_page_shows_status_dates_and_public_steps(app, client):
    path = file_online(client)
    with app.app_context():
        j.complete(complaint_of(path), "register_complaint")
        reference = complaint_of(path).reference
    page = client.get(path).get_data(as_text=True)
    assert "Complaint acknowledged" in page  # thrown: the step shows before it is sent
    assert "has been received" not in page
    with app.app_context():
        j.write_messages()  # as the delivery worker does when it sends it
    page = client.get(path).get_data(as_text=True)
    assert "We are assessing your complaint." in page
    assert reference in page
    assert "Received on" in page and "Date of the event" in page
    assert FORM["description"] in page
    assert "Complaint received" in page
    assert "Complaint acknowledged" in page
    assert f"Your complaint {reference} has been received" in page  # the message's subject
    assert "Samuel" not in page and "Awa" not in page  # no staff names
    assert "registration_notes" not in page and "Complete and signed." not in page


def test_information_request_shows_the_request_and_the_reply_resumes_registration(app, client):
    path = file_online(client)
    ask_for_information(app, path)
    page = client.get(path).get_data(as_text=True)
    assert "We need more information from you" in page
    assert "Please send a copy of your invoice." in page
    with app.app_context():  # the diagram's timer: 14 days from the request
        due = workflows.message_deadline(complaint_of(path), "information_received")
        local = business_calendar.to_local(due)
    assert f"Please answer by {local.day} {local:%B %Y}. Without an answer" in page
    response = post_files(
        client,
        f"{path}/information",
        {"information_reply": "Invoice number 4411, attached."},
        [(PDF, "invoice.pdf", "application/pdf")],
        form_url=path,
    )
    assert response.status_code == 302
    assert response.headers["Location"] == path
    assert "we have received your information" in client.get(path).get_data(as_text=True)
    with app.app_context():
        complaint = complaint_of(path)
        assert j.open_names(complaint) == ["register_complaint"]
        assert complaint.status == "registration"
        assert workflows.case_data(complaint)["information_reply"] == {
            "information": "Invoice number 4411, attached.",
            "attachments": ["invoice.pdf"],
        }
        assert [a.filename for a in attachments.for_complaint(complaint.id)] == ["invoice.pdf"]


def test_an_empty_information_reply_is_refused_with_the_field_error(app, client):
    path = file_online(client)
    ask_for_information(app, path)
    response = post_form(client, f"{path}/information", {"information_reply": "  "}, form_url=path)
    assert response.status_code == 422
    assert "Write the information we asked for." in response.get_data(as_text=True)
    with app.app_context():
        assert complaint_of(path).status == "awaiting_information"


def test_survey_answer_closes_the_complaint_with_the_score(app, client):
    path = file_online(client)
    bring_to_survey(app, path)
    page = client.get(path).get_data(as_text=True)
    assert 'id="survey"' in page
    assert client.get(path.replace("/track/", "/survey/")).headers["Location"] == f"{path}#survey"
    response = post_form(
        client, f"{path}/survey", {"score": "4", "comment": "Quick and polite."}, form_url=path
    )
    assert response.status_code == 302
    with app.app_context():
        complaint = complaint_of(path)
        assert complaint.status == "closed"
        assert complaint.outcome == "closed_with_survey"
        assert complaint.satisfaction_score == 4
        assert complaint.satisfaction_comment == "Quick and polite."
    page = client.get(path).get_data(as_text=True)
    assert "Your complaint is closed." in page
    assert "4 out of 5" in page
    assert "You answered the satisfaction survey" in page


def test_survey_without_a_score_is_refused(app, client):
    path = file_online(client)
    bring_to_survey(app, path)
    response = post_form(client, f"{path}/survey", {"comment": "Hmm."}, form_url=path)
    assert response.status_code == 422
    assert "Choose a score from 1 to 5." in response.get_data(as_text=True)
    with app.app_context():
        assert complaint_of(path).status == "awaiting_feedback"


def test_a_wrong_tracking_link_is_not_found(client):
    response = client.get("/track/not-a-real-token")
    assert response.status_code == 404
    assert "This tracking link is not valid." in response.get_data(as_text=True)
    token = csrf_token(client, "/complaints/new")
    response = client.post(
        "/track/not-a-real-token/survey", data={"score": "5", "csrf_token": token}
    )
    assert response.status_code == 404


def test_a_reply_when_nothing_is_awaited_is_a_conflict_and_writes_nothing(app, client):
    path = file_online(client)
    events = count(app, AuditEvent)
    response = post_form(
        client, f"{path}/information", {"information_reply": "Invoice 4411."}, form_url=path
    )
    assert response.status_code == 409
    assert "not waiting for this any more" in response.get_data(as_text=True)
    response = post_form(client, f"{path}/survey", {"score": "5"}, form_url=path)
    assert response.status_code == 409
    assert count(app, AuditEvent) == events
    with app.app_context():
        assert j.open_names(complaint_of(path)) == ["register_complaint"]


def test_posts_without_the_csrf_token_are_refused(app, client):
    response = client.post("/complaints/new", data=FORM)
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)
    assert count(app, Complaint) == 0
    path = file_online(client)
    bring_to_survey(app, path)
    assert client.post(f"{path}/survey", data={"score": "5"}).status_code == 400
    with app.app_context():
        assert complaint_of(path).status == "awaiting_feedback"


def test_too_many_sendings_are_refused_with_a_clear_message(app, client):
    token = csrf_token(client, "/complaints/new")
    statuses = [
        client.post("/complaints/new", data={"csrf_token": token}).status_code for _ in range(10)
    ]
    assert statuses == [422] * 10
    response = client.post("/complaints/new", data={"csrf_token": token})
    assert response.status_code == 429
    assert "You have sent this form too many times" in response.get_data(as_text=True)
    # The budget is shared by every public form.
    response = client.post("/track/whatever/survey", data={"csrf_token": token})
    assert response.status_code == 429
    assert client.get("/complaints/new").status_code == 200  # reading is not limited
    # A fresh application (as each test gets) starts with a fresh budget.
    fresh = create_app({**app.config})
    fresh_client = fresh.test_client()
    fresh_token = csrf_token(fresh_client, "/complaints/new")
    assert fresh_client.post("/complaints/new", data={"csrf_token": fresh_token}).status_code == 422
    with fresh.app_context():
        db.engine.dispose()


def test_every_status_a_complainant_can_see_has_words():
    from app.public import STATUS_TEXT
    from services.tracking import STATUSES

    assert set(STATUS_TEXT) == STATUSES
