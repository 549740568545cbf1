"""The forms and choice lists of each process version: definitions deployed with the
diagrams, compiled once.

A version's files hold its forms as `forms/<form key>.toml` (forms.definitions) and its
choice lists as `choices.toml` (forms.lists). A running complaint keeps the forms and the
labels of the version it runs on. Versions deployed before forms (or lists) were data hold
none: they use the ones shipped in processes/, which a deploy also adds for any form, or the
lists, the files leave out.
"""

from __future__ import annotations

import ast
import builtins
import threading
import tomllib
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from lxml import etree

from forms import ComplaintForm, StaffIntakeForm, TaskForm, conditions, definitions
from forms import lists as choice_lists
from forms.definitions import DefinitionError, FormDefinition
from forms.lists import ChoiceLists, ListsError
from forms.text import N_
from services.engine import Problem, sandbox
from services.errors import NotFound
from services.recent import Recent

FORMS_DIR = definitions.SHIPPED_DIR
PREFIX = "forms/"
SUFFIX = ".toml"
LISTS_FILE = choice_lists.FILE_NAME
# What the application gives the procedure besides the forms' answers: the filing's
# answers and the start data (services.workflows.start).
START_DATA = frozenset(
    {"reference", "channel", "anonymous", "information_requests", "sensitive_at_intake"}
)
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
DMN_NAMES = (
    "{https://www.omg.org/spec/DMN/20191111/MODEL/}",
    "{http://www.omg.org/spec/DMN/20151101/dmn.xsd}",
)

conditions.use_evaluator(
    sandbox.RestrictedEnvironment().evaluate,
    lambda source: sandbox.check_restricted(source, "eval"),
)

# Each version's compiled forms and lists, for the few versions in use (a deploy adds one).
_BY_HASH: Recent[str, dict[str, FormDefinition]] = Recent(4)
_LISTS_BY_HASH: Recent[str, ChoiceLists] = Recent(8)
_LOCK = threading.Lock()


def file_name(key: str) -> str:
    """The name a form's definition has among a version's files."""
    return f"{PREFIX}{key}{SUFFIX}"


def key_of(name: str) -> str | None:
    """The form key of a definition's file name, or None for another file."""
    if name.startswith(PREFIX) and name.endswith(SUFFIX):
        return name[len(PREFIX) : -len(SUFFIX)]
    return None


def shipped_files() -> dict[str, bytes]:
    """The definitions shipped in processes/forms, by file name (forms/<key>.toml), and the
    shipped choice lists (choices.toml)."""
    files = {file_name(p.stem): p.read_bytes() for p in sorted(FORMS_DIR.glob(f"*{SUFFIX}"))}
    files[LISTS_FILE] = choice_lists.SHIPPED_PATH.read_bytes()
    return files


