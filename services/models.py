"""Database models: users, process versions, complaints, their workflow state, tasks, audit."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services import sealing
from services.clock import utcnow
from services.db import db


class User(db.Model):
    """A staff member; complainants have no account."""

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A program's account (CI, a CRM): it uses API tokens and never signs in with a password.
    service_account: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Bumped on sign-out and password change: a session cookie carrying an older value
    # is refused, so logging out ends the session on the server too.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Opt-ins: an email when a task is assigned to them, a daily digest of their overdue tasks.
    notify_assignment: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    daily_digest: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Cleared by an administrator to see confidential complaints without being a focal point.
    confidential_clearance: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    last_digest_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    roles: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", back_populates="user"
    )

    @property
    def role_names(self) -> frozenset[str]:
        """The names of the roles this user holds."""
        return frozenset(r.role for r in self.roles)

    def has_role(self, role: str) -> bool:
        """True when the user holds `role`."""
        return role in self.role_names

    # The session protocol Flask-Login expects, without importing it here.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        """Deactivated users cannot sign in."""
        return self.active

    def get_id(self) -> str:
        """The id stored in the session cookie, with the session version it was issued under."""
        return f"{self.id}:{self.session_version or 0}"


class Role(db.Model):
    """A staff role an administrator manages (services.roles); lanes of a diagram name one."""

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(100))
    name_fr: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    # A role that handles cases: it may be a lane, and its holders have an inbox.
    handles_cases: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Its holders see confidential complaints (and, in their roles, their tasks).
    confidential_clearance: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # A role the code names (services.roles.BUILT_IN): never deleted, its key never changed.
    built_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def name_in(self, language: str) -> str:
        """The role's name in `language` (French or English)."""
        return self.name_fr if language == "fr" and self.name_fr else self.name_en


class UserRole(db.Model):
    """One role held by one user."""

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(ForeignKey("role.key"), primary_key=True)
    user: Mapped[User] = relationship(back_populates="roles")
    # Joined into the same SELECT as the user's roles: clearance and the lane flag are read
    # fresh with the signed-in user, never from a cache another process may not have dropped.
    definition: Mapped[Role] = relationship(lazy="joined", innerjoin=True, viewonly=True)


