"""API tokens: several named tokens per user with scopes and expiry, and GET /me."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g, jsonify, request, url_for
from flask_babel import gettext

from app.api.auth import ANY, token_required
from app.api.blueprint import bp
from app.api.media import JSON, reads
from app.api.openapi import errors, json_body, location_header, path_parameter, query_parameter
from app.api.schemas import TEXT, TIME, nullable, obj, ref
from app.input_guards import MAX_INT as MAX_ID
from forms.base import json_validator, schema_message
from forms.numbers import whole_number, whole_number_pattern
from services import api_tokens, users
from services.api_tokens import ADMIN, SCOPES, TASKS
from services.clock import as_utc
from services.db import db
from services.errors import InvalidInput, NotAllowed
from services.models import ApiToken, User


def iso(value: datetime | None) -> str | None:
    """A time as ISO 8601 text in UTC, or None."""
    return (as_utc(value) or value).isoformat() if value is not None else None


def token_dict(token: ApiToken) -> dict[str, Any]:
    """A token as the API shows it: never its secret, only its first characters."""
    return {
        "id": token.id,
        "user_id": token.user_id,
        "name": token.name,
        "prefix": token.prefix,
        "scopes": list(token.scope_names),
        "created_at": iso(token.created_at),
        "expires_at": iso(token.expires_at),
        "last_used_at": iso(token.last_used_at),
        "links": {"self": url_for("api.revoke_token", token_id=token.id)},
    }


def user_dict(user: User) -> dict[str, Any]:
    """Who a token acts for."""
    return {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "roles": sorted(user.role_names),
        "service_account": bool(user.service_account),
        "allowed_scopes": list(api_tokens.allowed_scopes(user)),
    }


def json_object(schema: dict[str, Any]) -> dict[str, Any]:
    """The request's JSON body when it fits `schema`; else 422 naming each field."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        message = gettext("Send a JSON object.")
        raise InvalidInput(message, details={"body": [message]})
    problems: dict[str, list[str]] = {}
    for error in json_validator(schema).iter_errors(payload):
        if error.absolute_path:
            fields = [str(error.absolute_path[0])]
        elif error.validator == "required":
            fields = [n for n in error.validator_value if n not in payload]
        elif error.validator == "additionalProperties":
            fields = [n for n in payload if n not in schema["properties"]]
        else:
            fields = ["body"]
        message = str(schema_message(error))
        for name in fields:
            if message not in problems.setdefault(name, []):
                problems[name].append(message)
    if problems:
        raise InvalidInput(gettext("Please correct the highlighted fields."), details=problems)
    return payload


@bp.get("/me")
@token_required(scope=ANY)
def me(user: User) -> Any:
    """Who the token acts for, and the token itself."""
    found = g.api_token
    token = token_dict(found.token)
    token["scopes"] = [s for s in SCOPES if s in found.scopes]  # what it may do now
    return jsonify(user=user_dict(user), token=token)


@bp.get("/tokens")
@token_required(scope=ANY)
def list_tokens(user: User) -> Any:
    """The caller's tokens; an administrator (admin scope) may ask for another user's."""
    owner = _owner(user, request.args.get("user_id"))
    return jsonify(tokens=[token_dict(t) for t in api_tokens.owned(owner)])


@bp.post("/tokens")
@token_required(scope=TASKS)
@reads(JSON)
def create_token(user: User) -> Any:
    """A new token for the caller, or for a service account (administrators, admin scope);
    the secret is in this answer only. Never stronger nor longer-lived than the caller's."""
    body = json_object(TOKEN_REQUEST)
    owner = _owner(user, body.get("user_id"))
    if "expires_at" in body and "expires_in_days" in body:
        raise InvalidInput(
            gettext("Please correct the highlighted fields."),
            details={"expires_at": [gettext("Give expires_at or expires_in_days, not both.")]},
        )
    expires_at = api_tokens.expiry(body.get("expires_in_days"))
    if "expires_at" in body:
        expires_at = _time(body["expires_at"])
    token, secret = api_tokens.create(
        user,
        owner,
        body["name"],
        body["scopes"],
        expires_at=expires_at,
        via=g.api_token,
        expiry_field="expires_in_days" if "expires_in_days" in body else "expires_at",
    )
    db.session.commit()
    answer = {**token_dict(token), "secret": secret}
    return jsonify(answer), 201, {"Location": answer["links"]["self"], "Cache-Control": "no-store"}


