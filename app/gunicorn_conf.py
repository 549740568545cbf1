"""gunicorn settings of production, `make run` and every web machine:
`gunicorn -c python:app.gunicorn_conf "app:create_app()"` (complaintflow-production passes them).

A module of the package rather than a file beside it, so that an installed package has them.

The app is imported once, in the master, before the workers are forked (preload_app): a
worker SIGKILLed or recycled is replaced by a fork that serves at once instead of spending a
second or two of CPU importing the app while its sibling takes all the traffic, and the
workers share the imported code's pages with the master. gc.freeze() moves everything the
import made out of the collector's sight, so collections in a worker do not write to (and so
copy) those shared pages.

Each sync worker serves one request at a time on one thread, so it runs diagram code under
the backstop of services/engine/limits.py (post_fork): a C call of a diagram's code that
outlasts its CPU limit ends the worker (its request's connection closes, its transaction
rolls back) and the master starts another.
"""

from __future__ import annotations

import gc
from typing import Any

from gunicorn.glogging import Logger

from app.log_redaction import redacted

preload_app = True
# The longest request line gunicorn reads (its largest; 4094 by default). Past it gunicorn
# answers an HTML 414 the app never sees: the API's text filters are bounded
# (app/api/schemas.FILTER_TEXT_LIMITS) so that a request the OpenAPI document allows fits,
# with every character percent-encoded from four bytes.
limit_request_line = 8190


class RedactingLogger(Logger):
    """The access log without the tokens of tracking, survey and password links."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        """gunicorn's access-log fields, each with its path secrets hidden."""
        return {
            key: redacted(value)
            for key, value in super().atoms(resp, req, environ, request_time).items()
        }


logger_class = RedactingLogger


def when_ready(server: Any) -> None:
    """In the master, once the app is imported and before the first fork."""
    gc.collect()
    gc.freeze()


def post_fork(server: Any, worker: Any) -> None:
    """In each new worker: no database connection inherited from the master is reused, and a
    sync worker (one thread) bounds diagram code with its process limits."""
    from gunicorn.workers.sync import SyncWorker

    from services.db import db
    from services.engine import limits

    app = server.app.wsgi()
    with app.app_context():
        db.engine.dispose(close=False)
    if isinstance(worker, SyncWorker):  # not gthread or gevent: their threads share the limits
        limits.enable_backstop(app.config["BACKSTOP_CPU_SECONDS"])
