"""The responsibility model: plans, sections, tasks, units, assignments, status history, targets.

Typed declarative SQLAlchemy 2.x models. The schema itself is owned by the Alembic migrations
in `migrations/`; a test checks that the two agree.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean, CheckConstraint, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from ..clock import DEFAULT_TIMEZONE, utc


class UTCDateTime(TypeDecorator):
    """An instant, stored in UTC and read back timezone-aware in UTC on both engines: SQLite
    keeps no zone (it hands back naive values), PostgreSQL answers in the session's zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else utc(value)

    def process_result_value(self, value, dialect):
        return None if value is None else utc(value)


class Base(DeclarativeBase):
    pass


class Jurisdiction(Base):
    __tablename__ = "jurisdiction"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIMEZONE)

    units: Mapped[list[Unit]] = relationship(back_populates="jurisdiction")


class Unit(Base):
    __tablename__ = "unit"
    __table_args__ = (
        UniqueConstraint("jurisdiction_id", "name"),
        CheckConstraint("kind in ('department', 'district', 'zone', 'agency', 'group')", name="unit_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"))
    name: Mapped[str] = mapped_column(String(128))
    full_name: Mapped[str | None] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(16))
    # groups only: a person must choose among the members (各相关…)
    choose: Mapped[bool] = mapped_column(Boolean, default=False)
    # the unit's leadership contact (分管领导), told of reminders escalated past the ladder's limit
    leader: Mapped[str | None] = mapped_column(String(64))
    leader_email: Mapped[str | None] = mapped_column(String(256))

    jurisdiction: Mapped[Jurisdiction] = relationship(back_populates="units")
    aliases: Mapped[list[UnitAlias]] = relationship(back_populates="unit", cascade="all, delete-orphan")
    members: Mapped[list[Unit]] = relationship(
        secondary="group_member",
        primaryjoin="Unit.id == group_member.c.group_id",
        secondaryjoin="Unit.id == group_member.c.member_id",
    )
    liaisons: Mapped[list[Liaison]] = relationship(back_populates="unit")


class UnitAlias(Base):
    """Every other way a unit is written (市发展和改革委员会 = 市发改委), folded to half-width."""

    __tablename__ = "unit_alias"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "alias"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"))
    alias: Mapped[str] = mapped_column(String(256))

    unit: Mapped[Unit] = relationship(back_populates="aliases")


class GroupMember(Base):
    __tablename__ = "group_member"

    group_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True)


