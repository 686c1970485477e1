"""The service layer: every query and command over the store, and the rules.

The CLI, the TUI, calendar feeds, digests and the ledger all come through here; none of them
writes SQL of its own. Rules kept here: who may update what (a unit its own assignments, the
plan's coordinating unit any of the plan's), what overdue means (deadline passed, not done),
and optimistic concurrency (an update made from a stale view is refused, not lost).

This module holds the core queries and commands; the queries one consumer needs in bulk
(feeds, digests, the ledger) live beside it in this package, so all SQL stays in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from .. import clock
from ..deadlines import FINISHED, next_due
from ..errors import (
    N_, AmbiguousUnit, Archived, Conflict, NotAssigned, NotFound, NothingToUndo, NotYours, PermissionDenied, TrackerError,
    UnknownJurisdiction, UnknownPlan, UnknownStatus, UnknownTask, UnknownUnit,
)
from ..i18n import STATUSES
from ..store.history import CHAINED, chain_hash
from ..store.tasklist import TaskRow, add_units, sort_by_due, sort_rows_by_due, task_rows
from ..store.models import (
    Assignment, Jurisdiction, Liaison, Plan, Section, Target, Task, Unit, UnitAlias,
)
# the history table's row; what leaves the service is the StatusUpdate record (records.py)
from ..store.models import StatusUpdate as UpdateRow
from ..registry import closest_names, local_form, normalise_name
from ..textwidth import says_nothing
from .access import acting_identity, connected_liaison
from .records import StatusUpdate, UnitStatus
from . import supervision

# ---------------------------------------------------------------------- units


@dataclass(frozen=True)
class UnitRef:
    """A unit as the front ends name it: its id, name, jurisdiction and kind (unit or group)."""

    id: int
    name: str
    jurisdiction: str
    kind: str = "unit"


def find_unit(session: Session, name: str, jurisdiction: str | None = None) -> UnitRef:
    """A unit by any of its names. A name used in several jurisdictions (市商务局) needs one
    (AmbiguousUnit says which have it)."""
    folded = normalise_name(name)
    query = (select(Unit, Jurisdiction.name).join(UnitAlias, UnitAlias.unit_id == Unit.id)
             .join(Jurisdiction, Jurisdiction.id == Unit.jurisdiction_id))
    if jurisdiction:
        known = session.scalar(select(Jurisdiction.id).where(Jurisdiction.name == jurisdiction))
        if known is None:
            raise UnknownJurisdiction(jurisdiction, session.scalars(select(Jurisdiction.name).order_by(Jurisdiction.id)))
        query = query.where(Unit.jurisdiction_id == known)
    found = {unit.id: (unit, jname) for unit, jname in session.execute(query.where(UnitAlias.alias == folded))}
    if not found:
        # 青岛市商务局 → 市商务局, but only within 青岛市
        for (jname,) in session.execute(select(Jurisdiction.name)):
            if folded.startswith(jname) and (not jurisdiction or jname == jurisdiction):
                local = query.where(UnitAlias.alias == local_form(folded, jname), Jurisdiction.name == jname)
                found.update({unit.id: (unit, j) for unit, j in session.execute(local)})
    if len(found) == 1:
        unit, jname = next(iter(found.values()))
        return UnitRef(unit.id, unit.name, jname, unit.kind)
    if len(found) > 1:
        raise AmbiguousUnit(name, tuple(sorted(j for _, j in found.values())))
    raise UnknownUnit(name, jurisdiction, _suggestions(session, folded, jurisdiction))


def _suggestions(session: Session, folded: str, jurisdiction: str | None) -> list[str]:
    query = select(UnitAlias.alias, Unit.name).join(Unit, Unit.id == UnitAlias.unit_id)
    if jurisdiction:
        query = query.join(Jurisdiction, Jurisdiction.id == Unit.jurisdiction_id).where(Jurisdiction.name == jurisdiction)
    return closest_names(folded, dict(session.execute(query).all()))


@dataclass(frozen=True)
class UnitSummary:
    id: int
    jurisdiction: str
    name: str
    full_name: str | None
    kind: str
    members: tuple[str, ...]
    aliases: tuple[str, ...]
    liaisons: tuple[str, ...]

    def to_json(self) -> dict:
        return {"id": self.id, "jurisdiction": self.jurisdiction, "name": self.name, "full_name": self.full_name,
                "kind": self.kind, "members": list(self.members), "aliases": list(self.aliases),
                "liaisons": list(self.liaisons)}


def list_units(session: Session, jurisdiction: str | None = None) -> list[UnitSummary]:
    query = select(Unit, Jurisdiction.name).join(Jurisdiction).order_by(Jurisdiction.id, Unit.id)
    if jurisdiction:
        query = query.where(Jurisdiction.name == jurisdiction)
    rows = session.execute(query).all()
    aliases: dict[int, list[str]] = {}
    for unit_id, alias in session.execute(select(UnitAlias.unit_id, UnitAlias.alias).order_by(UnitAlias.id)):
        aliases.setdefault(unit_id, []).append(alias)
    liaisons: dict[int, list[str]] = {}
    for unit_id, name in session.execute(select(Liaison.unit_id, Liaison.name).order_by(Liaison.id)):
        liaisons.setdefault(unit_id, []).append(name)
    out = []
    for unit, jname in rows:
        members = tuple(m.name for m in unit.members) if unit.kind == "group" else ()
        own = {normalise_name(unit.name), normalise_name(unit.full_name or "")}
        out.append(UnitSummary(unit.id, jname, unit.name, unit.full_name, unit.kind, members,
                               tuple(a for a in aliases.get(unit.id, []) if a not in own),
                               tuple(liaisons.get(unit.id, []))))
    return out


def unit_liaisons(session: Session, unit_id: int) -> tuple[str, ...]:
    """The names of a unit's liaisons, in the order they were registered."""
    return tuple(session.scalars(select(Liaison.name).where(Liaison.unit_id == unit_id).order_by(Liaison.id)))


