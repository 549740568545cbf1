"""Property: whatever staff, complainants and the clock do, every complaint closes, and every open
task can be done by someone.

Seeded random walks through the real services and engine: random valid answers at every open
task, random complainant replies (information, survey, review requests, withdrawal), staff
reopening, and timers fired at random moments by moving the clock passed to `tick`.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from forms.lists import shipped as shipped_lists
from services import permissions, tracking, workflows
from services.clock import utcnow
from services.db import db
from services.models import Complaint, Task, User
from tests import journeys as j

pytestmark = pytest.mark.usefixtures("app_context")

WALKS = 60
# Two tests of thirty walks, so that the two test workers share them.
CHUNK = 30
MAX_STEPS = 80
SEED = 20261128


def answers(rng: random.Random, task: Task, earlier: str | None) -> dict[str, Any]:
    """Random valid answers for the task's form; `earlier` is a complaint a duplicate may name
    (none before the test's first complaint that is not confidential)."""
    key = task.form_key
    values = dict(j.ANSWERS[key])
    if key == "register_complaint":
        outcome = rng.choices(
            ["complete", "incomplete", "not_a_complaint", "duplicate"],
            [70, 18, 7, 5 if earlier else 0],
        )[0]
        values["registration_outcome"] = outcome
        if outcome == "incomplete":
            values.update(form_complete=False, missing_information="Your invoice, please.")
        if outcome == "duplicate":
            values["duplicate_of"] = earlier
    elif key == "classify_complaint":
        values.update(
            category=rng.choice(shipped_lists().values("categories")),
            severity=rng.choice(shipped_lists().values("severities")),
            breach_of_law=rng.random() < 0.1,
            safety_issue=rng.random() < 0.1,
            sensitive=rng.random() < 0.1,
            financial_impact=rng.choice(["", "10.00", "999.99", "5000.00"]),
        )
    elif key == "sign_off" and rng.random() < 0.25:
        values.update(sign_off_decision="sent_back", resolution_codes=[], sign_off_comment="More.")
    elif key == "investigate_complaint" and rng.random() < 0.4:
        values.update(
            escalation_requested=True,
            escalation_target=rng.choice(["senior_management", "legal_counsel", "police"]),
            escalation_reason="Beyond us.",
        )
    elif key == "approve_escalation" and rng.random() < 0.3:
        values.update(escalation_decision="refused", escalation_comment="No.")
    elif key == "review_overdue":
        form = workflows.task_form(task)
        people = {
            "reassigned": [c.value for c in form.reassign_to.iter_choices() if c.value],
            "escalated": [c.value for c in form.escalate_to.iter_choices() if c.value],
        }
        action = rng.choice(
            ["reminded_handler", "taken_over", "deadline_extended", "reassigned", "escalated"]
        )
        if action in people and not people[action]:
            action = "reminded_handler"
        values["overdue_action"] = action
        if action == "deadline_extended":
            values["extend_days"] = rng.randint(1, 10)
        elif action == "reassigned":
            values["reassign_to"] = rng.choice(people["reassigned"])
        elif action == "escalated":
            values["escalate_to"] = rng.choice(people["escalated"])
    elif key == "review_case":
        values["review_decision"] = rng.choice(["upheld", "partially_upheld", "not_upheld"])
    return values


def workers(task: Task, users: list[User]) -> list[User]:
    """Active users who may complete the task now (role, confidentiality, assignee, four eyes)."""
    return [
        u
        for u in users
        if permissions.can_view_task(u, task)
        and not permissions.excluded_by_four_eyes(u, task)
        and task.assignee_id in (None, u.id)
    ]


def check_invariants(complaint: Complaint, users: list[User]) -> list[Task]:
    """Every open task has someone who may do it; an unfinished case waits for something."""
    open_tasks = j.open_tasks(complaint)
    for task in open_tasks:
        assert workers(task, users), f"{complaint.reference}: nobody may do {task.name}"
    instance = complaint.instance
    if not instance.completed:
        assert open_tasks or workflows.waiting_for(complaint) or instance.next_timer_due, (
            f"{complaint.reference} is stuck at {complaint.status}"
        )
    return open_tasks


def walk(rng: random.Random, users: list[User], earlier: str | None = None) -> int:
    """One random complaint from filing to its end; returns the number of steps it took."""
    complaint = j.file(sensitive_at_intake=rng.random() < 0.15)
    offset = timedelta(0)
    for step in range(MAX_STEPS):
        complaint = j.refreshed(complaint)
        open_tasks = check_invariants(complaint, users)
        if complaint.instance.completed:
            assert complaint.status == "closed" and complaint.outcome, complaint.reference
            assert complaint.closed_at is not None
            return step
        waiting = workflows.waiting_for(complaint)
        roll = rng.random()
        if open_tasks and roll < 0.7:
            task = rng.choice(open_tasks)
            actor = rng.choice(workers(task, users))
            workflows.complete_task(task.id, actor, j.formdata(answers(rng, task, earlier)))
        elif "information_received" in waiting and roll < 0.85:
            workflows.deliver_message(complaint, "information_received", {"information": "x"})
        elif "survey_answered" in waiting and roll < 0.45:
            tracking.answer_survey(complaint, rng.randint(1, 5), "")
        elif "complaint_withdrawn" in waiting and roll < 0.8:
            tracking.withdraw(complaint, "Changed my mind.")
        elif "appeal_requested" in waiting and roll < 0.8 and complaint.reopen_count < 2:
            tracking.request_review(complaint, "Please look again.")
        elif "case_reopened" in waiting and roll < 0.85 and complaint.reopen_count < 2:
            role = "focal" if complaint.confidential else "manager"
            workflows.reopen_by_staff(complaint, j.user(role), "New evidence.")
        else:
            offset += timedelta(days=rng.choice([0.5, 2, 3, 6, 15, 31, 60]))
            report = workflows.tick(utcnow() + offset)
            assert not report.failed, report.failed
        db.session.commit()
    raise AssertionError(f"{complaint.reference} not closed after {MAX_STEPS} steps")


@pytest.mark.parametrize(
    "first", range(0, WALKS, CHUNK), ids=lambda first: f"walks-{first}-{first + CHUNK - 1}"
)
def test_random_walks_always_close_and_never_strand_a_task(first):
    users = list(db.session.scalars(db.select(User).where(User.active.is_(True))))
    steps, earlier = [], None
    for n in range(first, first + CHUNK):
        # A seed per walk: each walk is the same whichever walks run before it.
        steps.append(walk(random.Random(SEED + n), users, earlier))  # noqa: S311
        earlier = earlier or db.session.scalar(
            db.select(Complaint.reference).where(Complaint.confidential.is_(False)).limit(1)
        )
    outcomes = set(
        db.session.scalars(db.select(Complaint.outcome).where(Complaint.outcome.is_not(None)))
    )
    # The walks cover the procedure's main ends, not one path over and over.
    assert {"closed_with_survey", "closed_without_survey", "closed_after_review"} <= outcomes
    assert max(steps) < MAX_STEPS