class ProcessVersion(db.Model):
    """One deployed version of a process: its source files and its parsed spec, stored once."""

    __table_args__ = (
        UniqueConstraint("process_id", "version"),
        UniqueConstraint("process_id", "content_hash"),
        # At most one active version per process, whatever races the service loses.
        Index(
            "uq_process_version_one_active",
            "process_id",
            unique=True,
            postgresql_where=text("active"),
            sqlite_where=text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    # Deferred: the diagrams' text and the serialized spec are hundreds of KB of JSON, and
    # most reads of a version (the active one, for a filing or a page) need neither; the
    # spec and lists are cached by hash and read only when a worker has not seen the version.
    files: Mapped[dict[str, str]] = mapped_column(JSON, deferred=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_by: Mapped[User | None] = relationship()


class Complaint(db.Model):
    """A complaint as received, plus the columns the inbox and reports filter on."""

    __table_args__ = (
        Index("ix_complaint_confidential_received", "confidential", "received_at"),
        # The roll-ups recompute a day from the complaints whose events fell on it.
        Index("ix_complaint_closed_at", "closed_at"),
        Index("ix_complaint_acknowledged_at", "acknowledged_at"),
        Index("ix_complaint_responded_at", "responded_at"),
        Index("ix_complaint_surveyed_at", "surveyed_at"),
        Index("ix_complaint_escalated_at", "escalated_at"),
        Index("ix_complaint_reopened_at", "reopened_at"),
        Index("ix_complaint_appeal_requested_at", "appeal_requested_at"),
        # /healthz counts, and /processes/versions lists, the complaints set aside.
        Index(
            "ix_complaint_timers_set_aside_at",
            "timers_set_aside_at",
            postgresql_where=text("timers_set_aside_at IS NOT NULL"),
            sqlite_where=text("timers_set_aside_at IS NOT NULL"),
        ),
        # The complaints whose days the next refresh recomputes (few at any time).
        Index(
            "ix_complaint_report_stale",
            "id",
            postgresql_where=text("report_stale"),
            sqlite_where=text("report_stale"),
        ),
        # Name search (ILIKE '%term%') at a million complaints: a trigram index on PostgreSQL.
        Index(
            "ix_complaint_name_trgm",
            "complainant_name",
            postgresql_using="gin",
            postgresql_ops={"complainant_name": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    tracking_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    channel: Mapped[str] = mapped_column(String(20))
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    department: Mapped[str] = mapped_column(String(100), default="")
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    complainant_name: Mapped[str] = mapped_column(String(200), default="")
    postal_address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    preferred_contact: Mapped[str] = mapped_column(String(20), default="none")
    event_date: Mapped[date | None] = mapped_column(Date)
    product_service: Mapped[str] = mapped_column(String(200), default="")
    purchase_date: Mapped[date | None] = mapped_column(Date)
    purchase_mode: Mapped[str] = mapped_column(String(50), default="")
    payment_mode: Mapped[str] = mapped_column(String(50), default="")
    delivery_date: Mapped[date | None] = mapped_column(Date)
    delivery_mode: Mapped[str] = mapped_column(String(50), default="")
    description: Mapped[str] = mapped_column(Text)
    desired_remedy: Mapped[str] = mapped_column(Text, default="")
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    form_date: Mapped[date] = mapped_column(Date)
    # Projections of workflow data, kept current on every save.
    category: Mapped[str | None] = mapped_column(String(40), index=True)
    severity: Mapped[str | None] = mapped_column(String(20))
    route: Mapped[str | None] = mapped_column(String(20))
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    financial_impact: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    status: Mapped[str] = mapped_column(String(30), default="received", index=True)
    outcome: Mapped[str | None] = mapped_column(String(60))
    satisfaction_score: Mapped[int | None] = mapped_column(Integer)
    satisfaction_comment: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The complaint this one repeats (closed as a duplicate); both pages show the link.
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("complaint.id", ondelete="SET NULL"), index=True
    )
    # The last engine error met in the background (a timer that raised), shown to managers;
    # the timer loop skips the complaint after repeated failures until someone looks at it.
    engine_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    engine_error_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    engine_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When the timer rounds set the complaint aside because evaluating its timers ended the
    # timer process (the diagram code's CPU or memory backstop) time after time
    # (services.timer_attempts); it then counts as given up on, as after engine_failures.
    timers_set_aside_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Flagged by the complainant or the intake agent as concerning violence, abuse or
    # harassment: confidential from receipt, before anyone classifies it.
    sensitive_at_intake: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # The safe way to reach the complainant (recorded with their consent): every message
    # uses it; other contact details are used only when shared_contact_safe is True.
    safe_contact_method: Mapped[str | None] = mapped_column(String(20))
    safe_contact: Mapped[str] = mapped_column(String(300), default="", server_default="")
    safe_times: Mapped[str] = mapped_column(String(200), default="", server_default="")
    shared_contact_safe: Mapped[bool | None] = mapped_column(Boolean)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    appeal_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The complainant's language (the filing page's, or set by staff at intake): every
    # message and letter is written in it.
    language: Mapped[str] = mapped_column(String(10), default="en", server_default="en")

    # What reports count, projected from the case data and the clocks on every save
    # (services.reporting). Times are working seconds on the business calendar.
    root_cause_category: Mapped[str | None] = mapped_column(String(40))
    escalation_target: Mapped[str | None] = mapped_column(String(40))
    escalation_decision: Mapped[str | None] = mapped_column(String(20))
    compensation_paid: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    surveyed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ack_working_seconds: Mapped[int | None] = mapped_column(Integer)
    resolve_working_seconds: Mapped[int | None] = mapped_column(Integer)
    close_working_seconds: Mapped[int | None] = mapped_column(Integer)
    breaches: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    appeals: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Who handled it (the assignee of its resolution), for the reports' assignee filter.
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reopened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set by a save that changed a reported figure: reporting.refresh() recomputes the days
    # of its events and clears it (one more column in an UPDATE the save makes anyway).
    report_stale: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    received_by: Mapped[User | None] = relationship(foreign_keys=[received_by_id])
    duplicate_of: Mapped[Complaint | None] = relationship(
        remote_side="Complaint.id", foreign_keys=[duplicate_of_id]
    )
    instance: Mapped[ProcessInstance] = relationship(back_populates="complaint", uselist=False)
    # Read by every save (services.workflows): loaded in the same joined SELECT as the task
    # being completed, so a completion makes no separate round trip for them. Viewonly; the
    # save keeps them in step with the rows it adds (set_committed_value).
    clock_rows: Mapped[list[ServiceClock]] = relationship(viewonly=True)
    open_task_rows: Mapped[list[Task]] = relationship(
        viewonly=True, primaryjoin="and_(Task.complaint_id == Complaint.id, Task.status == 'open')"
    )


def new_version_token() -> str:
    """A workflow row's next version token: random, so a rolled-back save never repeats one."""
    return uuid.uuid4().hex


class ProcessInstance(db.Model):
    """The running workflow of one complaint: its state without the spec (the version holds it)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), unique=True
    )
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    state: Mapped[str] = mapped_column(Text)  # Spiff's JSON, without the spec
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    next_timer_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # A fresh random token per save: the optimistic lock, and the key of the in-memory
    # workflow cache (a counter could repeat after a rolled-back save).
    version_token: Mapped[str] = mapped_column(String(32), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    complaint: Mapped[Complaint] = relationship(back_populates="instance")
    process_version: Mapped[ProcessVersion] = relationship()

    # Optimistic locking: a save from a stale copy raises StaleDataError.
    __mapper_args__ = {
        "version_id_col": version_token,
        "version_id_generator": lambda _current: new_version_token(),
    }


# What the breach view's counts read besides at_risk_at (see Task's indexes).
BREACH_COUNT_COLUMNS = (
    "id",
    "due_at",
    "confidential",
    "clock",
    "name",
    "role",
    "department",
    "assignee_id",
    "title",
)


# What the inbox's filters, scopes, search and four-eyes rule read besides the due order
# (see Task's indexes).
INBOX_COLUMNS = (
    "confidential",
    "assignee_id",
    "team_id",
    "not_by",
    "complaint_id",
    "category",
    "severity",
    "channel",
    "case_status",
    "department",
    "reference",
    "complainant_name",
    "at_risk_at",
)


class Task(db.Model):
    """A user task: open while the engine waits for it, kept afterwards as history."""

    # The inbox reads only open tasks: partial indexes keep them small at any history size,
    # and the first one returns a role's tasks already in due order. On PostgreSQL it also
    # carries what the inbox filters on, so its counts and its page's ids are index-only
    # scans: a role's open tasks lie on as many table pages as there are tasks.
    __table_args__ = (
        Index(
            "ix_task_open_due",
            "role",
            "due_at",
            "created_at",
            "id",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
            postgresql_include=[*INBOX_COLUMNS],
        ),
        # Its twin for the creation orders ("newest" reads it backwards).
        Index(
            "ix_task_open_created",
            "role",
            "created_at",
            "id",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
            postgresql_include=[*INBOX_COLUMNS],
        ),
        # A reference typed in the inbox's search box.
        Index(
            "ix_task_open_reference",
            "reference",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        # The few open tasks with a four-eyes rule (permissions.four_eyes_filter).
        Index(
            "ix_task_open_not_by",
            "role",
            postgresql_where=text("status = 'open' AND not_by <> ''"),
            sqlite_where=text("status = 'open' AND not_by <> ''"),
            postgresql_include=["id", "complaint_id", "not_by"],
        ),
        # The inbox's name search (ILIKE '%term%') among open tasks: trigrams on PostgreSQL.
        Index(
            "ix_task_open_name_trgm",
            "complainant_name",
            postgresql_using="gin",
            postgresql_ops={"complainant_name": "gin_trgm_ops"},
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        Index(
            "ix_task_open_assignee",
            "assignee_id",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        # The breach view: open tasks whose clock is at risk or breached. On PostgreSQL the
        # counts by step, team and assignee read this index alone, and the page in due order
        # reads the next one alone (index-only scans at 1M complaints).
        Index(
            "ix_task_open_at_risk",
            "at_risk_at",
            postgresql_where=text("status = 'open' AND at_risk_at IS NOT NULL"),
            sqlite_where=text("status = 'open' AND at_risk_at IS NOT NULL"),
            postgresql_include=[*BREACH_COUNT_COLUMNS],
        ),
        Index(
            "ix_task_open_at_risk_due",
            "due_at",
            "id",
            postgresql_where=text("status = 'open' AND at_risk_at IS NOT NULL"),
            sqlite_where=text("status = 'open' AND at_risk_at IS NOT NULL"),
            postgresql_include=["at_risk_at", "confidential"],
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the engine's task id
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    form_key: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(50))
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open/completed/cancelled
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Copies of the complaint's columns the inbox filters and searches on, kept current on
    # open rows by every save, so the inbox never joins or scans complaints.
    reference: Mapped[str] = mapped_column(String(20), default="")
    complainant_name: Mapped[str] = mapped_column(String(200), default="")
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    category: Mapped[str | None] = mapped_column(String(40))
    severity: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20), default="")
    case_status: Mapped[str] = mapped_column(String(30), default="")
    department: Mapped[str] = mapped_column(String(100), default="")
    # Space-separated BPMN task ids (the notBy property): whoever completed one of them in
    # this complaint is not offered this task (four eyes).
    not_by: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # Someone kept a draft of this task (services.drafts): completing it drops the drafts,
    # a DELETE made only when there is something to delete.
    has_drafts: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # The service-level clock that sets this task's due time (its own step's, or the branch's
    # around it), and when that clock turns "at risk": copied here so the inbox and the
    # breach view read open task rows only.
    clock: Mapped[str | None] = mapped_column(String(40))
    at_risk_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The team the diagram routes the task to (property team="department"), for "my team".
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("team.id", ondelete="SET NULL"), index=True
    )
    complaint: Mapped[Complaint] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])


class AuditEvent(db.Model):
    """One recorded step: who did what to which complaint, with which data."""

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int | None] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    actor_label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    task_name: Mapped[str | None] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(String(300), default="")
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    actor: Mapped[User | None] = relationship()


class Notification(db.Model):
    """A message produced by the procedure: an outbox row the delivery worker sends.

    The request or timer that throws the message only writes this row, in its own
    transaction; services/delivery.py sends it later. Status: queued -> sending -> sent,
    or back to queued (retry, next_attempt_at) and finally failed; letters go to_post ->
    posted; none = nothing to deliver (tracking page, in person); cancelled = replaced or
    dropped by staff. A row left 'sending' past its lease is never re-sent blindly.

    Most rows are written by the worker as it claims them (services/composer.py): until then
    subject and body are empty and pending_values holds the snapshot of the template's
    variables.
    """

    __table_args__ = (
        # The worker's claim: due queued rows, and expired 'sending' leases.
        Index("ix_notification_status_next_attempt", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for staff messages that belong to no complaint (the daily digest).
    complaint_id: Mapped[int | None] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), index=True
    )
    # The staff member a staff message goes to (task assigned, digest); None: the complainant.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(300), default="")
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text, default="", server_default="")
    # A pending row's template variables and link lifetime; cleared once the message is written.
    pending_values: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(10), default="en", server_default="en")
    # The PDF sent with the message (email attachment, printed letter).
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("document.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="queued", server_default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The lease: a worker owns a 'sending' row until claimed_at + the lease length.
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str] = mapped_column(String(100), default="", server_default="")
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Our Message-ID for email, the gateway's id for SMS: proof the provider has it.
    provider_message_id: Mapped[str | None] = mapped_column(String(300), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # A failed message sent again another way points at the one it replaces.
    replaces_id: Mapped[int | None] = mapped_column(
        ForeignKey("notification.id", ondelete="SET NULL")
    )
    posted_by: Mapped[User | None] = relationship(foreign_keys=[posted_by_id])
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    document: Mapped[Document | None] = relationship()


class Document(db.Model):
    """A document we produced for a complaint (the signed response letter as PDF)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))  # response_letter, review_outcome_letter
    filename: Mapped[str] = mapped_column(String(255))  # the download name
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)  # random, on disk
    content_type: Mapped[str] = mapped_column(String(100), default="application/pdf")
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Downloadable from the tracking page with the complainant's token.
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_by: Mapped[User | None] = relationship()


class MessageTemplate(db.Model):
    """One version of the template of a message kind in one language, edited by administrators."""

    __table_args__ = (UniqueConstraint("kind", "language", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # None: seeded
    created_by: Mapped[User | None] = relationship()
    # The SHA-256 (message_templates.source_hash) of the shipped file's wording this version
    # copies or was edited beside: a version whose text hashes to it was never edited and
    # follows the shipped file; an edited one beside an older wording is told it changed.
    shipped_sha256: Mapped[str | None] = mapped_column(String(64))


class TrackingToken(db.Model):
    """A tracking link issued to the complainant (at filing, in a message, on request): its hash."""

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(32))  # filing, message, resend
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class InboundMail(db.Model):
    """An email received at the complaints address: a new complaint or a reply to a case."""

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    sender: Mapped[str] = mapped_column(String(254))
    recipient: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    message_id: Mapped[str] = mapped_column(String(300), default="", index=True)
    status: Mapped[str] = mapped_column(
        String(20), default="new", index=True
    )  # new/attached/intake/refused
    complaint_id: Mapped[int | None] = mapped_column(
        ForeignKey("complaint.id", ondelete="SET NULL"), index=True
    )
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)  # the .eml on disk
    size: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(String(300), default="")
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    complaint: Mapped[Complaint | None] = relationship()
    handled_by: Mapped[User | None] = relationship()


class Attachment(db.Model):
    """A file attached to a complaint (photo, PDF), stored outside the web root."""

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))  # as the uploader named it
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)  # random, on disk
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # None: complainant
    # The task a member of staff added it on (investigation documents, signed letters).
    task_id: Mapped[str | None] = mapped_column(
        ForeignKey("task.id", ondelete="SET NULL"), index=True
    )
    uploaded_by: Mapped[User | None] = relationship()
    task: Mapped[Task | None] = relationship()


