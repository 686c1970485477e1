"""The ledger at city scale: export, returned progress, and a breakdown table read as a plan.

    python bench/ledger.py [--db bench/data/city.sqlite3] [--plans bench/data/city-plans]

Works on a copy of the database (the shared one is never written). Uses the largest plan of
the city dataset and the unit with most tasks in it; prints a Markdown table of the median of
three runs of each step and the SQL statements each one issued.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, select  # noqa: E402

from bench import DATA  # noqa: E402

from tracker import clock  # noqa: E402
from tracker.service import find_unit  # noqa: E402
from tracker.service.ledger import ledger  # noqa: E402
from tracker.store.db import Database  # noqa: E402
from tracker.store.models import Assignment, Plan, Task, Unit  # noqa: E402

TODAY = "2026-11-24"


class Statements:
    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args):
        self.count += 1


def timed(label, run, statements, rows, repeat=3):
    times, counts = [], []
    for _ in range(repeat):
        before = statements.count
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
        counts.append(statements.count - before)
    rows.append((label, statistics.median(times), counts[-1]))


def largest(session):
    plan_key = session.execute(select(Plan.key).join(Task).group_by(Plan.key)
                               .order_by(func.count().desc()).limit(1)).scalar_one()
    unit_name = session.execute(select(Unit.name).join(Assignment, Assignment.unit_id == Unit.id)
                                .join(Task, Task.id == Assignment.task_id).join(Plan, Plan.id == Task.plan_id)
                                .where(Plan.key == plan_key, Assignment.archived.is_(False))
                                .group_by(Unit.name).order_by(func.count().desc()).limit(1)).scalar_one()
    return plan_key, unit_name


def edit_rows(path, every):
    """Change the status of every `every`-th task row, as a person would in Excel."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    ws = book["台账"]
    changed = 0
    for n, row in enumerate(range(4, ws.max_row + 1)):
        if ws.cell(row, 2).value and n % every == 0:
            ws.cell(row, 7).value = "推进中" if ws.cell(row, 7).value != "推进中" else "已完成"
            ws.cell(row, 8).value = 50 if ws.cell(row, 7).value == "推进中" else 100
            ws.cell(row, 9).value = f"第{n}行的进展"
            changed += 1
    book.save(path)
    return changed


def breakdown_from(plan_path, out):
    """The plan laid out as a breakdown table: 重点任务 (its section) merged over its measures."""
    import openpyxl

    from tracker.planfile import read_plan

    plan = read_plan(plan_path)
    titles = {s.key: s.title for s in plan.sections}
    book = openpyxl.Workbook()
    ws = book.active
    ws.append([f"《{plan.title}》任务分解表"])
    ws.append(["序号", "重点任务", "具体措施", "牵头单位", "责任单位", "完成时限"])
    start, previous = 3, None
    for n, task in enumerate(plan.tasks, start=1):
        key_task = titles.get(task.section, "")
        ws.append([n, key_task, task.text, "、".join(task.lead), "、".join(task.responsible),
                   task.deadline.due_on.strftime("%Y年%m月%d日前") if task.deadline.due_on else task.deadline.phrase])
        row = ws.max_row
        if key_task != previous:
            if previous is not None and row - 1 > start:
                ws.merge_cells(start_row=start, start_column=2, end_row=row - 1, end_column=2)
            start, previous = row, key_task
    book.save(out)
    return plan, len(plan.tasks)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=str(DATA / "city.sqlite3"))
    parser.add_argument("--plans", default=str(DATA / "city-plans"))
    args = parser.parse_args()
    from tracker.ledger.breakdown import read_breakdown
    from tracker.ledger.export import export
    from tracker.ledger.progress import import_progress
    from tracker.registry import Registry

    work = Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    copy = work / "city.sqlite3"
    shutil.copy(args.db, copy)
    clock.pin(__import__("datetime").date.fromisoformat(TODAY))
    db = Database(f"sqlite:///{copy}")
    statements = Statements(db.engine)
    rows: list[tuple[str, float, int]] = []
    with db.reading() as session:
        plan_key, unit_name = largest(session)
        unit = find_unit(session, unit_name)
        whole = ledger(session, plan_key)
        mine = ledger(session, plan_key, unit)
        jurisdiction = whole.jurisdiction
    print(f"plan {plan_key}: {len(whole.rows)} tasks; {unit_name}: {len(mine.rows)} of them", file=sys.stderr)

    def query_whole():
        with db.reading() as session:
            ledger(session, plan_key)

    def query_unit():
        with db.reading() as session:
            ledger(session, plan_key, find_unit(session, unit_name))

    timed(f"ledger query, whole plan ({len(whole.rows)} tasks)", query_whole, statements, rows)
    timed(f"ledger query, one unit ({len(mine.rows)} tasks)", query_unit, statements, rows)
    timed("write .xlsx, whole plan", lambda: export(whole, work / "whole.xlsx"), statements, rows)
    timed("write .csv, whole plan", lambda: export(whole, work / "whole.csv"), statements, rows)
    export(mine, work / "mine.xlsx")
    changed = edit_rows(work / "mine.xlsx", every=5)
    print(f"edited {changed} rows; whole.xlsx {(work / 'whole.xlsx').stat().st_size // 1024} KiB", file=sys.stderr)
    by = "bench"
    timed(f"import-progress --dry-run ({changed} changed rows)",
          lambda: import_progress(db, work / "mine.xlsx", unit_name=unit_name, by=by, dry_run=True),
          statements, rows)
    timed(f"import-progress ({changed} changed rows)",
          lambda: import_progress(db, work / "mine.xlsx", unit_name=unit_name, by=by), statements, rows, repeat=1)
    timed("import-progress, same file again (nothing changed)",
          lambda: import_progress(db, work / "mine.xlsx", unit_name=unit_name, by=by), statements, rows)

    plan_file = Path(args.plans) / f"{plan_key}.toml"
    if plan_file.exists():
        _, tasks = breakdown_from(plan_file, work / "breakdown.xlsx")
        registry = Registry.load(Path(args.plans) / "units.toml")
        timed(f"import-plan, breakdown table of {tasks} rows",
              lambda: read_breakdown(work / "breakdown.xlsx", jurisdiction=jurisdiction, key="bench",
                                     registry=registry), statements, rows)
    db.dispose()
    shutil.rmtree(work)

    print("| step | median of 3 | SQL statements |")
    print("|---|---:|---:|")
    for label, seconds, count in rows:
        print(f"| {label} | {seconds * 1000:,.0f} ms | {count} |")


if __name__ == "__main__":
    main()
