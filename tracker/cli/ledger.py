"""`tracker ledger`: the spreadsheet ledger (台账) out, and progress and plans back in."""

from __future__ import annotations

from pathlib import Path

import click

from . import language, options
from .context import App, echo, pass_app
from .progress import track
from ..errors import N_, Refusals, TrackerError
from ..i18n import _, ngettext, npgettext


@language.group()
def ledger() -> None:
    """The spreadsheet ledger (台账): export it, import returned progress, import breakdown tables."""


@ledger.command("export")
@options.plan(required=True, help="The plan (tracker plan list).")
@options.unit_and_jurisdiction(unit_help="Only this unit's tasks, with its own status (default: "
                               "every task, with its lead's status).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="ledger.xlsx or ledger.csv "
              "(default: PLAN[-UNIT]-台账.xlsx here).")
@options.output_format(("xlsx", "csv"), default=None,
                       help="xlsx or csv (default: the -o file's suffix, else xlsx).")
@pass_app
def ledger_export(app: App, plan_key: str, unit_name: str | None, jurisdiction: str | None,
                  output: Path | None, fmt: str | None) -> None:
    """Write a plan's ledger as .xlsx (styled, printable on A4 landscape) or .csv (UTF-8 with BOM)."""
    from ..service import find_plan
    from ..service.ledger import ledger as plan_ledger
    from ..ledger.export import export

    if fmt and output and output.suffix.lower() != f".{fmt}":
        raise click.UsageError(_("--format {format} writes a .{format} file, not {name}").format(
            format=fmt, name=output.name))
    with app.db.reading() as session:
        plan = find_plan(session, plan_key)
        unit = app.unit(session, unit_name, jurisdiction or plan.jurisdiction) if unit_name else None
        table = plan_ledger(session, plan.key, unit)
    output = output or Path(f"{table.plan_key}{'-' + table.unit if table.unit else ''}-台账.{fmt or 'xlsx'}")
    written = export(table, output)
    n = len(table.rows)
    echo(ngettext("exported {n} task: {file}", "exported {n} tasks: {file}", n).format(n=n, file=written))


@ledger.command("import-progress")
@click.argument("file", type=click.Path(path_type=Path))
@options.unit_and_jurisdiction(required=True, unit_help="The unit whose progress the ledger reports.")
@options.plan(help="The plan, when the file does not say (its 计划编号 line is gone).")
@click.option("--by", "liaison", help="Who reports it (default: the unit's liaison, if it has exactly one).")
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
@click.option("--partial", is_flag=True, help="Write the rows without problems and list the others "
              "(default: any problem writes nothing).")
@click.option("--force", is_flag=True, help="Record changed rows whose hidden 数据版本 cell is empty, not a number "
              "or whose column was deleted: this file's values win over any update made after it was exported.")
@options.quiet
@pass_app
def ledger_import_progress(app: App, file: Path, unit_name: str, jurisdiction: str | None, plan_key: str | None,
                           liaison: str | None, dry_run: bool, partial: bool, force: bool, quiet: bool) -> None:
    """Record the status, percent and progress notes of a returned ledger: one update per changed row."""
    from ..i18n import status_label
    from ..ledger.progress import import_progress

    result = import_progress(app.db, file, unit_name=unit_name, jurisdiction=jurisdiction, plan_key=plan_key,
                             by=liaison, dry_run=dry_run, partial=partial, force=force,
                             progress=lambda changes: track(changes, _("Recording progress"), quiet=quiet))
    if dry_run:
        echo(_("(dry run: nothing written)"))

    def state(status: str, percent: int | None) -> str:
        return status_label(status, app.lang) + (f" {percent}%" if percent is not None else "")

    for change in [] if quiet else result.changes:
        before = state(change.before.status, change.before.percent)
        owner = f"{change.before.unit}  " if change.before.unit != result.unit else ""
        echo(f"{change.task_key}  {owner}{before} → {state(change.status, change.percent)}"
                   + (f"  {change.note}" if change.note and change.note != change.before.note else "")
                   + "  " + _("({place})").format(place=change.place))
    n, same = len(result.changes), result.unchanged
    if dry_run:
        recorded = ngettext("would record {n} update", "would record {n} updates", n).format(n=n)
    else:
        recorded = ngettext("recorded {n} update", "recorded {n} updates", n).format(n=n)
    if n and result.author:
        recorded = _("{recorded} (by {author})").format(recorded=recorded, author=result.author)
    unchanged = ngettext("{n} row unchanged", "{n} rows unchanged", same).format(n=same)
    echo(_("{plan} {unit}: {recorded}, {unchanged}").format(plan=result.plan_key, unit=result.unit,
                                                                 recorded=recorded, unchanged=unchanged))
    if result.refused:
        raise Refusals(N_("problems: {n}; those rows were not imported:"), result.refused, n=len(result.refused))


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
    """Draft a plan file from a task breakdown table, as offices publish them, for a person to review."""
    from ..config import BUNDLED_PLANS
    from ..planfile import dump_plan
    from ..registry import Registry
    from ..ledger.breakdown import draft_header, read_breakdown
    from ..atomic import write_atomically

    plan_key = plan_key or (output.stem if output else None)
    if not plan_key:
        raise TrackerError(N_("name the plan with --key, or write it with -o plans/KEY.toml"))
    if output and output.exists() and not force:
        raise TrackerError(N_("the file exists; a reviewed plan file is not overwritten (add --force to replace it)"),
                           where=str(output))
    if registry is None:
        beside = output.parent / "units.toml" if output else None
        registry = beside if beside and beside.exists() else BUNDLED_PLANS / "units.toml"
    draft = read_breakdown(file, jurisdiction=jurisdiction, key=plan_key, registry=Registry.load(registry),
                           title=title, document_number=document_number, coordinator=coordinator,
                           period_start=period_start.date() if period_start else None,
                           period_end=period_end.date() if period_end else None)
    text = dump_plan(draft.plan, header=draft_header(draft, file.name))
    for note in draft.notes:
        echo(_("note: {note}").format(note=note), err=True)
    if output:
        write_atomically(output, lambda temporary: temporary.write_text(text, encoding="utf-8"))
        plan = draft.plan
        echo(_("wrote the plan draft {file}: {sections}, {tasks}; review it, then {command}").format(
            file=output, command="tracker plan load",
            sections=ngettext("{n} section", "{n} sections", len(plan.sections)).format(n=len(plan.sections)),
            tasks=npgettext("a database holds", "{n} task", "{n} tasks", len(plan.tasks)).format(n=len(plan.tasks))))
    else:
        echo(text, nl=False)
    if draft.unknown_units:
        raise Refusals(N_("unit names not known: {n} (the draft is written; fix them before loading):"),
                       draft.unknown_units, n=len(draft.unknown_units))
