"""Input no view should ever see: NUL characters, JSON nested too deeply, and whole numbers
the database cannot hold.

PostgreSQL refuses a NUL character in text, SQLite an integer beyond 64 bits (OverflowError)
and PostgreSQL one beyond its INTEGER, the type of every id ("integer out of range"); Python's
JSON parser (and whatever walks what it parsed) stops at its recursion limit. Caught here
once, such input is a 400 or a 404 like any other bad request, rather than a 500 in
whichever view, hook or guard first reaches the database or recurses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from flask import Flask, Request, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext
from flask_babel.speaklater import LazyString
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.routing import IntegerConverter, Map

from app.errors import error_response
from services.db import MAX_INT  # the ids' (and page numbers') largest value
from services.errors import DomainError

NUL = "\x00"
JSON = "application/json"
# Bodies Werkzeug parses into request.form and request.files (their texts are looked at).
FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})
# How deeply JSON may nest (the body itself is level 1). The API's bodies are objects of
# values and lists (two levels); Python's parser gives up near its recursion limit (about
# 1,000 levels, less when the stack is already deep), and so would anything walking the value.
MAX_JSON_DEPTH = 32


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

    def to_python(self, value: str) -> int:
        """The number; beyond what an id column holds, 404 for every method of the rule.

        Werkzeug's ValidationError would make the router look at the path's other rules and
        answer 405 (with their methods in Allow) for a method of this one; NotFound ends the
        match. A text of thousands of digits is no number Python reads either."""
        if len(value.lstrip("-")) > len(str(MAX_INT)) or not -MAX_INT <= int(value) <= MAX_INT:
            raise NotFound()
        return super().to_python(value)  # type: ignore[no-any-return]


class BoundedArgs(ImmutableMultiDict):  # type: ignore[type-arg]
    """Query and form values where `get(name, type=int)` gives the default beyond MAX_INT."""

    def get(self, key: Any, default: Any = None, type: Any = None) -> Any:  # noqa: A002
        """As MultiDict.get; an int the database cannot hold counts as not a number."""
        value = super().get(key, default, type)
        if type is int and value is not default and not -MAX_INT <= value <= MAX_INT:
            return default
        return value


class JsonTooDeep(ValueError):
    """JSON nested more than MAX_JSON_DEPTH levels: a ValueError, as for any JSON not read."""


class JsonTooDeepRequest(BadRequest):
    """The 400 of a request body nested too deeply."""


class MalformedJsonRequest(BadRequest):
    """The 400 of a JSON body that does not parse; `error` is why (a JSONDecodeError names
    the line and column, a UnicodeDecodeError the bytes), for the API to say where."""

    def __init__(self, error: ValueError) -> None:
        super().__init__()
        self.error = error


class InvalidJson(DomainError):
    """A body sent as JSON that is not well-formed JSON (RFC 9110, 400): not yet input that
    fails validation (422), which needs a JSON value to look at."""

    status = 400
    code = "invalid_json"


def has_body() -> bool:
    """Whether the request carries a body (a length above 0, or chunks)."""
    if request.headers.get("Transfer-Encoding"):
        return True
    return bool(request.content_length)


def check_json() -> None:
    """400 invalid_json if the body is sent as JSON and does not parse, saying where it went
    wrong: for the API's operations (app.api.media) and the editor's. Parsed once: the view's
    get_json reads the cached value. A body not sent as JSON, or an empty one, is left to the
    view (its 415 or 422)."""
    if request.mimetype != JSON or not has_body():
        return
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
        elif isinstance(error, NotJsonValue):
            message = gettext(
                "The body is not well-formed JSON: %(name)s is not a JSON value (RFC 8259). "
                "Nothing was done.",
                name=error.name,
            )
        elif isinstance(error, LoneSurrogate):
            message = gettext(
                "The body is not well-formed JSON: a string holds half of a surrogate pair "
                "(such as \\ud800 alone), which is no character. Nothing was done."
            )
        elif isinstance(error, UnicodeDecodeError):
            message = gettext(
                "The body is not well-formed JSON: it is not UTF-8 text. Nothing was done."
            )
        else:  # a number of thousands of digits, which Python declines to read
            message = gettext("The body could not be read as JSON. Nothing was done.")
        raise InvalidJson(message) from exc


class GuardedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, whose `loads` refuses JSON nested more than MAX_JSON_DEPTH levels with a
    ValueError (JsonTooDeep) rather than a RecursionError from the parser or, later, from
    whatever walks the value (the NUL guard, the idempotency hash, forms, schemas)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """As DefaultJSONProvider.loads; JsonTooDeep past MAX_JSON_DEPTH levels; NotJsonValue
        for NaN, Infinity and -Infinity, which Python reads but JSON (RFC 8259) has not."""
        kwargs.setdefault("parse_constant", _refuse_constant)
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise JsonTooDeep(f"JSON nested more than {MAX_JSON_DEPTH} levels") from None
        if nested_deeper(value, MAX_JSON_DEPTH):
            raise JsonTooDeep(f"JSON nested more than {MAX_JSON_DEPTH} levels")
        # Only an escape (\ud800) writes a lone surrogate: the text is looked at first, so
        # that a body without one is not walked.
        if _SURROGATE_ESCAPE.search(s if isinstance(s, str) else s.decode("utf-8", "replace")):
            _refuse_lone_surrogates(value)
        return value

    @staticmethod
    def default(o: Any) -> Any:
        """As Flask's, except that a lazy text is its text: Flask would take a process owner's
        (forms.definitions.LocalText) by its __html__, escaped for a page ("l&#39;avis")."""
        if isinstance(o, LazyString):
            return str(o)
        return DefaultJSONProvider.default(o)


# A JSON escape of a UTF-16 surrogate (\ud800-\udfff), paired or not.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


class LoneSurrogate(ValueError):
    """A string with half of a UTF-16 surrogate pair (\\ud800 alone): JSON's reader takes it,
    but it is no character, so no database (nor UTF-8) can store it."""


def _refuse_lone_surrogates(value: Any) -> None:
    for text in _json_texts(value):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise LoneSurrogate("a string holds a lone surrogate") from None


class NotJsonValue(ValueError):
    """NaN, Infinity or -Infinity in a body: Python's reader takes them, JSON has no such value."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is not a JSON value")
        self.name = name


