"""Loading many tasks: a bounded number of statements per plan whatever its size, nothing
rewritten when nothing changed, and rows stored exactly as the ORM would store them."""

import re

from sqlalchemy import event, text

from bench.generate import SCALES, write_plan_files
from tracker import clock, service
from tracker.service.loading import load_paths
from tracker.planfile import dump_plan, read_plan

from .conftest import snapshot
from .recording import record


class Statements:
    """Counts the SQL statements an engine runs (an executemany counts once)."""

    def __init__(self, engine):
        self.engine = engine
        self.seen: list[str] = []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._watch)
        if self.engine.dialect.driver == "psycopg":  # rows in bulk go by COPY, beside SQLAlchemy
            import psycopg

            self._copy = psycopg.Cursor.copy
            seen = self.seen

            def copy(cursor, statement, *args, **kwargs):
                seen.append("INSERT " + _table(statement.replace("COPY", "INTO", 1)))
                return self._copy(cursor, statement, *args, **kwargs)

            psycopg.Cursor.copy = copy
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._watch)
        if self.engine.dialect.driver == "psycopg":
            import psycopg

            psycopg.Cursor.copy = self._copy

    def _watch(self, conn, cursor, statement, parameters, context, executemany):
        self.seen.append(statement.lstrip().split(None, 1)[0].upper() + " " + _table(statement))

    def count(self, prefix: str) -> int:
        return sum(1 for s in self.seen if s.startswith(prefix))


def _table(statement: str) -> str:
    found = re.search(r"(?:INTO|UPDATE|FROM)\s+\"?(\w+)", statement, re.IGNORECASE)
    return found.group(1).lower() if found else ""


def test_statements_per_plan_do_not_grow_with_its_tasks(db, tmp_path):
    folder = write_plan_files(5, SCALES["small"], tmp_path / "plans")
    with Statements(db.engine) as statements:
        _, changes = load_paths(db, [folder])
    plans = len(changes)
    assert plans == 6 and all(c.new_plan for c in changes)
    # per new plan: the plan row, sections (insert, read back, parents), tasks (insert, read back),
    # assignments, targets; the registry's statements come once
    assert statements.count("INSERT task") == plans
    assert statements.count("INSERT assignment") == plans
    plan_tables = ("plan", "section", "task", "assignment", "target")
    assert len([s for s in statements.seen if s.split(" ")[1] in plan_tables]) <= 10 * plans, statements.seen

    with Statements(db.engine) as again:
        _, changes = load_paths(db, [folder])
    assert not any(c.changed for c in changes)
    assert again.count("INSERT") == 0
    assert [s for s in again.seen if s.startswith("UPDATE")] == ["UPDATE plan"] * plans


def test_bulk_rows_are_stored_as_the_orm_stores_them(db, tmp_path):
    """Dates and times written by the bulk path read back the same way as those written by
    the ORM (SQLite keeps them as text: the format must be SQLAlchemy's own)."""
    folder = write_plan_files(5, SCALES["small"], tmp_path / "plans")
    clock.pin(None)
    load_paths(db, [folder])
    plan = read_plan(next(p for p in sorted(folder.glob("*.toml")) if p.name != "units.toml"))
    with db.transaction() as session:
        task = plan.tasks[0]
        unit = service.find_unit(session, task.lead[0] if not task.lead[0].startswith("各") else "市发展改革委")
        rows = service.unit_tasks(session, unit, plan_key=plan.key)
        if rows:
            record(session, plan_key=plan.key, task_key=rows[0].key, unit=unit, status="in_progress")
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as conn:
        bulk = conn.execute(text("SELECT changed_at, due_on FROM task WHERE due_on IS NOT NULL LIMIT 1")).one()
        orm = conn.execute(text("SELECT recorded_at FROM status_update")).scalar()
    shape = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")
    assert orm is None or shape.match(orm)
    assert shape.match(bulk.changed_at), bulk.changed_at
    assert re.match(r"^\d{4}-\d\d-\d\d$", bulk.due_on)


def test_revised_generated_plans_keep_history(db, tmp_path):
    """A revision of a large generated plan: tasks dropped, units changed, one task back."""
    folder = write_plan_files(9, SCALES["small"], tmp_path / "plans")
    load_paths(db, [folder])
    path = max((p for p in folder.glob("*.toml") if p.name != "units.toml"), key=lambda p: p.stat().st_size)
    plan = read_plan(path)
    targeted = {t.task for t in plan.targets}
    dropped = [t for t in plan.tasks if t.key not in targeted][:5]
    written = 0
    with db.transaction() as session:  # history on the tasks about to be dropped (and one restored)
        for task in dropped:
            for name in task.lead:
                if not name.startswith("各"):
                    record(session, plan_key=plan.key, task_key=task.key,
                                          unit=service.find_unit(session, name), status="in_progress", percent=10)
                    written += 1
    assert written
    with Statements(db.engine) as watch:
        plan.tasks = [t for t in plan.tasks if t not in dropped]
        plan.tasks[0].responsible = ([*plan.tasks[0].responsible, "市统计局"] if "市统计局" not in plan.tasks[0].lead
                                     else [])
        path.write_text(dump_plan(plan), encoding="utf-8")
        _, changes = load_paths(db, [folder])
        change = next(c for c in changes if c.plan == plan.key)
        assert sorted(change.archived) == sorted(t.key for t in dropped)
        assert plan.tasks[0].key in change.updated

        plan.tasks.insert(0, dropped[0])
        path.write_text(dump_plan(plan), encoding="utf-8")
        _, changes = load_paths(db, [folder])
        change = next(c for c in changes if c.plan == plan.key)
        assert change.restored == [dropped[0].key] and change.archived == []
    assert watch.count("UPDATE status_update") == 0 and watch.count("DELETE status_update") == 0
    with db.reading() as session:
        kept = sum(len(service.history(session, plan.key, t.key)) for t in dropped)
    assert kept == written  # archived tasks keep their history
    before = snapshot(db.url)[1]
    load_paths(db, [folder])
    after = snapshot(db.url)[1]
    assert {k: v for k, v in before.items() if k != "plan"} == {k: v for k, v in after.items() if k != "plan"}
