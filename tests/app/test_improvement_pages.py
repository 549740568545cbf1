"""The /improvement pages: a manager marks a cluster systemic and opens actions; analysts and
senior management read; an action's owner updates it; everyone else gets 403. CSRF stays on."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from services import business_calendar, improvement, recurring
from services.db import db
from services.models import (
    AuditEvent,
    Complaint,
    ImprovementAction,
    RecurringSnapshot,
    SystemicIssue,
)
from tests import journeys as j
from tests.app.helpers import login, post_form


def two_alike(app):
    """Two complaints from the same person about the same product, today."""
    with app.app_context():
        first, second = j.file(), j.file()
        return first.id, first.reference, second.id, second.reference


def contact_key(page: str) -> str:
    match = re.search(r'data-kind="contact" data-key="([^"]+)"', page)
    assert match, page[:2000]
    return match.group(1)


def open_action(app, *, due: date, owner: str = "supervisor") -> int:
    with app.app_context():
        action = improvement.open_action(
            j.user("manager"), title="Retrain the depot", owner_id=j.user(owner).id, due_date=due
        )
        db.session.commit()
        return action.id


def test_a_manager_marks_a_cluster_systemic_and_opens_an_action_from_it(app, client):
    first_id, first_ref, second_id, second_ref = two_alike(app)
    login(client, "manager")
    page = client.get("/improvement").get_data(as_text=True)
    assert "Complaints that look alike" in page and first_ref in page and second_ref in page
    key = contact_key(page)

    cluster_url = f"/improvement/clusters/contact/{key}"
    page = client.get(cluster_url).get_data(as_text=True)
    assert "aminata@example.org" in page and "Mark as a systemic issue" in page
    response = post_form(
        client,
        "/improvement/issues",
        {"kind": "contact", "key": key, "title": "Repeat caller", "description": "Twice."},
        form_url=cluster_url,
    )
    assert response.status_code == 302
    issue_url = response.headers["Location"]
    page = client.get(issue_url).get_data(as_text=True)
    assert "Repeat caller" in page and first_ref in page and second_ref in page
    with app.app_context():
        issue = db.session.scalar(db.select(SystemicIssue))
        assert (issue.cluster_kind, issue.cluster_key) == ("contact", key)
        issue_id = issue.id
    # The cluster now points at its issue and offers no second one.
    page = client.get(cluster_url).get_data(as_text=True)
    assert f"/improvement/issues/{issue_id}" in page and "Mark as a systemic issue" not in page

    new_url = f"/improvement/actions/new?issue={issue_id}"
    page = client.get(new_url).get_data(as_text=True)
    assert f"{first_ref} {second_ref}" in page or f"{second_ref} {first_ref}" in page
    with app.app_context():
        owner = j.user("supervisor").id
    due = (business_calendar.local_today() + timedelta(days=30)).isoformat()
    response = post_form(
        client,
        "/improvement/actions/new",
        {
            "issue": str(issue_id),
            "title": "Call back repeat callers",
            "owner": str(owner),
            "due_date": due,
            "references": f"{first_ref}, {second_ref}",
        },
        form_url=new_url,
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Call back repeat callers" in page and "Samuel Supervisor" in page
    listed = client.get("/improvement/actions").get_data(as_text=True)
    assert "Call back repeat callers" in listed
    with app.app_context():
        action = db.session.scalar(db.select(ImprovementAction))
        assert action.systemic_issue_id == issue_id
        assert {c.id for c in action.complaints} == {first_id, second_id}
    # The complaint's page lists both and its history says it.
    page = client.get(f"/complaints/{first_id}").get_data(as_text=True)
    assert "Call back repeat callers" in page and "Repeat caller" in page
    assert "Linked to an improvement action" in page and "Linked to a systemic issue" in page


def test_a_manager_opens_an_action_from_a_complaint_page(app, client):
    first_id, first_ref, _second_id, _second_ref = two_alike(app)
    login(client, "manager")
    page = client.get(f"/complaints/{first_id}").get_data(as_text=True)
    assert f"/improvement/actions/new?complaint={first_id}" in page
    url = f"/improvement/actions/new?complaint={first_id}"
    page = client.get(url).get_data(as_text=True)
    assert f"From complaint {first_ref}" in page
    with app.app_context():
        owner = j.user("investigator").id
    response = post_form(
        client,
        "/improvement/actions/new",
        {
            "complaint": str(first_id),
            "title": "Fix the form",
            "owner": str(owner),
            "due_date": "2027-01-15",
            "references": first_ref,
        },
        form_url=url,
    )
    assert response.status_code == 302


def test_an_invalid_action_is_refused_with_an_error_summary(app, client):
    login(client, "manager")
    url = "/improvement/actions/new"
    response = post_form(
        client,
        url,
        {"title": "", "owner": "", "due_date": "soon", "references": "C-1999-000001"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page
    assert "Say what is to be done." in page and "Choose who carries out the action." in page
    assert 'href="#due_date"' in page
    with app.app_context():
        owner = j.user("manager").id
    response = post_form(
        client,
        url,
        {"title": "x", "owner": str(owner), "due_date": "2027-01-01", "references": "C-1999-1"},
    )
    assert response.status_code == 422
    assert "No complaint you may see has the reference C-1999-1." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ImprovementAction.id))) == 0


def test_a_bad_period_is_refused_on_the_page(client):
    login(client, "analyst")
    response = client.get("/improvement?start=2026-11-05&end=2026-11-01")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "error-summary" in page and "The period must end on or after its first day." in page
    assert client.get("/improvement?start=2020-01-01&end=2026-11-01").status_code == 422
    response = client.get("/improvement?start=0001-01-01&end=0001-01-02")
    assert response.status_code == 422
    assert "between 1900 and 2999" in response.get_data(as_text=True)
    assert client.get("/improvement/clusters/product/x?start=0001-01-01").status_code == 404


@pytest.mark.parametrize("username", ["analyst", "senior"])
def test_analysts_and_senior_management_read_but_do_not_change(app, client, username):
    action_id = open_action(app, due=date(2030, 1, 1))
    login(client, username)
    page = client.get("/improvement").get_data(as_text=True)
    assert "Recurring problems and improvement" in page
    assert "Open an improvement action" not in page
    assert client.get(f"/improvement/actions/{action_id}").status_code == 200
    assert client.get("/improvement/actions/new").status_code == 403
    response = post_form(
        client,
        f"/improvement/actions/{action_id}",
        {"status": "done", "outcome": "x"},
        form_url="/improvement",
    )
    assert response.status_code == 403


@pytest.mark.parametrize("username", ["agent", "investigator", "admin", "owner"])
def test_other_staff_get_403(app, client, username):
    action_id = open_action(app, due=date(2030, 1, 1))
    login(client, username)
    for url in ("/improvement", "/improvement/actions", f"/improvement/actions/{action_id}"):
        assert client.get(url).status_code == 403, url
    assert "/improvement" not in client.get("/account").get_data(as_text=True).split("<main")[0]


def test_the_owner_records_progress_and_sees_only_their_actions(app, client):
    action_id = open_action(app, due=date(2030, 1, 1))
    other_id = open_action(app, due=date(2030, 1, 1), owner="counsel")
    login(client, "supervisor")
    assert client.get("/improvement").status_code == 403
    listed = client.get("/improvement/actions").get_data(as_text=True)
    assert f'data-action="{action_id}"' in listed and f'data-action="{other_id}"' not in listed
    assert client.get(f"/improvement/actions/{other_id}").status_code == 403
    url = f"/improvement/actions/{action_id}"
    response = post_form(client, url, {"status": "done", "outcome": ""})
    assert response.status_code == 422
    assert "Say what was done before marking the action done." in response.get_data(as_text=True)
    response = post_form(client, url, {"status": "done", "outcome": "Depot staff trained."})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Depot staff trained." in page and "Done" in page
    # The owner does not re-plan the action.
    response = post_form(
        client, f"{url}/plan", {"owner": "1", "due_date": "2031-01-01"}, form_url=url
    )
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(ImprovementAction, action_id).status == "done"
        kinds = [
            e.kind
            for e in db.session.scalars(
                db.select(AuditEvent).where(AuditEvent.complaint_id.is_(None))
            )
        ]
        assert "improvement_action_updated" in kinds


def test_overdue_actions_are_counted_and_filtered(app, client):
    today = business_calendar.local_today()
    late = open_action(app, due=today - timedelta(days=1))
    open_action(app, due=today + timedelta(days=1))
    login(client, "manager")
    page = client.get("/improvement").get_data(as_text=True)
    summary = re.search(r'id="action-summary">(.*?)</p>', page, re.S).group(1)
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", summary)).split() == [
        "Open", "actions", "2", "·", "Overdue", "1",
    ]  # fmt: skip
    listed = client.get("/improvement/actions?overdue=y").get_data(as_text=True)
    assert f'data-action="{late}"' in listed and listed.count("data-action=") == 1


def test_a_manager_changes_the_issue_status_and_links_more_complaints(app, client):
    first_id, first_ref, second_id, second_ref = two_alike(app)
    with app.app_context():
        issue = improvement.open_issue(j.user("manager"), title="Seals", complaint_ids=[first_id])
        db.session.commit()
        issue_id = issue.id
    login(client, "manager")
    url = f"/improvement/issues/{issue_id}"
    response = post_form(client, f"{url}/status", {"status": "monitoring"}, form_url=url)
    assert response.status_code == 302
    response = post_form(client, f"{url}/complaints", {"references": "C-NOPE"}, form_url=url)
    assert response.status_code == 422
    response = post_form(client, f"{url}/complaints", {"references": second_ref}, form_url=url)
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Monitoring" in page and second_ref in page
    assert "Status: Open → Monitoring" in page


def test_a_cluster_that_does_not_exist_is_a_404(client):
    login(client, "manager")
    assert client.get("/improvement/clusters/contact/cnothing").status_code == 404
    assert client.get("/improvement/clusters/colour/red").status_code == 404
    assert client.get("/improvement/issues/999").status_code == 404
    assert client.get("/improvement/actions/999").status_code == 404
    for query in ("issue=99999999999", "complaint=x", "issue=999", "complaint=99999999999"):
        assert client.get(f"/improvement/actions/new?{query}").status_code == 404, query


def test_a_value_only_confidential_complaints_have_is_no_cluster_without_clearance(app, client):
    """A page of zeros under the product's own words told an analyst that a confidential
    complaint names it, and how: it is a 404, as a value no complaint has."""
    with app.app_context():
        j.file(product_service="Zorblax Depot", sensitive_at_intake=True)
        j.file(product_service="Washing Machine wm-300")
        j.file(product_service="WASHING machine WM-300", sensitive_at_intake=True)
    login(client, "analyst")
    assert client.get("/improvement/clusters/product/zorblax%20depot").status_code == 404
    assert client.get("/improvement/clusters/product/nothing%20like%20it").status_code == 404
    # A value others have too is named as they wrote it, never as the confidential one did.
    page = client.get("/improvement/clusters/product/washing%20machine%20wm-300")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Washing Machine wm-300" in text and "WASHING machine" not in text
    with app.app_context():
        assert recurring.cluster(j.user("manager"), "product", "washing machine wm-300").now == 1
        user = j.user("manager")
        user.confidential_clearance = True
        db.session.commit()
        cleared = recurring.cluster(user, "product", "zorblax depot")
        assert (cleared.now, cleared.label) == (1, "Zorblax Depot")


def test_the_complaint_page_shows_the_panel_to_report_readers_only(app, client):
    first_id, _first_ref, _second_id, _second_ref = two_alike(app)
    with app.app_context():
        improvement.open_issue(j.user("manager"), title="Seals", complaint_ids=[first_id])
        db.session.commit()
    login(client, "supervisor")
    page = client.get(f"/complaints/{first_id}").get_data(as_text=True)
    assert 'id="improvement"' not in page
    client = app.test_client()
    login(client, "analyst")
    page = client.get(f"/complaints/{first_id}").get_data(as_text=True)
    assert "Systemic issue #1: Seals" in page
    assert "/improvement/actions/new?complaint=" not in page  # analysts read only


def test_the_page_shows_the_same_problems_when_the_timer_process_computed_them(app, client):
    _first_id, first_ref, _second_id, second_ref = two_alike(app)
    login(client, "manager")
    computed = client.get("/improvement").get_data(as_text=True)
    assert first_ref in computed and second_ref in computed
    with app.app_context():
        recurring.forget()
        assert recurring.precompute() >= 1
        db.session.commit()
        # A change that files no complaint is not in the snapshot: the page read it.
        for complaint in db.session.scalars(db.select(Complaint)):
            complaint.email, complaint.phone = f"p{complaint.id}@example.org", ""
        db.session.commit()
        recurring.forget()
    ahead = client.get("/improvement").get_data(as_text=True)
    assert contact_key(ahead) == contact_key(computed)
    assert first_ref in ahead and second_ref in ahead
    with app.app_context():
        recurring.forget()
        db.session.execute(db.delete(RecurringSnapshot))
        db.session.commit()
    assert 'data-kind="contact"' not in client.get("/improvement").get_data(as_text=True)
