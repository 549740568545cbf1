"""Configuration: defaults that run the demo out of the box, each override named explicitly."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


def from_environment(instance_path: str) -> dict[str, Any]:
    """Settings read from environment variables, with demo-friendly defaults."""
    default_db = f"sqlite:///{Path(instance_path) / 'complaintflow.sqlite'}"
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", default_db),
        "PROCESSES_DIR": os.environ.get("PROCESSES_DIR", str(REPO_ROOT / "processes")),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(Path(instance_path) / "uploads")),
        "DEMO_PASSWORD": os.environ.get("DEMO_PASSWORD", "demo-password"),
        # Demo mode makes up a secret key; production refuses to start without one.
        "DEMO": os.environ.get("COMPLAINTFLOW_DEMO", "0") == "1",
        "BABEL_DEFAULT_LOCALE": "en",
        "LANGUAGES": ("en", "fr"),
        "MAX_CONTENT_LENGTH": 55 * 1024 * 1024,  # five 10 MB attachments and the form
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # memory:// suits one process; use redis://127.0.0.1:6379 behind several workers.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # How to reach the complaints service, on the public "how we handle complaints" page.
        "COMPLAINTS_PHONE": os.environ.get("COMPLAINTS_PHONE", "+221 33 800 00 00"),
        "COMPLAINTS_FREE_PHONE": os.environ.get("COMPLAINTS_FREE_PHONE", "800 00 00 00"),
        "COMPLAINTS_EMAIL": os.environ.get("COMPLAINTS_EMAIL", "reclamations@example.org"),
        "COMPLAINTS_POSTAL_ADDRESS": os.environ.get(
            "COMPLAINTS_POSTAL_ADDRESS", "Service des réclamations, BP 1000, Dakar, Sénégal"
        ),
        "COMPLAINTS_COUNTER": os.environ.get(
            "COMPLAINTS_COUNTER", "12 avenue de l'Indépendance, Dakar · Mon–Fri 8:00–17:00"
        ),
        # The external body a complainant can turn to after our final answer.
        "RECOURSE_BODY": os.environ.get(
            "RECOURSE_BODY", "Médiateur de la consommation, mediateur@example.org"
        ),
        # Complaints filed through the JSON API, per client address.
        "API_FILING_RATE_LIMIT": os.environ.get(
            "API_FILING_RATE_LIMIT", "10 per minute;100 per day"
        ),
    }
