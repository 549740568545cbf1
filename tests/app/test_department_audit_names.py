"""Audit lines name a department in the reader's language: the departments page's change log
and a complaint's history, for lines written now and for lines written before (which stored
the English name, or the id), resolved when they are read; a department renamed or deleted
since still reads sensibly (the name it had).

Department names are data: the names asserted below hold without the French catalogue (the
sentence around them is the catalogue's).
"""

from __future__ import annotations

import html as html_module
import re

from flask.testing import FlaskClient

from services import audit, departments
from services.db import db
from services.models import AuditEvent, Department
from tests import journeys as j
from tests.app.helpers import login

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}
ENGLISH = {"Accept-Language": "en"}


def change_log(client: FlaskClient, headers: dict[str, str]) -> list[str]:
    """The departments page's change lines, newest first: what comes after the actor."""
    page = client.get("/admin/departments", headers=headers).get_data(as_text=True)
    section = page[page.index('<ul class="history">') :]
    section = section[: section.index("</ul>")]
    lines = re.findall(r"<li>(.*?)</li>", section, flags=re.S)
    return [html_module.unescape(line).split(" · ", 2)[-1].strip() for line in lines]


def old_event(kind: str, summary: str, data: dict) -> None:
    """An admin change as an earlier release recorded it (no French name kept)."""
    db.session.add(
        AuditEvent(
            complaint_id=None, kind=kind, actor_label="Ada Admin", summary=summary, data=data
        )
    )
    db.session.commit()


def test_the_change_log_names_departments_in_the_readers_language(app, client):
    with app.app_context():
        admin = j.user("admin")
        water = departments.add_department(admin, "Water supply", "Eau potable")
        departments.set_department_active(admin, water.id, False)
        departments.rename_department(admin, water.id, "Drinking water", "Eau de boisson")
        departments.rename_department(admin, water.id, "Tap water")  # in English only
        db.session.commit()
    login(client, "admin")
    french = change_log(client, FRENCH)
    english = change_log(client, ENGLISH)
    # Newest first: the English-only rename, the rename in both, the deactivation, the add.
    assert english[:4] == [
        "Department renamed: Drinking water -> Tap water",
        "Department renamed: Water supply -> Drinking water",
        "Department deactivated: Water supply",
        "Department added: Water supply",
    ]
    # The French reader reads each department by its French name at the time; a rename of
    # the English name alone names the English names.
    assert "Drinking water" in french[0] and "Tap water" in french[0]
    assert "Eau potable" in french[1] and "Eau de boisson" in french[1]
    assert "Eau potable" in french[2] and "Water supply" not in french[2]
    assert "Eau potable" in french[3] and "Water supply" not in french[3]
    with app.app_context():
        event = db.session.scalar(
            db.select(AuditEvent).where(AuditEvent.kind == "department_deactivated")
        )
        assert (event.data["name"], event.data["name_fr"]) == ("Water supply", "Eau potable")


def test_lines_written_before_are_resolved_when_read(app, client):
    with app.app_context():
        admin = j.user("admin")
        stores = departments.add_department(admin, "Stores", "Magasins")
        billing = departments.add_department(admin, "Billing", "Facturation")
        gone = departments.add_department(admin, "Counter", "Guichet")
        db.session.execute(db.delete(AuditEvent))
        # Written before departments had French names: the English name, with the id.
        old_event(
            "department_added",
            "Department added: Stores",
            {
                "department_id": stores.id,
                "name": "Stores",
                audit.SUMMARY: {
                    "msgid": "Department added: %(name)s",
                    "params": {"name": "Stores"},
                },
            },
        )
        # Deactivated: the name in the sentence's params, the id alone in the data.
        old_event(
            "department_deactivated",
            "Department deactivated: Billing",
            {
                "department_id": billing.id,
                audit.SUMMARY: {
                    "msgid": "Department deactivated: %(name)s",
                    "params": {"name": "Billing"},
                },
            },
        )
        # Before summaries kept their msgid: the English sentence and the data alone.
        old_event(
            "department_added",
            "Department added: Billing",
            {"department_id": billing.id, "name": "Billing"},
        )
        # A department renamed since: the name it had then.
        old_event(
            "department_activated",
            "Department activated: Shops",
            {
                "department_id": stores.id,
                audit.SUMMARY: {
                    "msgid": "Department activated: %(name)s",
                    "params": {"name": "Shops"},
                },
            },
        )
        # A department deleted since: its English name as recorded.
        old_event(
            "department_added",
            "Department added: Counter",
            {
                "department_id": gone.id,
                "name": "Counter",
                audit.SUMMARY: {
                    "msgid": "Department added: %(name)s",
                    "params": {"name": "Counter"},
                },
            },
        )
        db.session.execute(db.delete(Department).where(Department.id == gone.id))
        db.session.commit()
    login(client, "admin")
    french = change_log(client, FRENCH)
    assert len(french) == 5
    counter, shops, billing_added, billing_off, stores_added = french
    assert "Magasins" in stores_added and "Stores" not in stores_added
    assert "Facturation" in billing_off and "Billing" not in billing_off
    assert "Facturation" in billing_added and "Billing" not in billing_added
    assert "Shops" in shops and "Magasins" not in shops
    assert "Counter" in counter
    english = change_log(client, ENGLISH)
    assert english == [
        "Department added: Counter",
        "Department activated: Shops",
        "Department added: Billing",
        "Department deactivated: Billing",
        "Department added: Stores",
    ]


def history_rows(client: FlaskClient, complaint_id: int, headers: dict[str, str]) -> str:
    page = client.get(f"/complaints/{complaint_id}", headers=headers).get_data(as_text=True)
    history = page[page.index('id="history"') :]
    return history[: history.index("</ol>")]


def test_the_complaint_history_names_the_department_in_the_readers_language(app, client):
    with app.app_context():
        admin = j.user("admin")
        stores = departments.add_department(admin, "Stores", "Magasins")
        complaint = j.file(department="Stores")
        # Lines an earlier step wrote: the department by its English name, or by its id.
        audit.record(complaint.id, "note_added", summary="Moved", data={"department": "Stores"})
        audit.record(complaint.id, "note_added", summary="Moved", data={"department_id": stores.id})
        db.session.commit()
        complaint_id, stores_id = complaint.id, stores.id
    login(client, "manager")
    french = history_rows(client, complaint_id, FRENCH)
    assert french.count("<dd>Magasins</dd>") == 2 and "<dd>Stores</dd>" not in french
    english = history_rows(client, complaint_id, ENGLISH)
    assert english.count("<dd>Stores</dd>") == 2
    # Renamed in French later: the line reads the French name of now (it carried no other).
    with app.app_context():
        departments.rename_department(j.user("admin"), stores_id, "Stores", "Boutiques")
        db.session.commit()
    assert history_rows(client, complaint_id, FRENCH).count("<dd>Boutiques</dd>") == 2
