"""The process owner's pages: edit the procedure in the browser, validate and deploy it, see,
compare, download and reactivate versions, and move running complaints to another version.

Only process owners come here (403 for other staff). The editor talks JSON: validate,
deploy and replay take the diagram files the browser holds, {"files": {name: xml}}, and
answer with problems that name the file and the element id to mark on the diagram. The form
designer's definitions come as {"forms": {key: definition}} (the JSON of the TOML the page
was given) and are written as forms/<key>.toml before the checks; /forms/preview renders one.
The choice lists come as {"lists": [{name, values: [{value, label}]}]} (forms.lists.from_json)
and are written into the version's choices.toml; /lists/uses says what a deploy would refuse
once a list or a value is taken out.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from jinja2.utils import htmlsafe_json_dumps

from app import domain_messages, facts, history, procedure_text, role_text
from app.domain_messages import localize_all
from app.editor_text import EDITOR_MESSAGES, KINDS, LIST_DESCRIPTIONS, SETTINGS
from app.facts import ROUTES
from app.input_guards import check_json
from forms import definitions, formdata_from_json, library
from forms import lists as choice_lists
from forms.definitions import DefinitionError, FormDefinition, localized
from forms.processes import (
    MigrateForm,
    MigrationChoiceForm,
    PresetForm,
    ReplayForm,
    VersionCommentForm,
)
from forms.text import Text
from services import (
    engine,
    form_definitions,
    instance_migration,
    permissions,
    preset_letters,
    presets,
    procedure_summary,
    processes,
    service_levels,
    timers,
)
from services import replay as replays
from services.db import db
from services.errors import DeployRefused, DomainError, InvalidInput, NotAllowed, NotFound
from services.models import ProcessVersion

bp = Blueprint("processes", __name__, url_prefix="/processes")

# The preview's inputs are named preview-<field>: they must not clash with the editor's own.
PREVIEW_PREFIX = "preview-"
# Diagrams, the choice lists (choices.toml) and form definitions under forms/ (forms/<key>.toml).
FILE_NAME = re.compile(
    r"^([A-Za-z0-9_.-]+\.(bpmn|dmn)|choices\.toml|forms/[a-z][a-z0-9_]{0,62}\.toml)$"
)
MAX_FILES = 100


@bp.before_request
@login_required
def require_process_owner() -> None:
    """Only process owners edit, deploy and roll back the procedure."""
    if not permissions.manages_processes(current_user):
        raise NotAllowed(_("Only process owners change the procedure."))


def _version(version_id: int) -> ProcessVersion:
    """A stored process version by id, or NotFound."""
    version = db.session.get(ProcessVersion, version_id)
    if version is None:
        raise NotFound(_("No such process version."))
    return version


def _previous(version: ProcessVersion) -> ProcessVersion | None:
    """The version numbered just before this one, if any."""
    if version.version <= 1:
        return None
    try:
        return processes.get_version(version.version - 1, version.process_id)
    except NotFound:
        return None


def _json_body() -> Mapping[str, Any]:
    check_json()  # JSON that does not parse: 400 invalid_json, saying where, as the API does
    body = request.get_json(silent=True)
    if not isinstance(body, Mapping):
        raise InvalidInput(_("Send a JSON object."))
    return body


def _posted_files(body: Mapping[str, Any]) -> dict[str, bytes]:
    """The {name: xml} diagram files of a JSON body, as bytes; InvalidInput if malformed."""
    files = body.get("files")
    if not isinstance(files, Mapping) or not files or len(files) > MAX_FILES:
        raise InvalidInput(_('Send the diagram files as {"files": {name: xml}}.'))
    posted = {}
    for name, text in files.items():
        if not isinstance(name, str) or not FILE_NAME.match(name) or not isinstance(text, str):
            raise InvalidInput(
                _(
                    "Only .bpmn and .dmn files, choices.toml and forms/*.toml definitions, as "
                    "text, are taken."
                )
            )
        posted[name] = text.encode("utf-8")
    return posted


def _posted_forms(body: Mapping[str, Any], files: Mapping[str, bytes]) -> dict[str, bytes]:
    """The form definitions the designer sends, {"forms": {key: definition}}, as
    forms/<key>.toml files; InvalidInput if malformed. Unchanged definitions keep the text of
    the version being edited ("version_id")."""
    forms = body.get("forms")
    if forms is None:
        return {}
    if not isinstance(forms, Mapping) or len(forms) > MAX_FILES:
        raise InvalidInput(_('Send the form definitions as {"forms": {key: definition}}.'))
    for key, spec in forms.items():
        if not isinstance(key, str) or not definitions.NAME.match(key):
            raise InvalidInput(
                _(
                    "A form key is lower-case letters, digits and _, starting with a letter: "
                    "%(key)s is not.",
                    key=str(key)[:80],
                )
            )
        if not isinstance(spec, Mapping):
            raise InvalidInput(_("The definition of the form %(key)s is not an object.", key=key))
        if form_definitions.file_name(key) in files:
            raise InvalidInput(
                _("The form %(key)s is sent twice, as a file and as a definition.", key=key)
            )
    version_id = body.get("version_id")
    version = _version(version_id) if isinstance(version_id, int) else None
    try:
        return form_definitions.files_from_json(forms, version)
    except ValueError as exc:
        raise InvalidInput(
            _("A form cannot be written as a definition: %(reason)s", reason=str(exc))
        ) from None


def _posted_lists(body: Mapping[str, Any], files: Mapping[str, bytes]) -> bytes | None:
    """The choice lists the editor sends, {"lists": [...]}, as choices.toml written into the
    text of the version being edited ("version_id"); None if none are sent."""
    lists = body.get("lists")
    if lists is None:
        return None
    if form_definitions.LISTS_FILE in files:
        raise InvalidInput(_("The choice lists are sent twice, as a file and as lists."))
    version_id = body.get("version_id")
    version = _version(version_id) if isinstance(version_id, int) else None
    try:
        return form_definitions.lists_file_from_json(lists, version)
    except ValueError as exc:
        reason = exc.args[0] if exc.args else ""
        raise InvalidInput(
            _(
                "The choice lists cannot be written: %(reason)s",
                reason=localize_all(reason) if isinstance(reason, Text) else str(exc),
            )
        ) from None


def _posted(body: Mapping[str, Any]) -> dict[str, bytes]:
    """Diagram files, form definitions and choice lists of a validate or deploy request, as
    files. The choice lists, unless sent, are those of the version being edited
    ("version_id"): a deploy must not put the shipped ones back."""
    files = _posted_files(body)
    lists = _posted_lists(body, files)
    if lists is not None:
        files[form_definitions.LISTS_FILE] = lists
    version_id = body.get("version_id")
    if form_definitions.LISTS_FILE not in files and isinstance(version_id, int):
        kept = (_version(version_id).files or {}).get(form_definitions.LISTS_FILE)
        if kept is not None:
            files[form_definitions.LISTS_FILE] = kept.encode("utf-8")
    return {**files, **_posted_forms(body, files)}


def _problems(items: list[engine.Problem]) -> list[dict[str, str]]:
    return [localize_all(item.as_dict()) for item in items]


@bp.get("/editor")
def editor() -> Any:
    """The BPMN and DMN editor, opened on the active version (or ?version=<id>)."""
    chosen = request.args.get("version", type=int)
    version = _version(chosen) if chosen else processes.active_version()
    files = [
        {
            "name": name,
            "kind": "dmn" if name.endswith(".dmn") else "bpmn",
            "url": url_for("processes.version_file", version_id=version.id, name=name),
        }
        for name in sorted(version.files, key=processes.file_order)
        if name.endswith((".bpmn", ".dmn"))
    ]
    forms = form_definitions.for_version(version)
    editable_lists = form_definitions.editable_lists(version)
    config = {
        "urls": {
            "validate": url_for("processes.validate"),
            "deploy": url_for("processes.deploy"),
            "replay": url_for("processes.what_if"),
            "preview": url_for("processes.preview_form"),
            "list_uses": url_for("processes.list_uses"),
        },
        "version_id": version.id,
        # Every form of the version: the designer edits them, and Validate and Deploy send
        # them all back, so that a form this version changed is not replaced by the shipped one.
        "forms": form_definitions.editable(version),
        "lists": sorted({*form_definitions.lists_for_version(version), *library.LISTS}),
        # The version's choice lists, edited on the page and sent back with every check.
        "choice_lists": editable_lists,
        "list_info": _list_info(editable_lists, forms),
        "patterns": {"list": choice_lists.NAME.pattern, "value": choice_lists.VALUE.pattern},
        "field_types": list(definitions.FIELD_TYPES),
        "routes": {value: str(text) for value, text in ROUTES},
        "messages": {key: str(text) for key, text in EDITOR_MESSAGES.items()},
        # bpmn-js's and dmn-js's own words (palette, context pad, menus, the decision table's
        # editor) in the reader's language: a dictionary served beside the editor, fetched
        # only by readers of a language it exists for (English is the libraries' own).
        "library": _modeler_words(),
    }
    return render_template(
        "processes/editor.html",
        version=version,
        files=files,
        form_keys=sorted(forms),
        lane_roles=role_text.choices(lanes_only=True),
        # In the definitions' own order (tojson sorts keys): the designer sends the forms
        # back in it, and settings it adds are written after the ones they follow.
        config_json=htmlsafe_json_dumps(config, dumps=current_app.json.dumps, sort_keys=False),
        comment_form=VersionCommentForm(),
        replay_form=ReplayForm(),
    )


def _list_info(lists: list[dict[str, Any]], forms: Mapping[str, FormDefinition]) -> dict[str, Any]:
    """What the lists editor says of each of `lists` (and of those it reads): what the
    application reads it for, the values its code acts on, and the titles of the forms
    offering it."""
    users = form_definitions.list_users(forms)
    names = {entry["name"] for entry in lists}
    return {
        name: {
            "description": str(LIST_DESCRIPTIONS.get(name, "")),
            "app_reads": name in choice_lists.REQUIRED,
            "required": list(choice_lists.REQUIRED.get(name, ())),
            "forms": [str(forms[key].text("title") or key) for key in users.get(name, [])],
        }
        for name in sorted(names | set(choice_lists.REQUIRED))
    }


def _modeler_words() -> str | None:
    """The URL of the modelers' dictionary in the reader's language (the libraries' exact
    English → the reader's words, static/i18n/modelers.<language>.json), or None."""
    name = f"i18n/modelers.{get_locale()}.json"
    if not (Path(current_app.static_folder or "") / name).is_file():
        return None
    return url_for("static", filename=name)


@bp.get("/versions/<int:version_id>/files/<path:name>")
def version_file(version_id: int, name: str) -> Any:
    """One BPMN or DMN file of a version, as stored."""
    version = _version(version_id)
    if name not in version.files:
        raise NotFound(_("This version has no file called %(name)s.", name=name))
    mimetype = "application/toml" if name.endswith(".toml") else "application/xml"
    response = Response(version.files[name], mimetype=mimetype)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/validate")
def validate() -> Any:
    """Check diagram files without storing anything: problems block a deploy, warnings do not."""
    result = processes.validate(_posted(_json_body()))
    return jsonify(problems=_problems(result.problems), warnings=_problems(result.warnings))


@bp.post("/deploy")
def deploy() -> Any:
    """Deploy the edited files as the new active version, with a comment; 422 with problems."""
    body = _json_body()
    files = _posted(body)
    form = VersionCommentForm(
        formdata_from_json(VersionCommentForm, {"comment": body.get("comment")})
    )
    if not form.validate():
        return jsonify(error=_("Say why you deploy."), errors=form.errors, problems=[]), 422
    try:
        result = processes.deploy(files, actor=current_user, comment=form.comment.data)
    except DeployRefused as exc:
        db.session.rollback()
        return jsonify(
            error=_("The procedure was not deployed: fix the problems marked on the diagram."),
            problems=localize_all(exc.details.get("items", [])),
            warnings=localize_all(exc.details.get("warnings", [])),
        ), 422
    db.session.commit()
    version = result.version
    if result.created:
        message = _(
            "Version %(number)s deployed: new complaints follow it.", number=version.version
        )
    else:
        message = _("Nothing changed: version %(number)s stays active.", number=version.version)
    return jsonify(
        version=version.version,
        version_id=version.id,
        created=result.created,
        message=message,
        warnings=_problems(result.warnings),
        links={
            "versions": url_for("processes.versions"),
            "editor": url_for("processes.editor", version=version.id),
        },
    ), 201 if result.created else 200


@bp.post("/lists/uses")
def list_uses() -> Any:
    """What a deploy would refuse once a choice list, or one of its values, is taken out of
    the lists being edited: the deploy's own checks, run with and without it. Nothing is
    stored."""
    body = _json_body()
    name, value = body.get("list"), body.get("value")
    if not isinstance(name, str) or not (value is None or isinstance(value, str)):
        raise InvalidInput(_('Send what to take out as {"list": name, "value": value}.'))
    return jsonify(uses=_problems(form_definitions.uses(_posted(body), name, value)))


@bp.post("/forms/preview")
def preview_form() -> Any:
    """One form definition from the designer, rendered as staff will see it, or its problems."""
    body = _json_body()
    key, spec = body.get("key"), body.get("form")
    if not isinstance(key, str) or not definitions.NAME.match(key) or not isinstance(spec, Mapping):
        raise InvalidInput(_('Send the form to preview as {"key": key, "form": definition}.'))
    try:
        version_id = body.get("version_id")
        version = (
            _version(version_id) if isinstance(version_id, int) else processes.active_version()
        )
        lists = form_definitions.lists_for_version(version)
        if body.get("lists") is not None:  # the lists as edited, a new one included
            edited = form_definitions.lists_file_from_json(body["lists"], version)
            lists, _broken = form_definitions.lists_of({form_definitions.LISTS_FILE: edited})
        found = definitions.loads(key, definitions.dumps(spec), lists)
    except (ValueError, TypeError) as exc:
        if isinstance(exc, DefinitionError):
            problems = exc.problems
        else:  # dumps() says why as a Text; a TypeError in English
            reason = exc.args[0] if exc.args else ""
            problems = [reason if isinstance(reason, Text) else str(exc)]
        return jsonify(
            error=_("The form cannot be shown: fix its problems first."),
            problems=[
                {"file": form_definitions.file_name(key), "message": localize_all(p)}
                for p in problems
            ],
        ), 422
    labels = facts.FieldIndex({**form_definitions.for_version(version), key: found})
    html = render_template(
        "processes/_form_preview.html",
        form=found.form_class(prefix=PREVIEW_PREFIX),
        prefix=PREVIEW_PREFIX,
        title=found.text("title"),
        phase=found.text("phase"),
        context_title=found.text("context_title") or _l("The case so far"),
        context=[labels.label(name) for name in found.context],
    )
    return jsonify(html=html, problems=[])


@bp.post("/replay")
def what_if() -> Any:
    """Run an edited routing table on past complaints and compare with the route they took."""
    body = _json_body()
    dmn = body.get("dmn")
    if not isinstance(dmn, str) or not dmn.strip():
        raise InvalidInput(_("Send the decision table to try."))
    form = ReplayForm(formdata_from_json(ReplayForm, {"last_n": body.get("last_n", 50)}))
    if not form.validate():
        return jsonify(error=_("Choose how many complaints to replay."), errors=form.errors), 422
    try:
        result = replays.replay(
            dmn, form.last_n.data, viewer=current_user, form=_classification_form(body)
        )
    except InvalidInput as exc:
        return jsonify(error=exc.message, problems=localize_all(exc.details.get("items", []))), 422
    words = _choice_words()
    return jsonify(
        decision=result.decision_name or result.decision_id,
        input_labels=[procedure_text.translated(name) for name in result.input_labels],
        missing=[_missing(item) for item in result.missing],
        changed=len(result.changed),
        rows=[
            {
                "reference": row.reference,
                "classified_at": row.classified_at.isoformat() if row.classified_at else None,
                "inputs": [_plain(row.inputs.get(name), words) for name in result.input_labels],
                "actual_route": row.actual_route,
                "new_route": row.new_route,
                "changed": row.changed,
                "error": row.error,
            }
            for row in result.rows
        ],
    )


def _classification_form(body: Mapping[str, Any]) -> FormDefinition | None:
    """The classification form the replay types values by: the one among the edited files
    (optional {"files": {name: text}}), else that of the version the editor opened
    ("version_id"), else the active version's."""
    if body.get("files"):
        forms, problems = form_definitions.compile_files(_posted_files(body))
        if problems:
            raise InvalidInput(
                _("The classification form has problems."),
                details={"items": _problems(problems)},
            )
        if replays.CLASSIFY_TASK in forms:
            return forms[replays.CLASSIFY_TASK]
    version_id = body.get("version_id")
    version = _version(version_id) if isinstance(version_id, int) else None
    return form_definitions.for_version(version or processes.active_version()).get(
        replays.CLASSIFY_TASK
    )


def _missing(item: replays.MissingInput) -> dict[str, Any]:
    """A name the table reads that no replayed complaint has, said in the reader's language."""
    column = procedure_text.translated(item.label)
    if item.in_form:
        message = _(
            "No past complaint has %(name)s (column %(column)s): a new field of the "
            "classification form? The table was tried with it empty.",
            name=item.name,
            column=column,
        )
    else:
        message = _(
            "No past complaint has %(name)s (column %(column)s), and the classification form "
            "has no such field: a new field, or a misspelt name? The table was tried with it "
            "empty.",
            name=item.name,
            column=column,
        )
    return {"input": column, "name": item.name, "in_form": item.in_form, "message": message}


def _plain(value: Any, words: Mapping[str, str]) -> Any:
    """A replay input as JSON: a choice in words, numbers as text (exact), the rest as is."""
    if isinstance(value, str):
        return words.get(value, value)
    return value if value is None or isinstance(value, bool | int) else str(value)


def _choice_words() -> dict[str, str]:
    """Every choice of the procedure's forms, value -> words (the what-if table's cells)."""
    index = facts.FieldIndex()
    words: dict[str, str] = {}
    for name in index.fields:
        text_of = index.text
        for value in _choice_values(index.fields[name]):
            words.setdefault(value, str(text_of(name, value)))
    return words


def _choice_values(field: Any) -> list[str]:
    choices = getattr(field, "choices", None) or []
    values = []
    for choice in choices:
        value = choice.value if hasattr(choice, "value") else choice[0]
        if value not in (None, ""):
            values.append(str(value))
    return values


@bp.get("/versions")
def versions() -> Any:
    """Every version of the procedure, with links to compare, download and reactivate."""
    return _versions_page(None, VersionCommentForm())


def _versions_page(failed_id: int | None, form: VersionCommentForm, status: int = 200) -> Any:
    items = processes.versions()
    running = {v.id: len(instance_migration.running(v, current_user)) for v in items}
    active = next((v for v in items if v.active), None)
    fallbacks = [
        (event, version, history.detail(event, {}))
        for event, version in processes.assignment_fallbacks()
    ]
    return render_template(
        "processes/versions.html",
        versions=items,
        running=running,
        active=active,
        failed_id=failed_id,
        form=form,
        fallbacks=fallbacks,
        set_aside=_set_aside_rows(),
    ), status


def _set_aside_rows() -> list[dict[str, Any]]:
    """The complaints whose timers the rounds set aside: when, the version they run on, why;
    the reference only for a reader who may open the complaint."""
    rows = []
    for complaint, data in timers.set_aside_complaints():
        instance = complaint.instance
        version = data.get("version")
        if version is None and instance is not None:
            version = instance.process_version.version
        visible = permissions.can_view_complaint(current_user, complaint)
        rows.append(
            {
                "id": complaint.id,
                "at": complaint.timers_set_aside_at,
                "version": version,
                "reference": complaint.reference if visible else None,
                "detail": history.set_aside_detail({**data, "version": version}),
            }
        )
    return rows


@bp.post("/timers/<int:complaint_id>/retry")
def retry_timers(complaint_id: int) -> Any:
    """Try again the timers of a complaint the rounds set aside (the diagram is fixed)."""
    timers.retry(complaint_id, current_user, set_aside_only=True)
    db.session.commit()
    flash(_("Its timers will be tried again within a second."))
    return redirect(url_for("processes.versions", _anchor="timers-set-aside"))


@bp.post("/versions/<int:version_id>/activate")
def activate(version_id: int) -> Any:
    """Make an earlier version active again (a rollback), with a comment."""
    form = VersionCommentForm(request.form)
    if not form.validate():
        _version(version_id)
        return _versions_page(version_id, form, 422)
    version = processes.rollback(version_id, current_user, form.comment.data)
    db.session.commit()
    flash(
        _("Version %(number)s is active again: new complaints follow it.", number=version.version)
    )
    return redirect(url_for("processes.versions"))


@bp.get("/versions/<int:version_id>/diff")
def diff(version_id: int) -> Any:
    """What changed in a version compared with the previous one (or ?against=<id>)."""
    version = _version(version_id)
    against = request.args.get("against", type=int)
    previous = _version(against) if against else _previous(version)
    changes = processes.diff(previous, version) if previous is not None else None
    return render_template(
        "processes/diff.html",
        version=version,
        previous=previous,
        changes=changes,
        kinds=KINDS,
        settings=SETTINGS,
    )


@bp.get("/versions/<int:version_id>/download")
def download(version_id: int) -> Any:
    """The version's BPMN and DMN files as a zip."""
    version = _version(version_id)
    return send_file(
        io.BytesIO(processes.version_archive(version)),
        mimetype="application/zip",
        as_attachment=True,
        download_name=processes.archive_name(version),
    )


@bp.get("/migrate")
def migrate() -> Any:
    """Dry run: which running complaints of one version could move to another, and why not."""
    asked = "from" in request.args or "to" in request.args
    return _migration_page(MigrationChoiceForm(request.args), asked=asked)


def _migration_page(
    form: MigrationChoiceForm,
    *,
    asked: bool,
    status: int = 200,
    selection_errors: list[str] | None = None,
) -> Any:
    items = processes.versions()
    choices = [(v.id, _("Version %(number)s", number=v.version)) for v in items]
    form.from_version.choices = form.to_version.choices = choices
    candidates = None
    step_names: dict[str, str] = {}
    target = None
    if not asked:
        # Default: from the newest inactive version to the active one.
        active = next((v for v in items if v.active), None)
        older = [v for v in items if not v.active]
        form.to_version.data = active.id if active else None
        form.from_version.data = older[0].id if older else None
    elif form.validate():
        source, target = _version(form.from_version.data), _version(form.to_version.data)
        candidates = instance_migration.dry_run(source, target, viewer=current_user)
        step_names = procedure_summary.step_names(source)
    else:
        status = 422
    changes = _distinct_form_changes(candidates or [])
    return render_template(
        "processes/migrate.html",
        form=form,
        candidates=candidates,
        step_names=step_names,
        selection_errors=selection_errors or [],
        has_versions=len(items) > 1,
        target=target,
        form_changes=changes,
        # Translated once, not once per row: the table may list 10,000 complaints.
        form_steps={
            c.step: procedure_text.translated(step_names.get(c.step, c.step)) for c in changes
        },
        aspect_words=_aspect_words,
        localized=localized,
    ), status


# What a changed field of an open task's form differs in (instance_migration.ASPECTS).
FIELD_ASPECTS = {
    "type": _l("its type"),
    "choices": _l("its choices"),
    "required": _l("whether it is required"),
    "conditions": _l("when it shows or must be filled"),
    "limits": _l("its limits"),
}


def _aspect_words(aspects: tuple[str, ...]) -> str:
    return ", ".join(str(FIELD_ASPECTS.get(a, a)) for a in aspects)


def _distinct_form_changes(
    candidates: list[instance_migration.Candidate],
) -> list[instance_migration.FormChange]:
    """Each changed form once (complaints at the same step share it), in step order."""
    seen: dict[str, instance_migration.FormChange] = {}
    for candidate in candidates:
        for change in candidate.form_changes:
            seen.setdefault(change.step, change)
    return [seen[step] for step in sorted(seen)]


@bp.post("/migrate")
def migrate_selected() -> Any:
    """Move the ticked complaints, one transaction each; report who moved and who did not."""
    form = MigrateForm(request.form)
    form.from_version.choices = form.to_version.choices = [
        (v.id, str(v.version)) for v in processes.versions()
    ]
    if not form.validate():
        return _migration_page(
            MigrationChoiceForm(request.form),
            asked=True,
            status=422,
            selection_errors=form.complaints.errors,
        )
    target = _version(form.to_version.data)
    moved: list[str] = []
    for complaint_id in form.complaints.data:
        try:
            complaint = instance_migration.migrate(complaint_id, target, current_user)
            db.session.commit()
            moved.append(complaint.reference or str(complaint.id))
        except DomainError as exc:
            db.session.rollback()
            flash(_("Not moved: %(reason)s", reason=domain_messages.translate(exc)), "error")
        except Exception:  # one complaint's failure must not stop the others
            db.session.rollback()
            current_app.logger.exception("moving complaint %s failed", complaint_id)
            flash(_("Complaint %(id)s was not moved: the engine failed.", id=complaint_id), "error")
    if moved:
        flash(
            _(
                "Moved to version %(number)s: %(references)s.",
                number=target.version,
                references=", ".join(moved),
            )
        )
    return redirect(
        url_for("processes.migrate", **{"from": form.from_version.data, "to": form.to_version.data})
    )


# What the clocks wait for when a preset pauses them (the diagram's message names).
WAITS = {
    "information_received": _l("the complainant's missing information"),
    "survey_answered": _l("the satisfaction survey"),
}
# The letters a preset's rules send, by message kind.
LETTERS = {
    "delay_letter": _l("a letter explaining the delay, with the recourse open now"),
}


def _preset_details(preset: presets.Preset, language: str) -> dict[str, Any]:
    """A preset as the page shows it: its rule, targets in words, pauses and letter rules."""
    rules = preset.letters
    letter_rules = []
    for clock, kind in rules.on_breach.items():
        letter_rules.append(
            _(
                "When the time limit of “%(clock)s” passes before the final response: "
                "%(letter)s is sent automatically, once.",
                clock=service_levels.title(clock, language),
                letter=str(LETTERS.get(kind, kind)),
            )
        )
    if rules.summary_resolution_within:
        letter_rules.append(
            _(
                "Resolved within %(limit)s of receipt and accepted by the complainant: the "
                "response goes out as a summary resolution communication.",
                limit=presets.describe(rules.summary_resolution_within, language),
            )
        )
    if rules.written_response_optional_within:
        letter_rules.append(
            _(
                "Resolved to the complainant's satisfaction within %(limit)s of receipt: no "
                "written response unless they asked for one; a short notice is sent and the "
                "response stays on file.",
                limit=presets.describe(rules.written_response_optional_within, language),
            )
        )
    recourse = (preset_letters.recourse(preset, "response_letter") or {}).get(language, "")
    return {
        "id": preset.id,
        "title": preset.title_in(language),
        "rule": preset.rule_in(language),
        "source": preset.source,
        "calendar": preset.calendar.label,
        "targets": [
            (
                service_levels.title(clock, language),
                presets.describe(preset.target(clock), language),
                preset.citation(clock, language),
            )
            for clock in presets.CLOCKS
        ],
        "waits": [str(WAITS.get(name, name)) for name in sorted(preset.pause_while_waiting_for)],
        "letter_rules": letter_rules,
        "recourse": [p for p in recourse.split("\n\n") if p.strip()],
    }


@bp.route("/presets", methods=["GET", "POST"])
def preset() -> Any:
    """The service-level preset: what each one sets, and the choice of the one new clocks use."""
    language = str(get_locale())
    available = presets.available()
    form = PresetForm(request.form if request.method == "POST" else None)
    form.preset.choices = [(p.id, p.title_in(language)) for p in available]
    if request.method == "POST" and form.validate():
        chosen = presets.choose(current_user, form.preset.data)
        db.session.commit()
        flash(
            _(
                "New clocks now follow %(title)s. Running complaints keep the targets their "
                "clocks started with.",
                title=chosen.title_in(language),
            )
        )
        return redirect(url_for("processes.preset"))
    active = presets.active()
    if request.method == "GET":
        form.preset.data = active.id
    return render_template(
        "processes/presets.html",
        form=form,
        active=_preset_details(active, language),
        presets=[_preset_details(p, language) for p in available],
    ), 422 if request.method == "POST" else 200
