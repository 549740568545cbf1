"""Idempotency keys: a POST retried with the same key gets the first answer again instead of
doing the work twice (app/api/hooks.py applies it to every POST of the API).

A record is created, and committed, before the work, so that a concurrent retry sees it in
flight; the request's own commit marks it `work_committed` in the same transaction as the work
(`mark_committed`), and the answer is written when the request ends. A request that dies before
its commit leaves its record in flight only for LEASE, after which a retry runs the work again;
one that dies after it never has its work done twice (the retry is told the answer was lost).
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from services import sealing
from services.clock import as_utc
from services.db import db
from services.models import IdempotencyRecord

KEEP = timedelta(hours=24)  # how long an answer is replayed
LEASE = timedelta(seconds=60)  # how long a request in flight holds its key
# The response headers replayed with the body (Cache-Control: an answer carrying a token's
# secret or a complainant's case is no-store, its replay too; Accept: a 415's types).
REPLAYED_HEADERS = (
    "Content-Type",
    "Location",
    "ETag",
    "Content-Language",
    "Cache-Control",
    "Accept",
)
MAX_KEY = 255


class Outcome(enum.Enum):
    NEW = "new"  # run the request, then call `finish`
    REPLAY = "replay"  # answer the record's stored response
    IN_PROGRESS = "in_progress"  # the first request with this key has not ended
    LOST = "lost"  # the work was saved but its answer was not: do not do it again
    REUSED = "reused"  # the key was sent with another request


@dataclass(frozen=True)
class Begun:
    outcome: Outcome
    record: IdempotencyRecord | None = None


def valid_key(key: str) -> bool:
    """1 to 255 visible ASCII characters (no spaces or controls)."""
    return 1 <= len(key) <= MAX_KEY and all("!" <= ch <= "~" for ch in key)


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests the same: method, path and (canonical) body."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def begin(principal: str, key: str, method: str, path: str, print_: str, now: datetime) -> Begun:
    """Claim `key` for this request, or say why not; commits the claim (see module doc)."""
    for _attempt in range(2):
        record = db.session.scalar(
            db.select(IdempotencyRecord).where(
                IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
            )
        )
        if record is not None and as_utc(record.expires_at) <= now:
            record = None  # an old answer: the key is free again (purged below)
        if record is not None:
            if record.fingerprint != print_:
                return Begun(Outcome.REUSED, record)
            if record.status is not None:
                return Begun(Outcome.REPLAY, record)
            if record.locked_until is not None and as_utc(record.locked_until) > now:
                return Begun(Outcome.IN_PROGRESS, record)
            if record.work_committed:
                return Begun(Outcome.LOST, record)
            record.locked_until = now + LEASE  # the first request died: take its place
            db.session.commit()
            return Begun(Outcome.NEW, record)
        purge(now)  # each old record is deleted once, by the next new one: cheap on average
        record = IdempotencyRecord(
            principal=principal,
            key=key,
            method=method,
            path=path[:500],
            fingerprint=print_,
            created_at=now,
            locked_until=now + LEASE,
            expires_at=now + KEEP,
        )
        db.session.add(record)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # a concurrent request claimed it first: read it again
            continue
        return Begun(Outcome.NEW, record)
    return Begun(Outcome.IN_PROGRESS)


def storable(status: int) -> bool:
    """Answers a retry should get again: successes and the client's own mistakes, but not
    the ones a retry may cure (conflicts, rate limits, server errors), nor refusals of the
    credentials (401, 403): who may do it is decided anew each time, never replayed."""
    return 200 <= status < 300 or (
        400 <= status < 500 and status not in (401, 403, 408, 409, 425, 429)
    )


def finish(
    record_id: int, status: int, headers: dict[str, str], body: bytes, now: datetime
) -> None:
    """Keep the answer to replay (or free the key if it is not worth keeping); flushes."""
    record = db.session.get(IdempotencyRecord, record_id)
    if record is None:
        return
    if not storable(status) and not record.work_committed:
        db.session.delete(record)  # nothing was saved: a retry may run again
    elif not storable(status):
        record.locked_until = None  # saved, but the answer is not one to replay
    else:
        record.status = status
        record.headers = {k: v for k, v in headers.items() if k in REPLAYED_HEADERS}
        # Sealed: an answer may carry a secret shown once (a new token's, a tracking link's),
        # and only hashes of those are kept in the clear.
        record.body = sealing.seal_bytes(body)
        record.locked_until = None
        record.expires_at = now + KEEP
    db.session.flush()


def mark_committed(record_id: int) -> None:
    """Within the request's own transaction: its work is being saved (executes, no flush)."""
    db.session.execute(
        db.update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record_id)
        .values(work_committed=True)
    )


def release(record_id: int) -> None:
    """No answer to keep (a streamed one): free the key, unless the work was saved (flushes)."""
    record = db.session.get(IdempotencyRecord, record_id)
    if record is None:
        return
    if record.work_committed:
        record.locked_until = None  # a retry is told the answer was lost
    else:
        db.session.delete(record)
    db.session.flush()


def purge(now: datetime) -> int:
    """Delete the records past their 24 hours; the number deleted (flushes)."""
    result = db.session.execute(
        db.delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= now)
    )
    return result.rowcount or 0
