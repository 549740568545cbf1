"""Cost of completing one user task: through our services vs. bare SpiffWorkflow, same diagram.

Both sides run the same loop on processes/complaint_handling.bpmn: the supervisor resolves a
minor complaint, the manager sends the sign-off back, again and again. Bare SpiffWorkflow keeps
the workflow in memory and times `task.set_data(); task.run(); wf.do_engine_steps()`. Through
the services, one completion is what a request does: load the complaint's state, validate the
form, run the step, save state + task table + audit, commit.

Measured at the start of the loop (each sample on a complaint at its first resolution) and on
a complaint whose history is 10x longer (history: the task instances the complaint has had),
the two in turn so that a busy machine slows both alike. Bare SpiffWorkflow keeps its whole
history in its task tree; the services cut finished tasks out after each step
(services/engine/history.py), so the table gives both trees' sizes and the stored state's size
beside the times, and the growth of each time from the start to 10x history.
First, the cost of the bounds on diagram code: evaluations per second through the restricted
evaluator with and without its time budget and size guards, and a bare completion with each.

    .venv/bin/python benchmarks/engine.py            # SQLite in a temp dir
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/engine.py        # also PostgreSQL (a scratch database)
"""

from __future__ import annotations

import builtins
import operator
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from flask_migrate import upgrade
from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import full_write_guard, safer_getattr
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
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
from services.engine import limits, sandbox  # noqa: E402
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


@cache
def bare_specs() -> tuple:
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(ROOT / "processes/complaint_handling.bpmn"))
    parser.add_dmn_file(str(ROOT / "processes/complaint_routing.dmn"))
    return parser.get_spec("complaint_handling"), parser.get_subprocess_specs("complaint_handling")


def bare_workflow() -> BpmnWorkflow:
    """A complaint at its first minor resolution, on bare SpiffWorkflow."""
    spec, subprocess_specs = bare_specs()
    wf = BpmnWorkflow(spec, subprocess_specs, script_engine=engine.SCRIPT_ENGINE)
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


def time_bare(target: int) -> tuple[Side, Side]:
    """Bare SpiffWorkflow (nothing cut) at the start and with `target` task instances.

    The two are measured in turn, step by step, so that a busy machine slows both alike; each
    start sample steps a workflow still at the start (a new one every two steps).
    """
    long = bare_workflow()
    resolve, send_back = form_data("resolve_minor"), form_data("sign_off", **SEND_BACK)
    while engine.history_size(long) < target:
        bare_step(long, "resolve_minor", resolve)
        bare_step(long, "sign_off_minor", send_back)
    sizes = (engine.history_size(bare_workflow()), engine.history_size(long))
    steps: tuple[list[float], list[float]] = ([], [])
    fresh = bare_workflow()
    for i in range(SAMPLES):
        name, data = ("resolve_minor", resolve) if i % 2 == 0 else ("sign_off_minor", send_back)
        if i % 2 == 0:
            fresh = bare_workflow()
        for side in (0, 1) if i % 4 < 2 else (1, 0):
            wf = fresh if side == 0 else long
            start = time.perf_counter()
            bare_step(wf, name, data)
            steps[side].append(time.perf_counter() - start)
    fresh = bare_workflow()
    round_trips: tuple[list[float], list[float]] = ([], [])
    for i in range(SAMPLES):
        for side in (0, 1) if i % 2 == 0 else (1, 0):
            wf = fresh if side == 0 else long
            start = time.perf_counter()
            restored = STOCK_SERIALIZER.deserialize_json(STOCK_SERIALIZER.serialize_json(wf))
            round_trips[side].append(time.perf_counter() - start)
            assert restored is not None
    return tuple(
        Side(
            sizes[side],
            sizes[side],
            len(STOCK_SERIALIZER.serialize_json(fresh if side == 0 else long)),
            statistics.median(steps[side]),
            statistics.median(round_trips[side]),
        )
        for side in (0, 1)
    )


@dataclass(frozen=True)
class Side:
    """One complaint's history and what a completion cost at it."""

    length: int  # task instances the complaint has had
    in_tree: int  # of which still in its task tree
    state_bytes: int  # its stored state (bare: SpiffWorkflow's own JSON, spec included)
    seconds: float  # median per completion (bare: the step alone)
    round_trip: float = 0.0  # bare: median JSON serialize + deserialize


# ---- the bounds on diagram code (services/engine/limits.py) ------------------------------------


