"""Input no view should ever see: NUL characters, and whole numbers the database cannot hold.

PostgreSQL refuses a NUL character in text, SQLite an integer beyond 64 bits (OverflowError)
and PostgreSQL one beyond its INTEGER, the type of every id ("integer out of range"); caught
here once, such input is a 400 or a 404 like any other bad request, rather than a 500 in
whichever view first reaches the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask, Request, request
from flask_babel import gettext
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter, Map

from app.errors import error_response

# The largest value of PostgreSQL's INTEGER, the type of the ids (and of page numbers).
MAX_INT = 2**31 - 1
NUL = "\x00"


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` that matches only what a database integer holds, so a larger one is a 404."""

    def __init__(
        self,
        map: Map,  # noqa: A002 - Werkzeug's parameter name
        fixed_digits: int = 0,
        min: int | None = None,  # noqa: A002
        max: int | None = None,  # noqa: A002
        signed: bool = False,
    ) -> None:
        low = -MAX_INT if min is None else min
        high = MAX_INT if max is None else max
        super().__init__(map, fixed_digits, low, high, signed)


class BoundedArgs(ImmutableMultiDict):  # type: ignore[type-arg]
    """Query and form values where `get(name, type=int)` gives the default beyond MAX_INT."""

    def get(self, key: Any, default: Any = None, type: Any = None) -> Any:  # noqa: A002
        """As MultiDict.get; an int the database cannot hold counts as not a number."""
        value = super().get(key, default, type)
        if type is int and value is not default and not -MAX_INT <= value <= MAX_INT:
            return default
        return value


class GuardedRequest(Request):
    """The application's request: bounded integers in `args` and `form`."""

    parameter_storage_class = BoundedArgs


def register(app: Flask) -> None:
    """Install the converter and the request class; refuse NUL anywhere in the input.

    Call before the blueprints are registered: their rules compile with the converter.
    """
    app.url_map.converters["int"] = BoundedIntConverter
    app.request_class = GuardedRequest

    @app.before_request
    def refuse_nul() -> Any:
        # A multipart part may come without a name (None): nothing to look at there.
        if any(text and NUL in text for text in _texts()):
            return error_response(400, gettext("The request contains a NUL character."))
        return None


def _texts() -> Iterator[str]:
    """Every piece of text the request carries: path, query, form, file names, JSON."""
    yield request.path
    for key, value in request.args.items(multi=True):
        yield key
        yield value
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        for key, value in request.form.items(multi=True):
            yield key
            yield value
        for key, upload in request.files.items(multi=True):
            yield key
            yield upload.filename or ""
        if request.is_json:
            yield from _json_texts(request.get_json(silent=True))


def _json_texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _json_texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_texts(item)
