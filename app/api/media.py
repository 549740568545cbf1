"""The one place that decides which bodies an operation reads: each view that reads one names
its media types (`@reads(JSON)`, `@reads(JSON, MULTIPART)`), and a body of any other type is
a 415 unsupported_media_type naming them, and a JSON body that does not parse a 400
invalid_json, before the view looks at it. The OpenAPI document reads the same declaration
(openapi.with_media_types)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import request
from flask_babel import gettext

from app.input_guards import JSON as JSON  # the views name it from here, with MULTIPART
from app.input_guards import check_json, has_body
from services.errors import DomainError

MULTIPART = "multipart/form-data"
# The attribute of a view function that lists the media types it reads.
ATTRIBUTE = "body_types"

View = TypeVar("View", bound=Callable[..., Any])


class UnsupportedMediaType(DomainError):
    """The body's Content-Type is not one the operation reads (RFC 9110, 415)."""

    status = 415
    code = "unsupported_media_type"

    def __init__(self, message: str, media_types: tuple[str, ...]) -> None:
        super().__init__(message, details={"accepted_types": list(media_types)})
        # RFC 9110 (12.5.1): Accept in a response names the types a request may send.
        self.headers = {"Accept": ", ".join(media_types)}


def reads(*media_types: str) -> Callable[[View], View]:
    """Declare the media types the view reads its body as; refuse any other with a 415.

    A request without a body and without a Content-Type is left to the view, which says
    what is missing (422), as for an empty JSON object."""

    def declare(view: View) -> View:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            check(media_types)
            return view(*args, **kwargs)

        setattr(checked, ATTRIBUTE, media_types)
        return checked  # type: ignore[return-value]

    return declare


def check(media_types: tuple[str, ...]) -> None:
    """415 unless the request's body is of one of `media_types` (or there is none); 400 if it
    is sent as JSON and does not parse."""
    sent = request.mimetype  # without its parameters (charset, boundary), lower case
    if sent in media_types:
        check_json()
        return
    if not sent and not has_body():
        return
    raise UnsupportedMediaType(
        gettext(
            "Send the body as one of: %(types)s (the Content-Type header says which).",
            types=", ".join(media_types),
        ),
        media_types,
    )
