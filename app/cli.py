"""`flask` commands: database, deploy, users, demo data, timers."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app import exports, rounds
from app.core import MissingSecretKey
from app.delivery_cli import deliver_messages, mail_catcher
from app.mail_in import receive_mail
from app.presets_cli import apply_at_setup, list_presets, set_preset
from app.production import check_config
from services import (
    api_tokens,
    attachments,
    business_calendar,
    calendar_settings,
    demo,
    departments,
    documents,
    instance_migration,
    message_templates,
    presets,
    processes,
    providers,
    reporting,
    staff_notices,
    timers,
    users,
    workflows,
)
from services.clock import utcnow
from services.db import db, write_transactions
from services.engine import limits
from services.errors import DomainError
from services.models import Complaint


def register(app: Flask) -> None:
    """Attach the commands to the app's CLI (refusing ones when the secret key is missing)."""
    for command in (
        init_db,
        deploy_processes,
        create_user,
        issue_token,
        create_service_account,
        seed_demo,
        tick,
        run_timers,
        rebuild_reports,
        sweep_uploads,
        retry_timers,
        migrate_complaints,
        deliver_messages,
        mail_catcher,
        receive_mail,
        send_digests,
        set_preset,
        list_presets,
    ):
        if app.config.get("SECRET_KEY_MISSING"):
            command = _refusing(command)
        app.cli.add_command(command)
    app.cli.add_command(check_config)  # runs without a secret key: it says one is missing


