"""Webhook subscriptions and the change feed (GET /events?after=cursor)."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, jsonify, request, url_for
from flask_babel import gettext

from app.api.auth import token_required
from app.api.blueprint import bp
from app.api.media import JSON, reads
from app.api.openapi import errors, json_body, location_header, path_parameter, query_parameter
from app.api.schemas import TEXT, TIME, nullable, obj, ref
from app.api.serializers import iso
from app.api.tokens import json_object
from forms.numbers import whole_number
from services import departments, events, webhooks
from services.db import db
from services.errors import InvalidInput
from services.models import User, WebhookSubscription

MAX_CURSOR = 2**63 - 1


def _integer(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    number = whole_number(raw, low, high)
    if number is None:
        if low == 1:
            message = gettext("Give a whole number from 1 to %(max)d.", max=high)
        else:  # -1 is a whole number: say which ones (it said "Send a whole number.")
            message = gettext("Give a whole number from 0 to %(max)d.", max=high)
        raise InvalidInput("Please correct the query parameters.", details={name: [message]})
    return number


@bp.get("/events")
@token_required
def list_events(user: User) -> Any:
    """The change feed: events after the cursor, of complaints the token's user may see."""
    after = _integer("after", 0, 0, MAX_CURSOR)
    limit = _integer("limit", 50, 1, events.MAX_LIMIT)
    raw_types = request.args.get("types") or ""
    if len(raw_types) > TYPES_MAX_LENGTH:
        raise InvalidInput(
            "Please correct the query parameters.",
            details={"types": [gettext("At most %(max)d characters.", max=TYPES_MAX_LENGTH)]},
        )
    try:
        types = events.parse_types(raw_types)
    except ValueError as exc:
        known = ", ".join(sorted(events.TYPES))
        raise InvalidInput(
            "Please correct the query parameters.",
            details={
                "types": [
                    gettext(
                        "Unknown event types: %(types)s. Choose among: %(known)s.",
                        types=str(exc),
                        known=known,
                    )
                ]
            },
        ) from exc
    page = events.feed(user, after, limit, types)
    query = {"after": page.next, "limit": limit}
    if request.args.get("types"):
        query["types"] = request.args["types"]
    return jsonify(
        {
            "events": [item.as_json() for item in page.events],
            "next": page.next,
            "links": {"next": url_for("api.list_events", **query)},
        }
    )


def _admin(user: User) -> User:
    return departments.require_administers(user)


def _allow_private() -> bool:
    return bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE_TARGETS"))


def _subscription(row: WebhookSubscription, *, secret: bool = False) -> dict[str, Any]:
    body = {
        "id": row.id,
        "url": row.url,
        "events": row.events.split(),
        "description": row.description,
        "active": row.active,
        "created_at": iso(row.created_at),
        "links": {"deliveries": url_for("api.webhook_deliveries", subscription_id=row.id)},
    }
    if secret:
        body["secret"] = row.secret
    return body


def _body(*, creating: bool) -> dict[str, Any]:
    """The request's subscription (WebhookInput) or change (WebhookChange), held to its
    published schema; 422 naming each field in the reader's language."""
    return json_object(schemas()["WebhookInput" if creating else "WebhookChange"])


@bp.get("/webhooks")
@token_required(scope="admin")
def list_webhooks(user: User) -> Any:
    """Administrators: every webhook subscription."""
    _admin(user)
    return jsonify({"webhooks": [_subscription(row) for row in webhooks.subscriptions()]})


@bp.post("/webhooks")
@token_required(scope="admin")
@reads(JSON)
def create_webhook(user: User) -> Any:
    """Administrators: add a subscription; the answer carries its signing secret."""
    _admin(user)
    data = _body(creating=True)
    row = webhooks.create(
        user,
        url=data["url"],
        types=data["events"],
        description=data.get("description", ""),
        active=data.get("active", True),
        allow_private=_allow_private(),
    )
    db.session.commit()
    response = jsonify(_subscription(row, secret=True))
    response.headers["Location"] = url_for("api.show_webhook", subscription_id=row.id)
    response.headers["Cache-Control"] = "no-store"  # the secret, shown once
    return response, 201


@bp.get("/webhooks/<int:subscription_id>")
@token_required(scope="admin")
def show_webhook(user: User, subscription_id: int) -> Any:
    """Administrators: one subscription (without its secret)."""
    _admin(user)
    return jsonify(_subscription(webhooks.get(subscription_id)))


