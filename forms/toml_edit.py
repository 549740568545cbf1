"""Task form definitions written as TOML, in the layout of processes/forms, and edits made
into the text a definition already has so that its comments, key order and inline tables
survive (tomlkit keeps the text it parsed: comments, blank lines, quoting, spacing).

`write(value)` lays a definition out as the shipped files are: the form's settings first,
texts as inline tables ({ en = "…", fr = "…" }), then one [[fields]] / [[rules]] table each.
`edit(text, value)` changes in `text` only what differs from `value`: a changed setting is
replaced where it stands (its trailing comment kept), a new one goes after the setting that
precedes it in `value`, a removed one goes, and [[fields]] tables are matched by name
(others by position) so each keeps its own comments, moved or not. Both return None rather
than text that would not read back as `value` (the caller then writes the definition anew).
`write_tables(value)` and `edit_tables(text, value)` do the same for a file of [tables] of
plain settings (the choice lists), where the order of the settings matters too: a moved
setting takes the comments just above it along.
Placing a setting and moving comments use tomlkit's container internals (_insert_after,
_insert_at, body, _map): the read-back check and tests/forms/test_toml_edit.py guard an
upgrade.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import AoT, Array, Comment, InlineTable, Null, Table, Whitespace


def write(value: Mapping[str, Any]) -> str | None:
    """`value` (JSON: no nulls) as a new TOML text in the shipped files' layout."""
    lines = [f"{_key(k)} = {_value(v)}" for k, v in value.items() if not _tables(v)]
    for name, items in value.items():
        if _tables(items):
            for item in items:
                lines += ["", f"[[{_key(name)}]]"]
                lines += [f"{_key(k)} = {_value(v)}" for k, v in item.items()]
    text = "\n".join(lines).lstrip("\n") + "\n"
    return text if _reads_as(text, value) else None