def unit_by_id(session: Session, unit_id: int) -> UnitRef:
    row = session.execute(select(Unit.id, Unit.name, Jurisdiction.name, Unit.kind)
                          .join(Jurisdiction, Jurisdiction.id == Unit.jurisdiction_id).where(Unit.id == unit_id)).first()
    if row is None:
        raise NotFound(N_("no unit with id {id}"), id=unit_id)
    return UnitRef(*row)


# ---------------------------------------------------------------------- plans


@dataclass(frozen=True)
class PlanSummary:
    id: int
    key: str
    title: str
    document_number: str | None
    jurisdiction: str
    coordinator: str | None
    period_start: date | None
    period_end: date | None
    tasks: int
    archived_tasks: int
    coordinator_id: int | None = None
    timezone: str = clock.DEFAULT_TIMEZONE
    approval: str = "closing"  # a lead's 已完成 waits for the coordinator's 销号 ("none": it does not)

    def to_json(self) -> dict:
        return {"key": self.key, "title": self.title, "document_number": self.document_number,
                "jurisdiction": self.jurisdiction, "coordinator": self.coordinator, "approval": self.approval,
                "period_start": self.period_start, "period_end": self.period_end,
                "tasks": self.tasks, "archived_tasks": self.archived_tasks}


def list_plans(session: Session, key: str | None = None) -> list[PlanSummary]:
    counts = (select(Task.plan_id, func.count().filter(Task.archived.is_(False)).label("live"),
                     func.count().filter(Task.archived.is_(True)).label("gone"))
              .group_by(Task.plan_id).subquery())
    coordinator = aliased(Unit)
    query = (select(Plan, Jurisdiction.name, coordinator.name, counts.c.live, counts.c.gone)
             .join(Jurisdiction, Jurisdiction.id == Plan.jurisdiction_id)
             .outerjoin(coordinator, coordinator.id == Plan.coordinator_id)
             .outerjoin(counts, counts.c.plan_id == Plan.id).order_by(Plan.key))
    if key is not None:
        query = query.where(Plan.key == key)
    return [PlanSummary(p.id, p.key, p.title, p.document_number, j, c, p.period_start, p.period_end, live or 0,
                        gone or 0, p.coordinator_id, p.timezone,
                        p.approval if p.coordinator_id is not None else "none")
            for p, j, c, live, gone in session.execute(query)]