def with_shipped(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """The files, plus the shipped definition of every form they do not define, and the
    shipped choice lists if they hold none."""
    return {**shipped_files(), **files}


def lists_of(files: Mapping[str, bytes | str]) -> tuple[ChoiceLists, list[Problem]]:
    """The choice lists among `files` (the shipped ones if none); a problem per reason they
    cannot be used (the shipped lists are then returned, so that forms are checked too),
    its element_id the list, or "<list>/<value>", it concerns (forms.lists.place)."""
    content = files.get(LISTS_FILE)
    if content is None:
        return choice_lists.shipped(), []
    where = N_("choice lists")
    try:
        text = content.decode("utf-8") if isinstance(content, bytes) else content
        return choice_lists.compiled(text), []
    except UnicodeDecodeError:
        return choice_lists.shipped(), [Problem(LISTS_FILE, where, N_("not UTF-8 text"))]
    except ListsError as exc:
        return choice_lists.shipped(), [
            Problem(LISTS_FILE, where, p, at)
            for p, at in zip(exc.problems, exc.places, strict=True)
        ]


def lists_for_version(version: Any) -> ChoiceLists:
    """A process version's choice lists (its own, else the shipped ones)."""
    if version is None:
        return choice_lists.shipped()
    found = _LISTS_BY_HASH.get(version.content_hash)
    if found is None:
        found, _ = lists_of(version.files or {})
        with _LOCK:
            _LISTS_BY_HASH[version.content_hash] = found
    return found


def active_lists() -> ChoiceLists:
    """The choice lists of the active version: those new complaints and the application's
    own forms and pages use (the shipped ones before any deploy). Pages read them often: the
    version's hash alone is asked for, and its files read once per version."""
    from services import processes
    from services.db import db
    from services.models import ProcessVersion

    digest = db.session.scalar(
        db.select(ProcessVersion.content_hash).where(
            ProcessVersion.process_id == processes.DEFAULT_PROCESS_ID,
            ProcessVersion.active.is_(True),
        )
    )
    if digest is None:
        return choice_lists.shipped()
    found = _LISTS_BY_HASH.get(digest)
    return found if found is not None else lists_for_version(processes.active_version())


def _cached_lists(version_id: int, digest: str) -> ChoiceLists:
    """A version's lists by its id and hash, as a page's one statement found them: this
    process's copy, else its files read once (lists_for_version keeps them)."""
    from services.db import db
    from services.models import ProcessVersion

    found = _LISTS_BY_HASH.get(digest)
    if found is None:
        found = lists_for_version(db.session.get(ProcessVersion, version_id))
    return found


def versions_lists() -> tuple[ChoiceLists, ChoiceLists]:
    """The active version's choice lists, and those of every deployed version merged
    (forms.lists.merged: the active version's first, then the newer before the older), from
    one statement for the versions' hashes (each version's files are read once per process).
    The merged lists are what filters accept, so that a value a later version removed still
    finds the complaints that hold it."""
    from services import processes
    from services.db import db
    from services.models import ProcessVersion

    rows = db.session.execute(
        db.select(ProcessVersion.id, ProcessVersion.content_hash, ProcessVersion.active)
        .where(ProcessVersion.process_id == processes.DEFAULT_PROCESS_ID)
        .order_by(ProcessVersion.active.desc(), ProcessVersion.version.desc())
    ).all()
    if not rows:
        return choice_lists.shipped(), choice_lists.shipped()
    versions: list[ChoiceLists] = []
    for version_id, digest, _active in rows:
        found = _cached_lists(version_id, digest)
        if found not in versions:
            versions.append(found)
    active = versions[0] if rows[0].active else choice_lists.shipped()
    return active, _merged(tuple(versions))


@lru_cache(maxsize=32)
def _merged(versions: tuple[ChoiceLists, ...]) -> ChoiceLists:
    """forms.lists.merged, once per set of versions (pages ask for it on every request)."""
    return choice_lists.merged(list(versions))


def lists_for_complaint(complaint: Any) -> ChoiceLists:
    """The choice lists of the version a complaint runs on (the active one before it has
    one), reading a value they lack in the shipped lists."""
    instance = getattr(complaint, "instance", None) if complaint is not None else None
    version = getattr(instance, "process_version", None)
    found = lists_for_version(version) if version is not None else active_lists()
    return found.with_fallback(choice_lists.shipped())


def lists_for_complaints(complaints: Sequence[Any]) -> dict[int, ChoiceLists]:
    """lists_for_complaint of each complaint of a list, by id, asked for together: one
    statement for the versions they run on, and one per version whose lists this process has
    not read yet (not one per complaint, as reading each complaint's instance would be)."""
    from services.db import db
    from services.models import ProcessInstance, ProcessVersion

    if not complaints:
        return {}
    rows = db.session.execute(
        db.select(ProcessInstance.complaint_id, ProcessVersion.id, ProcessVersion.content_hash)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
        .where(ProcessInstance.complaint_id.in_([c.id for c in complaints]))
    ).all()
    shipped = choice_lists.shipped()
    by_version: dict[int, ChoiceLists] = {}
    for _, version_id, digest in rows:
        if version_id not in by_version:
            by_version[version_id] = _cached_lists(version_id, digest).with_fallback(shipped)
    version_of = {complaint_id: version_id for complaint_id, version_id, _ in rows}
    by_complaint: dict[int, ChoiceLists] = {}
    for complaint in complaints:
        version_id = version_of.get(complaint.id)
        if version_id is None:  # not started yet: the active version's, as for one complaint
            by_version.setdefault(0, active_lists().with_fallback(shipped))
            version_id = 0
        by_complaint[complaint.id] = by_version[version_id]
    return by_complaint


def lists_text(version: Any | None) -> str:
    """The text of a version's choice lists (the shipped ones if it has none)."""
    content = (version.files or {}).get(LISTS_FILE) if version is not None else None
    if content is None:
        return choice_lists.shipped_text()
    return content.decode("utf-8") if isinstance(content, bytes) else content


def editable_lists(version: Any) -> list[dict[str, Any]]:
    """A version's choice lists as the editor edits them (forms.lists.as_json)."""
    try:
        return choice_lists.as_json(lists_text(version))
    except tomllib.TOMLDecodeError:
        return choice_lists.as_json(choice_lists.shipped_text())  # a deploy never stores one


def lists_file_from_json(lists: Any, version: Any | None = None) -> bytes:
    """The choice lists the editor sends (forms.lists.from_json) as choices.toml, written
    into the text of the version edited so that its comments and layout stay; unchanged
    lists keep that text as it is. ValueError (a Text) when they are not lists."""
    before = lists_text(version)
    value = choice_lists.from_json(lists)
    if _ordered(value) == _ordered(tomllib.loads(before)):
        return before.encode("utf-8")
    return choice_lists.dumps(value, before).encode("utf-8")


def _ordered(value: Any) -> Any:
    """A parsed value with its tables' order made visible (dicts compare without it)."""
    if isinstance(value, Mapping):
        return [(k, _ordered(v)) for k, v in value.items()]
    return value


def list_users(forms: Mapping[str, FormDefinition]) -> dict[str, list[str]]:
    """List name → the keys of the forms with a field that offers it."""
    found: dict[str, list[str]] = {}
    for key in sorted(forms):
        named = {listed for listed, _ in forms[key].choice_values.values() if listed}
        for name in sorted(named):
            found.setdefault(name, []).append(key)
    return found


def uses(files: Mapping[str, bytes], name: str, value: str | None = None) -> list[Problem]:
    """What stops a deploy once the list `name`, or its `value`, is taken out of the choice
    lists among `files`: the deploy's checks of the lists (lists_of) and of the forms and the
    diagrams (check()), those they find without it that they do not find with it. The forms
    and diagrams are checked against the values that can be read (forms.lists.readable), so
    that a value still half written elsewhere does not hide the answer."""
    files = with_shipped(files)
    before = files[LISTS_FILE].decode("utf-8")
    tables = {entry["name"]: entry for entry in choice_lists.as_json(before)}
    if name not in tables:
        return []
    if value is None:
        del tables[name]
    else:
        tables[name]["values"] = [v for v in tables[name]["values"] if v["value"] != value]
    after = choice_lists.dumps(choice_lists.from_json(list(tables.values())), before)

    def findings(text: str) -> list[Problem]:
        lists = choice_lists.readable(text)
        return lists_of({LISTS_FILE: text})[1] + check(files, lists)[1]

    found = {_key(p) for p in findings(before)}
    return [p for p in findings(after) if _key(p) not in found]


def _key(problem: Problem) -> tuple[str, str, str]:
    return (problem.file, problem.element_id, str(problem.message))


def _compiled(key: str, text: str, lists: ChoiceLists) -> FormDefinition:
    return definitions.compiled(key, text, lists)


def compile_files(
    files: Mapping[str, bytes | str], lists: ChoiceLists | None = None
) -> tuple[dict[str, FormDefinition], list[Problem]]:
    """Each definition among `files`, compiled with the files' choice lists (or `lists`); a
    problem per definition that cannot be, and per reason the lists cannot be used."""
    found: dict[str, FormDefinition] = {}
    problems: list[Problem] = []
    if lists is None:
        lists, problems = lists_of(files)
    for name, content in sorted(files.items()):
        key = key_of(name)
        if key is None:
            continue
        text = content.decode("utf-8") if isinstance(content, bytes) else content
        try:
            found[key] = _compiled(key, text, lists)
        except DefinitionError as exc:
            problems.extend(Problem(name, N_("form %(key)s", key=key), p) for p in exc.problems)
        except UnicodeDecodeError:
            problems.append(Problem(name, N_("form %(key)s", key=key), N_("not UTF-8 text")))
    return found, problems


def texts(version: Any) -> dict[str, str]:
    """The TOML text of every form a version uses, by key (its own, else the shipped one)."""
    found = {key_of(name): content.decode("utf-8") for name, content in shipped_files().items()}
    for name, content in (version.files or {}).items():
        key = key_of(name)
        if key is not None:
            found[key] = content.decode("utf-8") if isinstance(content, bytes) else content
    return {key: text for key, text in found.items() if key is not None}


def editable(version: Any) -> dict[str, Any]:
    """Every form a version uses as a JSON object, by key: what the editor's designer edits."""
    found = {}
    for key, text in sorted(texts(version).items()):
        try:
            found[key] = definitions.as_json(tomllib.loads(text))
        except tomllib.TOMLDecodeError:
            continue  # a deploy never stores one; the diagram's checks would say so
    return found


def files_from_json(
    forms: Mapping[str, Mapping[str, Any]], version: Any | None = None
) -> dict[str, bytes]:
    """The definitions the editor sends (key → JSON object), as forms/<key>.toml files.

    A definition equal to the one the version holds keeps that version's text, so that
    deploying unchanged forms changes nothing; a changed one is written into that text, so
    that its comments, key order and inline tables stay. ValueError (naming the form) when a
    definition cannot be written as TOML.
    """
    before = texts(version) if version is not None else {}
    files = {}
    for key, spec in forms.items():
        text = before.get(key)
        if text is None or _parsed(text) != spec:
            try:
                text = definitions.dumps(spec, text)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{key}: {exc}") from None
        files[file_name(key)] = text.encode("utf-8")
    return files


def _parsed(text: str) -> Any:
    try:
        return definitions.as_json(tomllib.loads(text))
    except tomllib.TOMLDecodeError:
        return None


def shipped() -> dict[str, FormDefinition]:
    """The shipped definitions (processes/forms), compiled."""
    return definitions.shipped()


def for_version(version: Any) -> dict[str, FormDefinition]:
    """A process version's forms by key (its own, else the shipped ones), with its lists."""
    forms = _BY_HASH.get(version.content_hash)
    if forms is None:
        lists = lists_for_version(version)
        if lists is choice_lists.shipped():
            base = shipped()
        else:  # the shipped definitions it leaves out read its own lists
            base, _ = compile_files(
                {n: c for n, c in shipped_files().items() if n != LISTS_FILE}, lists
            )
        own, _ = compile_files(version.files or {}, lists)
        forms = {**base, **own}
        with _LOCK:
            _BY_HASH[version.content_hash] = forms
    return forms


def definition(task: Any) -> FormDefinition:
    """The definition of a task's form, in the version its complaint runs on."""
    forms = for_version(task.complaint.instance.process_version)
    found = forms.get(task.form_key)
    if found is None:
        raise NotFound(f"No form is defined for '{task.form_key}'.")
    return found


def form_class(task: Any) -> type[TaskForm]:
    """The WTForms class of a task's form."""
    return definition(task).form_class


def active() -> dict[str, FormDefinition]:
    """The forms of the active version of the procedure."""
    from services import processes

    return for_version(processes.active_version())


def classes(forms: Mapping[str, FormDefinition]) -> dict[str, type[TaskForm]]:
    """Form key → class, as the engine's lint and the API's schema list want them."""
    return {key: found.form_class for key, found in forms.items()}


# ---------------------------------------------------------------------------------------------
# Deploy-time checks: what the diagrams and the forms read must be something the case has.
# ---------------------------------------------------------------------------------------------


def check(
    files: Mapping[str, bytes], lists: ChoiceLists | None = None
) -> tuple[dict[str, FormDefinition], list[Problem]]:
    """Compile the definitions among `files` (with their choice lists, or `lists`) and check
    the names the procedure reads.

    Every name a gateway condition, script, message payload or decision input reads, and
    every name a form shows as context, must be a field of one of the forms, a name the
    application starts the case with, a message's variable, a script's or a decision's
    result. The forms of `files` are returned even when there are problems.
    """
    forms, problems = compile_files(files, lists)
    fields = {name for found in forms.values() for name in found.field_names}
    values = _choice_values(forms)
    produced = set(fields) | set(START_DATA) | _filing_fields()
    reads: list[tuple[str, str, str, set[str]]] = []  # file, element, element id, names
    for name, content in sorted(files.items()):
        if name.endswith(".bpmn"):
            produced |= _bpmn_reads(name, content, reads)
            problems += _bpmn_values(name, content, values)
        elif name.endswith(".dmn"):
            produced |= _dmn_reads(name, content, reads)
            problems += _dmn_values(name, content, values)
    known = produced | set(dir(builtins)) | _helpers()
    for file, element, element_id, names in reads:
        for missing in sorted(names - known):
            problems.append(
                Problem(
                    file,
                    element,
                    N_(
                        "reads '%(name)s', which no form field, message or script provides",
                        name=missing,
                    ),
                    element_id,
                )
            )
    for key, found in sorted(forms.items()):
        for missing in [c for c in found.context if c not in produced]:
            problems.append(
                Problem(
                    file_name(key),
                    N_("form %(key)s", key=key),
                    N_(
                        "context shows '%(name)s', which no form field or message provides",
                        name=missing,
                    ),
                )
            )
    return forms, problems


@lru_cache(maxsize=1)
def _filing_fields() -> frozenset[str]:
    return frozenset(f.short_name for cls in (ComplaintForm, StaffIntakeForm) for f in cls())


def _helpers() -> set[str]:
    from services.engine.sandbox import DIAGRAM_HELPERS

    return set(DIAGRAM_HELPERS) | {"True", "False", "None"}


def _bpmn_reads(file: str, content: bytes, reads: list[tuple[str, str, str, set[str]]]) -> set[str]:
    """Record the names the diagram's expressions read; return the names it sets."""
    try:
        root = etree.fromstring(content)
    except etree.XMLSyntaxError:
        return set()  # the engine reports it
    produced: set[str] = set()
    for node in root.iter(f"{SPIFF}messageVariable"):
        produced.add((node.text or "").strip())
    for node in root.iter(f"{BPMN}conditionExpression"):
        flow = node.getparent()
        _read(file, flow, node.text, "eval", reads)
    for node in root.iter(f"{SPIFF}messagePayload"):
        _read(file, _element(node), node.text, "eval", reads)
    for node in root.iter(f"{BPMN}script"):
        task = node.getparent()
        produced |= _read(file, task, node.text, "exec", reads)
    for tag in ("preScript", "postScript"):
        for node in root.iter(f"{SPIFF}{tag}"):
            produced |= _read(file, _element(node), node.text, "exec", reads)
    return produced


def _dmn_reads(file: str, content: bytes, reads: list[tuple[str, str, str, set[str]]]) -> set[str]:
    try:
        root = etree.fromstring(content)
    except etree.XMLSyntaxError:
        return set()
    produced: set[str] = set()
    for ns in DMN_NAMES:
        for output in root.iter(f"{ns}output"):
            if output.get("name"):
                produced.add(output.get("name"))
        for decision in root.iter(f"{ns}decision"):
            produced.add(decision.get("id") or "")
        for node in root.iter(f"{ns}inputExpression"):
            text = node.findtext(f"{ns}text")
            _read(file, node.getparent(), text, "eval", reads)
    return produced


def _element(node: Any) -> Any:
    while node is not None and node.get("id") is None:
        node = node.getparent()
    return node


def _read(
    file: str,
    element: Any,
    source: str | None,
    mode: str,
    reads: list[tuple[str, str, str, set[str]]],
) -> set[str]:
    """Record the free names `source` reads; return the names it assigns."""
    try:
        tree = ast.parse((source or "").strip(), mode=mode)
    except SyntaxError:
        return set()  # the engine's lint reports it
    assigned: set[str] = set()
    loaded: set[str] = set()
    bound: set[str] = set()  # comprehension and lambda variables
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (assigned if isinstance(node.ctx, ast.Store) else loaded).add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.comprehension):
            bound |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
    element_id = element.get("id", "") if element is not None else ""
    label = element.get("name") if element is not None else None
    shown = f"{label} ({element_id})" if label else element_id
    names = loaded - bound - (assigned if mode == "exec" else set())
    if names:
        reads.append((file, shown, element_id, names))
    return assigned - bound