def _refusing(command: click.Command) -> click.Command:
    """The same command, listed and documented, that says what is missing when run."""

    def refuse(**_params: Any) -> None:
        raise MissingSecretKey()

    return click.Command(
        command.name,
        params=command.params,
        callback=refuse,
        help=command.help,
        short_help=command.short_help,
    )


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema (runs the migrations)."""
    from flask_migrate import upgrade  # Alembic, loaded only by the commands that migrate

    upgrade()
    click.echo("Database is at the latest schema.")
    chosen = apply_at_setup(None)  # COMPLAINTFLOW_PRESET, the first time only
    if chosen:
        click.echo(chosen)


def deploy_from_directory(directory: str | None = None, comment: str = "") -> str:
    """Deploy the diagrams of a directory and describe what happened."""
    path = Path(directory or current_app.config["PROCESSES_DIR"])
    result = processes.deploy(processes.read_directory(path), comment=comment)
    templates = message_templates.seed()  # the default message of each kind and language
    db.session.commit()
    version = result.version
    state = "deployed" if result.created else "unchanged, still active"
    warnings = "".join(f"\nwarning: {w}" for w in result.warnings)
    seeded = f"\n{templates} default message templates added." if templates else ""
    return (
        f"Process {version.process_id} version {version.version} {state} ({path})."
        f"{warnings}{seeded}"
    )


@click.command("deploy-processes")
@click.option("--directory", default=None, help="Directory of .bpmn/.dmn files.")
@click.option("--comment", default="", help="Why this version.")
@with_appcontext
def deploy_processes(directory: str | None, comment: str) -> None:
    """Validate and deploy the diagrams in processes/ as a new version."""
    try:
        click.echo(deploy_from_directory(directory, comment))
    except DomainError as exc:
        db.session.rollback()
        for problem in exc.details.get("problems", [exc.message]):
            click.echo(f"refused: {problem}", err=True)
        raise SystemExit(1) from exc


@click.command("create-user")
@click.argument("username")
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, required=True)
@click.option("--email", default="")
@click.password_option()
@with_appcontext
def create_user(
    username: str, name: str, roles: tuple[str, ...], email: str, password: str
) -> None:
    """Add a staff member."""
    try:
        users.create_user(username, name, password, roles, email)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"User {username} created with roles {', '.join(roles)}.")


def _names(text: str) -> list[str]:
    """A comma-separated list, without blanks."""
    return [part.strip() for part in text.split(",") if part.strip()]


@click.command("issue-token")
@click.argument("username")
@click.option("--name", default=api_tokens.CLI_NAME, show_default=True, help="The token's name.")
@click.option(
    "--scopes",
    default="",
    help="Comma-separated, among read,tasks,intake,admin; default: all the user's roles allow.",
)
@click.option("--expires-days", type=click.IntRange(1, api_tokens.MAX_DAYS), default=None)
@with_appcontext
def issue_token(username: str, name: str, scopes: str, expires_days: int | None) -> None:
    """Issue an API token for a user (replaces their token of the same name)."""
    user = users.by_username(username)
    if user is None or not user.active:
        raise click.ClickException(f"No active user '{username}'.")
    try:
        expires_at = api_tokens.expiry(expires_days)
        token = api_tokens.issue(user, name, _names(scopes) or None, expires_at)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"API token for {username}, shown once; send 'Authorization: Bearer <token>':")
    click.echo(token)


@click.command("create-service-account")
@click.argument("username")
@click.option("--name", default="", help="Display name (default: the user name).")
@click.option("--roles", required=True, help="Comma-separated roles, e.g. process_owner.")
@with_appcontext
def create_service_account(username: str, name: str, roles: str) -> None:
    """Add an account for a program: roles and API tokens, no password sign-in."""
    try:
        users.create_service_account(username, name or username, _names(roles))
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(
        f"Service account {username} created; issue its token with "
        f"`flask issue-token {username}` or POST /api/v1/tokens as an administrator."
    )


@click.command("seed-demo")
@click.option(
    "--preset",
    type=click.Choice(presets.names()),
    default=None,
    help="Service-level preset (processes/presets); default COMPLAINTFLOW_PRESET.",
)
@click.option(
    "--complaints/--no-complaints",
    default=None,
    help="Also file a few dozen demo complaints at every stage (default: in the demo, "
    "COMPLAINTFLOW_DEMO=1, as `make run` sets it; not in the tests' seed).",
)
@with_appcontext
def seed_demo(preset: str | None, complaints: bool | None) -> None:
    """Deploy the default procedure, create one demo user per role and, in the demo, demo
    complaints (once: nothing is added to a database that has complaints)."""
    click.echo(deploy_from_directory(comment="default procedure"))
    chosen = apply_at_setup(preset)  # before any complaint: their clocks follow it
    if chosen:
        click.echo(chosen)
    password = current_app.config["DEMO_PASSWORD"]
    users.ensure_demo_users(password)
    providers.ensure_demo_providers()
    calendar_settings.settings()  # the calendar row: the migration's, or the defaults again
    if current_app.config["DEMO"]:
        # The demo organisation's annual closure days; not in the tests' seed, whose due
        # times must not depend on the day they run.
        calendar_settings.ensure_demo_closures(business_calendar.local_today())
        # Departments and teams for the public form's list, "my team" and task routing.
        departments.ensure_demo_organisation()
    db.session.commit()
    if current_app.config["DEMO"] if complaints is None else complaints:
        started = time.monotonic()
        with documents.printing_in_this_process():
            filed = demo.seed()
        # The demo moves each step back to its moment after the roll-ups counted it today:
        # count again, or the dashboard of the demo reads zeros.
        if filed:
            reporting.rebuild()
        db.session.commit()
        if filed:
            figures = ", ".join(f"{n} {status}" for status, n in demo.counts(filed).items())
            seconds = time.monotonic() - started
            click.echo(f"Demo complaints: {len(filed)} ({figures}) in {seconds:.1f} s.")
        else:
            click.echo("Demo complaints: the database has complaints already; none added.")
    click.echo(f"Demo users (password: {password}):")
    width = max(len(name) for _username, name, _roles in users.DEMO_USERS)
    for username, name, roles in users.DEMO_USERS:
        click.echo(f"  {username:<13} {name:<{width}} {', '.join(roles)}")


@click.command("tick")
@click.option("--now", default=None, help="Pretend it is this ISO time (for drills).")
@with_appcontext
def tick(now: str | None) -> None:
    """Fire the timers that are due."""
    when = datetime.fromisoformat(now) if now else utcnow()
    report = workflows.tick(when)
    db.session.commit()
    for reference, fired in report.fired.items():
        click.echo(f"{reference}: {', '.join(fired) or 'nothing due'}")
    for instance, error in report.failed.items():
        click.echo(f"instance {instance} failed: {error}", err=True)


@click.command("rebuild-reports")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Recompute only the days from this date (YYYY-MM-DD) on.",
)
@with_appcontext
def rebuild_reports(since: datetime | None) -> None:
    """Recompute the dashboard's daily figures from the complaints (after an import, a
    change of time zone or of processes/reporting.toml)."""
    written = reporting.rebuild(since.date() if since is not None else None)
    db.session.commit()
    click.echo(f"Report rows written: {written}.")


@click.command("run-timers")
@click.option("--interval", default=1.0, help="Longest sleep between polls, in seconds.")
@with_appcontext
def run_timers(interval: float) -> None:
    """Fire timers as they fall due, forever (the scheduler process)."""
    write_transactions(db.engine)
    # One thread: diagram code runs under the process-limit backstop, and a runaway C call
    # ends the process (tools/run-demo.sh starts it again; the rounds after it set the
    # complaint aside, services/timer_attempts.py).
    limits.enable_backstop(current_app.config["BACKSTOP_CPU_SECONDS"])
    click.echo(f"Firing due timers (polling at least every {interval}s); Ctrl-C to stop.")
    try:
        timer_loop(interval, echo=click.echo)
    except KeyboardInterrupt:
        click.echo("Timer process stopped.")


def timer_loop(
    interval: float = 1.0,
    *,
    until: Callable[[], bool] = lambda: False,
    echo: Callable[[str], None] = lambda _line: None,
    clock: Callable[[], datetime] = utcnow,
    sleep: Callable[[float], None] = time.sleep,
    max_backoff: float = 60.0,
    beat_every: float = 5.0,
    sweep_every: float = 3600.0,
    digest_every: float = 3600.0,
) -> None:
    """Tick, commit, then sleep until the next due timer (at most `interval`), until `until()`.

    Nothing stops it: a failed round (the database gone, say) is logged and retried after
    one second, doubled after each further failure up to `max_backoff`; a complaint whose
    timers raise is recorded and skipped by services.workflows.tick. Every `beat_every`
    seconds it records a heartbeat (for /healthz), every `sweep_every` it sweeps orphan uploads,
    every `digest_every` it queues the daily digests that are due. Each round builds at most one
    queued export job (app/exports.py); the hourly sweep removes the expired export files.
    """
    from app import background  # its refresh_derived; the module imports Celery

    failures = 0
    last_beat: datetime | None = None
    last_sweep: datetime | None = None
    last_digests: datetime | None = None
    while not until():
        try:
            now = clock()
            # On PostgreSQL the round takes the timer lock, as the Celery rounds do: another
            # timer process's round in progress is skipped, not met halfway.
            report = workflows.tick(now) if background.timer_lock() else workflows.TickReport()
            if last_beat is None or (now - last_beat).total_seconds() >= beat_every:
                timers.beat(now)
                last_beat = now
            db.session.commit()
            # The report days the saves changed, /improvement's recurring problems ahead.
            background.refresh_derived()
            # Without a broker, the export jobs are built here, one per round.
            exports.build_next_export()
            for reference, fired in report.fired.items():
                echo(f"{now.isoformat()} {reference}: {', '.join(fired)}")
            for instance, error in report.failed.items():
                current_app.logger.error("timers: instance %s failed: %s", instance, error)
            background.log_set_aside(report)
            if last_digests is None or (now - last_digests).total_seconds() >= digest_every:
                # Each user gets at most one a day (staff_notices.DIGEST_EVERY); the hourly
                # look only catches those whose day has come round.
                staff_notices.send_digests(now)
                db.session.commit()
                last_digests = now
            if last_sweep is None or (now - last_sweep).total_seconds() >= sweep_every:
                last_sweep = now
                _sweep_quietly(utcnow())  # file times are real times, whatever `clock` says
                exports.remove_expired_exports()
            next_due = workflows.next_due()
            wait = interval
            if next_due is not None:
                wait = min(interval, max(0.0, (next_due - clock()).total_seconds()))
            rounds.recovered("timers", failures)
            failures = 0
        except Exception as exc:  # noqa: BLE001 - the scheduler must outlive any failure
            failures += 1
            wait = rounds.failed("timers", failures, max_backoff, exc)
            last_beat = None
        finally:
            db.session.remove()
        sleep(wait)


def _sweep_quietly(now: datetime) -> None:
    """Sweep orphan uploads from the timer loop; a failure is logged, never raised."""
    try:
        removed = attachments.sweep_orphans(
            current_app.config["UPLOAD_DIR"],
            grace=timedelta(seconds=current_app.config["UPLOAD_SWEEP_GRACE"]),
            now=now,
        )
    except Exception:  # noqa: BLE001 - the sweep must not stop the timers
        current_app.logger.exception("timers: sweeping orphan uploads failed")
        return
    if removed:
        current_app.logger.warning("timers: removed %d orphan upload(s)", len(removed))


@click.command("send-digests")
@click.option("--now", default=None, help="Pretend it is this ISO time (for drills).")
@with_appcontext
def send_digests(now: str | None) -> None:
    """Queue the daily digest of overdue tasks for each member of staff who asked for it."""
    when = datetime.fromisoformat(now) if now else utcnow()
    queued = staff_notices.send_digests(when)
    db.session.commit()
    click.echo(f"{len(queued)} digest(s) queued.")


@click.command("sweep-uploads")
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
@click.option(
    "--grace",
    type=float,
    default=None,
    help="Keep files younger than this many seconds (default UPLOAD_SWEEP_GRACE).",
)
@with_appcontext
def sweep_uploads(dry_run: bool, grace: float | None) -> None:
    """Remove files in UPLOAD_DIR that no attachment names, once older than the grace period."""
    seconds = current_app.config["UPLOAD_SWEEP_GRACE"] if grace is None else grace
    removed = attachments.sweep_orphans(
        current_app.config["UPLOAD_DIR"],
        grace=timedelta(seconds=seconds),
        now=utcnow(),
        dry_run=dry_run,
    )
    verb = "would remove" if dry_run else "removed"
    for path in removed:
        click.echo(f"{verb} {path}")
    click.echo(f"{len(removed)} orphan file(s) {verb}.")


@click.command("retry-timers")
@click.argument("reference")
@with_appcontext
def retry_timers(reference: str) -> None:
    """Let the timer loop fire a complaint's timers again after repeated failures."""
    complaint_id = db.session.scalar(
        db.select(Complaint.id).where(Complaint.reference == reference.strip().upper())
    )
    if complaint_id is None:
        raise click.ClickException(f"No complaint '{reference}'.")
    timers.retry(complaint_id, None)
    db.session.commit()
    click.echo(f"{reference}: its timers will fire again.")