def find_plan(session: Session, key: str) -> PlanSummary:
    """A plan by its key; an unknown key names the known ones."""
    get_plan(session, key)
    return list_plans(session, key)[0]


def get_plan(session: Session, key: str) -> Plan:
    """The plan's row, for the service's own queries (it never leaves the service)."""
    plan = session.scalar(select(Plan).where(Plan.key == key))
    if plan is None:
        raise UnknownPlan(key, session.scalars(select(Plan.key).order_by(Plan.key)))
    return plan


def get_task(session: Session, plan_key: str, task_key: str) -> Task:
    plan = get_plan(session, plan_key)
    task = session.scalar(select(Task).where(Task.plan_id == plan.id, Task.key == task_key))
    if task is None:
        raise UnknownTask(plan_key, task_key)
    return task


# ---------------------------------------------------------------------- task lists


# a task list reads plain columns (tracker.store.tasklist.COLUMNS), not ORM objects: 2,000 rows build
# in a few milliseconds
# the assignment's deadline: an approved extension's (延期), else the task's own
DUE_ON = func.coalesce(Assignment.extended_due_on, Task.due_on)
_ROW_COLUMNS = (Assignment.id, Task.id, Plan.key, Plan.title, Task.key, Task.title, Task.text, Assignment.role,
                Assignment.source, Task.deadline_kind, DUE_ON, Task.deadline_rule, Task.deadline_phrase,
                Assignment.status, Assignment.percent, Assignment.status_at, Assignment.version, Plan.period_start)


def _unit_task_query(unit: UnitRef, *, role: str | None, plan_key: str | None, overdue: bool,
                     due_within: int | None, stale_days: int | None, search: str | None, today: date):
    section = aliased(Section)
    query = (select(*_ROW_COLUMNS, section.title, Plan.timezone, Task.due_on)
             .join(Task, Task.id == Assignment.task_id)
             .join(Plan, Plan.id == Task.plan_id)
             .outerjoin(section, section.id == Task.section_id)
             .where(Assignment.unit_id == unit.id, Assignment.archived.is_(False), Task.archived.is_(False)))
    if role:
        query = query.where(Assignment.role == role)
    if plan_key:
        query = query.where(Plan.key == plan_key)
    if overdue:
        query = query.where(Task.deadline_kind != "ongoing", DUE_ON < today, Assignment.status.not_in(FINISHED))
    if due_within is not None:
        # rules are checked after the query against their next occurrence
        horizon = today + timedelta(days=due_within)
        query = query.where(Task.deadline_kind != "ongoing", Assignment.status.not_in(FINISHED),
                            or_(Task.deadline_kind == "rule", and_(DUE_ON >= today, DUE_ON <= horizon)))
    if stale_days is not None:
        cutoff = datetime.combine(today - timedelta(days=stale_days), datetime.min.time())
        query = query.where(Assignment.status.not_in(FINISHED),
                            or_(Assignment.status_at.is_(None), Assignment.status_at < cutoff))
    if search:
        pattern = search.strip()
        query = query.where(or_(Task.text.contains(pattern, autoescape=True),
                                Task.key.contains(pattern, autoescape=True),
                                Plan.key.contains(pattern, autoescape=True),
                                section.title.contains(pattern, autoescape=True)))
    return query


