"""`tracker ledger`: the spreadsheet ledger (台账) out, and progress and plans back in."""

from __future__ import annotations

from pathlib import Path

import click

from . import language, options
from .context import App, echo, pass_app
from .progress import track
from ..errors import TrackerError
from ..i18n import _


@language.group()
def ledger() -> None:
    """The spreadsheet ledger (台账): export it, import returned progress, import breakdown tables."""


@ledger.command("export")
@options.plan(required=True, help="The plan (tracker plan list).")
@options.unit_and_jurisdiction(unit_help="Only this unit's tasks, with its own status (default: "
                               "every task, with its lead's status).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="ledger.xlsx or ledger.csv "
              "(default: PLAN[-UNIT]-台账.xlsx here).")
@pass_app
def ledger_export(app: App, plan_key: str, unit_name: str | None, jurisdiction: str | None,
                  output: Path | None) -> None:
    """Write a plan's ledger as .xlsx (styled, printable on A4 landscape) or .csv (UTF-8 with BOM)."""
    from ..service import find_plan
    from ..service.ledger import ledger as plan_ledger
    from ..ledger.export import export

    with app.db.reading() as session:
        plan = find_plan(session, plan_key)
        unit = app.unit(session, unit_name, jurisdiction or plan.jurisdiction) if unit_name else None
        table = plan_ledger(session, plan.key, unit)
    output = output or Path(f"{table.plan_key}{'-' + table.unit if table.unit else ''}-台账.xlsx")
    written = export(table, output)
    n = len(table.rows)
    echo(f"已导出 {n} 项任务: {written}" if app.lang == "zh" else f"exported {n} tasks: {written}")


@ledger.command("import-progress")
@click.argument("file", type=click.Path(path_type=Path))
@options.unit_and_jurisdiction(required=True, unit_help="The unit whose progress the ledger reports.")
@options.plan(help="The plan, when the file does not say (its 计划编号 line is gone).")
@click.option("--by", "liaison", help="Who reports it (default: the unit's liaison, if it has exactly one).")
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
@click.option("--partial", is_flag=True, help="Write the rows without problems and list the others "
              "(default: any problem writes nothing).")
@options.quiet
@pass_app
def ledger_import_progress(app: App, file: Path, unit_name: str, jurisdiction: str | None, plan_key: str | None,
                           liaison: str | None, dry_run: bool, partial: bool, quiet: bool) -> None:
    """Record the status, percent and progress notes of a returned ledger: one update per changed row."""
    from ..i18n import status_label
    from ..ledger.progress import import_progress

    zh = app.lang == "zh"
    result = import_progress(app.db, file, unit_name=unit_name, jurisdiction=jurisdiction, plan_key=plan_key,
                             by=liaison, dry_run=dry_run, partial=partial, lang=app.lang,
                             progress=lambda changes: track(changes, _("Recording progress"), quiet=quiet))
    if dry_run:
        echo("(试运行,未写入)" if zh else "(dry run: nothing written)")

    def state(status: str, percent: int | None) -> str:
        return status_label(status, app.lang) + (f" {percent}%" if percent is not None else "")

    for change in [] if quiet else result.changes:
        before = state(change.before.status, change.before.percent)
        owner = f"{change.before.unit}  " if change.before.unit != result.unit else ""
        echo(f"{change.task_key}  {owner}{before} → {state(change.status, change.percent)}"
             + (f"  {change.note}" if change.note and change.note != change.before.note else "")
             + f"  ({change.place})")
    n, same = len(result.changes), result.unchanged
    if zh:
        verb = "将记录" if dry_run else "已记录"
        echo(f"{result.plan_key} {result.unit}: {verb} {n} 条进展" + (f"(填报人 {result.author})" if n else "")
             + f",{same} 行无变化")
    else:
        verb = "would record" if dry_run else "recorded"
        echo(f"{result.plan_key} {result.unit}: {verb} {n} update(s)" + (f" by {result.author}" if n else "")
             + f", {same} row(s) unchanged")
    if result.refused:
        raise TrackerError((f"{len(result.refused)} 处问题,相关行未导入:" if zh
                            else f"{len(result.refused)} problem(s); those rows were not imported:")
                           + "\n  " + "\n  ".join(result.refused))


