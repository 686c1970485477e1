"""The service layer: every query and command over the store, and the rules.

The CLI, the TUI, calendar feeds, digests and the ledger all come through here; none of them
writes SQL of its own. Rules kept here: who may update what (a unit its own assignments, the
plan's coordinating unit any of the plan's), what overdue means (deadline passed, not done),
and optimistic concurrency (an update made from a stale view is refused, not lost).

This module holds the core queries and commands; the queries one consumer needs in bulk
(feeds, digests, the ledger) live beside it in this package, so all SQL stays in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from .. import clock
from ..deadlines import next_due
from ..errors import Conflict, NotFound, NothingToUndo, PermissionDenied, TrackerError
from ..i18n import STATUSES, status_label
from ..store.history import CHAINED, chain_hash
from ..store.tasklist import TaskRow, add_units, task_rows
from ..store.models import (
    Assignment, Jurisdiction, Liaison, Plan, Section, StatusUpdate, Target, Task, Unit, UnitAlias,
)
from ..registry import closest_names, local_form, normalise_name
from .access import acting_identity, connected_liaison

# ---------------------------------------------------------------------- units


def find_unit(session: Session, name: str, jurisdiction: str | None = None) -> Unit:
    """A unit by any of its names. A name used in several jurisdictions (市商务局) needs one."""
    folded = normalise_name(name)
    query = (select(Unit, Jurisdiction.name).join(UnitAlias, UnitAlias.unit_id == Unit.id)
             .join(Jurisdiction, Jurisdiction.id == Unit.jurisdiction_id))
    if jurisdiction:
        known = session.scalar(select(Jurisdiction.id).where(Jurisdiction.name == jurisdiction))
        if known is None:
            names = "、".join(session.scalars(select(Jurisdiction.name).order_by(Jurisdiction.id)))
            raise NotFound(f"unknown jurisdiction {jurisdiction!r}; known: {names or '(none loaded)'}")
        query = query.where(Unit.jurisdiction_id == known)
    found = {unit.id: (unit, jname) for unit, jname in session.execute(query.where(UnitAlias.alias == folded))}
    if not found:
        # 青岛市商务局 → 市商务局, but only within 青岛市
        for (jname,) in session.execute(select(Jurisdiction.name)):
            if folded.startswith(jname) and (not jurisdiction or jname == jurisdiction):
                local = query.where(UnitAlias.alias == local_form(folded, jname), Jurisdiction.name == jname)
                found.update({unit.id: (unit, j) for unit, j in session.execute(local)})
    if len(found) == 1:
        return next(iter(found.values()))[0]
    if len(found) > 1:
        places = "、".join(sorted(j for _, j in found.values()))
        raise TrackerError(f"{name!r} exists in several jurisdictions ({places}); add --jurisdiction")
    raise NotFound(f"unknown unit {name!r}" + (f" in {jurisdiction}" if jurisdiction else "")
                   + _suggestions(session, folded, jurisdiction))


def _suggestions(session: Session, folded: str, jurisdiction: str | None) -> str:
    query = select(UnitAlias.alias, Unit.name).join(Unit, Unit.id == UnitAlias.unit_id)
    if jurisdiction:
        query = query.join(Jurisdiction, Jurisdiction.id == Unit.jurisdiction_id).where(Jurisdiction.name == jurisdiction)
    picked = closest_names(folded, dict(session.execute(query).all()))
    return f"; closest known names: {'、'.join(picked)}" if picked else ""


@dataclass
class UnitSummary:
    id: int
    jurisdiction: str
    name: str
    full_name: str | None
    kind: str
    members: list[str]
    aliases: list[str]
    liaisons: list[str]


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
        members = [m.name for m in unit.members] if unit.kind == "group" else []
        own = {normalise_name(unit.name), normalise_name(unit.full_name or "")}
        out.append(UnitSummary(unit.id, jname, unit.name, unit.full_name, unit.kind, members,
                               [a for a in aliases.get(unit.id, []) if a not in own], liaisons.get(unit.id, [])))
    return out


def unit_liaisons(session: Session, unit: Unit) -> list[Liaison]:
    return list(session.scalars(select(Liaison).where(Liaison.unit_id == unit.id).order_by(Liaison.id)))


# ---------------------------------------------------------------------- plans


@dataclass
class PlanSummary:
    key: str
    title: str
    document_number: str | None
    jurisdiction: str
    coordinator: str | None
    period_start: date | None
    period_end: date | None
    tasks: int
    archived_tasks: int


def list_plans(session: Session) -> list[PlanSummary]:
    counts = (select(Task.plan_id, func.count().filter(Task.archived.is_(False)).label("live"),
                     func.count().filter(Task.archived.is_(True)).label("gone"))
              .group_by(Task.plan_id).subquery())
    coordinator = aliased(Unit)
    query = (select(Plan, Jurisdiction.name, coordinator.name, counts.c.live, counts.c.gone)
             .join(Jurisdiction, Jurisdiction.id == Plan.jurisdiction_id)
             .outerjoin(coordinator, coordinator.id == Plan.coordinator_id)
             .outerjoin(counts, counts.c.plan_id == Plan.id).order_by(Plan.key))
    return [PlanSummary(p.key, p.title, p.document_number, j, c, p.period_start, p.period_end, live or 0, gone or 0)
            for p, j, c, live, gone in session.execute(query)]


def get_plan(session: Session, key: str) -> Plan:
    plan = session.scalar(select(Plan).where(Plan.key == key))
    if plan is None:
        known = "、".join(session.scalars(select(Plan.key).order_by(Plan.key)))
        raise NotFound(f"unknown plan {key!r}; known plans: {known or '(none loaded)'}")
    return plan


def get_task(session: Session, plan_key: str, task_key: str) -> Task:
    plan = get_plan(session, plan_key)
    task = session.scalar(select(Task).where(Task.plan_id == plan.id, Task.key == task_key))
    if task is None:
        raise NotFound(f"plan {plan_key} has no task {task_key!r}")
    return task


# ---------------------------------------------------------------------- task lists


# a task list reads plain columns (tracker.store.tasklist.COLUMNS), not ORM objects: 2,000 rows build
# in a few milliseconds
_ROW_COLUMNS = (Assignment.id, Task.id, Plan.key, Plan.title, Task.key, Task.title, Task.text, Assignment.role,
                Assignment.source, Task.deadline_kind, Task.due_on, Task.deadline_rule, Task.deadline_phrase,
                Assignment.status, Assignment.percent, Assignment.status_at, Assignment.version, Plan.period_start)


def _unit_task_query(unit: Unit, *, role: str | None, plan_key: str | None, overdue: bool,
                     due_within: int | None, stale_days: int | None, search: str | None, today: date):
    section = aliased(Section)
    query = (select(*_ROW_COLUMNS, section.title)
             .join(Task, Task.id == Assignment.task_id)
             .join(Plan, Plan.id == Task.plan_id)
             .outerjoin(section, section.id == Task.section_id)
             .where(Assignment.unit_id == unit.id, Assignment.archived.is_(False), Task.archived.is_(False)))
    if role:
        query = query.where(Assignment.role == role)
    if plan_key:
        query = query.where(Plan.key == plan_key)
    if overdue:
        query = query.where(Task.deadline_kind != "ongoing", Task.due_on < today, Assignment.status != "done")
    if due_within is not None:
        # rules are checked after the query against their next occurrence
        horizon = today + timedelta(days=due_within)
        query = query.where(Task.deadline_kind != "ongoing", Assignment.status != "done",
                            or_(Task.deadline_kind == "rule", and_(Task.due_on >= today, Task.due_on <= horizon)))
    if stale_days is not None:
        cutoff = datetime.combine(today - timedelta(days=stale_days), datetime.min.time())
        query = query.where(Assignment.status != "done",
                            or_(Assignment.status_at.is_(None), Assignment.status_at < cutoff))
    if search:
        pattern = search.strip()
        query = query.where(or_(Task.text.contains(pattern, autoescape=True),
                                Task.key.contains(pattern, autoescape=True),
                                Plan.key.contains(pattern, autoescape=True),
                                section.title.contains(pattern, autoescape=True)))
    return query


def count_unit_tasks(session: Session, unit: Unit, *, role: str | None = None, search: str | None = None,
                     today: date | None = None) -> int:
    query = _unit_task_query(unit, role=role, plan_key=None, overdue=False, due_within=None, stale_days=None,
                             search=search, today=today or clock.today())
    return session.scalar(select(func.count()).select_from(query.with_only_columns(Assignment.id).subquery()))


ORDERS = ("deadline", "status", "plan", "updated")


def unit_tasks(session: Session, unit: Unit, *, role: str | None = None, plan_key: str | None = None,
               overdue: bool = False, due_within: int | None = None, stale_days: int | None = None,
               search: str | None = None, order: str = "deadline", limit: int | None = None, offset: int = 0,
               today: date | None = None) -> list[TaskRow]:
    """A unit's tasks, filtered and paged in SQL. Two statements whatever the number of tasks."""
    today = today or clock.today()
    query = _unit_task_query(unit, role=role, plan_key=plan_key, overdue=overdue, due_within=due_within,
                             stale_days=stale_days, search=search, today=today)
    ongoing_last = (Task.deadline_kind == "ongoing")
    orderings = {
        "deadline": (ongoing_last, Task.due_on, Plan.key, Task.position),
        "status": (Assignment.status, Task.due_on, Plan.key, Task.position),
        "plan": (Plan.key, Task.position),
        "updated": (Assignment.status_at.desc(), Plan.key, Task.position),
    }
    if order not in orderings:
        raise TrackerError(f"unknown order {order!r}; use one of {', '.join(ORDERS)}")
    query = query.order_by(*orderings[order])
    if limit is not None:
        query = query.limit(limit).offset(offset)
    rows = task_rows(session.execute(query), today, due_within)
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