def count_unit_tasks(session: Session, unit: UnitRef, *, role: str | None = None, search: str | None = None,
                     today: date | None = None) -> int:
    query = _unit_task_query(unit, role=role, plan_key=None, overdue=False, due_within=None, stale_days=None,
                             search=search, today=today or clock.today())
    return session.scalar(select(func.count()).select_from(query.with_only_columns(Assignment.id).subquery()))


ORDERS = ("deadline", "status", "plan", "updated")


def unit_tasks(session: Session, unit: UnitRef, *, role: str | None = None, plan_key: str | None = None,
               overdue: bool = False, due_within: int | None = None, stale_days: int | None = None,
               search: str | None = None, order: str = "deadline", limit: int | None = None, offset: int = 0,
               today: date | None = None) -> list[TaskRow]:
    """A unit's tasks, filtered and paged. Two statements whatever the number of tasks (three
    for a page in deadline or status order).

    By deadline means by the date a task is next due: a yearly duty (每年6月底前) by its next
    occurrence, which SQL cannot work out, so those orders rank the matched tasks' deadline
    columns here and then read the page's rows by id."""
    today = today or clock.today()
    query = _unit_task_query(unit, role=role, plan_key=plan_key, overdue=overdue, due_within=due_within,
                             stale_days=stale_days, search=search, today=today)
    orderings = {
        "deadline": (Plan.key, Task.position),
        "status": (Plan.key, Task.position),
        "plan": (Plan.key, Task.position),
        "updated": (Assignment.status_at.desc(), Plan.key, Task.position),
    }
    if order not in orderings:
        raise TrackerError(N_("unknown order {order!r}; use one of {orders}"), order=order, orders=ORDERS)
    query = query.order_by(*orderings[order])
    by_due = order in ("deadline", "status")
    if by_due and limit is not None:
        ranked = session.execute(query.with_only_columns(
            Assignment.id, Assignment.status, Task.deadline_kind, DUE_ON, Task.deadline_rule,
            Plan.period_start)).all()
        page = [r[0] for r in sort_by_due(ranked, today, by_status=order == "status",
                                          key=lambda r: (r[2], r[3], r[4], r[5], r[1]))[offset:offset + limit]]
        if not page:
            return []
        found = {r.assignment_id: r for r in task_rows(session.execute(query.where(Assignment.id.in_(page))),
                                                       today, due_within)}
        rows = [found[i] for i in page if i in found]
    else:
        if limit is not None:
            query = query.limit(limit).offset(offset)
        rows = task_rows(session.execute(query), today, due_within)
        if by_due:
            rows = sort_rows_by_due(rows, by_status=order == "status")
    _fill_units(session, rows)
    return rows


def _fill_units(session: Session, rows: list[TaskRow]) -> None:
    """Lead and responsible names for a page of rows, in one statement."""
    if not rows:
        return
    query = (select(Assignment.task_id, Assignment.role, Unit.name)
             .join(Unit, Unit.id == Assignment.unit_id)
             .where(Assignment.task_id.in_(list(dict.fromkeys(r.task_id for r in rows))), Assignment.archived.is_(False))
             .order_by(Assignment.task_id, Assignment.role, Assignment.position))
    add_units(rows, session.execute(query))


# ---------------------------------------------------------------------- one task


@dataclass(frozen=True)
class TaskTarget:
    """A quantified target a task carries (新增…家, 达到…亿元)."""

    indicator: str
    comparator: str | None
    value: float | None
    measure: str | None
    year: int | None


@dataclass(frozen=True)
class TaskDetail:
    plan_key: str
    plan_title: str
    document_number: str | None
    key: str
    title: str
    section: str | None
    text: str
    deadline_kind: str
    final_due_on: date | None
    due_on: date | None
    deadline_rule: str | None
    deadline_phrase: str | None
    archived: bool
    assignments: tuple[UnitStatus, ...]
    targets: tuple[TaskTarget, ...]
    history: tuple[StatusUpdate, ...]
    period_start: date | None = None
    timezone: str = clock.DEFAULT_TIMEZONE  # the plan's: every time shown with it is read in it
    requests: tuple[supervision.Request, ...] = ()  # closing and extension requests, with their decisions