@bp.patch("/webhooks/<int:subscription_id>")
@token_required(scope="admin")
@reads(JSON)
def update_webhook(user: User, subscription_id: int) -> Any:
    """Administrators: change a subscription; rotate_secret answers with the new secret."""
    _admin(user)
    row = webhooks.get(subscription_id)
    data = _body(creating=False)
    webhooks.update_subscription(
        row,
        url=data.get("url"),
        types=data.get("events"),
        description=data.get("description"),
        active=data.get("active"),
        rotate_secret=bool(data.get("rotate_secret")),
        allow_private=_allow_private(),
    )
    db.session.commit()
    if data.get("rotate_secret"):  # the new secret, shown once
        return jsonify(_subscription(row, secret=True)), {"Cache-Control": "no-store"}
    return jsonify(_subscription(row))


@bp.delete("/webhooks/<int:subscription_id>")
@token_required(scope="admin")
def delete_webhook(user: User, subscription_id: int) -> Any:
    """Administrators: remove a subscription; its queued deliveries are cancelled."""
    _admin(user)
    webhooks.delete(webhooks.get(subscription_id))
    db.session.commit()
    return "", 204


@bp.get("/webhooks/<int:subscription_id>/deliveries")
@token_required(scope="admin")
def webhook_deliveries(user: User, subscription_id: int) -> Any:
    """Administrators: the subscription's delivery log, newest first (the last 100)."""
    _admin(user)
    log = webhooks.deliveries(webhooks.get(subscription_id))
    return jsonify(
        {
            "deliveries": [
                {
                    "id": item.id,
                    "event_id": item.event_id,
                    "event_type": item.event_type,
                    "created_at": iso(item.created_at),
                    "status": item.status,
                    "attempts": item.attempts,
                    "response_code": item.response_code,
                    "last_error": item.last_error,
                    "sent_at": iso(item.sent_at),
                    "next_attempt_at": iso(item.next_attempt_at),
                }
                for item in log
            ]
        }
    )


# --- the OpenAPI document --------------------------------------------------------------------

BEARER = [{"bearerAuth": []}]
# What events.parse_types reads: known types, comma-separated, spaces and empty items ignored.
_TYPE = "(" + "|".join(re.escape(name) for name in events.TYPES) + ")"
TYPES_PATTERN = rf"^\s*{_TYPE}?\s*(,\s*{_TYPE}?\s*)*$"
EVENT_TYPE = {"type": "string", "enum": list(events.TYPES)}
# Every type once, with room for spaces: a longer list only repeats one (and a request line
# past gunicorn's 4,094 bytes would be refused by it, in HTML, before the API sees it).
TYPES_MAX_LENGTH = 1000
SIGNING = (
    "Each webhook is a POST of one Event (application/json) with the headers "
    "Complaintflow-Event-Id and Complaintflow-Signature: t=<unix time>,v1=<hex>. To verify "
    "it, compute HMAC-SHA256 with the subscription's secret over the bytes "
    "`<t>.<raw body>`, compare it with v1 in constant time, and refuse a t more than five "
    "minutes away from your clock. Answer 2xx quickly; any other answer or a timeout (10 s) "
    "is retried with doubling delays, then the delivery is marked failed (410 Gone: at "
    "once). The same event may arrive twice: deduplicate on its id. A confidential "
    "complaint's events carry data.complaint = {id, reference, confidential} only."
)
EXAMPLE_EVENT = {
    "id": "1042-0",
    "type": "task.completed",
    "occurred_at": "2026-11-28T09:15:02.123456+00:00",
    "data": {
        "complaint": {
            "id": 17,
            "reference": "C-2026-000017",
            "confidential": False,
            "status": "resolution",
            "channel": "web",
            "category": "billing",
            "severity": "low",
            "received_at": "2026-11-27T16:40:00+00:00",
            "closed_at": None,
        },
        "task": {
            "id": "3f6c2f0e-8f0a-4d59-9a0e-2b8f7f1c0a11",
            "name": "classify_complaint",
            "title": "Classify complaint",
            "role": "supervisor",
            "status": "completed",
            "due_at": "2026-11-29T16:40:00+00:00",
            "created_at": "2026-11-27T16:41:00+00:00",
            "completed_at": "2026-11-28T09:15:02+00:00",
        },
    },
}
EXAMPLE_WEBHOOK = {
    "id": 3,
    "url": "https://crm.example.org/hooks/complaints",
    "events": ["complaint.filed", "task.completed"],
    "description": "CRM: new complaints and progress",
    "active": True,
    "created_at": "2026-11-28T09:00:00+00:00",
    "links": {"deliveries": "/api/v1/webhooks/3/deliveries"},
}
EXAMPLE_DELIVERY = {
    "id": 12,
    "event_id": "1042-0",
    "event_type": "task.completed",
    "created_at": "2026-11-28T09:15:02+00:00",
    "status": "sent",
    "attempts": 1,
    "response_code": 200,
    "last_error": "",
    "sent_at": "2026-11-28T09:15:03+00:00",
    "next_attempt_at": None,
}


