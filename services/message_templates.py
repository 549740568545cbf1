"""Message templates: one per kind and language, versioned, rendered in a Jinja2 sandbox.

The defaults are data (processes/messages/<kind>.<language>.txt, and kinds.toml for the
variables each kind may use); `seed` copies them into the message_template table, where an
administrator edits them. Every save is a new version, and the newest is the one used.

Each version records the SHA-256 of the shipped file it copies or was edited beside
(shipped_sha256). A version in use whose text is a shipped wording (the one it copied, or one
listed in processes/messages/shipped.toml: every wording shipped before) was never edited: when
the shipped file changes, `seed` (every deploy) makes the new wording the one in use. An edited
one is kept, and the template's page says that the shipped wording changed since, with a
comparison and a way to take the shipped wording or to keep the edit.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from forms.text import N_
from services import audit, business_calendar, dates, roles
from services.clock import utcnow
from services.db import db
from services.errors import InvalidInput, NotAllowed, NotFound
from services.models import MessageTemplate, User

MESSAGES_DIR = Path(__file__).resolve().parent.parent / "processes" / "messages"
LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
SEPARATOR = "---"

# Text goes out as typed (no HTML escaping); the HTML part escapes every value.
_TEXT = SandboxedEnvironment(
    undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
)
_HTML = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)
# Without Jinja's own names (range, dict, cycler, joiner, lipsum, namespace): a template calls
# nothing, and printed bare ("{{ range }}") one showed a complainant "<function ...>"; now it
# is an unknown variable, as any other name its kind does not give.
_TEXT.globals.clear()
_HTML.globals.clear()
_URL = re.compile(r"(https?://[^\s<]+)")


@dataclass(frozen=True)
class Rendered:
    """A message ready to send: subject, plain text and HTML."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Source:
    """A template's source: what an administrator edits."""

    subject: str
    body_text: str
    body_html: str | None = None


@dataclass(frozen=True)
class Kind:
    """A message kind: who receives it and the variables (with sample values) it may use."""

    name: str
    audience: str
    description: str
    samples: Mapping[str, Any]
    description_fr: str = ""
    # The preview's values for a French template, where the English ones are words or dates.
    samples_fr: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    # A draft a person completes before it is sent (the response letter's), not a message: no
    # subject, no HTML version, and its text is kept as the template writes it.
    draft: bool = False

    def describe(self, language: str) -> str:
        """What the message is for, in French when asked and known, else in English."""
        return self.description_fr if language == "fr" and self.description_fr else self.description


@cache
def kinds() -> dict[str, Kind]:
    """Every message kind, from processes/messages/kinds.toml."""
    with (MESSAGES_DIR / "kinds.toml").open("rb") as f:
        data = tomllib.load(f)
    common = data.get("complainant_variables", {})
    result = {}
    for name, spec in data["kinds"].items():
        samples = {**common, **spec["variables"]} if spec["audience"] == "complainant" else {}
        result[name] = Kind(
            name,
            spec["audience"],
            spec.get("description", ""),
            samples or dict(spec["variables"]),
            spec.get("description_fr", ""),
            dict(spec.get("variables_fr", {})),
            bool(spec.get("draft", False)),
        )
    return result


def kind(name: str) -> Kind:
    """A message kind by name, or NotFound."""
    found = kinds().get(name)
    if found is None:
        raise NotFound(f"There is no message kind '{name}'.")
    return found


def variables(name: str) -> list[str]:
    """The variables a template of this kind may use, sorted."""
    return sorted(kind(name).samples)


def language_of(language: str | None) -> str:
    """A supported language: the given one, else the default."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def long_date(value: date | datetime | str | None, language: str) -> str:
    """A date as a letter in `language` writes it (services/dates.py): 2 November 2026,
    2 novembre 2026.

    A moment (a datetime, or ISO text with a time) is dated in the organisation's time zone:
    a due time of 23:30 UTC is the next day in Paris."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return str(value)  # already in words
        value = parsed.date() if len(value.strip()) <= 10 else parsed
    return dates.long_date(value, language_of(language))


