"""A stored file sent as a download: never shown inline, never sniffed, never cached."""

from __future__ import annotations

import os

from flask import Response, send_file


def private_file(path: str | os.PathLike[str], content_type: str, filename: str) -> Response:
    """`path` as an attachment named `filename`; a complaint's files and letters are personal
    data, so no shared cache may keep them and no browser may render them as another type."""
    response = send_file(path, mimetype=content_type, as_attachment=True, download_name=filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
