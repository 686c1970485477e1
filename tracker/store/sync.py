"""Loading the unit registry and plan files into the database.

Idempotent by key: loading a revised plan updates text, units and deadlines of each task by its
key, keeps every status update, and archives (never deletes) tasks and assignments that
disappeared. Everything is validated before the first write, and the caller runs it inside one
transaction, so a bad file leaves the database as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from .. import clock
from ..errors import TrackerError, UnknownJurisdiction
from ..ladder import DEFAULT as DEFAULT_LADDER, Ladder
from ..planfile import PlanFile, Task as TaskSpec, effective_approval, rule_span
from ..registry import Registry, Unit as RegistryUnit, UnknownUnit, normalise_name
from .models import (
    Assignment, GroupMember, Jurisdiction, Liaison, Plan, ReportingDuty, ReportingUnit, Section, Target, Task, Unit,
    UnitAlias,
)


# ---------------------------------------------------------------------- bulk statements
# A city's plans hold 50,000 tasks: rows are read as plain columns, compared in Python, and
# only the differences written, a few statements per table rather than one ORM object per row.

# session.info cache for one load: jurisdiction and unit ids (which only sync_registry changes),
# compiled INSERT statements
_CACHE = "tracker.sync"


def _cache(session: Session) -> dict:
    return session.info.setdefault(_CACHE, {"jurisdictions": None, "units": {}, "inserts": {}})


def _table(model: Any) -> Table:
    """A model's table (the declarative base types __table__ as any FromClause)."""
    return model.__table__


def _update_by_id(table, columns: tuple[str, ...]):
    """UPDATE table SET columns WHERE id = :_id, for executemany with rows keyed "_id", "_<column>"."""
    return (update(table).where(table.c.id == bindparam("_id"))
            .values({name: bindparam(f"_{name}") for name in columns}))


def _by_id_rows(rows: dict[int, dict], columns: tuple[str, ...]) -> list[dict]:
    return [{"_id": row_id, **{f"_{name}": values[name] for name in columns}} for row_id, values in rows.items()]