class UnboundedEnvironment(engine.RestrictedEnvironment):
    """The restricted evaluator as it was before the bounds: RestrictedPython's own policy."""

    def __init__(self) -> None:
        super().__init__()
        self.compiled: dict[tuple[str, str], object] = {}
        ops = {"+=": operator.add, "*=": operator.mul}
        self.globals = {
            "__builtins__": {
                **sandbox._BUILTINS,
                **{name: getattr(builtins, name) for name in limits.BUILTINS},
            },
            "_getattr_": safer_getattr,
            "_getitem_": default_guarded_getitem,
            "_getiter_": default_guarded_getiter,
            "_write_": full_write_guard,
            "_inplacevar_": lambda op, x, y: ops[op](x, y),
            **sandbox.DIAGRAM_HELPERS,
        }

    def _code(self, source: str, mode: str) -> object:
        code = self.compiled.get((mode, source))
        if code is None:
            compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
            code = self.compiled[(mode, source)] = compiler(source).code
        return code

    def _scope(self) -> dict:
        return dict(self.globals)

    def evaluate(self, expression, context, external_context=None):  # noqa: ANN001, ANN201
        scope = {**self._scope(), **(external_context or {}), **context}
        return eval(self._code(expression, "eval"), scope)  # noqa: S307

    def execute(self, script, context, external_context=None):  # noqa: ANN001, ANN201
        local = dict(context)
        exec(self._code(script, "exec"), {**self._scope(), **(external_context or {})}, local)  # noqa: S102
        context.update({k: v for k, v in local.items() if not callable(v)})
        return True


BOUND_CASES = [
    ("gateway condition", "eval", "route == 'major' and financial_impact > 100"),
    ("DMN cell", "eval", "severity in ('high', 'critical')"),
    ("condition with a call", "eval", "len(route) == 5 and financial_impact > 100"),
    ("script, 1,000-step loop", "exec", "total = 0\nfor x in range(1000):\n    total += x * 2"),
    ("script, 10,000-step while", "exec", "i = 0\nwhile i < 10000:\n    i += 1"),
]
BOUND_DATA = {"route": "major", "financial_impact": 250, "severity": "high"}


def evaluations_per_second(env: engine.RestrictedEnvironment, mode: str, source: str) -> float:
    """Best of 5 runs of as many evaluations as fit in about 0.2 s."""
    run = env.evaluate if mode == "eval" else env.execute
    run(source, dict(BOUND_DATA))  # compile once, as the cache does
    count, best = 1, 0.0
    while True:
        start = time.perf_counter()
        for _ in range(count):
            run(source, dict(BOUND_DATA))
        if time.perf_counter() - start > 0.05:
            break
        count *= 2
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(count):
            run(source, dict(BOUND_DATA))
        best = max(best, count / (time.perf_counter() - start))
    return best


def bare_step_with(script_engine: PythonScriptEngine) -> float:
    """Median seconds of a bare completion (resolve / send back) with this script engine."""
    wf = bare_workflow()
    wf.script_engine = script_engine
    resolve, send_back = form_data("resolve_minor"), form_data("sign_off", **SEND_BACK)
    samples = []
    for i in range(SAMPLES):
        name, data = ("resolve_minor", resolve) if i % 2 == 0 else ("sign_off_minor", send_back)
        start = time.perf_counter()
        bare_step(wf, name, data)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def report_bounds() -> None:
    """Evaluations per second without the time and size guards, with them, and with the
    backstop's process limits besides (lowered around code that calls); a bare completion."""
    bounded, unbounded = engine.RestrictedEnvironment(), UnboundedEnvironment()
    print("\nBounds on diagram code (time budget + size guards; + backstop), evaluations/s")
    print(
        f"{'':>28} {'unbounded':>11} {'bounded':>11} {'overhead':>9} "
        f"{'backstop':>11} {'µs more':>8}"
    )
    rows = []
    for label, mode, source in BOUND_CASES:
        plain = evaluations_per_second(unbounded, mode, source)
        guarded = evaluations_per_second(bounded, mode, source)
        rows.append((label, plain, guarded))
    plain_step = bare_step_with(PythonScriptEngine(environment=unbounded))
    guarded_step = bare_step_with(engine.SCRIPT_ENGINE)
    if not limits.enable_backstop():
        raise SystemExit("the backstop needs a single-threaded process")
    try:
        for (label, plain, guarded), (_, mode, source) in zip(rows, BOUND_CASES, strict=True):
            stopped = evaluations_per_second(bounded, mode, source)
            print(
                f"{label:>28} {plain:>11,.0f} {guarded:>11,.0f} {plain / guarded - 1:>8.0%} "
                f"{stopped:>11,.0f} {(1 / stopped - 1 / guarded) * 1e6:>8.2f}"
            )
        stopped_step = bare_step_with(engine.SCRIPT_ENGINE)
    finally:
        limits.disable_backstop()
    print(
        f"{'bare completion (median)':>28} {plain_step * 1000:>9.2f}ms "
        f"{guarded_step * 1000:>9.2f}ms {guarded_step / plain_step - 1:>8.0%} "
        f"{stopped_step * 1000:>9.2f}ms"
    )
    started = time.perf_counter()
    try:
        bounded.execute("while True:\n    pass", {})
    except engine.EvaluationLimitExceeded:
        pass
    print(f"{'while True: pass stopped in':>28} {time.perf_counter() - started:>21.2f}s")


