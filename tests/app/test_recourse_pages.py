"""The tracking page's review request and withdrawal, and the staff "reopen" button."""

from __future__ import annotations

import html
import re

from services import notifications, tracking
from services.db import db
from services.models import Complaint
from tests import journeys as j
from tests.app.helpers import login, post_form
from tests.app.test_public import bring_to_survey, complaint_of, file_online


def test_complainant_asks_for_a_review_from_the_tracking_page(app, client):
    path = file_online(client)
    bring_to_survey(app, path)
    page = client.get(path).get_data(as_text=True)
    assert 'id="review"' in page and "You can ask for a review until" in page
    assert 'id="withdraw"' not in page  # only confidential cases are withdrawn by message
    response = post_form(client, f"{path}/review", {"review_reason": ""}, form_url=path)
    assert response.status_code == 422
    assert "Say what you disagree with." in response.get_data(as_text=True)
    response = post_form(
        client, f"{path}/review", {"review_reason": "The refund never came."}, form_url=path
    )
    assert response.status_code == 302
    with app.app_context():
        complaint = complaint_of(path)
        assert complaint.status == "review" and complaint.reopen_count == 1
        assert j.open_names(complaint) == ["review_case"]
    page = client.get(path).get_data(as_text=True)
    assert "someone who did not handle your complaint is reviewing it" in page
    assert "You asked for a review" in page


def test_complainant_withdraws_a_sensitive_complaint(app, client):
    path = file_online(client, sensitive_at_intake="y")
    with app.app_context():
        assert j.open_names(complaint_of(path)) == ["record_consent"]
    page = client.get(path).get_data(as_text=True)
    assert 'id="withdraw"' in page
    response = post_form(
        client, f"{path}/withdraw", {"withdrawal_reason": "Not now."}, form_url=path
    )
    assert response.status_code == 302
    with app.app_context():
        complaint = complaint_of(path)
        assert complaint.outcome == "closed_withdrawn" and complaint.withdrawn_at
    assert "You withdrew your complaint" in client.get(path).get_data(as_text=True)


def test_manager_reopens_a_closed_case_from_the_complaint_page(app, client):
    with app.app_context():
        complaint = j.to_survey()
        tracking.answer_survey(j.refreshed(complaint), 3, "")
        db.session.commit()
        complaint_id = complaint.id
    login(client, "supervisor")
    page = client.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    assert "Reopen the case" not in page
    login(client, "manager")
    url = f"/complaints/{complaint_id}"
    assert "Reopen the case" in client.get(url).get_data(as_text=True)
    response = post_form(client, f"{url}/reopen", {"reason": "New evidence."}, form_url=url)
    assert response.status_code == 302
    with app.app_context():
        complaint = db.session.get(Complaint, complaint_id)
        assert complaint.reopen_count == 1
        assert j.open_names(complaint) == ["review_case"]
    page = client.get(url).get_data(as_text=True)
    assert "Case reopened" in page and "Reopened 1 time" in page


def test_the_tracking_page_and_the_letter_write_the_review_date_alike(app, client):
    """The page said "until January 2, 2027" (Babel's American order) where the letter said
    "until 2 January 2027": both now write the day first."""
    path = file_online(client)
    bring_to_survey(app, path)
    page = html.unescape(client.get(path).get_data(as_text=True))
    day = re.search(r"You can ask for a review until (.+?)\. ", page).group(1)
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}", day), day
    with app.app_context():
        [letter] = [
            n
            for n in notifications.for_complaint(complaint_of(path).id)
            if n.kind == "response_letter"
        ]
    assert f"from your tracking page until {day}:" in letter.body
