"""What the background loops (timers, delivery) do when a round fails or works again.

A loop must outlive any failure: it logs the error, drops its pooled connections so the next
round connects afresh, and waits 1 s, doubling up to a bound, before the next try.
"""

from __future__ import annotations

from flask import current_app

from services.db import database_locked, db


def failed(loop: str, failures: int, max_backoff: float, exc: BaseException) -> float:
    """Log the `failures`-th failed round in a row and forget the connections; the wait.

    A first round refused because another process held SQLite's write lock (the embedded
    default's loops and the web server share one file) is routine and retried at once: a
    warning. The same twice in a row, or any other failure, is an error."""
    wait = min(max_backoff, 2.0 ** (failures - 1))
    routine = failures == 1 and database_locked(exc)
    log = current_app.logger.warning if routine else current_app.logger.error
    log(
        "%s: round failed (%d in a row), retrying in %.1fs: %s",
        loop,
        failures,
        wait,
        " ".join(str(exc).split())[:500],
    )
    forget_connections()
    return wait


def recovered(loop: str, failures: int) -> None:
    """Say that a loop works again after failed rounds (nothing after a good one)."""
    if failures:
        current_app.logger.warning("%s: working again after %d failed rounds", loop, failures)


def forget_connections() -> None:
    """Roll back and drop pooled connections, so the next round connects afresh."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001, S110 - the connection may be gone already
        pass
    db.session.remove()
    db.engine.dispose()
