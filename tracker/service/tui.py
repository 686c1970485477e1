"""Queries the liaison's terminal app needs beyond the core ones.

The plan tree is read a level at a time (a plan's top sections and loose tasks, then a
section's children when it is expanded), so a 300-plan database opens as quickly as a
3-plan one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import get_plan
from ..errors import N_, NotFound
from ..store.models import Assignment, Jurisdiction, Section, Task, Unit


@dataclass(frozen=True)
class OutlineSection:
    key: str
    title: str
    tasks: int  # live tasks in this section and every section under it


@dataclass(frozen=True)
class OutlineTask:
    key: str
    title: str
    deadline_kind: str
    due_on: date | None
    lead: tuple[str, ...] = ()
    my_role: str | None = None  # the viewing unit's role on it, if any
    my_status: str | None = None


def plan_outline(session: Session, plan_key: str, section_key: str | None = None,
                 unit_id: int | None = None) -> tuple[list[OutlineSection], list[OutlineTask]]:
    """One level of a plan's tree: the sections and tasks directly under `section_key`
    (the plan's top level when None), in plan order. Five statements whatever the plan's size."""
    plan = get_plan(session, plan_key)
    sections = session.execute(select(Section.id, Section.parent_id, Section.key, Section.title)
                               .where(Section.plan_id == plan.id).order_by(Section.position)).all()
    parent_id = None
    if section_key is not None:
        parent_id = next((sid for sid, _, key, _ in sections if key == section_key), None)
        if parent_id is None:
            raise NotFound(N_("plan {plan_key} has no section {section_key!r}"), plan_key=plan_key, section_key=section_key)
    direct = dict(session.execute(select(Task.section_id, func.count()).where(
        Task.plan_id == plan.id, Task.archived.is_(False)).group_by(Task.section_id)).all())
    children: dict[int | None, list[int]] = {}
    for sid, pid, _, _ in sections:
        children.setdefault(pid, []).append(sid)

    def subtree(sid: int) -> int:
        return direct.get(sid, 0) + sum(subtree(child) for child in children.get(sid, []))

    level = [OutlineSection(key, title, subtree(sid)) for sid, pid, key, title in sections if pid == parent_id]
    tasks = {t.id: t for t in session.scalars(
        select(Task).where(Task.plan_id == plan.id, Task.archived.is_(False),
                           Task.section_id.is_(None) if parent_id is None else Task.section_id == parent_id)
        .order_by(Task.position))}
    leads: dict[int, list[str]] = {}
    mine: dict[int, tuple[str, str]] = {}
    if tasks:
        query = (select(Assignment.task_id, Unit.name).join(Unit, Unit.id == Assignment.unit_id)
                 .where(Assignment.task_id.in_(list(tasks)), Assignment.role == "lead",
                        Assignment.archived.is_(False)).order_by(Assignment.task_id, Assignment.position))
        for task_id, name in session.execute(query):
            leads.setdefault(task_id, []).append(name)
        if unit_id is not None:
            roles = (select(Assignment.task_id, Assignment.role, Assignment.status)
                     .where(Assignment.task_id.in_(list(tasks)), Assignment.unit_id == unit_id,
                            Assignment.archived.is_(False)).order_by(Assignment.role.desc()))
            for task_id, role, status in session.execute(roles):  # lead last, so it wins
                mine[task_id] = (role, status)
    return level, [OutlineTask(t.key, t.title, t.deadline_kind, t.due_on, tuple(leads.get(t.id, ())),
                               *mine.get(t.id, (None, None))) for t in tasks.values()]


def jurisdiction_names(session: Session) -> list[str]:
    return list(session.scalars(select(Jurisdiction.name).order_by(Jurisdiction.id)))