def long_datetime(value: datetime | str | None, language: str) -> str:
    """A moment as staff messages write it, in the organisation's time zone and named:
    2 December 2026 at 17:30 (Europe/Paris), 2 décembre 2026 à 17:30 (Europe/Paris)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)  # already in words
    if value is None:
        return ""
    local = business_calendar.to_local(value)
    at = "à" if language_of(language) == "fr" else "at"
    return f"{long_date(local, language)} {at} {local:%H:%M} ({local.tzinfo})"


def parse(text: str) -> Source:
    """A default template file: `subject: …`, a `---` line, then the body."""
    head, sep, body = text.partition(f"\n{SEPARATOR}\n")
    if not sep or not head.startswith("subject:"):
        raise ValueError("A template starts with 'subject: …' and a '---' line.")
    return Source(head.removeprefix("subject:").strip(), body)


def source_hash(src: Source) -> str:
    """The SHA-256 of a template's wording (subject, text, HTML), line endings and the white
    space around each part aside: what tells a copy of a shipped file from an edit."""
    parts = (src.subject, src.body_text, src.body_html or "")
    text = "\n\x1e\n".join(part.replace("\r\n", "\n").strip() for part in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def shipped_hash(name: str, language: str) -> str | None:
    """The SHA-256 of the shipped file's wording now, or None if none is shipped."""
    found = default(name, language)
    return source_hash(found) if found is not None else None


@cache
def _earlier_shipped() -> dict[str, Any]:
    path = MESSAGES_DIR / "shipped.toml"
    if not path.is_file():
        return {}
    with path.open("rb") as f:
        return tomllib.load(f)


def earlier_shipped(name: str, language: str) -> frozenset[str]:
    """The SHA-256 of every wording of (kind, language) shipped before this release
    (processes/messages/shipped.toml)."""
    return frozenset(_earlier_shipped().get(name, {}).get(language, ()))


def is_shipped_wording(row: MessageTemplate) -> bool:
    """The version's text is a wording we shipped (now or before): nobody edited it."""
    found = source_hash(source_of(row))
    return found in {row.shipped_sha256, shipped_hash(row.kind, row.language)} or (
        found in earlier_shipped(row.kind, row.language)
    )


def _edited_beside(row: MessageTemplate) -> str | None:
    """The shipped wording (its SHA-256) an edited version was written beside: the one it
    recorded, else (saved before versions recorded it) that of the newest earlier version
    that is a shipped wording; None if none tells."""
    if row.shipped_sha256:
        return row.shipped_sha256
    earlier = db.session.scalars(
        db.select(MessageTemplate)
        .where(
            MessageTemplate.kind == row.kind,
            MessageTemplate.language == row.language,
            MessageTemplate.version < row.version,
        )
        .order_by(MessageTemplate.version.desc())
    )
    for version in earlier:
        if version.shipped_sha256:
            return version.shipped_sha256
        if is_shipped_wording(version):
            return source_hash(source_of(version))
    return None


def shipped_changed(name: str, language: str) -> bool:
    """The version in use was edited by an administrator, and the shipped wording changed
    since (what the template's page tells them, offering to compare and to take it)."""
    row = active(name, language)
    now = shipped_hash(name, language)
    if row is None or now is None or is_shipped_wording(row):
        return False
    beside = _edited_beside(row)
    return beside is not None and beside != now


def default(name: str, language: str) -> Source | None:
    """The default template from processes/messages, or None if there is none (a draft's
    file is its text alone)."""
    path = MESSAGES_DIR / f"{name}.{language}.txt"
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    return Source("", text) if kind(name).draft else parse(text)


def active(name: str, language: str) -> MessageTemplate | None:
    """The version in use for (kind, language): the newest saved one."""
    return db.session.scalar(
        db.select(MessageTemplate)
        .where(MessageTemplate.kind == name, MessageTemplate.language == language)
        .where(MessageTemplate.active.is_(True))
        .order_by(MessageTemplate.version.desc())
        .limit(1)
    )


def source(name: str, language: str) -> Source:
    """What (kind, language) renders from: the active version, else the default file."""
    row = active(name, language)
    if row is not None:
        return Source(row.subject, row.body_text, row.body_html)
    found = default(name, language) or default(name, DEFAULT_LANGUAGE)
    if found is None:
        raise NotFound(f"There is no template for '{name}'.")
    return found


def render(name: str, language: str | None, context: Mapping[str, Any]) -> Rendered:
    """The message of kind `name` in `language`, from the template in use."""
    language = language_of(language)
    return render_source(source(name, language), name, context)


