"""A unit's task list read straight through the database driver (sqlite3 or psycopg).

`tracker tasks` has a quarter of a second to answer at 10,000 tasks, and importing SQLAlchemy
and the ORM models alone takes about that long on a 2-core machine. So this module answers the
ordinary case without them: a database already at the newest schema revision, a unit name that
resolves to exactly one unit, a plan that exists. For anything else (first run, a pending
migration, an unknown or ambiguous name, another kind of database, a driver error) it returns
None, and the caller goes through the service layer, which migrates, explains the error, and is
the reference: tests/test_direct.py checks that both give the same rows, filter by filter, on
both engines. The rows themselves are built by tracker.store.tasklist, shared with the service layer,
so only the SQL below is written twice.
"""

from __future__ import annotations

from contextlib import closing
from datetime import date, datetime, timedelta
from pathlib import Path

from . import schema
from .tasklist import TaskRow, add_units, sort_rows_by_due, task_rows
from ..clock import utc
from ..registry import local_form, normalise_name


_TASKS = """
SELECT a.id, t.id, p."key", p.title, t."key", t.title, t.text, a.role, a.source, t.deadline_kind, t.due_on,
       t.deadline_rule, t.deadline_phrase, a.status, a.percent, a.status_at, a.version, p.period_start, s.title,
       p.timezone
FROM assignment a
JOIN task t ON t.id = a.task_id
JOIN "plan" p ON p.id = t.plan_id
LEFT OUTER JOIN section s ON s.id = t.section_id
WHERE a.unit_id = ? AND NOT a.archived AND NOT t.archived"""
_ORDER = """
ORDER BY p."key", t.position"""
_UNITS = """
SELECT a.task_id, a.role, u.name FROM assignment a JOIN unit u ON u.id = a.unit_id
WHERE a.task_id IN ({}) AND NOT a.archived ORDER BY a.task_id, a.role, a.position"""
_UNIT_BY_ALIAS = """
SELECT u.id FROM unit_alias a JOIN unit u ON u.id = a.unit_id JOIN jurisdiction j ON j.id = u.jurisdiction_id
WHERE a.alias = ?"""
_CHUNK = 5000  # task ids per IN list: well under every engine's limit on bound parameters