def edit(text: str, value: Mapping[str, Any]) -> str | None:
    """`text` changed to hold `value`, keeping what it has beside the values."""
    try:
        document = tomlkit.parse(text)
        _update(document, value)
        edited = tomlkit.dumps(document)
    except (TOMLKitError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None  # written anew: tomlkit's containers changed under us, or the text is odd
    return edited if _reads_as(edited, value) else None


def write_tables(value: Mapping[str, Mapping[str, Any]]) -> str | None:
    """`value` (name → settings) as a new text of [tables], one blank line between them."""
    parts = [
        "\n".join([f"[{_key(name)}]"] + [f"{_key(k)} = {_value(v)}" for k, v in items.items()])
        for name, items in value.items()
    ]
    text = "\n\n".join(parts) + "\n"
    return text if _reads_as(text, value) and _same_order(text, value) else None


def edit_tables(text: str, value: Mapping[str, Mapping[str, Any]]) -> str | None:
    """`text`, a file of [tables], changed to hold `value` in its order: a changed setting is
    replaced where it stands, a new one goes after the one before it, a moved one takes the
    comments just above it, a removed one goes; a new table goes at the end."""
    try:
        document = tomlkit.parse(text)
        for name in [k for k in document if k not in value]:
            del document[name]
        for name, items in value.items():
            if name not in document:
                document.append(name, tomlkit.parse(f"[{_key(name)}]\n")[name])
                new = document[name]
                new.trivia.indent = "\n"  # the blank line between two tables
                for key, item in items.items():
                    new[key] = _item(item)
                continue
            table = document[name]
            if not isinstance(table, Table) or any(_tables(v) for v in items.values()):
                return None  # not the layout this edits: written anew
            _update(table, items)
            _reorder(table, list(items))
        edited = tomlkit.dumps(document)
    except (TOMLKitError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None
    return edited if _reads_as(edited, value) and _same_order(edited, value) else None


def _reorder(table: Table, keys: list[str]) -> None:
    """Put a table's settings in the order of `keys`, each with the comments and blank lines
    just above it; those that end the table (above the next one) stay at its end."""
    container = table.value
    if [k.key for k, _ in container.body if k is not None] == keys:
        return
    if any(not isinstance(index, int) for index in container._map.values()):
        raise ValueError("a setting split in parts")  # dotted keys: written anew
    tail = _cut_tail(table)
    groups: dict[str, list[tuple[Any, Any]]] = {}
    lead: list[tuple[Any, Any]] = []
    for key, item in container.body:
        if key is None:
            lead.append((key, item))
        else:
            groups[key.key] = [*lead, (key, item)]
            lead = []
    container.body[:] = [entry for key in keys for entry in groups[key]] + lead + tail
    container._map.clear()
    for index, (key, _) in enumerate(container.body):
        if key is not None:
            container._map[key] = index


def _same_order(text: str, value: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether `text`'s tables and their settings come in the order of `value`'s (a dict
    comparison, as _reads_as makes, does not see a move)."""
    read = tomllib.loads(text)
    return list(read) == list(value) and all(
        list(read[name]) == list(items) for name, items in value.items()
    )


def _reads_as(text: str, value: Mapping[str, Any]) -> bool:
    try:
        return tomllib.loads(text) == value
    except tomllib.TOMLDecodeError:
        return False


def _tables(value: Any) -> bool:
    """Whether a top-level value is written as [[tables]]: a non-empty list of objects."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _key(key: str) -> str:
    return tomlkit.key(key).as_string()


def _value(value: Any, indent: str = "") -> str:
    """A value as TOML text: objects inline, lists of objects one per line."""
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        if any(isinstance(v, Mapping | list) for v in value):
            inner = indent + "  "
            items = "".join(f"{inner}{_value(v, inner)},\n" for v in value)
            return f"[\n{items}{indent}]"
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if value is None:
        raise ValueError("null")
    return tomlkit.item(value).as_string()


def _item(value: Any) -> Any:
    """A new tomlkit item for `value`, laid out as `_value` writes it."""
    return tomlkit.parse(f"v = {_value(value)}\n")["v"]


def _table(value: Mapping[str, Any], name: str) -> Table:
    """A new [[name]] table for `value`, with the blank line that ends each table."""
    lines = [f"[[{_key(name)}]]"] + [f"{_key(k)} = {_value(v)}" for k, v in value.items()]
    return tomlkit.parse("\n".join(lines) + "\n\n")[name][0]


def _container(table: Any) -> Container:
    return table if isinstance(table, Container) else table.value


def _update(table: Any, value: Mapping[str, Any]) -> None:
    """Make `table` (the document, a table or an inline table) hold `value`."""
    for key in [k for k in table if k not in value]:
        del table[key]
    previous = None  # the last setting written in place (not a [[table]])
    for key, new in value.items():
        if isinstance(table, Container) and key in table:
            if isinstance(table[key], AoT) != _tables(new):
                del table[key]  # [[tables]] become a plain value, or the other way round
        if key not in table:
            _insert(table, previous, key, new)
        else:
            _replace(table, key, new)
        if not _tables(new):
            previous = key


def _insert(table: Any, previous: str | None, key: str, new: Any) -> None:
    """A new setting, after the one before it in the definition (not at the table's end,
    where the comments introducing the next table lie)."""
    if isinstance(table, InlineTable) or (_tables(new) and isinstance(table, Container)):
        # Inline tables have no comments; new [[tables]] go after everything else.
        table[key] = _table_list(new, key) if _tables(new) else _item(new)
        return
    container = _container(table)
    if previous is not None:
        container._insert_after(previous, key, _item(new))
        return
    first = next((i for i, (k, _) in enumerate(container.body) if k is not None), None)
    if first is None:
        table[key] = _item(new)
    else:
        container._insert_at(first, key, _item(new))


def _table_list(items: list[Mapping[str, Any]], name: str) -> AoT:
    tables = tomlkit.aot()
    for item in items:
        tables.append(_table(item, name))
    return tables


def _replace(table: Any, key: str, new: Any) -> None:
    old = table[key]
    if isinstance(old, AoT) and _tables(new):
        _update_tables(table, old, new, key)
    elif isinstance(old, Table | InlineTable) and isinstance(new, Mapping):
        if isinstance(old, InlineTable) and set(old) != set(new):
            table[key] = _item(new)  # written whole, in the file's { en = …, fr = … } style
        else:
            _update(old, new)
    elif isinstance(old, Array) and isinstance(new, list):
        if old.unwrap() != new:
            table[key] = _item(new)
    elif not _same(old, new):
        table[key] = _item(new)  # tomlkit keeps the old value's trailing comment


def _same(old: Any, new: Any) -> bool:
    unwrapped = old.unwrap() if hasattr(old, "unwrap") else old
    return type(unwrapped) is type(new) and unwrapped == new


def _update_tables(parent: Any, tables: AoT, items: list[Mapping[str, Any]], name: str) -> None:
    """Each item into its table: the table of the same `name` setting, else the one at its
    position; the tables follow the items' order and keep their own comments."""
    olds = list(tables)
    names = {item.get("name") for item in items if isinstance(item.get("name"), str)}
    used: set[int] = set()
    chosen: list[Table] = []
    for index, item in enumerate(items):
        match = next(
            (
                i
                for i, old in enumerate(olds)
                if i not in used
                and isinstance(item.get("name"), str)
                and old.get("name") == item["name"]
            ),
            None,
        )
        if match is None and index < len(olds) and index not in used:
            if olds[index].get("name") not in names:
                match = index
        if match is None:
            chosen.append(_table(item, name))
        else:
            used.add(match)
            _update(olds[match], item)
            chosen.append(olds[match])
    if len(chosen) == len(olds) and all(a is b for a, b in zip(chosen, olds, strict=True)):
        return
    # The comments above a [[table]] end what precedes it (the table before, or the settings
    # before the first table): each moves with its own table, written before its header.
    tails = [_cut_tail(table) for table in olds]
    leads = {id(table): _text(tail) for table, tail in zip(olds[1:], tails, strict=False)}
    leads[id(olds[0])] = _cut_lead(parent, name)
    for table in chosen:
        if not any(table is old for old in olds):
            _cut_tail(table)
        table.trivia.indent = leads.get(id(table), "\n")
    if chosen:
        chosen[-1].value.body.extend(tails[-1])  # above what follows the tables
    while len(tables):
        del tables[len(tables) - 1]
    for table in chosen:
        tables.append(table)


def _text(entries: list[tuple[Any, Any]]) -> str:
    return "".join(item.as_string() for _, item in entries)


def _cut_lead(parent: Any, name: str) -> str:
    """Take the blank lines and comments just above the [[name]] tables out of `parent`."""
    if not isinstance(parent, Container):
        return ""
    index = parent._map.get(tomlkit.key(name))
    if not isinstance(index, int):
        return ""
    body = parent.body
    start = index
    while (
        start
        and body[start - 1][0] is None
        and isinstance(body[start - 1][1], Comment | Whitespace)
    ):
        start -= 1
    lead = _text(body[start:index])
    for position in range(start, index):
        body[position] = (None, Null())  # renders nothing; keeps the keys' positions
    return lead


def _cut_tail(table: Table) -> list[tuple[Any, Any]]:
    """Take the blank lines and comments that end a table's body out of it."""
    body = table.value.body
    end = len(body)
    while end and body[end - 1][0] is None:
        end -= 1
    tail = body[end:]
    del body[end:]
    return tail
