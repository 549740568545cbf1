"""Moving running complaints when the new version changes their open tasks' forms: the dry
run says which fields are added, removed or changed, a form the new version lacks blocks the
move, and a moved complaint's open task shows the new version's form."""

from __future__ import annotations

import pytest

from services import form_definitions, instance_migration, processes, workflows
from services.db import db
from services.errors import Conflict, InvalidInput
from tests import diagrams as d
from tests import journeys as j
from tests.form_versions import with_first_impression, without_first_impression

pytestmark = pytest.mark.usefixtures("app_context")


def test_the_dry_run_lists_the_fields_the_open_tasks_form_adds_removes_and_changes():
    old = with_first_impression()
    waiting, registering = j.to_classification(), j.file()
    new = without_first_impression()
    verdicts = {c.reference: c for c in instance_migration.dry_run(old, new)}
    moving = verdicts[waiting.reference]
    assert moving.movable and moving.reasons == []
    [change] = moving.form_changes
    assert (change.step, change.form_key, change.new_form_key, change.missing) == (
        "classify_complaint",
        "classify_complaint",
        "classify_complaint",
        False,
    )
    [added] = change.of("added")
    assert (added.name, added.required, added.label["fr"]) == (
        "harm_summary",
        True,
        "Préjudice subi",
    )
    [removed] = change.of("removed")
    assert removed.name == "first_impression" and removed.label["en"] == "First impression"
    changed = {f.name: f.aspects for f in change.of("changed")}
    assert changed == {"severity": ("required",), "breach_of_law": ("conditions",)}
    # Registration's form is the same in both versions: nothing to say, it moves.
    assert verdicts[registering.reference].form_changes == []
    assert verdicts[registering.reference].movable


def test_a_moved_complaints_open_task_gets_the_new_versions_form():
    with_first_impression()
    complaint = j.to_classification()
    task_id = j.open_task(complaint, "classify_complaint").id
    assert (
        "first_impression"
        in form_definitions.form_class(j.open_task(complaint, "classify_complaint"))()._fields
    )
    new = without_first_impression()
    instance_migration.migrate(complaint.id, new, j.user("owner"))
    db.session.commit()
    task = j.open_task(complaint, "classify_complaint")
    assert task.id == task_id
    fields = form_definitions.form_class(task)()._fields
    assert "harm_summary" in fields and "first_impression" not in fields
    # The new required field is now asked: the old answers alone no longer complete it.
    with pytest.raises(InvalidInput) as refused:
        j.complete(complaint, "classify_complaint")
    assert set(refused.value.details) == {"harm_summary"}
    db.session.rollback()
    j.complete(complaint, "classify_complaint", harm_summary="A flooded kitchen.")
    assert j.open_task(complaint, "resolve_minor")


def test_an_answer_to_a_removed_field_stays_in_the_case_data():
    old = with_first_impression()
    complaint = j.to_classification()
    j.complete(complaint, "classify_complaint", first_impression="Looks minor.")
    new = without_first_impression()
    [candidate] = [
        c for c in instance_migration.dry_run(old, new) if c.reference == complaint.reference
    ]
    assert candidate.form_changes == []  # resolve_minor's form did not change
    instance_migration.migrate(complaint.id, new, None)
    db.session.commit()
    assert workflows.case_data(j.refreshed(complaint))["first_impression"] == "Looks minor."


def test_a_task_whose_form_the_new_version_lacks_cannot_move():
    old = d.deploy_call_back()
    complaint = j.to_minor_resolution()
    j.complete(complaint, "resolve_minor")
    assert j.open_names(complaint) == ["call_back"]
    files = d.variant(d.with_call_back())
    files["forms/call_back.toml"] = d.CALL_BACK_FORM.replace("2000", "3000").encode()
    new = processes.deploy(files, actor=None, comment="longer notes").version
    # A version stored without the definition (as one from before forms were deployed).
    new.files = {k: v for k, v in new.files.items() if k != "forms/call_back.toml"}
    new.content_hash = "without-call-back-form"
    db.session.commit()
    assert "call_back" not in form_definitions.for_version(new)
    [candidate] = instance_migration.dry_run(old, new)
    assert not candidate.movable
    assert candidate.reasons == [
        f"its open task 'call_back' uses form 'call_back', which version {new.version} "
        "does not define"
    ]
    [change] = candidate.form_changes
    assert change.missing and change.new_form_key == "call_back"
    with pytest.raises(Conflict, match="does not define the form of its open task"):
        instance_migration.migrate(complaint.id, new, None)
    db.session.rollback()
    assert j.refreshed(complaint).instance.process_version.id == old.id


def test_the_command_lines_dry_run_says_how_the_forms_change(app, runner):
    old = with_first_impression()
    complaint = j.to_classification()
    new = without_first_impression()
    reference, numbers = complaint.reference, (str(old.version), str(new.version))
    db.session.remove()
    result = runner.invoke(
        args=["migrate-complaints", "--from", numbers[0], "--to", numbers[1], "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert f"{reference}: can move\n" in result.output
    assert (
        "  form of classify_complaint: added harm_summary (required); removed first_impression "
        "(answers kept); changed severity (required); changed breach_of_law (conditions)"
    ) in result.output
