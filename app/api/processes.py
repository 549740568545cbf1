"""Process versions: list them, read a version's files, deploy and reactivate (process owners).

The same checks and deploy path as the editor's (services.processes.deploy), so a procedure
kept in a repository can be deployed by its CI: POST the files of processes/ as multipart
(or JSON {"files": {name: xml}}) with a comment.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for
from flask_babel import gettext

from app import role_text
from app.api.auth import token_required
from app.api.blueprint import bp
from app.api.media import JSON, MULTIPART, reads
from app.api.openapi import errors, json_body, location_header, path_parameter
from app.api.schemas import NULLABLE_TEXT, TEXT, nullable, obj, ref
from app.api.tokens import iso, json_object
from app.domain_messages import localize_all
from app.input_guards import MAX_INT
from app.processes import FILE_NAME, MAX_FILES
from forms import formdata_from_json
from forms.processes import MAX_COMMENT, VersionCommentForm
from services import permissions, processes, roles
from services.db import db
from services.errors import InvalidInput, NotAllowed, NotFound
from services.form_definitions import LISTS_FILE
from services.models import ProcessVersion, User

XML = "application/xml"
TOML = "application/toml"


def version_dict(version: ProcessVersion, running: int | None = None) -> dict[str, Any]:
    """A version as the API shows it (its files by name and link, not their content)."""
    creator = version.created_by
    names = sorted(version.files, key=processes.file_order)
    body: dict[str, Any] = {
        "id": version.id,
        "process_id": version.process_id,
        "version": version.version,
        "active": version.active,
        "comment": version.comment,
        "deployed_at": iso(version.created_at),
        "deployed_by": (
            {"id": creator.id, "username": creator.username, "name": creator.name}
            if creator is not None
            else None
        ),
        "files": names,
        "links": {
            "self": url_for("api.show_version", version_id=version.id),
            "files": {
                name: url_for("api.version_file", version_id=version.id, name=name)
                for name in names
            },
        },
    }
    if running is not None:
        body["running_complaints"] = running
    return body


def require_reads_versions(user: User) -> None:
    """403 naming the role the versions need, as a missing scope's 403 names the scope (the
    service's refusal speaks of changing the procedure, which a reader did not try)."""
    if not permissions.manages_processes(user):
        raise NotAllowed(
            gettext(
                "Only process owners read the procedure's versions: your account lacks the "
                "“%(role)s” role.",
                role=role_text.name_of(roles.PROCESS_OWNER),
            )
        )


def _version(version_id: int) -> ProcessVersion:
    version = db.session.get(ProcessVersion, version_id)
    if version is None:
        raise NotFound(gettext("No such process version."))
    return version


@bp.get("/processes/versions")
@token_required
def list_versions(user: User) -> Any:
    """Every version of the procedure, newest first, with how many complaints run on each."""
    require_reads_versions(user)
    running = processes.running_counts(user)
    return jsonify(
        versions=[version_dict(v, running.get(v.id, 0)) for v in processes.version_list()]
    )


@bp.get("/processes/versions/<int:version_id>")
@token_required
def show_version(user: User, version_id: int) -> Any:
    """One version."""
    require_reads_versions(user)
    version = _version(version_id)
    running = processes.running_counts(user).get(version.id, 0)
    return jsonify(version_dict(version, running))


@bp.get("/processes/versions/<int:version_id>/files/<path:name>")
@token_required
def version_file(user: User, version_id: int, name: str) -> Any:
    """One BPMN or DMN file of a version, as stored."""
    require_reads_versions(user)
    version = _version(version_id)
    if name not in version.files:
        raise NotFound(gettext("This version has no file called %(name)s.", name=name))
    return Response(version.files[name], mimetype=TOML if name.endswith(".toml") else XML)


@bp.post("/processes/deploy")
@token_required(scope="admin")
@reads(JSON, MULTIPART)
def deploy(user: User) -> Any:
    """Validate and deploy diagram files as the active version; 422 lists the problems."""
    permissions.require_manages_processes(user)
    files, comment = _posted()
    form = VersionCommentForm(formdata_from_json(VersionCommentForm, {"comment": comment}))
    if not form.validate():
        raise InvalidInput(gettext("Say why you deploy."), details=form.errors)
    result = processes.deploy(files, actor=user, comment=form.comment.data)
    db.session.commit()
    body = {
        **version_dict(result.version),
        "created": result.created,
        "warnings": [localize_all(w.as_dict()) for w in result.warnings],
    }
    return jsonify(body), 201 if result.created else 200, {"Location": body["links"]["self"]}


