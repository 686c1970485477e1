"""`tracker digest`: a unit's weekly digest, one per unit, the coordinator's report, and mail.

    tracker digest --unit NAME [--week 2026-W48] [--format text|md|html|eml] [-o PATH]
    tracker digest --all [--week ...] [--format ...] -o DIR
    tracker digest report --plan KEY [--week ...] [--format text|md|html] [-o PATH]
    tracker digest send [--week ...] (--unit NAME | --all) [--dry-run] [--force]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from . import language, options
from .context import App, echo
from .progress import track
from ..errors import N_, TrackerError
from ..i18n import _, ngettext
from ..atomic import write_file
from ..digest.build import SECTION_LIMIT

FORMATS = ("text", "md", "html", "eml")
LIMIT = click.option("--limit", type=click.IntRange(min=0), default=SECTION_LIMIT, show_default=True,
                     help="Rows listed per section; the rest are counted (0: list all).")
REPORT_FORMATS = ("text", "md", "html")


def _week(text: str | None):
    from ..digest.weeks import Week

    return Week.parse(text) if text else None


def _write(output: Path | None, content: str | bytes) -> None:
    if output is None:
        if isinstance(content, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(content)  # (click.get_binary_stream is deprecated)
            sys.stdout.buffer.flush()
        else:
            echo(content, nl=False)
        return
    write_file(output, content)


def _file_name(unit, week, suffix: str) -> str:
    # 市商务局 exists in two cities: the jurisdiction keeps the files apart
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", f"{unit.jurisdiction}-{unit.name}")
    return f"{safe}-{week}.{suffix}"


def _sender() -> str:
    from ..digest.mail import FALLBACK_SENDER, SmtpSettings

    return SmtpSettings.from_env().sender or FALLBACK_SENDER


@language.group("digest", invoke_without_command=True)
@options.unit_and_jurisdiction(unit_help="The unit whose digest to build (name, short name or alias).",
                               jurisdiction_help="The unit's jurisdiction (needed when its name is used in several); "
                                                 "with --all, only this jurisdiction's units.")
@click.option("--all", "all_units", is_flag=True, help="One digest per unit with any task, into -o DIR.")
@click.option("--week", "week_text", metavar="2026-W48", help="ISO week (default: this week).")
@options.output_format(FORMATS, help="text, markdown (md), HTML, or a mail message (eml).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="A file (a folder with --all).")
@LIMIT
@options.quiet
@click.pass_context
def digest(ctx: click.Context, unit_name, jurisdiction, all_units, week_text, fmt, output, limit, quiet) -> None:
    """Weekly digests: what is late, what is due, what has not been reported, what partners did."""
    if ctx.invoked_subcommand is not None:
        given = (unit_name, jurisdiction, all_units, week_text, output, fmt != "text", limit != SECTION_LIMIT, quiet)
        if any(given):
            raise click.UsageError(_("put the options after `digest {command}`").format(command=ctx.invoked_subcommand))
        return
    if bool(unit_name) == all_units:
        raise click.UsageError(_("give --unit NAME for one unit's digest, or --all -o DIR for every unit's"))
    app = ctx.find_object(App)
    week = _week(week_text)
    if all_units:
        _all_digests(app, jurisdiction, week, fmt, output, limit or None, quiet)
    else:
        _one_digest(app, unit_name, jurisdiction, week, fmt, output, limit or None)


def _one_digest(app: App, unit_name, jurisdiction, week, fmt, output, limit) -> None:
    from ..service.digests import digest_unit, recipients_for
    from ..digest.build import unit_digest
    from ..digest.weeks import Week

    with app.db.reading() as session:
        unit = digest_unit(session, app.unit(session, unit_name, jurisdiction))
        data = unit_digest(session, unit, week or Week.current(unit.timezone), limit=limit)
        recipients = recipients_for(session, [unit.id])[unit.id] if fmt == "eml" else []
    if fmt == "eml":
        from ..digest.mail import digest_message, message_bytes

        if not recipients:
            raise TrackerError(N_("{jurisdiction} {name} has no liaison with an email address; add `email` to its liaisons in units.toml and load it again"), jurisdiction=unit.jurisdiction, name=unit.name)
        _write(output, message_bytes(digest_message(data, recipients, _sender(), app.lang)))
        return
    from ..digest.render import render_digest

    _write(output, render_digest(data, fmt, app.lang))


def _all_digests(app: App, jurisdiction, week, fmt, output: Path | None, limit, quiet: bool) -> None:
    from ..service.digests import recipients_for, units_with_assignments
    from ..digest.build import unit_digest
    from ..digest.render import SUFFIXES, render_digest
    from ..digest.weeks import Week

    if output is None:
        raise click.UsageError(_("--all writes one file per unit: give -o DIR"))
    if output.exists() and not output.is_dir():
        raise TrackerError(N_("not a folder"), where=str(output))
    sender = _sender() if fmt == "eml" else None
    written, skipped, failed = 0, [], []
    with app.db.reading() as session:
        units = units_with_assignments(session, jurisdiction)
        recipients = recipients_for(session, [u.id for u in units]) if fmt == "eml" else {}
        for unit in track(units, _("Writing digests"), quiet=quiet):
            unit_week = week or Week.current(unit.timezone)
            data = unit_digest(session, unit, unit_week, limit=limit)
            path = output / _file_name(unit, unit_week, SUFFIXES[fmt])
            if fmt == "eml":
                from ..digest.mail import digest_message, message_bytes

                if not recipients[unit.id]:
                    skipped.append(unit)
                    continue
                try:
                    message = digest_message(data, recipients[unit.id], sender, app.lang)
                except TrackerError as exc:  # this unit's (a liaison's address): the others still go
                    failed.append(exc)
                    continue
                _write(path, message_bytes(message))
            else:
                _write(path, render_digest(data, fmt, app.lang))
            written += 1
    for unit in [] if quiet else skipped:
        echo(_("skipped {jurisdiction} {unit}: no liaison with an email address").format(
            jurisdiction=unit.jurisdiction, unit=unit.name), err=True)
    for problem in failed:
        echo(str(problem), err=True)
    echo(ngettext("wrote {n} digest to {folder}", "wrote {n} digests to {folder}", written).format(
        n=written, folder=output))
    if failed:
        raise TrackerError(_("{n} of {total} digests could not be made into mail (see above)")
                           .format(n=len(failed), total=written + len(failed)))


@digest.command("report")
@options.plan(required=True)
@click.option("--week", "week_text", metavar="2026-W48", help="ISO week (default: this week).")
@options.output_format(REPORT_FORMATS, help="text, markdown (md) or HTML.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="A file (default: standard output).")
@click.pass_obj
def report(app: App, plan_key, week_text, fmt, output) -> None:
    """The coordinating office's report on a plan: units ranked, red/yellow/green, overdue tasks."""
    from ..digest.build import plan_report
    from ..digest.render import render_report

    week = _week(week_text)
    with app.db.reading() as session:
        data = plan_report(session, plan_key, week)
    _write(output, render_report(data, fmt, app.lang))


