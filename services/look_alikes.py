"""Recurring problems, second kind: complaints that look alike.

- the same contact (email or telephone) about the same product within N days of the previous
  complaint of the chain;
- descriptions that share enough word shingles (Jaccard), among the most recent
  `max_candidates` complaints of the period, compared within groups sharing a product or a
  category, each cut to `max_group`: at most max_candidates * (max_group - 1) pairs scored.

They tie particular complaints together, so they are built only from complaints the viewer
may see: a contact cluster would otherwise tell that a person also filed a confidential one.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, tuple_

from services import permissions
from services.clock import as_utc
from services.clusters import (
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


def _email() -> Any:
    return func.lower(func.trim(Complaint.email))


def _phone() -> Any:
    digits: Any = func.trim(Complaint.phone)
    for sign in (" ", "-", ".", "(", ")", "/"):
        digits = func.replace(digits, sign, "")
    return digits


@dataclass
class _Row:
    id: int
    reference: str
    received_at: datetime
    product: str
    product_label: str
    email: str = ""
    phone: str = ""
    category: str = ""
    description: str = ""


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _id_list(column: Any) -> Any:
    """The ids of a group as one value: an array on PostgreSQL, a comma list on SQLite."""
    if db.engine.dialect.name == "postgresql":
        return func.array_agg(column)
    return func.group_concat(column)


def _ids(value: Any) -> list[int]:
    if isinstance(value, str):
        return [int(part) for part in value.split(",") if part]
    return [int(part) for part in value or ()]


class _Components:
    """Union-find over complaint ids."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, item: int) -> int:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)

    def groups(self) -> list[list[int]]:
        found: dict[int, list[int]] = defaultdict(list)
        for item in list(self.parent):
            found[self.find(item)].append(item)
        return list(found.values())


@dataclass(frozen=True)
class _Group:
    """Complaints sharing an email (or a telephone) and a product."""

    name: str  # email or phone
    value: str
    product: str
    ids: list[int]


def _shared_contacts(window: Any, visible: Any) -> list[_Group]:
    """The groups of complaints sharing a contact and a product: hash-grouped (no sort of
    the period's contacts), in one scan on PostgreSQL (GROUPING SETS), one per kind of contact
    elsewhere; the largest `max_contact_groups` of each kind."""
    rules = settings()
    product = dimension_expression("product")
    sub = (
        select(
            _email().label("email"),
            _phone().label("phone"),
            product.label("product"),
            Complaint.id.label("id"),
        )
        .where(window, visible, product != "", or_(Complaint.email != "", Complaint.phone != ""))
        .subquery()
    )
    enough = func.count() >= rules.look_alike_min_size
    found: list[_Group] = []
    if db.engine.dialect.name == "postgresql":
        # GROUPING(email, phone) is 1 for the (email, product) set, 2 for (phone, product).
        rows = db.session.execute(
            select(
                sub.c.email,
                sub.c.phone,
                sub.c.product,
                _id_list(sub.c.id),
                func.grouping(sub.c.email, sub.c.phone),
            )
            .group_by(
                func.grouping_sets(
                    tuple_(sub.c.email, sub.c.product), tuple_(sub.c.phone, sub.c.product)
                )
            )
            .having(enough)
        )
        for email, phone, prod, ids, which in rows:
            name, value = ("email", email) if which == 1 else ("phone", phone)
            if value:
                found.append(_Group(name, value, prod, _ids(ids)))
    else:
        for name in ("email", "phone"):
            column = sub.c[name]
            groups = db.session.execute(
                select(column, sub.c.product, _id_list(sub.c.id))
                .where(column != "")
                .group_by(column, sub.c.product)
                .having(enough)
            )
            found.extend(_Group(name, value, prod, _ids(ids)) for value, prod, ids in groups)
    kept: list[_Group] = []
    for name in ("email", "phone"):
        mine = sorted(
            (g for g in found if g.name == name), key=lambda g: (-len(g.ids), g.value, g.product)
        )
        kept.extend(mine[: rules.max_contact_groups])
    return kept