# ---------------------------------------------------------------------------------------------
# Values the diagrams compare a choice field with must be among the field's choices: a
# category renamed in the lists would otherwise silently never match the routing table.
# ---------------------------------------------------------------------------------------------

Values = Mapping[str, tuple[str | None, frozenset[str]]]


def _choice_values(
    forms: Mapping[str, FormDefinition],
) -> dict[str, tuple[str | None, frozenset[str]]]:
    """Field name → (its list, the values its forms offer), for every choice field."""
    found: dict[str, tuple[str | None, frozenset[str]]] = {}
    for key in sorted(forms):
        for name, (listed, offered) in forms[key].choice_values.items():
            before = found.get(name)
            merged = frozenset(offered) | (before[1] if before else frozenset())
            found[name] = (before[0] if before else listed, merged)
    return found


def _value_problem(file: str, element: Any, name: str, value: str, values: Values) -> Problem:
    listed = values[name][0]
    if listed is None:
        message = N_(
            "compares %(field)s with %(value)s, which is not one of its choices",
            field=name,
            value=repr(value),
        )
    else:
        message = N_(
            "compares %(field)s with %(value)s, which the list %(list)s does not have",
            field=name,
            value=repr(value),
            list=listed,
        )
    element_id = element.get("id", "") if element is not None else ""
    label = element.get("name") if element is not None else None
    shown = f"{label} ({element_id})" if label else element_id
    return Problem(file, shown, message, element_id)


