"""Celery's worker entry point: `celery -A app.worker worker` (beat: app/beat.py).

The app is built from the environment (DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY...) as
the web server builds it; the tasks are in app/background.py."""

from app import background, create_app

flask_app = create_app()
celery = background.init(flask_app)