class SavedFilter(db.Model):
    """A named inbox filter a user keeps."""

    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Heartbeat(db.Model):
    """When a background process last reported alive (the timer loop), for /healthz."""

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ServiceProvider(db.Model):
    """A support service complainants can be referred to (medical, psychosocial, legal…)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # medical, psychosocial, legal, shelter, police, other
    kind: Mapped[str] = mapped_column(String(20))
    contact: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Referral(db.Model):
    """A complainant referred, with consent, to a support service."""

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), index=True
    )
    provider_id: Mapped[int] = mapped_column(ForeignKey("service_provider.id"), index=True)
    referred_at: Mapped[date] = mapped_column(Date)
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    provider: Mapped[ServiceProvider] = relationship()
    created_by: Mapped[User | None] = relationship()


class BusinessCalendar(db.Model):
    """The organisation's working time (one row, id 1): what "2 working days" means.

    Stored times are UTC everywhere else; this row says how to read them: the time zone dates
    are shown in, the working weekdays and hours, the public holidays of a country (from the
    `holidays` package) and the service-level preset the deployment follows.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    # ISO weekday numbers, Monday = 1: "1 2 3 4 5".
    working_days: Mapped[str] = mapped_column(String(20), default="1 2 3 4 5")
    work_starts: Mapped[time] = mapped_column(Time, default=time(9, 0))
    work_ends: Mapped[time] = mapped_column(Time, default=time(17, 30))
    # ISO 3166 country ("FR", "GB", "AU") and subdivision ("ENG", "NSW") of the public
    # holidays; empty: none but the organisation's own closure days.
    holiday_country: Mapped[str] = mapped_column(String(8), default="FR")
    holiday_subdivision: Mapped[str] = mapped_column(String(16), default="")
    # A clock is "at risk" once this share of its time is used.
    at_risk_share: Mapped[Decimal] = mapped_column(Numeric(3, 2), default=Decimal("0.75"))
    # The service-level preset (processes/presets/<name>.toml) new clocks take targets from.
    preset: Mapped[str] = mapped_column(String(40), default="grievance")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class ClosureDay(db.Model):
    """A day the organisation is closed beyond the public holidays (not a working day)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ServiceClock(db.Model):
    """One service level of one complaint: a step's (or the whole case's) target and time.

    state: running, paused (waiting for the complainant), met (its step ended), stopped (the
    case ended another way: withdrawn, closed incomplete). breached_at is set when the due
    time passed while it ran, or when it was met late; "at risk" is running past at_risk_at.
    """

    __table_args__ = (
        UniqueConstraint("complaint_id", "name"),
        # The timer loop's scan: running clocks reaching at risk or due.
        Index(
            "ix_service_clock_running_due",
            "due_at",
            postgresql_where=text("state = 'running'"),
            sqlite_where=text("state = 'running'"),
        ),
        Index(
            "ix_service_clock_running_at_risk",
            "at_risk_at",
            postgresql_where=text("state = 'running' AND at_risk_notified_at IS NULL"),
            sqlite_where=text("state = 'running' AND at_risk_notified_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), index=True
    )
    # acknowledge, classify, resolve_minor, investigate, resolve_major, sign_off,
    # confidential, complaint (the diagram's `clock` properties name them).
    name: Mapped[str] = mapped_column(String(40))
    # The target as the preset or diagram wrote it: working_days(10), weeks(8), hours(24)...
    target: Mapped[str] = mapped_column(String(100))
    preset: Mapped[str] = mapped_column(String(40), default="")
    state: Mapped[str] = mapped_column(String(12), default="running")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    at_risk_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    paused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    breached_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    at_risk_notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    complaint: Mapped[Complaint] = relationship()
    pauses: Mapped[list[ServiceClockPause]] = relationship(
        back_populates="clock", order_by="ServiceClockPause.started_at", cascade="all"
    )


class ServiceClockPause(db.Model):
    """A period a clock stood still while the procedure waited for the complainant."""

    id: Mapped[int] = mapped_column(primary_key=True)
    clock_id: Mapped[int] = mapped_column(
        ForeignKey("service_clock.id", ondelete="CASCADE"), index=True
    )
    # The message waited for: information_received, survey_answered...
    reason: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    clock: Mapped[ServiceClock] = relationship(back_populates="pauses")


# --- administration (issue 12): departments, teams, organisation settings, user tokens -------


class Department(db.Model):
    """A department of the organisation (managed list): complaints name one by its name (the
    English one); French readers read name_fr."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    name_fr: Mapped[str] = mapped_column(String(100), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def name_in(self, language: str | None) -> str:
        """The department's name in `language` (French or English)."""
        return self.name_fr if language == "fr" and self.name_fr else self.name