@dataclass
class HistoryEntry:
    id: int
    unit: str
    role: str
    status: str
    percent: int | None
    note: str | None
    author: str | None
    recorded_at: datetime
    undoes_id: int | None

    def to_json(self, lang: str = "zh") -> dict:
        return {"id": self.id, "unit": self.unit, "role": self.role, "status": self.status,
                "status_label": status_label(self.status, lang), "percent": self.percent, "note": self.note,
                "author": self.author, "recorded_at": self.recorded_at.isoformat(), "undoes": self.undoes_id}


@dataclass
class AssignmentView:
    assignment_id: int
    unit: str
    unit_id: int
    role: str
    source: str
    via_group: str | None
    status: str
    percent: int | None
    status_at: datetime | None
    version: int
    last_note: str | None


@dataclass
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
    assignments: list[AssignmentView]
    targets: list[Target]
    history: list[HistoryEntry]


def _history_query():
    return (select(StatusUpdate, Unit.name, Assignment.role)
            .join(Assignment, Assignment.id == StatusUpdate.assignment_id)
            .join(Unit, Unit.id == Assignment.unit_id))


def _entry(update: StatusUpdate, unit: str, role: str) -> HistoryEntry:
    return HistoryEntry(update.id, unit, role, update.status, update.percent, update.note, update.author,
                        update.recorded_at, update.undoes_id)


