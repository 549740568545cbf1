"""Celery's worker entry point: `celery -A app.worker worker` (beat: app/beat.py).

The app is built from the environment (DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY...) as
the web server builds it, without the web layer (app/core.py): the tasks (app/background.py)
use the services, never a page or the API.

Each pool process runs one task at a time on one thread, so it runs diagram code under the
backstop of services/engine/limits.py: a C call of a diagram's code that outlasts its CPU
limit ends that process, and the pool starts another. Only prefork pool processes enable it
(worker_process_init is sent in them alone), at their first task: billiard gives SIGXCPU a
Python handler after worker_process_init, which would never run during a C call."""

from typing import Any

from celery.signals import task_prerun, worker_process_init

from app import background
from app.core import create_core
from services.engine import limits

flask_app = create_core()
celery = background.init(flask_app)

_in_pool_process = False


@worker_process_init.connect
def _pool_process_started(**_kwargs: Any) -> None:
    global _in_pool_process
    _in_pool_process = True


@task_prerun.connect
def _bound_diagram_code(**_kwargs: Any) -> None:
    if _in_pool_process and not limits.backstop_enabled():
        limits.enable_backstop(flask_app.config["BACKSTOP_CPU_SECONDS"])