@bp.delete("/tokens/<int:token_id>")
@token_required(scope=TASKS)
def revoke_token(user: User, token_id: int) -> Any:
    """Revoke one of the caller's tokens; an administrator (admin scope) revokes anyone's."""
    token = db.session.get(ApiToken, token_id)
    if token is not None and token.user_id != user.id and api_tokens.may_manage_others(user):
        _require_admin_scope()  # others' tokens are unknown to anyone else (404 below)
    api_tokens.revoke(user, token_id)
    db.session.commit()
    return "", 204


def _owner(user: User, user_id: Any) -> User:
    """The caller, or (administrators with the admin scope) the user with this id."""
    if user_id in (None, "", user.id, str(user.id)):
        return user
    _require_admin_scope()
    if not api_tokens.may_manage_others(user):
        raise NotAllowed(gettext("Only administrators manage other users' tokens."))
    if isinstance(user_id, str):  # the query's; the body's is an integer (its schema)
        user_id = whole_number(user_id, 1, MAX_ID)
        if user_id is None:
            raise InvalidInput(
                gettext("Please correct the query parameters."),
                details={"user_id": [gettext("Give a user id.")]},
            )
    return users.get(user_id)


def _time(text: str) -> datetime:
    """An ISO 8601 date-time in UTC (UTC when it names no offset); 422 otherwise: a date
    without its time (the schema's date-time, RFC 3339), and a time whose UTC is past what a
    date holds (9999-12-31T23:59:59-05:00) with its own words."""
    try:
        if len(text) < 11 or text[10] not in "Tt ":
            raise ValueError("a date without a time")
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise _bad_expiry(gettext("Give a date and time, ISO 8601.")) from exc
    try:
        utc = as_utc(moment) or moment
    except OverflowError as exc:  # past the last day or before the first once in UTC
        if moment.year > 1:
            raise _bad_expiry(gettext("Give a time before the year 9999.")) from exc
        raise _bad_expiry(gettext("Give a time in the future.")) from exc
    if utc.year >= 9999:
        # As it says: 9999-12-31T23:59:59Z fits in UTC, but the account page shows it in the
        # organisation's time zone, where east of UTC it is past the last date there is.
        raise _bad_expiry(gettext("Give a time before the year 9999."))
    return utc


def _bad_expiry(message: str) -> InvalidInput:
    return InvalidInput(
        gettext("Please correct the highlighted fields."), details={"expires_at": [message]}
    )


def _require_admin_scope() -> None:
    if ADMIN not in g.api_token.scopes:
        g.insufficient_scope = ADMIN
        raise NotAllowed(
            gettext("This token lacks the “%(scope)s” scope this operation needs.", scope=ADMIN),
            code="insufficient_scope",
        )


TOKEN_REQUEST: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "scopes"],
    "properties": {
        "name": {
            "type": "string",
            "minLength": 1,
            "maxLength": api_tokens.MAX_NAME,
            "pattern": r"\S",
            "description": "Unique among the account's tokens.",
        },
        "scopes": {
            "type": "array",
            "items": {"type": "string", "enum": list(SCOPES)},
            "minItems": 1,
            "uniqueItems": True,
            "description": "read: GET operations; tasks: claim, complete, drafts; intake: file "
            "complaints for staff channels; admin: process versions, other users' tokens "
            "(administrators and process owners only). At most the scopes of the token that "
            "creates it.",
        },
        "expires_at": {
            "type": "string",
            "format": "date-time",
            "description": "In the future, and not after the creating token expires.",
        },
        "expires_in_days": {
            "type": "integer",
            "minimum": 1,
            "maximum": api_tokens.MAX_DAYS,
            "description": "Not beyond the creating token's expiry.",
        },
        "user_id": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_ID,
            "description": "A service account's id (administrators with the admin scope); "
            "default: the caller.",
        },
    },
}

TOKEN_EXAMPLE = {
    "id": 7,
    "user_id": 12,
    "name": "ci-deploy",
    "prefix": "cf_Xb3k9Qa",
    "scopes": ["read", "admin"],
    "created_at": "2026-11-29T10:15:00+00:00",
    "expires_at": "2027-02-27T10:15:00+00:00",
    "last_used_at": None,
    "links": {"self": "/api/v1/tokens/7"},
}


def _example(body: dict[str, Any], example: Any) -> dict[str, Any]:
    body["content"]["application/json"]["example"] = example
    return body