class Team(db.Model):
    """A team of staff, usually of one department: tasks routed to it show in "my team"."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    department: Mapped[Department | None] = relationship()
    members: Mapped[list[User]] = relationship(
        secondary="team_member", order_by="User.name", lazy="selectin"
    )


class TeamMember(db.Model):
    """One user in one team."""

    team_id: Mapped[int] = mapped_column(
        ForeignKey("team.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class UserToken(db.Model):
    """A one-time link sent to a user (invitation, password reset): only its hash is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # invite, reset
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class OrganisationSettings(db.Model):
    """The organisation as letters and pages name it (one row, id 1); empty: the config's."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    postal_address: Mapped[str] = mapped_column(Text, default="", server_default="")
    phone: Mapped[str] = mapped_column(String(50), default="", server_default="")
    complaints_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    signature: Mapped[str] = mapped_column(Text, default="", server_default="")
    # What French letters print instead (empty: the name and signature above).
    name_fr: Mapped[str] = mapped_column(String(200), default="", server_default="")
    signature_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The logo (PNG or JPEG, checked like uploads), kept in the row: small, and backed up with it.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    logo_type: Mapped[str] = mapped_column(String(50), default="", server_default="")
    # The external body the recourse names (ombudsman, mediator); empty: OMBUDSMAN_* config.
    ombudsman_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    ombudsman_address: Mapped[str] = mapped_column(Text, default="", server_default="")
    ombudsman_phone: Mapped[str] = mapped_column(String(50), default="", server_default="")
    ombudsman_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    ombudsman_website: Mapped[str] = mapped_column(String(300), default="", server_default="")
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


# --- staff workspace (issue 12): internal notes, mentions, drafts ----------------------------


class CaseNote(db.Model):
    """An internal note on a complaint, by staff for staff: never shown to the complainant."""

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    author: Mapped[User | None] = relationship()
    complaint: Mapped[Complaint] = relationship()
    mentions: Mapped[list[NoteMention]] = relationship(
        back_populates="note", cascade="all, delete-orphan", lazy="selectin"
    )


class NoteMention(db.Model):
    """A colleague named with @username in a note: their list of mentions, read or not."""

    __table_args__ = (UniqueConstraint("note_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("case_note.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[CaseNote] = relationship(back_populates="mentions")
    user: Mapped[User] = relationship()


class TaskDraft(db.Model):
    """A task form saved unfinished by one user: their values, restored when they reopen it."""

    __table_args__ = (UniqueConstraint("user_id", "task_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    task_id: Mapped[str] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    # The posted form as {name: [values]}, so a multiple choice comes back as posted.
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class ComplaintCode(db.Model):
    """A multi-valued fact reports count, written when the complaint closes: a resolution
    code, a remedy, a service-level clock met or breached (code = the clock's name)."""

    # Drill-downs list the complaints holding one code.
    __table_args__ = (Index("ix_complaint_code_kind_code", "kind", "code"),)

    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), primary_key=True
    )
    # resolution_code, remedy, clock_met, clock_breached
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    code: Mapped[str] = mapped_column(String(60), primary_key=True)