def _history_query():
    acting = aliased(Unit)
    return (select(UpdateRow, Assignment.task_id, Plan.key, Task.key, Task.title, Assignment.unit_id, Unit.name,
                   Assignment.role, acting.name)
            .join(Assignment, Assignment.id == UpdateRow.assignment_id)
            .join(Unit, Unit.id == Assignment.unit_id)
            .join(Task, Task.id == Assignment.task_id).join(Plan, Plan.id == Task.plan_id)
            .outerjoin(acting, acting.id == UpdateRow.recorded_by_unit_id))


def _entry(update: UpdateRow, task_id: int, plan_key: str, task_key: str, title: str, unit_id: int, unit: str,
           role: str, acting: str | None) -> StatusUpdate:
    return StatusUpdate(update.id, update.assignment_id, task_id, plan_key, task_key, title, unit_id, unit, role,
                        update.status, update.percent, update.note, update.author, update.recorded_at,
                        update.undoes_id, acting)


def history(session: Session, plan_key: str, task_key: str) -> list[StatusUpdate]:
    task = get_task(session, plan_key, task_key)
    query = _history_query().where(Assignment.task_id == task.id).order_by(UpdateRow.id)
    return [_entry(*row) for row in session.execute(query)]


def _assignment_views(session: Session, where) -> list[UnitStatus]:
    via = aliased(Unit)
    last_note = (select(UpdateRow.note).where(UpdateRow.assignment_id == Assignment.id)
                 .order_by(UpdateRow.id.desc()).limit(1).scalar_subquery())
    query = (select(Assignment, Unit.name, via.name, last_note)
             .join(Unit, Unit.id == Assignment.unit_id).outerjoin(via, via.id == Assignment.via_group_id)
             .where(where).order_by(Assignment.role, Assignment.position))
    return [UnitStatus(a.id, a.task_id, a.unit_id, name, a.role, a.status, a.percent, a.status_at, note, a.version,
                       a.source, group, a.extended_due_on)
            for a, name, group, note in session.execute(query)]


def task_detail(session: Session, plan_key: str, task_key: str, today: date | None = None) -> TaskDetail:
    today = today or clock.today()
    task = get_task(session, plan_key, task_key)
    plan = task.plan
    assignments = _assignment_views(session, and_(Assignment.task_id == task.id, Assignment.archived.is_(False)))
    targets = tuple(TaskTarget(t.indicator, t.comparator, t.value, t.measure, t.year) for t in session.scalars(
        select(Target).where(Target.task_id == task.id).order_by(Target.position)))
    return TaskDetail(
        plan.key, plan.title, plan.document_number, task.key, task.title,
        task.section.title if task.section else None, task.text, task.deadline_kind, task.due_on,
        next_due(task.deadline_kind, task.due_on, task.deadline_rule, today, plan.period_start),
        task.deadline_rule, task.deadline_phrase, task.archived, tuple(assignments), targets,
        tuple(history(session, plan_key, task_key)), plan.period_start, plan.timezone,
        tuple(supervision.task_requests(session, plan_key, task_key)),
    )


def assignment_state(session: Session, assignment_id: int) -> UnitStatus:
    """One assignment as it is now: what a form must be based on after a conflict."""
    found = _assignment_views(session, Assignment.id == assignment_id)
    if not found:
        raise NotFound(N_("no assignment {id}"), id=assignment_id)
    return found[0]


# ---------------------------------------------------------------------- status updates


def find_assignment(session: Session, plan_key: str, task_key: str, unit_id: int) -> int:
    """The id of `unit_id`'s assignment on a task (its lead one, when it has both roles: a
    unit's status is one per task). PermissionDenied when the unit has no part in it."""
    task = get_task(session, plan_key, task_key)
    if task.archived:
        raise Archived(plan_key, task_key)
    return _assignment_for(session, task, unit_id).id


