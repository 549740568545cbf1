"""A complaint's history stays out of its task tree (services/engine/history.py): a sign-off sent
back again and again leaves the case behaving exactly as after one round, and its stored state
no bigger.

The journeys run through the real services; the twin walks drive the same real engine twice,
once through our engine functions (which cut finished history after each step) and once as bare
SpiffWorkflow (which keeps it all), and compare everything our readers see after every step.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from forms import FORMS
from services import engine, instance_migration, notifications, processes, tracking, workflows
from services.db import db
from services.models import ProcessInstance
from tests import diagrams as d
from tests import journeys as j

pytestmark = pytest.mark.usefixtures("app_context")

SEND_BACK = {"sign_off_decision": "sent_back", "resolution_codes": [], "sign_off_comment": "More."}


def workflow_of(complaint) -> Any:
    instance = db.session.get(ProcessInstance, complaint.instance.id)
    return engine.load_workflow(processes.specs_of(instance.process_version), instance.state)


def sent_back(complaint, rounds: int) -> None:
    for _ in range(rounds):
        j.complete(complaint, "resolve_minor")
        j.complete(complaint, "sign_off_minor", **SEND_BACK)


def seen(complaint) -> dict[str, Any]:
    """What staff and the complainant see of the case (no times: the two cases run apart)."""
    complaint = j.refreshed(complaint)
    picture = workflows.diagram(complaint)
    return {
        "open": [(t.name, t.title, t.role, t.form_key) for t in j.open_tasks(complaint)],
        "status": complaint.status,
        "outcome": complaint.outcome,
        "closed": complaint.closed_at is not None,
        "waiting": sorted(workflows.waiting_for(complaint)),
        "appeal_window": workflows.appeal_deadline(complaint) is not None,
        "current": picture.current,
        "done": picture.done,
        "messages": [n.kind for n in notifications.for_complaint(complaint.id)],
        "finished": complaint.instance.completed,
        "timer": complaint.instance.next_timer_due is not None,
    }


def journey(rounds: int) -> list[dict[str, Any]]:
    """Send the sign-off back `rounds` times, then: the overdue review, approval, survey,
    appeal and review; what the case shows at each stage."""
    complaint = j.to_minor_resolution()
    timer = complaint.instance.next_timer_due
    sent_back(complaint, rounds)
    # Looping does not restart the minor case's overdue-review timer.
    assert j.refreshed(complaint).instance.next_timer_due == timer
    stages = [seen(complaint)]
    j.overdue(complaint, "resolve_minor")
    stages.append(seen(complaint))
    j.complete(complaint, "review_overdue_minor")
    j.complete(complaint, "resolve_minor")
    j.complete(complaint, "sign_off_minor")
    stages.append(seen(complaint))
    tracking.answer_survey(j.refreshed(complaint), 4, "")
    db.session.commit()
    stages.append(seen(complaint))
    tracking.request_review(j.refreshed(complaint), "The seal leaks again.")
    db.session.commit()
    stages.append(seen(complaint))
    j.complete(complaint, "review_case", review_decision="upheld")
    stages.append(seen(complaint))
    return stages


def test_a_sign_off_sent_back_thirty_times_ends_as_after_one_round():
    once, many = journey(1), journey(30)
    assert many == once
    after_loop, overdue, signed_off, surveyed, appealed, reviewed = many
    assert [t[0] for t in after_loop["open"]] == ["resolve_minor"]
    assert {"sign_off_minor", "minor_sign_off_decision", "merge_minor"} <= set(after_loop["done"])
    assert after_loop["current"] == ["resolve_minor"]  # the current step, not done
    assert [t[0] for t in overdue["open"]] == ["resolve_minor", "review_overdue_minor"]
    assert signed_off["status"] == "awaiting_feedback" and signed_off["appeal_window"]
    assert surveyed["status"] == "closed" and surveyed["outcome"] == "closed_with_survey"
    assert [t[0] for t in appealed["open"]] == ["review_case"] and appealed["outcome"] is None
    assert reviewed["outcome"] == "closed_after_review" and reviewed["finished"]
    assert "resolve_minor" in reviewed["done"] and "review_case" in reviewed["done"]


def test_the_stored_state_stays_bounded_as_the_sign_off_loops():
    complaint = j.to_minor_resolution()
    sent_back(complaint, 10)
    wf = workflow_of(complaint)
    tree, state = engine.history_size(wf), len(j.refreshed(complaint).instance.state)
    length = engine.history_length(wf)
    sent_back(complaint, 30)
    wf = workflow_of(complaint)
    # Thirty more rounds, four task instances each: the tree and the state do not grow.
    assert engine.history_length(wf) == length + 30 * 4
    assert engine.history_size(wf) == tree
    assert len(j.refreshed(complaint).instance.state) <= state + 16  # the count's digits
    # The steps cut out still count as done, and a sign-off still ends the minor case.
    assert "sign_off_minor" in engine.completed_element_ids(wf)
    j.complete(complaint, "resolve_minor")
    j.complete(complaint, "sign_off_minor")
    assert j.refreshed(complaint).status == "awaiting_feedback"


def test_a_migration_still_refuses_a_changed_step_done_only_in_cut_history():
    looped, once, fresh = j.to_minor_resolution(), j.to_minor_resolution(), j.to_minor_resolution()
    sent_back(looped, 12)
    sent_back(once, 1)
    wf = workflow_of(looped)
    done_in_tree = {
        t.task_spec.name
        for workflow in [wf, *wf.subprocesses.values()]
        for t in workflow.tasks.values()
        if t.state == TaskState.COMPLETED
    }
    assert "sign_off_minor" not in done_in_tree  # cut: only the summary remembers it
    # Inserting a call-back between resolution and sign-off changes both steps' flows.
    target = d.deploy_call_back()
    verdicts = {
        c.reference: c for c in instance_migration.dry_run(processes.get_version(1), target)
    }
    assert verdicts[looped.reference].reasons == verdicts[once.reference].reasons
    assert not verdicts[looped.reference].movable
    assert any(
        "'Sign off minor complaint' (sign_off_minor), already done" in reason
        for reason in verdicts[looped.reference].reasons
    )
    assert verdicts[fresh.reference].movable


# ---- twin walks: pruned (our engine functions) against bare SpiffWorkflow -----------------------

FAR = datetime(2100, 1, 1, tzinfo=UTC)
# What services.workflows.start seeds the engine with.
INTAKE = {**j.INTAKE, "information_requests": 0, "sensitive_at_intake": False}
PAST = "2000-01-01T00:00:00+00:00"


def view(wf: Any) -> dict[str, Any]:
    """Everything our readers take from a workflow, ids and times left out."""
    state = engine.snapshot(wf)
    return {
        "ready": sorted(
            (t.name, t.lane, t.form_key, t.clocks, t.due_at is None) for t in state.ready
        ),
        "data": state.data,
        "messages": state.waiting_messages,
        "timer": state.next_timer_due is None,
        "end": state.end_event,
        "outcome": state.outcome,
        "completed": state.completed,
        "clocks": (state.active_clocks, state.clocks_stopped),
        "done": engine.completed_element_ids(wf),
        "current": engine.active_element_ids(wf),
    }


def bare_complete(wf: BpmnWorkflow, name: str, data: dict[str, Any]) -> None:
    [task] = [
        t for t in wf.get_tasks(state=TaskState.READY, manual=True) if t.task_spec.name == name
    ]
    task.set_data(**data)
    task.run()
    wf.do_engine_steps()


def bare_send(wf: BpmnWorkflow, name: str, payload: dict[str, Any]) -> None:
    wf.send_event(BpmnEvent(MessageEventDefinition(name), payload=payload))
    wf.do_engine_steps()


def bare_fire(wf: BpmnWorkflow) -> None:
    for task in list(wf.event_manager.tasks.values()):
        value = task.internal_data.get("event_value")
        if isinstance(value, dict):
            value["next"] = PAST
        elif isinstance(value, str):
            task.internal_data["event_value"] = PAST
    wf.refresh_timers()
    wf.do_engine_steps()


def round_trip(specs: engine.Specs, wf: Any) -> Any:
    """As every request sees it: stored, then loaded."""
    return engine.load_workflow(specs, engine.dump_workflow(wf))


def twin_walk(
    rng: random.Random,
    specs: engine.Specs,
    data: dict,
    answer,
    steps: int,
    *,
    messages: float,
    timers: float,
    exact: bool = True,
) -> tuple[Any, BpmnWorkflow]:
    """Drive a pruned and a bare workflow with the same random actions, comparing each step.

    `answer(rng, name, form_key)` gives a user task's data. Both sides are stored and loaded
    between steps, as requests do. When the engine fails, it must fail on both sides.
    """
    pruned = engine.start_workflow(specs, data)
    bare = BpmnWorkflow(specs.spec, specs.subprocess_specs, script_engine=engine.SCRIPT_ENGINE)
    bare.get_next_task(state=TaskState.READY).set_data(**data)
    bare.do_engine_steps()
    for step in range(steps):
        pruned, bare = round_trip(specs, pruned), round_trip(specs, bare)
        seen_pruned, seen_bare = view(pruned), view(bare)
        assert seen_pruned == seen_bare, f"step {step}"
        if exact:  # nothing dropped by the engine itself: the cut tasks are all accounted for
            assert engine.history_length(pruned) == engine.history_size(bare), f"step {step}"
        if seen_pruned["completed"]:
            break
        ready = engine.ready_user_tasks(pruned)
        names = [t.name for t in ready]
        roll = rng.random()
        waits = sorted(seen_pruned["messages"])
        if waits and roll < messages:
            payload = {"answer": step, "score": rng.randint(1, 5), "reason": "x"}
            action: tuple = ("message", rng.choice(waits), payload)
        elif roll < messages + timers and not seen_pruned["timer"]:
            action = ("timers",)
        else:
            unique = [t for t in ready if names.count(t.name) == 1]
            if not unique:
                continue
            info = rng.choice(unique)
            action = ("task", info, answer(rng, info.name, info.form_key))
        failures = [act(bare, action, bare=True), act(pruned, action, bare=False)]
        assert (failures[0] is None) == (failures[1] is None), f"step {step}: {failures}"
        if failures[0] is not None:
            break
    return pruned, bare


def act(wf: Any, action: tuple, *, bare: bool) -> str | None:
    """Do `action` on the bare twin (SpiffWorkflow's calls) or the pruned one (our engine
    functions); the name of the error it raised, if any."""
    kind, *args = action
    try:
        if kind == "message":
            (bare_send if bare else engine.send_message)(wf, *args)
        elif kind == "timers" and bare:
            bare_fire(wf)
        elif kind == "timers":
            engine.fire_due_timers(wf, FAR)
        elif bare:
            bare_complete(wf, args[0].name, args[1])
        else:
            engine.run_user_task(wf, args[0].id, args[1])
    except Exception as exc:  # noqa: BLE001 - compared across the twins
        return type(exc).__name__
    return None


def complaint_answers(rng: random.Random, name: str, form_key: str | None) -> dict[str, Any]:
    """Valid answers for a task of the complaint procedure, looping often."""
    values = dict(j.ANSWERS[form_key])
    if form_key == "register_complaint" and rng.random() < 0.2:
        values.update(
            registration_outcome="incomplete", form_complete=False, missing_information="Invoice."
        )
    elif form_key == "classify_complaint":
        values.update(
            severity=rng.choice(["low", "high"]),
            sensitive=rng.random() < 0.2,
            breach_of_law=rng.random() < 0.1,
        )
    elif form_key == "sign_off" and rng.random() < 0.7:
        values.update(SEND_BACK)
    elif form_key == "investigate_complaint" and rng.random() < 0.5:
        values.update(
            escalation_requested=True,
            escalation_target=rng.choice(["senior_management", "legal_counsel", "police"]),
            escalation_reason="Beyond us.",
        )
    elif form_key == "approve_escalation" and rng.random() < 0.6:
        values.update(escalation_decision="refused", escalation_comment="No.")
    elif form_key == "review_overdue":
        values["overdue_action"] = rng.choice(["reminded_handler", "taken_over"])
    form = FORMS[form_key](j.formdata(values))
    assert form.validate(), form.errors
    return form.task_data()


@pytest.mark.parametrize("seed", range(4))
def test_the_procedure_sees_the_same_with_and_without_its_history(seed):
    specs = processes.specs_of(processes.active_version())
    rng = random.Random(20261201 + seed)  # noqa: S311
    for _ in range(3):
        pruned, bare = twin_walk(
            rng, specs, INTAKE, complaint_answers, steps=120, messages=0.1, timers=0.04
        )
        assert engine.history_size(pruned) <= engine.history_size(bare)


def test_three_hundred_send_backs_do_not_stall_the_engine():
    """Bare SpiffWorkflow stops finding tasks past a tree depth of 1,000 (about 250 rounds of
    this loop): the cut history keeps the tree shallow, so the loop goes on."""
    specs = processes.specs_of(processes.active_version())
    wf = engine.start_workflow(specs, INTAKE)
    rng = random.Random(1)  # noqa: S311

    def step(name: str, **answers: Any) -> None:
        [task] = [t for t in engine.ready_user_tasks(wf) if t.name == name]
        values = {**complaint_answers(rng, task.name, task.form_key), **answers}
        engine.run_user_task(wf, task.id, values)

    step("register_complaint", registration_outcome="complete")
    step("classify_complaint", severity="low", sensitive=False, breach_of_law=False)
    assert [m.name for m in engine.thrown_messages(wf)] == ["acknowledgement"]
    resolve = complaint_answers(rng, "resolve_minor", "resolve_minor")
    back = FORMS["sign_off"](j.formdata({**j.ANSWERS["sign_off"], **SEND_BACK})).task_data()
    for _ in range(300):
        [task] = engine.ready_user_tasks(wf)
        engine.run_user_task(wf, task.id, resolve)
        [task] = engine.ready_user_tasks(wf)
        engine.run_user_task(wf, task.id, back)
    assert engine.history_length(wf) > 1200 and engine.history_size(wf) < 60
    [task] = engine.ready_user_tasks(wf)
    engine.run_user_task(wf, task.id, resolve)
    [task] = engine.ready_user_tasks(wf)
    approve = FORMS["sign_off"](j.formdata(j.ANSWERS["sign_off"])).task_data()
    engine.run_user_task(wf, task.id, approve)
    assert [m.name for m in engine.thrown_messages(wf)] == ["response_letter", "survey_invitation"]
    assert "survey_answered" in engine.waiting_messages(wf)


# A loop through what the complaint procedure does not use, to show that nothing the engine
# reads is cut: a parallel split and join, a user task with a non-interrupting timer, a message
# catch, a call activity, an inclusive split and join, an embedded subprocess, and an event
# subprocess started by a message at any time.
LAB = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="lab"
    targetNamespace="http://example.org/lab">
  <bpmn:message id="msg_go" name="go" />
  <bpmn:message id="msg_ping" name="ping" />
  <bpmn:process id="loop_lab" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:exclusiveGateway id="merge" />
    <bpmn:parallelGateway id="par_split" />
    <bpmn:userTask id="left" />
    <bpmn:userTask id="right" />
    <bpmn:parallelGateway id="par_join" />
    <bpmn:userTask id="timed" />
    <bpmn:boundaryEvent id="remind" attachedToRef="timed" cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:scriptTask id="count_reminder"><bpmn:script>reminders = reminders + 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="reminded" />
    <bpmn:intermediateCatchEvent id="wait_go">
      <bpmn:messageEventDefinition messageRef="msg_go" />
    </bpmn:intermediateCatchEvent>
    <bpmn:callActivity id="call" calledElement="called" />
    <bpmn:inclusiveGateway id="incl_split" default="to_z" />
    <bpmn:userTask id="x_task" />
    <bpmn:userTask id="y_task" />
    <bpmn:userTask id="z_task" />
    <bpmn:inclusiveGateway id="incl_join" />
    <bpmn:subProcess id="sub">
      <bpmn:startEvent id="sub_start" />
      <bpmn:userTask id="sub_task" />
      <bpmn:endEvent id="sub_end" />
      <bpmn:sequenceFlow id="s1" sourceRef="sub_start" targetRef="sub_task" />
      <bpmn:sequenceFlow id="s2" sourceRef="sub_task" targetRef="sub_end" />
    </bpmn:subProcess>
    <bpmn:exclusiveGateway id="decide" default="to_done" />
    <bpmn:endEvent id="done" />
    <bpmn:subProcess id="on_ping" triggeredByEvent="true">
      <bpmn:startEvent id="ping_start" isInterrupting="false">
        <bpmn:messageEventDefinition messageRef="msg_ping" />
      </bpmn:startEvent>
      <bpmn:userTask id="ping_task" />
      <bpmn:endEvent id="ping_end" />
      <bpmn:sequenceFlow id="p1" sourceRef="ping_start" targetRef="ping_task" />
      <bpmn:sequenceFlow id="p2" sourceRef="ping_task" targetRef="ping_end" />
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="merge" />
    <bpmn:sequenceFlow id="f2" sourceRef="merge" targetRef="par_split" />
    <bpmn:sequenceFlow id="f3" sourceRef="par_split" targetRef="left" />
    <bpmn:sequenceFlow id="f4" sourceRef="par_split" targetRef="right" />
    <bpmn:sequenceFlow id="f5" sourceRef="left" targetRef="par_join" />
    <bpmn:sequenceFlow id="f6" sourceRef="right" targetRef="par_join" />
    <bpmn:sequenceFlow id="f7" sourceRef="par_join" targetRef="timed" />
    <bpmn:sequenceFlow id="f8" sourceRef="remind" targetRef="count_reminder" />
    <bpmn:sequenceFlow id="f9" sourceRef="count_reminder" targetRef="reminded" />
    <bpmn:sequenceFlow id="f10" sourceRef="timed" targetRef="wait_go" />
    <bpmn:sequenceFlow id="f11" sourceRef="wait_go" targetRef="call" />
    <bpmn:sequenceFlow id="f12" sourceRef="call" targetRef="incl_split" />
    <bpmn:sequenceFlow id="to_x" sourceRef="incl_split" targetRef="x_task">
      <bpmn:conditionExpression>pick_x</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="to_y" sourceRef="incl_split" targetRef="y_task">
      <bpmn:conditionExpression>pick_y</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="to_z" sourceRef="incl_split" targetRef="z_task" />
    <bpmn:sequenceFlow id="f13" sourceRef="x_task" targetRef="incl_join" />
    <bpmn:sequenceFlow id="f14" sourceRef="y_task" targetRef="incl_join" />
    <bpmn:sequenceFlow id="f15" sourceRef="z_task" targetRef="incl_join" />
    <bpmn:sequenceFlow id="f16" sourceRef="incl_join" targetRef="sub" />
    <bpmn:sequenceFlow id="f17" sourceRef="sub" targetRef="decide" />
    <bpmn:sequenceFlow id="again" sourceRef="decide" targetRef="merge">
      <bpmn:conditionExpression>again</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="to_done" sourceRef="decide" targetRef="done" />
  </bpmn:process>
  <bpmn:process id="called" isExecutable="true">
    <bpmn:startEvent id="called_start" />
    <bpmn:userTask id="inner" />
    <bpmn:endEvent id="called_end" />
    <bpmn:sequenceFlow id="c1" sourceRef="called_start" targetRef="inner" />
    <bpmn:sequenceFlow id="c2" sourceRef="inner" targetRef="called_end" />
  </bpmn:process>
</bpmn:definitions>
"""


def lab_answers(rng: random.Random, name: str, form_key: str | None) -> dict[str, Any]:
    return {"again": rng.random() < 0.8, "pick_x": rng.random() < 0.5, "pick_y": rng.random() < 0.5}


@pytest.mark.parametrize("seed", range(3))
def test_joins_timers_calls_and_event_subprocesses_see_the_same_without_their_history(seed):
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(LAB.encode())
    specs = engine.Specs(parser.get_spec("loop_lab"), parser.get_subprocess_specs("loop_lab"))
    rng = random.Random(seed)  # noqa: S311
    for _ in range(8):
        # The engine may drop a finished subprocess with its task (and its cut history with
        # it): the counts are not compared here, what the readers see is.
        twin_walk(
            rng,
            specs,
            {"reminders": 0},
            lab_answers,
            steps=70,
            messages=0.2,
            timers=0.1,
            exact=False,
        )
