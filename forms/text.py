"""A text to translate later: its catalogue msgid and the values it names.

Definitions are checked outside any request (deploys from the CLI, tests), so their problems
cannot be translated where they are found. A Text *is* its English text (a str: joined,
compared and logged as before); the web layer, knowing the reader, translates it by msgid and
parameters (app.domain_messages.localize). A parameter may itself be a Text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel.speaklater import LazyString


class Text(str):
    """The English text of `msgid` % `params`, remembering both for a translation."""

    msgid: str
    params: Mapping[str, Any]

    def __new__(cls, msgid: str, params: Mapping[str, Any] | None = None) -> Text:
        values = dict(params or {})
        english = msgid % {k: str(v) for k, v in values.items()} if values else msgid
        text = super().__new__(cls, english)
        text.msgid = msgid
        text.params = values
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        return (Text, (self.msgid, self.params))


def msgid_of(text: LazyString) -> str:
    """The English text a lazy catalogue text (lazy_gettext) was made from."""
    return str(text._args[0])


def N_(msgid: str, **params: Any) -> Text:  # noqa: N802 - the catalogue's marker (babel keyword)
    """A text for the catalogue (pybabel extracts N_ by default), translated when shown."""
    return Text(msgid, params)
