"""Secrets in addresses kept out of the logs: the complainant's tracking and survey links and
the staff's password links carry their token in the path, which request logs (gunicorn's
access log, the development server's) would otherwise keep for whoever reads the logs."""

from __future__ import annotations

import logging
from typing import Any

from services.tracking_links import redact


def redacted(value: Any) -> Any:
    """A log argument with its secret links' tokens hidden (tracking_links.redact); anything
    but text is left as it is."""
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