def history(session: Session, plan_key: str, task_key: str) -> list[HistoryEntry]:
    task = get_task(session, plan_key, task_key)
    query = _history_query().where(Assignment.task_id == task.id).order_by(StatusUpdate.id)
    return [_entry(u, n, r) for u, n, r in session.execute(query)]


def task_detail(session: Session, plan_key: str, task_key: str, today: date | None = None) -> TaskDetail:
    today = today or clock.today()
    task = get_task(session, plan_key, task_key)
    plan = task.plan
    via = aliased(Unit)
    last_note = (select(StatusUpdate.note).where(StatusUpdate.assignment_id == Assignment.id)
                 .order_by(StatusUpdate.id.desc()).limit(1).scalar_subquery())
    query = (select(Assignment, Unit.name, via.name, last_note)
             .join(Unit, Unit.id == Assignment.unit_id).outerjoin(via, via.id == Assignment.via_group_id)
             .where(Assignment.task_id == task.id, Assignment.archived.is_(False))
             .order_by(Assignment.role, Assignment.position))
    assignments = [AssignmentView(a.id, name, a.unit_id, a.role, a.source, group, a.status, a.percent,
                                  a.status_at, a.version, note)
                   for a, name, group, note in session.execute(query)]
    targets = list(session.scalars(select(Target).where(Target.task_id == task.id).order_by(Target.position)))
    return TaskDetail(
        plan.key, plan.title, plan.document_number, task.key, task.title,
        task.section.title if task.section else None, task.text, task.deadline_kind, task.due_on,
        next_due(task.deadline_kind, task.due_on, task.deadline_rule, today, plan.period_start),
        task.deadline_rule, task.deadline_phrase, task.archived, assignments, targets,
        history(session, plan_key, task_key),
    )


