"""The staff inbox: what each role sees, scopes, filters, paging, claiming, saved filters."""

from __future__ import annotations

import re
from datetime import timedelta

from services import tasks, users, workflows
from services.clock import as_utc, utcnow
from services.db import db
from services.models import SavedFilter, Task
from tests import journeys as j
from tests.app.helpers import login, post_form
from tests.conftest import DEMO_PASSWORD

ROW_REFERENCE = re.compile(r'/complaints/\d+">(C-\d{4}-\d{6})</a>')


def listed(response) -> list[str]:
    """The complaint references in the page's table rows."""
    return ROW_REFERENCE.findall(response.get_data(as_text=True))


def tab_count(response, label: str) -> int:
    """The number shown on an inbox tab."""
    match = re.search(
        rf'{re.escape(label)}\s*<span class="badge">(\d+)</span>', response.get_data(as_text=True)
    )
    assert match, f"no tab {label}"
    return int(match.group(1))


def add_second_supervisor() -> None:
    users.create_user("supervisor2", "Sandra Second", DEMO_PASSWORD, ["supervisor"])
    db.session.commit()


def test_supervisor_sees_classification_task_but_not_registration_task(app, client):
    with app.app_context():
        waiting = j.to_classification().reference
        fresh = j.file().reference
    login(client, "supervisor")
    page = client.get("/inbox")
    assert page.status_code == 200
    assert listed(page) == [waiting]
    html = page.get_data(as_text=True)
    assert "Classify complaint" in html and "Register complaint" not in html
    assert fresh not in html


def test_inbox_row_shows_complaint_details_and_links_to_the_task(app, client):
    with app.app_context():
        complaint = j.to_classification(complainant_name="Zoé Martin", channel="web")
        task_id = j.open_task(complaint, "classify_complaint").id
    login(client, "supervisor")
    html = client.get("/inbox").get_data(as_text=True)
    assert f'href="/tasks/{task_id}"' in html
    assert "Zoé Martin" in html
    assert "Supervisor" in html  # the role, in words
    assert "Web form" in html
    assert "Being analysed" in html


def test_anonymous_complainant_has_no_name_in_the_inbox(app, client):
    with app.app_context():
        j.to_classification(anonymous=True, preferred_contact="none")
    login(client, "supervisor")
    html = client.get("/inbox").get_data(as_text=True)
    assert "Anonymous" in html and "Aminata Diallo" not in html


def test_signed_in_staff_land_on_their_inbox(client):
    login(client, "agent")
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/inbox"


def test_inbox_says_so_when_there_is_nothing_to_do(client):
    login(client, "counsel")
    html = client.get("/inbox").get_data(as_text=True)
    assert "No tasks here." in html


def test_scopes_separate_my_tasks_from_the_unassigned_ones(app, client):
    with app.app_context():
        mine = j.to_classification()
        free = j.to_classification()
        tasks.claim(j.user("supervisor"), j.open_task(mine, "classify_complaint").id)
        db.session.commit()
        mine, free = mine.reference, free.reference
    login(client, "supervisor")
    assert listed(client.get("/inbox?scope=mine")) == [mine]
    assert listed(client.get("/inbox?scope=unassigned")) == [free]
    everything = client.get("/inbox?scope=roles")
    assert sorted(listed(everything)) == sorted([mine, free])
    assert tab_count(everything, "Assigned to me") == 1
    assert tab_count(everything, "Unassigned") == 1
    assert tab_count(everything, "My roles") == 2


def test_supervisor_claims_a_task_and_goes_back_to_the_page_they_were_on(app, client):
    with app.app_context():
        complaint = j.to_classification()
        task_id = j.open_task(complaint, "classify_complaint").id
    login(client, "supervisor")
    response = post_form(
        client, f"/inbox/tasks/{task_id}/claim", {"next": "/inbox?scope=mine"}, form_url="/inbox"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/inbox?scope=mine"
    assert "You have claimed" in client.get("/inbox?scope=mine").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Task, task_id).assignee.username == "supervisor"


def test_claim_ignores_a_next_address_on_another_site(app, client):
    with app.app_context():
        task_id = j.open_task(j.to_classification(), "classify_complaint").id
    login(client, "supervisor")
    response = post_form(
        client, f"/inbox/tasks/{task_id}/claim", {"next": "//evil.example/"}, form_url="/inbox"
    )
    assert response.headers["Location"] == "/inbox"


def test_claimed_task_disappears_from_other_supervisors_unassigned_list(app, client):
    with app.app_context():
        add_second_supervisor()
        complaint = j.to_classification()
        task_id, reference = j.open_task(complaint, "classify_complaint").id, complaint.reference
    other = app.test_client()
    login(other, "supervisor2")
    assert listed(other.get("/inbox?scope=unassigned")) == [reference]
    login(client, "supervisor")
    post_form(client, f"/inbox/tasks/{task_id}/claim", {}, form_url="/inbox")
    assert listed(other.get("/inbox?scope=unassigned")) == []
    assert listed(other.get("/inbox?scope=roles")) == []
    assert tab_count(other.get("/inbox"), "Unassigned") == 0