class ReportDay(db.Model):
    """A day's figures for one slice: everything ("all", "") or one value of one dimension,
    or of a pair of dimensions (services.reporting.PAIRED).

    One row per (day, dimension, value, confidential): the dashboard reads the slice its
    filters name (a year is 365 x 2 rows), so it stays fast at a million complaints; other
    filters on several dimensions at once count the report facts instead. Each figure is counted
    on the day its event happened (received, closed, acknowledged...).
    """

    # A day's rows, deleted when the refresh computes it again (all of its slices).
    __table_args__ = (Index("ix_report_day_day", "day"),)

    dimension: Mapped[str] = mapped_column(String(20), primary_key=True)
    # A pair's two values (up to 100 characters each) and their separator.
    value: Mapped[str] = mapped_column(String(201), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    confidential: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    received: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    acknowledged: Mapped[int] = mapped_column(Integer, default=0)
    responded: Mapped[int] = mapped_column(Integer, default=0)
    escalated: Mapped[int] = mapped_column(Integer, default=0)
    breached: Mapped[int] = mapped_column(Integer, default=0)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    appealed: Mapped[int] = mapped_column(Integer, default=0)
    surveys_sent: Mapped[int] = mapped_column(Integer, default=0)
    surveys_answered: Mapped[int] = mapped_column(Integer, default=0)
    score_sum: Mapped[int] = mapped_column(Integer, default=0)
    compensation: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))


