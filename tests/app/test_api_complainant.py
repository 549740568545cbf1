"""The complainant's actions through the API, authorised by the tracking token in the
X-Tracking-Token header: status, information reply, survey, review, a fresh link."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.delivery_cli import deliver_once
from forms.complainant import InformationReplyForm, ResendLinkForm, ReviewRequestForm, SurveyForm
from services import workflows
from services.clock import as_utc, utcnow
from services.db import db
from services.models import Attachment, AuditEvent, Complaint, Notification, TrackingToken
from tests import journeys as j
from tests.app.api_helpers import API, problem
from tests.app.helpers import csrf_token
from tests.samples import EXECUTABLE, PDF
from tests.services.test_delivery import settings_for

VALID_COMPLAINT = {
    "complainant_name": "Aminata Diallo",
    "email": "aminata@example.org",
    "phone": "+221 77 000 00 00",
    "preferred_contact": "email",
    "product_service": "Washing machine WM-300",
    "purchase_date": "2026-01-10",
    "description": "The machine leaks water from the first wash and nobody answers.",
    "attestation": True,
}
SAME_ANSWER = "If these details match a complaint, we have sent a new tracking link"
LINK = re.compile(r"http://localhost:5000/track/([\w-]+)")


def header(token: str) -> dict[str, str]:
    return {"X-Tracking-Token": token}


def refusal(response: Any, code: str) -> tuple[str, dict[str, list[str]]]:
    """The message and field errors of an RFC 9457 refusal, its stable `code` checked."""
    body = problem(response, response.status_code, code)
    return body["detail"], body.get("errors", {})


def filed(client) -> tuple[str, str]:
    """A complaint filed through the API: its reference and tracking token."""
    response = client.post(f"{API}/complaints", json=VALID_COMPLAINT)
    assert response.status_code == 201, response.json
    return response.json["reference"], response.json["tracking_token"]


def complaint_of(reference: str) -> Complaint:
    db.session.expire_all()
    return db.session.scalar(db.select(Complaint).where(Complaint.reference == reference))


def ask_for_information(app, reference: str) -> None:
    with app.app_context():
        j.complete(
            complaint_of(reference),
            "register_complaint",
            registration_outcome="incomplete",
            form_complete=False,
            missing_information="Please send a copy of your invoice.",
        )


def bring_to_survey(app, reference: str) -> None:
    with app.app_context():
        complaint = complaint_of(reference)
        for task in ("register_complaint", "classify_complaint", "resolve_minor", "sign_off_minor"):
            j.complete(complaint, task)


def events(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) or 0


def multipart(fields: dict[str, str], files=()) -> dict[str, Any]:
    """A multipart body built in memory (the test client would spool a big one to a file)."""
    items = MultiDict(list(fields.items()))
    for content, name, declared in files:
        items.add("attachments", FileStorage(io.BytesIO(content), name, content_type=declared))
    boundary, body = encode_multipart(items)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


# --- the token: in the header only --------------------------------------------------------


def test_status_and_timeline_with_the_token_in_the_header(client):
    reference, token = filed(client)
    response = client.get(f"{API}/tracking", headers=header(token))
    assert response.status_code == 200
    body = response.json
    assert body["reference"] == reference
    assert (body["status"], body["awaiting_information"], body["review_until"]) == (
        "registration",
        False,
        None,
    )
    assert [step["step"] for step in body["timeline"]] == ["received"]
    # The same content as the deprecated path, which reads the token from the address.
    old = client.get(f"{API}/tracking/{token}").json
    assert {**old, "review_until": None} == body
    assert "aminata@example.org" not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_a_token_in_the_query_string_or_no_token_is_refused(app, client):
    reference, token = filed(client)
    bring_to_survey(app, reference)
    for response in (
        client.get(f"{API}/tracking?token={token}"),
        client.get(f"{API}/tracking"),
        client.post(f"{API}/tracking/survey?token={token}", json={"score": 5}),
        client.post(f"{API}/tracking/survey", json={"score": 5}, headers=header("  ")),
    ):
        assert response.status_code == 401
        message, _ = refusal(response, "tracking_token_required")
        assert "X-Tracking-Token header" in message
    with app.app_context():
        assert complaint_of(reference).status == "awaiting_feedback"


def test_an_unknown_token_is_not_found(client):
    for response in (
        client.get(f"{API}/tracking", headers=header("no-such-token")),
        client.post(f"{API}/tracking/survey", json={"score": 5}, headers=header("no-such-token")),
    ):
        assert response.status_code == 404
        message, _ = refusal(response, "tracking_token_invalid")
        assert message == "This tracking token is not valid."


def test_an_expired_link_is_gone_and_points_to_a_new_one(app, client):
    reference, _ = filed(client)
    ask_for_information(app, reference)
    with app.app_context():
        j.write_messages()  # the information request is written with a fresh link
        [message] = db.session.scalars(
            db.select(Notification).where(Notification.kind == "information_request")
        ).all()
        token = LINK.search(message.body).group(1)
        assert client.get(f"{API}/tracking", headers=header(token)).status_code == 200
        [row] = db.session.scalars(db.select(TrackingToken)).all()
        # Ninety days and a minute later, as far as the link is concerned.
        row.created_at = as_utc(row.created_at) - timedelta(days=90, minutes=1)
        row.expires_at = as_utc(row.expires_at) - timedelta(days=90, minutes=1)
        db.session.commit()
    response = client.get(f"{API}/tracking", headers=header(token))
    assert response.status_code == 410
    message, _ = refusal(response, "link_expired")
    assert message.startswith("This tracking link has expired.")
    assert message.endswith("http://localhost/api/v1/tracking/resend-link")
    reply = {"information_reply": "Invoice 4411."}
    response = client.post(f"{API}/tracking/information", json=reply, headers=header(token))
    assert response.status_code == 410
    with app.app_context():
        assert complaint_of(reference).status == "awaiting_information"


# --- answering an information request -----------------------------------------------------


def test_the_information_reply_resumes_the_procedure(app, client):
    reference, token = filed(client)
    ask_for_information(app, reference)
    body = client.get(f"{API}/tracking", headers=header(token)).json
    assert body["awaiting_information"] is True
    assert body["information_requested"] == "Please send a copy of your invoice."

    response = client.post(
        f"{API}/tracking/information",
        json={"information_reply": "  Invoice number 4411.  "},
        headers=header(token),
    )
    assert response.status_code == 200, response.json
    assert response.json["awaiting_information"] is False
    assert "information_received" in [step["step"] for step in response.json["timeline"]]
    with app.app_context():
        complaint = complaint_of(reference)
        assert complaint.status == "registration"
        assert workflows.case_data(complaint)["information_reply"] == {
            "information": "Invoice number 4411."
        }
        assert j.open_names(complaint) == ["register_complaint"]

    again = client.post(
        f"{API}/tracking/information",
        json={"information_reply": "Invoice number 4411."},
        headers=header(token),
    )
    assert again.status_code == 409
    message, _ = refusal(again, "not_waiting_for_information")
    assert "not waiting for information" in message


def test_the_information_reply_takes_files_as_multipart(app, client):
    reference, token = filed(client)
    ask_for_information(app, reference)
    response = client.post(
        f"{API}/tracking/information",
        headers=header(token),
        **multipart(
            {"information_reply": "The invoice is attached."},
            [(PDF, "invoice.pdf", "application/pdf")],
        ),
    )
    assert response.status_code == 200, response.json
    assert [f["filename"] for f in response.json["files"]] == ["invoice.pdf"]
    with app.app_context():
        [stored] = db.session.scalars(db.select(Attachment)).all()
        assert (stored.filename, stored.uploaded_by_id) == ("invoice.pdf", None)
        assert workflows.case_data(complaint_of(reference))["information_reply"] == {
            "information": "The invoice is attached.",
            "attachments": ["invoice.pdf"],
        }


def test_a_refused_reply_names_each_field_and_saves_nothing(app, client):
    reference, token = filed(client)
    ask_for_information(app, reference)
    before = events(app)
    cases = [
        ({"json": {"information_reply": "  "}}, "information_reply"),
        ({"json": {"information_reply": "Invoice 4411.", "invoice": "4411"}}, "invoice"),
        ({"json": {"information_reply": 4411}}, "information_reply"),
        (
            multipart(
                {"information_reply": "The invoice is attached."},
                [(EXECUTABLE, "invoice.pdf", "application/pdf")],
            ),
            "attachments",
        ),
        (multipart({"information_reply": "Invoice 4411.", "csrf_token": "x"}), "csrf_token"),
    ]
    for request, field in cases:
        response = client.post(f"{API}/tracking/information", headers=header(token), **request)
        assert response.status_code == 422, (request, response.json)
        _, fields = refusal(response, "validation_failed")
        assert field in fields, (request, response.json)
    _, fields = refusal(
        client.post(
            f"{API}/tracking/information",
            json={"information_reply": " "},
            headers=header(token),
        ),
        "validation_failed",
    )
    assert fields["information_reply"] == ["Write the information we asked for."]
    assert events(app) == before
    with app.app_context():
        assert complaint_of(reference).status == "awaiting_information"
        assert db.session.scalars(db.select(Attachment)).all() == []


# --- the satisfaction survey --------------------------------------------------------------


def test_the_survey_answer_closes_the_complaint_with_the_score(app, client):
    reference, token = filed(client)
    early = client.post(f"{API}/tracking/survey", json={"score": 4}, headers=header(token))
    assert early.status_code == 409
    message, _ = refusal(early, "survey_not_open")
    assert "survey" in message
    bring_to_survey(app, reference)
    assert client.get(f"{API}/tracking", headers=header(token)).json["awaiting_survey"] is True

    response = client.post(
        f"{API}/tracking/survey",
        json={"score": 4, "comment": "Quick and polite."},
        headers=header(token),
    )
    assert response.status_code == 200, response.json
    assert response.json["status"] == "closed"
    assert response.json["review_until"] is not None  # the appeal window is open
    assert "survey_answered" in [step["step"] for step in response.json["timeline"]]
    with app.app_context():
        complaint = complaint_of(reference)
        assert (complaint.satisfaction_score, complaint.satisfaction_comment) == (
            4,
            "Quick and polite.",
        )
        assert complaint.outcome == "closed_with_survey"

    again = client.post(f"{API}/tracking/survey", json={"score": 5}, headers=header(token))
    assert again.status_code == 409
    refusal(again, "survey_not_open")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"comment": "Hmm."}, "score", "Choose a score from 1 to 5."),
        ({"score": 7}, "score", None),
        ({"score": "4"}, "score", None),
        ({"score": 4, "comment": "x" * 2001}, "comment", None),
    ],
)
def test_a_refused_survey_names_the_field(app, client, body, field, message):
    reference, token = filed(client)
    bring_to_survey(app, reference)
    response = client.post(f"{API}/tracking/survey", json=body, headers=header(token))
    assert response.status_code == 422
    _, fields = refusal(response, "validation_failed")
    assert list(fields) == [field]
    if message:
        assert fields[field] == [message]
    with app.app_context():
        assert complaint_of(reference).status == "awaiting_feedback"


# --- asking for a review ------------------------------------------------------------------


def test_a_review_is_asked_within_the_appeal_window_and_reopens_the_case(app, client):
    reference, token = filed(client)
    early = client.post(
        f"{API}/tracking/review", json={"review_reason": "Too slow."}, headers=header(token)
    )
    assert early.status_code == 409
    refusal(early, "review_not_available")
    bring_to_survey(app, reference)
    client.post(f"{API}/tracking/survey", json={"score": 4}, headers=header(token))

    short = client.post(
        f"{API}/tracking/review", json={"review_reason": "No"}, headers=header(token)
    )
    assert short.status_code == 422
    assert list(refusal(short, "validation_failed")[1]) == ["review_reason"]

    response = client.post(
        f"{API}/tracking/review",
        json={"review_reason": "The refund never arrived."},
        headers=header(token),
    )
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["review_until"]) == ("review", None)
    with app.app_context():
        complaint = complaint_of(reference)
        assert complaint.reopen_count == 1 and complaint.appeal_requested_at is not None
        assert j.open_names(complaint) == ["review_case"]

    again = client.post(
        f"{API}/tracking/review", json={"review_reason": "Still waiting."}, headers=header(token)
    )
    assert again.status_code == 409
    message, _ = refusal(again, "review_not_available")
    assert "review cannot be asked" in message


def test_no_review_after_the_appeal_window(app, client):
    reference, token = filed(client)
    bring_to_survey(app, reference)
    with app.app_context():
        for days in (7.01, 21.02, 56.01):  # reminder, survey closed, appeal window over
            workflows.tick(utcnow() + timedelta(days=days))
            db.session.commit()
    assert client.get(f"{API}/tracking", headers=header(token)).json["review_until"] is None
    response = client.post(
        f"{API}/tracking/review", json={"review_reason": "Too late?"}, headers=header(token)
    )
    assert response.status_code == 409
    refusal(response, "review_not_available")
    with app.app_context():
        assert complaint_of(reference).reopen_count == 0


# --- a fresh link -------------------------------------------------------------------------


def test_resend_link_answers_the_same_and_sends_a_link_only_on_a_match(app, client, smtp_server):
    reference, _ = filed(client)
    answers = []
    for body in (
        {"reference": reference.lower(), "contact": " Aminata@Example.org "},
        {"reference": reference, "contact": "someone.else@example.org"},
        {"reference": "C-2026-999999", "contact": "aminata@example.org"},
    ):
        response = client.post(f"{API}/tracking/resend-link", json=body)
        answers.append((response.status_code, response.json))
    assert answers[0][0] == 202 and SAME_ANSWER in answers[0][1]["message"]
    assert answers == [answers[0]] * 3
    with app.app_context():
        [queued] = db.session.scalars(
            db.select(Notification).where(Notification.kind == "tracking_link")
        ).all()
        assert (queued.channel, queued.recipient) == ("email", "aminata@example.org")
        deliver_once(settings_for(app, smtp_server))
    mails = [m for m in smtp_server.messages if "aminata@example.org" in m["To"]]
    sent = next(m for m in mails if LINK.search(m.get_body(("plain",)).get_content()))
    token = LINK.search(sent.get_body(("plain",)).get_content()).group(1)
    response = client.get(f"{API}/tracking", headers=header(token))
    assert response.status_code == 200 and response.json["reference"] == reference


def test_resend_link_refuses_a_malformed_body_and_is_rate_limited(app, client):
    response = client.post(f"{API}/tracking/resend-link", json={"reference": "C-2026-000001"})
    assert response.status_code == 422
    assert list(refusal(response, "validation_failed")[1]) == ["contact"]
    app.config["RESEND_LINK_RATE_LIMIT"] = "2 per hour"
    body = {"reference": "C-2026-000001", "contact": "x@example.org"}
    codes = [client.post(f"{API}/tracking/resend-link", json=body).status_code for _ in range(3)]
    assert codes == [202, 202, 429]
    refusal(client.post(f"{API}/tracking/resend-link", json=body), "rate_limited")


def test_the_complainants_posts_share_the_public_forms_budget(app, client):
    # One budget per address for the tracking page's forms and these actions together.
    app.config["PUBLIC_POST_RATE_LIMIT"] = "3 per minute"
    _, token = filed(client)
    codes = [
        client.post(f"{API}/tracking/survey", json={"score": 4}, headers=header(token)).status_code
        for _ in range(2)
    ]
    assert codes == [409, 409]
    form = csrf_token(client, f"/track/{token}")
    page = client.post(f"/track/{token}/survey", data={"score": "4", "csrf_token": form})
    assert page.status_code == 409
    response = client.post(f"{API}/tracking/survey", json={"score": 4}, headers=header(token))
    assert response.status_code == 429
    refusal(response, "rate_limited")
    assert client.get(f"{API}/tracking", headers=header(token)).status_code == 200  # reading


# --- the document -------------------------------------------------------------------------


def test_the_document_describes_each_action_with_its_forms_schema_and_an_example(client):
    document = client.get(f"{API}/openapi.json").json
    paths, schemas = document["paths"], document["components"]["schemas"]
    assert paths["/tracking/{token}"]["get"]["deprecated"] is True
    for path, form in (
        ("/tracking/information", InformationReplyForm),
        ("/tracking/survey", SurveyForm),
        ("/tracking/review", ReviewRequestForm),
        ("/tracking/resend-link", ResendLinkForm),
    ):
        operation = paths[path]["post"]
        content = operation["requestBody"]["content"]["application/json"]
        assert schemas[content["schema"]["$ref"].rsplit("/", 1)[1]] == form.json_schema()
        assert content["example"]
        parameters = [p["name"] for p in operation.get("parameters", []) if "name" in p]
        assert parameters == ([] if path.endswith("resend-link") else ["X-Tracking-Token"])
        answered = "202" if path.endswith("resend-link") else "200"
        assert operation["responses"][answered]["content"]["application/json"]["example"]
    conflicts = {
        path: paths[path]["post"]["responses"]["409"]["description"]
        for path in ("/tracking/information", "/tracking/survey", "/tracking/review")
    }
    assert "not_waiting_for_information" in conflicts["/tracking/information"]
    assert "survey_not_open" in conflicts["/tracking/survey"]
    assert "review_not_available" in conflicts["/tracking/review"]
    upload = paths["/tracking/information"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
