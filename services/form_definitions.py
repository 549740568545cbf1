"""The forms of each process version: definitions deployed with the diagrams, compiled once.

A version's files hold its forms as `forms/<form key>.toml` (forms.definitions). A running
complaint keeps the forms of the version it runs on. Versions deployed before forms were
data hold none: they use the definitions shipped in processes/forms, which a deploy also
adds for any form the files leave out.
"""

from __future__ import annotations

import ast
import builtins
import threading
import tomllib
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from lxml import etree

from forms import ComplaintForm, StaffIntakeForm, TaskForm, conditions, definitions
from forms.definitions import DefinitionError, FormDefinition
from forms.text import N_
from services.engine import Problem, sandbox
from services.errors import NotFound
from services.recent import Recent

FORMS_DIR = definitions.SHIPPED_DIR
PREFIX = "forms/"
SUFFIX = ".toml"
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

# Each version's compiled forms, for the few versions in use (a deploy adds one).
_BY_HASH: Recent[str, dict[str, FormDefinition]] = Recent(4)
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
    """The definitions shipped in processes/forms, by file name (forms/<key>.toml)."""
    return {file_name(p.stem): p.read_bytes() for p in sorted(FORMS_DIR.glob(f"*{SUFFIX}"))}


def with_shipped(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """The files, plus the shipped definition of every form they do not define."""
    return {**shipped_files(), **files}


def _compiled(key: str, text: str) -> FormDefinition:
    return definitions.compiled(key, text)


def compile_files(
    files: Mapping[str, bytes | str],
) -> tuple[dict[str, FormDefinition], list[Problem]]:
    """Each definition among `files`, compiled; a problem per definition that cannot be."""
    found: dict[str, FormDefinition] = {}
    problems: list[Problem] = []
    for name, content in sorted(files.items()):
        key = key_of(name)
        if key is None:
            continue
        text = content.decode("utf-8") if isinstance(content, bytes) else content
        try:
            found[key] = _compiled(key, text)
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
    """A process version's forms by key (its own, else the shipped ones)."""
    forms = _BY_HASH.get(version.content_hash)
    if forms is None:
        own, _ = compile_files(version.files or {})
        forms = {**shipped(), **own}
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


def check(files: Mapping[str, bytes]) -> tuple[dict[str, FormDefinition], list[Problem]]:
    """Compile the definitions among `files` and check the names the procedure reads.

    Every name a gateway condition, script, message payload or decision input reads, and
    every name a form shows as context, must be a field of one of the forms, a name the
    application starts the case with, a message's variable, a script's or a decision's
    result. The forms of `files` are returned even when there are problems.
    """
    forms, problems = compile_files(files)
    fields = {name for found in forms.values() for name in found.field_names}
    produced = set(fields) | set(START_DATA) | _filing_fields()
    reads: list[tuple[str, str, str, set[str]]] = []  # file, element, element id, names
    for name, content in sorted(files.items()):
        if name.endswith(".bpmn"):
            produced |= _bpmn_reads(name, content, reads)
        elif name.endswith(".dmn"):
            produced |= _dmn_reads(name, content, reads)
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
