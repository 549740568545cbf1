"""Configuration: defaults that run the demo out of the box, each override named explicitly."""

from __future__ import annotations

import math
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from services import presets

REPO_ROOT = Path(__file__).resolve().parent.parent
# The demo's address (make run sets its own port); production must say where it is reached.
DEFAULT_PUBLIC_BASE_URL = "http://localhost:5000"
# What an on/off setting may say; anything else is refused rather than read as "off".
ON = ("1", "true", "yes", "on")
OFF = ("0", "false", "no", "off")

DATABASE_URL_FORM = re.compile(r"^(postgresql|sqlite)(\+[a-z0-9_]+)?://", re.IGNORECASE)


class BadSettings(click.ClickException, ValueError):
    """Environment settings that cannot be used, one line each: the flask CLI prints them
    without a traceback, and gunicorn's or Celery's start stops on them."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(f"config: {problem}" for problem in problems))
        self.problems = problems


class _Environment:
    """Reads numeric settings, collecting every unusable value instead of stopping at the
    first with a bare ValueError."""

    def __init__(self) -> None:
        self.problems: dict[str, str] = {}

    def whole(
        self, name: str, default: int, *, minimum: int = 0, maximum: int | None = None
    ) -> int:
        raw = os.environ.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            return self._refuse(name, raw, "a whole number", default)
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"from {minimum} to {maximum}" if maximum is not None else f"{minimum} or more"
            return self._refuse(name, raw, f"a whole number, {bounds}", default)
        return value

    def number(self, name: str, default: float, *, positive: bool = False) -> float:
        raw = os.environ.get(name, "").strip()
        if not raw:
            return float(default)
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            wanted = "a number above 0" if positive else "a number, 0 or more"
            return self._refuse(name, raw, wanted, default)
        return value

    def positive(self, name: str, default: float) -> float:
        return self.number(name, default, positive=True)

    def flag(self, name: str, default: bool | None) -> bool | None:
        raw = os.environ.get(name, "").strip()
        if not raw:
            return default
        if raw.lower() in ON:
            return True
        if raw.lower() in OFF:
            return False
        return self._refuse(name, raw, "1 or 0", default)

    def database_url(self, name: str, default: str) -> str:
        value = os.environ.get(name, "").strip() or default
        # Read by its form, not by SQLAlchemy: the Celery beat reads these settings without
        # loading it. The databases the application runs on, with any driver.
        if not DATABASE_URL_FORM.match(value):
            # The value is not repeated: it may hold the database password.
            self.problems[name] = (
                f"{name} must be a database URL, such as "
                "postgresql+psycopg://USER:PASSWORD@HOST:5432/NAME or sqlite:////PATH/FILE.sqlite."
            )
        return value

    def hash_method(self, name: str, default: str) -> str:
        raw = os.environ.get(name, "").strip()
        if not raw:
            return default
        if raw.partition(":")[0] not in ("scrypt", "pbkdf2"):
            return self._refuse(name, raw, "one of Werkzeug's methods, scrypt or pbkdf2", default)
        return raw

    def preset(self, name: str) -> str:
        raw = os.environ.get(name, "").strip()
        # Refused at start (and by check-config), not first when init-db or seed-demo applies it.
        known = presets.names()
        if raw and raw not in known:
            return self._refuse(name, raw, f"one of the presets {', '.join(known)}", "")
        return raw

    def _refuse(self, name: str, raw: str, wanted: str, default: Any) -> Any:
        self.problems[name] = f"{name} must be {wanted} (it is {raw!r})."
        return default


def from_environment(instance_path: str) -> dict[str, Any]:
    """Settings read from environment variables, with demo-friendly defaults.

    Raises BadSettings naming every setting that cannot be used: numbers that are not usable
    numbers, on/off settings that are neither, a database URL SQLAlchemy cannot read."""
    default_db = f"sqlite:///{Path(instance_path) / 'complaintflow.sqlite'}"
    env = _Environment()
    session_lifetime = timedelta(hours=env.positive("SESSION_HOURS", 8))
    settings = {
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        # Earlier secret keys, comma-separated, while rotating SECRET_KEY: sessions signed and
        # webhook secrets sealed under them stay valid (Flask reads this list too).
        "SECRET_KEY_FALLBACKS": [
            key for key in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if key
        ],
        "SQLALCHEMY_DATABASE_URI": env.database_url("DATABASE_URL", default_db),
        "PROCESSES_DIR": os.environ.get("PROCESSES_DIR", str(REPO_ROOT / "processes")),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(Path(instance_path) / "uploads")),
        # Letters the organisation signed (PDF), kept apart from uploads and their sweep.
        "DOCUMENT_DIR": os.environ.get("DOCUMENT_DIR", str(Path(instance_path) / "documents")),
        # Print PDFs in a short-lived child process (0: in the worker, which then keeps
        # WeasyPrint's ~30 MiB for its whole life).
        "PRINT_IN_CHILD": env.flag("PRINT_IN_CHILD", True),
        # The letterhead of the PDF letters (an administrator's settings page comes later).
        "ORG_NAME": os.environ.get("ORG_NAME", "Complaints Service (demo)"),
        "ORG_ADDRESS": os.environ.get("ORG_ADDRESS", "BP 1000\nDakar, Senegal").replace(
            "\\n", "\n"
        ),
        "ORG_PHONE": os.environ.get("ORG_PHONE", "+221 33 800 00 00"),
        "ORG_EMAIL": os.environ.get("ORG_EMAIL", "reclamations@example.org"),
        "ORG_SIGNATURE": os.environ.get("ORG_SIGNATURE", "Head of the Complaints Service").replace(
            "\\n", "\n"
        ),
        # French letters' name and signature (empty: the ones above).
        "ORG_NAME_FR": os.environ.get("ORG_NAME_FR", "Service des réclamations (démo)"),
        "ORG_SIGNATURE_FR": os.environ.get(
            "ORG_SIGNATURE_FR", "Le responsable du service des réclamations"
        ).replace("\\n", "\n"),
        "ORG_LOGO": os.environ.get("ORG_LOGO", ""),  # path to a PNG or SVG, optional
        # Email in (flask receive-mail): where received messages are kept (.eml), the largest
        # accepted (bytes; larger is refused with 552) and the senders refused as spam
        # (addresses and @domains, comma-separated; X-Spam-Flag: YES is refused too).
        "INBOUND_MAIL_DIR": os.environ.get(
            "INBOUND_MAIL_DIR", str(Path(instance_path) / "inbound")
        ),
        "INBOUND_MAX_SIZE": env.whole("INBOUND_MAX_SIZE", 25 * 1024 * 1024, minimum=1),
        "INBOUND_BLOCKLIST": os.environ.get("INBOUND_BLOCKLIST", ""),
        # Files in UPLOAD_DIR that no attachment names are removed once this old (seconds),
        # so an upload still in its request is never touched (flask sweep-uploads).
        "UPLOAD_SWEEP_GRACE": env.number("UPLOAD_SWEEP_GRACE", 3600),
        # /healthz: is a timer process expected, and how old may its heartbeat be (seconds).
        "TIMERS_EXPECTED": env.flag("TIMERS_EXPECTED", True),
        "HEALTH_TIMER_MAX_AGE": env.positive("HEALTH_TIMER_MAX_AGE", 60),
        "DEMO_PASSWORD": os.environ.get("DEMO_PASSWORD", "demo-password"),
        # Demo mode makes up a secret key; production refuses to start without one.
        "DEMO": env.flag("COMPLAINTFLOW_DEMO", False),
        "BABEL_DEFAULT_LOCALE": "en",
        "LANGUAGES": ("en", "fr"),
        "MAX_CONTENT_LENGTH": 55 * 1024 * 1024,  # five 10 MB attachments and the form
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # A pooled connection idle this long (seconds) is checked before use; 0: every time.
        "DATABASE_PING_IDLE_SECONDS": env.number("DATABASE_PING_IDLE_SECONDS", 1),
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
        # The accounts a complaint may be sent to on social media (empty: the line is left out).
        "COMPLAINTS_SOCIAL_MEDIA": os.environ.get(
            "COMPLAINTS_SOCIAL_MEDIA", "@ServiceReclamations (Facebook, X, Instagram)"
        ),
        # The service-level preset init/seed choose (flask seed-demo, flask set-preset), and
        # the external body its letters name (ombudsman, mediator): empty keeps the preset's.
        "COMPLAINTFLOW_PRESET": env.preset("COMPLAINTFLOW_PRESET"),
        # Refuse new passwords known from data breaches, asking a "Pwned Passwords" range API
        # with k-anonymity (only 5 hex characters of the SHA-1 leave): off unless set, e.g.
        # https://api.pwnedpasswords.com/range (or a self-hosted mirror).
        "PWNED_PASSWORDS_URL": os.environ.get("PWNED_PASSWORDS_URL", ""),
        # Werkzeug's method for new password hashes: scrypt with 8 MiB of memory unless set
        # (services.users.DEFAULT_HASH_METHOD); the tests set a cheap one
        # (pbkdf2:sha256:1000), never meant for production.
        "PASSWORD_HASH_METHOD": env.hash_method("PASSWORD_HASH_METHOD", "scrypt:8192:8:10"),
        "OMBUDSMAN_NAME": os.environ.get("OMBUDSMAN_NAME", ""),
        "OMBUDSMAN_ADDRESS": os.environ.get("OMBUDSMAN_ADDRESS", ""),
        "OMBUDSMAN_PHONE": os.environ.get("OMBUDSMAN_PHONE", ""),
        "OMBUDSMAN_EMAIL": os.environ.get("OMBUDSMAN_EMAIL", ""),
        "OMBUDSMAN_WEBSITE": os.environ.get("OMBUDSMAN_WEBSITE", ""),
        # Outgoing email (the delivery worker, flask deliver-messages). MAIL_USE_TLS is
        # STARTTLS on a plain port (587), MAIL_USE_SSL TLS from the start (465). Replies go
        # to the complaints address. The demo points MAIL_SERVER at `flask mail-catcher`.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": env.whole("MAIL_PORT", 25, minimum=1, maximum=65535),
        "MAIL_USE_TLS": env.flag("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": env.flag("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_FROM": os.environ.get(
            "MAIL_FROM", "Service des réclamations <reclamations@example.org>"
        ),
        "MAIL_REPLY_TO": os.environ.get(
            "MAIL_REPLY_TO", os.environ.get("COMPLAINTS_EMAIL", "reclamations@example.org")
        ),
        "MAIL_TIMEOUT": env.positive("MAIL_TIMEOUT", 30),
        # Where `flask mail-catcher` writes each message it receives, as a .eml file.
        "MAIL_CATCHER_DIR": os.environ.get("MAIL_CATCHER_DIR", str(Path(instance_path) / "mail")),
        # SMS: a generic HTTP JSON gateway, POST {"to", "text"} with a bearer token.
        "SMS_GATEWAY_URL": os.environ.get("SMS_GATEWAY_URL", ""),
        "SMS_GATEWAY_TOKEN": os.environ.get("SMS_GATEWAY_TOKEN", ""),
        # Webhooks to loopback/private addresses, and over plain http (internal integrators).
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": env.flag("WEBHOOK_ALLOW_PRIVATE_TARGETS", False),
        # Delivery: attempts before a message is marked failed, the first retry's delay
        # (doubled each time), and the lease a worker holds on a message while sending it.
        "DELIVERY_MAX_ATTEMPTS": env.whole("DELIVERY_MAX_ATTEMPTS", 5, minimum=1),
        "DELIVERY_BACKOFF": env.number("DELIVERY_BACKOFF", 30),
        "DELIVERY_LEASE": env.positive("DELIVERY_LEASE", 600),
        # Complaints filed through the JSON API, per client address.
        "API_FILING_RATE_LIMIT": os.environ.get(
            "API_FILING_RATE_LIMIT", "10 per minute;100 per day"
        ),
        # The address of this site as complainants reach it: the links in our messages.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", DEFAULT_PUBLIC_BASE_URL),
        # Days a tracking link sent in a message opens the case (at least to the end of the
        # appeal window it quotes); then the complainant asks for a fresh one.
        "TRACKING_LINK_DAYS": env.positive("TRACKING_LINK_DAYS", 90),
        # "Send me my link again", per client address (on top of the public forms' budget).
        "RESEND_LINK_RATE_LIMIT": os.environ.get("RESEND_LINK_RATE_LIMIT", "5 per hour"),
        # Public forms (filing, replies, survey), one budget per client address.
        "PUBLIC_POST_RATE_LIMIT": os.environ.get(
            "PUBLIC_POST_RATE_LIMIT", "10 per minute;50 per day"
        ),
        # Failed sign-ins (successes are not counted; app/login_throttle.py): refused past the
        # limit per account from one client address, and per client address on any accounts.
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "5 per minute;20 per hour"),
        "LOGIN_ADDRESS_RATE_LIMIT": os.environ.get(
            "LOGIN_ADDRESS_RATE_LIMIT", "20 per minute;100 per hour"
        ),
        # Per account from all addresses: past it the account is slowed, never locked (one try
        # per LOGIN_SLOWED_SECONDS, from addresses that have not failed on it lately).
        "LOGIN_ACCOUNT_RATE_LIMIT": os.environ.get(
            "LOGIN_ACCOUNT_RATE_LIMIT", "10 per minute;30 per hour"
        ),
        "LOGIN_SLOWED_SECONDS": env.whole("LOGIN_SLOWED_SECONDS", 10, minimum=1),
        # Gunicorn's worker count: several workers need shared rate-limit storage (Redis).
        "WEB_CONCURRENCY": env.whole("WEB_CONCURRENCY", 1, minimum=1),
        # Background work on Celery (production): the broker (redis://… or amqp://…); unset,
        # `make run`'s embedded loops do the work (app/background.py).
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL") or None,
        "CELERY_RESULT_BACKEND": os.environ.get("CELERY_RESULT_BACKEND") or None,
        "CELERY_QUEUE": os.environ.get("CELERY_QUEUE", "complaintflow"),
        "BACKGROUND_TIMER_INTERVAL": env.positive("BACKGROUND_TIMER_INTERVAL", 1),
        # CPU seconds one evaluation of diagram code may take in the timer process and the
        # Celery pool processes before the backstop ends the process (services.engine.limits).
        "BACKSTOP_CPU_SECONDS": env.whole("BACKSTOP_CPU_SECONDS", 5, minimum=1),
        "BACKGROUND_DELIVERY_INTERVAL": env.positive("BACKGROUND_DELIVERY_INTERVAL", 2),
        # The report days and recurring problems (Celery): a round apart from the timers'.
        "BACKGROUND_REPORT_INTERVAL": env.positive("BACKGROUND_REPORT_INTERVAL", 5),
        # An XLSX export of at least this many rows is built in the background (an export
        # job, /exports); its file is kept EXPORT_KEEP_HOURS.
        "EXPORT_DIRECT_ROWS": env.whole("EXPORT_DIRECT_ROWS", 50000, minimum=0),
        "EXPORT_KEEP_HOURS": env.positive("EXPORT_KEEP_HOURS", 24),
        # Staff sessions end after this many hours, remembered or not.
        "PERMANENT_SESSION_LIFETIME": session_lifetime,
        "REMEMBER_COOKIE_DURATION": session_lifetime,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Cookies over HTTPS only, and HSTS: on by default outside demo mode and tests
        # (unset = automatic; SECURE_COOKIES=0 for a plain-HTTP intranet, =1 to force).
        "SECURE_COOKIES": env.flag("SECURE_COOKIES", None),
        # Host names this site answers to (comma-separated); any other Host header is a 400.
        # Unset: SERVER_NAME's host if set, else localhost and 127.0.0.1 (see app/security.py).
        "TRUSTED_HOSTS": [
            host.strip() for host in os.environ.get("ALLOWED_HOSTS", "").split(",") if host.strip()
        ]
        or None,
        # Behind a reverse proxy: how many proxies set X-Forwarded-For / -Proto (0 = none).
        "PROXY_FIX_X_FOR": env.whole("PROXY_FIX_X_FOR", 0, minimum=0),
        "PROXY_FIX_X_PROTO": env.whole("PROXY_FIX_X_PROTO", 0, minimum=0),
        "PROXY_FIX_X_HOST": env.whole("PROXY_FIX_X_HOST", 0, minimum=0),
    }
    if env.problems:
        raise BadSettings(list(env.problems.values()))
    return settings
