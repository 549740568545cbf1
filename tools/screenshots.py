"""Make the README's screenshots (docs/screenshots/) from the demo, as `make run` shows it.

    .venv/bin/python tools/screenshots.py [--out docs/screenshots]

The app runs on a scratch SQLite database in a temporary directory, set up like `make run`
(COMPLAINTFLOW_DEMO=1, `flask init-db`, `flask seed-demo`: the demo users and about thirty-five
complaints at every stage), served on a free local port; Debian's Chromium (CHROMIUM, as the
browser tests use it) signs in as the role each page belongs to and saves it:

- inbox.png              the supervisor's inbox: their tasks and the unassigned ones of their
                         role, overdue and at-risk badges, bulk actions
- task-page.png          the investigator's open investigation of a major complaint: the form,
                         the case so far, the diagram with the current step, the history
- case-page.png          a closed complaint's page (manager): the diagram with every step
                         done, the grouped history, messages sent and the survey's answer
- dashboard.png          the manager's dashboard over the demo's months
- editor-validation.png  the process owner's editor, a timer's due time changed to "five
                         days": Validate marks the timer on the diagram and lists the problem

Nothing is written outside the temporary directory but the PNG files.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (same browser)

VIEWPORT = {"width": 1366, "height": 900}


def demo_environment(scratch: Path) -> dict[str, str]:
    """`make run`'s settings, every file the app writes kept under `scratch`."""
    return {
        **os.environ,
        "COMPLAINTFLOW_DEMO": "1",
        "SECRET_KEY": secrets.token_hex(32),  # not the demo's instance/secret_key
        "DATABASE_URL": f"sqlite:///{scratch / 'demo.sqlite'}",
        "UPLOAD_DIR": str(scratch / "uploads"),
        "DOCUMENT_DIR": str(scratch / "documents"),
        "INBOUND_MAIL_DIR": str(scratch / "inbound"),
        "MAIL_CATCHER_DIR": str(scratch / "mail"),
        "TIMERS_EXPECTED": "0",
    }


def seed(env: dict[str, str]) -> None:
    """The database `make run` starts with: migrated, procedure deployed, demo seeded."""
    flask = [str(Path(sys.executable).with_name("flask")), "--app", "app"]
    for command in (["init-db"], ["seed-demo"]):
        subprocess.run(  # noqa: S603 - our own flask command, fixed arguments
            flask + command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )


@contextmanager
def serve(env: dict[str, str]) -> Iterator[tuple[str, object]]:
    """The app on a free local port (a thread of this process); yields its URL and the app."""
    os.environ.update(env)
    from app import create_app

    app = create_app()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join(timeout=5)


def sign_in(browser: Browser, base: str, username: str, password: str) -> Page:
    """A new English page signed in as a demo user."""
    context = browser.new_context(locale="en-GB", viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{base}/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main form:has(input[name=password]) button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def save(page: Page, out: Path, name: str, *, full_page: bool = True) -> None:
    path = out / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def wait_for_diagram(page: Page) -> None:
    """The diagram drawn and centred on the current step (js/diagram.js)."""
    page.wait_for_selector(".bpmn-diagram .djs-container svg")
    page.wait_for_load_state("networkidle")


def pick_pages(app: object) -> tuple[str, int]:
    """The open investigation with the longest history, and the closed case with the longest."""
    from sqlalchemy import func

    from services.db import db
    from services.models import AuditEvent, Complaint, Task

    with app.app_context():  # type: ignore[attr-defined]
        events = (
            db.select(AuditEvent.complaint_id, func.count().label("n"))
            .group_by(AuditEvent.complaint_id)
            .subquery()
        )
        task_id = db.session.scalar(
            db.select(Task.id)
            .join(events, events.c.complaint_id == Task.complaint_id)
            .join(Complaint, Complaint.id == Task.complaint_id)
            .where(
                Task.status == "open",
                Task.name == "investigate_complaint",
                Complaint.confidential.is_(False),
            )
            .order_by(events.c.n.desc())
            .limit(1)
        )
        complaint_id = db.session.scalar(
            db.select(Complaint.id)
            .join(events, events.c.complaint_id == Complaint.id)
            .where(Complaint.status == "closed", Complaint.confidential.is_(False))
            .order_by(events.c.n.desc())
            .limit(1)
        )
    if task_id is None or complaint_id is None:
        raise SystemExit("the demo has no open investigation or no closed case")
    return task_id, complaint_id


def editor_with_a_problem(page: Page, base: str) -> None:
    """A minor resolution's overdue-review timer given 'five days', then Validate."""
    page.goto(f"{base}/processes/editor")
    page.wait_for_selector("#editor.is-ready")
    page.click("#tab-1")
    page.click('#pane-1 .djs-element[data-element-id="resolve_minor"]')
    expect(page.locator("[data-panel-id]")).to_have_text("resolve_minor")
    page.fill("#task-due", "five days")
    page.press("#task-due", "Tab")
    page.click("#validate-button")
    timer = page.locator('#pane-1 .djs-element[data-element-id="minor_sla"].has-error')
    expect(timer).to_be_visible()
    expect(page.locator("#problem-list")).to_contain_text("minor_sla")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Chromium not found at {CHROMIUM} (make browser installs it)")

    with tempfile.TemporaryDirectory(prefix="complaintflow-screens-") as scratch:
        env = demo_environment(Path(scratch))
        seed(env)
        password = os.environ.get("DEMO_PASSWORD", "demo-password")
        with serve(env) as (base, app), sync_playwright() as playwright:
            task_id, complaint_id = pick_pages(app)
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

            page = sign_in(browser, base, "supervisor", password)
            page.goto(f"{base}/inbox")
            save(page, out, "inbox")

            page = sign_in(browser, base, "investigator", password)
            page.goto(f"{base}/tasks/{task_id}")
            wait_for_diagram(page)
            save(page, out, "task-page")

            page = sign_in(browser, base, "manager", password)
            page.goto(f"{base}/complaints/{complaint_id}")
            wait_for_diagram(page)
            save(page, out, "case-page")
            page.goto(f"{base}/dashboard")
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1000)  # the charts' animation
            save(page, out, "dashboard")

            page = sign_in(browser, base, "owner", password)
            editor_with_a_problem(page, base)
            save(page, out, "editor-validation")
            browser.close()


if __name__ == "__main__":
    main()