# ---------------------------------------------------------------------- status updates


def _assignment_for(session: Session, task: Task, unit: Unit) -> Assignment:
    assignments = list(session.scalars(
        select(Assignment).where(Assignment.task_id == task.id, Assignment.unit_id == unit.id,
                                 Assignment.archived.is_(False)).order_by(Assignment.role)))
    if not assignments:
        raise PermissionDenied(f"{unit.name} is not assigned to task {task.key} of plan {task.plan.key}")
    return assignments[0]  # lead sorts before responsible: a unit's status is one per task


def may_update(acting_unit_id: int, owner_unit_id: int, coordinator_id: int | None) -> bool:
    """Who may update an assignment's status: the unit it belongs to, or the plan's coordinating
    unit (any of the plan's). The one statement of the rule; the ledger's import asks it too."""
    return acting_unit_id == owner_unit_id or acting_unit_id == coordinator_id


def _check_permission(task: Task, assignment: Assignment, acting: Unit) -> None:
    if may_update(acting.id, assignment.unit_id, task.plan.coordinator_id):
        return
    raise PermissionDenied(f"{acting.name} may not update {assignment.unit.name}'s status on task {task.key}: "
                           f"only {assignment.unit.name} itself or the plan's coordinating unit may")


def latest_update(session: Session, assignment_id: int) -> HistoryEntry | None:
    query = _history_query().where(StatusUpdate.assignment_id == assignment_id).order_by(StatusUpdate.id.desc()).limit(1)
    row = session.execute(query).first()
    return _entry(*row) if row else None


def validate_update(status: str, percent: int | None, note: str | None) -> None:
    if status not in STATUSES:
        raise TrackerError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    if percent is not None and not (0 <= percent <= 100):
        raise TrackerError(f"percent must be between 0 and 100, not {percent}")
    if status == "behind" and not (note and note.strip()):
        raise TrackerError("a note is required when a task is behind (滞后): say why and what comes next")


def _liaison_id(session: Session, unit: Unit, name: str | None) -> int | None:
    if not name:
        return None
    return session.scalar(select(Liaison.id).where(Liaison.unit_id == unit.id, Liaison.name == name))


