"""Queries for the spreadsheet ledger (台账): one plan's tasks with one status each, and the
state a returned ledger is compared with.

A ledger row shows one unit's status on a task: the unit the ledger was exported for, or, for
the whole plan, the task's lead. Where several units lead, the one named first speaks for the
task (the plan names its primary lead first); a task without a lead shows its first
responsible unit. Statement counts do not grow with the number of tasks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from .. import clock
from ..deadlines import is_overdue, next_due
from ..store.models import Assignment, Plan, Section, StatusUpdate, Task, Unit
from . import PlanSummary, UnitRef, get_plan


@dataclass(frozen=True)
class LedgerSection:
    key: str
    title: str
    parent_key: str | None


@dataclass(frozen=True)
class LedgerRow:
    task_key: str
    section_key: str | None
    text: str
    lead: list[str]  # as the plan wrote them: a group (各区、市政府) rather than its members
    responsible: list[str]
    deadline_kind: str
    final_due_on: date | None
    due_on: date | None  # when it is next due (a rule's next occurrence)
    deadline_rule: str | None
    deadline_phrase: str | None
    reporting_unit: str | None  # whose status this row shows
    status: str
    percent: int | None
    note: str | None
    status_at: datetime | None
    author: str | None
    version: int | None
    overdue: bool
    days_left: int | None
    extended_from: date | None = None  # the plan's own deadline, when an approved extension moved the row's


@dataclass(frozen=True)
class Ledger:
    plan_key: str
    title: str
    document_number: str | None
    jurisdiction: str
    timezone: str
    unit: str | None  # the unit it was exported for; None: the whole plan, lead's status
    today: date
    sections: dict[str, LedgerSection] = field(default_factory=dict)
    rows: list[LedgerRow] = field(default_factory=list)


def _assignments_by_task(session: Session, task_ids: list[int]) -> dict[int, list[tuple[Assignment, str, str]]]:
    """Each task's assignments, lead first, with the unit's name and the name the plan wrote
    (the group's, 各区、市政府, for a unit the group was expanded to)."""
    by_task: dict[int, list[tuple[Assignment, str, str]]] = {}
    if not task_ids:
        return by_task
    group = aliased(Unit)
    query = (select(Assignment, Unit.name, func.coalesce(group.name, Unit.name))
             .join(Unit, Unit.id == Assignment.unit_id).outerjoin(group, group.id == Assignment.via_group_id)
             .where(Assignment.task_id.in_(task_ids), Assignment.archived.is_(False))
             .order_by(Assignment.task_id, Assignment.role, Assignment.position))
    for assignment, name, written in session.execute(query):
        by_task.setdefault(assignment.task_id, []).append((assignment, name, written))
    return by_task


def _as_written(assignments: list[tuple[Assignment, str, str]], role: str) -> list[str]:
    return list(dict.fromkeys(written for a, _, written in assignments if a.role == role))


def _latest_updates(session: Session, assignment_ids: list[int]) -> dict[int, StatusUpdate]:
    """The newest history entry of each assignment: its note and author are what a ledger shows."""
    if not assignment_ids:
        return {}
    newest = (select(func.max(StatusUpdate.id)).where(StatusUpdate.assignment_id.in_(assignment_ids))
              .group_by(StatusUpdate.assignment_id))
    return {u.assignment_id: u for u in session.scalars(select(StatusUpdate).where(StatusUpdate.id.in_(newest)))}


def _speaker(assignments: list[tuple[Assignment, str, str]], unit: UnitRef | None) -> tuple[Assignment, str] | None:
    """Whose status a row shows: the unit's own (lead before responsible, as record_status
    picks), or for the whole plan the first-named lead, else the first responsible unit."""
    if unit is not None:
        return next(((a, n) for a, n, _ in assignments if a.unit_id == unit.id), None)
    return assignments[0][:2] if assignments else None  # ordered lead first, then by position


def ledger(session: Session, plan_key: str, unit: UnitRef | None = None, today: date | None = None) -> Ledger:
    """A plan's live tasks in plan order, each with one status; with `unit`, only its tasks."""
    today = today or clock.today()
    plan = get_plan(session, plan_key)
    out = Ledger(plan.key, plan.title, plan.document_number, plan.jurisdiction.name, plan.timezone,
                 unit.name if unit else None, today)
    sections = session.scalars(select(Section).where(Section.plan_id == plan.id).order_by(Section.position)).all()
    by_id = {s.id: s for s in sections}
    for s in sections:
        parent = by_id.get(s.parent_id) if s.parent_id else None
        out.sections[s.key] = LedgerSection(s.key, s.title, parent.key if parent else None)

    tasks_query = select(Task).where(Task.plan_id == plan.id, Task.archived.is_(False)).order_by(Task.position)
    if unit is not None:
        mine = select(Assignment.task_id).where(Assignment.unit_id == unit.id, Assignment.archived.is_(False))
        tasks_query = tasks_query.where(Task.id.in_(mine))
    tasks = session.scalars(tasks_query).all()
    assignments = _assignments_by_task(session, [t.id for t in tasks])
    speakers = {t.id: _speaker(assignments.get(t.id, []), unit) for t in tasks}
    latest = _latest_updates(session, [s[0].id for s in speakers.values() if s])

    for task in tasks:
        names = assignments.get(task.id, [])
        speaker = speakers[task.id]
        assignment, speaker_name = speaker if speaker else (None, None)
        last = latest.get(assignment.id) if assignment else None
        status = assignment.status if assignment else "not_started"
        # the row's deadline is its unit's: an approved extension's (延期), else the task's own
        final = (assignment.extended_due_on if assignment else None) or task.due_on
        due = next_due(task.deadline_kind, final, task.deadline_rule, today, plan.period_start)
        out.rows.append(LedgerRow(
            task_key=task.key, section_key=by_id[task.section_id].key if task.section_id else None,
            text=task.text,
            lead=_as_written(names, "lead"), responsible=_as_written(names, "responsible"),
            deadline_kind=task.deadline_kind, final_due_on=final, due_on=due,
            deadline_rule=task.deadline_rule, deadline_phrase=task.deadline_phrase,
            reporting_unit=speaker_name, status=status,
            percent=assignment.percent if assignment else None,
            note=last.note if last else None,
            status_at=assignment.status_at if assignment else None,
            author=last.author if last else None,
            version=assignment.version if assignment else None,
            overdue=is_overdue(task.deadline_kind, final, status, today),
            days_left=(due - today).days if due else None,
            extended_from=task.due_on if final != task.due_on else None,
        ))
    return out


# ---------------------------------------------------------------------- returned progress


@dataclass(frozen=True)
class ProgressState:
    """What the database holds for one task as a ledger row shows it: the status of one unit's
    assignment. A returned row is compared with it, so only changed rows become updates.

    A task's row, not a UnitStatus: there is one for every task of the plan, also for a task the
    unit has no part in and for a removed one (so a returned row naming it is told why it is
    refused), and such a row compares as 未启动 with no percent or note. It also keeps the
    latest update's author, which the refusal of a stale row names."""

    task_key: str
    archived: bool
    unit_id: int | None = None  # whose assignment; None: the unit has none on this task
    unit: str | None = None
    status: str = "not_started"
    percent: int | None = None
    note: str | None = None
    version: int | None = None
    status_at: datetime | None = None
    author: str | None = None
    assignment_id: int | None = None

    @property
    def assigned(self) -> bool:
        return self.unit_id is not None


def progress_states(session: Session, plan: PlanSummary, unit: UnitRef | None) -> dict[str, ProgressState]:
    """Every task of the plan (archived ones too, so they can be named as such) with the
    assignment its ledger row showed: `unit`'s own (the one record_status updates), or for a
    whole-plan ledger the first lead's. Four statements."""
    tasks = session.execute(select(Task.id, Task.key, Task.archived).where(Task.plan_id == plan.id)).all()
    assignments = _assignments_by_task(session, [task_id for task_id, _, archived in tasks if not archived])
    speakers = {task_id: _speaker(assignments.get(task_id, []), unit) for task_id, _, _ in tasks}
    latest = _latest_updates(session, [s[0].id for s in speakers.values() if s])
    states = {}
    for task_id, key, archived in tasks:
        speaker = speakers[task_id]
        if speaker is None:
            states[key] = ProgressState(key, archived)
            continue
        assignment, name = speaker
        last = latest.get(assignment.id)
        states[key] = ProgressState(key, archived, assignment.unit_id, name, assignment.status, assignment.percent,
                                    last.note if last else None, assignment.version, assignment.status_at,
                                    last.author if last else None, assignment.id)
    return states
