"""Queries the liaison's terminal app needs beyond the core ones.

The plan tree is read a level at a time (a plan's top sections and loose tasks, then a
section's children when it is expanded), so a 300-plan database opens as quickly as a
3-plan one. The permission check is the core rule itself, asked before the update form
opens so a liaison is not left typing into a form that cannot be saved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import _assignment_for, _check_permission, get_plan, get_task
from ..errors import NotFound
from ..store.models import Assignment, Jurisdiction, Section, Task, Unit


@dataclass
class OutlineSection:
    key: str
    title: str
    tasks: int  # live tasks in this section and every section under it


@dataclass
class OutlineTask:
    key: str
    title: str
    deadline_kind: str
    due_on: date | None
    lead: list[str] = field(default_factory=list)
    my_role: str | None = None  # the viewing unit's role on it, if any
    my_status: str | None = None


def plan_outline(session: Session, plan_key: str, section_key: str | None = None,
                 unit: Unit | None = None) -> tuple[list[OutlineSection], list[OutlineTask]]:
    """One level of a plan's tree: the sections and tasks directly under `section_key`
    (the plan's top level when None), in plan order. Five statements whatever the plan's size."""
    plan = get_plan(session, plan_key)
    sections = session.execute(select(Section.id, Section.parent_id, Section.key, Section.title)
                               .where(Section.plan_id == plan.id).order_by(Section.position)).all()
    parent_id = None
    if section_key is not None:
        parent_id = next((sid for sid, _, key, _ in sections if key == section_key), None)
        if parent_id is None:
            raise NotFound(f"plan {plan_key} has no section {section_key!r}")
    direct = dict(session.execute(select(Task.section_id, func.count()).where(
        Task.plan_id == plan.id, Task.archived.is_(False)).group_by(Task.section_id)).all())
    children: dict[int | None, list[int]] = {}
    for sid, pid, _, _ in sections:
        children.setdefault(pid, []).append(sid)

    def subtree(sid: int) -> int:
        return direct.get(sid, 0) + sum(subtree(child) for child in children.get(sid, []))

    level = [OutlineSection(key, title, subtree(sid)) for sid, pid, key, title in sections if pid == parent_id]
    tasks = {t.id: OutlineTask(t.key, t.title, t.deadline_kind, t.due_on) for t in session.scalars(
        select(Task).where(Task.plan_id == plan.id, Task.archived.is_(False),
                           Task.section_id.is_(None) if parent_id is None else Task.section_id == parent_id)
        .order_by(Task.position))}
    if tasks:
        leads = (select(Assignment.task_id, Unit.name).join(Unit, Unit.id == Assignment.unit_id)
                 .where(Assignment.task_id.in_(list(tasks)), Assignment.role == "lead",
                        Assignment.archived.is_(False)).order_by(Assignment.task_id, Assignment.position))
        for task_id, name in session.execute(leads):
            tasks[task_id].lead.append(name)
        if unit is not None:
            mine = (select(Assignment.task_id, Assignment.role, Assignment.status)
                    .where(Assignment.task_id.in_(list(tasks)), Assignment.unit_id == unit.id,
                           Assignment.archived.is_(False)).order_by(Assignment.role.desc()))
            for task_id, role, status in session.execute(mine):  # lead last, so it wins
                tasks[task_id].my_role, tasks[task_id].my_status = role, status
    return level, list(tasks.values())


def check_may_update(session: Session, *, plan_key: str, task_key: str, unit: Unit, acting_unit: Unit) -> None:
    """Raise PermissionDenied unless `acting_unit` may record status on `unit`'s assignment
    (its own, or any on a plan it coordinates): the same rule record_status applies."""
    task = get_task(session, plan_key, task_key)
    _check_permission(task, _assignment_for(session, task, unit), acting_unit)


@dataclass
class AssignmentState:
    version: int
    status: str
    percent: int | None
    status_at: datetime | None


def assignment_state(session: Session, assignment_id: int) -> AssignmentState:
    """The latest status and version of one assignment: what a form must be based on after a conflict."""
    row = session.execute(select(Assignment.version, Assignment.status, Assignment.percent, Assignment.status_at)
                          .where(Assignment.id == assignment_id)).first()
    if row is None:
        raise NotFound(f"no assignment {assignment_id}")
    return AssignmentState(*row)


def unit_by_id(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"no unit with id {unit_id}")
    return unit


def jurisdiction_names(session: Session) -> list[str]:
    return list(session.scalars(select(Jurisdiction.name).order_by(Jurisdiction.id)))
