"""The migration dry-run page says how the open tasks' forms change, in English and French,
and a moved complaint's task page shows the new version's form."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from services.db import db
from services.models import Complaint
from tests import journeys as j
from tests.app.helpers import login, post_form
from tests.form_versions import with_first_impression, without_first_impression


def waiting_at_classification(app: Flask) -> tuple[int, int, int, str, str]:
    """(old version id, new version id, complaint id, its reference, its open task id)."""
    with app.app_context():
        old = with_first_impression()
        complaint = j.to_classification()
        task_id = j.open_task(complaint, "classify_complaint").id
        new = without_first_impression()
        return old.id, new.id, complaint.id, complaint.reference, task_id


def test_the_dry_run_page_says_how_the_open_tasks_form_changes(
    app: Flask, client: FlaskClient
) -> None:
    old, new, complaint_id, reference, _ = waiting_at_classification(app)
    login(client, "owner")
    url = f"/processes/migrate?from={old}&to={new}"
    page = client.get(url).get_data(as_text=True)
    assert "Forms that change for the open tasks" in page
    assert 'id="form-classify_complaint"' in page and 'href="#form-classify_complaint"' in page
    assert "Added, required: Harm suffered (a moved task asks it" in page
    assert "Removed: First impression (answers already given stay in the case data)" in page
    assert "Changed: Severity: whether it is required (now optional)" in page
    assert "Changed: Possible breach of law: when it shows or must be filled" in page
    assert f'name="complaints" value="{complaint_id}"' in page  # it can still move
    assert reference in page
    post_form(client, "/lang/fr", {"next": url}, form_url=url)
    page = client.get(url).get_data(as_text=True)
    assert "Formulaires qui changent pour les tâches ouvertes" in page
    assert "Ajouté, obligatoire\u00a0: Préjudice subi" in page
    assert "Retiré\u00a0: Première impression" in page
    assert "Modifié\u00a0: Gravité\u00a0: s’il est obligatoire (désormais facultatif)" in page


def test_a_moved_complaints_task_page_shows_the_new_versions_form(
    app: Flask, client: FlaskClient
) -> None:
    old, new, complaint_id, _, task_id = waiting_at_classification(app)
    supervisor = app.test_client()
    login(supervisor, "supervisor")
    before = supervisor.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "First impression" in before and "Harm suffered" not in before
    login(client, "owner")
    response = post_form(
        client,
        "/processes/migrate",
        [("from", old), ("to", new), ("complaints", complaint_id)],
        form_url=f"/processes/migrate?from={old}&to={new}",
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Complaint, complaint_id).instance.process_version_id == new
    after = supervisor.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Harm suffered" in after and "First impression" not in after