def _example(body: dict[str, Any], example: Any) -> dict[str, Any]:
    body["content"]["application/json"]["example"] = example
    return body


def paths() -> dict[str, Any]:
    """This part's operations for the OpenAPI document (keys relative to /api/v1)."""
    webhook_id = {
        **path_parameter("subscription_id", "integer"),
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_CURSOR},
    }
    admin_errors = errors("Unauthorized", "Forbidden")
    input_body = {
        "required": True,
        **_example(
            json_body(ref("WebhookInput"), "The subscription."),
            {k: EXAMPLE_WEBHOOK[k] for k in ("url", "events", "description", "active")},
        ),
    }
    return {
        "/events": {
            "get": {
                "operationId": "listEvents",
                "summary": "The change feed: events after a cursor, oldest first",
                "description": "For integrators who poll instead of receiving webhooks. Send "
                "the `next` of the previous answer as `after` (0 the first time); an empty "
                "page keeps the cursor. Only events of complaints the token's user may see "
                "(confidential ones with clearance: to such a reader, whole). `complaint` is the "
                "complaint as it is now; `status` (status_changed) says what changed then. The "
                "same events reach webhooks (POST /webhooks), where a confidential complaint's "
                "events carry data.complaint = {id, reference, confidential} only, whoever "
                "subscribed.",
                "security": BEARER,
                "x-required-scope": "read",
                "parameters": [
                    query_parameter(
                        "after",
                        {"type": "integer", "minimum": 0, "maximum": MAX_CURSOR, "default": 0},
                        "The cursor: `next` of the previous page.",
                    ),
                    query_parameter(
                        "limit",
                        {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": events.MAX_LIMIT,
                            "default": 50,
                        },
                        "At most this many events (a change's events are never split).",
                    ),
                    query_parameter(
                        "types",
                        {
                            "type": "string",
                            "pattern": TYPES_PATTERN,
                            "maxLength": TYPES_MAX_LENGTH,
                            "examples": ["complaint.filed,task.completed"],
                        },
                        "Only these types, comma-separated: " + ", ".join(events.TYPES) + ".",
                    ),
                ],
                "responses": {
                    "200": _example(
                        json_body(ref("EventPage"), "One page of events."),
                        {
                            "events": [EXAMPLE_EVENT],
                            "next": 1042,
                            "links": {"next": "/api/v1/events?after=1042&limit=50"},
                        },
                    ),
                    **errors("Unauthorized", "Unprocessable"),
                },
            }
        },
        "/webhooks": {
            "get": {
                "operationId": "listWebhooks",
                "summary": "Administrators: the webhook subscriptions",
                "security": BEARER,
                "x-required-scope": "admin",
                "responses": {
                    "200": _example(
                        json_body(
                            obj({"webhooks": {"type": "array", "items": ref("Webhook")}}),
                            "Every subscription.",
                        ),
                        {"webhooks": [EXAMPLE_WEBHOOK]},
                    ),
                    **admin_errors,
                },
            },
            "post": {
                "operationId": "createWebhook",
                "summary": "Administrators: add a webhook subscription",
                "description": "The address must be https and resolve to public addresses "
                "only (checked now and again at each delivery). " + SIGNING,
                "security": BEARER,
                "x-required-scope": "admin",
                "requestBody": input_body,
                "responses": {
                    "201": {
                        **_example(
                            json_body(ref("WebhookWithSecret"), "Added; keep the secret."),
                            {**EXAMPLE_WEBHOOK, "secret": "whsec_3J0o…"},
                        ),
                        "headers": location_header("The subscription."),
                    },
                    **admin_errors,
                    **errors("Unprocessable"),
                },
            },
        },
        "/webhooks/{subscription_id}": {
            "get": {
                "operationId": "showWebhook",
                "summary": "Administrators: one webhook subscription",
                "security": BEARER,
                "x-required-scope": "admin",
                "parameters": [webhook_id],
                "responses": {
                    "200": _example(
                        json_body(ref("Webhook"), "The subscription."), EXAMPLE_WEBHOOK
                    ),
                    **admin_errors,
                    **errors("NotFound"),
                },
            },
            "patch": {
                "operationId": "updateWebhook",
                "summary": "Administrators: change a webhook subscription",
                "security": BEARER,
                "x-required-scope": "admin",
                "parameters": [webhook_id],
                "requestBody": {
                    "required": True,
                    **_example(
                        json_body(ref("WebhookChange"), "The fields to change."),
                        {"active": False},
                    ),
                },
                "responses": {
                    "200": _example(
                        json_body(
                            ref("WebhookWithSecret"),
                            "The subscription; `secret` only when rotate_secret was sent.",
                        ),
                        {**EXAMPLE_WEBHOOK, "active": False},
                    ),
                    **admin_errors,
                    **errors("NotFound", "Unprocessable"),
                },
            },
            "delete": {
                "operationId": "deleteWebhook",
                "summary": "Administrators: remove a webhook subscription",
                "security": BEARER,
                "x-required-scope": "admin",
                "parameters": [webhook_id],
                "responses": {
                    "204": {"description": "Removed; its queued deliveries are cancelled."},
                    **admin_errors,
                    **errors("NotFound"),
                },
            },
        },
        "/webhooks/{subscription_id}/deliveries": {
            "get": {
                "operationId": "listWebhookDeliveries",
                "summary": "Administrators: a webhook's delivery log (the last 100)",
                "security": BEARER,
                "x-required-scope": "admin",
                "parameters": [webhook_id],
                "responses": {
                    "200": _example(
                        json_body(
                            obj({"deliveries": {"type": "array", "items": ref("WebhookDelivery")}}),
                            "Newest first.",
                        ),
                        {"deliveries": [EXAMPLE_DELIVERY]},
                    ),
                    **admin_errors,
                    **errors("NotFound"),
                },
            }
        },
    }


