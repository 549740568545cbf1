"""Celery's settings and beat's schedule, from the app's configuration.

Kept apart from app/background.py (the tasks, which need the whole app) so that Celery beat
(app/beat.py) can build its schedule without building the app.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def celery_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """Broker, queue, late acknowledgement and the beat schedule of the background rounds."""
    broker = config.get("CELERY_BROKER_URL")
    backend = config.get("CELERY_RESULT_BACKEND")
    timers = float(config["BACKGROUND_TIMER_INTERVAL"])
    delivery = float(config["BACKGROUND_DELIVERY_INTERVAL"])
    reports = float(config["BACKGROUND_REPORT_INTERVAL"])
    return {
        "broker_url": broker or "memory://",
        "result_backend": backend,
        "task_ignore_result": not backend,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": config.get("CELERY_QUEUE") or "complaintflow",
        "broker_connection_retry_on_startup": True,
        "timezone": "UTC",
        "beat_schedule": {
            "fire-timers": {
                "task": "complaintflow.fire_timers",
                "schedule": timers,
                # A round not started within its interval is superseded by the next one.
                "options": {"expires": timers * 5},
            },
            "refresh-reports": {
                "task": "complaintflow.refresh_reports",
                "schedule": reports,
                "options": {"expires": reports * 5},
            },
            "deliver-messages": {
                "task": "complaintflow.deliver_messages",
                "schedule": delivery,
                "options": {"expires": delivery * 5},
            },
            "send-digests": {"task": "complaintflow.send_digests", "schedule": 3600.0},
            "sweep-uploads": {"task": "complaintflow.sweep_uploads", "schedule": 3600.0},
            "expire-exports": {"task": "complaintflow.expire_exports", "schedule": 3600.0},
        },
    }
