"""Staff read what was sent to a complainant, but never the token of its tracking link: that
token opens the complainant's tracking page and answers in their name. The API, the case file
and the printable message show the link as /track/…; the message itself keeps it."""

from __future__ import annotations

import re

from services.db import db
from services.models import Notification
from tests import journeys
from tests.app.api_helpers import API, bearer, issue_token
from tests.app.helpers import login

LINK = re.compile(r"http://localhost:5000/track/([\w-]+)")
HIDDEN = "http://localhost:5000/track/…"


def _information_requested(app, **intake: object) -> tuple[int, int, str]:
    """A complaint whose registration asked for more information, the request written with
    its link: the complaint's id, the request's id and the token the complainant was sent."""
    with app.app_context():
        complaint = journeys.to_information_request(**intake)
        request = db.session.scalar(
            db.select(Notification).where(
                Notification.complaint_id == complaint.id,
                Notification.kind == "information_request",
            )
        )
        found = LINK.search(request.body)
        assert found is not None, request.body
        return complaint.id, request.id, found.group(1)


def _stored_bodies(app, complaint_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                db.select(Notification.body).where(Notification.complaint_id == complaint_id)
            )
        )


def test_the_api_shows_staff_each_message_without_its_tracking_token(app, client, runner):
    complaint_id, _, token = _information_requested(app)
    analyst = bearer(issue_token(runner, "analyst"))
    response = client.get(f"{API}/complaints/{complaint_id}", headers=analyst)
    assert response.status_code == 200, response.json
    assert token not in response.get_data(as_text=True)
    bodies = {n["kind"]: n["body"] for n in response.json["notifications"]}
    assert HIDDEN in bodies["information_request"]
    assert "A photo of the parcel" in bodies["information_request"]
    assert not any(LINK.search(body.replace(HIDDEN, "")) for body in bodies.values())
    # The message as sent keeps its link, and the link still works for the complainant.
    assert any(token in body for body in _stored_bodies(app, complaint_id))
    mine = {"X-Tracking-Token": token}
    assert client.get(f"{API}/tracking", headers=mine).json["awaiting_information"] is True
    answer = client.post(
        f"{API}/tracking/information", json={"information_reply": "Here it is."}, headers=mine
    )
    assert answer.status_code == 200, answer.json


def test_the_case_file_shows_staff_each_message_without_its_tracking_token(app, client):
    complaint_id, _, token = _information_requested(app)
    login(client, "analyst")
    page = client.get(f"/complaints/{complaint_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "A photo of the parcel" in html
    assert token not in html
    assert HIDDEN in html
    assert not LINK.search(html.replace(HIDDEN, ""))
    assert any(token in body for body in _stored_bodies(app, complaint_id))


def test_the_printable_page_keeps_the_link_of_a_letter_to_post_only(app, client):
    _, emailed, token = _information_requested(app)
    login(client, "manager")
    html = client.get(f"/outbox/{emailed}/letter").get_data(as_text=True)
    assert "A photo of the parcel" in html and HIDDEN in html
    assert token not in html
    # A letter to post is printed for the complainant: the link is theirs to use.
    _, posted, posted_token = _information_requested(app, preferred_contact="letter")
    html = client.get(f"/outbox/{posted}/letter").get_data(as_text=True)
    assert f"http://localhost:5000/track/{posted_token}" in html
