"""Where to send the browser after a form: only back to a path on this site."""

from __future__ import annotations

from flask import request


def safe_next(default: str) -> str:
    """The request's `next` path if it is a same-site relative path, else `default`.

    `//host` and backslashes are refused: browsers read both as another site (open redirect).
    """
    target = request.values.get("next", "")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
