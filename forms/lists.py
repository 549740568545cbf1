"""The procedure's choice lists as data: processes/choices.toml, deployed with the diagrams and
the forms (services.form_definitions), so that a process owner adds a category or renames a
remedy without a release or a translation catalogue.

    [categories]                                   # a list, as forms and pages name it
    product_quality = { en = "Product quality", fr = "Qualité du produit" }

A version's lists give its task forms their choices (`choices = "categories"`) and the pages
their labels; the application's own forms and pages (intake, filters, reports, the API) read
the lists of the active version, through the source the web layer registers (use_source),
else the shipped file.

The lists the application reads by name must be there, with the values its code acts on
(REQUIRED). The lists the application owns, where each value needs code (complaint statuses,
contact channels a message is delivered by, the languages), stay in forms.choices.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask_babel.speaklater import LazyString

from forms.text import N_, localized, text_problems

FILE_NAME = "choices.toml"
SHIPPED_PATH = Path(__file__).resolve().parent.parent / "processes" / FILE_NAME
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
VALUE = re.compile(r"^[a-z0-9][a-z0-9_]{0,62}$")

# The lists the application itself reads by name, each with the values its code acts on.
REQUIRED: dict[str, tuple[str, ...]] = {
    "channels": ("web", "email"),  # the public form and the complaints mailbox file with these
    "categories": (),  # classification, the inbox and report filters, the API
    "severities": (),
    "registration_outcomes": ("duplicate",),  # links the complaint to the one it repeats
    "remedies": (),  # reports
    "escalation_targets": (),
    "root_causes": (),
    "escalation_decisions": (),
    "resolution_codes": (),
    "overdue_actions": ("deadline_extended",),  # moves the watched step's clocks
    "purchase_modes": (),  # the intake forms
    "payment_modes": (),
    "delivery_modes": (),
}

Choices = tuple[tuple[str, LazyString], ...]


class ListsError(ValueError):
    """A lists file that cannot be used; `problems` lists every reason (forms.text.Text)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class ChoiceLists:
    """Named lists of (value, label in the reader's language), in the file's order.

    `fallback` (the shipped lists) gives the label of a value these lists no longer have, so
    that complaints holding it still read words."""

    def __init__(
        self, digest: str, lists: Mapping[str, Choices], fallback: ChoiceLists | None = None
    ) -> None:
        self.digest = digest
        self.lists = dict(lists)
        self.fallback = fallback

    def __hash__(self) -> int:
        return hash((self.digest, self.fallback.digest if self.fallback else None))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChoiceLists) and hash(self) == hash(other)

    def __contains__(self, name: object) -> bool:
        return name in self.lists

    def __iter__(self) -> Iterator[str]:
        return iter(self.lists)

    def names(self) -> list[str]:
        """The lists' names, sorted."""
        return sorted(self.lists)

    def choices(self, name: str) -> Choices:
        """The (value, label) pairs of list `name`; none for a list these lists lack."""
        return self.lists.get(name, ())

    def values(self, name: str) -> list[str]:
        """The values of list `name`, in order."""
        return [value for value, _ in self.choices(name)]

    def label(self, name: str, value: Any) -> LazyString | str:
        """The label of `value` in list `name` (else in the fallback); the value itself if
        neither has it, nothing for None."""
        if value is None:
            return ""
        for choice_value, text in self.choices(name):
            if choice_value == value:
                return text
        if self.fallback is not None:
            return self.fallback.label(name, value)
        return str(value)

    def labels(self, name: str) -> dict[str, LazyString]:
        """Value → label of list `name`, the fallback's values these lists lack included."""
        found = dict(self.fallback.labels(name)) if self.fallback is not None else {}
        found.update(self.choices(name))
        return found

    def with_fallback(self, fallback: ChoiceLists | None) -> ChoiceLists:
        """These lists, reading a value they lack in `fallback`."""
        if fallback is None or fallback is self or fallback.digest == self.digest:
            return self
        return ChoiceLists(self.digest, self.lists, fallback)


def loads(text: str) -> ChoiceLists:
    """Parse and check a lists file; ListsError names each problem."""
    try:
        spec = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ListsError([N_("not valid TOML: %(error)s", error=str(exc))]) from None
    problems: list[str] = []
    lists: dict[str, Choices] = {}
    for name, entries in spec.items():
        if not NAME.match(name):
            problems.append(
                N_(
                    "the list name %(name)s must be lower case letters, digits and _",
                    name=repr(name),
                )
            )
            continue
        where = N_("list %(name)s", name=name)
        if not isinstance(entries, Mapping) or not entries:
            problems.append(N_("%(where)s needs at least one value with its labels", where=where))
            continue
        found = []
        for value, labels in entries.items():
            if not VALUE.match(value):
                problems.append(
                    N_(
                        "%(where)s: the value %(value)s must be lower case letters, digits and _",
                        where=where,
                        value=repr(value),
                    )
                )
                continue
            shown = N_("%(where)s: value %(value)s", where=where, value=repr(value))
            wrong = text_problems(labels, shown)
            if wrong:
                problems += wrong
                continue
            found.append((value, localized(labels)))
        lists[name] = tuple(found)
    for name, needed in REQUIRED.items():
        if name not in spec:
            problems.append(N_("the list %(name)s is missing: the application reads it", name=name))
            continue
        have = {value for value, _ in lists.get(name, ())}
        for value in needed:
            if value not in have:
                problems.append(
                    N_(
                        "list %(name)s: the value %(value)s is missing: the application acts on it",
                        name=name,
                        value=repr(value),
                    )
                )
    if problems:
        raise ListsError(problems)
    return ChoiceLists(hashlib.sha256(text.encode("utf-8")).hexdigest(), lists)


@lru_cache(maxsize=64)
def compiled(text: str) -> ChoiceLists:
    """loads(), once per distinct text (a deployed file never changes)."""
    return loads(text)


def shipped_text() -> str:
    """The lists file shipped in processes/."""
    return SHIPPED_PATH.read_text("utf-8")


@lru_cache(maxsize=1)
def shipped() -> ChoiceLists:
    """The shipped lists, checked; a broken file stops the start."""
    try:
        return compiled(shipped_text())
    except ListsError as exc:
        raise ListsError([f"{FILE_NAME}: {p}" for p in exc.problems]) from None


_SOURCE: list[Callable[[], ChoiceLists]] = []


def use_source(source: Callable[[], ChoiceLists]) -> None:
    """Read current() from `source` (the web layer: the active version's lists)."""
    _SOURCE[:] = [source]


def current() -> ChoiceLists:
    """The lists new complaints and the application's own pages use: the registered source's
    (the active version's), else the shipped ones; values they lack read the shipped labels."""
    found = _SOURCE[0]() if _SOURCE else shipped()
    return found.with_fallback(shipped())
