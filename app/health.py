"""GET /healthz for load balancers and scripts: database, migrations, timer heartbeat.

No sign-in, JSON, never rate limited. 200 when every check passes, else 503 naming the
failed checks. Each check reads as little as it can: SELECT 1, the alembic_version row, the
heartbeat row, and the count of complaints whose timers are set aside (a partial index:
none, usually), which the timers check carries without failing on it.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from typing import Any

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from app.config import REPO_ROOT
from app.extensions import limiter
from services import timers
from services.clock import utcnow
from services.db import db

bp = Blueprint("health", __name__)


@cache
def migration_heads() -> frozenset[str]:
    """The head revisions of migrations/ (read once per process): the revisions no other
    revision names as its down_revision. Read from the files' `revision = ...` and
    `down_revision = ...` lines rather than through Alembic, which web workers then never
    import (Alembic and Mako: about 10 MiB in each)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (REPO_ROOT / "migrations" / "versions").glob("*.py"):
        found = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        if "revision" in found:
            revisions.add(ast.literal_eval(found["revision"]))
            down = ast.literal_eval(found.get("down_revision", "None"))
            parents.update((down,) if isinstance(down, str) else down or ())
    return frozenset(revisions - parents)


# `revision = "..."` and `down_revision = "..."` (or a tuple, or None) as Alembic writes them.
_REVISION_LINE = re.compile(
    r"^(revision|down_revision)(?:\s*:[^=\n]+)?\s*=\s*(.+?)\s*(?:#.*)?$", re.MULTILINE
)


@bp.get("/healthz")
@limiter.exempt
def healthz() -> Any:
    """Is this instance fit to serve: database, migrations, timer and delivery processes."""
    checks: dict[str, dict[str, Any]] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
    except SQLAlchemyError as exc:
        db.session.rollback()
        current_app.logger.warning("healthz: database unreachable: %s", _one_line(exc))
        checks["database"] = {"ok": False, "error": "unreachable"}
        return _answer(checks)
    checks["migrations"] = _migrations()
    if current_app.config["TIMERS_EXPECTED"]:
        # The background processes `make run` and production start beside the web workers.
        for name in (timers.TIMERS, timers.DELIVERY):
            checks[name] = _heartbeat(name)
        # Complaints whose timers ended the timer process and were set aside: a problem for
        # the process owner (/processes/versions), not a reason to take this instance out.
        checks[timers.TIMERS]["set_aside"] = timers.set_aside_count()
    return _answer(checks)


def _migrations() -> dict[str, Any]:
    heads = migration_heads()
    try:
        current = frozenset(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except SQLAlchemyError:
        db.session.rollback()
        current = frozenset()
    result: dict[str, Any] = {"ok": current == heads, "database": sorted(current)}
    if current != heads:
        result["expected"] = sorted(heads)
    return result


def _heartbeat(name: str) -> dict[str, Any]:
    beat = timers.last_beat(name)
    max_age = current_app.config["HEALTH_TIMER_MAX_AGE"]
    if beat is None:
        return {"ok": False, "error": "no heartbeat yet", "max_age": max_age}
    age = (utcnow() - beat).total_seconds()
    return {"ok": age <= max_age, "age": round(age, 1), "max_age": max_age}


def _answer(checks: dict[str, dict[str, Any]]) -> Any:
    failed = sorted(name for name, check in checks.items() if not check["ok"])
    body: dict[str, Any] = {"status": "fail" if failed else "ok", "checks": checks}
    if failed:
        body["failed"] = failed
    return jsonify(body), 503 if failed else 200


def _one_line(exc: BaseException) -> str:
    return " ".join(str(getattr(exc, "orig", None) or exc).split())[:300]


_last_cause = ""


def unreachable(exc: OperationalError) -> bool:
    """True for a failure to reach the database (connect refused, connection lost)."""
    return exc.statement is None or exc.connection_invalidated


def log_unreachable(exc: OperationalError) -> None:
    """Log why the database is unreachable, once per distinct cause (not once per request)."""
    global _last_cause
    cause = _one_line(exc)
    if cause != _last_cause:
        _last_cause = cause
        current_app.logger.error("database unreachable: %s", cause)
