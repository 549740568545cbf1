"""Where to send the browser after a form: only back to a path on this site."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from flask import request

# Browsers drop tabs and newlines anywhere in a URL and trim control characters and spaces,
# so "/\t/evil.example" is read as "//evil.example": remove them before judging the path.
_IGNORED = re.compile(r"[\x00-\x20\x7f\s]")


def safe_next(default: str) -> str:
    """The request's `next` path if it is a path on this site, else `default`."""
    target = _IGNORED.sub("", request.values.get("next", ""))
    if not is_local_path(target):
        return default
    # A server or proxy that decodes the path once would turn "/%2F%2Fhost" into "///host".
    decoded = _IGNORED.sub("", unquote(urlsplit(target).path))
    if decoded.startswith("//") or "\\" in decoded:
        return default
    return target


def is_local_path(target: str) -> bool:
    """True for an absolute path of this site: no scheme, no host, no backslash.

    `//host`, `/\\host` and `https:host` are all read by browsers as another site, and
    non-ASCII look-alikes (`／／host`) may be normalised into one, so all are refused.
    """
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if not target.isascii() or not target.isprintable():
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and parts.path.startswith("/")
