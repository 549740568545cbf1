"""Moving running complaints to another process version: who can move, why not, clocks kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from services import instance_migration, processes
from services.db import db
from services.errors import Conflict, NotAllowed
from services.models import AuditEvent, Complaint, ProcessInstance
from tests import diagrams as d
from tests import journeys as j

pytestmark = pytest.mark.usefixtures("app_context")


def version(number: int):
    return processes.get_version(number)


def test_complaint_waiting_at_classification_moves_to_a_version_that_changed_a_later_timer():
    complaint = j.to_classification()
    task_id = j.open_task(complaint, "classify_complaint").id
    # v2 watches the minor case with a plain 4-day timer instead of the resolve_minor clock.
    v2 = d.deploy_variant(d.minor_sla_literal('"P4D"'))
    [candidate] = instance_migration.dry_run(version(1), v2, viewer=j.user("owner"))
    assert candidate.reference == complaint.reference
    assert candidate.movable and candidate.reasons == []
    assert candidate.current_steps == ["classify_complaint"]

    instance_migration.migrate(complaint.id, v2, j.user("owner"))
    db.session.commit()

    moved = j.refreshed(complaint)
    assert moved.instance.process_version.version == 2
    assert j.open_task(moved, "classify_complaint").id == task_id  # the open task is kept
    event = db.session.scalar(
        db.select(AuditEvent).where(
            AuditEvent.complaint_id == complaint.id, AuditEvent.kind == "migrated"
        )
    )
    assert event.actor.username == "owner"
    assert event.data == {"process_id": "complaint_handling", "from_version": 1, "to_version": 2}
    j.complete(moved, "classify_complaint")
    resolve = j.open_task(moved, "resolve_minor")
    assert resolve.due_at - resolve.created_at == pytest.approx(
        timedelta(days=4), abs=timedelta(seconds=5)
    )


def test_waiting_timers_keep_their_clock_and_a_changed_one_is_rebased_on_its_start():
    # A version whose minor case is watched by a plain 5-day timer (no clock), then 4 days.
    d.deploy_variant(d.minor_sla_literal('"P5D"'))
    registered = j.file()  # waits at register_complaint, its clock unchanged in v3
    minor = j.to_minor_resolution()  # waits at resolve_minor, 5-day timer becomes 4 days
    register_due = j.open_task(registered, "register_complaint").due_at
    resolve_task = j.open_task(minor, "resolve_minor")
    resolve_due = resolve_task.due_at
    v3 = d.deploy_variant(d.minor_sla_literal('"P4D"'))
    for complaint in (registered, minor):
        instance_migration.migrate(complaint.id, v3, None)
        db.session.commit()
    assert j.open_task(registered, "register_complaint").due_at == register_due
    moved = j.open_task(minor, "resolve_minor")
    assert moved.id == resolve_task.id
    assert moved.due_at == resolve_due - timedelta(days=1)
    assert j.refreshed(minor).instance.next_timer_due == moved.due_at


def test_complaint_waiting_at_a_removed_task_cannot_move():
    complaint = j.to_classification()
    v2 = d.deploy_variant(d.without_classification())
    [candidate] = instance_migration.dry_run(version(1), v2)
    assert not candidate.movable
    assert candidate.reasons == [
        "it waits at 'Classify complaint' (classify_complaint), which is removed",
        # The step before it now leads elsewhere; its history would not match the new diagram.
        "'Send acknowledgement' (notify_acknowledgement), already done, is changed (outputs)",
    ]
    with pytest.raises(Conflict, match="waits at 'Classify complaint'"):
        instance_migration.migrate(complaint.id, v2, None)
    db.session.rollback()
    stayed = j.refreshed(complaint)
    assert stayed.instance.process_version.version == 1
    j.complete(stayed, "classify_complaint")  # still works on version 1


def test_complaint_past_a_removed_task_cannot_move_but_one_before_it_can():
    passed = j.to_minor_resolution()
    before = j.file()
    v2 = d.deploy_variant(d.without_classification())
    verdicts = {c.reference: c for c in instance_migration.dry_run(version(1), v2)}
    assert not verdicts[passed.reference].movable
    assert "has been through 'Classify complaint'" in verdicts[passed.reference].reasons[0]
    assert verdicts[before.reference].movable


def test_closed_complaints_are_not_candidates_and_cannot_move():
    closed = j.file()
    j.complete(closed, "register_complaint", registration_outcome="not_a_complaint")
    assert j.refreshed(closed).status == "closed"
    v2 = d.deploy_variant(d.minor_sla_shortened())
    assert instance_migration.dry_run(version(1), v2) == []
    with pytest.raises(Conflict):
        instance_migration.migrate(closed.id, v2, None)


def test_confidential_complaints_are_hidden_from_the_process_owner():
    confidential = j.to_classification()
    j.complete(confidential, "classify_complaint", sensitive=True)
    assert j.refreshed(confidential).confidential
    v2 = d.deploy_variant(d.minor_sla_shortened())
    assert instance_migration.dry_run(version(1), v2, viewer=j.user("owner")) == []
    assert [c.reference for c in instance_migration.dry_run(version(1), v2)] == [
        confidential.reference
    ]


def test_only_process_owners_migrate():
    complaint = j.to_classification()
    v2 = d.deploy_variant(d.minor_sla_shortened())
    with pytest.raises(NotAllowed):
        instance_migration.migrate(complaint.id, v2, j.user("supervisor"))


def on_version(app: Flask, complaint_id: int) -> int:
    with app.app_context():
        return db.session.get(Complaint, complaint_id).instance.process_version.version


def test_cli_commits_each_complaint_on_its_own(app: Flask, runner):
    first = j.to_classification()  # waits at the removed task: refused
    movable = j.file()  # before it: moves
    last = j.to_minor_resolution()  # has been through it: refused
    d.deploy_variant(d.without_classification())
    ids = [first.id, movable.id, last.id]
    db.session.remove()

    dry = runner.invoke(args=["migrate-complaints", "--from", "1", "--to", "2", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"{movable.reference}: can move" in dry.output
    assert f"{first.reference}: cannot move: it waits at 'Classify complaint'" in dry.output
    assert [on_version(app, i) for i in ids] == [1, 1, 1]

    result = runner.invoke(args=["migrate-complaints", "--from", "1", "--to", "2"])
    assert result.exit_code == 0, result.output
    assert f"{movable.reference}: moved to version 2" in result.output
    assert f"{last.reference}: not moved: This complaint cannot move" in result.output
    assert "1 moved, 2 not moved, of 3 running." in result.output
    assert [on_version(app, i) for i in ids] == [1, 2, 1]


def test_cli_moves_only_the_given_reference(app: Flask, runner):
    one, other = j.to_classification(), j.to_classification()
    d.deploy_variant(d.minor_sla_shortened())
    reference = one.reference
    ids = [one.id, other.id]
    db.session.remove()
    result = runner.invoke(
        args=["migrate-complaints", "--from", "1", "--to", "2", "--reference", reference]
    )
    assert result.exit_code == 0, result.output
    assert "1 moved, 0 not moved, of 1 running." in result.output
    assert [on_version(app, i) for i in ids] == [2, 1]


def test_the_dry_run_judges_each_place_in_the_diagram_once_with_each_complaints_verdict():
    filed = [j.file(), j.file()]
    waiting = [j.to_classification(), j.to_classification()]
    minor = j.to_minor_resolution()
    v2 = d.deploy_variant(d.without_classification())
    # The second complaint of each place is judged by the first: its stored workflow is
    # never read, so even an unreadable one gets the verdict of its group.
    for complaint in (filed[1], waiting[1]):
        db.session.execute(
            db.update(ProcessInstance)
            .where(ProcessInstance.complaint_id == complaint.id)
            .values(state='{"broken": true}')
        )
    db.session.commit()

    candidates = instance_migration.dry_run(version(1), v2)

    assert [c.reference for c in candidates] == [c.reference for c in (*filed, *waiting, minor)]
    verdicts = {c.reference: (c.movable, c.reasons, c.current_steps) for c in candidates}
    assert (
        verdicts[filed[0].reference]
        == verdicts[filed[1].reference]
        == (
            True,
            [],
            ["register_complaint"],
        )
    )
    assert (
        verdicts[waiting[0].reference]
        == verdicts[waiting[1].reference]
        == (
            False,
            [
                "it waits at 'Classify complaint' (classify_complaint), which is removed",
                "'Send acknowledgement' (notify_acknowledgement), already done, "
                "is changed (outputs)",
            ],
            ["classify_complaint"],
        )
    )
    movable, reasons, _steps = verdicts[minor.reference]
    assert not movable
    assert reasons[0].startswith("it has been through 'Classify complaint'")
