"""The queries weekly digests need, in bulk: a constant number of statements per digest,
whatever the number of tasks (a test counts them on two dataset sizes).

A unit's digest takes three statements (its assignments, everyone's assignments on those tasks,
the week's status updates that concern it); a plan's report takes three (the plan, its
assignments, when each done assignment became done). Recipients and delivery records are one
statement each for any number of units. The rules that turn these rows into sections live in
tracker/digest/build.py; nothing here decides what "overdue" or "behind" means.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone

from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from ..deadlines import FINISHED
from ..errors import NotFound, UnknownJurisdiction, UnknownPlan
from ..ladder import Ladder
from ..store.models import (
    Assignment, DigestDelivery, Jurisdiction, Liaison, Plan, StatusUpdate, Task, Unit,
)
from . import records  # the records handed out (records.StatusUpdate; StatusUpdate here is the table row)

# ---------------------------------------------------------------------- whose digest


@dataclass(frozen=True)
class DigestUnit:
    id: int
    name: str
    full_name: str | None
    jurisdiction: str
    timezone: str


def _digest_unit_query():
    return (select(Unit.id, Unit.name, Unit.full_name, Jurisdiction.name, Jurisdiction.timezone)
            .join(Jurisdiction, Jurisdiction.id == Unit.jurisdiction_id))


def digest_unit(session: Session, unit) -> DigestUnit:
    """The digest's view of a unit (a UnitRef, or anything with its id)."""
    return DigestUnit(*session.execute(_digest_unit_query().where(Unit.id == unit.id)).one())


def units_with_assignments(session: Session, jurisdiction: str | None = None) -> list[DigestUnit]:
    """Every unit with at least one live assignment on a live task: the units `--all` covers.
    A placeholder that waits for a person to choose its units (各相关部门) is nobody to write to."""
    assigned = (select(Assignment.id).join(Task, Task.id == Assignment.task_id)
                .where(Assignment.unit_id == Unit.id, Assignment.archived.is_(False), Task.archived.is_(False)))
    query = (_digest_unit_query().where(exists(assigned), Unit.choose.is_(False))
             .order_by(Jurisdiction.id, Unit.id))
    if jurisdiction:
        known = session.scalars(select(Jurisdiction.name).order_by(Jurisdiction.id)).all()
        if jurisdiction not in known:
            raise UnknownJurisdiction(jurisdiction, known)
        query = query.where(Jurisdiction.name == jurisdiction)
    return [DigestUnit(*row) for row in session.execute(query)]


# ---------------------------------------------------------------------- a unit's rows


@dataclass(frozen=True)
class OwnAssignment:
    """One of the unit's own assignments, with its task and plan.

    More than a UnitStatus: the digest's rules (overdue, due soon, 序时进度, recurring) read the
    task's deadline and the plan's start beside the status, so the one statement that reads them
    gives them in one flat row; the same goes for PlanAssignment below and the reminders'
    OpenAssignment."""

    assignment_id: int
    task_id: int
    plan_key: str
    plan_title: str
    plan_start: date | None  # period start, else publication or writing date: 序时进度 counts from it
    key: str
    title: str
    deadline_kind: str
    final_due_on: date | None
    deadline_rule: str | None
    deadline_phrase: str | None
    role: str
    status: str
    percent: int | None
    status_at: datetime | None
    extended_from: date | None = None  # the plan's own deadline, when an approved extension moved final_due_on
    reminders: str | None = None  # the plan's reminder ladder (tracker/ladder.py) as stored


@dataclass(frozen=True)
class UnitDigestRows:
    own: list[OwnAssignment]
    # the leads of the unit's tasks, and partners that have gone quiet on the tasks it leads
    on_my_tasks: list[records.UnitStatus]
    updates: list[records.StatusUpdate]  # those recorded in the digest's week


# an assignment's deadline: an approved extension's (延期), else the task's own; and the task's own
# when an extension moved it
_DUE_ON = func.coalesce(Assignment.extended_due_on, Task.due_on)
_EXTENDED_FROM = case((Assignment.extended_due_on.is_not(None), Task.due_on), else_=None)


def _live(query):
    return query.where(Assignment.archived.is_(False), Task.archived.is_(False))


def _state(state_at: datetime | None):
    """An assignment's status, percent and last update time: as they stand now (None), or as its
    history had them at `state_at`, for a week that is over. Returns the three columns and what
    the query must join for them (one correlated lookup of the last entry before `state_at`)."""
    if state_at is None:
        return (Assignment.status, Assignment.percent, Assignment.status_at), lambda query: query
    then = aliased(StatusUpdate)
    last = (select(func.max(StatusUpdate.id))
            .where(StatusUpdate.assignment_id == Assignment.id, StatusUpdate.recorded_at < state_at)
            .scalar_subquery())
    columns = (func.coalesce(then.status, "not_started"), then.percent, then.recorded_at)
    return columns, lambda query: query.outerjoin(then, then.id == last)