class Liaison(Base):
    """A unit's contact person (联络员), who records status updates."""

    __tablename__ = "liaison"
    __table_args__ = (UniqueConstraint("unit_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(128))
    contact: Mapped[str | None] = mapped_column(String(128))
    email: Mapped[str | None] = mapped_column(String(256))

    unit: Mapped[Unit] = relationship(back_populates="liaisons")


class Plan(Base):
    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    title: Mapped[str] = mapped_column(String(512))
    document_number: Mapped[str | None] = mapped_column(String(128))
    issuer: Mapped[str | None] = mapped_column(String(256))
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"))
    coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    written_on: Mapped[date | None] = mapped_column(Date)
    published_on: Mapped[date | None] = mapped_column(Date)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIMEZONE)
    # "closing": a lead's 已完成 waits for the coordinator's 销号 (when the plan has a coordinator);
    # "none": a unit's 已完成 closes the task (the plan file's `approval`)
    approval: Mapped[str] = mapped_column(String(16), default="closing", server_default="closing")
    source_file: Mapped[str | None] = mapped_column(String(512))
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the reminder ladder (tracker/ladder.py) as JSON: the plan file's, else the registry's; None: the default
    reminders: Mapped[str | None] = mapped_column(Text)

    jurisdiction: Mapped[Jurisdiction] = relationship()
    coordinator: Mapped[Unit | None] = relationship()
    sections: Mapped[list[Section]] = relationship(back_populates="plan", order_by="Section.position")
    tasks: Mapped[list[Task]] = relationship(back_populates="plan", order_by="Task.position")
    targets: Mapped[list[Target]] = relationship(back_populates="plan")


class Section(Base):
    """一、 → (一) → 1.: a heading of the plan; `key` like "3.1", parent "3"."""

    __tablename__ = "section"
    __table_args__ = (UniqueConstraint("plan_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("section.id"))
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)

    plan: Mapped[Plan] = relationship(back_populates="sections")


class Task(Base):
    __tablename__ = "task"
    __table_args__ = (
        UniqueConstraint("plan_id", "key"),
        CheckConstraint("deadline_kind in ('date', 'rule', 'ongoing', 'plan_end')", name="task_deadline_kind"),
        Index("ix_task_due_on", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id"))
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(256))
    text: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    # date: due_on; plan_end: due_on is the plan's end; rule: deadline_rule (RRULE), due_on its
    # last occurrence in the plan period; ongoing: no due date.
    deadline_kind: Mapped[str] = mapped_column(String(16))
    due_on: Mapped[date | None] = mapped_column(Date)
    deadline_rule: Mapped[str | None] = mapped_column(String(256))
    deadline_phrase: Mapped[str | None] = mapped_column(String(256))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # when the task's text, units or deadline last changed, and how often the deadline or title
    # did: calendar feeds derive DTSTAMP and SEQUENCE from these
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sequence: Mapped[int] = mapped_column(Integer, default=0)

    plan: Mapped[Plan] = relationship(back_populates="tasks")
    section: Mapped[Section | None] = relationship()
    assignments: Mapped[list[Assignment]] = relationship(back_populates="task")


class Assignment(Base):
    """Task × unit × role. `source`: written in the plan, inherited from a carry-forward clause,
    or expanded from a group (`via_group_id`). The latest status is kept here as well as in the
    history so lists need no per-row history query; `version` guards against lost updates."""

    __tablename__ = "assignment"
    __table_args__ = (
        UniqueConstraint("task_id", "unit_id", "role"),
        CheckConstraint("role in ('lead', 'responsible')", name="assignment_role"),
        CheckConstraint("source in ('written', 'inherited', 'expanded')", name="assignment_source"),
        Index("ix_assignment_unit", "unit_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    role: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    via_group_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # the plan no longer names this unit for this task; its history stays
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="not_started")
    percent: Mapped[int | None] = mapped_column(Integer)
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=0)
    # the chain hash of the latest history row (store/history.py), written with it: a latest row
    # deleted or replaced behind the tracker's back no longer matches
    history_hash: Mapped[str | None] = mapped_column(String(64))
    # the deadline as an approved extension (延期) moved it; the task's own stays as written. Set by
    # the database when a decision approves an extension (migration 0005's trigger), never by hand
    extended_due_on: Mapped[date | None] = mapped_column(Date)
    # the chain hashes of the latest supervision request on it and of the latest decision on its
    # requests (store/history.py, migration 0006): like history_hash, for a latest row deleted
    request_hash: Mapped[str | None] = mapped_column(String(64))
    decision_hash: Mapped[str | None] = mapped_column(String(64))

    task: Mapped[Task] = relationship(back_populates="assignments")
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    via_group: Mapped[Unit | None] = relationship(foreign_keys=[via_group_id])
    updates: Mapped[list[StatusUpdate]] = relationship(back_populates="assignment", order_by="StatusUpdate.id")


class StatusUpdate(Base):
    """Append-only history: who reported what, when. Never updated, never deleted."""

    __tablename__ = "status_update"
    __table_args__ = (
        CheckConstraint("status in ('not_started', 'in_progress', 'done', 'behind', 'ongoing')", name="status_code"),
        CheckConstraint("percent is null or (percent >= 0 and percent <= 100)", name="status_percent"),
        Index("ix_status_update_assignment", "assignment_id", "id"),
        Index("ix_status_update_recorded_at", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id"))
    status: Mapped[str] = mapped_column(String(16))
    percent: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    liaison_id: Mapped[int | None] = mapped_column(ForeignKey("liaison.id"))
    # the unit whose liaison recorded it (the assignment's own unit, or the plan's coordinator)
    recorded_by_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    author: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # an undo is a new entry that restores the state before `undoes_id`
    undoes_id: Mapped[int | None] = mapped_column(ForeignKey("status_update.id"))
    # SHA-256 over this row and the previous row's hash on the same assignment (store/history.py);
    # on PostgreSQL the insert trigger sets it, whatever the client sent
    chain_hash: Mapped[str] = mapped_column(String(64))

    assignment: Mapped[Assignment] = relationship(back_populates="updates")
    liaison: Mapped[Liaison | None] = relationship()


class SupervisionRequest(Base):
    """A unit's request to the plan's coordinating unit (append-only, like status updates): to close
    a task it leads (申请办结), or to move an assignment's deadline (延期申请, `due_on`)."""

    __tablename__ = "supervision_request"
    __table_args__ = (
        CheckConstraint("kind in ('closing', 'extension')", name="request_kind"),
        CheckConstraint("kind = 'closing' or due_on is not null", name="request_extension_date"),
        Index("ix_supervision_request_assignment", "assignment_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id"))
    kind: Mapped[str] = mapped_column(String(16))
    due_on: Mapped[date | None] = mapped_column(Date)  # the deadline asked for (extension)
    previous_due_on: Mapped[date | None] = mapped_column(Date)  # the deadline in force when asked
    note: Mapped[str | None] = mapped_column(Text)  # what was done (closing), why (extension)
    liaison_id: Mapped[int | None] = mapped_column(ForeignKey("liaison.id"))
    recorded_by_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    author: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # SHA-256 over this row (REQUEST_CHAINED) and the previous request's hash on the same
    # assignment (store/history.py); on PostgreSQL the insert trigger sets it
    chain_hash: Mapped[str] = mapped_column(String(64), server_default="")


class SupervisionDecision(Base):
    """The coordinating unit's answer to a request (append-only): approved (销号 / 延期), returned
    (退回, a closing request) or rejected (an extension), with the reason."""

    __tablename__ = "supervision_decision"
    __table_args__ = (
        CheckConstraint("decision in ('approved', 'returned', 'rejected')", name="decision_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("supervision_request.id"), unique=True)
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    liaison_id: Mapped[int | None] = mapped_column(ForeignKey("liaison.id"))
    recorded_by_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    author: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # SHA-256 over this row (DECISION_CHAINED) and the previous decision's hash on the same
    # assignment's requests (store/history.py); on PostgreSQL the insert trigger sets it
    chain_hash: Mapped[str] = mapped_column(String(64), server_default="")


class AccessLogin(Base):
    """A liaison's own login role on the shared PostgreSQL (`tracker access grant`): the database
    knows who is connected from it, and its policies and triggers act on that."""

    __tablename__ = "access_login"

    role_name: Mapped[str] = mapped_column(String(63), primary_key=True)  # PostgreSQL's limit for a name
    liaison_id: Mapped[int] = mapped_column(ForeignKey("liaison.id"), index=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Target(Base):
    """A quantitative target: 省级以上服务业集聚区达到15家以上 → indicator, 以上, 15, 家, 2022."""

    __tablename__ = "target"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    indicator: Mapped[str] = mapped_column(String(256))
    comparator: Mapped[str | None] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float)
    measure: Mapped[str | None] = mapped_column(String(32))
    year: Mapped[int | None] = mapped_column(Integer)
    due_on: Mapped[date | None] = mapped_column(Date)
    position: Mapped[int] = mapped_column(Integer, default=0)

    plan: Mapped[Plan] = relationship(back_populates="targets")


class FeedToken(Base):
    """A calendar subscription token for one unit. Only its SHA-256 is stored."""

    __tablename__ = "feed_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DigestDelivery(Base):
    """A weekly digest sent to a unit, so a second run for the same week sends nothing new."""

    __tablename__ = "digest_delivery"
    __table_args__ = (UniqueConstraint("unit_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    week: Mapped[str] = mapped_column(String(8))  # ISO week, 2026-W48
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recipients: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(256))


class ReminderSent(Base):
    """One rung of the reminder ladder sent for one assignment's deadline (`due_on`: a new
    deadline starts its ladder again), so a second run the same day sends nothing."""

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("assignment_id", "due_on", "rung"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id"))
    due_on: Mapped[date] = mapped_column(Date)
    rung: Mapped[str] = mapped_column(String(16))  # before-7, due, late-14 (tracker/ladder.py)
    sent_on: Mapped[date] = mapped_column(Date)  # the day, in the plan's time zone
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    recipients: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(256))


class ReportingDuty(Base):
    """A plan's standing duty to report (报送, 每月5日前报送上月进展): each date of `rule` closes a
    window (tracker/reporting.py). `everyone`: every unit with unfinished tasks of the plan
    reports; otherwise the units listed in reporting_unit."""

    __tablename__ = "reporting_duty"
    __table_args__ = (UniqueConstraint("plan_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    position: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(256))
    what: Mapped[str | None] = mapped_column(String(256))
    phrase: Mapped[str | None] = mapped_column(String(256))
    everyone: Mapped[bool] = mapped_column(Boolean, default=True)


class ReportingUnit(Base):
    """A unit named by a reporting duty."""

    __tablename__ = "reporting_unit"

    duty_id: Mapped[int] = mapped_column(ForeignKey("reporting_duty.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True)


class LedgerReturn(Base):
    """A unit's ledger of a plan, returned (`tracker ledger import-progress`), changed rows or
    not: a report in the reporting window it falls in."""

    __tablename__ = "ledger_return"
    __table_args__ = (Index("ix_ledger_return_plan", "plan_id", "returned_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    returned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed: Mapped[int] = mapped_column(Integer, default=0)  # rows that recorded an update


class FeedState(Base):
    """Per-feed bookkeeping for the subscription server: Last-Modified never moves backwards,
    deletions included, so the time the feed's bytes last changed is remembered here."""

    __tablename__ = "feed_state"

    feed: Mapped[str] = mapped_column(String(256), primary_key=True)  # "unit:12", "plan:qingdao-..."
    etag: Mapped[str] = mapped_column(String(80))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