def contact_clusters(viewer: User, span: Period) -> list[Cluster]:
    """Complaints from one email or telephone about one product, each within N days of the
    previous one; the chain may begin up to N days before the period."""
    rules = settings()
    reach = timedelta(days=rules.look_alike_days)
    window = between(instant(span.start) - reach, instant(span.end + timedelta(days=1)))
    visible = permissions.visible_complaints_filter(viewer)
    rows: dict[int, _Row] = {}
    for group in _shared_contacts(window, visible):
        for id_ in group.ids:
            row = rows.setdefault(id_, _Row(id_, "", _EPOCH, group.product, group.product))
            setattr(row, group.name, group.value)
    # References, dates and spellings come by primary key, for the few complaints kept.
    for id_, reference, at, spelled in db.session.execute(
        select(
            Complaint.id,
            Complaint.reference,
            Complaint.received_at,
            func.trim(Complaint.product_service),
        ).where(Complaint.id.in_(list(rows)))
    ):
        row = rows[id_]
        row.reference, row.received_at, row.product_label = (
            reference or "",
            as_utc(at) or at,
            spelled,
        )
    components = _Components()
    for name in ("email", "phone"):
        chains: dict[tuple[str, str], list[_Row]] = defaultdict(list)
        for row in rows.values():
            if getattr(row, name):
                chains[(getattr(row, name), row.product)].append(row)
        for chain in chains.values():
            chain.sort(key=lambda r: (r.received_at, r.id))
            for earlier, later in zip(chain, chain[1:], strict=False):
                if later.received_at - earlier.received_at <= reach:
                    components.union(earlier.id, later.id)
    start = instant(span.start)
    clusters = []
    for ids in components.groups():
        members = sorted((rows[i] for i in ids), key=lambda r: (r.received_at, r.id))
        now = [r for r in members if r.received_at >= start]
        if len(members) < rules.look_alike_min_size or not now:
            continue
        first = members[0]
        contact = first.email or first.phone
        digest = hashlib.sha256(f"{contact}|{first.product}".encode()).hexdigest()[:20]
        clusters.append(
            _look_alike_cluster(
                "contact", f"c{digest}", f"{contact} · {first.product_label}", members, span
            )
        )
    return clusters


STOP_WORDS = frozenset(
    "the and for with was were are has have had that this from but not you your our they "
    "them their its very been will would could into then than also just les des une est que "
    "qui pas par sur avec pour dans mais ont son ses leur nous vous ils elle été être "
    "aux ces cette".split()
)
WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    """The words of a description that carry meaning: lower case, three letters or more."""
    return [w for w in WORD.findall(text.lower()) if len(w) >= 3 and w not in STOP_WORDS]