@bp.post("/processes/versions/<int:version_id>/activate")
@token_required(scope="admin")
@reads(JSON)
def activate(user: User, version_id: int) -> Any:
    """Make an earlier version active again: new complaints start on it."""
    permissions.require_manages_processes(user)
    body = json_object(ACTIVATE_REQUEST)
    form = VersionCommentForm(formdata_from_json(VersionCommentForm, body))
    if not form.validate():
        raise InvalidInput(gettext("Say why you change the procedure."), details=form.errors)
    version = processes.rollback(version_id, user, form.comment.data)
    db.session.commit()
    return jsonify(version_dict(version))


def _posted() -> tuple[dict[str, bytes], Any]:
    """The diagram and form files and the comment of a multipart or JSON deploy; 422 when
    malformed. Forms the files leave out are the shipped ones (services.processes.deploy)."""
    if request.mimetype == "multipart/form-data":
        files = {}
        for key in request.files:
            for upload in request.files.getlist(key):
                # A definition keeps its folder (forms/<key>.toml); a path before it does not.
                # choices.toml, the choice lists, sits beside the diagrams.
                base = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
                is_form = base.endswith(".toml") and base != LISTS_FILE
                name = f"forms/{base}" if is_form else base
                content = upload.read()
                if not FILE_NAME.match(name) or not _is_text(content):
                    raise _bad_files()
                files[name] = content
        comment = request.form.get("comment")
    else:
        try:
            body = json_object(DEPLOY_REQUEST)
        except InvalidInput as exc:
            # No file, too many, or a name the schema refuses: said as a multipart deploy
            # says it, not by the schema keyword ("minProperties", "pattern").
            if "files" in exc.details:
                exc.details["files"] = _bad_files().details["files"]
            raise
        files = {name: text.encode("utf-8") for name, text in body["files"].items()}
        comment = body.get("comment")
    if not files or len(files) > MAX_FILES:
        raise _bad_files()
    return files, comment


def _is_text(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _bad_files() -> InvalidInput:
    message = gettext(
        "Only .bpmn and .dmn files, choices.toml and forms/*.toml definitions, as text, are taken."
    )
    return InvalidInput(message, details={"files": [message]})


FILES = {
    "type": "object",
    "minProperties": 1,
    "maxProperties": MAX_FILES,
    "propertyNames": {"pattern": FILE_NAME.pattern},
    "additionalProperties": {"type": "string"},
    "description": "File name (.bpmn or .dmn) → its XML; choices.toml (the choice lists) "
    "and forms/<key>.toml (a task form) → its TOML.",
}
COMMENT = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_COMMENT,
    "pattern": r"\S",
    "description": "Why: kept with the version and in the audit trail.",
}
DEPLOY_REQUEST: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["files", "comment"],
    "properties": {"files": FILES, "comment": COMMENT},
}
ACTIVATE_REQUEST: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["comment"],
    "properties": {"comment": COMMENT},
}

VERSION_EXAMPLE = {
    "id": 4,
    "process_id": "complaint_handling",
    "version": 4,
    "active": True,
    "comment": "CI: merge of a1b2c3d",
    "deployed_at": "2026-11-29T09:00:00+00:00",
    "deployed_by": {"id": 12, "username": "ci", "name": "CI deploys"},
    "files": ["complaint_handling.bpmn", "classification.dmn"],
    "links": {
        "self": "/api/v1/processes/versions/4",
        "files": {
            "complaint_handling.bpmn": "/api/v1/processes/versions/4/files/complaint_handling.bpmn",
            "classification.dmn": "/api/v1/processes/versions/4/files/classification.dmn",
        },
    },
    "running_complaints": 37,
}


def _example(body: dict[str, Any], example: Any, media: str = "application/json") -> dict:
    body["content"][media]["example"] = example
    return body


