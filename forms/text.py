"""A text to translate later: its catalogue msgid and the values it names.

Definitions are checked outside any request (deploys from the CLI, tests), so their problems
cannot be translated where they are found. A Text *is* its English text (a str: joined,
compared and logged as before); the web layer, knowing the reader, translates it by msgid and
parameters (app.domain_messages.localize). A parameter may itself be a Text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import get_locale
from flask_babel.speaklater import LazyString
from markupsafe import escape

# The languages a process owner writes the procedure's texts in (forms, choice lists).
LANGUAGES = ("en", "fr")
# What a process owner's text may not hold: WTForms writes labels into the page as they are.
MARKUP = ("<", ">", '"')


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


class LocalText(LazyString):
    """A definition's text in the reader's language. Unlike the catalogue's texts, it is
    written by a process owner: templates escape it (markup characters are also refused)."""

    def __html__(self) -> str:
        return str(escape(str(self)))


def localized(texts: Mapping[str, str]) -> LazyString:
    """A text in the reader's language (French or English), resolved when it is shown."""
    frozen = {str(k): str(v) for k, v in texts.items()}
    return LocalText(pick, frozen)


def pick(texts: Mapping[str, str]) -> str:
    """The text of the reader's language; outside a request, the English."""
    try:
        locale = get_locale()
    except RuntimeError:  # no request: the definition's English
        locale = None
    language = locale.language if locale is not None else "en"
    return texts.get(language) or texts.get("en") or next(iter(texts.values()), "")


def text_problems(value: Any, where: str) -> list[str]:
    """Why a process owner's text `{en = …, fr = …}` cannot be shown (none: it can)."""
    if not isinstance(value, Mapping):
        return [
            N_(
                "%(where)s needs a text in each language (%(languages)s)",
                where=where,
                languages=" and ".join(LANGUAGES),
            )
        ]
    missing = [lang for lang in LANGUAGES if not str(value.get(lang) or "").strip()]
    if missing:
        return [
            N_("%(where)s has no text in %(languages)s", where=where, languages=", ".join(missing))
        ]
    # Plain text: WTForms writes labels into the page as they are.
    if any(c in str(value.get(lang)) for lang in LANGUAGES for c in MARKUP):
        return [
            N_("%(where)s must be plain text (no %(markup)s)", where=where, markup=" ".join(MARKUP))
        ]
    return []
