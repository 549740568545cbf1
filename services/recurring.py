"""Recurring problems of a period, as the pages and the management review read them.

Two kinds of cluster, both with their weekly trend: values of a dimension whose counts rise
(services.rising) and complaints that look alike (services.look_alikes); the thresholds are
procedure data (processes/recurring.toml, read by services.clusters). This module puts them
together, marks the clusters already made systemic issues and keeps the result a few minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from time import monotonic

from sqlalchemy import func, or_, select, text

from services import look_alikes as alike
from services import permissions
from services import rising as rises
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
from services.models import Complaint, SystemicIssue, User

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
    key = (str(db.engine.url), permissions.sees_confidential(viewer), span.start, span.end, newest)
    kept = _CACHE.get(key)
    if kept is not None and monotonic() - kept[0] < settings().cache_seconds:
        found = kept[1]
    else:
        _roomy_sorts()
        found = Recurring(span, rises.rising(viewer, span), alike.look_alikes(viewer, span))
        for old in [k for k, (at, _r) in _CACHE.items() if monotonic() - at > 3600]:
            _CACHE.pop(old, None)
        _CACHE[key] = (monotonic(), found)
    _mark_issues(found.clusters)
    return found


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
        found = rises.dimension_cluster(kind, key, tallies[key], span, viewer)
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