def test_claiming_a_task_someone_else_took_says_who_has_it(app, client):
    with app.app_context():
        add_second_supervisor()
        task_id = j.open_task(j.to_classification(), "classify_complaint").id
        tasks.claim(j.user("supervisor2"), task_id)
        db.session.commit()
    login(client, "supervisor")
    response = post_form(client, f"/inbox/tasks/{task_id}/claim", {}, form_url="/inbox")
    assert response.status_code == 302
    html = client.get("/inbox").get_data(as_text=True)
    assert "could not be claimed" in html and "Sandra Second has claimed it." in html
    with app.app_context():
        assert db.session.get(Task, task_id).assignee.username == "supervisor2"


def test_supervisor_releases_a_claimed_task(app, client):
    with app.app_context():
        task_id = j.open_task(j.to_classification(), "classify_complaint").id
        tasks.claim(j.user("supervisor"), task_id)
        db.session.commit()
    login(client, "supervisor")
    response = post_form(client, f"/inbox/tasks/{task_id}/unclaim", {}, form_url="/inbox")
    assert response.status_code == 302
    assert "is back in the queue" in client.get("/inbox").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Task, task_id).assignee_id is None


def test_nobody_else_may_release_a_supervisors_task(app, client):
    with app.app_context():
        add_second_supervisor()
        task_id = j.open_task(j.to_classification(), "classify_complaint").id
        tasks.claim(j.user("supervisor"), task_id)
        db.session.commit()
    login(client, "supervisor2")
    response = post_form(client, f"/inbox/tasks/{task_id}/unclaim", {}, form_url="/inbox")
    assert response.status_code == 403


def test_manager_reassigns_a_task_to_another_supervisor(app, client):
    with app.app_context():
        add_second_supervisor()
        complaint = j.to_classification()
        task_id, complaint_id = j.open_task(complaint, "classify_complaint").id, complaint.id
    login(client, "manager")
    detail = client.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    assert f"/inbox/tasks/{task_id}/reassign" in detail
    form = client.get(f"/inbox/tasks/{task_id}/reassign")
    assert form.status_code == 200
    offered = re.findall(r'<option[^>]*value="\d+">([^<]+)</option>', form.get_data(as_text=True))
    assert offered == ["Samuel Supervisor", "Sandra Second"]  # not the manager: not a supervisor
    with app.app_context():
        second = users.by_username("supervisor2").id
    url = f"/inbox/tasks/{task_id}/reassign"
    response = post_form(client, url, {"assignee": second, "next": f"/complaints/{complaint_id}"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/complaints/{complaint_id}"
    assert "is now assigned to Sandra Second" in client.get(f"/complaints/{complaint_id}").text
    with app.app_context():
        assert db.session.get(Task, task_id).assignee.username == "supervisor2"
    other = app.test_client()
    login(other, "supervisor2")
    assert listed(other.get("/inbox?scope=mine")) != []


def test_reassigning_to_someone_without_the_role_is_refused(app, client):
    with app.app_context():
        task_id = j.open_task(j.to_classification(), "classify_complaint").id
        agent = j.user("agent").id
    login(client, "manager")
    response = post_form(client, f"/inbox/tasks/{task_id}/reassign", {"assignee": agent})
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Task, task_id).assignee_id is None


def test_only_a_manager_may_reassign(app, client):
    with app.app_context():
        task_id = j.open_task(j.to_classification(), "classify_complaint").id
        supervisor = j.user("supervisor").id
    login(client, "supervisor")
    url = f"/inbox/tasks/{task_id}/reassign"
    assert client.get(url).status_code == 403
    response = post_form(client, url, {"assignee": supervisor}, form_url="/inbox")
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Task, task_id).assignee_id is None


def test_confidential_task_can_only_go_to_a_focal_point(app_context):
    complaint = j.to_classification()
    j.complete(complaint, "classify_complaint", category="gender_based_violence")
    users.create_user("focal3", "Fanta Focal", DEMO_PASSWORD, ["confidential_focal_point"])
    users.create_user("sup3", "Sam Third", DEMO_PASSWORD, ["supervisor", "manager"])
    db.session.commit()
    task = j.open_task(complaint, "record_consent")
    # focal2 is the demo's second focal point (four eyes), sorted by name.
    assert [u.username for u in tasks.candidates(task)] == ["focal3", "focal2", "focal"]


def test_overdue_task_carries_an_overdue_badge(app, client):
    with app.app_context():
        complaint = j.file()
        task_id = j.open_task(complaint, "register_complaint").id
    login(client, "agent")
    assert "Overdue" not in client.get("/inbox").get_data(as_text=True)
    with app.app_context():
        # Timers run on the wall clock: put the due time behind us, as two days later.
        db.session.get(Task, task_id).due_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    assert "badge-overdue" in client.get("/inbox").get_data(as_text=True)


