"""Recurring problems of a period, as the pages and the management review read them.

Two kinds of cluster, both with their weekly trend: values of a dimension whose counts rise
(services.rising) and complaints that look alike (services.look_alikes); the thresholds are
procedure data (processes/recurring.toml, read by services.clusters). This module puts them
together, marks the clusters already made systemic issues and keeps the result a few minutes.

At a million complaints computing them takes seconds, so the timer process computes the
default period's ahead (`precompute`, each round when a complaint was filed or the last one is
`cache_seconds` old) for the two kinds of reader there are, without and with clearance, into
RecurringSnapshot; /improvement reads that, and computes only another period, or when the
snapshot is behind (a complaint filed since, or the timer process stopped).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from time import monotonic
from typing import Any

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import selectinload

from services import look_alikes as alike
from services import permissions
from services import rising as rises
from services.clock import as_utc, utcnow
from services.clusters import (
    DIMENSIONS,
    LOOK_ALIKES,
    MAX_DAYS,
    Cluster,
    ComplaintRef,
    Period,
    WeekCount,
    period,
    settings,
)
from services.db import db
from services.errors import NotFound
from services.models import Complaint, RecurringSnapshot, SystemicIssue, User

__all__ = [
    "DIMENSIONS",
    "LOOK_ALIKES",
    "MAX_DAYS",
    "Cluster",
    "ComplaintRef",
    "Period",
    "Recurring",
    "WeekCount",
    "cluster",
    "clusters",
    "forget",
    "period",
    "precompute",
    "recurring",
]


@dataclass
class Recurring:
    """The recurring problems of a period."""

    period: Period
    rising: list[Cluster]
    look_alikes: list[Cluster]

    @property
    def clusters(self) -> list[Cluster]:
        """Rising values, then look-alikes."""
        return self.rising + self.look_alikes


# ---------------------------------------------------------------------------------------------
# What the pages and the other reports read
# ---------------------------------------------------------------------------------------------


def _mark_issues(clusters: list[Cluster]) -> None:
    """Point each cluster at the open (or monitored) systemic issue made from it, if any."""
    if not clusters:
        return
    issues = db.session.execute(
        select(SystemicIssue.cluster_kind, SystemicIssue.cluster_key, SystemicIssue.id)
        .where(
            SystemicIssue.status != "closed",
            or_(*(SystemicIssue.cluster_kind == kind for kind in {c.kind for c in clusters})),
            SystemicIssue.cluster_key.in_(sorted({c.key for c in clusters})),
        )
        .order_by(SystemicIssue.id)
    )
    by_key = {(kind, key): id_ for kind, key, id_ in issues}
    for cluster in clusters:
        cluster.issue_id = by_key.get((cluster.kind, cluster.key))


# Computed recurring problems, by database, clearance, period and newest complaint id.
_CACHE: dict[tuple[str, bool, date, date, int], tuple[float, Recurring]] = {}


def forget() -> None:
    """Drop the kept results (the next call computes them again)."""
    _CACHE.clear()


def _roomy_sorts() -> None:
    """Let this transaction's grouping and sorting of a period's complaints (a few tens of
    MB at a million complaints) run in memory rather than spill to disk, on PostgreSQL."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL work_mem = '64MB'"))


def recurring(viewer: User, start: date | None = None, end: date | None = None) -> Recurring:
    """The rising values and look-alike clusters of a period (default: the last 90 days).

    Rising clusters carry no complaint list here (`cluster` loads it): listing them all
    would read every complaint of the period. The result is kept for `cache_seconds` per
    clearance and period, and recomputed as soon as a complaint is filed; a complaint
    classified since shows within that time. The systemic-issue marks are always current.
    """
    span = period(start, end)
    newest = db.session.scalar(select(func.max(Complaint.id))) or 0
    clearance = permissions.sees_confidential(viewer)
    key = (str(db.engine.url), clearance, span.start, span.end, newest)
    kept = _CACHE.get(key)
    if kept is not None and monotonic() - kept[0] < settings().cache_seconds:
        found = kept[1]
    elif (found_ahead := _snapshot(viewer, clearance, span, newest)) is not None:
        found = found_ahead
        _keep(key, found)
    else:
        found = _compute(viewer, span)
        _keep(key, found)
    _mark_issues(found.clusters)
    return found


# Results kept at most: each complaint filed makes a new key (its id is part of it).
_KEEP = 8


def _keep(key: tuple[str, bool, date, date, int], found: Recurring) -> None:
    """Keep a result, dropping those past their time and the oldest beyond _KEEP."""
    now = monotonic()
    for old in [k for k, (at, _r) in _CACHE.items() if now - at >= settings().cache_seconds]:
        _CACHE.pop(old, None)
    _CACHE[key] = (now, found)
    while len(_CACHE) > _KEEP:
        _CACHE.pop(min(_CACHE, key=lambda k: _CACHE[k][0]), None)


def clusters(viewer: User, start: date | None = None, end: date | None = None) -> list[Cluster]:
    """Every recurring problem of the period: rising values, then look-alikes."""
    return recurring(viewer, start, end).clusters


