"""Pages link to a task, or to a role's page, only when the reader may open it.

A task page answers 404 to whoever may not see the task (services/permissions.can_view_task),
and the procedure's pages 403 to all but process owners: the pages that list other roles'
tasks (the service-level view, a complaint's open tasks and staff documents, a manager's
"all open tasks") show such a task's title as plain text, and the administration's pages
offer the way to the procedure only to an administrator who is also its owner.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from services import roles, users
from services.db import db
from tests import journeys as j
from tests import samples
from tests.app.helpers import csrf_token, login
from tests.conftest import DEMO_PASSWORD

PARIS = ZoneInfo("Europe/Paris")
TASK_LINK = re.compile(r'href="/tasks/([^"/?#]+)"')
# The roles that read complaints without working their intake (the complaint page's readers).
READERS = ["analyst", "admin", "counsel", "police", "senior", "focal"]


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    with time_machine.travel(moment, tick=False):
        yield


def task_links(html: str) -> set[str]:
    """The tasks a page links to."""
    return set(TASK_LINK.findall(html))


def section(html: str, start: str, end: str) -> str:
    begin = html.index(start)
    return html[begin : html.index(end, begin)]


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def assert_links_open(client: FlaskClient, html: str) -> None:
    """Every task the page links to answers 200 to the same reader."""
    for task_id in task_links(html):
        assert client.get(f"/tasks/{task_id}").status_code == 200, task_id


# ---------------------------------------------------------------------------------------------
# The managers' service-level view
# ---------------------------------------------------------------------------------------------


def test_service_levels_link_only_the_tasks_the_manager_may_open(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context(), at(datetime(2026, 12, 7, 10, tzinfo=PARIS)):
        registering = j.file()  # the intake agent's registration, not the manager's
        register = j.open_task(registering, "register_complaint")
        register_id, register_title = register.id, register.title
        signing = j.to_minor_resolution()
        j.complete(signing, "resolve_minor")
        sign_off_id = j.open_task(signing, "sign_off_minor").id
    # The next Monday: both service levels are long breached.
    with at(datetime(2026, 12, 14, 12, tzinfo=PARIS)):
        login(client, "manager")
        response = client.get("/service-levels")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        row = section(html, f'<tr data-task="{register_id}">', "</tr>")
        assert register_title in text(row)  # still listed, its title in words
        assert register_id not in task_links(html)
        # A task page is for working on it: 403 for a manager without its role (it exists
        # for them: the API reads it to them).
        assert client.get(f"/tasks/{register_id}").status_code == 403
        assert sign_off_id in task_links(html)
        assert_links_open(client, html)


# ---------------------------------------------------------------------------------------------
# A complaint's page: its open tasks and its staff documents
# ---------------------------------------------------------------------------------------------


def _registering(app: Flask) -> tuple[int, str, str]:
    with app.app_context():
        complaint = j.file()
        task = j.open_task(complaint, "register_complaint")
        return complaint.id, task.id, task.title


@pytest.mark.parametrize("username", READERS)
def test_a_complaints_open_tasks_link_only_for_those_who_may_open_them(
    app: Flask, client: FlaskClient, username: str
) -> None:
    complaint_id, task_id, title = _registering(app)
    login(client, username)
    html = client.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    tasks = section(html, "<h2>Open tasks</h2>", "</section>")
    assert title in text(tasks)  # what waits, and for whom, still shows
    assert task_links(html) == set()
    assert client.get(f"/tasks/{task_id}").status_code == 404


def test_the_agent_follows_the_registration_from_the_complaint_page(
    app: Flask, client: FlaskClient
) -> None:
    complaint_id, task_id, _title = _registering(app)
    login(client, "agent")
    html = client.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    assert task_id in task_links(section(html, "<h2>Open tasks</h2>", "</section>"))
    assert_links_open(client, html)


def test_a_staff_document_names_its_task_and_links_it_only_for_those_who_may_open_it(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        complaint = j.to_investigation()
        complaint_id = complaint.id
        task_id = j.open_task(complaint, "investigate_complaint").id
    login(client, "investigator")
    token = csrf_token(client, f"/tasks/{task_id}")
    uploaded = client.post(
        f"/tasks/{task_id}/attachments",
        data={"csrf_token": token, "attachments": [(io.BytesIO(samples.PDF), "report.pdf")]},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302
    mine = client.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    assert task_id in task_links(section(mine, 'id="staff-files"', "</section>"))
    analyst = app.test_client()
    login(analyst, "analyst")
    html = analyst.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    files = section(html, 'id="staff-files"', "</section>")
    assert "report.pdf" in files and "on its task" in text(files)
    assert task_links(html) == set()
    assert analyst.get(f"/tasks/{task_id}").status_code == 404


# ---------------------------------------------------------------------------------------------
# A manager's list of every open task
# ---------------------------------------------------------------------------------------------


def test_all_open_tasks_link_only_the_tasks_the_manager_may_open(
    app: Flask, client: FlaskClient
) -> None:
    complaint_id, task_id, title = _registering(app)
    with app.app_context():
        signing = j.to_minor_resolution()
        j.complete(signing, "resolve_minor")
        sign_off_id = j.open_task(signing, "sign_off_minor").id
    login(client, "manager")
    html = client.get("/inbox/all").get_data(as_text=True)
    assert title in text(html) and f'href="/complaints/{complaint_id}"' in html
    assert task_id not in task_links(html)
    assert sign_off_id in task_links(html)
    assert_links_open(client, html)


# ---------------------------------------------------------------------------------------------
# The administration's way to the procedure (process owners only)
# ---------------------------------------------------------------------------------------------


def _admin_and_owner(app: Flask) -> None:
    with app.app_context():
        users.create_user(
            "admin-owner",
            "Ada Admin-Owner",
            DEMO_PASSWORD,
            [roles.ADMINISTRATOR, roles.PROCESS_OWNER],
        )
        db.session.commit()


@pytest.mark.parametrize(
    ("page", "target"),
    [("/admin/organisation", "/processes/editor"), ("/admin/calendar", "/processes/presets")],
)
def test_the_administrator_is_not_sent_to_the_procedure(
    app: Flask, client: FlaskClient, page: str, target: str
) -> None:
    login(client, "admin")
    html = client.get(page).get_data(as_text=True)
    assert client.get(target).status_code == 403
    assert f'href="{target}"' not in html
    assert 'href="/processes' not in html


@pytest.mark.parametrize(
    ("page", "target"),
    [("/admin/organisation", "/processes/editor"), ("/admin/calendar", "/processes/presets")],
)
def test_an_administrator_who_owns_the_procedure_finds_the_way_to_it(
    app: Flask, client: FlaskClient, page: str, target: str
) -> None:
    _admin_and_owner(app)
    login(client, "admin-owner")
    html = client.get(page).get_data(as_text=True)
    assert f'href="{target}"' in html
    assert client.get(target).status_code == 200
