"""Cost of completing one user task: through our services vs. bare SpiffWorkflow, same diagram.

Both sides run the same loop on processes/complaint_handling.bpmn: the supervisor resolves a
minor complaint, the manager sends the sign-off back, again and again. Bare SpiffWorkflow keeps
the workflow in memory and times `task.set_data(); task.run(); wf.do_engine_steps()`. Through
the services, one completion is what a request does: load the complaint's state, validate the
form, run the step, save state + task table + audit, commit.

Measured at the start of the loop and again once the complaint's history is 10x longer.

    .venv/bin/python benchmarks/engine.py            # SQLite in a temp dir
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/engine.py        # also PostgreSQL (a scratch database)
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

from flask_migrate import upgrade
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from benchmarks import scratch  # noqa: E402
from forms import FORMS  # noqa: E402
from services import engine, processes, workflows  # noqa: E402
from services.db import db  # noqa: E402
from services.models import ProcessInstance  # noqa: E402
from tests import journeys  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = 40  # even: every timed loop ends where it began
SEND_BACK = {
    "sign_off_decision": "sent_back",
    "sign_off_comment": "Please add a goodwill gesture.",
    "resolution_codes": [],
}
RESOLVE = journeys.ANSWERS["resolve_minor"]


# ---- bare SpiffWorkflow -----------------------------------------------------------------------


def stock_serializer() -> BpmnWorkflowSerializer:
    """Spiff's own serializer (spec embedded), with the two types our forms produce."""
    registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))
    registry.register(
        date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"])
    )
    return BpmnWorkflowSerializer(registry)


STOCK_SERIALIZER = stock_serializer()


def bare_workflow() -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(ROOT / "processes/complaint_handling.bpmn"))
    parser.add_dmn_file(str(ROOT / "processes/complaint_routing.dmn"))
    wf = BpmnWorkflow(
        parser.get_spec("complaint_handling"),
        parser.get_subprocess_specs("complaint_handling"),
        script_engine=engine.SCRIPT_ENGINE,
    )
    wf.get_next_task(state=TaskState.READY).set_data(**engine_ready(journeys.INTAKE))
    wf.do_engine_steps()
    bare_step(wf, "register_complaint", form_data("register_complaint"))
    bare_step(wf, "classify_complaint", form_data("classify_complaint"))
    return wf


def form_data(form_key: str, **answers: object) -> dict:
    """What the form hands the engine: the same data on both sides of the comparison."""
    form = FORMS[form_key](journeys.formdata({**journeys.ANSWERS[form_key], **answers}))
    assert form.validate(), form.errors
    return form.task_data()


def engine_ready(data: dict) -> dict:
    return {**data, "information_requests": 0, "sensitive_at_intake": False}


def bare_step(wf: BpmnWorkflow, name: str, data: dict) -> None:
    task = wf.get_next_task(state=TaskState.READY, manual=True, spec_name=name)
    task.set_data(**data)
    task.run()
    wf.do_engine_steps()


def time_bare(wf: BpmnWorkflow) -> tuple[float, float]:
    """Median seconds per step, and per step plus a JSON round trip, at this history."""
    steps, round_trips = [], []
    resolve, send_back = form_data("resolve_minor"), form_data("sign_off", **SEND_BACK)
    for i in range(SAMPLES):
        name, data = ("resolve_minor", resolve) if i % 2 == 0 else ("sign_off_minor", send_back)
        start = time.perf_counter()
        bare_step(wf, name, data)
        steps.append(time.perf_counter() - start)
    for _ in range(SAMPLES):
        start = time.perf_counter()
        restored = STOCK_SERIALIZER.deserialize_json(STOCK_SERIALIZER.serialize_json(wf))
        round_trips.append(time.perf_counter() - start)
    assert restored is not None
    return statistics.median(steps), statistics.median(round_trips)


# ---- through the services ---------------------------------------------------------------------


def time_services(database_url: str) -> list[tuple[int, float]]:
    """(history size, median seconds per completion) at the start and at 10x history."""
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": database_url}
    )
    app.logger.disabled = True
    results = []
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        runner = app.test_cli_runner()
        assert runner.invoke(args=["seed-demo"]).exit_code == 0
        complaint = journeys.to_minor_resolution()
        base = history(complaint)
        results.append((base, loop(complaint)))
        while history(complaint) < base * 10:
            one_round(complaint)
        results.append((history(complaint), loop(complaint)))
        db.session.remove()
        db.engine.dispose()
    return results


def history(complaint) -> int:
    instance = db.session.get(ProcessInstance, complaint.instance.id)
    wf = engine.load_workflow(processes.specs_of(instance.process_version), instance.state)
    return engine.history_size(wf)


def one_round(complaint) -> None:
    journeys.complete(complaint, "resolve_minor")
    journeys.complete(complaint, "sign_off_minor", **SEND_BACK)


def loop(complaint) -> float:
    supervisor, manager = journeys.user("supervisor"), journeys.user("manager")
    samples = []
    for i in range(SAMPLES):
        name, who, data = (
            ("resolve_minor", supervisor, RESOLVE)
            if i % 2 == 0
            else ("sign_off_minor", manager, SEND_BACK)
        )
        task_id = journeys.open_task(complaint, name).id
        form = journeys.formdata(data)
        db.session.expire_all()  # a request starts with nothing cached
        start = time.perf_counter()
        workflows.complete_task(task_id, who, form)
        db.session.commit()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def bare_at(target: int) -> tuple[int, float, float]:
    wf = bare_workflow()
    resolve, send_back = form_data("resolve_minor"), form_data("sign_off", **SEND_BACK)
    while engine.history_size(wf) < target:
        bare_step(wf, "resolve_minor", resolve)
        bare_step(wf, "sign_off_minor", send_back)
    size = engine.history_size(wf)
    step, round_trip = time_bare(wf)
    return size, step, round_trip


def report(label: str, url: str) -> None:
    measured = time_services(url)
    print(f"\n{label}")
    print(
        f"{'history (tasks)':>16} {'bare step':>10} {'bare+JSON':>10} {'services':>10} {'ratio':>7}"
    )
    for size, service_s in measured:
        _size, bare_s, round_trip_s = bare_at(size)
        print(
            f"{size:>16} {bare_s * 1000:>8.2f}ms {(bare_s + round_trip_s) * 1000:>8.2f}ms "
            f"{service_s * 1000:>8.2f}ms {service_s / bare_s:>6.1f}x"
        )


def main() -> None:
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"median of {SAMPLES} completions each (resolve / sign-off sent back, alternating)")
    report("SQLite (file)", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite")
    if scratch.postgres_configured():
        with scratch.postgres_database("cf_bench") as url:
            report("PostgreSQL", url)


if __name__ == "__main__":
    main()