def shingles(text: str, size: int | None = None) -> frozenset[str]:
    """The set of `size`-word sequences of a text (its words, if it is shorter)."""
    size = size or settings().text_shingle
    found = words(text)
    if len(found) < size:
        return frozenset(found)
    return frozenset(" ".join(found[i : i + size]) for i in range(len(found) - size + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a ∩ b| / |a ∪ b| (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _similar_pairs(
    group: Sequence[_Row], sets: dict[int, frozenset[str]]
) -> Iterable[tuple[int, int]]:
    """Pairs of the group whose shingle sets are similar enough.

    Every pair is scored (len(group) * (len(group) - 1) / 2 set intersections, about 0.4 µs
    each): a predictable cost, and near-identical texts are never missed, which an index
    that skips frequent shingles could do.
    """
    threshold = settings().text_threshold
    members = [(row.id, sets[row.id], len(sets[row.id])) for row in group]
    for index, (a, first, size_a) in enumerate(members):
        for b, second, size_b in members[index + 1 :]:
            # |a ∩ b| / |a ∪ b| cannot reach the threshold when the sizes differ too much.
            if min(size_a, size_b) < threshold * max(size_a, size_b):
                continue
            common = len(first & second)
            if common and common / (size_a + size_b - common) >= threshold:
                yield a, b


def text_clusters(viewer: User, span: Period) -> list[Cluster]:
    """Complaints of the period whose descriptions are alike, among those sharing a product
    or a category (the most recent `max_candidates`, groups cut to `max_group`)."""
    rules = settings()
    found = db.session.execute(
        select(
            Complaint.id,
            Complaint.reference,
            Complaint.received_at,
            dimension_expression("product"),
            func.trim(Complaint.product_service),
            Complaint.category,
            Complaint.description,
        )
        .where(
            between(instant(span.start), instant(span.end + timedelta(days=1))),
            permissions.visible_complaints_filter(viewer),
        )
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
        .limit(rules.text_max_candidates)
    )
    rows = {
        id_: _Row(
            id_,
            reference or "",
            as_utc(at) or at,
            product or "",
            label or "",
            category=category or "",
            description=text or "",
        )
        for id_, reference, at, product, label, category, text in found
    }
    sets = {id_: shingles(row.description, rules.text_shingle) for id_, row in rows.items()}
    groups: dict[tuple[str, str], list[_Row]] = defaultdict(list)
    for row in rows.values():  # newest first: a group keeps its most recent complaints
        if not sets[row.id]:
            continue
        for name in ("product", "category"):
            value = getattr(row, name)
            if value and len(groups[(name, value)]) < rules.text_max_group:
                groups[(name, value)].append(row)
    components = _Components()
    for group in groups.values():
        for a, b in _similar_pairs(group, sets):
            components.union(a, b)
    clusters = []
    for ids in components.groups():
        if len(ids) < rules.look_alike_min_size:
            continue
        members = sorted((rows[i] for i in ids), key=lambda r: (r.received_at, r.id))
        label = _common_words([words(r.description) for r in members])
        clusters.append(
            _look_alike_cluster("similar_text", f"t{members[0].id}", label, members, span)
        )
    return clusters


def _common_words(texts: list[list[str]], count: int = 6) -> str:
    """The words most of the texts share, in the order of the first text."""
    shared = Counter(word for text in texts for word in set(text))
    needed = max(2, -(-len(texts) // 2))
    common = [w for w in dict.fromkeys(texts[0]) if shared[w] >= needed]
    return " ".join(common[:count]) or " ".join(texts[0][:count])


def _look_alike_cluster(
    kind: str, key: str, label: str, members: list[_Row], span: Period
) -> Cluster:
    start = instant(span.start)
    now = [r for r in members if r.received_at >= start]
    counts: dict[int, int] = {}
    for row in now:
        index = min((row.received_at - start).days // 7, len(span.weeks) - 1)
        counts[index] = counts.get(index, 0) + 1
    before = None if kind == "similar_text" else len(members) - len(now)
    return Cluster(
        kind=kind,
        key=key,
        label=label,
        now=len(now),
        before=before,
        now_display=str(len(now)),
        before_display="—" if before is None else str(before),
        trend=week_counts(span, counts),
        complaints=[
            ComplaintRef(r.id, r.reference, r.received_at)
            for r in sorted(members, key=lambda r: (r.received_at, r.id), reverse=True)
        ],
    )


def look_alikes(viewer: User, span: Period) -> list[Cluster]:
    """Contact and similar-text clusters of the period, the largest first (at most
    `max_clusters` of each kind)."""
    most = settings().max_clusters
    found = []
    for clusters in (contact_clusters(viewer, span), text_clusters(viewer, span)):
        clusters.sort(key=lambda c: (-c.now, -len(c.complaints), c.key))
        found.extend(clusters[:most])
    found.sort(key=lambda c: (-c.now, -len(c.complaints), c.kind, c.key))
    return found
