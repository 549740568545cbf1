"""How a workflow's state is stored on PostgreSQL: compressed with lz4 (migration a13m00000015)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from services import engine, processes
from services.db import db
from services.models import ProcessInstance
from tests import journeys as j


def test_a_saved_workflow_state_is_compressed_with_lz4_and_reads_back(app_context):  # noqa: ANN001
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no choice of compression")
    available = db.session.execute(
        text(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
    ).scalar()
    if not available:
        pytest.skip("this PostgreSQL was built without lz4: the migration keeps pglz")
    complaint = j.to_minor_resolution()
    db.session.commit()
    instance_id = complaint.instance.id
    # The value written by the last save, as stored (a state this size is compressed).
    method = db.session.execute(
        text("SELECT pg_column_compression(state) FROM process_instance WHERE id = :id"),
        {"id": instance_id},
    ).scalar()
    assert method == "lz4"
    # And it restores: the workflow waits for the supervisor's resolution.
    db.session.expire_all()
    instance = db.session.get(ProcessInstance, instance_id)
    wf = engine.load_workflow(processes.specs_of(instance.process_version), instance.state)
    assert [task.name for task in engine.snapshot(wf).ready] == ["resolve_minor"]