@digest.command("send")
@click.option("--week", "week_text", metavar="2026-W48", help="ISO week (default: this week).")
@options.unit_and_jurisdiction(unit_help="Only this unit.",
                               jurisdiction_help="The unit's jurisdiction; with --all, only this jurisdiction's units.")
@click.option("--all", "all_units", is_flag=True, help="Every unit with any task.")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send nothing, record nothing.")
@click.option("--force", is_flag=True, help="Send again to units that already got this week's digest.")
@LIMIT
@options.quiet
@click.pass_obj
def send(app: App, week_text, unit_name, jurisdiction, all_units, dry_run, force, limit, quiet) -> None:
    """Mail each unit's digest to its liaisons (SMTP settings: TRACKER_SMTP_*)."""
    from ..service.digests import digest_unit, units_with_assignments
    from ..digest.mail import SmtpSettings, deliver, prepare

    if bool(unit_name) == all_units:
        raise click.UsageError(_("give --unit NAME or --all"))
    week = _week(week_text)
    settings = SmtpSettings.from_env()
    if not dry_run:
        settings.require_server()
    with app.db.reading() as session:
        if all_units:
            units = units_with_assignments(session, jurisdiction)
        else:
            units = [digest_unit(session, app.unit(session, unit_name, jurisdiction))]
        batch = prepare(session, units, week, settings.sender or "tracker@localhost", app.lang,
                        limit=limit or None, force=force,
                        progress=lambda items: track(list(items), _("Preparing digests"), quiet=quiet or not all_units))
    outcomes = deliver(app.db, batch, settings, force=force, dry_run=dry_run,
                       progress=lambda items: track(list(items), _("Sending digests"), quiet=quiet or not all_units))
    _report_outcomes(outcomes, batch, dry_run, quiet)


_SAID = {
    "sent": N_("sent"),
    "would_send": N_("would send"),
    "already_sent": N_("already sent this week, skipped (--force resends)"),
    "no_recipients": N_("no liaison with an email address, skipped"),
    "failed": N_("failed"),
}


def _counted(result: str, n: int) -> str:
    phrases = {"sent": ngettext("{n} sent", "{n} sent", n), "would_send": ngettext("{n} to send", "{n} to send", n),
               "already_sent": ngettext("{n} sent before", "{n} sent before", n),
               "no_recipients": ngettext("{n} without recipients", "{n} without recipients", n),
               "failed": ngettext("{n} failed", "{n} failed", n)}
    return phrases[result].format(n=n)


def _report_outcomes(outcomes, batch, dry_run: bool, quiet: bool = False) -> None:
    subjects = {o.unit.id: o.message["Subject"] for o in batch if o.message is not None}
    if dry_run:
        echo(_("(dry run: nothing sent, nothing recorded)"))
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.result] = counts.get(outcome.result, 0) + 1
        if quiet and outcome.result != "failed":
            continue
        line = _("{jurisdiction} {unit}: {said}").format(jurisdiction=outcome.unit.jurisdiction,
                                                         unit=outcome.unit.name, said=_(_SAID[outcome.result]))
        if outcome.result in ("sent", "would_send"):
            line += f" → {outcome.detail}  《{subjects.get(outcome.unit.id, '')}》"
        elif outcome.detail:
            line = _("{said} ({detail})").format(said=line, detail=outcome.detail)
        echo(line, err=outcome.result == "failed")
    summary = _(", ").join(_counted(k, n) for k, n in counts.items())
    echo(summary or _("nothing to send"))
    failed = [o for o in outcomes if o.result == "failed"]
    if failed:
        names = "、".join(o.unit.name for o in failed)
        raise TrackerError(N_("{failed} of {n} digests were not sent ({names}); run the same command again to retry them"),
                           failed=len(failed), n=len(outcomes), names=names)