class ReportCodeDay(db.Model):
    """A day's count of one code in one slice (see ReportDay): outcomes, root causes,
    resolution codes, remedies, escalation targets, channels, categories and departments of
    the complaints received, clocks met or breached per step, the satisfaction scores and the
    histogram buckets of working times."""

    # A year of one slice read from the primary key's index alone (the table's rows are
    # scattered): it leads with (dimension, value, day) and carries the count. One index, not
    # a second covering one: with the pairs' slices each is about 2 GB at a million complaints.
    __table_args__ = (
        # A day's rows, deleted when the refresh computes it again (all of its slices).
        Index("ix_report_code_day_day", "day"),
        PrimaryKeyConstraint(
            "dimension",
            "value",
            "day",
            "confidential",
            "kind",
            "code",
            name="pk_report_code_day",
            postgresql_include=["count"],
        ),
    )

    dimension: Mapped[str] = mapped_column(String(20), primary_key=True)
    # A pair's two values (up to 100 characters each) and their separator.
    value: Mapped[str] = mapped_column(String(201), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    confidential: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    # A code, or a department's name (kind "department": up to 100 characters).
    code: Mapped[str] = mapped_column(String(100), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class ReportStaleDay(db.Model):
    """A day whose roll-ups must be computed again (a save changed a figure counted on it)."""

    day: Mapped[date] = mapped_column(Date, primary_key=True)


class SystemicIssue(db.Model):
    """A recurring problem a manager marked systemic (ASIC RG 271), tracked until closed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # The cluster it came from: product, department, root_cause, contact, similar_text.
    cluster_kind: Mapped[str] = mapped_column(String(30), default="")
    cluster_key: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, monitoring, closed
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opened_by: Mapped[User | None] = relationship()
    complaints: Mapped[list[Complaint]] = relationship(secondary="systemic_issue_complaint")


class SystemicIssueComplaint(db.Model):
    issue_id: Mapped[int] = mapped_column(
        ForeignKey("systemic_issue.id", ondelete="CASCADE"), primary_key=True
    )
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ImprovementAction(db.Model):
    """A change opened from a complaint or a cluster (ISO 10002 continual improvement)."""

    __table_args__ = (Index("ix_improvement_action_status_due", "status", "due_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, in_progress, done...
    outcome: Mapped[str] = mapped_column(Text, default="")
    systemic_issue_id: Mapped[int | None] = mapped_column(
        ForeignKey("systemic_issue.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    systemic_issue: Mapped[SystemicIssue | None] = relationship()
    complaints: Mapped[list[Complaint]] = relationship(secondary="improvement_action_complaint")


class ImprovementActionComplaint(db.Model):
    action_id: Mapped[int] = mapped_column(
        ForeignKey("improvement_action.id", ondelete="CASCADE"), primary_key=True
    )
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ManagementReview(db.Model):
    """A management review of a period: the manager's narrative (the figures are computed)."""

    __table_args__ = (UniqueConstraint("period_start", "period_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # inclusive
    narrative: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_by: Mapped[User | None] = relationship()


class IdempotencyRecord(db.Model):
    """A POST sent with an Idempotency-Key: in flight until `status` is set, then the answer
    replayed to the same caller's retries until `expires_at` (services/idempotency.py)."""

    __table_args__ = (UniqueConstraint("principal", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Who sent it: "user:<id>" for a bearer token's owner, "address:<ip>" for anonymous calls.
    principal: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    # SHA-256 of method, path and body: the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    # Set by the request's own commit: its work is saved, so a retry must not do it again
    # even if the answer was lost before it could be stored.
    work_committed: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[int | None] = mapped_column(Integer)
    headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # While in flight: a crashed request's key is free again after this short lease.
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class ApiToken(db.Model):
    """A named API token of a user, with scopes and an optional expiry; only its hash is kept."""

    # AUTOINCREMENT on SQLite: a revoked token's id is never given to another one (a retried
    # DELETE /tokens/{id} would revoke it).
    __table_args__ = (UniqueConstraint("user_id", "name"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    # The secret's first characters, shown so its owner can tell which token a program holds.
    prefix: Mapped[str] = mapped_column(String(16), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(100))  # space-separated, as in OAuth
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # The token that minted this one through the API: revoking it revokes this one too.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_token.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Written at most once a minute per token, so that reading through the API stays cheap.
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def scope_names(self) -> tuple[str, ...]:
        """The scopes as written, in order."""
        return tuple(self.scopes.split())


class WebhookSubscription(db.Model):
    """An integrator's endpoint: the events it wants, POSTed there signed with its secret."""

    # A removed subscription's id is never given to another one, on SQLite too.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(300))
    # Space-separated event types (complaint.filed task.completed ...).
    events: Mapped[str] = mapped_column(String(500))
    # The signing secret, sealed (services.sealing): read and set it through `secret`.
    sealed_secret: Mapped[str] = mapped_column("secret", String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    created_by: Mapped[User | None] = relationship()

    @property
    def secret(self) -> str:
        """The signing secret in clear (unsealed on each read)."""
        return sealing.unseal(self.sealed_secret)

    @secret.setter
    def secret(self, value: str) -> None:
        self.sealed_secret = sealing.seal(value)


class WebhookDelivery(db.Model):
    """One event sent to one subscription: the outbox row (channel webhook) that carries it.

    The delivery log: the row's status, attempts, last error and response code.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscription.id", ondelete="CASCADE"), index=True
    )
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notification.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    subscription: Mapped[WebhookSubscription] = relationship()
    notification: Mapped[Notification] = relationship()


class ReportFact(db.Model):
    """One narrow row per complaint: its report columns and nothing else (services.reporting),
    as they were last counted: the daily roll-ups hold the figures of these rows.

    The dashboard counts a view filtered on several dimensions at once from these rows: the
    complaint rows are wide (texts, contact details), a year's worth of them spread over the
    whole table. Written in order of receipt, the rows of a period sit together; `until_at`,
    the complaint's latest event (NULL while it is open), finds the ones a period counts.
    Kept current by the same refresh as the daily roll-ups.
    """

    # One index per dimension: PostgreSQL ANDs the filters' bitmaps with the period's before it
    # reads a row.
    __table_args__ = (
        Index("ix_report_fact_received", "received_at"),
        Index("ix_report_fact_until", "until_at"),
        *(
            Index(f"ix_report_fact_{name}", name)
            for name in ("category", "channel", "department", "severity", "route", "handler_id")
        ),
    )

    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    category: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str | None] = mapped_column(String(20))
    department: Mapped[str | None] = mapped_column(String(100))
    severity: Mapped[str | None] = mapped_column(String(20))
    route: Mapped[str | None] = mapped_column(String(20))
    handler_id: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reopened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    appeal_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    surveyed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    until_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    satisfaction_score: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(60))
    root_cause_category: Mapped[str | None] = mapped_column(String(40))
    escalation_target: Mapped[str | None] = mapped_column(String(40))
    compensation_paid: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    breaches: Mapped[int] = mapped_column(Integer, default=0)
    ack_working_seconds: Mapped[int | None] = mapped_column(Integer)
    resolve_working_seconds: Mapped[int | None] = mapped_column(Integer)
    close_working_seconds: Mapped[int | None] = mapped_column(Integer)
    escalation_decision: Mapped[str | None] = mapped_column(String(20))
    # Its ComplaintCode rows counted at closure, "kind:code" separated by spaces: the few
    # distinct combinations are grouped on, instead of joining a row per code.
    codes: Mapped[str] = mapped_column(Text, default="")


class RecurringSnapshot(db.Model):
    """The recurring problems of the default period, computed by the timer process
    (services.recurring.precompute) for readers without and with clearance, so that
    /improvement does not read two periods of complaints when it is opened."""

    clearance: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    # The newest complaint when computed: a complaint filed since makes the snapshot old.
    newest_id: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    payload: Mapped[str] = mapped_column(Text)  # JSON (services.recurring)


class ExportJob(db.Model):
    """A spreadsheet export built in the background (services.export_jobs): too many rows to
    write while the browser waits. Its file lives under DOCUMENT_DIR/exports until expires_at."""

    __table_args__ = (
        Index("ix_export_job_status", "status", "id"),
        Index("ix_export_job_requester", "requester_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    what: Mapped[str] = mapped_column(String(40), default="complaints")
    file_format: Mapped[str] = mapped_column(String(10))
    # The list's filters as the request gave them (services.complaints.ComplaintFilter fields).
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The requester's language when asking: titles and labels are written in it.
    locale: Mapped[str] = mapped_column(String(10), default="en")
    # queued → running → ready | failed; ready → expired once the file is removed.
    status: Mapped[str] = mapped_column(String(20), default="queued")
    rows: Mapped[int | None] = mapped_column(Integer)  # counted when asked, then as written
    progress: Mapped[int] = mapped_column(Integer, default=0)  # rows written so far
    file_name: Mapped[str | None] = mapped_column(String(100))  # within DOCUMENT_DIR/exports
    file_size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    requester: Mapped[User] = relationship()