def cluster(
    viewer: User, kind: str, key: str, start: date | None = None, end: date | None = None
) -> Cluster:
    """One cluster of the period with its complaints (those the viewer may see), or NotFound."""
    span = period(start, end)
    _roomy_sorts()
    if kind in DIMENSIONS:
        tallies = rises.tallies([kind], span, key)[kind]
        if key not in tallies:
            raise NotFound("No complaint of the period has this value.")
        seen = tallies[key].seen_by(permissions.sees_confidential(viewer))
        if not seen.counts_any():
            # Only confidential complaints have it: for a viewer without clearance, as if
            # none had (a page of zeros would tell that some exist, and their words).
            raise NotFound("No complaint of the period has this value.")
        found = rises.dimension_cluster(kind, key, seen, span)
        found.complaints = rises.dimension_complaints(kind, key, span, viewer)
    elif kind in LOOK_ALIKES:
        candidates = (
            alike.contact_clusters(viewer, span)
            if kind == "contact"
            else alike.text_clusters(viewer, span)
        )
        matches = [c for c in candidates if c.key == key]
        if not matches:
            raise NotFound("This cluster is not found in the period.")
        found = matches[0]
    else:
        raise NotFound("No such kind of cluster.")
    _mark_issues([found])
    return found


def _compute(viewer: User, span: Period) -> Recurring:
    _roomy_sorts()
    return Recurring(span, rises.rising(viewer, span), alike.look_alikes(viewer, span))


# ---------------------------------------------------------------------------------------------
# Computed ahead by the timer process
# ---------------------------------------------------------------------------------------------


def _reader(user: User) -> bool:
    """A reader of complaints (the look-alikes list complaints): the snapshots are for them."""
    return permissions.reads_complaints(user)


def _snapshot(viewer: User, clearance: bool, span: Period, newest: int) -> Recurring | None:
    """The snapshot for this viewer and period, if current (the default period, no complaint
    filed since, computed less than `cache_seconds` and a minute ago)."""
    if not _reader(viewer) or span != period():
        return None
    row = db.session.get(RecurringSnapshot, clearance)
    if row is None or (row.period_start, row.period_end, row.newest_id) != (
        span.start,
        span.end,
        newest,
    ):
        return None
    age = utcnow() - (as_utc(row.computed_at) or row.computed_at)
    if age > timedelta(seconds=settings().cache_seconds + 60):
        return None
    plain = json.loads(row.payload)
    if _old_rule(plain):
        return None
    return _restore(plain, span)


# What a count of one to four that took confidential complaints in read, before the counts a
# viewer without clearance reads left them out. A snapshot written then may still be stored:
# its counts take them in, and read now its changes and sparklines would tell what the marker
# hid. It is computed again rather than read.
_OLD_MARKER = "< 5"


def _old_rule(plain: dict[str, Any]) -> bool:
    """True for a snapshot that shows a count as the old marker."""
    return any(
        _OLD_MARKER in (c["now_display"], c["before_display"])
        or any(display == _OLD_MARKER for _week, _count, display in c["trend"])
        for c in plain["rising"] + plain["look_alikes"]
    )


def _viewers() -> dict[bool, User]:
    """One active reader of complaints per clearance (the snapshots are computed as them: what
    they hold depends on nothing else of the viewer)."""
    found: dict[bool, User] = {}
    users = select(User).where(User.active.is_(True)).options(selectinload(User.roles))
    for user in db.session.scalars(users.order_by(User.id)):
        if _reader(user):
            found.setdefault(permissions.sees_confidential(user), user)
    return found


def precompute(now: datetime | None = None) -> int:
    """Compute the default period's recurring problems ahead, for readers without and with
    clearance, when a complaint was filed since or the last ones are `cache_seconds` old;
    the number computed. The caller commits (the timer loop, each round: when both are
    current, a round costs two small queries)."""
    now = now or utcnow()
    span = period()
    newest = db.session.scalar(select(func.max(Complaint.id))) or 0
    fresh = timedelta(seconds=settings().cache_seconds)
    snapshots = select(
        RecurringSnapshot.clearance,
        RecurringSnapshot.period_start,
        RecurringSnapshot.period_end,
        RecurringSnapshot.newest_id,
        RecurringSnapshot.computed_at,
    )
    current = {
        clearance
        for clearance, start, end, newest_id, at in db.session.execute(snapshots)
        if (start, end, newest_id) == (span.start, span.end, newest)
        and now - (as_utc(at) or at) < fresh
    }
    if current == {False, True}:
        return 0
    done = 0
    for clearance, viewer in _viewers().items():
        if clearance in current:
            continue
        found = _compute(viewer, span)
        row = db.session.get(RecurringSnapshot, clearance)
        if row is None:
            row = RecurringSnapshot(clearance=clearance)
            db.session.add(row)
        row.period_start, row.period_end, row.newest_id = span.start, span.end, newest
        row.computed_at = now
        row.payload = json.dumps(_plain(found), separators=(",", ":"))
        done += 1
    return done


def _plain(found: Recurring) -> dict[str, Any]:
    def cluster(c: Cluster) -> dict[str, Any]:
        plain = asdict(c)
        plain.pop("issue_id")  # marked when read
        plain["trend"] = [[w.week.isoformat(), w.count, w.display] for w in c.trend]
        plain["complaints"] = [[r.id, r.reference, r.received_at.isoformat()] for r in c.complaints]
        return plain

    return {
        "rising": [cluster(c) for c in found.rising],
        "look_alikes": [cluster(c) for c in found.look_alikes],
    }


def _restore(plain: dict[str, Any], span: Period) -> Recurring:
    def cluster(values: dict[str, Any]) -> Cluster:
        return Cluster(
            **{
                **values,
                "trend": [
                    WeekCount(date.fromisoformat(week), count, display)
                    for week, count, display in values["trend"]
                ],
                "complaints": [
                    ComplaintRef(id_, reference, datetime.fromisoformat(received))
                    for id_, reference, received in values["complaints"]
                ],
            }
        )

    return Recurring(
        span,
        [cluster(c) for c in plain["rising"]],
        [cluster(c) for c in plain["look_alikes"]],
    )