class _Reader:
    """One read-only transaction on one connection, with the driver's parameter style."""

    def __init__(self, connection, engine: str):
        self.connection = connection
        self.engine = engine
        self.cursor = connection.cursor()

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.engine == "postgresql":
            sql = sql.replace("?", "%s")
        self.cursor.execute(sql, params)
        return self.cursor.fetchall()

    def value(self, sql: str, params: tuple = ()):
        found = self.rows(sql, params)
        return found[0][0] if found else None

    # SQLite keeps dates and times as text, in SQLAlchemy's format; PostgreSQL has the types
    def day(self, value: date):
        return value.isoformat() if self.engine == "sqlite" else value

    def instant(self, value: datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f") if self.engine == "sqlite" else value


def _open(url: str):
    """A driver connection for a SQLAlchemy-style URL, or None when this module should not try."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        if not path or "?" in path or path == ":memory:" or not Path(path).is_file():
            return None  # no file yet: the service layer creates and migrates it
        import sqlite3

        try:
            connection = sqlite3.connect(path, isolation_level=None, timeout=30)
            connection.execute("BEGIN")  # one snapshot for all three statements (WAL: takes no lock)
        except sqlite3.Error:
            return None
        return _Reader(connection, "sqlite"), sqlite3.Error
    for scheme in ("postgresql://", "postgresql+psycopg://"):
        if url.startswith(scheme):
            import psycopg

            try:
                server = psycopg.connect("postgresql://" + url[len(scheme):])
            except psycopg.Error:  # unreachable, refused: the service layer says so properly
                return None
            return _Reader(server, "postgresql"), psycopg.Error
    return None


def _unit_id(reader: _Reader, name: str, jurisdiction: str | None) -> int | None:
    """tracker.service.find_unit, the case where exactly one unit answers to the name."""
    folded = normalise_name(name)
    if jurisdiction:
        found = {row[0] for row in reader.rows(_UNIT_BY_ALIAS + " AND j.name = ?", (folded, jurisdiction))}
    else:
        found = {row[0] for row in reader.rows(_UNIT_BY_ALIAS, (folded,))}
    if not found:
        # 青岛市商务局 → 市商务局, but only within 青岛市
        for (jname,) in reader.rows("SELECT name FROM jurisdiction"):
            if folded.startswith(jname) and (not jurisdiction or jname == jurisdiction):
                local = (local_form(folded, jname), jname)
                found.update(row[0] for row in reader.rows(_UNIT_BY_ALIAS + " AND j.name = ?", local))
    return found.pop() if len(found) == 1 else None


def _read(reader: _Reader, unit_id: int, *, role, plan_key, overdue, due_within, stale_days,
          today: date) -> list[TaskRow]:
    """The same statement as tracker.service._unit_task_query, ordered by deadline."""
    sql, params = _TASKS, [unit_id]
    if role:
        sql += " AND a.role = ?"
        params.append(role)
    if plan_key:
        sql += ' AND p."key" = ?'
        params.append(plan_key)
    if overdue:
        sql += " AND t.deadline_kind != 'ongoing' AND t.due_on < ? AND a.status != 'done'"
        params.append(reader.day(today))
    if due_within is not None:
        # rules are checked after the query against their next occurrence
        sql += (" AND t.deadline_kind != 'ongoing' AND a.status != 'done'"
                " AND (t.deadline_kind = 'rule' OR (t.due_on >= ? AND t.due_on <= ?))")
        params += [reader.day(today), reader.day(today + timedelta(days=due_within))]
    if stale_days is not None:
        cutoff = datetime.combine(today - timedelta(days=stale_days), datetime.min.time())
        sql += " AND a.status != 'done' AND (a.status_at IS NULL OR a.status_at < ?)"
        params.append(reader.instant(cutoff))
    records = reader.rows(sql + _ORDER, tuple(params))
    records = [_typed(r, reader.engine) for r in records]
    rows = sort_rows_by_due(task_rows(records, today, due_within))  # by next due date, as the service sorts
    task_ids = list(dict.fromkeys(r.task_id for r in rows))
    for start in range(0, len(task_ids), _CHUNK):
        chunk = task_ids[start:start + _CHUNK]
        add_units(rows, reader.rows(_UNITS.format(", ".join("?" * len(chunk))), tuple(chunk)))
    return rows


def _typed(record: tuple, engine: str) -> tuple:
    """A record with its dates and times as Python values, as the models read them: SQLite's
    text as dates and instants, and every instant in UTC (tracker.store.models.UTCDateTime)."""
    values = list(record)
    if engine == "sqlite":
        for index in (10, 17):  # due_on, period_start
            if values[index] is not None:
                values[index] = date.fromisoformat(values[index])
        if values[15] is not None:  # status_at
            values[15] = datetime.fromisoformat(values[15])
    if values[15] is not None:
        values[15] = utc(values[15])
    return tuple(values)


def unit_tasks(url: str, unit_name: str, jurisdiction: str | None = None, *, role: str | None = None,
               plan_key: str | None = None, overdue: bool = False, due_within: int | None = None,
               stale_days: int | None = None, today: date) -> list[TaskRow] | None:
    """A unit's tasks as tracker.service.unit_tasks lists them (deadline order), or None when
    the service layer has to answer (see the module's docstring)."""
    opened = _open(url)
    if opened is None:
        return None
    reader, driver_error = opened
    try:
        with closing(reader.connection):
            current = reader.value("SELECT version_num FROM alembic_version")
            if current is None or current != schema.head():
                return None
            unit_id = _unit_id(reader, unit_name, jurisdiction)
            if unit_id is None:
                return None
            if plan_key and reader.value('SELECT id FROM "plan" WHERE "key" = ?', (plan_key,)) is None:
                return None
            return _read(reader, unit_id, role=role, plan_key=plan_key, overdue=overdue, due_within=due_within,
                         stale_days=stale_days, today=today)
    except driver_error:
        return None  # e.g. no such table in a file that is not a tracker database