# What a template may do beyond showing its variables. Jinja's sandbox keeps a template from
# Python's insides, not from spinning or allocating: `{{ 'a' * 10**9 }}`, `'x'|center(10**9)`
# or two nested loops over range(100000) would hold the web worker at the preview and the
# delivery worker at every message of the kind, for good. So a template may test, compare and
# join its variables and loop over one of them (not inside another loop), and no more: no
# calls, no multiplying, powers or %-formatting, no filter that pads or repeats.
_SAFE_NODES = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.Getattr,
    nodes.Getitem,
    nodes.Slice,
    nodes.If,
    nodes.For,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Neg,
    nodes.Pos,
    nodes.Add,
    nodes.Sub,
    nodes.Div,
    nodes.FloorDiv,
    nodes.Concat,
    nodes.CondExpr,
    nodes.Filter,
    nodes.Test,
    nodes.List,
    nodes.Tuple,
    nodes.Pair,
    nodes.Dict,
)
_SAFE_FILTERS = frozenset(
    {
        "abs",
        "capitalize",
        "count",
        "d",
        "default",
        "e",
        "escape",
        "first",
        "float",
        "int",
        "join",
        "last",
        "length",
        "list",
        "lower",
        "reverse",
        "round",
        "sort",
        "string",
        "striptags",
        "title",
        "trim",
        "truncate",
        "unique",
        "upper",
    }
)


def _refusal(template: nodes.Template) -> tuple[int, str] | None:
    """The line and what of the first thing a parsed template may not do, or None."""
    for node in template.find_all(nodes.Node):
        if not isinstance(node, _SAFE_NODES):
            return node.lineno, type(node).__name__
        if isinstance(node, nodes.Name) and node.name == "self":  # the template's own blocks
            return node.lineno, "self"
        if isinstance(node, nodes.Filter) and node.name not in _SAFE_FILTERS:
            return node.lineno, f"|{node.name}"
        if isinstance(node, nodes.For):
            if node.recursive or not isinstance(node.iter, nodes.Name | nodes.Getattr):
                return node.lineno, "for ... in (not a variable)"
            inner = next(iter(node.find_all(nodes.For)), None)
            if inner is not None:
                return inner.lineno, "for ... in ... (inside another loop)"
    return None


def _bounded(env: SandboxedEnvironment, source: str) -> Template:
    """The template compiled, if it does only what _refusal lets through; else SecurityError."""
    refused = _refusal(env.parse(source))
    if refused is not None:
        line, what = refused
        raise SecurityError(f"line {line}: message templates may not use {what}")
    return env.from_string(source)


@lru_cache(maxsize=512)
def _compiled(html: bool, source: str) -> Template:
    """A template compiled once per source text: compiling costs more than rendering, and
    every thrown message renders two or three (an edited template is a new key)."""
    return _bounded(_HTML if html else _TEXT, source)


def render_source(src: Source, name: str, context: Mapping[str, Any]) -> Rendered:
    """Render a template source: documented variables not given are empty. A draft is its
    text alone, exactly as the template writes it (the person completing it tidies it)."""
    info = kind(name)
    values = {var: "" for var in info.samples} | dict(context)
    if info.draft:
        try:
            return Rendered("", _compiled(False, src.body_text).render(values), "")
        except TemplateError as exc:
            raise InvalidInput(f"The template could not be rendered: {exc}") from exc
    try:
        subject = _compiled(False, src.subject).render(values)
        text = _compiled(False, src.body_text).render(values)
        body_html = (
            _compiled(True, src.body_html).render(values) if src.body_html else text_to_html(text)
        )
    except TemplateError as exc:
        raise InvalidInput(f"The template could not be rendered: {exc}") from exc
    return Rendered(" ".join(subject.split()), _tidy(text), body_html)