def test_task_stays_overdue_after_its_time_limit_escalates_to_the_manager(app, client):
    with app.app_context():
        complaint = j.file()
        task = j.open_task(complaint, "register_complaint")
        task_id, due, reference = task.id, task.due_at, complaint.reference
        # The acknowledgement's clock: two working days (the review comes at its due time).
        workflows.tick(as_utc(due) + timedelta(minutes=1))
        db.session.commit()
        task = db.session.get(Task, task_id)
        assert task.due_at == due
        assert tasks.due_badge(task) is None  # the wall clock has not moved
    login(client, "manager")
    page = client.get("/inbox")
    assert listed(page) == [reference]
    assert "Review overdue acknowledgement" in page.get_data(as_text=True)


def test_inbox_filters_by_category_and_severity(app, client):
    with app.app_context():
        billing = j.to_classification()
        j.complete(billing, "classify_complaint", category="billing")
        quality = j.to_classification()
        j.complete(quality, "classify_complaint")
        billing, quality = billing.reference, quality.reference
    login(client, "supervisor")
    assert listed(client.get("/inbox?category=billing")) == [billing]
    assert listed(client.get("/inbox?category=product_quality&severity=low")) == [quality]
    assert listed(client.get("/inbox?category=billing&severity=high")) == []


def test_inbox_searches_by_reference_and_by_name(app, client):
    with app.app_context():
        zoe = j.to_classification(complainant_name="Zoé Martin").reference
        other = j.to_classification(complainant_name="Omar Ba").reference
    login(client, "supervisor")
    assert listed(client.get(f"/inbox?search={zoe.lower()}")) == [zoe]
    assert listed(client.get("/inbox?search=martin")) == [zoe]
    assert listed(client.get("/inbox?search=omar")) == [other]
    assert listed(client.get("/inbox?search=nobody")) == []


def test_an_unknown_filter_value_is_reported_and_ignored(app, client):
    with app.app_context():
        reference = j.to_classification().reference
    login(client, "supervisor")
    response = client.get("/inbox?category=weather")
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert listed(response) == [reference]


def test_inbox_pages_through_many_tasks(app, client):
    with app.app_context():
        for _ in range(30):
            j.file()
    login(client, "agent")
    first = client.get("/inbox?sort=oldest")
    html = first.get_data(as_text=True)
    assert "30 tasks" in html
    assert len(listed(first)) == 25
    assert 'href="/inbox?scope=roles&amp;sort=oldest&amp;page=2"' in html
    second = client.get("/inbox?scope=roles&sort=oldest&page=2")
    assert len(listed(second)) == 5
    assert set(listed(first)).isdisjoint(listed(second))
    # Newest first is the same 30 tasks the other way round, pages included.
    newest = listed(client.get("/inbox?scope=roles&sort=newest")) + listed(
        client.get("/inbox?scope=roles&sort=newest&page=2")
    )
    assert newest == list(reversed(listed(first) + listed(second)))


def test_supervisor_saves_the_current_filters_and_finds_them_again(app, client):
    with app.app_context():
        billing = j.to_classification()
        j.complete(billing, "classify_complaint", category="billing")
        j.to_minor_resolution()
        billing = billing.reference
    login(client, "supervisor")
    response = post_form(
        client,
        "/inbox/filters",
        {"name": "Billing", "category": "billing", "scope": "roles"},
        form_url="/inbox?category=billing",
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert listed(page) == [billing]
    html = page.get_data(as_text=True)
    assert "Filter “Billing” saved." in html
    assert re.search(r'<a href="/inbox\?[^"]*category=billing[^"]*">Billing</a>', html)


def test_saving_a_filter_without_a_name_keeps_the_filters(client):
    login(client, "supervisor")
    response = post_form(client, "/inbox/filters", {"name": "", "channel": "phone"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Give the filter a name." in html
    assert '<option selected value="phone">' in html


def test_saved_filters_are_private_to_their_owner(app, client):
    with app.app_context():
        from services import saved_filters

        saved = saved_filters.save(j.user("supervisor"), "Phone calls", {"channel": "phone"})
        db.session.commit()
        filter_id = saved.id
    login(client, "manager")
    assert "Phone calls" not in client.get("/inbox").get_data(as_text=True)
    response = post_form(client, f"/inbox/filters/{filter_id}/delete", {}, form_url="/inbox")
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(SavedFilter, filter_id) is not None
    owner = app.test_client()
    login(owner, "supervisor")
    assert "Phone calls" in owner.get("/inbox").get_data(as_text=True)
    response = post_form(owner, f"/inbox/filters/{filter_id}/delete", {}, form_url="/inbox")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(SavedFilter, filter_id) is None
