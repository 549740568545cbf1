"""Recurring problems, first kind: values of a dimension (product/service, department, root
cause category, category) whose counts rise over the period against the one before.

Confidential complaints count for the viewers cleared for them, and for nobody else: a value
that rose because of them, or a "< 5" standing for them, would tell someone without clearance
that they exist, and which week and value they have. One scan of the two periods' complaints
gives every value's weekly counts (GROUPING SETS on PostgreSQL).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, tuple_

from services import permissions
from services.clock import as_utc
from services.clusters import (
    DIMENSIONS,
    LIST_LIMIT,
    Cluster,
    ComplaintRef,
    Period,
    between,
    dimension_expression,
    instant,
    settings,
    week_counts,
)
from services.db import db
from services.models import Complaint, User


def _ones(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


@dataclass
class _Tally:
    """What one value of a dimension counts: per week of the period (index >= 0) and before
    (index -1), each as (complaints, confidential ones)."""

    label: str = ""
    buckets: dict[int, tuple[int, int]] = field(default_factory=dict)
    # The label as the complaints that are not confidential spell it ("" when none does): a
    # product's words are the complainant's, and those of a confidential one are not told.
    open_label: str = ""

    def add(
        self, bucket: int, count: int, secret: int, label: str | None, open_label: str | None
    ) -> None:
        had, had_secret = self.buckets.get(bucket, (0, 0))
        self.buckets[bucket] = (had + count, had_secret + secret)
        if label and (not self.label or label < self.label):
            self.label = label
        if open_label and (not self.open_label or open_label < self.open_label):
            self.open_label = open_label

    def total(self, current: bool) -> tuple[int, int]:
        picked = [v for b, v in self.buckets.items() if (b >= 0) == current]
        return sum(c for c, _s in picked), sum(s for _c, s in picked)

    def seen_by(self, cleared: bool) -> _Tally:
        """What a viewer may know of it: without clearance, not the confidential ones."""
        if cleared:
            return self
        return _Tally(
            self.open_label,
            {b: (c - s, 0) for b, (c, s) in self.buckets.items()},
            self.open_label,
        )

    def counts_any(self) -> bool:
        """Whether any complaint of either period counts here."""
        return any(count for count, _secret in self.buckets.values())


def _bucket(span: Period) -> Any:
    """-1 for a complaint of the previous period, else the index of its week (SQL)."""
    bounds = [instant(week) for week in span.weeks] + [instant(span.end + timedelta(days=1))]
    return case(
        *((Complaint.received_at < bound, index - 1) for index, bound in enumerate(bounds)),
        else_=len(bounds) - 1,
    )


def tallies(
    kinds: Sequence[str], span: Period, key: str | None = None
) -> dict[str, dict[str, _Tally]]:
    """Weekly and previous-period counts of every value of the dimensions, in one scan of
    the two periods' complaints on PostgreSQL (GROUPING SETS), one per dimension elsewhere.

    Grouped in an outer query: PostgreSQL does not match an expression whose literals are
    bound parameters in SELECT with the same one in GROUP BY.
    """
    window = between(instant(span.previous_start), instant(span.end + timedelta(days=1)))
    inner = select(
        *(dimension_expression(kind).label(kind) for kind in kinds),
        func.trim(Complaint.product_service).label("raw"),
        case(
            (Complaint.confidential.is_(True), None), else_=func.trim(Complaint.product_service)
        ).label("open_raw"),
        _bucket(span).label("bucket"),
        case((Complaint.confidential.is_(True), 1), else_=0).label("secret"),
    ).where(window)
    if key is not None:
        (kind,) = kinds
        inner = inner.where(dimension_expression(kind) == key)
    sub = inner.subquery()
    tallies: dict[str, dict[str, _Tally]] = {kind: defaultdict(_Tally) for kind in kinds}

    def read(rows: Iterable[Any], kind_of: Any) -> None:
        for row in rows:
            kind = kind_of(row)
            value = getattr(row, kind)
            if value is None or value == "":
                continue
            label, open_label = (row.raw, row.open_raw) if kind == "product" else (value, value)
            tallies[kind][value].add(
                int(row.bucket), int(row.count), int(row.secret), label, open_label
            )

    figures = (
        sub.c.bucket,
        func.count().label("count"),
        func.sum(sub.c.secret).label("secret"),
        func.min(sub.c.raw).label("raw"),
        func.min(sub.c.open_raw).label("open_raw"),
    )
    if db.engine.dialect.name == "postgresql" and len(kinds) > 1:
        columns = [sub.c[kind] for kind in kinds]
        sets = [tuple_(column, sub.c.bucket) for column in columns]
        # GROUPING(a, b, ...) has a bit set for each column left out of the row's set.
        flags = {
            (1 << len(kinds)) - 1 - (1 << (len(kinds) - 1 - i)): k for i, k in enumerate(kinds)
        }
        rows = db.session.execute(
            select(*columns, *figures, func.grouping(*columns).label("set")).group_by(
                func.grouping_sets(*sets)
            )
        )
        read(rows, lambda row: flags[row.set])
    else:
        for kind in kinds:
            rows = db.session.execute(
                select(sub.c[kind], *figures).group_by(sub.c[kind], sub.c.bucket)
            )
            read(rows, lambda _row, kind=kind: kind)
    return tallies


def _rises(now: int, before: int) -> bool:
    rules = settings()
    if now < rules.rise_min_count or now - before < rules.rise_min_increase:
        return False
    return before == 0 or now >= before * rules.rise_min_ratio


def dimension_cluster(kind: str, key: str, seen: _Tally, span: Period) -> Cluster:
    """A value's cluster from its tally as the viewer may know it (`_Tally.seen_by`)."""
    now, _secret = seen.total(current=True)
    before, _secret = seen.total(current=False)
    return Cluster(
        kind=kind,
        key=key,
        label=seen.label or key,
        now=now,
        before=before,
        now_display=str(now),
        before_display=str(before),
        trend=week_counts(span, {b: count for b, (count, _s) in seen.buckets.items()}),
    )


def rising(viewer: User, span: Period) -> list[Cluster]:
    """The values of each dimension whose counts rise, biggest increase first."""
    found: list[Cluster] = []
    cleared = permissions.sees_confidential(viewer)
    for kind, values in tallies(DIMENSIONS, span).items():
        seen = {key: tally.seen_by(cleared) for key, tally in values.items()}
        clusters = [
            dimension_cluster(kind, key, tally, span)
            for key, tally in seen.items()
            if _rises(tally.total(current=True)[0], tally.total(current=False)[0])
        ]
        clusters.sort(key=lambda c: (-(c.change or 0), -c.now, c.key))
        found.extend(clusters[: settings().rise_max_per_dimension])
    found.sort(key=lambda c: (-(c.change or 0), -c.now, c.kind, c.key))
    return found


def dimension_complaints(
    kind: str, key: str, span: Period, viewer: User, limit: int = LIST_LIMIT
) -> list[ComplaintRef]:
    """The complaints of the period with this value that the viewer may see, newest first."""
    rows = db.session.execute(
        select(Complaint.id, Complaint.reference, Complaint.received_at)
        .where(
            between(instant(span.start), instant(span.end + timedelta(days=1))),
            dimension_expression(kind) == key,
            permissions.visible_complaints_filter(viewer),
        )
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
        .limit(limit)
    )
    return [ComplaintRef(id_, reference or "", as_utc(at) or at) for id_, reference, at in rows]
