"""`tracker backup`, `tracker restore`, `tracker doctor`: looking after the database itself.

None of them goes through App.db, which would create or migrate the database on opening: a
backup copies the database as it is, a restore checks the file before touching anything, and
the doctor reports pending migrations rather than running them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .. import clock
from . import language, options
from .context import App, echo, pass_app
from ..errors import N_, TrackerError
from ..i18n import _, ngettext, npgettext


def _shown(url: str) -> str:
    from ..service.operations import shown_url

    return shown_url(url)


def _postgres_advice(app: App, url: str, what: str, file: str) -> TrackerError:
    """PostgreSQL has its own tools for this; say how to use them (and exit non-zero)."""
    shown = _shown(url).replace("postgresql+psycopg://", "postgresql://")
    dump = f"pg_dump --format=custom --file={file} '{shown}'"
    restore = f"pg_restore --clean --if-exists --no-owner --dbname='{shown}' {file}"
    in_schema = "search_path" in shown
    if what == "backup":
        message = (N_("a PostgreSQL database is backed up with its own tools (the data is in the schema named in the "
                      "URL: add --schema=NAME to pg_dump):\n  backup:  {dump}\n  restore: {restore}") if in_schema else
                   N_("a PostgreSQL database is backed up with its own tools:\n  backup:  {dump}\n  restore: {restore}"))
    else:
        message = (N_("a PostgreSQL database is restored with its own tools (the data is in the schema named in the "
                      "URL: add --schema=NAME to pg_dump):\n  backup:  {dump}\n  restore: {restore}") if in_schema else
                   N_("a PostgreSQL database is restored with its own tools:\n  backup:  {dump}\n  restore: {restore}"))
    return TrackerError(message, dump=dump, restore=restore)


def _holds(counts: dict) -> str:
    """3 plans, 81 tasks, 2 status updates."""
    return _(", ").join([
        ngettext("{n} plan", "{n} plans", counts["plan"]).format(n=counts["plan"]),
        npgettext("a database holds", "{n} task", "{n} tasks", counts["task"]).format(n=counts["task"]),
        ngettext("{n} status update", "{n} status updates", counts["status_update"]).format(n=counts["status_update"])])


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


# ---------------------------------------------------------------------- backup and restore


@language.command()
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path), help="The backup file to write.")
@click.option("--force", is_flag=True, help="Overwrite the file if it exists.")
@pass_app
def backup(app: App, output: Path, force: bool) -> None:
    """Copy the database to one file while it is in use (SQLite's online backup)."""
    from ..service.operations import backup_sqlite, check_backup, sqlite_path

    url = app.settings.database_url
    source = sqlite_path(url)
    if source is None:
        raise _postgres_advice(app, url, "backup", str(output))
    if output.exists() and not force:
        raise TrackerError(N_("file exists; add --force to overwrite it"), where=str(output))
    if output.exists() and output.resolve() == source.resolve():
        raise TrackerError(N_("that is the database itself"), where=str(output))
    backup_sqlite(source, output)
    info = check_backup(output, compare_schema=False)  # a copy as it is: doctor judges the schema
    echo(_("backed up to {file} ({size}, schema {revision}: {holds})").format(
        file=output, size=_megabytes(info.size), revision=info.revision, holds=_holds(info.counts)))


@language.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def restore(app: App, file: Path, yes: bool) -> None:
    """Replace the database with a backup, after checking the backup is a tracker database."""
    from ..service.operations import Database, check_backup, restore_sqlite, sqlite_path

    url = app.settings.database_url
    target = sqlite_path(url)
    if target is None:
        raise _postgres_advice(app, url, "restore", str(file))
    info = check_backup(file)  # refuses (non-zero, nothing touched) unless the file is fit to restore
    if target.exists() and file.resolve() == target.resolve():
        raise TrackerError(N_("that is the database itself"), where=str(file))
    if not yes:
        question = _("Replace {target} with {file} ({holds})? The current database is saved first").format(
            target=target, file=file, holds=_holds(info.counts))
        click.confirm(question, abort=True)
    saved = restore_sqlite(file, target)
    Database(url).dispose()  # an older backup is brought up to this version's schema now
    if saved:
        echo(_("restored {target} from {file}; the database it replaced is saved as {saved}").format(
            target=target, file=file, saved=saved))
    else:
        echo(_("restored {target} from {file}").format(target=target, file=file))


# ---------------------------------------------------------------------- doctor


def _examine(url: str) -> dict:
    """Everything the doctor reports, as data (and `problems`: what needs a person)."""
    from ..service.operations import Database, current_revision, known_revisions, sqlite_path

    report: dict = {"database": _shown(url), "problems": []}

    def problem(message: str) -> None:  # a message through the catalogue, in the command's language
        report["problems"].append(message)

    path = sqlite_path(url)
    if path is not None and not path.is_file():
        problem(_("no database file yet at {path} (tracker init creates it)").format(path=path))
        return report
    db = Database(url, migrate=False)
    try:
        engine = db.engine
        try:
            revision = current_revision(engine)
        except Exception as exc:  # not reachable, not a database
            reason = str(exc).splitlines()[0]
            problem(_("cannot open the database: {reason}").format(reason=reason))
            return report
        report["engine"] = f"{engine.dialect.name} {'.'.join(map(str, engine.dialect.server_version_info or ()))}"
        known = known_revisions()
        report["schema"] = revision
        report["schema_head"] = known[-1]
        if revision is None:
            problem(_("no tracker schema in this database (tracker init creates it)"))
            return report
        if revision not in known:
            problem(_("schema revision {revision!r} is unknown to this version of tracker (made by a newer "
                      "one?)").format(revision=revision))
            return report
        report["pending_migrations"] = known[known.index(revision) + 1:]
        _size_and_health(db, path, report, problem)
        _schema(db, path, revision, report, problem)
        if report["pending_migrations"]:
            count = len(report["pending_migrations"])
            problem(ngettext("{n} migration pending: any command that opens the database runs it; then run "
                             "tracker doctor again for the contents and the histories",
                             "{n} migrations pending: any command that opens the database runs them; then run "
                             "tracker doctor again for the contents and the histories",
                             count).format(n=count))
            return report  # what follows reads the rows as the newest schema has them
        _contents(db, report)
        _history(db, report, problem)
        _access(db, report, problem)
    finally:
        db.dispose()
    return report


def _size_and_health(db, path: Path | None, report: dict, problem) -> None:
    from ..service.operations import postgres_size, sqlite_health

    if path is not None:
        wal = Path(f"{path}-wal")
        report["size_bytes"] = path.stat().st_size
        report["wal_bytes"] = wal.stat().st_size if wal.exists() else 0
        report["journal_mode"], report["quick_check"] = sqlite_health(db.engine)
        if report["quick_check"] != "ok":
            problem(_("SQLite's integrity check failed: {reason} (restore a backup)").format(
                reason=report["quick_check"]))
    else:
        with db.reading() as session:
            report["size_bytes"] = postgres_size(session)


def _contents(db, report: dict) -> None:
    from ..service import operations

    with db.reading() as session:
        report["counts"] = operations.counts(session)
        last = operations.last_update_at(session)
        report["last_status_update"] = last.isoformat() if last else None
        report["unused_feed_tokens"] = [
            {"unit": t.unit, "jurisdiction": t.jurisdiction, "created_at": t.created_at.isoformat()}
            for t in operations.unused_feed_tokens(session)]


def _schema(db, path: Path | None, revision: str, report: dict, problem) -> None:
    """The schema against the one the migrations define at its revision."""
    from ..service.operations import schema_differences

    try:
        differences = schema_differences(db, path, revision)
    except Exception as exc:  # PostgreSQL: the connected role may not create the scratch schema
        problem(_("could not compare the schema with the one the migrations define: {reason}").format(
            reason=str(exc).splitlines()[0]))
        return
    report["schema_differences"] = [d.describe() for d in differences]
    for difference in differences:
        problem(_("the schema differs from the one the migrations define: {difference}").format(
            difference=difference.describe()))


SHOWN_BROKEN = 10  # chains named one by one; the JSON report lists them all


def _name_broken(broken: list, problem, say, more: str) -> None:
    """A problem for each of the first broken chains (`say(where, chain)` words it), then the count
    of the rest (`more`, with {n})."""
    for b in broken[:SHOWN_BROKEN]:
        problem(say(f"{b.plan} {b.task} {b.unit}", b))
    if len(broken) > SHOWN_BROKEN:
        problem(more.format(n=len(broken) - SHOWN_BROKEN))


def _history(db, report: dict, problem) -> None:
    from ..service.operations import broken_histories

    with db.reading() as session:
        checked, broken = broken_histories(session)
    report["history"] = {"checked": checked, "broken": [b.__dict__ for b in broken]}

    def say(where: str, b) -> str:
        if b.row_id is None:
            return _("{where}: the latest status update was deleted or replaced (it is not the one recorded "
                     "last)").format(where=where)
        return _("{where}: status history changed or deleted from row #{row} on (the hash chain "
                 "breaks)").format(where=where, row=b.row_id)

    _name_broken(broken, problem, say, _("{n} more assignments' histories were changed (tracker doctor --json "
                                         "lists all)"))
    _supervision_history(db, report, problem)


def _supervision_history(db, report: dict, problem) -> None:
    """The requests and decisions (督办), chained like the status history (migration 0006)."""
    from ..service.operations import broken_supervision

    with db.reading() as session:
        checked, broken = broken_supervision(session)
    report["supervision"] = {"checked": checked, "broken": [b.__dict__ for b in broken]}

    def say(where: str, b) -> str:
        if b.kind == "request" and b.row_id is None:
            return _("{where}: the latest supervision request was deleted or replaced (it is not the one "
                     "recorded last)").format(where=where)
        if b.kind == "request":
            return _("{where}: supervision requests changed or deleted from request #{row} on (the hash "
                     "chain breaks)").format(where=where, row=b.row_id)
        if b.row_id is None:
            return _("{where}: the latest decision on its requests was deleted or replaced (it is not the one "
                     "recorded last)").format(where=where)
        return _("{where}: decisions on its requests changed or deleted from decision row {row} on (the "
                 "hash chain breaks)").format(where=where, row=b.row_id)

    _name_broken(broken, problem, say, _("{n} more supervision histories were changed (tracker doctor --json "
                                         "lists all)"))


def _access(db, report: dict, problem) -> None:
    from ..service.access import report as access_report

    with db.reading() as session:
        found = access_report(session)
    if found is None:  # the embedded file: whoever may write it may do anything
        report["access"] = None
        return
    report["access"] = {"enabled": found.enabled, "logins": found.logins,
                        "excess": [{"role": role, "right": right} for role, right in found.excess],
                        "revoked_but_present": found.revoked_but_present}
    for role, right in found.excess:
        problem(_("database role {role} has more rights than a liaison should: {right}").format(role=role, right=right))
    for role in found.revoked_but_present:
        problem(_("the revoked database role {role} still exists (tracker access revoke drops it)").format(role=role))


def _counted(what: str, n: int) -> str:
    """One line of what the database holds, counted: 3 plans / 计划3个."""
    phrases = {
        "jurisdictions": ngettext("{n} jurisdiction", "{n} jurisdictions", n),
        "units": ngettext("{n} unit", "{n} units", n),
        "groups": ngettext("{n} group", "{n} groups", n),
        "liaisons": ngettext("{n} liaison", "{n} liaisons", n),
        "plans": ngettext("{n} plan", "{n} plans", n),
        "tasks": npgettext("a database holds", "{n} task", "{n} tasks", n),
        "archived tasks": ngettext("{n} archived task", "{n} archived tasks", n),
        "assignments": ngettext("{n} assignment", "{n} assignments", n),
        "status updates": ngettext("{n} status update", "{n} status updates", n),
        "feed tokens": ngettext("{n} feed token", "{n} feed tokens", n),
    }
    return phrases.get(what, f"{n} {what}").format(n=n)


@language.command()
@options.output_format()
@pass_app
def doctor(app: App, fmt: str) -> None:
    """Check the database: schema version, pending migrations, size, contents, unused feed tokens.
    Exits non-zero when something needs a person."""
    report = _examine(app.settings.database_url)
    if fmt == "json":
        echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print(app, report)
    if report["problems"]:
        sys.exit(1)


def _instant(text: str | None):
    """An instant of the report (ISO, UTC: what --json prints) back as a datetime, to be shown."""
    from datetime import datetime

    return datetime.fromisoformat(text) if text else None


def _day(app: App, text: str) -> str:
    return clock.shown_day(_instant(text), app.settings.timezone)


def _print(app: App, report: dict) -> None:
    if "engine" in report:
        echo(_("database: {url} ({engine})").format(url=report["database"], engine=report["engine"]))
    else:
        echo(_("database: {url}").format(url=report["database"]))
    if "schema" in report and report["schema"]:
        pending = report.get("pending_migrations") or []
        state = _("pending: {revisions}").format(revisions=_(", ").join(pending)) if pending else _("up to date")
        echo(_("schema: {revision} ({state})").format(revision=report["schema"], state=state))
    if "size_bytes" in report:
        size = _megabytes(report["size_bytes"])
        if "wal_bytes" in report:
            checked = (_("integrity check passed") if report["quick_check"] == "ok"
                       else _("integrity check failed"))
            size = _("{size} + WAL {wal}, journal mode {mode}, {checked}").format(
                size=size, wal=_megabytes(report["wal_bytes"]), mode=report["journal_mode"].upper(), checked=checked)
        echo(_("size: {size}").format(size=size))
    if "counts" in report:
        counts = report["counts"]
        echo(_("holds: {counts}").format(counts=_(", ").join(_counted(k, v) for k, v in counts.items())))
        last = _instant(report["last_status_update"])
        echo(_("latest status update: {when}").format(
            when=clock.shown(last, app.settings.timezone) if last else _("none")))
        unused = report["unused_feed_tokens"]
        if unused:
            echo(ngettext("{n} feed token never used:", "{n} feed tokens never used:", len(unused))
                       .format(n=len(unused)))
            for token in unused:
                echo(f"  {token['jurisdiction']} {token['unit']}  "
                           + _("issued {day}").format(day=_day(app, token["created_at"])))
        else:
            echo(_("feed tokens: none unused"))
    if "history" in report and not report["history"]["broken"]:
        echo(_("status history: {n} rows, hash chains intact").format(n=report["history"]["checked"]))
    if "supervision" in report and not report["supervision"]["broken"]:
        echo(_("requests and decisions: {n} rows, hash chains intact").format(n=report["supervision"]["checked"]))
    if "access" in report:
        found = report["access"]
        if found is None:
            echo(_("access control: the embedded SQLite file, protected only by the file's permissions"))
        elif found["enabled"]:
            echo(_("access control: on, {n} liaison roles").format(n=found["logins"]))
        else:
            echo(_("access control: off (tracker access enable)"))
    for problem in report["problems"]:
        echo(_("needs attention: {problem}").format(problem=problem), err=True)
    if not report["problems"]:
        echo(_("All well."))