def _insert_many(session: Session, table, keys: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT many rows (tuples of the columns `keys`): COPY on PostgreSQL, otherwise straight
    through the driver's executemany.

    SQLAlchemy's own executemany builds and type-converts a parameter set per row in Python,
    which at 150,000 assignments costs about as much as SQLite's inserting them. Here the
    statement is compiled once per load, and a column whose type needs converting (dates on
    SQLite) has each distinct value converted once, by that type's own bind processor."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    if dialect.driver == "psycopg":
        # PostgreSQL takes rows fastest through COPY: one statement, no per-row round trip
        # (executemany has the server run one INSERT per row: 6.0 s against 4.2 s for a
        # city's plans)
        names = ", ".join(dialect.identifier_preparer.quote(key) for key in keys)
        cursor: Any = connection.connection.dbapi_connection.cursor()  # psycopg's: DBAPICursor has no copy()
        with cursor:
            with cursor.copy(f"COPY {dialect.identifier_preparer.format_table(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    compiled_inserts = _cache(session)["inserts"]
    if (table.name, keys) not in compiled_inserts:
        compiled_inserts[(table.name, keys)] = insert(table).compile(dialect=dialect, column_keys=list(keys))
    compiled = compiled_inserts[(table.name, keys)]
    columns: list[Sequence[Any]] = list(zip(*rows))
    for index, key in enumerate(keys):
        processor = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            converted = {value: processor(value) for value in set(columns[index])}
            columns[index] = [converted[value] for value in columns[index]]
    params: list[Any]  # positional (tuples) or named (dicts), as the dialect's paramstyle wants
    if compiled.positiontup is not None:
        order = [keys.index(compiled.binds[name].key) for name in compiled.positiontup]
        params = list(zip(*(columns[i] for i in order)))
    else:
        params = [dict(zip(keys, values)) for values in zip(*columns)]
    connection.exec_driver_sql(compiled.string, params)


# ---------------------------------------------------------------------- registry


def _changed_rows(session: Session, table, key_columns: tuple[str, ...], value_columns: tuple[str, ...],
                  wanted: dict[tuple, tuple]) -> dict[tuple, int]:
    """Bring `table` in line with `wanted` (key → values) by key: insert what is missing, update
    what differs, leave the rest (nothing is deleted). Returns every wanted key's id."""
    query = select(*(table.c[c] for c in key_columns), table.c.id, *(table.c[c] for c in value_columns))
    stored = {tuple(row[:len(key_columns)]): tuple(row[len(key_columns):]) for row in session.execute(query)}
    missing = [dict(zip(key_columns + value_columns, key + values)) for key, values in wanted.items()
               if key not in stored]
    if missing:
        session.execute(insert(table), missing)
    changed = {stored[key][0]: dict(zip(value_columns, values)) for key, values in wanted.items()
               if key in stored and stored[key][1:] != values}
    if changed:
        session.execute(_update_by_id(table, value_columns), _by_id_rows(changed, value_columns))
    if missing:
        stored = {tuple(row[:len(key_columns)]): tuple(row[len(key_columns):]) for row in session.execute(query)}
    return {key: stored[key][0] for key in wanted}


def sync_registry(session: Session, registry: Registry) -> dict[str, int]:
    """Upsert jurisdictions, units, aliases, group members and liaisons. Units that left the
    registry stay in the database: assignments and history may point at them. A few bulk
    statements per table, whatever the number of units."""
    session.flush()
    jurisdictions = _changed_rows(session, _table(Jurisdiction), ("name",), ("timezone",),
                                  {(name,): (tz,) for name, tz in registry.jurisdictions.items()})
    jurisdiction_ids = {name: row_id for (name,), row_id in jurisdictions.items()}
    unit_table = _table(Unit)
    before = session.scalar(select(func.count()).select_from(unit_table))
    units = _changed_rows(session, unit_table, ("jurisdiction_id", "name"),
                          ("full_name", "kind", "choose", "leader", "leader_email"), {
        (jurisdiction_ids[spec.jurisdiction], spec.name): (spec.full_name, spec.kind, spec.choose, spec.leader,
                                                           spec.leader_email)
        for spec in registry.units.values()})
    added = session.scalar(select(func.count()).select_from(unit_table)) - before

    # aliases and memberships follow the registry; only the differences are written
    wanted_aliases: dict[tuple[int, str], int] = {}
    wanted_members: dict[tuple[int, int], None] = {}
    for spec in registry.units.values():
        jurisdiction_id = jurisdiction_ids[spec.jurisdiction]
        unit_id = units[(jurisdiction_id, spec.name)]
        for alias in (spec.name, spec.full_name, *spec.aliases):
            if alias:
                wanted_aliases.setdefault((jurisdiction_id, normalise_name(alias)), unit_id)
        wanted_members.update(((unit_id, units[(jurisdiction_id, m)]), None) for m in spec.members)
    aliases = _table(UnitAlias)
    gone = []
    for alias_id, unit_id, jurisdiction_id, alias in session.execute(
            select(aliases.c.id, aliases.c.unit_id, aliases.c.jurisdiction_id, aliases.c.alias).order_by(aliases.c.id)):
        if wanted_aliases.get((jurisdiction_id, alias)) == unit_id:
            del wanted_aliases[(jurisdiction_id, alias)]
        else:
            gone.append(alias_id)
    if gone:  # first, so an alias that moved to another unit can be inserted again
        session.execute(delete(aliases).where(aliases.c.id.in_(gone)))
    if wanted_aliases:
        session.execute(insert(aliases), [{"unit_id": u, "jurisdiction_id": j, "alias": a}
                                          for (j, a), u in wanted_aliases.items()])
    members = _table(GroupMember)
    for group_id, member_id in session.execute(select(members.c.group_id, members.c.member_id)).all():
        if (group_id, member_id) in wanted_members:
            del wanted_members[(group_id, member_id)]
        else:
            session.execute(delete(members).where(members.c.group_id == group_id, members.c.member_id == member_id))
    if wanted_members:
        session.execute(insert(members), [{"group_id": g, "member_id": m} for g, m in wanted_members])

    _changed_rows(session, _table(Liaison), ("unit_id", "name"), ("title", "contact", "email"), {
        (units[(jurisdiction_ids[spec.jurisdiction], spec.unit)], spec.name): (spec.title, spec.contact, spec.email)
        for spec in registry.liaisons})
    session.expire_all()  # ORM objects loaded before now may hold old values
    session.info.pop(_CACHE, None)  # load_plan's cache of ids
    return {"units": len(registry.units), "new_units": added, "liaisons": len(registry.liaisons)}


# ---------------------------------------------------------------------- plans


class ToChoose(NamedTuple):
    """A task given to a relevant-ones group (各相关部门): a person must choose which of its
    `candidates` units take it on. A record, worded by the front end."""

    plan: str
    task: str
    group: str
    candidates: int


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
    warnings: list[ToChoose] = field(default_factory=list)  # tasks whose units a person must choose

    @property
    def changed(self) -> bool:
        return bool(self.new_plan or self.added or self.updated or self.archived or self.restored
                    or self.assignments_added or self.assignments_archived)


class _Wanted(NamedTuple):  # a tuple, not a dataclass: a city's plans make 150,000 of them
    unit: RegistryUnit
    role: str
    source: str
    via_group: RegistryUnit | None


def _wanted_assignments(plan: PlanFile, task: TaskSpec, registry: Registry, warnings: list[ToChoose],
                        resolve=None) -> list[_Wanted]:
    """The assignments a task's unit names stand for: groups expanded to their members, the
    relevant-ones groups (各相关…) kept whole and flagged for a person to choose.
    `resolve` (name → registry unit) lets a caller share one lookup cache across tasks."""
    resolve = resolve or (lambda name: registry.resolve(plan.jurisdiction, name))
    wanted: dict[tuple[str, str], _Wanted] = {}
    lists = (("lead", "written", task.lead), ("responsible", "written", task.responsible),
             ("responsible", "inherited", task.inherited_responsible))
    for role, source, names in lists:
        for name in names:
            unit = resolve(name)
            if unit.is_group:
                if not unit.choose:
                    member_source = "expanded" if source == "written" else source
                    for member in registry.expand(unit):
                        if (member.name, role) not in wanted:
                            wanted[(member.name, role)] = _Wanted(member, role, member_source, unit)
                    continue
                warnings.append(ToChoose(plan.key, task.key, unit.name, len(unit.members)))
            if (unit.name, role) not in wanted:
                wanted[(unit.name, role)] = _Wanted(unit, role, source, None)
    if not (task.responsible or task.inherited_responsible):
        return list(wanted.values())
    # a lead is not also listed as merely responsible for the same task
    leads = {name for name, role in wanted if role == "lead"}
    return [w for (name, role), w in wanted.items() if not (role == "responsible" and name in leads)]


def validate_plan_units(plan: PlanFile, registry: Registry) -> list[TrackerError]:
    """Every unit name in the plan resolves, or an error names the file, line and closest names."""
    errors: list[TrackerError] = []
    where_file = str(plan.path) if plan.path else plan.key
    if plan.jurisdiction not in registry.jurisdictions:
        return [UnknownJurisdiction(plan.jurisdiction, registry.jurisdictions, where=where_file)]
    lines: list[str] | None = None  # read only when there is an error to place

    def line_of(name: str, start: int) -> int:
        nonlocal lines
        if lines is None:
            lines = plan.path.read_text(encoding="utf-8").splitlines() if plan.path else []
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
    known: dict[str, bool] = {}  # a plan names the same few dozen units thousands of times
    for task in plan.tasks:
        for name in (*task.lead, *task.responsible, *task.inherited_responsible):
            found = known.get(name)
            if found is None:
                found = known[name] = registry.lookup(plan.jurisdiction, name) is not None
            if not found:
                errors.append(UnknownUnit(name, plan.jurisdiction, registry.suggest(plan.jurisdiction, name),
                                          where=f"{where_file}:{line_of(name, task.line)}"))
    for duty in plan.reporting:
        for name in duty.units or ():
            if registry.lookup(plan.jurisdiction, name) is None:
                errors.append(UnknownUnit(name, plan.jurisdiction, registry.suggest(plan.jurisdiction, name),
                                          where=f"{where_file}:{line_of(name, duty.line)}"))
    return errors


def _same_dates_every_period(rule: str) -> bool:
    """Whether a rule falls on the same calendar dates whatever its start: a yearly or monthly
    rule that names its day of the month (每年2月底前: FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1). Such
    a rule's last date in a period can be looked for in the period's last two years only."""
    parts = dict(part.split("=", 1) for part in rule.upper().split(";") if "=" in part)
    freq = parts.get("FREQ")
    return ((freq == "MONTHLY" or (freq == "YEARLY" and "BYMONTH" in parts)) and "BYMONTHDAY" in parts
            and parts.get("INTERVAL", "1") == "1"
            and not {"COUNT", "BYSETPOS", "BYWEEKNO", "BYYEARDAY", "BYEASTER"} & parts.keys())


@lru_cache(maxsize=4096)
def _rule_last_occurrence(rule: str, start: date, end: date) -> date | None:
    # cached: the tasks of one plan share a handful of rules and one period
    from dateutil.rrule import rrulestr

    def last_from(first: date) -> date | None:
        occurrences = rrulestr(rule, dtstart=datetime(first.year, first.month, first.day), cache=False)
        last = occurrences.before(datetime(end.year, end.month, end.day, 23, 59), inc=True)
        return last.date() if last else None

    late = date(end.year - 1, 1, 1)
    if late > start and _same_dates_every_period(rule):
        found = last_from(late)
        if found is not None:
            return found
    return last_from(start)


def _deadline_columns(plan: PlanFile, spec: TaskSpec) -> tuple[str, date | None, str | None, str | None]:
    """deadline_kind, due_on, deadline_rule, deadline_phrase of a task."""
    deadline = spec.deadline
    due_on = deadline.due_on
    if deadline.kind == "plan_end":
        due_on = plan.period_end
    elif deadline.kind == "rule":
        due_on = _rule_last_occurrence(deadline.rule, *rule_span(plan))
    return deadline.kind, due_on, deadline.rule, deadline.phrase


# a task's columns that follow its plan file; those written with them; those of new rows
_TASK_COLUMNS = ("title", "text", "position", "section_id", "deadline_kind", "due_on", "deadline_rule",
                 "deadline_phrase")
_TASK_WRITTEN = (*_TASK_COLUMNS, "archived", "changed_at", "sequence")
_NEW_TASK = ("plan_id", "key", "changed_at", "sequence", "archived", *_TASK_COLUMNS)
_NEW_ASSIGNMENT = ("task_id", "unit_id", "role", "source", "via_group_id", "position", "status", "version",
                   "archived")


def _jurisdiction_id(session: Session, name: str) -> int:
    cache = _cache(session)
    if cache["jurisdictions"] is None:
        cache["jurisdictions"] = dict(session.execute(select(Jurisdiction.name, Jurisdiction.id)).all())
    return cache["jurisdictions"][name]


def _unit_ids(session: Session, jurisdiction_id: int) -> dict[str, int]:
    cache = _cache(session)["units"]
    if jurisdiction_id not in cache:
        cache[jurisdiction_id] = dict(session.execute(
            select(Unit.name, Unit.id).where(Unit.jurisdiction_id == jurisdiction_id)).all())
    return cache[jurisdiction_id]


def _sync_plan_row(session: Session, plan: PlanFile, registry: Registry, jurisdiction_id: int,
                   units: dict[str, int], now: datetime, changes: PlanChanges) -> int:
    values = dict(
        title=plan.title, document_number=plan.document_number, issuer=plan.issuer, jurisdiction_id=jurisdiction_id,
        coordinator_id=units[registry.resolve(plan.jurisdiction, plan.coordinator).name] if plan.coordinator else None,
        written_on=plan.written_on, published_on=plan.published_on, period_start=plan.period_start,
        period_end=plan.period_end, timezone=plan.timezone, source_file=plan.source, source_sha256=plan.source_sha256,
        approval=effective_approval(plan), loaded_at=now, reminders=_ladder_json(plan.reminders or registry.reminders))
    table = _table(Plan)
    plan_id = session.scalar(select(table.c.id).where(table.c.key == plan.key))
    if plan_id is None:
        changes.new_plan = True
        return session.execute(insert(table).values(key=plan.key, **values).returning(table.c.id)).scalar_one()
    session.execute(update(table).where(table.c.id == plan_id).values(**values))
    return plan_id


def _ladder_json(ladder: Ladder | None) -> str | None:
    return None if ladder is None or ladder == DEFAULT_LADDER else ladder.to_json()


def _sync_sections(session: Session, plan: PlanFile, plan_id: int, new_plan: bool) -> dict[str, int]:
    """Sections by key: new ones added, titles and order kept in line; none is ever removed."""
    table = _table(Section)
    query = select(table.c.key, table.c.id, table.c.title, table.c.position, table.c.parent_id).where(
        table.c.plan_id == plan_id)
    existing = {} if new_plan else {key: rest for key, *rest in session.execute(query)}
    new = [{"plan_id": plan_id, "key": spec.key, "title": spec.title, "position": position, "parent_id": None}
           for position, spec in enumerate(plan.sections) if spec.key not in existing]
    if new:
        session.execute(insert(table), new)
        existing = {key: rest for key, *rest in session.execute(query)}
    ids = {key: row[0] for key, row in existing.items()}
    changed: dict[int, dict] = {}
    for position, spec in enumerate(plan.sections):
        section_id, title, old_position, parent_id = existing[spec.key]
        parent = ids.get(spec.parent_key) if spec.parent_key else None
        if (title, old_position, parent_id) != (spec.title, position, parent):
            changed[section_id] = {"title": spec.title, "position": position, "parent_id": parent}
    if changed:
        session.execute(_update_by_id(table, ("title", "position", "parent_id")),
                        _by_id_rows(changed, ("title", "position", "parent_id")))
    return ids


def load_plan(session: Session, plan: PlanFile, registry: Registry) -> PlanChanges:
    """Bring the database in line with one plan file. Call inside a transaction; validate first."""
    now = clock.now()
    jurisdiction_id = _jurisdiction_id(session, plan.jurisdiction)
    units = _unit_ids(session, jurisdiction_id)
    changes = PlanChanges(plan.key)
    plan_id = _sync_plan_row(session, plan, registry, jurisdiction_id, units, now, changes)
    sections = _sync_sections(session, plan, plan_id, changes.new_plan)

    # ---- tasks: by key; the new inserted, the changed updated, the missing archived
    tasks_table = _table(Task)
    task_query = (select(tasks_table.c.key, tasks_table.c.id,
                         *(tasks_table.c[name] for name in (*_TASK_COLUMNS, "archived", "changed_at", "sequence")))
                  .where(tasks_table.c.plan_id == plan_id).order_by(tasks_table.c.position, tasks_table.c.id))
    stored = {} if changes.new_plan else {row.key: row._asdict() for row in session.execute(task_query)}
    updated: set[str] = set()
    written: dict[str, dict] = {}  # key → the columns an existing task is written with
    new_tasks: list[tuple] = []  # in _NEW_TASK order
    resolved: dict[str, RegistryUnit] = {}

    def resolve(name: str) -> RegistryUnit:
        unit = resolved.get(name)
        if unit is None:
            unit = resolved[name] = registry.resolve(plan.jurisdiction, name)
        return unit

    wanted_by_task: dict[str, list[_Wanted]] = {}
    for position, spec in enumerate(plan.tasks):
        wanted_by_task[spec.key] = _wanted_assignments(plan, spec, registry, changes.warnings, resolve)
        kind, due_on, rule, phrase = _deadline_columns(plan, spec)
        row = stored.get(spec.key)
        if row is None:
            new_tasks.append((plan_id, spec.key, now, 0, False, spec.short_title, spec.text, position,
                              sections[spec.section] if spec.section else None, kind, due_on, rule, phrase))
            if not changes.new_plan:
                changes.added.append(spec.key)
            continue
        columns = dict(title=spec.short_title, text=spec.text, position=position,
                       section_id=sections[spec.section] if spec.section else None,
                       deadline_kind=kind, due_on=due_on, deadline_rule=rule, deadline_phrase=phrase)
        changed = {k for k, v in columns.items() if row[k] != v and k != "position"}
        values = {**columns, "archived": False, "changed_at": row["changed_at"], "sequence": row["sequence"]}
        if row["archived"]:
            changes.restored.append(spec.key)
            changed.add("archived")
        if changed:
            if changed & {"title", "due_on", "deadline_rule", "deadline_kind"}:
                values["sequence"] += 1
            values["changed_at"] = now
            if "archived" not in changed:
                changes.updated.append(spec.key)
                updated.add(spec.key)
        written[spec.key] = values

    listed = {spec.key for spec in plan.tasks}
    for key, row in stored.items():
        if key not in listed and not row["archived"]:
            written[key] = {**{k: row[k] for k in _TASK_WRITTEN}, "archived": True, "changed_at": now,
                            "sequence": row["sequence"] + 1}
            changes.archived.append(key)
    if new_tasks:
        _insert_many(session, tasks_table, _NEW_TASK, new_tasks)
    task_ids = {key: row["id"] for key, row in stored.items()}
    if new_tasks:  # the plan's tasks by key, the new ones with their ids now
        task_ids.update(session.execute(select(tasks_table.c.key, tasks_table.c.id)
                                        .where(tasks_table.c.plan_id == plan_id)).all())

    # ---- assignments: by (unit, role) per task; history stays with archived ones
    assignments_table = _table(Assignment)
    existing: dict[int, dict[tuple[int, str], tuple]] = {}
    assignment_query = (select(assignments_table.c.task_id, assignments_table.c.unit_id, assignments_table.c.role,
                               assignments_table.c.id, assignments_table.c.archived, assignments_table.c.source,
                               assignments_table.c.via_group_id, assignments_table.c.position)
                        .join(tasks_table, tasks_table.c.id == assignments_table.c.task_id)
                        .where(tasks_table.c.plan_id == plan_id))
    if stored:
        for task_id, unit_id, role, *rest in session.execute(assignment_query):
            existing.setdefault(task_id, {})[(unit_id, role)] = tuple(rest)
    added = set(changes.added)
    new_assignments: list[tuple] = []  # in _NEW_ASSIGNMENT order
    changed_assignments: dict[int, dict] = {}

    def touch(key: str) -> None:
        # a task whose units changed counts as updated: feeds re-send it
        if key not in updated:
            changes.updated.append(key)
            updated.add(key)
            written[key]["changed_at"] = now

    for spec in plan.tasks:
        task_id = task_ids[spec.key]
        current = existing.get(task_id, {})
        keep: set[tuple[int, str]] = set()
        for position, wanted in enumerate(wanted_by_task[spec.key]):
            unit_id = units[wanted.unit.name]
            via = units[wanted.via_group.name] if wanted.via_group else None
            keep.add((unit_id, wanted.role))
            found = current.get((unit_id, wanted.role))
            if found is None:
                new_assignments.append((task_id, unit_id, wanted.role, wanted.source, via, position, "not_started",
                                        0, False))
                changes.assignments_added += 1
                if not changes.new_plan and spec.key not in added:
                    touch(spec.key)
                continue
            assignment_id, archived, source, old_via, old_position = found
            if archived:
                changes.assignments_added += 1
            if (archived, source, old_via, old_position) != (False, wanted.source, via, position):
                changed_assignments[assignment_id] = {"archived": False, "source": wanted.source,
                                                      "via_group_id": via, "position": position}
        for key, (assignment_id, archived, source, via, position) in current.items():
            if key not in keep and not archived:
                changed_assignments[assignment_id] = {"archived": True, "source": source, "via_group_id": via,
                                                      "position": position}
                changes.assignments_archived += 1
                touch(spec.key)

    rewritten = {task_ids[key]: values for key, values in written.items()
                 if any(values[k] != stored[key][k] for k in _TASK_WRITTEN)}
    if rewritten:
        session.execute(_update_by_id(tasks_table, _TASK_WRITTEN), _by_id_rows(rewritten, _TASK_WRITTEN))
    if new_assignments:
        _insert_many(session, assignments_table, _NEW_ASSIGNMENT, new_assignments)
    if changed_assignments:
        moved = ("archived", "source", "via_group_id", "position")
        session.execute(_update_by_id(assignments_table, moved), _by_id_rows(changed_assignments, moved))

    _sync_targets(session, plan, plan_id, task_ids, changes.new_plan)
    _sync_reporting(session, plan, plan_id, units, registry, changes.new_plan)
    return changes


def _sync_reporting(session: Session, plan: PlanFile, plan_id: int, units: dict[str, int], registry: Registry,
                    new_plan: bool) -> None:
    """The plan's reporting duties (报送), by position; an unchanged plan rewrites nothing."""
    duties, named = _table(ReportingDuty), _table(ReportingUnit)
    wanted = [(d.rule, d.what, d.phrase, d.units is None,
               tuple(sorted({units[member.name] for n in d.units or ()
                              for member in registry.expand(registry.resolve(plan.jurisdiction, n))})))
              for d in plan.reporting]
    stored = [] if new_plan else session.execute(
        select(duties.c.id, duties.c.rule, duties.c.what, duties.c.phrase, duties.c.everyone)
        .where(duties.c.plan_id == plan_id).order_by(duties.c.position)).all()
    members: dict[int, tuple[int, ...]] = {}
    if stored:
        for duty_id, unit_id in session.execute(select(named.c.duty_id, named.c.unit_id)
                                                .where(named.c.duty_id.in_([row[0] for row in stored]))
                                                .order_by(named.c.unit_id)):
            members[duty_id] = members.get(duty_id, ()) + (unit_id,)
    current = [(row[1], row[2], row[3], bool(row[4]), members.get(row[0], ())) for row in stored]
    if current == wanted:
        return
    if stored:
        ids = [row[0] for row in stored]
        session.execute(delete(named).where(named.c.duty_id.in_(ids)))
        session.execute(delete(duties).where(duties.c.id.in_(ids)))
    for position, (rule, what, phrase, everyone, unit_ids) in enumerate(wanted):
        duty_id = session.execute(insert(duties).values(plan_id=plan_id, position=position, rule=rule, what=what,
                                                        phrase=phrase, everyone=everyone)
                                  .returning(duties.c.id)).scalar_one()
        if unit_ids:
            session.execute(insert(named), [{"duty_id": duty_id, "unit_id": u} for u in unit_ids])


def _sync_targets(session: Session, plan: PlanFile, plan_id: int, task_ids: dict[str, int], new_plan: bool) -> None:
    # targets carry no history: matched by position, so an unchanged plan rewrites nothing
    table = _table(Target)
    columns = ("task_id", "indicator", "comparator", "value", "measure", "year", "due_on")
    stored = [] if new_plan else session.execute(select(table.c.id, *(table.c[name] for name in columns))
                                                  .where(table.c.plan_id == plan_id).order_by(table.c.position)).all()
    new, changed = [], {}
    for position, spec in enumerate(plan.targets):
        values = dict(task_id=task_ids[spec.task] if spec.task else None, indicator=spec.indicator,
                      comparator=spec.comparator, value=spec.value, measure=spec.measure, year=spec.year,
                      due_on=spec.due_on)
        if position >= len(stored):
            new.append({"plan_id": plan_id, "position": position, **values})
        elif tuple(stored[position][1:]) != tuple(values.values()):
            changed[stored[position][0]] = values
    if new:
        session.execute(insert(table), new)
    if changed:
        session.execute(_update_by_id(table, columns), _by_id_rows(changed, columns))
    extra = [row[0] for row in stored[len(plan.targets):]]
    if extra:
        session.execute(delete(table).where(table.c.id.in_(extra)))
