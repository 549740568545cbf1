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

from forms import toml_edit
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
    """A lists file that cannot be used; `problems` lists every reason (forms.text.Text),
    `places` where each lies."""

    def __init__(self, problems: list[str], places: list[str] | None = None) -> None:
        self.problems = problems
        # Where each problem lies (place()), "" for the file as a whole.
        self.places = places or [""] * len(problems)
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
    """Parse and check a lists file; ListsError names each problem, and where it lies."""
    lists, problems, places = _read(text)
    if problems:
        raise ListsError(problems, places)
    return ChoiceLists(hashlib.sha256(text.encode("utf-8")).hexdigest(), lists)


def readable(text: str) -> ChoiceLists:
    """The lists of a file with their values that can be read, the others left out: what the
    editor checks the uses of a value against while another value is still half written.
    ListsError if the file is not TOML."""
    lists, _problems, _places = _read(text)
    return ChoiceLists(hashlib.sha256(text.encode("utf-8")).hexdigest(), lists)


def _read(text: str) -> tuple[dict[str, Choices], list[str], list[str]]:
    """The lists a file holds, and the problems (with their places) that make it unusable."""
    try:
        spec = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ListsError([N_("not valid TOML: %(error)s", error=str(exc))]) from None
    problems: list[str] = []
    places: list[str] = []

    def problem(text: str, name: str = "", value: str | None = None) -> None:
        problems.append(text)
        places.append(place(name, value) if name else "")

    lists: dict[str, Choices] = {}
    for name, entries in spec.items():
        if not NAME.match(name):
            problem(
                N_(
                    "the list name %(name)s must be lower case letters, digits and _",
                    name=repr(name),
                ),
                name,
            )
            continue
        where = N_("list %(name)s", name=name)
        if not isinstance(entries, Mapping) or not entries:
            problem(N_("%(where)s needs at least one value with its labels", where=where), name)
            continue
        found = []
        for value, labels in entries.items():
            if not VALUE.match(value):
                problem(
                    N_(
                        "%(where)s: the value %(value)s must be lower case letters, digits and _",
                        where=where,
                        value=repr(value),
                    ),
                    name,
                    value,
                )
                continue
            shown = N_("%(where)s: value %(value)s", where=where, value=repr(value))
            wrong = text_problems(labels, shown)
            if wrong:
                for text_problem in wrong:
                    problem(text_problem, name, value)
                continue
            found.append((value, localized(labels)))
        lists[name] = tuple(found)
    for name, needed in REQUIRED.items():
        if name not in spec:
            problem(N_("the list %(name)s is missing: the application reads it", name=name))
            continue
        have = {value for value, _ in lists.get(name, ())}
        for value in needed:
            if value not in have:
                problem(
                    N_(
                        "list %(name)s: the value %(value)s is missing: the application acts on it",
                        name=name,
                        value=repr(value),
                    ),
                    name,
                )
    return lists, problems, places


def place(name: str, value: str | None = None) -> str:
    """Where a problem lies, as an editor marks it: the list's name, or "<list>/<value>"."""
    return name if value is None else f"{name}/{value}"


def from_json(items: Any) -> dict[str, dict[str, Any]]:
    """The lists as the editor sends them, [{name, values: [{value, label: {en, fr}}]}] in
    their order, as the file's tables (name → value → labels). ValueError (a Text) when they
    are not lists of values, or name a list or a value twice; what loads() checks (names,
    values, labels) is left to it, so that its problems name the value they concern."""
    shape = N_('the lists are not [{"name": …, "values": [{"value": …, "label": {…}}]}]')
    if not isinstance(items, list):
        raise ValueError(shape)
    found: dict[str, dict[str, Any]] = {}
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise ValueError(shape)
        name, values = item["name"], item.get("values")
        if name in found:
            raise ValueError(N_("the list %(name)s is there twice", name=name))
        if not isinstance(values, list):
            raise ValueError(shape)
        entries: dict[str, Any] = {}
        for entry in values:
            value = entry.get("value") if isinstance(entry, Mapping) else None
            labels = entry.get("label") if isinstance(entry, Mapping) else None
            if not isinstance(value, str) or not isinstance(labels, Mapping):
                raise ValueError(shape)
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
                raise ValueError(shape)
            if value in entries:
                raise ValueError(
                    N_(
                        "list %(name)s: the value %(value)s is there twice",
                        name=name,
                        value=repr(value),
                    )
                )
            entries[value] = {k: v for k, v in labels.items() if v.strip()}
        found[name] = entries
    return found


def as_json(text: str) -> list[dict[str, Any]]:
    """A lists file as the editor edits it (from_json's shape), in the file's order."""
    return [
        {
            "name": name,
            "values": [
                {"value": value, "label": dict(labels) if isinstance(labels, Mapping) else {}}
                for value, labels in (entries.items() if isinstance(entries, Mapping) else ())
            ],
        }
        for name, entries in tomllib.loads(text).items()
    ]


def dumps(lists: Mapping[str, Mapping[str, Any]], before: str | None = None) -> str:
    """Lists (name → value → labels) as the file's text: written into `before`, the text
    until now, so that its comments and layout stay (forms.toml_edit), else anew."""
    text = toml_edit.edit_tables(before, lists) if before is not None else None
    if text is None:
        text = toml_edit.write_tables(lists)
    if text is None:
        raise ValueError(N_("the lists cannot be written as TOML"))
    return text


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


def merged(versions: list[ChoiceLists]) -> ChoiceLists:
    """One set of lists from several versions' (the first the active one): each list's values
    in the first version's order, then the values only earlier versions had, each named in the
    words of the first version that has it."""
    if len(versions) == 1:
        return versions[0]
    lists: dict[str, list[tuple[str, LazyString]]] = {}
    for version in versions:
        for name in version:
            found = lists.setdefault(name, [])
            have = {value for value, _ in found}
            found.extend(pair for pair in version.choices(name) if pair[0] not in have)
    digest = hashlib.sha256("".join(v.digest for v in versions).encode()).hexdigest()
    return ChoiceLists(digest, {name: tuple(pairs) for name, pairs in lists.items()})


_SOURCE: list[Callable[[], ChoiceLists]] = []
_FILTER_SOURCE: list[Callable[[], ChoiceLists]] = []


def use_source(
    source: Callable[[], ChoiceLists], filters: Callable[[], ChoiceLists] | None = None
) -> None:
    """Read current() from `source` (the web layer: the active version's lists), and
    filterable() from `filters` (every deployed version's)."""
    _SOURCE[:] = [source]
    _FILTER_SOURCE[:] = [filters] if filters is not None else []


def current() -> ChoiceLists:
    """The lists new complaints and the application's own pages use: the registered source's
    (the active version's), else the shipped ones; values they lack read the shipped labels."""
    found = _SOURCE[0]() if _SOURCE else shipped()
    return found.with_fallback(shipped())


def filterable() -> ChoiceLists:
    """The values filters take and reports name: the active version's, then those only
    earlier versions had (complaints still hold them: a category removed since is still found
    and read in its words), else current()."""
    found = _FILTER_SOURCE[0]() if _FILTER_SOURCE else current()
    return found.with_fallback(shipped())