def _assignment_for(session: Session, task: Task, unit_id: int) -> Assignment:
    assignments = list(session.scalars(
        select(Assignment).where(Assignment.task_id == task.id, Assignment.unit_id == unit_id,
                                 Assignment.archived.is_(False)).order_by(Assignment.role)))
    if not assignments:
        name = session.scalar(select(Unit.name).where(Unit.id == unit_id))
        raise NotAssigned(name, task.plan.key, task.key)
    return assignments[0]  # lead sorts before responsible: a unit's status is one per task


def may_update(acting_unit_id: int, owner_unit_id: int, coordinator_id: int | None) -> bool:
    """Who may update an assignment's status: the unit it belongs to, or the plan's coordinating
    unit (any of the plan's). The one statement of the rule; the ledger's import asks it too."""
    return acting_unit_id == owner_unit_id or acting_unit_id == coordinator_id


def _check_permission(session: Session, assignment: Assignment, acting_unit_id: int) -> None:
    task = assignment.task
    if may_update(acting_unit_id, assignment.unit_id, task.plan.coordinator_id):
        return
    acting = session.scalar(select(Unit.name).where(Unit.id == acting_unit_id))
    owner = assignment.unit.name
    coordinator = session.scalar(select(Unit.name).where(Unit.id == task.plan.coordinator_id)) \
        if task.plan.coordinator_id else None
    raise NotYours(acting, owner, task.key, coordinator)


def check_may_update(session: Session, assignment_id: int, acting_unit_id: int) -> None:
    """Raise PermissionDenied unless the acting unit may record status on this assignment: the
    rule record_status applies, asked before a form opens (and no form while the task's closing
    request waits for the coordinator)."""
    assignment = _assignment(session, assignment_id)
    _check_permission(session, assignment, acting_unit_id)
    supervision.refuse_while_pending(session, assignment)


def _assignment(session: Session, assignment_id: int) -> Assignment:
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound(N_("no assignment {id}"), id=assignment_id)
    return assignment


def latest_update(session: Session, assignment_id: int) -> StatusUpdate | None:
    query = _history_query().where(UpdateRow.assignment_id == assignment_id).order_by(UpdateRow.id.desc()).limit(1)
    row = session.execute(query).first()
    return _entry(*row) if row else None


# A note says what happened and what comes next; it travels in every feed poll, digest and
# ledger of the unit, so it is bounded (and a ledger cell, at most 32,767 characters, holds it)
NOTE_LIMIT = 2000


def note_problem(note: str | None) -> TrackerError | None:
    """Why a note cannot be recorded (a refusal, worded when shown), or None when it can."""
    if note is not None and len(note.strip()) > NOTE_LIMIT:
        return TrackerError(N_("a note may hold at most {limit} characters; this one has {n}: shorten it, or put the "
                               "details in a document and name it"), limit=f"{NOTE_LIMIT:,}", n=f"{len(note.strip()):,}")
    return None


def validate_update(status: str, percent: int | None, note: str | None) -> None:
    """The rules every update keeps, whichever front end it comes from."""
    problem = note_problem(note)
    if problem:
        raise problem
    if status not in STATUSES:
        raise UnknownStatus(status)
    if percent is not None and not (0 <= percent <= 100):
        raise TrackerError(N_("percent must be between 0 and 100, not {percent}"), percent=percent)
    if status == "behind" and says_nothing(note):  # zero-width spaces are no reason
        raise TrackerError(N_("a note is required when a task is behind: say why and what comes next"))