def compared(
    source: str | None, values: Values, subject: str | None = None
) -> list[tuple[str, str]]:
    """The (choice field, text value) pairs an expression compares (==, !=, in, not in).

    `subject` is a decision column's input: `?` stands for it, and an entry that is only a
    value, or values, is compared with it."""
    text = (source or "").strip()
    if not text or text == "-":
        return []
    if subject is not None:
        text = text.replace("?", subject)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return []  # the engine's lint reports it
    found: list[tuple[str, str]] = []
    if subject is not None and subject in values:
        found += [(subject, v) for v in _constants(tree.body)]
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
            if not isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn):
                continue
            for one, other in ((left, right), (right, left)):
                if isinstance(one, ast.Name) and one.id in values:
                    found += [(one.id, v) for v in _constants(other)]
    return found


def _constants(node: ast.AST) -> list[str]:
    """The text constants a value, or a tuple, list or set of values, is made of."""
    if isinstance(node, ast.Constant):
        return [node.value] if isinstance(node.value, str) else []
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [v for item in node.elts for v in _constants(item)]
    return []


def _bpmn_values(file: str, content: bytes, values: Values) -> list[Problem]:
    try:
        root = etree.fromstring(content)
    except etree.XMLSyntaxError:
        return []
    problems = []
    for node in root.iter(f"{BPMN}conditionExpression"):
        for name, value in compared(node.text, values):
            if value not in values[name][1]:
                problems.append(_value_problem(file, node.getparent(), name, value, values))
    return problems


def _dmn_values(file: str, content: bytes, values: Values) -> list[Problem]:
    try:
        root = etree.fromstring(content)
    except etree.XMLSyntaxError:
        return []
    problems = []
    for ns in DMN_NAMES:
        for table in root.iter(f"{ns}decisionTable"):
            columns = [
                (node.findtext(f"{ns}inputExpression/{ns}text") or "").strip()
                for node in table.findall(f"{ns}input")
            ]
            for rule in table.findall(f"{ns}rule"):
                for subject, entry in zip(columns, rule.findall(f"{ns}inputEntry"), strict=False):
                    if not subject.isidentifier():
                        continue
                    for name, value in compared(entry.findtext(f"{ns}text"), values, subject):
                        if value not in values[name][1]:
                            problems.append(_value_problem(file, entry, name, value, values))
    return problems