# ---- through the services ---------------------------------------------------------------------


def time_services(database_url: str) -> tuple[Side, Side]:
    """Completions at the start of a complaint and at 10x its history, measured in turn.

    Each start sample completes a task of a complaint at its first resolution (a new one every
    two completions); the other complaint was sent back until its history was 10x longer.
    """
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": database_url}
    )
    app.logger.disabled = True
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        runner = app.test_cli_runner()
        assert runner.invoke(args=["seed-demo"]).exit_code == 0
        long = journeys.to_minor_resolution()
        base = history(long)
        while history(long)[0] < base[0] * 10:
            one_round(long)
        histories = (base, history(long))
        supervisor, manager = journeys.user("supervisor"), journeys.user("manager")
        samples: tuple[list[float], list[float]] = ([], [])
        fresh = long
        for i in range(SAMPLES):
            name, who, data = (
                ("resolve_minor", supervisor, RESOLVE)
                if i % 2 == 0
                else ("sign_off_minor", manager, SEND_BACK)
            )
            if i % 2 == 0:
                fresh = journeys.to_minor_resolution()
            for side in (0, 1) if i % 4 < 2 else (1, 0):
                complaint = fresh if side == 0 else long
                samples[side].append(timed_completion(complaint, name, who, data))
        db.session.remove()
        db.engine.dispose()
    return tuple(Side(*histories[side], statistics.median(samples[side])) for side in (0, 1))


def history(complaint) -> tuple[int, int, int]:
    """(task instances the complaint has had, of which in its task tree, state bytes)."""
    instance = db.session.get(ProcessInstance, complaint.instance.id)
    wf = engine.load_workflow(processes.specs_of(instance.process_version), instance.state)
    return engine.history_length(wf), engine.history_size(wf), len(instance.state)


def one_round(complaint) -> None:
    journeys.complete(complaint, "resolve_minor")
    journeys.complete(complaint, "sign_off_minor", **SEND_BACK)


def timed_completion(complaint, name: str, who, data: dict) -> float:
    """Seconds to complete the complaint's open task `name` as a request does, and commit."""
    task_id = journeys.open_task(complaint, name).id
    form = journeys.formdata(data)
    db.session.expire_all()  # a request starts with nothing cached
    start = time.perf_counter()
    workflows.complete_task(task_id, who, form)
    db.session.commit()
    return time.perf_counter() - start


def report(label: str, url: str) -> None:
    services = time_services(url)
    bare = time_bare(services[1].length)
    print(f"\n{label}")
    print(
        f"{'':>8} {'---------- bare SpiffWorkflow ----------':>40}  "
        f"{'------------ services ------------':>34}"
    )
    print(
        f"{'history':>8} {'tree':>6} {'JSON KB':>8} {'step':>10} {'step+JSON':>11}  "
        f"{'tree':>6} {'state KB':>8} {'completion':>11} {'ratio':>6}"
    )
    for ours, theirs in zip(services, bare, strict=True):
        print(
            f"{ours.length:>8} {theirs.in_tree:>6} {theirs.state_bytes / 1024:>8.1f} "
            f"{theirs.seconds * 1000:>8.2f}ms {(theirs.seconds + theirs.round_trip) * 1000:>9.2f}ms"
            f"  {ours.in_tree:>6} {ours.state_bytes / 1024:>8.1f} {ours.seconds * 1000:>9.2f}ms "
            f"{ours.seconds / theirs.seconds:>5.1f}x"
        )
    print(
        f"{'growth':>8} {'':>6} {'':>8} {bare[1].seconds / bare[0].seconds:>9.2f}x "
        f"{(bare[1].seconds + bare[1].round_trip) / (bare[0].seconds + bare[0].round_trip):>10.2f}x"
        f"  {'':>6} {'':>8} {services[1].seconds / services[0].seconds:>10.2f}x"
    )


def main() -> None:
    scratch.arguments(__doc__).parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"median of {SAMPLES} completions each (resolve / sign-off sent back, alternating)")
    report_bounds()
    with scratch.sqlite_database("bench") as url:
        report("SQLite (file)", url)
    if scratch.postgres_configured():
        with scratch.postgres_database("cf_bench") as url:
            report("PostgreSQL", url)


if __name__ == "__main__":
    main()