@click.command("migrate-complaints")
@click.option("--from", "from_number", type=int, required=True, help="Version they run on.")
@click.option("--to", "to_number", type=int, required=True, help="Version to move them to.")
@click.option("--process", "process_id", default=processes.DEFAULT_PROCESS_ID)
@click.option("--reference", "references", multiple=True, help="Only this complaint (repeat).")
@click.option("--dry-run", is_flag=True, help="Only say which could move and why not.")
@with_appcontext
def migrate_complaints(
    from_number: int, to_number: int, process_id: str, references: tuple[str, ...], dry_run: bool
) -> None:
    """Move running complaints to another process version, one transaction per complaint."""
    try:
        source = processes.get_version(from_number, process_id)
        target = processes.get_version(to_number, process_id)
        candidates = instance_migration.dry_run(source, target, references=list(references))
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    moved = refused = 0
    for candidate in candidates:
        if dry_run:
            verdict = (
                "can move" if candidate.movable else "cannot move: " + "; ".join(candidate.reasons)
            )
            click.echo(f"{candidate.reference}: {verdict}")
            for change in candidate.form_changes:
                click.echo(f"  form of {change.step}: {change.summary()}")
            continue
        try:
            instance_migration.migrate(candidate.complaint_id, target, None)
            db.session.commit()
            moved += 1
            click.echo(f"{candidate.reference}: moved to version {to_number}")
        except Exception as exc:  # noqa: BLE001 - one complaint's failure must not stop the rest
            db.session.rollback()
            refused += 1
            why = exc.message if isinstance(exc, DomainError) else str(exc)
            click.echo(f"{candidate.reference}: not moved: {why}", err=True)
    if not dry_run:
        click.echo(f"{moved} moved, {refused} not moved, of {len(candidates)} running.")
