"""Configuration: defaults that run the demo out of the box, each override named explicitly."""

from __future__ import annotations

import os
from datetime import timedelta
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
        # Files in UPLOAD_DIR that no attachment names are removed once this old (seconds),
        # so an upload still in its request is never touched (flask sweep-uploads).
        "UPLOAD_SWEEP_GRACE": float(os.environ.get("UPLOAD_SWEEP_GRACE", "3600")),
        # /healthz: is a timer process expected, and how old may its heartbeat be (seconds).
        "TIMERS_EXPECTED": os.environ.get("TIMERS_EXPECTED", "1") == "1",
        "HEALTH_TIMER_MAX_AGE": float(os.environ.get("HEALTH_TIMER_MAX_AGE", "60")),
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
            "COMPLAINTS_COUNTER", "12 avenue de l'Indépendance, Dakar · 8:00–17:00"
        ),
        # Complaints filed through the JSON API, per client address.
        "API_FILING_RATE_LIMIT": os.environ.get(
            "API_FILING_RATE_LIMIT", "10 per minute;100 per day"
        ),
        # Public forms (filing, replies, survey), one budget per client address.
        "PUBLIC_POST_RATE_LIMIT": os.environ.get(
            "PUBLIC_POST_RATE_LIMIT", "10 per minute;50 per day"
        ),
        # Failed sign-ins, per account and per client address (successes are not counted).
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "5 per minute;20 per hour"),
        "LOGIN_ADDRESS_RATE_LIMIT": os.environ.get(
            "LOGIN_ADDRESS_RATE_LIMIT", "20 per minute;100 per hour"
        ),
        # Gunicorn's worker count: several workers need shared rate-limit storage (Redis).
        "WEB_CONCURRENCY": int(os.environ.get("WEB_CONCURRENCY", "1")),
        # Staff sessions end after this many hours, remembered or not.
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=float(os.environ.get("SESSION_HOURS", "8"))),
        "REMEMBER_COOKIE_DURATION": timedelta(hours=float(os.environ.get("SESSION_HOURS", "8"))),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Cookies over HTTPS only, and HSTS: on by default outside demo mode and tests
        # (unset = automatic; SECURE_COOKIES=0 for a plain-HTTP intranet, =1 to force).
        "SECURE_COOKIES": _optional_flag(os.environ.get("SECURE_COOKIES")),
        # Host names this site answers to (comma-separated); any other Host header is a 400.
        # Unset: SERVER_NAME's host if set, else localhost and 127.0.0.1 (see app/security.py).
        "TRUSTED_HOSTS": [
            host.strip() for host in os.environ.get("ALLOWED_HOSTS", "").split(",") if host.strip()
        ]
        or None,
        # Behind a reverse proxy: how many proxies set X-Forwarded-For / -Proto (0 = none).
        "PROXY_FIX_X_FOR": int(os.environ.get("PROXY_FIX_X_FOR", "0")),
        "PROXY_FIX_X_PROTO": int(os.environ.get("PROXY_FIX_X_PROTO", "0")),
        "PROXY_FIX_X_HOST": int(os.environ.get("PROXY_FIX_X_HOST", "0")),
    }


def _optional_flag(value: str | None) -> bool | None:
    """'1'/'0' (also true/false, yes/no) as a bool; unset or empty as None."""
    if not value:
        return None
    return value.strip().lower() in ("1", "true", "yes", "on")
