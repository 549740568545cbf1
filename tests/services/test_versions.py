"""Process versions: who deployed what and why, what changed, download, roll back."""

from __future__ import annotations

import io
import threading
import time
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from services import processes
from services.db import db
from services.errors import Conflict, NotAllowed
from services.models import ProcessVersion
from tests import diagrams as d
from tests import journeys as j

pytestmark = pytest.mark.usefixtures("app_context")


def test_deploy_records_author_comment_and_time():
    owner = j.user("owner")
    version = d.deploy_variant(d.minor_sla_shortened(), actor=owner, comment="Minor SLA 4 days")
    stored = processes.get_version(2)
    assert stored.id == version.id
    assert stored.created_by.username == "owner"
    assert stored.comment == "Minor SLA 4 days"
    assert stored.created_at is not None
    latest = processes.activations()[0]
    assert latest.actor.username == "owner"
    assert latest.data["version"] == 2 and latest.data["previous_version"] == 1
    assert latest.data["comment"] == "Minor SLA 4 days" and latest.data["via"] == "deploy"


def test_only_process_owners_deploy():
    with pytest.raises(NotAllowed):
        processes.deploy(d.variant(d.minor_sla_shortened()), actor=j.user("manager"))


def test_diff_shows_a_changed_timer_and_a_changed_decision_row():
    v1 = processes.active_version()
    v2 = d.deploy_variant(d.minor_sla_shortened(), d.routing_threshold("100"))
    diff = processes.diff(v1, v2)
    timer = diff.element("minor_sla")
    assert timer is not None and timer.status == "changed"
    assert [(c.what, c.old, c.new) for c in timer.changes] == [
        ("timer (duration)", 'target("resolve_minor")', '"P4D"')
    ]
    row = diff.element("rule_financial_impact")
    assert row is not None and row.kind == "rule" and row.file == "complaint_routing.dmn"
    assert [(c.what, c.new) for c in row.changes] == [
        ("if Financial impact", "? is not None and ? > 100")
    ]
    assert len(diff.elements) == 2 and not diff.layout_changed
    text = "\n".join(diff.lines())
    assert "minor_sla" in text and "'target(\"resolve_minor\")' → '\"P4D\"'" in text


def test_diff_lists_added_and_removed_elements_and_decision_rows():
    v1 = processes.active_version()
    new_rule = (
        '<rule id="rule_billing"><description>Billing is major.</description>'
        + "".join(
            f'<inputEntry id="rule_billing_{i}"><text>-</text></inputEntry>' for i in range(6)
        )
        + '<outputEntry id="rule_billing_route"><text>"major"</text></outputEntry></rule>'
        + '\n      <rule id="rule_otherwise">'
    )
    dmn = d.edited(d.dmn(), '<rule id="rule_otherwise">', new_rule)
    start = dmn.index('<rule id="rule_gender_based_violence">')
    end = dmn.index("</rule>", start) + len("</rule>")
    dmn = dmn[:start] + dmn[end:]
    v2 = d.deploy_variant(d.without_classification(), dmn)
    diff = processes.diff(v1, v2)
    assert {(e.element_id, e.status) for e in diff.removed} >= {
        ("classify_complaint", "removed"),
        ("flow_classify_complaint_to_route_complaint", "removed"),
        ("rule_gender_based_violence", "removed"),
    }
    assert [e.element_id for e in diff.added] == ["rule_billing"]
    retargeted = diff.element("flow_notify_acknowledgement_to_classify_complaint")
    assert retargeted is not None
    assert [(c.what, c.old, c.new) for c in retargeted.changes] == [
        ("to", "classify_complaint", "route_complaint")
    ]
    assert diff.layout_changed == ["complaint_handling.bpmn"]


def test_version_archive_holds_the_deployed_files():
    version = processes.active_version()
    archive = zipfile.ZipFile(io.BytesIO(processes.version_archive(version)))
    assert sorted(archive.namelist()) == sorted(d.files())  # diagrams and forms/*.toml
    for name, content in d.files().items():
        assert archive.read(name) == content
    assert processes.archive_name(version) == "complaint_handling-v1.zip"


