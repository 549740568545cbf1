"""Celery's worker entry point: `celery -A app.worker worker` (beat: app/beat.py).

The app is built from the environment (DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY...) as
the web server builds it, without the web layer (app/core.py): the tasks (app/background.py)
use the services, never a page or the API."""

from app import background
from app.core import create_core

flask_app = create_core()
celery = background.init(flask_app)
