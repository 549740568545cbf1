"""The one place that decides which bodies an operation reads: each view that reads one names
its media types (`@reads(JSON)`, `@reads(JSON, MULTIPART)`), and a body of any other type is
a 415 unsupported_media_type naming them, and a JSON body that does not parse a 400
invalid_json, before the view looks at it. The OpenAPI document reads the same declaration
(openapi.with_media_types)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

from flask import request
from flask_babel import gettext

from app.input_guards import MalformedJsonRequest
from services.errors import DomainError

JSON = "application/json"
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


class InvalidJson(DomainError):
    """A body sent as JSON that is not well-formed JSON (RFC 9110, 400): not yet input that
    fails validation (422), which needs a JSON value to look at."""

    status = 400
    code = "invalid_json"


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
        if sent == JSON and has_body():
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


def has_body() -> bool:
    """Whether the request carries a body (a length above 0, or chunks)."""
    if request.headers.get("Transfer-Encoding"):
        return True
    return bool(request.content_length)


def check_json() -> None:
    """400 invalid_json unless the body parses as JSON, saying where it went wrong. Parsed
    once: the view's get_json reads the cached value. An empty body is left to the view (422,
    as for no body)."""
    try:
        request.get_json()
    except MalformedJsonRequest as exc:
        error = exc.error
        if isinstance(error, json.JSONDecodeError):
            message = gettext(
                "The body is not well-formed JSON: the error is at line %(line)d, column "
                "%(column)d. Nothing was done.",
                line=error.lineno,
                column=error.colno,
            )
        elif isinstance(error, UnicodeDecodeError):
            message = gettext(
                "The body is not well-formed JSON: it is not UTF-8 text. Nothing was done."
            )
        else:  # a number of thousands of digits, which Python declines to read
            message = gettext("The body could not be read as JSON. Nothing was done.")
        raise InvalidJson(message) from exc