@ledger.command("import-plan")
@click.argument("file", type=click.Path(path_type=Path))
@options.jurisdiction(required=True, help="Where the plan's units are (青岛市, 吉林市, …).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="The plan file to write, plans/KEY.toml "
              "(default: print it).")
@click.option("--key", "plan_key", help="The plan's key (default: the output file's name).")
@click.option("--title", help="The plan's title (default: from the sheet's title row).")
@click.option("--document-number", help="发文字号 (default: from the sheet's title rows).")
@click.option("--coordinator", help="The plan's coordinating unit.")
@click.option("--period-start", type=click.DateTime(formats=["%Y-%m-%d"]), help="The plan period's first day.")
@click.option("--period-end", type=click.DateTime(formats=["%Y-%m-%d"]), help="The plan period's last day: "
              "tasks without a deadline of their own are due then.")
@click.option("--registry", type=click.Path(path_type=Path), help="units.toml (default: the one beside the "
              "output file, else the bundled one).")
@click.option("--force", is_flag=True, help="Overwrite an existing plan file.")
@pass_app
def ledger_import_plan(app: App, file: Path, jurisdiction: str, output: Path | None, plan_key: str | None,
                       title: str | None, document_number: str | None, coordinator: str | None, period_start,
                       period_end, registry: Path | None, force: bool) -> None:
    """Draft a plan file from a task breakdown table (任务分解表) for a person to review."""
    from ..config import BUNDLED_PLANS
    from ..planfile import dump_plan
    from ..registry import Registry
    from ..ledger.breakdown import draft_header, read_breakdown
    from ..atomic import write_atomically

    zh = app.lang == "zh"
    plan_key = plan_key or (output.stem if output else None)
    if not plan_key:
        raise TrackerError("请用 --key 指明计划编号,或用 -o plans/KEY.toml 写出计划文件" if zh
                           else "name the plan with --key, or write it with -o plans/KEY.toml")
    if output and output.exists() and not force:
        raise TrackerError("文件已存在;核对过的计划文件不会被覆盖(确需覆盖请加 --force)" if zh
                           else "the file exists; a reviewed plan file is not overwritten (add --force to replace it)",
                           where=str(output))
    if registry is None:
        beside = output.parent / "units.toml" if output else None
        registry = beside if beside and beside.exists() else BUNDLED_PLANS / "units.toml"
    draft = read_breakdown(file, jurisdiction=jurisdiction, key=plan_key, registry=Registry.load(registry),
                           title=title, document_number=document_number, coordinator=coordinator,
                           period_start=period_start.date() if period_start else None,
                           period_end=period_end.date() if period_end else None, lang=app.lang)
    text = dump_plan(draft.plan, header=draft_header(draft, file.name))
    for note in draft.notes:
        echo(("注意: " if zh else "note: ") + note, err=True)
    if output:
        write_atomically(output, lambda temporary: temporary.write_text(text, encoding="utf-8"))
        plan = draft.plan
        echo(f"已生成计划草稿 {output}: {len(plan.sections)} 个部分, {len(plan.tasks)} 项任务;核对后用 "
             f"tracker plan load 加载" if zh else
             f"wrote the plan draft {output}: {len(plan.sections)} sections, {len(plan.tasks)} tasks; "
             f"review it, then tracker plan load")
    else:
        echo(text, nl=False)
    if draft.unknown_units:
        n = len(draft.unknown_units)
        raise TrackerError((f"{n} 个单位名称未能识别(草稿已写出,修正后才能加载):" if zh else
                            f"{n} unit name(s) not known (the draft is written; fix them before loading):")
                           + "\n  " + "\n  ".join(draft.unknown_units))