def unit_digest_rows(session: Session, unit_id: int, since: datetime, until: datetime,
                     silent_before: datetime, state_at: datetime | None = None) -> UnitDigestRows:
    """Everything one unit's digest shows, in three statements: the unit's own assignments; the
    leads of its tasks and, on the tasks it leads, the other units' unfinished assignments with
    no update since `silent_before`; and the updates recorded in [since, until) on its own
    assignments or on the tasks it leads (bounds are aware datetimes). Statuses are as they stand
    now, or with `state_at` as they stood then (a digest of a week that is over)."""
    # SQLite keeps instants as UTC wall-clock text, so bounds are compared in UTC on both engines
    since, until, silent_before = (t.astimezone(timezone.utc) for t in (since, until, silent_before))
    state_at = state_at.astimezone(timezone.utc) if state_at is not None else None
    (status, percent, status_at), joined = _state(state_at)
    own_query = _live(joined(
        select(Assignment.id, Task.id, Plan.key, Plan.title,
               func.coalesce(Plan.period_start, Plan.published_on, Plan.written_on),
               Task.key, Task.title, Task.deadline_kind, _DUE_ON, Task.deadline_rule, Task.deadline_phrase,
               Assignment.role, status, percent, status_at, _EXTENDED_FROM, Plan.reminders)
        .join(Task, Task.id == Assignment.task_id).join(Plan, Plan.id == Task.plan_id))
        .where(Assignment.unit_id == unit_id)
    ).order_by(Plan.key, Task.position, Assignment.role)
    own = [OwnAssignment(*row) for row in session.execute(own_query)]

    mine = (select(Assignment.task_id).join(Task, Task.id == Assignment.task_id)
            .where(Assignment.unit_id == unit_id, Assignment.archived.is_(False), Task.archived.is_(False)))
    led = mine.where(Assignment.role == "lead")
    (status, percent, status_at), joined = _state(state_at)
    # only the rows the digest shows: a big unit's tasks carry tens of thousands of partner rows
    silent = and_(Assignment.task_id.in_(led), Assignment.role != "lead", Assignment.unit_id != unit_id,
                  status.not_in(FINISHED), or_(status_at.is_(None), status_at < silent_before))
    others_query = (joined(select(Assignment.id, Assignment.task_id, Unit.id, Unit.name, Assignment.role, status,
                                  percent, status_at)
                           .join(Unit, Unit.id == Assignment.unit_id))
                    .where(Assignment.task_id.in_(mine), Assignment.archived.is_(False),
                           or_(Assignment.role == "lead", silent))
                    .order_by(Assignment.task_id, Assignment.role, Assignment.position))
    on_my_tasks = [records.UnitStatus(*row) for row in session.execute(others_query)]

    acting = aliased(Unit)
    updates_query = _live(
        select(StatusUpdate.id, Assignment.id, Task.id, Plan.key, Task.key, Task.title, Unit.id, Unit.name,
               Assignment.role, StatusUpdate.status, StatusUpdate.percent, StatusUpdate.note, StatusUpdate.author,
               StatusUpdate.recorded_at, StatusUpdate.undoes_id, acting.name)
        .join(Assignment, Assignment.id == StatusUpdate.assignment_id)
        .join(Unit, Unit.id == Assignment.unit_id)
        .outerjoin(acting, acting.id == StatusUpdate.recorded_by_unit_id)
        .join(Task, Task.id == Assignment.task_id).join(Plan, Plan.id == Task.plan_id)
        .where(StatusUpdate.recorded_at >= since, StatusUpdate.recorded_at < until,
               or_(Assignment.unit_id == unit_id, Assignment.task_id.in_(led)))
    ).order_by(StatusUpdate.recorded_at, StatusUpdate.id)
    updates = [records.StatusUpdate(*row) for row in session.execute(updates_query)]
    return UnitDigestRows(own, on_my_tasks, updates)


# ---------------------------------------------------------------------- a plan's rows


@dataclass(frozen=True)
class PlanHeader:
    id: int
    key: str
    title: str
    document_number: str | None
    jurisdiction: str
    coordinator: str | None
    start: date | None
    period_end: date | None
    timezone: str
    reminders: str | None = None  # the plan's reminder ladder (tracker/ladder.py) as stored

    @property
    def ladder(self) -> Ladder:
        return Ladder.from_json(self.reminders)


@dataclass(frozen=True)
class PlanAssignment:
    assignment_id: int
    task_id: int
    key: str
    title: str
    deadline_kind: str
    final_due_on: date | None
    unit_id: int
    unit: str
    role: str
    status: str
    percent: int | None
    status_at: datetime | None
    placeholder: bool = False  # a group still waiting for a person to choose its units (各相关部门)
    extended_from: date | None = None  # the plan's own deadline, when an approved extension moved final_due_on
    done_at: datetime | None = None  # when the current run of 已完成 began


@dataclass(frozen=True)
class PlanReportRows:
    plan: PlanHeader
    assignments: list[PlanAssignment]


