"""Loading the unit registry and plan files into the database.

Idempotent by key: loading a revised plan updates text, units and deadlines of each task by its
key, keeps every status update, and archives (never deletes) tasks and assignments that
disappeared. Everything is validated before the first write, and the caller runs it inside one
transaction, so a bad file leaves the database as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .. import clock
from ..errors import TrackerError
from ..planfile import PlanFile, Task as TaskSpec
from ..units import Registry, Unit as RegistryUnit, UnknownUnit, normalise_name
from .models import (
    Assignment, GroupMember, Jurisdiction, Liaison, Plan, Section, Target, Task, Unit, UnitAlias,
)


# ---------------------------------------------------------------------- registry


def sync_registry(session: Session, registry: Registry) -> dict[str, int]:
    """Upsert jurisdictions, units, aliases, group members and liaisons. Units that left the
    registry stay in the database: assignments and history may point at them."""
    jurisdictions = {j.name: j for j in session.scalars(select(Jurisdiction))}
    for name, tz in registry.jurisdictions.items():
        if name not in jurisdictions:
            jurisdictions[name] = Jurisdiction(name=name, timezone=tz)
            session.add(jurisdictions[name])
        else:
            jurisdictions[name].timezone = tz
    session.flush()

    units = {(u.jurisdiction_id, u.name): u for u in session.scalars(select(Unit))}
    added = 0
    for spec in registry.units.values():
        jurisdiction = jurisdictions[spec.jurisdiction]
        unit = units.get((jurisdiction.id, spec.name))
        if unit is None:
            unit = Unit(jurisdiction_id=jurisdiction.id, name=spec.name)
            session.add(unit)
            units[(jurisdiction.id, spec.name)] = unit
            added += 1
        unit.full_name = spec.full_name
        unit.kind = spec.kind
        unit.choose = spec.choose
    session.flush()

    # aliases and memberships follow the registry; only the differences are written
    wanted_aliases: dict[tuple[int, str], int] = {}
    wanted_members: set[tuple[int, int]] = set()
    for spec in registry.units.values():
        jurisdiction = jurisdictions[spec.jurisdiction]
        unit = units[(jurisdiction.id, spec.name)]
        for alias in (spec.name, spec.full_name, *spec.aliases):
            if alias:
                wanted_aliases.setdefault((jurisdiction.id, normalise_name(alias)), unit.id)
        wanted_members.update((unit.id, units[(jurisdiction.id, m)].id) for m in spec.members)
    for alias in session.scalars(select(UnitAlias)):
        if wanted_aliases.get((alias.jurisdiction_id, alias.alias)) == alias.unit_id:
            del wanted_aliases[(alias.jurisdiction_id, alias.alias)]
        else:
            session.delete(alias)
    session.flush()
    session.add_all(UnitAlias(unit_id=u, jurisdiction_id=j, alias=a) for (j, a), u in wanted_aliases.items())
    for member in session.scalars(select(GroupMember)):
        if (member.group_id, member.member_id) in wanted_members:
            wanted_members.discard((member.group_id, member.member_id))
        else:
            session.delete(member)
    session.add_all(GroupMember(group_id=g, member_id=m) for g, m in wanted_members)

    liaisons = {(l.unit_id, l.name): l for l in session.scalars(select(Liaison))}
    for spec in registry.liaisons:
        unit = units[(jurisdictions[spec.jurisdiction].id, spec.unit)]
        liaison = liaisons.get((unit.id, spec.name))
        if liaison is None:
            liaison = Liaison(unit_id=unit.id, name=spec.name)
            session.add(liaison)
        liaison.title, liaison.contact, liaison.email = spec.title, spec.contact, spec.email
    session.flush()
    return {"units": len(registry.units), "new_units": added, "liaisons": len(registry.liaisons)}


# ---------------------------------------------------------------------- plans


@dataclass
class PlanChanges:
    plan: str
    new_plan: bool = False
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    assignments_added: int = 0
    assignments_archived: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.new_plan or self.added or self.updated or self.archived or self.restored
                    or self.assignments_added or self.assignments_archived)


@dataclass(frozen=True)
class _Wanted:
    unit: RegistryUnit
    role: str
    source: str
    via_group: RegistryUnit | None


def _wanted_assignments(plan: PlanFile, task: TaskSpec, registry: Registry, warnings: list[str]) -> list[_Wanted]:
    """The assignments a task's unit names stand for: groups expanded to their members, the
    relevant-ones groups (各相关…) kept whole and flagged for a person to choose."""
    wanted: dict[tuple[str, str], _Wanted] = {}
    lists = (("lead", "written", task.lead), ("responsible", "written", task.responsible),
             ("responsible", "inherited", task.inherited_responsible))
    for role, source, names in lists:
        for name in names:
            unit = registry.resolve(plan.jurisdiction, name)
            if unit.is_group and not unit.choose:
                for member in registry.expand(unit):
                    key = (member.name, role)
                    wanted.setdefault(key, _Wanted(member, role, "expanded" if source == "written" else source, unit))
                continue
            if unit.is_group and unit.choose:
                warnings.append(f"{plan.key} {task.key}: {unit.name} needs a person to choose the units "
                                f"(candidates: {len(unit.members)})")
            wanted.setdefault((unit.name, role), _Wanted(unit, role, source, None))
    # a lead is not also listed as merely responsible for the same task
    leads = {name for name, role in wanted if role == "lead"}
    return [w for (name, role), w in wanted.items() if not (role == "responsible" and name in leads)]


def validate_plan_units(plan: PlanFile, registry: Registry) -> list[TrackerError]:
    """Every unit name in the plan resolves, or an error names the file, line and closest names."""
    errors: list[TrackerError] = []
    where_file = str(plan.path) if plan.path else plan.key
    if plan.jurisdiction not in registry.jurisdictions:
        known = "、".join(registry.jurisdictions)
        return [TrackerError(f"unknown jurisdiction {plan.jurisdiction!r}; known: {known}", where=where_file)]
    lines = plan.path.read_text(encoding="utf-8").splitlines() if plan.path else []

    def line_of(name: str, start: int) -> int:
        for number in range(max(start, 1), len(lines) + 1):
            if f'"{name}"' in lines[number - 1]:
                return number
        return start

    if plan.coordinator:
        try:
            registry.resolve(plan.jurisdiction, plan.coordinator)
        except UnknownUnit as exc:
            errors.append(UnknownUnit(plan.coordinator, plan.jurisdiction, exc.suggestions,
                                      where=f"{where_file}:{line_of(plan.coordinator, 1)}"))
    for task in plan.tasks:
        for name in (*task.lead, *task.responsible, *task.inherited_responsible):
            if registry.lookup(plan.jurisdiction, name) is None:
                errors.append(UnknownUnit(name, plan.jurisdiction, registry.suggest(plan.jurisdiction, name),
                                          where=f"{where_file}:{line_of(name, task.line)}"))
    return errors


def _rule_last_occurrence(rule: str, start: date, end: date) -> date | None:
    from dateutil.rrule import rrulestr

    occurrences = rrulestr(rule, dtstart=datetime(start.year, start.month, start.day), cache=False)
    last = occurrences.before(datetime(end.year, end.month, end.day, 23, 59), inc=True)
    return last.date() if last else None


def _deadline_columns(plan: PlanFile, spec: TaskSpec) -> dict:
    deadline = spec.deadline
    columns = {"deadline_kind": deadline.kind, "deadline_rule": deadline.rule,
               "deadline_phrase": deadline.phrase, "due_on": deadline.due_on}
    if deadline.kind == "plan_end":
        columns["due_on"] = plan.period_end
    elif deadline.kind == "rule":
        start = plan.period_start or plan.written_on or date(date.today().year, 1, 1)
        end = plan.period_end or date(start.year + 5, 12, 31)
        columns["due_on"] = _rule_last_occurrence(deadline.rule, start, end)
    return columns


def load_plan(session: Session, plan: PlanFile, registry: Registry) -> PlanChanges:
    """Bring the database in line with one plan file. Call inside a transaction; validate first."""
    now = clock.now()
    jurisdiction = session.scalar(select(Jurisdiction).where(Jurisdiction.name == plan.jurisdiction))
    units = {u.name: u for u in session.scalars(select(Unit).where(Unit.jurisdiction_id == jurisdiction.id))}
    changes = PlanChanges(plan.key)

    row = session.scalar(select(Plan).where(Plan.key == plan.key))
    if row is None:
        row = Plan(key=plan.key, loaded_at=now)
        session.add(row)
        changes.new_plan = True
    row.title, row.document_number, row.issuer = plan.title, plan.document_number, plan.issuer
    row.jurisdiction_id = jurisdiction.id
    row.coordinator_id = units[registry.resolve(plan.jurisdiction, plan.coordinator).name].id if plan.coordinator else None
    row.written_on, row.published_on = plan.written_on, plan.published_on
    row.period_start, row.period_end = plan.period_start, plan.period_end
    row.timezone, row.source_file, row.source_sha256 = plan.timezone, plan.source, plan.source_sha256
    row.loaded_at = now
    session.flush()

    sections = {s.key: s for s in session.scalars(select(Section).where(Section.plan_id == row.id))}
    for position, spec in enumerate(plan.sections):
        section = sections.get(spec.key)
        if section is None:
            section = Section(plan_id=row.id, key=spec.key)
            session.add(section)
            sections[spec.key] = section
        section.title, section.position = spec.title, position
    session.flush()
    for spec in plan.sections:
        parent = sections.get(spec.parent_key) if spec.parent_key else None
        sections[spec.key].parent_id = parent.id if parent else None

    tasks = {t.key: t for t in session.scalars(select(Task).where(Task.plan_id == row.id))}
    existing = {}
    for a in session.scalars(select(Assignment).join(Task).where(Task.plan_id == row.id)):
        existing.setdefault(a.task_id, {})[(a.unit_id, a.role)] = a

    wanted_by_task: dict[str, list[_Wanted]] = {}
    for position, spec in enumerate(plan.tasks):
        wanted_by_task[spec.key] = _wanted_assignments(plan, spec, registry, changes.warnings)
        columns = dict(title=spec.short_title, text=spec.text, position=position,
                       section_id=sections[spec.section].id if spec.section else None,
                       **_deadline_columns(plan, spec))
        task = tasks.get(spec.key)
        if task is None:
            task = Task(plan_id=row.id, key=spec.key, changed_at=now, sequence=0, archived=False, **columns)
            session.add(task)
            tasks[spec.key] = task
            if not changes.new_plan:
                changes.added.append(spec.key)
            continue
        changed = {k for k, v in columns.items() if getattr(task, k) != v and k != "position"}
        if task.archived:
            task.archived = False
            changes.restored.append(spec.key)
            changed.add("archived")
        if changed:
            if changed & {"title", "due_on", "deadline_rule", "deadline_kind"}:
                task.sequence += 1
            task.changed_at = now
            if "archived" not in changed:
                changes.updated.append(spec.key)
        for k, v in columns.items():
            setattr(task, k, v)

    listed = {spec.key for spec in plan.tasks}
    for key, task in tasks.items():
        if key not in listed and not task.archived:
            task.archived = True
            task.changed_at = now
            task.sequence += 1
            changes.archived.append(key)
    session.flush()

    for spec in plan.tasks:
        task = tasks[spec.key]
        current = existing.get(task.id, {})
        keep: set[tuple[int, str]] = set()
        for position, wanted in enumerate(wanted_by_task[spec.key]):
            unit = units[wanted.unit.name]
            via = units[wanted.via_group.name].id if wanted.via_group else None
            keep.add((unit.id, wanted.role))
            assignment = current.get((unit.id, wanted.role))
            if assignment is None:
                session.add(Assignment(task_id=task.id, unit_id=unit.id, role=wanted.role, source=wanted.source,
                                       via_group_id=via, position=position, status="not_started", version=0,
                                       archived=False))
                changes.assignments_added += 1
                if not changes.new_plan and spec.key not in changes.added and spec.key not in changes.updated:
                    changes.updated.append(spec.key)
                    task.changed_at = now
                continue
            if assignment.archived:
                changes.assignments_added += 1
            assignment.archived = False
            assignment.source, assignment.via_group_id, assignment.position = wanted.source, via, position
        for key, assignment in current.items():
            if key not in keep and not assignment.archived:
                assignment.archived = True
                changes.assignments_archived += 1
                if spec.key not in changes.updated:
                    changes.updated.append(spec.key)
                    task.changed_at = now

    # targets carry no history: matched by position, so an unchanged plan rewrites nothing
    targets = list(session.scalars(select(Target).where(Target.plan_id == row.id).order_by(Target.position)))
    for position, spec in enumerate(plan.targets):
        target = targets[position] if position < len(targets) else None
        if target is None:
            target = Target(plan_id=row.id, position=position)
            session.add(target)
        values = dict(task_id=tasks[spec.task].id if spec.task else None, indicator=spec.indicator,
                      comparator=spec.comparator, value=spec.value, measure=spec.measure, year=spec.year,
                      due_on=spec.due_on)
        for k, v in values.items():
            if getattr(target, k) != v:
                setattr(target, k, v)
    for extra in targets[len(plan.targets):]:
        session.delete(extra)
    session.flush()
    return changes
