"""Locust users of the load test (benchmarks/load.py runs them; not a benchmark on its own).

Locust loads this file in its own process (gevent), so it imports nothing of the app: the
tokens, the demo password and the answers per form come from the JSON file LOAD_PLAN names,
and what the users saw (every latency and status per operation, the complaints answered 201)
is written to the plan's "out" file when Locust quits.

- Complainant: files a complaint (POST /api/v1/complaints), then follows it
  (GET /api/v1/tracking, X-Tracking-Token header) and answers the survey when it is open.
- Clerk: an agent, supervisor or manager with a bearer token reads the inbox
  (GET /api/v1/tasks) and completes tasks from it (POST /api/v1/tasks/{id}/complete).
- Manager: signs in through /auth/login (CSRF token from the form) and reads /dashboard, and
  lists complaints with the API (GET /api/v1/complaints).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task

# Empty when the file is only read (`--help`): Locust's users need the plan load.py writes.
PLAN: dict[str, Any] = (
    json.loads(Path(os.environ["LOAD_PLAN"]).read_text()) if "LOAD_PLAN" in os.environ else {}
)
LATENCIES: dict[str, list[float]] = defaultdict(list)
STATUSES: Counter[str] = Counter()
FILED: list[int] = []
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CLERKS = itertools.cycle(("agent", "supervisor", "supervisor", "manager"))

# Operation names: one line of the report each, whatever the id in the path.
FILE = "POST /api/v1/complaints"
TRACK = "GET /api/v1/tracking"
SURVEY = "POST /api/v1/tracking/survey"
INBOX = "GET /api/v1/tasks"
COMPLETE = "POST /api/v1/tasks/{id}/complete"
LIST = "GET /api/v1/complaints"
DASHBOARD = "GET /dashboard"
LOGIN = "POST /auth/login"


@events.request.add_listener
def _record(name: str, response_time: float, response: Any = None, **_kw: Any) -> None:
    """Every request's latency (ms) and status; 0 is a connection reset or refused."""
    LATENCIES[name].append(response_time)
    STATUSES[f"{name}\t{getattr(response, 'status_code', 0) or 0}"] += 1


@events.quitting.add_listener
def _dump(**_kw: Any) -> None:
    Path(PLAN["out"]).write_text(
        json.dumps({"latencies": LATENCIES, "statuses": STATUSES, "filed": FILED})
    )


def _bearer(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {PLAN['tokens'][who]}"}


class Complainant(HttpUser):
    """Files a complaint and follows it; answers the survey once the case is resolved."""

    weight = 5
    wait_time = between(2, 6)

    def on_start(self) -> None:
        self.token: str | None = None
        self.file()

    @task(1)
    def file(self) -> None:
        n = random.randrange(10**9)  # noqa: S311 - load, not security
        body = {
            **PLAN["complaint"],
            "email": f"load-{n}@example.org",
            "description": f"{PLAN['complaint']['description']} (case {n})",
        }
        with self.client.post("/api/v1/complaints", json=body, name=FILE, catch_response=True) as r:
            if r.status_code == 201:
                answer = r.json()
                FILED.append(answer["id"])
                self.token = answer["tracking_token"]

    @task(4)
    def follow(self) -> None:
        if self.token is None:
            return self.file()
        headers = {"X-Tracking-Token": self.token}
        with self.client.get(
            "/api/v1/tracking", headers=headers, name=TRACK, catch_response=True
        ) as r:
            survey = r.status_code == 200 and r.json().get("awaiting_survey")
        if survey:
            self.client.post(
                "/api/v1/tracking/survey",
                json={"score": random.randint(1, 5), "comment": "Load test."},  # noqa: S311
                headers=headers,
                name=SURVEY,
            )
            self.token = None  # closed: file another one next time


class Clerk(HttpUser):
    """A member of staff with a bearer token: reads the inbox, completes tasks from it."""

    weight = 4
    wait_time = between(1, 4)

    def on_start(self) -> None:
        self.who = next(CLERKS)
        self.headers = _bearer(self.who)

    def _inbox(self) -> list[dict[str, Any]]:
        with self.client.get(
            "/api/v1/tasks?per_page=25", headers=self.headers, name=INBOX, catch_response=True
        ) as r:
            return r.json()["tasks"] if r.status_code == 200 else []

    @task(3)
    def read_inbox(self) -> None:
        self._inbox()

    @task(2)
    def complete(self) -> None:
        known = [t for t in self._inbox() if t["form_key"] in PLAN["answers"]]
        if not known:
            return
        chosen = random.choice(known)  # noqa: S311 - spread the clerks over the tasks
        with self.client.post(
            chosen["links"]["complete"],
            json=PLAN["answers"][chosen["form_key"]],
            headers=self.headers,
            name=COMPLETE,
            catch_response=True,
        ) as r:
            if r.status_code == 409:
                # Another clerk of the same role took it first: the refusal is the right answer.
                r.success()


class Manager(HttpUser):
    """Signs in with the browser form, reads the dashboard and the complaints list."""

    weight = 1
    wait_time = between(3, 8)

    def on_start(self) -> None:
        page = self.client.get("/auth/login", name="GET /auth/login")
        found = CSRF.search(page.text or "")
        self.client.post(
            "/auth/login",
            data={
                "username": "manager",
                "password": PLAN["password"],
                "csrf_token": found.group(1) if found else "",
            },
            name=LOGIN,
            allow_redirects=False,
        )

    @task(1)
    def dashboard(self) -> None:
        self.client.get("/dashboard", name=DASHBOARD, allow_redirects=False)

    @task(2)
    def complaints(self) -> None:
        self.client.get("/api/v1/complaints?limit=25", headers=_bearer("manager"), name=LIST)


if __name__ == "__main__":
    print(__doc__)  # not a benchmark of its own: benchmarks/load.py runs these users