def _refuse_constant(name: str) -> Any:
    raise NotJsonValue(name)


def nested_deeper(value: Any, limit: int) -> bool:
    """Whether objects and arrays nest in `value` more than `limit` levels (without recursing)."""
    if not isinstance(value, dict | list):
        return False
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class GuardedRequest(Request):
    """The application's request: bounded integers in `args` and `form`; JSON too deep to
    read is a 400 that says so."""

    parameter_storage_class = BoundedArgs

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        """A 400 naming the depth for JSON nested too deeply, MalformedJsonRequest for other
        JSON that does not parse; Flask's 415 for a body that is not JSON."""
        if isinstance(e, JsonTooDeep):
            raise JsonTooDeepRequest(
                gettext(
                    "The JSON body is nested too deeply: at most %(depth)d levels of objects "
                    "and arrays.",
                    depth=MAX_JSON_DEPTH,
                )
            )
        if e is not None:
            raise MalformedJsonRequest(e)
        return super().on_json_loading_failed(e)


def register(app: Flask) -> None:
    """Install the converter and the request class; refuse NUL anywhere in the input.

    Call before the blueprints are registered: their rules compile with the converter.
    """
    app.url_map.converters["int"] = BoundedIntConverter
    app.request_class = GuardedRequest
    app.json = GuardedJSONProvider(app)

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
        if request.mimetype not in FORM_TYPES and NUL.encode() in request.get_data(cache=True):
            # A raw NUL in a body that is no form (JSON, text): refused before authentication
            # as the document says, not left to a 401 or to the view's "send JSON" 422.
            # Files' contents (multipart) are binary and may hold NUL bytes.
            yield NUL
        elif request.is_json:
            yield from _json_texts(_json_body())


def _json_body() -> Any:
    """The JSON body, None if it is not JSON; a 400 (JsonTooDeepRequest) if nested too deeply,
    before any view, hook or authentication reads it. Other JSON that does not parse is left
    for the view to refuse, as before."""
    try:
        return request.get_json()
    except JsonTooDeepRequest:
        raise
    except BadRequest:
        return None


def _json_texts(value: Any) -> Iterator[str]:
    """Every key and text in a JSON value (walked without recursing)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            yield from (key for key in item if isinstance(key, str))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