def test_rollback_makes_the_earlier_version_active_and_running_complaints_keep_theirs():
    v1 = processes.active_version()
    d.deploy_variant(d.minor_sla_shortened())
    on_v2 = j.file()
    owner = j.user("owner")
    processes.rollback(v1.id, owner, "4 days was too short")
    db.session.commit()
    assert processes.active_version().version == 1
    on_v1 = j.file()
    assert j.refreshed(on_v1).instance.process_version.version == 1
    assert j.refreshed(on_v2).instance.process_version.version == 2
    j.complete(on_v2, "register_complaint")  # the v2 complaint keeps running on v2
    assert j.open_names(on_v2) == ["classify_complaint"]
    event = processes.activations()[0]
    assert event.actor.username == "owner"
    assert event.data["via"] == "rollback" and event.data["version"] == 1
    assert event.data["previous_version"] == 2 and event.data["comment"] == "4 days was too short"
    assert [v.version for v in processes.versions()] == [2, 1]


def test_rolling_back_to_the_active_version_is_a_conflict():
    with pytest.raises(Conflict):
        processes.rollback(processes.active_version().id, j.user("owner"))


def test_only_process_owners_roll_back():
    v1 = processes.active_version()
    d.deploy_variant(d.minor_sla_shortened())
    with pytest.raises(NotAllowed):
        processes.rollback(v1.id, j.user("admin"))


# --- one active version, whatever the races -------------------------------------------------


def test_the_database_refuses_a_second_active_version_of_a_process():
    d.deploy_variant(d.minor_sla_shortened())
    with pytest.raises(IntegrityError):
        db.session.execute(
            db.update(ProcessVersion).where(ProcessVersion.version == 1).values(active=True)
        )
        db.session.flush()
    db.session.rollback()


def _active_versions() -> list[int]:
    db.session.expire_all()
    return list(
        db.session.scalars(db.select(ProcessVersion.version).where(ProcessVersion.active.is_(True)))
    )


def _in_thread(app: Flask, action: Callable[[], None]) -> tuple[threading.Thread, dict]:
    """Run `action` then commit in another thread with its own session; keep its outcome."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        with app.app_context():
            try:
                action()
                db.session.commit()
                outcome["result"] = "committed"
            except Exception as exc:  # noqa: BLE001 - the test inspects it
                db.session.rollback()
                outcome["result"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _wait_until_blocked() -> None:
    """Wait until a session of this database waits for a row lock (PostgreSQL)."""
    for _ in range(200):
        db.session.execute(text("SELECT pg_stat_clear_snapshot()"))  # else read once per txn
        waiting = db.session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
        )
        if waiting:
            return
        time.sleep(0.05)
    raise AssertionError("the second activation never waited for the first")


@pytest.fixture
def postgres_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent transactions need PostgreSQL (SQLite has one writer)")


@pytest.mark.usefixtures("postgres_only")
def test_concurrent_activations_take_turns_and_leave_one_version_active(app: Flask):
    d.deploy_variant(d.minor_sla_shortened())
    d.deploy_variant(dmn_text=d.routing_threshold("2000"))
    v1, v2 = processes.get_version(1).id, processes.get_version(2).id
    processes.rollback(v1, None, "first")  # holds its locks until it commits
    thread, outcome = _in_thread(app, lambda: processes.rollback(v2, None, "second"))
    _wait_until_blocked()
    db.session.commit()
    thread.join(30)
    assert outcome["result"] == "committed"
    assert _active_versions() == [2]
    latest = processes.activations()[0]
    assert (latest.data["version"], latest.data["previous_version"]) == (2, 1)


@pytest.mark.usefixtures("postgres_only")
def test_two_first_deploys_at_once_the_loser_gets_a_conflict(app: Flask):
    db.session.execute(db.delete(ProcessVersion))
    db.session.commit()
    processes.deploy(d.files(), comment="first")
    thread, outcome = _in_thread(
        app, lambda: processes.deploy(d.variant(d.minor_sla_shortened()), comment="second")
    )
    _wait_until_blocked()
    db.session.commit()
    thread.join(60)
    assert isinstance(outcome["result"], Conflict)
    assert outcome["result"].message == (
        "Another version of this process was activated at the same time; reload and retry."
    )
    assert _active_versions() == [1]