def _tidy(text: str) -> str:
    """At most one empty line in a row, none at the ends: conditions leave blank lines."""
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def text_to_html(text: str) -> str:
    """The plain text as simple HTML: escaped, paragraphs, links made clickable."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    parts = []
    for paragraph in paragraphs:
        escaped = html.escape(paragraph)
        linked = _URL.sub(r'<a href="\1">\1</a>', escaped)
        parts.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return "\n".join(parts) + "\n"


# The address the sample links of processes/messages/kinds.toml are written on.
SAMPLE_SITE = "http://localhost:5000"


def sample(
    name: str, language: str, src: Source | None = None, *, site: str = SAMPLE_SITE
) -> Rendered:
    """The template rendered on the sample complaint of its kind (the preview), its sample
    links on `site` (the site's own address, as the messages sent carry)."""
    language = language_of(language)
    info = kind(name)
    samples = {**info.samples, **(info.samples_fr if language == "fr" else {})}
    if "received" in samples and "received_date" in samples:
        samples["received_date"] = long_date(samples.get("received"), language)
    return render_source(src or source(name, language), name, _on_site(samples, site))


def _on_site(value: Any, site: str) -> Any:
    """A sample value with its links moved from SAMPLE_SITE to `site`."""
    if isinstance(value, str) and value.startswith(SAMPLE_SITE + "/"):
        return site.rstrip("/") + value[len(SAMPLE_SITE) :]
    if isinstance(value, dict):
        return {key: _on_site(item, site) for key, item in value.items()}
    if isinstance(value, list):
        return [_on_site(item, site) for item in value]
    return value


def check(name: str, src: Source) -> None:
    """Refuse a template that does not parse, does more than _refusal lets through, or uses a
    variable its kind does not have."""
    info = kind(name)
    allowed = set(info.samples)
    errors: dict[str, list[str]] = {}
    parts = (("body_text", src.body_text),)
    if not info.draft:  # a draft has no subject and no HTML version
        parts = (("subject", src.subject), *parts, ("body_html", src.body_html or ""))
    for field, text in parts:
        env = _HTML if field == "body_html" else _TEXT
        try:
            tree = env.parse(text)
        except TemplateError as exc:
            # Jinja's own explanation stays as it is (its words, a line number).
            errors.setdefault(field, []).append(
                N_("This template does not parse: %(problem)s", problem=str(exc))
            )
            continue
        refused = _refusal(tree)
        if refused is not None:
            errors.setdefault(field, []).append(
                N_(
                    "Line %(line)s uses %(what)s: a message template shows, tests and joins "
                    "its variables and loops over one of them, but calls no function, does "
                    "not multiply or pad text and puts no loop inside another.",
                    line=refused[0],
                    what=refused[1],
                )
            )
            continue
        used = meta.find_undeclared_variables(tree)
        for unknown in sorted(used - allowed):
            errors.setdefault(field, []).append(
                N_(
                    "Unknown variable '%(name)s'. This message may use: %(names)s.",
                    name=unknown,
                    names=", ".join(sorted(allowed)),
                )
            )
    if not info.draft and not src.subject.strip():
        errors.setdefault("subject", []).append(N_("A subject is required."))
    if not src.body_text.strip():
        errors.setdefault("body_text", []).append(N_("A text is required."))
    if errors:
        first = next(iter(errors.values()))[0]
        raise InvalidInput(first, details=errors)
    # A template that parses may still fail at run time (a filter on the wrong type).
    sample(name, DEFAULT_LANGUAGE, src)


def manages_templates(user: User) -> bool:
    """Administrators edit the message templates."""
    return user.active and user.has_role(roles.ADMINISTRATOR)


def require_manages_templates(user: User) -> User:
    """The user if they may edit message templates, else NotAllowed."""
    if not manages_templates(user):
        raise NotAllowed("Only administrators edit the message templates.")
    return user


def _next_version(name: str, language: str) -> int:
    current = db.session.scalar(
        db.select(db.func.max(MessageTemplate.version)).where(
            MessageTemplate.kind == name, MessageTemplate.language == language
        )
    )
    return (current or 0) + 1


def _add_version(
    name: str,
    language: str,
    src: Source,
    author: User | None,
    comment: str,
    shipped: str | None = None,
) -> MessageTemplate:
    db.session.execute(
        db.update(MessageTemplate)
        .where(MessageTemplate.kind == name, MessageTemplate.language == language)
        .values(active=False)
    )
    row = MessageTemplate(
        kind=name,
        language=language,
        version=_next_version(name, language),
        subject=src.subject,
        body_text=src.body_text,
        body_html=src.body_html or None,
        active=True,
        created_by_id=author.id if author else None,
        created_at=utcnow(),
        comment=comment,
        # The shipped wording it copies or was written beside (the file's, now).
        shipped_sha256=shipped if shipped is not None else shipped_hash(name, language),
    )
    db.session.add(row)
    db.session.flush()
    return row


def save(user: User, name: str, language: str, src: Source, comment: str = "") -> MessageTemplate:
    """Save a new version of (kind, language), which becomes the one in use."""
    require_manages_templates(user)
    if kind(name).draft:  # its text alone
        src = Source("", src.body_text)
    if language not in LANGUAGES:
        raise NotFound(f"There is no language '{language}'.")
    check(name, src)
    if active(name, language) is None:
        seed()
    row = _add_version(name, language, src, user, comment.strip())
    _record_saved(user, row, comment=comment)
    return row


def _record_saved(user: User, row: MessageTemplate, **data: Any) -> None:
    audit.record(
        None,
        "template_saved",
        actor=user,
        message="Message template %(name)s (%(language)s) version %(version)s",
        params={"name": row.kind, "language": row.language, "version": row.version},
        data={"kind": row.kind, "language": row.language, "version": row.version, **data},
    )


def version_of(name: str, language: str, number: int) -> MessageTemplate:
    """One saved version of (kind, language), or NotFound."""
    row = db.session.scalar(
        db.select(MessageTemplate).where(
            MessageTemplate.kind == name,
            MessageTemplate.language == language,
            MessageTemplate.version == number,
        )
    )
    if row is None:
        raise NotFound(f"There is no version {number} of this template.")
    return row


def source_of(row: MessageTemplate) -> Source:
    """What a saved version renders from."""
    return Source(row.subject, row.body_text, row.body_html)


def restore(user: User, name: str, language: str, number: int) -> MessageTemplate:
    """Use an earlier version again: a new version copying it, in use from now on."""
    require_manages_templates(user)
    old = version_of(name, language, number)
    if old.active:
        raise InvalidInput("This version is already the one in use.")
    src = source_of(old)
    check(name, src)  # the kind's variables may have changed since it was saved
    # A shipped wording stays one; an edit keeps the shipped wording it was written beside.
    shipped = source_hash(src) if is_shipped_wording(old) else _edited_beside(old)
    row = _add_version(name, language, src, user, f"Restored version {number}", shipped)
    audit.record(
        None,
        "template_restored",
        actor=user,
        message="Message template %(name)s (%(language)s) version %(restored)s restored as "
        "version %(version)s",
        params={"name": name, "language": language, "restored": number, "version": row.version},
        data={"kind": name, "language": language, "version": row.version, "restored": number},
    )
    return row


SHIPPED_COMMENT = "Shipped wording"


def keep_edited(user: User, name: str, language: str) -> MessageTemplate:
    """Keep the edited wording in use after the shipped one changed: a new version copying
    it, written beside the shipped wording of now (the page no longer says it changed)."""
    require_manages_templates(user)
    row = active(name, language)
    if row is None or not shipped_changed(name, language):
        raise InvalidInput("The shipped wording has not changed since this version was saved.")
    kept = _add_version(name, language, source_of(row), user, f"Kept version {row.version}")
    _record_saved(user, kept, kept=row.version)
    return kept


def seed() -> int:
    """Copy each default template that has no version yet into the table, and make the
    shipped wording the one in use where the version in use is an earlier shipped wording
    (never edited); how many versions were added. Edited templates are kept."""
    added = 0
    for name in kinds():
        for language in LANGUAGES:
            src = default(name, language)
            if src is None:
                continue
            if _next_version(name, language) == 1:
                _add_version(name, language, src, None, "Default template")
                added += 1
                continue
            row = active(name, language)
            if row is None or not is_shipped_wording(row):
                continue
            if source_hash(source_of(row)) == source_hash(src):
                continue
            follow_shipped(None, name, language)
            added += 1
    return added


def follow_shipped(user: User | None, name: str, language: str) -> MessageTemplate:
    """Make the shipped wording the one in use: a new version copying the shipped file
    (`user` None: a deploy updating a template nobody edited); audited."""
    if user is not None:
        require_manages_templates(user)
    src = default(name, language)
    if src is None:
        raise NotFound(f"There is no shipped template for '{name}' in '{language}'.")
    row = _add_version(name, language, src, user, SHIPPED_COMMENT)
    audit.record(
        None,
        "template_shipped",
        actor=user,
        message="Message template %(name)s (%(language)s) version %(version)s: the shipped wording",
        params={"name": name, "language": language, "version": row.version},
        data={"kind": name, "language": language, "version": row.version},
    )
    return row


def versions(name: str, language: str) -> list[MessageTemplate]:
    """Every saved version of (kind, language), newest first."""
    return list(
        db.session.scalars(
            db.select(MessageTemplate)
            .where(MessageTemplate.kind == name, MessageTemplate.language == language)
            .order_by(MessageTemplate.version.desc())
        )
    )


def missing() -> list[tuple[str, str]]:
    """(kind, language) pairs that have no default template: each a gap in what we send."""
    return [
        (name, language)
        for name in kinds()
        for language in LANGUAGES
        if not (MESSAGES_DIR / f"{name}.{language}.txt").is_file()
    ]