def paths() -> dict[str, Any]:
    """This part's operations for the OpenAPI document (keys relative to /api/v1)."""
    bearer = [{"bearerAuth": []}]
    version_id = {
        **path_parameter("version_id", "integer"),
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_INT},
    }
    owners = " Process owners only."
    version_answer = _example(json_body(ref("ProcessVersion"), "The version."), VERSION_EXAMPLE)
    return {
        "/processes/versions": {
            "get": {
                "operationId": "listProcessVersions",
                "summary": "Versions of the procedure, newest first (scope read)",
                "description": "With the complaints still running on each." + owners,
                "security": bearer,
                "x-scope": "read",
                "responses": {
                    "200": _example(
                        json_body(
                            obj({"versions": {"type": "array", "items": ref("ProcessVersion")}}),
                            "Every version.",
                        ),
                        {"versions": [VERSION_EXAMPLE]},
                    ),
                    **errors("Unauthorized", "Forbidden"),
                },
            }
        },
        "/processes/versions/{version_id}": {
            "get": {
                "operationId": "showProcessVersion",
                "summary": "One version of the procedure (scope read)",
                "description": owners.strip(),
                "security": bearer,
                "x-scope": "read",
                "parameters": [version_id],
                "responses": {
                    "200": version_answer,
                    **errors("Unauthorized", "Forbidden", "NotFound"),
                },
            }
        },
        "/processes/versions/{version_id}/files/{name}": {
            "get": {
                "operationId": "showProcessFile",
                "summary": "A BPMN or DMN file of a version, as stored (scope read)",
                "description": owners.strip(),
                "security": bearer,
                "x-scope": "read",
                "parameters": [version_id, path_parameter("name")],
                "responses": {
                    "200": {
                        "description": "The XML.",
                        "content": {
                            XML: {
                                "schema": TEXT,
                                "example": '<?xml version="1.0" encoding="UTF-8"?>\n'
                                '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/'
                                '20100524/MODEL" id="complaint_handling_definitions">…'
                                "</bpmn:definitions>",
                            }
                        },
                    },
                    **errors("Unauthorized", "Forbidden", "NotFound"),
                },
            }
        },
        "/processes/deploy": {
            "post": {
                "operationId": "deployProcess",
                "summary": "Validate and deploy diagram files as the active version (scope admin)",
                "description": "The editor's checks and deploy: the whole set of .bpmn and .dmn "
                "files, as multipart (each file a part; the comment a field) or JSON. "
                "Unchanged content keeps (or makes active again) its version and answers 200; "
                "a new version answers 201. A refused deploy answers 422 deploy_refused with "
                "the problems beside `detail`: `problems` (one text each), `items` (file, "
                "element_id, element, message, rule, severity) and `warnings`." + owners,
                "security": bearer,
                "x-scope": "admin",
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["files", "comment"],
                                "properties": {
                                    "files": {
                                        "type": "array",
                                        "items": {"type": "string", "format": "binary"},
                                    },
                                    "comment": COMMENT,
                                },
                            },
                            "encoding": {"files": {"contentType": "application/xml"}},
                        },
                        "application/json": {
                            "schema": ref("DeployRequest"),
                            "example": {
                                "files": {"complaint_handling.bpmn": "<?xml …"},
                                "comment": "CI: merge of a1b2c3d",
                            },
                        },
                    },
                },
                "responses": {
                    "201": {
                        **_example(
                            json_body(ref("Deployed"), "Deployed as a new active version."),
                            {**VERSION_EXAMPLE, "created": True, "warnings": []},
                        ),
                        "headers": location_header("The new version."),
                    },
                    "200": {
                        **_example(
                            json_body(ref("Deployed"), "Unchanged: that version is active."),
                            {**VERSION_EXAMPLE, "created": False, "warnings": []},
                        ),
                        "headers": location_header("The active version, the one deployed."),
                    },
                    **errors("Unauthorized", "Forbidden", "Unprocessable"),
                },
            }
        },
        "/processes/versions/{version_id}/activate": {
            "post": {
                "operationId": "activateProcessVersion",
                "summary": "Make an earlier version active again (scope admin)",
                "description": "New complaints start on it; running ones stay where they are."
                + owners,
                "security": bearer,
                "x-scope": "admin",
                "parameters": [version_id],
                "requestBody": {
                    "required": True,
                    **_example(
                        json_body(ref("ActivateRequest"), "Why."),
                        {"comment": "Back to version 3: the new routing sends too much to legal"},
                    ),
                },
                "responses": {
                    "200": version_answer,
                    **errors("Unauthorized", "Forbidden", "NotFound", "Conflict", "Unprocessable"),
                },
            }
        },
    }


def schemas() -> dict[str, Any]:
    """This part's component schemas for the OpenAPI document."""
    version = obj(
        {
            "id": {"type": "integer"},
            "process_id": TEXT,
            "version": {"type": "integer"},
            "active": {"type": "boolean"},
            "comment": TEXT,
            "deployed_at": NULLABLE_TEXT,
            "deployed_by": nullable(
                "object",
                properties={"id": {"type": "integer"}, "username": TEXT, "name": TEXT},
            ),
            "files": {"type": "array", "items": TEXT},
            "links": obj({"self": TEXT, "files": {"type": "object", "additionalProperties": TEXT}}),
            "running_complaints": {
                "type": "integer",
                "description": "Complaints still running on it that you may know of.",
            },
        },
        required=[
            "id",
            "process_id",
            "version",
            "active",
            "comment",
            "deployed_at",
            "deployed_by",
            "files",
            "links",
        ],
    )
    problem = {"type": "object", "additionalProperties": True}
    return {
        "ProcessVersion": version,
        "Deployed": {
            "allOf": [
                ref("ProcessVersion"),
                obj(
                    {
                        "created": {"type": "boolean"},
                        "warnings": {"type": "array", "items": problem},
                    }
                ),
            ]
        },
        "DeployRequest": DEPLOY_REQUEST,
        "ActivateRequest": ACTIVATE_REQUEST,
    }
