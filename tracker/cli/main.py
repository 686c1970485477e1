"""The `tracker` command: the root group and the everyday commands (plans, units, tasks, status).

Commands import their heavy machinery (Textual, icalendar, openpyxl, Jinja2) only when they run,
so `tracker tasks` stays quick. Command groups that live in their own modules are listed in
LAZY_COMMANDS and imported on first use; they share tracker.cli.context with this module rather
than importing it.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import cast

import click

from .. import i18n
from ..config import Settings
from ..errors import N_, TrackerError
from ..i18n import _
from . import language, options
from .context import ROLE_CHOICE, App, echo, echo_json, pass_app
from .parse import parse
from .registry import check, propose

language.install()

# name → "module:attribute" of a click command defined elsewhere
LAZY_COMMANDS: dict[str, str] = {
    "ledger": "tracker.cli.ledger:ledger",
    "digest": "tracker.cli.digest:digest",
    "tui": "tracker.cli.tui:tui",
    "feed": "tracker.cli.feeds:feed",
    "backup": "tracker.cli.database:backup",
    "restore": "tracker.cli.database:restore",
    "doctor": "tracker.cli.database:doctor",
    "access": "tracker.cli.access:access",
    "request": "tracker.cli.supervision:request",
    "review": "tracker.cli.supervision:review",
    "remind": "tracker.cli.remind:remind",
}


class LazyGroup(language.Group):
    """The root command: sub-commands imported on first use, and --lang read wherever it stands."""

    # `plan`, `status`: ordinary groups (mypy reads click's `type[Group | type]` as type[type])
    group_class = language.Group  # type: ignore[assignment]

    def parse_args(self, ctx, args):
        lang, args = language.language_first(args)
        i18n.set_language(lang)
        return super().parse_args(ctx, args)

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx, name):
        if name in LAZY_COMMANDS and name not in self.commands:
            module, attr = LAZY_COMMANDS[name].split(":")
            self.add_command(getattr(importlib.import_module(module), attr), name)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "database_url", envvar="TRACKER_DB", help="Database URL (default: a SQLite file in your data folder).")
@click.option("--lang", type=click.Choice(i18n.LANGUAGES), envvar="TRACKER_LANG", default="zh", show_default=True,
              help="Language of the output.")
@click.version_option(package_name="tracker",  # click formats the message with % when it shows it
                      message=cast(str, i18n.lazy("%(prog)s, version %(version)s")))
@click.pass_context
def cli(ctx: click.Context, database_url: str | None, lang: str) -> None:
    """tracker: the key tasks of action plans, their lead and supporting units, deadlines and status."""
    settings = Settings()
    if database_url:
        settings.database_url = database_url
    settings.lang = lang
    i18n.set_language(lang)
    ctx.obj = App(settings)
    if ctx.invoked_subcommand is None:
        # a person at a terminal gets the app; pipes, scripts and tests keep the summary
        if sys.stdin.isatty() and sys.stdout.isatty():
            ctx.invoke(cli.get_command(ctx, "tui"))
        else:
            ctx.invoke(summary)


@cli.command()
@pass_app
def summary(app: App) -> None:
    """A short summary of what the database holds."""
    from ..service import list_plans

    with app.db.reading() as session:
        plans = list_plans(session)
    echo(_("database: {url}").format(url=app.db.engine.url.render_as_string(hide_password=True)))
    if not plans:
        echo(_("No plans loaded yet. Run: {command}").format(command="tracker plan load plans/"))
        return
    for plan in plans:
        echo(f"  {plan.key}  {plan.title}  {plan.document_number or ''}  "
                   + i18n.npgettext("a database holds", "{n} task", "{n} tasks", plan.tasks).format(n=plan.tasks))
    echo(_("Try: {command}").format(command="tracker tasks --unit 市发展改革委 --jurisdiction 青岛市"))


@cli.command()
@pass_app
def init(app: App) -> None:
    """Create (or migrate) the database; the embedded default gets the bundled plans."""
    db = app.db
    echo(_("database ready: {url}").format(url=db.engine.url.render_as_string(hide_password=True)))


# ---------------------------------------------------------------------- plans


@cli.group()
def plan() -> None:
    """Plan files: load, list (and parse published texts)."""


@plan.command("load")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
@click.option("--verbose", "-v", is_flag=True, help="List every task whose units a person must choose.")
@options.quiet
@pass_app
def plan_load(app: App, paths: tuple[Path, ...], dry_run: bool, verbose: bool, quiet: bool) -> None:
    """Load the unit registry (units.toml) and plan files; a folder loads all of them."""
    from ..service.loading import load_paths
    from .progress import track

    labels = {"read": _("Reading plan files"), "load": _("Loading plans")}
    report, changes = load_paths(app.db, list(paths), dry_run=dry_run,
                                 progress=lambda items, phase: track(items, labels[phase], quiet=quiet))
    if dry_run:
        echo(_("(dry run: nothing written)"))
    if not quiet:
        _plan_changes(report, changes, verbose)
    new = sum(1 for c in changes if c.new_plan)
    changed = sum(1 for c in changes if c.changed and not c.new_plan)
    echo(i18n.ngettext("{n} plan: {new} new, {changed} changed, {same} unchanged",
                       "{n} plans: {new} new, {changed} changed, {same} unchanged", len(changes)).format(
        n=len(changes), new=new, changed=changed, same=len(changes) - new - changed))


def _plan_changes(report: dict, changes, verbose: bool) -> None:
    """What `plan load` changed, plan by plan (its notes on standard error)."""
    if report:
        echo(_("units: {n} ({new} new)").format(n=report["units"], new=report["new_units"]))
    separator = _("; ")
    for change in changes:
        if change.new_plan:
            echo(_("new plan {plan}").format(plan=change.plan))
        elif not change.changed:
            echo(_("{plan}: unchanged").format(plan=change.plan))
        else:
            parts = []
            for phrase, keys in ((i18n.lazy("added {n}: {keys}"), change.added),
                                 (i18n.lazy("updated {n}: {keys}"), change.updated),
                                 (i18n.lazy("archived {n}: {keys}"), change.archived),
                                 (i18n.lazy("restored {n}: {keys}"), change.restored)):
                if keys:
                    parts.append(phrase.format(n=len(keys), keys=_(", ").join(keys)))
            echo(_("{plan}: {changes}").format(plan=change.plan,
                                                     changes=separator.join(parts) or _("assignments changed")))
        to_choose = change.warnings
        if to_choose and verbose:
            for note in to_choose:
                echo("  " + _("note: {plan} {task}: a person must choose which of the {n} units of {group} "
                                    "take it on").format(plan=note.plan, task=note.task, group=note.group,
                                                         n=note.candidates), err=True)
        elif to_choose:
            echo("  " + i18n.ngettext(
                "note: {n} task of {plan} needs a person to choose its units (--verbose lists it)",
                "note: {n} tasks of {plan} need a person to choose their units (--verbose lists them)",
                len(to_choose)).format(n=len(to_choose), plan=change.plan), err=True)


@plan.command("list")
@options.output_format()
@pass_app
def plan_list(app: App, fmt: str) -> None:
    """The plans in the database."""
    from ..service import list_plans

    with app.db.reading() as session:
        plans = list_plans(session)
    if fmt == "json":
        echo_json([p.to_json() for p in plans])
        return
    from ..textwidth import table

    rows = [[p.key, p.title, p.document_number or "", p.jurisdiction, str(p.tasks),
             f"{p.period_start or ''}—{p.period_end or ''}"] for p in plans]
    headers = [_("plan"), _("title"), _("number"), _("jurisdiction"), _("tasks"), _("period")]
    echo(table(headers, rows, [None, 40, None, None, None, None]))


plan.add_command(parse)  # tracker plan parse: light until it runs


# ---------------------------------------------------------------------- units and tasks


@cli.group(invoke_without_command=True)
@options.jurisdiction(help="Only this jurisdiction (青岛市, 吉林市, …).")
@options.output_format()
@click.pass_context
def units(ctx: click.Context, jurisdiction: str | None, fmt: str) -> None:
    """The unit registry as loaded: units, aliases, groups and their members
    (`units propose` drafts a new jurisdiction's entries, `units check` checks a registry file)."""
    if ctx.invoked_subcommand is not None:
        return
    app: App = ctx.obj
    from ..service import list_units

    with app.db.reading() as session:
        found = list_units(session, jurisdiction)
    if jurisdiction and not found:
        raise TrackerError(N_("no units in jurisdiction {jurisdiction!r}"), jurisdiction=jurisdiction)
    if fmt == "json":
        echo_json([u.to_json() for u in found])
        return
    for u in found:
        line = f"{u.jurisdiction}  {u.name}"
        if u.full_name:
            line += "  " + _("({full_name})").format(full_name=u.full_name)
        if u.members:
            line += ("  → " + _(", ").join(u.members))
        echo(line)


units.add_command(propose)  # tracker units propose / check: light until they run
units.add_command(check)


@cli.command()
@options.unit_and_jurisdiction(required=True)
@options.plan(help="Only this plan.")
@click.option("--role", type=ROLE_CHOICE, help="lead: tasks it leads; responsible: tasks it supports.")
@click.option("--overdue", is_flag=True, help="Only overdue tasks.")
@click.option("--due-within", type=click.IntRange(min=0), metavar="DAYS", help="Only tasks due within DAYS.")
@click.option("--stale", type=click.IntRange(min=1), metavar="DAYS", help="Only tasks not updated for DAYS.")
@options.output_format()
@pass_app
def tasks(app: App, unit_name, jurisdiction, plan_key, role, overdue, due_within, stale, fmt) -> None:
    """A unit's tasks, soonest deadline first."""
    from .. import clock
    from ..i18n import role_label, status_label
    from ..store.direct import unit_tasks as read_directly

    # the ordinary case is read without loading SQLAlchemy (see tracker/store/direct.py)
    rows = read_directly(app.settings.database_url, unit_name, jurisdiction, role=role, plan_key=plan_key,
                         overdue=overdue, due_within=due_within, stale_days=stale, today=clock.today())
    if rows is None:
        from ..service import find_plan, unit_tasks

        with app.db.reading() as session:
            if plan_key:
                find_plan(session, plan_key)
            unit = app.unit(session, unit_name, jurisdiction, plan_key)
            rows = unit_tasks(session, unit, role=role, plan_key=plan_key, overdue=overdue,
                              due_within=due_within, stale_days=stale)
    if fmt == "json":
        echo_json([r.to_json(app.lang) for r in rows])
        return
    if not rows:
        echo(_("No matching tasks."))
        return
    from ..textwidth import table

    lang = app.lang
    out = []
    for r in rows:
        if r.deadline_kind == "ongoing":
            due = _("ongoing")
        else:
            due = r.due_on.isoformat() if r.due_on else ""
            if r.extended_from is not None:  # the plan's own deadline kept and shown beside the approved one
                due = _("{before} \u2192 {after} (extension approved)").format(before=r.extended_from, after=due)
            if r.overdue:
                late = -(r.days_left or 0)
                due += " " + i18n.ngettext("{n} day overdue", "{n} days overdue", late).format(n=late)
        status = status_label(r.status, lang) + (f" {r.percent}%" if r.percent is not None else "")
        out.append([r.plan_key, r.key, role_label(r.role, lang), due, status, r.title])
    headers = [_("plan"), _("key"), i18n.pgettext("task list", "role"), _("deadline"), _("status"), _("task")]
    echo(table(headers, out, [None, None, None, None, None, 48]))
    echo(i18n.ngettext("{n} task", "{n} tasks", len(rows)).format(n=len(rows)))


# ---------------------------------------------------------------------- status and history


@cli.group()
def status() -> None:
    """Record progress on a task."""


@status.command("set")
@click.argument("task_key")
@options.plan(required=True)
@options.unit_and_jurisdiction(required=True, unit_help="Whose assignment this update is for.")
@click.option("--status", "status_text", required=True, help="未启动 推进中 已完成 滞后 长期坚持 (or their English codes).")
@click.option("--percent", type=int, help="Share of the task done, 0 to 100.")
@click.option("--note", help="What happened; required when the status is 滞后 (why, and what next).")
@click.option("--by", "liaison", help="The liaison recording it.")
@click.option("--as", "acting", help="The unit whose liaison records it (default: --unit); the plan's coordinator may update any.")
@pass_app
def status_set(app: App, task_key, plan_key, unit_name, jurisdiction, status_text, percent, note, liaison, acting) -> None:
    """Append a status update to a unit's assignment on a task."""
    from ..i18n import parse_status, status_label
    from ..service import find_assignment, record_status

    code = parse_status(status_text)
    with app.db.transaction() as session:
        unit = app.unit(session, unit_name, jurisdiction, plan_key)
        acting_unit = app.unit(session, acting, jurisdiction or unit.jurisdiction) if acting else None
        entry = record_status(session, assignment_id=find_assignment(session, plan_key, task_key, unit.id),
                              acting_unit_id=acting_unit.id if acting_unit else None, status=code, percent=percent,
                              note=note, by=liaison)
    if entry.closing_request_id is not None:
        echo(_("{plan} {task} {unit}: awaiting approval; closing request #{id} is with the coordinating "
               "unit").format(plan=plan_key, task=task_key, unit=entry.unit, id=entry.closing_request_id))
        return
    echo(f"{plan_key} {task_key} {entry.unit}: {status_label(entry.status, app.lang)}"
         + (f" {entry.percent}%" if entry.percent is not None else ""))


@cli.command()
@click.argument("task_key")
@options.plan(required=True)
@options.output_format()
@pass_app
def history(app: App, task_key: str, plan_key: str, fmt: str) -> None:
    """Every status update on a task, oldest first."""
    from .. import clock
    from ..i18n import role_label, status_label
    from ..service import find_plan, history as task_history
    from ..service.supervision import task_requests

    with app.db.reading() as session:
        entries = task_history(session, plan_key, task_key)
        zone = find_plan(session, plan_key).timezone
        requests = task_requests(session, plan_key, task_key)
    if fmt == "json":
        # status updates and requests (each with its decision), in the order they were recorded
        items = [(e.recorded_at, 0, e.id, {"type": "status", **e.to_json(app.lang)}) for e in entries]
        items += [(r.requested_at, 1, r.id, {"type": "request", **r.to_json()}) for r in requests]
        echo_json([item for *_rest, item in sorted(items, key=lambda i: (clock.utc(i[0]), i[1], i[2]))])
        return
    if not entries:
        echo(_("No updates yet."))
    zh = app.lang == "zh"
    lines = []
    for e in entries:
        when = clock.shown(e.recorded_at, zone)
        percent = f" {e.percent}%" if e.percent is not None else ""
        # who recorded it: the liaison, and the unit they acted for when it is not the assignment's own
        by = e.author or ""
        if e.acting_unit and e.acting_unit != e.unit:
            by = (_("{liaison} (for {unit})").format(liaison=by, unit=e.acting_unit) if by
                  else _("recorded by {unit}").format(unit=e.acting_unit))
        undo = ""
        if e.undoes_id is not None:
            undo = _("undoes #{id}").format(id=e.undoes_id)
        # a note's own line breaks are indented, so no line of it can pass for an entry of its own
        note = "  ".join(part for part in (undo, (e.note or "").replace("\n", "\n    ")) if part)
        unit = _("{unit} ({role})").format(unit=e.unit, role=role_label(e.role, app.lang))
        lines.append((clock.utc(e.recorded_at), 0, f"#{e.id}  {when}  {unit}  "
                      f"{status_label(e.status, app.lang)}{percent}  {by}  {note}".rstrip()))
    lines += supervision_lines(requests, app.lang, zone)
    for *_rest, line in sorted(lines, key=lambda item: item[:2]):
        echo(line)


def supervision_lines(requests, lang: str, zone: str) -> list[tuple]:
    """History lines for requests and their decisions: (instant, order, text), times in the plan's zone."""
    from .. import clock
    from ..i18n import decision_label, request_kind_label, role_label

    out = []
    asked_word, decided_word = _("request"), _("decision")
    for r in requests:
        what = f"{r.previous_due_on} \u2192 {r.due_on}  " if r.kind == "extension" else ""
        out.append((clock.utc(r.requested_at), 1,
                    f"{asked_word} #{r.id}  {clock.shown(r.requested_at, zone)}  {r.unit}({role_label(r.role, lang)})  "
                    f"{request_kind_label(r.kind)}  {what}{r.author or ''}  {_indented(r.note)}".rstrip()))
        if r.decided_at is not None:
            out.append((clock.utc(r.decided_at), 2,
                        f"{decided_word} #{r.id}  {clock.shown(r.decided_at, zone)}  {r.deciding_unit or ''}  "
                        f"{decision_label(r.kind, r.decision)}  {r.decided_by or ''}  {_indented(r.reason)}".rstrip()))
    return out


def _indented(text: str | None) -> str:
    return (text or "").replace("\n", "\n    ")


def main(argv: list[str] | None = None) -> None:
    i18n.set_language(i18n.language_from(sys.argv[1:] if argv is None else argv))
    try:
        cli.main(args=argv, prog_name="tracker", standalone_mode=True)
    except TrackerError as exc:
        echo(_("Error: {message}").format(message=exc), err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        from sqlalchemy.exc import DBAPIError

        if not isinstance(exc, DBAPIError):
            raise
        # a driver error from outside a session (the store translates those inside one): one line
        from ..service.database import database_error

        error = database_error(exc)
        echo(_("Error: {message}").format(message=_("database: {reason}").format(reason=error.reason)), err=True)
        sys.exit(error.exit_code)