def _author(session: Session, acting_unit_id: int, by: str | None) -> tuple[str | None, int | None]:
    """Who recorded an update, and their liaison row: `by`, or, when not given, the acting
    unit's liaison if it has exactly one (a unit with several must be told apart by name)."""
    liaisons = session.execute(select(Liaison.id, Liaison.name).where(Liaison.unit_id == acting_unit_id)
                               .order_by(Liaison.id)).all()
    by = by.strip() if by and by.strip() else None
    if by is None:
        return (liaisons[0].name, liaisons[0].id) if len(liaisons) == 1 else (None, None)
    return by, next((lid for lid, name in liaisons if name == by), None)


def _locked_version(session: Session, assignment_id: int) -> int | None:
    """The assignment's version as it is now, its row locked until the transaction ends.

    An update made from no view (`tracker status set`, an undo) is checked against nothing: it
    follows whatever landed before it. On PostgreSQL (READ COMMITTED) the row read earlier in the
    transaction may be older than what another writer has committed since, so the lock is taken
    and the version read again; a later writer waits for this one. SQLite's write transaction
    (BEGIN IMMEDIATE) holds the whole database already, and the FOR UPDATE is left out there."""
    return session.scalar(select(Assignment.version).where(Assignment.id == assignment_id).with_for_update())


