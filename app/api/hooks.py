"""What every operation of the API does around its view: Idempotency-Key on each POST, the
IETF RateLimit headers on rate-limited operations, absolute Location headers (described in
the OpenAPI document)."""

from __future__ import annotations

import hashlib
import json
import math
import time
from urllib.parse import urljoin, urlsplit

from flask import current_app, g, request
from flask.wrappers import Response
from flask_babel import gettext
from flask_limiter.util import get_remote_address
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.api import auth
from app.api.blueprint import bp
from app.extensions import limiter
from services import complaints, idempotency, sealing
from services.clock import utcnow
from services.db import db
from services.errors import Conflict, DomainError, InvalidInput
from services.idempotency import Outcome

HEADER = "Idempotency-Key"
# The complainant's actions, authenticated by the tracking token in this header.
TRACKING_ACTIONS = frozenset({"api.answer_information", "api.answer_survey", "api.request_review"})
TRACKING_HEADER = "X-Tracking-Token"
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


@bp.before_request
def idempotent_post() -> Response | None:
    """A POST with an Idempotency-Key: replay the stored answer, refuse a reuse, or claim it."""
    if request.method != "POST" or HEADER not in request.headers:
        return None
    if not authenticated():
        return None  # the view refuses it (401/403); the key is neither claimed nor replayed
    key = request.headers[HEADER]
    if not idempotency.valid_key(key):
        raise DomainError(
            gettext("An Idempotency-Key is 1 to 255 visible ASCII characters."),
            code="invalid_idempotency_key",
        )
    print_ = idempotency.fingerprint(request.method, request.path, canonical_body())
    begun = idempotency.begin(principal(), key, request.method, request.path, print_, utcnow())
    if begun.outcome is Outcome.REUSED:
        raise InvalidInput(
            gettext(
                "This Idempotency-Key was already used for another request; use a new key "
                "for a new request."
            ),
            code="idempotency_key_reused",
        )
    if begun.outcome is Outcome.LOST:
        raise Conflict(
            gettext(
                "The request with this Idempotency-Key was carried out, but its answer was "
                "lost; read the current state instead of sending it again."
            ),
            code="idempotency_answer_lost",
        )
    if begun.outcome is Outcome.IN_PROGRESS or begun.record is None:
        raise Conflict(
            gettext("A request with this Idempotency-Key is still in progress; retry later."),
            code="idempotency_in_progress",
        )
    record = begun.record
    if begun.outcome is Outcome.REPLAY:
        response = current_app.response_class(
            sealing.unseal_bytes(record.body or b""),
            status=record.status,
            headers=record.headers or {},
        )
        response.headers["Idempotent-Replayed"] = "true"
        return response
    g.idempotency_record = record.id
    # The view's commit marks the record in the same transaction as its work.
    session = db.session()
    event.listen(session, "before_commit", _mark_committed)
    g.idempotency_session = session
    return None


def _mark_committed(session: Session) -> None:
    record_id = g.get("idempotency_record")
    if record_id is not None:
        idempotency.mark_committed(record_id)


@bp.after_request
def keep_answer(response: Response) -> Response:
    """Store the answer of a claimed key for its retries (or free the key)."""
    record_id = g.pop("idempotency_record", None)
    if record_id is None:
        return response
    session = g.pop("idempotency_session", None)
    if session is not None and event.contains(session, "before_commit", _mark_committed):
        event.remove(session, "before_commit", _mark_committed)
    try:
        if response.is_streamed:
            idempotency.release(record_id)
        else:
            idempotency.finish(
                record_id,
                response.status_code,
                dict(response.headers),
                response.get_data(),
                utcnow(),
            )
        db.session.commit()
    except SQLAlchemyError:
        # The answer stands. A retry waits for the lease to end, then runs again, or, if the
        # work was saved, is told its answer was lost.
        db.session.rollback()
        current_app.logger.exception("could not store the answer of an Idempotency-Key")
    return response


