"""`tracker ledger`: the spreadsheet ledger (台账) out, and progress and plans back in."""

from __future__ import annotations

from pathlib import Path

import click

from ..cli import App, pass_app
from ..errors import TrackerError


@click.group()
def ledger() -> None:
    """The spreadsheet ledger (台账): export it, import returned progress, import breakdown tables."""


@ledger.command("export")
@click.option("--plan", "plan_key", required=True, help="The plan (tracker plan list).")
@click.option("--unit", "-u", "unit_name", help="Only this unit's tasks, with its own status (default: "
              "every task, with its lead's status).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="ledger.xlsx or ledger.csv "
              "(default: PLAN[-UNIT]-台账.xlsx here).")
@pass_app
def ledger_export(app: App, plan_key: str, unit_name: str | None, output: Path | None) -> None:
    """Write a plan's ledger as .xlsx (styled, printable on A4 landscape) or .csv (UTF-8 with BOM)."""
    from ..service import find_unit, get_plan
    from ..service.ledger import ledger as plan_ledger
    from .export import export

    with app.db.reading() as session:
        plan = get_plan(session, plan_key)
        unit = find_unit(session, unit_name, plan.jurisdiction.name) if unit_name else None
        table = plan_ledger(session, plan.key, unit)
    output = output or Path(f"{table.plan_key}{'-' + table.unit if table.unit else ''}-台账.xlsx")
    written = export(table, output)
    n = len(table.rows)
    click.echo(f"已导出 {n} 项任务: {written}" if app.lang == "zh" else f"exported {n} tasks: {written}")


@ledger.command("import-progress")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--unit", "-u", "unit_name", required=True, help="The unit whose progress the ledger reports.")
@click.option("--plan", "plan_key", help="The plan, when the file does not say (its 计划编号 line is gone).")
@click.option("--by", "liaison", help="Who reports it (default: the unit's liaison, if it has exactly one).")
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
@click.option("--partial", is_flag=True, help="Write the rows without problems and list the others "
              "(default: any problem writes nothing).")
@pass_app
def ledger_import_progress(app: App, file: Path, unit_name: str, plan_key: str | None, liaison: str | None,
                           dry_run: bool, partial: bool) -> None:
    """Record the status, percent and progress notes of a returned ledger: one update per changed row."""
    from ..i18n import status_label
    from .progress import import_progress

    zh = app.lang == "zh"
    result = import_progress(app.db, file, unit_name=unit_name, plan_key=plan_key, by=liaison, dry_run=dry_run,
                             partial=partial, lang=app.lang)
    if dry_run:
        click.echo("(试运行,未写入)" if zh else "(dry run: nothing written)")

    def state(status: str, percent: int | None) -> str:
        return status_label(status, app.lang) + (f" {percent}%" if percent is not None else "")

    for change in result.changes:
        before = state(change.before.status, change.before.percent)
        owner = f"{change.before.unit}  " if change.before.unit != result.unit else ""
        click.echo(f"{change.task_key}  {owner}{before} → {state(change.status, change.percent)}"
                   + (f"  {change.note}" if change.note and change.note != change.before.note else "")
                   + f"  ({change.place})")
    n, same = len(result.changes), result.unchanged
    if zh:
        verb = "将记录" if dry_run else "已记录"
        click.echo(f"{result.plan_key} {result.unit}: {verb} {n} 条进展" + (f"(填报人 {result.author})" if n else "")
                   + f",{same} 行无变化")
    else:
        verb = "would record" if dry_run else "recorded"
        click.echo(f"{result.plan_key} {result.unit}: {verb} {n} update(s)" + (f" by {result.author}" if n else "")
                   + f", {same} row(s) unchanged")
    if result.refused:
        raise TrackerError((f"{len(result.refused)} 处问题,相关行未导入:" if zh
                            else f"{len(result.refused)} problem(s); those rows were not imported:")
                           + "\n  " + "\n  ".join(result.refused))