def schemas() -> dict[str, Any]:
    """This part's component schemas for the OpenAPI document."""
    url = {"type": "string", "format": "uri", "maxLength": webhooks.URL_LENGTH}
    types = {"type": "array", "items": EVENT_TYPE, "minItems": 1, "uniqueItems": True}
    description = {"type": "string", "maxLength": webhooks.DESCRIPTION_LENGTH}
    webhook = {
        "id": {"type": "integer"},
        "url": url,
        "events": types,
        "description": TEXT,
        "active": {"type": "boolean"},
        "created_at": {"type": "string", "format": "date-time"},
        "links": obj({"deliveries": TEXT}),
    }
    return {
        "Event": {
            **obj(
                {
                    "id": {"type": "string", "description": "Unique; deduplicate on it."},
                    "type": EVENT_TYPE,
                    "occurred_at": {"type": "string", "format": "date-time"},
                    "data": {
                        "type": "object",
                        "description": "complaint (always); task (task.*); status {from, to} "
                        "(complaint.status_changed); outcome (complaint.closed); clock "
                        "{name, target, due_at} (sla.*); message {id, kind, channel, "
                        "to_staff} (message.failed).",
                        "properties": {"complaint": {"type": "object"}},
                        "required": ["complaint"],
                    },
                }
            ),
            "example": EXAMPLE_EVENT,
        },
        "EventPage": obj(
            {
                "events": {"type": "array", "items": ref("Event")},
                "next": {"type": "integer", "description": "The cursor for the next call."},
                "links": obj({"next": TEXT}),
            }
        ),
        "Webhook": obj(webhook),
        "WebhookWithSecret": {
            **obj({**webhook, "secret": TEXT}, required=list(webhook)),
            "description": "A subscription; `secret` (its signing key) when just made.",
        },
        "WebhookInput": {
            **obj(
                {
                    "url": url,
                    "events": types,
                    "description": description,
                    "active": {"type": "boolean"},
                },
                required=["url", "events"],
            ),
            "additionalProperties": False,
        },
        "WebhookChange": {
            **obj(
                {
                    "url": url,
                    "events": types,
                    "description": description,
                    "active": {"type": "boolean"},
                    "rotate_secret": {"type": "boolean", "description": "Make a new secret."},
                },
                required=[],
            ),
            "additionalProperties": False,
        },
        "WebhookDelivery": obj(
            {
                "id": {"type": "integer"},
                "event_id": TEXT,
                "event_type": EVENT_TYPE,
                "created_at": {"type": "string", "format": "date-time"},
                "status": {
                    "type": "string",
                    "enum": ["queued", "sending", "sent", "failed", "cancelled"],
                },
                "attempts": {"type": "integer"},
                "response_code": nullable("integer"),
                "last_error": TEXT,
                "sent_at": TIME,
                "next_attempt_at": TIME,
            }
        ),
    }
