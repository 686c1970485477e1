"""The queries calendar feeds need, in bulk: a constant number of statements per feed however
many tasks it holds; subscription tokens; and the remembered state of each served feed.

A feed is built from plain, frozen records (FeedTask, UnitStatus) so the calendar code never
touches the session, and the records themselves can key a cache of serialised events.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from .. import clock
from ..errors import N_, NotFound, TrackerError, UnknownPlan
from ..store.db import change_marker  # noqa: F401  (the feed server asks it through here)
from ..store.models import (
    Assignment, FeedState, FeedToken, Jurisdiction, Plan, ReportingDuty, ReportingUnit, Section, StatusUpdate,
    SupervisionDecision, SupervisionRequest, Task, Unit,
)
from .records import UnitStatus


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes (they were written in UTC); PostgreSQL aware ones."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


# ---------------------------------------------------------------------- feed records


@dataclass(frozen=True, slots=True)
class FeedTask:
    """A task with everything a calendar entry shows about it."""

    id: int
    plan_key: str
    plan_title: str
    document_number: str | None
    plan_start: date | None  # the period start (or, failing that, the date written): where a rule begins
    plan_end: date | None
    timezone: str
    key: str
    title: str
    section: str | None
    text: str
    position: int
    deadline_kind: str
    due_on: date | None  # a rule's last occurrence in the plan period
    deadline_rule: str | None
    deadline_phrase: str | None
    sequence: int
    changed_at: datetime
    lead: tuple[str, ...] = ()
    responsible: tuple[str, ...] = ()
    extended_from: date | None = None  # in a unit's feed: the plan's own deadline, when the unit's was extended


@dataclass(frozen=True, slots=True)
class UnitEntry:
    task: FeedTask
    own: UnitStatus


@dataclass(frozen=True, slots=True)
class FeedDuty:
    """A plan's reporting duty (报送) in a unit's calendar: one recurring event."""

    plan_key: str
    plan_title: str
    position: int
    rule: str
    what: str | None
    phrase: str | None
    plan_start: date | None
    plan_end: date | None
    changed_at: datetime  # when the plan was last loaded


@dataclass(frozen=True)
class UnitFeed:
    unit_id: int
    unit: str
    full_name: str | None
    jurisdiction: str
    role: str | None
    entries: list[UnitEntry] = field(default_factory=list)
    reporting: tuple[FeedDuty, ...] = ()

    @property
    def code(self) -> str:
        return unit_code(self.jurisdiction, self.unit)


@dataclass(frozen=True, slots=True)
class PlanEntry:
    task: FeedTask
    assignees: tuple[UnitStatus, ...]


@dataclass(frozen=True)
class PlanFeed:
    key: str
    title: str
    document_number: str | None
    jurisdiction: str
    coordinator: str | None
    entries: list[PlanEntry] = field(default_factory=list)


def unit_code(jurisdiction: str, unit: str) -> str:
    """A short ASCII code for a unit, the same on every machine and every database: it goes into
    event UIDs and feed URLs, where Chinese names would trouble some calendar clients."""
    return hashlib.sha256(f"{jurisdiction}/{unit}".encode()).hexdigest()[:12]


# ---------------------------------------------------------------------- bulk queries

# rows are fetched this many at a time, not all at once: a city's 150,000 assignment rows held
# whole by the driver came to over 60 MB on top of the records made from them
_BATCH = 2000


def _task_rows(session: Session, task_filter, names: dict[int, tuple[list[str], list[str]]]) -> list[FeedTask]:
    """Live tasks matching `task_filter`, with their plan, section and the names of their lead and
    responsible units: one statement. Each row becomes its FeedTask at once (no dict in between),
    and the strings every task of a plan repeats are shared: a city's 50,000 tasks at once weighed
    over 100 MB more before."""
    section = aliased(Section)
    query = (select(Task.id, Task.key, Task.title, Task.text, Task.position, Task.deadline_kind, Task.due_on,
                    Task.deadline_rule, Task.deadline_phrase, Task.sequence, Task.changed_at, section.title,
                    Plan.key, Plan.title, Plan.document_number, Plan.period_start, Plan.written_on,
                    Plan.period_end, Plan.timezone)
             .join(Plan, Plan.id == Task.plan_id)
             .outerjoin(section, section.id == Task.section_id)
             .where(Task.archived.is_(False), task_filter)
             .order_by(Plan.key, Task.position)
             .execution_options(yield_per=_BATCH))
    shared: dict = {}
    one = shared.setdefault
    nobody = ((), ())
    tasks = []
    for (tid, key, title, text, position, kind, due_on, rule, phrase, sequence, changed_at, stitle,
         pkey, ptitle, number, pstart, written, pend, tz) in session.execute(query):
        lead, responsible = names.get(tid, nobody)
        tasks.append(FeedTask(
            id=tid, plan_key=one(pkey, pkey), plan_title=one(ptitle, ptitle), document_number=number,
            plan_start=pstart or written, plan_end=pend, timezone=one(tz, tz) if tz else clock.DEFAULT_TIMEZONE,
            key=key, title=title, section=one(stitle, stitle) if stitle else stitle, text=text, position=position,
            deadline_kind=one(kind, kind), due_on=due_on, deadline_rule=one(rule, rule) if rule else rule,
            deadline_phrase=one(phrase, phrase) if phrase else phrase, sequence=sequence,
            changed_at=_utc(changed_at), lead=tuple(lead), responsible=tuple(responsible)))
    return tasks


def _last_note():
    return (select(StatusUpdate.note).where(StatusUpdate.assignment_id == Assignment.id)
            .order_by(StatusUpdate.id.desc()).limit(1).correlate(Assignment).scalar_subquery())


def _approved_extensions():
    """Per assignment, how many extensions were approved and when the last one was."""
    return (select(SupervisionRequest.assignment_id.label("assignment_id"),
                   func.count(SupervisionDecision.id).label("n"), func.max(SupervisionDecision.recorded_at).label("at"))
            .join(SupervisionDecision, SupervisionDecision.request_id == SupervisionRequest.id)
            .where(SupervisionRequest.kind == "extension", SupervisionDecision.decision == "approved")
            .group_by(SupervisionRequest.assignment_id).subquery())


def _assignee_rows(session: Session, assignment_filter) -> dict[int, list[UnitStatus]]:
    """Live assignments on live tasks, with unit, latest note and approved extensions, by task:
    one statement."""
    extended = _approved_extensions()
    query = (select(Assignment.id, Assignment.task_id, Assignment.unit_id, Unit.name, Assignment.role,
                    Assignment.status, Assignment.percent, Assignment.status_at, _last_note(),
                    Assignment.extended_due_on, func.coalesce(extended.c.n, 0), extended.c.at)
             .join(Unit, Unit.id == Assignment.unit_id)
             .join(Task, Task.id == Assignment.task_id)
             .outerjoin(extended, extended.c.assignment_id == Assignment.id)
             .where(Assignment.archived.is_(False), Task.archived.is_(False), assignment_filter)
             .order_by(Assignment.task_id, Assignment.role, Assignment.position, Assignment.id)
             .execution_options(yield_per=_BATCH))
    found: dict[int, list[UnitStatus]] = {}
    shared: dict = {}  # unit names, roles and statuses repeat on every row: one copy each
    one = shared.setdefault
    for (assignment_id, task_id, unit_id, name, role, status, percent, status_at, note,
         moved, n, at) in session.execute(query):
        found.setdefault(task_id, []).append(UnitStatus(
            assignment_id, task_id, unit_id, one(name, name), one(role, role), one(status, status), percent,
            _utc(status_at), note, extended_due_on=moved, extensions=n, extended_at=_utc(at)))
    return found


def _unit_names(session: Session, task_filter) -> dict[int, tuple[list[str], list[str]]]:
    """Lead and responsible unit names of the matching tasks: one slim statement, for feeds that
    show other units by name only."""
    query = (select(Assignment.task_id, Assignment.role, Unit.name)
             .join(Unit, Unit.id == Assignment.unit_id)
             .where(Assignment.archived.is_(False), task_filter)
             .order_by(Assignment.task_id, Assignment.role, Assignment.position, Assignment.id))
    names: dict[int, tuple[list[str], list[str]]] = {}
    shared: dict = {}
    for task_id, role, name in session.execute(query):
        names.setdefault(task_id, ([], []))[0 if role == "lead" else 1].append(shared.setdefault(name, name))
    return names


def _names_of(assignees: dict[int, list[UnitStatus]]) -> dict[int, tuple[list[str], list[str]]]:
    return {tid: ([a.unit for a in on if a.role == "lead"], [a.unit for a in on if a.role == "responsible"])
            for tid, on in assignees.items()}


def unit_feed(session: Session, unit_id: int, role: str | None = None) -> UnitFeed:
    """One unit's feed: the live tasks it leads or is responsible for. Four statements: the
    unit, its tasks, the names on them, and its own assignments with their latest notes."""
    if role not in (None, "lead", "responsible"):
        raise TrackerError(N_("unknown role {role!r}; use lead or responsible"), role=role)
    name, full_name, jurisdiction = session.execute(
        select(Unit.name, Unit.full_name, Jurisdiction.name).join(Jurisdiction, Jurisdiction.id == Unit.jurisdiction_id)
        .where(Unit.id == unit_id)).one()
    own = Assignment.unit_id == unit_id if role is None else and_(Assignment.unit_id == unit_id, Assignment.role == role)
    mine = select(Assignment.task_id).where(Assignment.archived.is_(False), own)
    tasks = _task_rows(session, Task.id.in_(mine), _unit_names(session, Assignment.task_id.in_(mine)))
    assignments = _assignee_rows(session, own)
    entries = [UnitEntry(_own_deadline(task, assignments[task.id][0]), assignments[task.id][0])
               for task in tasks if task.id in assignments]  # lead sorts before responsible: one entry per task
    plans = {task.plan_key for task in tasks if task.id in assignments}
    reporting = _duty_rows(session, unit_id)
    duties = tuple(d for d, everyone, named in reporting if (everyone and d.plan_key in plans) or named == unit_id)
    return UnitFeed(unit_id, name, full_name, jurisdiction, role, entries, tuple(dict.fromkeys(duties)))


def _duty_rows(session: Session, unit_id: int | None = None) -> list[tuple[FeedDuty, bool, int | None]]:
    """Reporting duties, each with whether every unit on its plan reports and (once per named
    unit) the unit it names: one statement."""
    query = (select(Plan.key, Plan.title, ReportingDuty.position, ReportingDuty.rule, ReportingDuty.what,
                    ReportingDuty.phrase, func.coalesce(Plan.period_start, Plan.published_on, Plan.written_on),
                    Plan.period_end, Plan.loaded_at, ReportingDuty.everyone, ReportingUnit.unit_id)
             .join(Plan, Plan.id == ReportingDuty.plan_id)
             .outerjoin(ReportingUnit, and_(ReportingUnit.duty_id == ReportingDuty.id,
                                            *([ReportingUnit.unit_id == unit_id] if unit_id is not None else [])))
             .order_by(Plan.key, ReportingDuty.position))
    return [(FeedDuty(*row[:8], _utc(row[8]) or row[8]), bool(row[9]), row[10]) for row in session.execute(query)]


def _own_deadline(task: FeedTask, own: UnitStatus) -> FeedTask:
    """The task as a unit's feed shows it: on the unit's deadline, moved by an approved extension
    (the plan's own kept beside it). Each approved extension moves the event again: its SEQUENCE
    goes one up for every one of them (RFC 5545: a changed event's SEQUENCE grows, or calendars
    keep the old date), on top of the task's own changes, and LAST-MODIFIED is the approval's."""
    if not own.extensions and own.extended_due_on is None:
        return task
    changed_at = max(task.changed_at, own.extended_at) if own.extended_at else task.changed_at
    moved = own.extended_due_on is not None and own.extended_due_on != task.due_on
    return replace(task, due_on=own.extended_due_on if moved else task.due_on,
                   extended_from=task.due_on if moved else None, sequence=task.sequence + (own.extensions or 0),
                   changed_at=changed_at)


def _plan_feed(plan: Plan, jurisdiction: str, coordinator: str | None, tasks: list[FeedTask],
               assignees: dict[int, list[UnitStatus]]) -> PlanFeed:
    return PlanFeed(plan.key, plan.title, plan.document_number, jurisdiction, coordinator,
                    [PlanEntry(t, tuple(assignees.get(t.id, ()))) for t in tasks])


def plan_feed(session: Session, plan_key: str) -> PlanFeed:
    """One plan's feed: every live task with every unit's status. Three statements."""
    coordinator = aliased(Unit)
    row = session.execute(
        select(Plan, Jurisdiction.name, coordinator.name).join(Jurisdiction, Jurisdiction.id == Plan.jurisdiction_id)
        .outerjoin(coordinator, coordinator.id == Plan.coordinator_id).where(Plan.key == plan_key)).first()
    if row is None:
        known = session.scalars(select(Plan.key).order_by(Plan.key)).all()
        raise UnknownPlan(plan_key, known)
    plan, jurisdiction, coordinator_name = row
    assignees = _assignee_rows(session, Task.plan_id == plan.id)
    tasks = _task_rows(session, Task.plan_id == plan.id, _names_of(assignees))
    return _plan_feed(plan, jurisdiction, coordinator_name, tasks, assignees)


def all_feeds(session: Session) -> tuple[list[UnitFeed], list[PlanFeed]]:
    """Every unit's feed and every plan's feed, in four statements whatever the database holds.

    Every unit that ever had an assignment gets a feed, so a unit whose last task went away
    gets an empty calendar instead of keeping a stale one."""
    assignees = _assignee_rows(session, Task.id.is_not(None))
    tasks = _task_rows(session, Task.id.is_not(None), _names_of(assignees))
    coordinator = aliased(Unit)
    plans = session.execute(
        select(Plan, Jurisdiction.name, coordinator.name).join(Jurisdiction, Jurisdiction.id == Plan.jurisdiction_id)
        .outerjoin(coordinator, coordinator.id == Plan.coordinator_id).order_by(Plan.key)).all()
    ever = select(Assignment.unit_id).distinct()
    units = session.execute(
        select(Unit.id, Unit.name, Unit.full_name, Jurisdiction.name).join(Jurisdiction, Jurisdiction.id == Unit.jurisdiction_id)
        .where(Unit.id.in_(ever)).order_by(Jurisdiction.id, Unit.id)).all()

    by_unit: dict[int, list[UnitEntry]] = {}
    by_plan: dict[str, list[FeedTask]] = {}
    for task in tasks:
        by_plan.setdefault(task.plan_key, []).append(task)
        seen: set[int] = set()
        for assignee in assignees.get(task.id, ()):
            if assignee.unit_id not in seen:  # lead sorts first: one entry per unit and task
                seen.add(assignee.unit_id)
                by_unit.setdefault(assignee.unit_id, []).append(UnitEntry(_own_deadline(task, assignee), assignee))
    everyone: dict[str, list[FeedDuty]] = {}
    named: dict[int, list[FeedDuty]] = {}
    for duty, for_all, unit_id in _duty_rows(session):
        if for_all:
            everyone.setdefault(duty.plan_key, []).append(duty)
        elif unit_id is not None:
            named.setdefault(unit_id, []).append(duty)

    def duties_of(unit_id: int) -> tuple[FeedDuty, ...]:
        plans = dict.fromkeys(entry.task.plan_key for entry in by_unit.get(unit_id, []))
        found = [d for key in plans for d in everyone.get(key, [])] + named.get(unit_id, [])
        return tuple(dict.fromkeys(found))
    unit_feeds = [UnitFeed(uid, name, full, jname, None, by_unit.get(uid, []), duties_of(uid))
                  for uid, name, full, jname in units]
    plan_feeds = [_plan_feed(plan, jname, cname, by_plan.get(plan.key, []), assignees) for plan, jname, cname in plans]
    return unit_feeds, plan_feeds


# ---------------------------------------------------------------------- fingerprints

# A feed's fingerprint changes whenever anything it shows may have changed, and costs one small
# aggregate statement instead of the feed's own queries, so a poll that changes nothing (most of
# them) is answered without building the feed. What a feed shows changes only by
#   - a status update or undo (record_status, the ledger import, the TUI): each bumps the
#     assignment's version, so the sum of versions grows;
#   - a plan load (tasks, texts, deadlines, sections, units on a task, archiving): each sets the
#     plan's loaded_at to the moment of loading, a different value every time, and it is compared
#     per plan, not as a maximum, so a clock set back cannot hide it;
#   - the day (overdue marks, a rule's next due day), which callers key on themselves.


def unit_fingerprint(session: Session, unit_id: int, role: str | None = None) -> tuple:
    """Per plan the unit is on: the plan's load time, and its live assignments' count and versions."""
    own = Assignment.unit_id == unit_id if role is None else and_(Assignment.unit_id == unit_id, Assignment.role == role)
    query = (select(Task.plan_id, Plan.loaded_at, func.count(Assignment.id), func.sum(Assignment.version))
             .select_from(Assignment).join(Task, Task.id == Assignment.task_id).join(Plan, Plan.id == Task.plan_id)
             .where(own, Assignment.archived.is_(False), Task.archived.is_(False))
             .group_by(Task.plan_id, Plan.loaded_at).order_by(Task.plan_id))
    return tuple(tuple(row) for row in session.execute(query))


def plan_fingerprint(session: Session, plan_key: str) -> tuple:
    """The plan's load time, and its live assignments' count and versions (() for no such plan)."""
    query = (select(Plan.id, Plan.loaded_at, func.count(Assignment.id), func.coalesce(func.sum(Assignment.version), 0))
             .select_from(Plan)
             .outerjoin(Task, and_(Task.plan_id == Plan.id, Task.archived.is_(False)))
             .outerjoin(Assignment, and_(Assignment.task_id == Task.id, Assignment.archived.is_(False)))
             .where(Plan.key == plan_key).group_by(Plan.id, Plan.loaded_at))
    return tuple(tuple(row) for row in session.execute(query))


def unit_plan_keys(session: Session, unit: Unit) -> list[str]:
    """The plans whose feed a unit's token opens: those it is assigned in or coordinates."""
    assigned = (select(Task.plan_id).join(Assignment, Assignment.task_id == Task.id)
                .where(Assignment.unit_id == unit.id, Assignment.archived.is_(False)))
    return list(session.scalars(select(Plan.key).where(or_(Plan.id.in_(assigned), Plan.coordinator_id == unit.id))
                                .order_by(Plan.key)))


def may_read_plan(session: Session, unit_id: int, plan_key: str) -> bool:
    assigned = (select(Assignment.id).join(Task, Task.id == Assignment.task_id)
                .where(Task.plan_id == Plan.id, Assignment.unit_id == unit_id, Assignment.archived.is_(False))
                .exists())
    return session.scalar(select(Plan.id).where(Plan.key == plan_key,
                                                 or_(Plan.coordinator_id == unit_id, assigned))) is not None


# ---------------------------------------------------------------------- subscription tokens

# secrets.token_urlsafe(32): 32 random bytes (256 bits), 43 URL-safe characters
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class TokenUnit:
    token_id: int
    unit_id: int
    unit: str
    jurisdiction: str
    last_used_at: datetime | None

    @property
    def code(self) -> str:
        return unit_code(self.jurisdiction, self.unit)


def active_tokens(session: Session, unit: Unit) -> int:
    return len(session.scalars(select(FeedToken.id).where(FeedToken.unit_id == unit.id,
                                                          FeedToken.revoked_at.is_(None))).all())


def issue_token(session: Session, unit: Unit, *, rotate: bool = False) -> str:
    """A new subscription token for `unit`, returned once; only its SHA-256 is kept.

    A unit has one live token: a second needs `rotate`, which revokes the old one, because the
    old one cannot be shown again and would otherwise stay valid unnoticed."""
    if active_tokens(session, unit) and not rotate:
        raise TrackerError(N_("{name} already has a subscription token, and it is shown only once; use --rotate for a new one (the old address stops working) or --revoke"), name=unit.name)
    now = clock.now()
    revoke_tokens(session, unit, now=now)
    token = secrets.token_urlsafe(32)
    session.add(FeedToken(unit_id=unit.id, token_sha256=_token_hash(token), created_at=now))
    session.flush()
    return token


def revoke_tokens(session: Session, unit: Unit, *, now: datetime | None = None) -> int:
    """Revoke every live token of `unit`; the number revoked."""
    result = session.execute(update(FeedToken).where(FeedToken.unit_id == unit.id, FeedToken.revoked_at.is_(None))
                             .values(revoked_at=now or clock.now()).execution_options(synchronize_session=False))
    return result.rowcount  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


def unit_for_token(session: Session, token: str) -> TokenUnit | None:
    """The unit a live token belongs to, or None (unknown, malformed or revoked: the caller
    cannot tell which, and neither can anyone probing)."""
    if not _TOKEN_SHAPE.fullmatch(token or ""):
        return None
    digest = _token_hash(token)
    row = session.execute(
        select(FeedToken.id, FeedToken.token_sha256, FeedToken.revoked_at, FeedToken.last_used_at, Unit.id,
               Unit.name, Jurisdiction.name)
        .join(Unit, Unit.id == FeedToken.unit_id).join(Jurisdiction, Jurisdiction.id == Unit.jurisdiction_id)
        .where(FeedToken.token_sha256 == digest)).first()
    # the lookup is by hash, so its timing says nothing about the token; the comparison that
    # decides is constant-time all the same
    if row is None or not hmac.compare_digest(row[1], digest) or row[2] is not None:
        return None
    return TokenUnit(row[0], row[4], row[5], row[6], _utc(row[3]))


def touch_token(session: Session, token_id: int, now: datetime) -> None:
    session.execute(update(FeedToken).where(FeedToken.id == token_id).values(last_used_at=now)
                    .execution_options(synchronize_session=False))


# ---------------------------------------------------------------------- served feed state


def feed_state(session: Session, feed: str) -> tuple[str, datetime] | None:
    row = session.execute(select(FeedState.etag, FeedState.changed_at).where(FeedState.feed == feed)).first()
    return (row[0], _utc(row[1])) if row else None


def settle_feed_state(session: Session, feed: str, etag: str, now: datetime | None = None) -> datetime:
    """Record that `feed` now has `etag`, and return its Last-Modified.

    The time moves only forwards, and by at least a second on every change (HTTP dates have
    whole seconds), so a client's If-Modified-Since never hides a change: not when tasks are
    removed, not when two changes fall within one second, not when clocks of two servers differ."""
    now = (now or clock.now()).astimezone(timezone.utc).replace(microsecond=0)
    for _ in range(3):
        state = session.execute(select(FeedState).where(FeedState.feed == feed).with_for_update()).scalar()
        if state is not None:
            changed_at = _utc(state.changed_at)
            if state.etag == etag:
                return changed_at
            changed_at = max(now, changed_at + timedelta(seconds=1))
            state.etag, state.changed_at = etag, changed_at
            session.flush()
            return changed_at
        try:
            with session.begin_nested():  # another server may insert the same feed meanwhile
                session.add(FeedState(feed=feed, etag=etag, changed_at=now))
            return now
        except IntegrityError:
            continue
    raise TrackerError(N_("feed state of {feed} keeps changing under us; try again"), feed=feed)
