"""Celery beat's entry point: `celery -A app.beat beat`.

Beat only sends the rounds' task names on their schedule (app/schedule.py); the worker
(app/worker.py) runs them. So beat builds no Flask app and imports neither SQLAlchemy nor the
engine: about 53 MiB resident instead of the ~113 MiB of the worker's main process. Its
settings come from the same environment variables as the app's (CELERY_BROKER_URL,
CELERY_QUEUE, BACKGROUND_TIMER_INTERVAL, BACKGROUND_DELIVERY_INTERVAL,
BACKGROUND_REPORT_INTERVAL).
"""

from celery import Celery

from app.config import REPO_ROOT, from_environment
from app.schedule import celery_settings

celery = Celery("app")
celery.conf.update(celery_settings(from_environment(str(REPO_ROOT / "instance"))))
