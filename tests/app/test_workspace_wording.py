"""Words of the staff workspace and the admin area in the reader's language: bulk refusals that
name someone, the admin change log; and the way to one's own improvement actions without a
report role."""

from __future__ import annotations

import ast
import html
from datetime import date
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from app import audit_text
from services import audit, departments, improvement, organisation, providers, users
from services.db import db
from services.models import Task
from tests import journeys as j
from tests.app.helpers import login, post_form
from tests.conftest import DEMO_PASSWORD

NBSP = "\u00a0"


def text(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.get_data(as_text=True))


def nav(page: str) -> str:
    """The header's navigation of a page."""
    return page.split('<nav class="mainnav">', 1)[1].split("</nav>", 1)[0]


def in_french(client: FlaskClient, back: str) -> None:
    post_form(client, "/lang/fr", {"next": back}, form_url=back)


def _classifications(app: Flask, count: int) -> list[str]:
    with app.app_context():
        return [j.open_task(j.to_classification(), "classify_complaint").id for _ in range(count)]


def _bulk(client: FlaskClient, ids: list[str], action: str, back: str, **extra: str) -> None:
    data = [("task_ids", task_id) for task_id in ids] + [("action", action), ("next", back)]
    response = post_form(client, "/inbox/bulk", data + list(extra.items()), form_url=back)
    assert response.status_code == 302


# --- bulk refusals naming someone ---------------------------------------------------------------


def test_a_bulk_claim_refused_names_who_holds_the_task_in_french(
    app: Flask, client: FlaskClient
) -> None:
    ids = _classifications(app, 2)
    with app.app_context():
        users.create_user("supervisor2", "Sid Second", DEMO_PASSWORD, ["supervisor"], "")
        db.session.commit()
        reference = db.session.get(Task, ids[0]).reference
    other = app.test_client()
    login(other, "supervisor2")
    _bulk(other, [ids[0]], "claim", "/inbox")

    login(client, "supervisor")
    in_french(client, "/inbox")
    _bulk(client, ids, "claim", "/inbox")
    page = text(client, "/inbox")
    assert "1 tâche prise en charge." in page
    assert f"{reference} · " in page and "Sid Second l’a prise en charge." in page
    assert "has claimed it" not in page


def test_a_bulk_assignment_refused_names_the_person_and_the_role_in_each_language(
    app: Flask, client: FlaskClient
) -> None:
    ids = _classifications(app, 1)
    with app.app_context():
        investigator = str(j.user("investigator").id)
    login(client, "manager")
    _bulk(client, ids, "assign", "/inbox/all", assignee=investigator)
    assert "Ines Investigator does not hold the role Supervisor." in text(client, "/inbox/all")

    in_french(client, "/inbox/all")
    _bulk(client, ids, "assign", "/inbox/all", assignee=investigator)
    page = text(client, "/inbox/all")
    assert "Ines Investigator n’a pas le rôle Superviseur." in page
    assert "does not hold" not in page
    with app.app_context():
        assert db.session.get(Task, ids[0]).assignee_id is None


# --- an improvement action's owner without a report role --------------------------------------


def _action_for(app: Flask, owner: str) -> int:
    with app.app_context():
        action = improvement.open_action(
            j.user("manager"),
            title="Retrain the depot",
            owner_id=j.user(owner).id,
            due_date=date(2030, 1, 1),
        )
        db.session.commit()
        return action.id


def test_an_owner_without_a_report_role_reaches_their_actions_from_the_nav(
    app: Flask, client: FlaskClient
) -> None:
    login(client, "supervisor")
    assert "/improvement" not in nav(text(client, "/inbox"))  # no action: no entry
    action_id = _action_for(app, "supervisor")

    menu = nav(text(client, "/inbox"))
    assert '<a href="/improvement/actions">My improvement actions</a>' in menu
    assert "/dashboard" not in menu and 'href="/improvement"' not in menu
    listed = text(client, "/improvement/actions")
    assert f'data-action="{action_id}"' in listed
    assert 'href="/improvement"' not in listed  # the recurring problems are not theirs
    assert client.get("/dashboard").status_code == 403
    assert client.get("/improvement").status_code == 403

    url = f"/improvement/actions/{action_id}"
    assert "Retrain the depot" in text(client, url)
    response = post_form(client, url, {"status": "in_progress", "outcome": ""})
    assert response.status_code == 302
    in_french(client, "/inbox")
    assert "Mes actions d’amélioration" in nav(text(client, "/inbox"))

    response = post_form(client, url, {"status": "done", "outcome": "Depot staff trained."})
    assert response.status_code == 302
    with app.app_context():
        assert improvement.get_action(j.user("manager"), action_id).status == "done"
    assert "/improvement" not in nav(text(client, "/inbox"))  # nothing open any more


def test_report_readers_keep_their_improvement_entry_only(app: Flask, client: FlaskClient) -> None:
    _action_for(app, "manager")
    login(client, "manager")
    menu = nav(text(client, "/inbox"))
    assert '<a href="/improvement">Improvement</a>' in menu
    assert "My improvement actions" not in menu


# --- the admin change log ---------------------------------------------------------------------


def test_a_french_admin_reads_the_changes_in_french_and_older_rows_as_recorded(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        admin = j.user("admin")
        # A row recorded before summaries were stored as msgid and params: shown as it is.
        audit.record(None, "department_added", actor=admin, summary="Department added: Archives")
        departments.add_department(admin, "Eau potable")
        supervisor = j.user("supervisor")
        users.set_active(admin, supervisor.id, False)
        organisation.update(admin, {"name": "Sénélec Clients", "phone": "+221 33 000 00 00"})
        db.session.commit()
        supervisor_id = supervisor.id

    login(client, "admin")
    page = text(client, "/admin/departments")
    assert "Department added: Eau potable" in page and "Department added: Archives" in page
    assert "Organisation settings changed: name, phone" in text(client, "/admin/organisation")

    in_french(client, "/admin/departments")
    page = text(client, "/admin/departments")
    assert f"Service ajouté{NBSP}: Eau potable" in page
    assert "Department added: Archives" in page  # the older row, as recorded
    assert f"Utilisateur désactivé{NBSP}: supervisor" in text(
        client, f"/admin/users/{supervisor_id}"
    )
    page = text(client, "/admin/organisation")
    assert f"Paramètres de l’organisation modifiés{NBSP}: nom, téléphone" in page
    assert "Organisation settings changed" not in page


def test_every_admin_summary_services_record_is_listed_for_the_catalogue() -> None:
    """The msgids of audit.record(message=...) (and departments' _audit tuples) are in
    app/audit_text.py, so that `make messages` extracts them and French has them."""
    recorded = set(providers.PROVIDER_SUMMARIES.values())
    for path in (Path(__file__).resolve().parents[2] / "services").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            parts = [k.value for k in node.keywords if k.arg == "message"]
            if isinstance(node.func, ast.Name) and node.func.id == "_audit" and node.args[2:]:
                parts.append(node.args[2])
            for part in parts:
                recorded |= {
                    c.value
                    for c in ast.walk(part)
                    if isinstance(c, ast.Constant) and isinstance(c.value, str) and "%(" in c.value
                }
    listed = {str(message._args[0]) for message in audit_text.MESSAGES}
    assert len(recorded) >= 25
    assert sorted(recorded - listed) == []