def paths() -> dict[str, Any]:
    """This part's operations for the OpenAPI document (keys relative to /api/v1)."""
    bearer = [{"bearerAuth": []}]
    token_id = {
        **path_parameter("token_id", "integer"),
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }
    return {
        "/me": {
            "get": {
                "operationId": "me",
                "summary": "Who the token acts for, and the token (any scope)",
                "security": bearer,
                "x-scope": "any",
                "responses": {
                    "200": _example(
                        json_body(ref("Me"), "The user, their roles and the token."),
                        {
                            "user": {
                                "id": 12,
                                "username": "ci",
                                "name": "CI deploys",
                                "roles": ["process_owner"],
                                "service_account": True,
                                "allowed_scopes": list(SCOPES),
                            },
                            "token": TOKEN_EXAMPLE,
                        },
                    ),
                    **errors("Unauthorized"),
                },
            }
        },
        "/tokens": {
            "get": {
                "operationId": "listTokens",
                "summary": "My API tokens (an administrator may name another user)",
                "security": bearer,
                "x-scope": "any",
                "parameters": [
                    query_parameter(
                        "user_id",
                        {"type": "string", "pattern": f"^{whole_number_pattern(1, MAX_ID)}?$"},
                        "Another user's tokens: administrators, with the admin scope (empty: "
                        "my own).",
                    )
                ],
                "responses": {
                    "200": _example(
                        json_body(
                            obj({"tokens": {"type": "array", "items": ref("ApiToken")}}),
                            "The tokens, newest first; never their secrets.",
                        ),
                        {"tokens": [TOKEN_EXAMPLE]},
                    ),
                    **errors("Unauthorized", "Forbidden", "NotFound", "Unprocessable"),
                },
            },
            "post": {
                "operationId": "createToken",
                "summary": "Create a token (mine, or a service account's as an administrator)",
                "description": "The secret is in this answer only: keep it. Needs the tasks "
                "scope (and admin for a service account's token). A token carries at most the "
                "scopes of the token that creates it, and the admin scope only for "
                "administrators and process owners; its roles still decide what it may do. It "
                "expires at the latest when the token that creates it does (without "
                "expires_at or expires_in_days, then); later is a 422.",
                "security": [{"bearerAuth": [TASKS]}],
                "x-scope": TASKS,
                "requestBody": {
                    "required": True,
                    **_example(
                        json_body(ref("TokenRequest"), "Name, scopes and expiry."),
                        {"name": "ci-deploy", "scopes": ["read", "admin"], "expires_in_days": 90},
                    ),
                },
                "responses": {
                    "201": {
                        **_example(
                            json_body(ref("NewApiToken"), "Created; the secret, once."),
                            {**TOKEN_EXAMPLE, "secret": "cf_Xb3k9Qa…"},
                        ),
                        "headers": location_header("The token (DELETE revokes it)."),
                    },
                    **errors("Unauthorized", "Forbidden", "NotFound", "Unprocessable"),
                },
            },
        },
        "/tokens/{token_id}": {
            "delete": {
                "operationId": "revokeToken",
                "summary": "Revoke a token (mine; anyone's for an administrator)",
                "description": "Needs the tasks scope (and admin for another user's token).",
                "security": [{"bearerAuth": [TASKS]}],
                "x-scope": TASKS,
                "parameters": [token_id],
                "responses": {
                    "204": {"description": "Revoked: it no longer authenticates."},
                    **errors("Unauthorized", "Forbidden", "NotFound"),
                },
            }
        },
    }


def schemas() -> dict[str, Any]:
    """This part's component schemas for the OpenAPI document."""
    scope = {"type": "string", "enum": list(SCOPES)}
    token = obj(
        {
            "id": {"type": "integer"},
            "user_id": {"type": "integer"},
            "name": TEXT,
            "prefix": {"type": "string", "description": "The secret's first characters."},
            "scopes": {"type": "array", "items": scope},
            "created_at": {"type": "string", "format": "date-time"},
            "expires_at": TIME,
            "last_used_at": nullable(
                "string", format="date-time", description="Recorded at most once a minute."
            ),
            "links": obj({"self": TEXT}),
        }
    )
    return {
        "ApiToken": token,
        "NewApiToken": {"allOf": [ref("ApiToken"), obj({"secret": TEXT})]},
        "TokenRequest": TOKEN_REQUEST,
        "Me": obj(
            {
                "user": obj(
                    {
                        "id": {"type": "integer"},
                        "username": TEXT,
                        "name": TEXT,
                        "roles": {"type": "array", "items": TEXT},
                        "service_account": {"type": "boolean"},
                        "allowed_scopes": {"type": "array", "items": scope},
                    }
                ),
                "token": ref("ApiToken"),
            }
        ),
    }