def _append(session: Session, assignment: Assignment, acting: Unit, *, status: str, percent: int | None,
            note: str | None, by: str | None, expected_version: int | None, undoes: int | None = None) -> HistoryEntry:
    now = clock.now()
    row = StatusUpdate(assignment_id=assignment.id, status=status, percent=percent,
                       note=note.strip() if note and note.strip() else None,
                       liaison_id=_liaison_id(session, acting, by), recorded_by_unit_id=acting.id,
                       author=by, recorded_at=now, undoes_id=undoes)
    latest = {}
    if session.get_bind().dialect.name == "sqlite":
        # the new link of the assignment's history chain; on PostgreSQL the insert trigger makes it
        row.chain_hash = latest["history_hash"] = chain_hash(
            assignment.history_hash, {column: getattr(row, column) for column in CHAINED})
    guard = Assignment.version == (assignment.version if expected_version is None else expected_version)
    # the version check and the bump are one statement, so two writers cannot both pass it
    result = session.execute(
        update(Assignment).where(Assignment.id == assignment.id, guard)
        .values(status=status, percent=percent, status_at=now, version=Assignment.version + 1, **latest)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
        newer = latest_update(session, assignment.id)
        who = f"{newer.author or newer.unit} ({newer.recorded_at:%Y-%m-%d %H:%M})" if newer else "someone"
        raise Conflict(f"{who} updated this task meanwhile; look at the newer update and try again", newer=newer)
    session.add(row)
    session.flush()
    if not latest and connected_liaison(session) is not None:
        session.refresh(row, ["author", "recorded_at"])  # the insert trigger's, not ours
    session.expire(assignment)
    return HistoryEntry(row.id, assignment.unit.name, assignment.role, status, percent, row.note, row.author,
                        row.recorded_at, undoes)


def record_status(session: Session, *, plan_key: str, task_key: str, unit: Unit, status: str,
                  percent: int | None = None, note: str | None = None, by: str | None = None,
                  acting_unit: Unit | None = None, expected_version: int | None = None) -> HistoryEntry:
    """Append a status update to `unit`'s assignment on a task.

    `acting_unit` is whose liaison is recording (default: the unit itself); `expected_version`
    is the assignment version the caller saw, so an update made meanwhile is not overwritten."""
    validate_update(status, percent, note)
    if status == "done" and percent is None:
        percent = 100
    task = get_task(session, plan_key, task_key)
    if task.archived:
        raise TrackerError(f"task {task_key} of plan {plan_key} was removed from the plan (archived)")
    assignment = _assignment_for(session, task, unit)
    acting, by = _acting(session, unit, acting_unit, by)
    _check_permission(task, assignment, acting)
    return _append(session, assignment, acting, status=status, percent=percent, note=note, by=by,
                   expected_version=expected_version)


def _acting(session: Session, unit: Unit, acting_unit: Unit | None, by: str | None) -> tuple[Unit, str | None]:
    """Who records an update on `unit`'s assignment: on the shared database the connected
    liaison (service/access.py), else the acting unit given, or the unit itself."""
    acting_id, by = acting_identity(session, acting_unit.id if acting_unit else None, by)
    if acting_id is None:
        return acting_unit or unit, by
    return acting_unit if acting_unit and acting_unit.id == acting_id else session.get(Unit, acting_id), by


def undo_last(session: Session, *, plan_key: str, task_key: str, unit: Unit, by: str | None = None,
              acting_unit: Unit | None = None) -> HistoryEntry:
    """Undo the latest update on `unit`'s assignment, if the acting unit made it, by a new
    entry that restores the state before it. Nothing is deleted."""
    task = get_task(session, plan_key, task_key)
    assignment = _assignment_for(session, task, unit)
    acting, by = _acting(session, unit, acting_unit, by)
    _check_permission(task, assignment, acting)
    updates = list(session.scalars(select(StatusUpdate).where(StatusUpdate.assignment_id == assignment.id)
                                   .order_by(StatusUpdate.id.desc()).limit(2)))
    if not updates:
        raise NothingToUndo(f"there is no update to undo on task {task_key}")
    last = updates[0]
    if last.recorded_by_unit_id != acting.id or (by and last.author and last.author != by):
        raise Conflict(f"the latest update on task {task_key} was made by {last.author or 'another unit'}, "
                       f"not by you; nothing was undone", newer=latest_update(session, assignment.id))
    if last.undoes_id is not None:
        raise NothingToUndo("the latest entry is already an undo; record a new update instead", already_undone=True)
    # every entry holds the whole state after it, so the state before `last` is the entry before it
    if len(updates) > 1:
        status, percent = updates[1].status, updates[1].percent
    else:
        status, percent = "not_started", None
    return _append(session, assignment, acting, status=status, percent=percent,
                   note=f"撤销 #{last.id}", by=by, expected_version=None, undoes=last.id)