def _append(session: Session, assignment: Assignment, acting_unit_id: int, *, status: str, percent: int | None,
            note: str | None, by: str | None, expected_version: int | None, undoes: int | None = None,
            shown: str | None = None) -> StatusUpdate:
    now = clock.now()
    author, liaison_id = _author(session, acting_unit_id, by)
    row = UpdateRow(assignment_id=assignment.id, status=status, percent=percent,
                    note=None if says_nothing(note) else note.strip(),
                    liaison_id=liaison_id, recorded_by_unit_id=acting_unit_id,
                    author=author, recorded_at=now, undoes_id=undoes)
    latest = {}
    if session.get_bind().dialect.name == "sqlite":
        # the new link of the assignment's history chain; on PostgreSQL the insert trigger makes it
        row.chain_hash = latest["history_hash"] = chain_hash(
            assignment.history_hash, {column: getattr(row, column) for column in CHAINED})
    # made from a view: checked against it; from none: against the version as it is now, locked
    guard = Assignment.version == (_locked_version(session, assignment.id) if expected_version is None
                                   else expected_version)
    # the version check and the bump are one statement, so two writers cannot both pass it
    result = session.execute(
        update(Assignment).where(Assignment.id == assignment.id, guard)
        .values(status=shown or status, percent=percent, status_at=now, version=Assignment.version + 1, **latest)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
        newer = latest_update(session, assignment.id)
        when = clock.shown(newer.recorded_at, assignment.task.plan.timezone) if newer else None
        raise Conflict(N_("{who} ({when}) updated this task meanwhile; look at the newer update and try again")
                       if newer else
                       N_("someone updated this task meanwhile; look at the newer update and try again"),
                       newer=newer, state=assignment_state(session, assignment.id),
                       who=(newer.author or newer.unit) if newer else None, when=when)
    session.add(row)
    session.flush()
    if not latest and connected_liaison(session) is not None:
        session.refresh(row, ["author", "recorded_at"])  # the insert trigger's, not ours
    task = assignment.task
    session.expire(assignment)
    acting = session.scalar(select(Unit.name).where(Unit.id == acting_unit_id))
    return StatusUpdate(row.id, assignment.id, task.id, task.plan.key, task.key, task.title, assignment.unit_id,
                        assignment.unit.name, assignment.role, status, percent, row.note, row.author,
                        row.recorded_at, undoes, acting)


def record_status(session: Session, *, assignment_id: int, acting_unit_id: int | None, status: str,
                  percent: int | None = None, note: str | None = None, by: str | None = None,
                  expected_version: int | None = None) -> StatusUpdate:
    """Append a status update to an assignment (find_assignment gives its id from names).

    `acting_unit_id` is the unit whose liaison records it (the assignment's own unit, or the
    plan's coordinator; None: the assignment's own, or on the shared database the connected
    liaison's); `by` the liaison, by default the acting unit's only liaison;
    `expected_version` the version the caller saw, so an update made meanwhile is not
    overwritten (Conflict carries the newer update and state)."""
    validate_update(status, percent, note)
    if status == "done" and percent is None:
        percent = 100
    assignment = _assignment(session, assignment_id)
    if assignment.task.archived or assignment.archived:
        raise Archived(assignment.task.plan.key, assignment.task.key)
    acting_unit_id, by = _acting(session, assignment, acting_unit_id, by)
    _check_permission(session, assignment, acting_unit_id)
    supervision.refuse_while_pending(session, assignment)
    if status == "done" and supervision.needs_approval(assignment, acting_unit_id):
        # a lead's 已完成 on a plan that wants approval is a closing request (申请办结)
        if acting_unit_id != assignment.unit_id:
            raise PermissionDenied(N_("only {unit} itself may report its task done and ask to close it"),
                                   unit=assignment.unit.name)
        request = supervision._file_closing(session, assignment, acting_unit_id, note=note, percent=percent, by=by,
                                            expected_version=expected_version)
        entry = latest_update(session, assignment.id)
        assert entry is not None
        return replace(entry, closing_request_id=request.id)
    return _append(session, assignment, acting_unit_id, status=status, percent=percent, note=note, by=by,
                   expected_version=expected_version)


def _acting(session: Session, assignment: Assignment, acting_unit_id: int | None,
            by: str | None) -> tuple[int, str | None]:
    """Who records an update: on the shared database the connected liaison (service/access.py,
    which refuses another unit or name), else the acting unit given, or the assignment's own."""
    acting_id, by = acting_identity(session, acting_unit_id, by)
    return (assignment.unit_id if acting_id is None else acting_id), by


def undo(session: Session, *, assignment_id: int, acting_unit_id: int | None,
         by: str | None = None) -> StatusUpdate:
    """Undo the latest update on an assignment, if the acting unit made it, by a new entry that
    restores the state before it (status, percent and note). Nothing is deleted."""
    assignment = _assignment(session, assignment_id)
    task_key = assignment.task.key
    acting_unit_id, by = _acting(session, assignment, acting_unit_id, by)
    _check_permission(session, assignment, acting_unit_id)
    supervision.refuse_while_pending(session, assignment)
    _locked_version(session, assignment.id)  # what is undone is the latest as it is now, not as first read
    updates = list(session.scalars(select(UpdateRow).where(UpdateRow.assignment_id == assignment.id)
                                   .order_by(UpdateRow.id.desc()).limit(2)))
    if not updates:
        raise NothingToUndo(N_("there is no update to undo on task {task}"), task=task_key)
    last = updates[0]
    if last.recorded_by_unit_id != acting_unit_id or (by and last.author and last.author != by):
        raise Conflict(N_("the latest update on task {task} was made by {who}, not by you; nothing was undone")
                       if last.author else
                       N_("the latest update on task {task} was made by another unit, not by you; nothing was undone"),
                       newer=latest_update(session, assignment.id), state=assignment_state(session, assignment.id),
                       task=task_key, who=last.author)
    if last.undoes_id is not None:
        raise NothingToUndo(N_("the latest entry is already an undo; record a new update instead"), already_undone=True)
    # every entry holds the whole state after it, so the state before `last` is the entry before it
    if len(updates) > 1:
        status, percent, note = updates[1].status, updates[1].percent, updates[1].note
    else:
        status, percent, note = "not_started", None, None
    if status == "done" and supervision.needs_approval(assignment, acting_unit_id):
        # the 已完成 it would bring back was approved once; a lead's task is closed again only by a new approval
        raise TrackerError(N_("undoing this update would close task {task} without the coordinating unit's approval; "
                              "record 已完成 again to ask for it (申请办结)"), task=task_key)
    return _append(session, assignment, acting_unit_id, status=status, percent=percent,
                   note=note, by=by, expected_version=None, undoes=last.id)