def plan_report_rows(session: Session, plan_key: str,
                     state_at: Callable[[str], datetime | None] | None = None) -> PlanReportRows:
    """A plan and every live assignment on it, in three statements. Statuses as they stand now,
    or as they stood at `state_at(the plan's time zone)` when that gives a moment (the report of a
    week that is over)."""
    coordinator = aliased(Unit)
    header = session.execute(
        select(Plan.id, Plan.key, Plan.title, Plan.document_number, Jurisdiction.name, coordinator.name,
               func.coalesce(Plan.period_start, Plan.published_on, Plan.written_on), Plan.period_end, Plan.timezone,
               Plan.reminders)
        .join(Jurisdiction, Jurisdiction.id == Plan.jurisdiction_id)
        .outerjoin(coordinator, coordinator.id == Plan.coordinator_id)
        .where(Plan.key == plan_key)).first()
    if header is None:
        known = session.scalars(select(Plan.key).order_by(Plan.key)).all()
        raise UnknownPlan(plan_key, known)
    plan = PlanHeader(*tuple(header))  # (select() is typed for up to nine columns)
    moment = state_at(plan.timezone) if state_at is not None else None
    then_utc = moment.astimezone(timezone.utc) if moment is not None else None

    (status, percent, status_at), joined = _state(then_utc)
    query = _live(joined(
        select(Assignment.id, Task.id, Task.key, Task.title, Task.deadline_kind, _DUE_ON,
               Unit.id, Unit.name, Assignment.role, status, percent, status_at, Unit.choose, _EXTENDED_FROM)
        .join(Task, Task.id == Assignment.task_id).join(Unit, Unit.id == Assignment.unit_id))
        .where(Task.plan_id == plan.id)
    ).order_by(Task.position, Assignment.role, Assignment.position)
    rows = [PlanAssignment(*row) for row in session.execute(query)]

    # An assignment became done at the first 已完成 after its last other status: a task reported
    # done, undone and done again counts from the second time.
    # (Only an assignment done now has one: its last entry is 已完成, so no other status follows.)
    later = aliased(StatusUpdate)
    then = [] if then_utc is None else [StatusUpdate.recorded_at < then_utc]
    later_then = [] if then_utc is None else [later.recorded_at < then_utc]
    last_other = (select(func.max(later.id)).where(later.assignment_id == StatusUpdate.assignment_id,
                                                   later.status != "done", *later_then).scalar_subquery())
    done_query = (select(StatusUpdate.assignment_id, func.min(StatusUpdate.recorded_at))
                  .join(Assignment, Assignment.id == StatusUpdate.assignment_id)
                  .join(Task, Task.id == Assignment.task_id)
                  .where(Task.plan_id == plan.id, StatusUpdate.status == "done",
                         StatusUpdate.id > func.coalesce(last_other, 0), *then)
                  .group_by(StatusUpdate.assignment_id))
    done_at = dict(session.execute(done_query).all())
    rows = [replace(row, done_at=done_at.get(row.assignment_id)) if row.status in FINISHED else row
            for row in rows]
    return PlanReportRows(plan, rows)


# ---------------------------------------------------------------------- mail recipients and deliveries


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str


def recipients_for(session: Session, unit_ids: list[int]) -> dict[int, list[Recipient]]:
    """Each unit's liaisons that have an email address, in one statement."""
    out: dict[int, list[Recipient]] = {unit_id: [] for unit_id in unit_ids}
    if not unit_ids:
        return out
    query = (select(Liaison.unit_id, Liaison.name, Liaison.email)
             .where(Liaison.unit_id.in_(unit_ids), Liaison.email.is_not(None), Liaison.email != "")
             .order_by(Liaison.unit_id, Liaison.id))
    for unit_id, name, email in session.execute(query):
        out[unit_id].append(Recipient(name, email.strip()))
    return out


@dataclass(frozen=True)
class Delivery:
    unit_id: int
    week: str
    sent_at: datetime
    recipients: str
    message_id: str | None


def deliveries_for_week(session: Session, week: str) -> dict[int, Delivery]:
    query = (select(DigestDelivery.unit_id, DigestDelivery.week, DigestDelivery.sent_at,
                    DigestDelivery.recipients, DigestDelivery.message_id)
             .where(DigestDelivery.week == week))
    return {row[0]: Delivery(*row) for row in session.execute(query)}


def record_delivery(session: Session, *, unit_id: int, week: str, sent_at: datetime, recipients: list[str],
                    message_id: str | None) -> None:
    """Remember that a unit's digest for a week went out; a resend (--force) updates the record."""
    values = {"sent_at": sent_at, "recipients": ", ".join(recipients), "message_id": message_id}
    result = session.execute(update(DigestDelivery)
                             .where(and_(DigestDelivery.unit_id == unit_id, DigestDelivery.week == week))
                             .values(**values).execution_options(synchronize_session=False))
    if result.rowcount == 0:  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
        session.add(DigestDelivery(unit_id=unit_id, week=week, **values))
        session.flush()
