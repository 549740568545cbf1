"""Secrets in addresses kept out of the logs: the complainant's tracking and survey links and
the staff's password links carry their token in the path, which request logs (gunicorn's
access log, the development server's) would otherwise keep for whoever reads the logs."""

from __future__ import annotations

import logging
import re
from typing import Any

# The token after /track/, /survey/ and /auth/password/ (up to the next / ? space or quote).
SECRET_IN_PATH = re.compile(r"(/(?:track|survey|auth/password)/)[^/?#\s\"']+")
HIDDEN = "…"


def redact(text: str) -> str:
    """`text` with every secret path segment replaced by an ellipsis."""
    return SECRET_IN_PATH.sub(lambda found: found.group(1) + HIDDEN, text)


def redacted(value: Any) -> Any:
    """A log argument with its secrets hidden; anything but text is left as it is."""
    return redact(value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    """Hides path secrets in a record's message and arguments (the development server's
    request lines)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redacted(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redacted(v) for k, v in record.args.items()}
        return True


def install() -> None:
    """Filter the development server's request log (werkzeug's logger)."""
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())