@bp.after_request
def absolute_location(response: Response) -> Response:
    """Every Location the API sends is an absolute URL: RFC 9110 allows a reference too, but
    one API gives one form (views build paths; filing's tracking address was absolute, the
    other 201s' were paths). Registered after keep_answer, so it runs first: the answer an
    Idempotency-Key keeps and replays has it too."""
    location = response.headers.get("Location")
    if location and not urlsplit(location).scheme:
        response.headers["Location"] = urljoin(request.url, location)
    return response


@bp.after_request
def no_content_type_without_content(response: Response) -> Response:
    """A 204 (or 304) has no body, so no Content-Type (Flask gives every answer text/html)."""
    if response.status_code in (204, 304):
        response.headers.pop("Content-Type", None)
    return response


@bp.after_request
def rate_limit_headers(response: Response) -> Response:
    """RateLimit-Limit, -Remaining and -Reset (seconds) of the operation's tightest limit."""
    limit = limiter.current_limit
    if limit is None:
        return response
    try:
        reset_time, remaining = limit.window  # (when the window ends, requests left)
        reset = max(0, math.ceil(reset_time - time.time()))
        response.headers["RateLimit-Limit"] = str(limit.limit.amount)
        response.headers["RateLimit-Remaining"] = str(remaining)
        response.headers["RateLimit-Reset"] = str(reset)
    except Exception:  # noqa: BLE001 - the limiter's storage gone: answer without the headers
        current_app.logger.warning("rate-limit headers unavailable", exc_info=True)
    return response


def authenticated() -> bool:
    """Whether the request carries what the operation authenticates it with: the bearer
    token (valid, with the operation's scope) of a staff operation, the tracking token (one
    that opens a complaint) of a complainant's. Checked before the Idempotency-Key is looked
    at, so that a refused request is answered 401/403 (404, 410), never 422 or a replay."""
    view = current_app.view_functions.get(request.endpoint or "")
    scope = getattr(view, "required_scope", None)
    if scope is not None:
        secret = auth.bearer_secret()
        if not secret:
            return False
        found = auth.authenticate(secret)
        if found is None:
            return False
        needed = auth.needed_scope(scope, request.method)
        return needed is None or needed in found.scopes
    if request.endpoint in TRACKING_ACTIONS:
        token = request.headers.get(TRACKING_HEADER, "").strip()
        if not token:
            return False
        try:
            complaints.by_token(token)
        except DomainError:
            return False
    return True


def principal() -> str:
    """Whose keys these are: the bearer token (not its owner: a token with fewer scopes must
    not be given what a stronger one of the same person was answered, a minted token's
    secret say), the complaint of a complainant's tracking token (complainants behind one
    address must not be given each other's answers), else the client's address."""
    token = auth.bearer_secret()
    if token:
        found = auth.authenticate(token)
        if found is not None:
            return f"token:{found.token.id}"
    if request.endpoint in TRACKING_ACTIONS:
        tracking = request.headers.get(TRACKING_HEADER, "").strip()
        if tracking:  # authenticated() opened it
            return f"complaint:{complaints.by_token(tracking).id}"
    return f"address:{get_remote_address()}"


def canonical_body() -> bytes:
    """The body as a retry would send it again: JSON re-serialised with sorted keys, forms
    as their fields and files' digests (a multipart boundary changes from one try to the
    next), anything else as sent."""
    if request.mimetype in FORM_TYPES:
        fields = sorted(request.form.items(multi=True))
        files = []
        for name, upload in request.files.items(multi=True):
            digest = hashlib.sha256(upload.stream.read()).hexdigest()
            upload.stream.seek(0)
            files.append((name, upload.filename or "", digest))
        return json.dumps([fields, sorted(files)]).encode()
    data = request.get_data(cache=True)
    if request.is_json:
        # Read once (cached) by the app's JSON provider, which refuses JSON nested too deeply
        # for json.dumps to walk (app/input_guards.py); None when it does not parse.
        value = request.get_json(silent=True)
        if value is not None:
            return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    return data
