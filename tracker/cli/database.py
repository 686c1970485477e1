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
from ..i18n import _
from ..errors import TrackerError


def _zh(app: App) -> bool:
    return app.lang == "zh"


def _shown(url: str) -> str:
    from ..service.operations import shown_url

    return shown_url(url)


def _postgres_advice(app: App, url: str, what: str, file: str) -> TrackerError:
    """PostgreSQL has its own tools for this; say how to use them (and exit non-zero)."""
    shown = _shown(url).replace("postgresql+psycopg://", "postgresql://")
    dump = f"pg_dump --format=custom --file={file} '{shown}'"
    restore = f"pg_restore --clean --if-exists --no-owner --dbname='{shown}' {file}"
    schema = ""
    if "search_path" in shown:
        schema = (" (数据在指定 schema 中: 给 pg_dump 加 --schema=名称)" if _zh(app)
                  else " (the data is in the schema named in the URL: add --schema=NAME to pg_dump)")
    if _zh(app):
        return TrackerError(f"PostgreSQL 数据库请用它自己的工具{'备份' if what == 'backup' else '恢复'}{schema}:\n"
                            f"  备份: {dump}\n  恢复: {restore}")
    return TrackerError(f"a PostgreSQL database is {'backed up' if what == 'backup' else 'restored'} with its own "
                        f"tools{schema}:\n  backup:  {dump}\n  restore: {restore}")


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
        raise TrackerError("file exists; add --force to overwrite it" if not _zh(app) else "文件已存在;覆盖请加 --force",
                           where=str(output))
    if output.exists() and output.resolve() == source.resolve():
        raise TrackerError("that is the database itself" if not _zh(app) else "这就是数据库本身", where=str(output))
    backup_sqlite(source, output)
    info = check_backup(output, compare_schema=False)  # a copy as it is: doctor judges the schema
    counts = info.counts
    if _zh(app):
        echo(f"已备份到 {output}({_megabytes(info.size)},架构版本 {info.revision}:{counts['plan']} 个计划,"
             f"{counts['task']} 项任务,{counts['status_update']} 条进度记录)")
    else:
        echo(f"backed up to {output} ({_megabytes(info.size)}, schema {info.revision}: {counts['plan']} plans, "
             f"{counts['task']} tasks, {counts['status_update']} status updates)")


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
        raise TrackerError("that is the database itself" if not _zh(app) else "这就是数据库本身", where=str(file))
    counts = info.counts
    if not yes:
        question = (f"用 {file}({counts['plan']} 个计划,{counts['task']} 项任务,{counts['status_update']} 条进度记录)"
                    f"替换 {target}?当前数据库会先另存一份" if _zh(app) else
                    f"Replace {target} with {file} ({counts['plan']} plans, {counts['task']} tasks, "
                    f"{counts['status_update']} status updates)? The current database is saved first")
        click.confirm(question, abort=True)
    saved = restore_sqlite(file, target)
    Database(url).dispose()  # an older backup is brought up to this version's schema now
    if _zh(app):
        echo(f"已从 {file} 恢复数据库 {target}" + (f";原数据库另存为 {saved}" if saved else ""))
    else:
        echo(f"restored {target} from {file}" + (f"; the database it replaced is saved as {saved}" if saved else ""))


# ---------------------------------------------------------------------- doctor


def _examine(url: str, zh: bool) -> dict:
    """Everything the doctor reports, as data (and `problems`: what needs a person)."""
    from ..service.operations import Database, current_revision, known_revisions, sqlite_path

    report: dict = {"database": _shown(url), "problems": []}

    def problem(chinese: str, english: str | None = None) -> None:
        # one argument: a message already through the catalogue
        report["problems"].append(chinese if zh or english is None else english)

    path = sqlite_path(url)
    if path is not None and not path.is_file():
        problem(f"{path} 还没有数据库(tracker init 会创建)", f"no database file yet at {path} (tracker init creates it)")
        return report
    db = Database(url, migrate=False)
    try:
        engine = db.engine
        try:
            revision = current_revision(engine)
        except Exception as exc:  # not reachable, not a database
            reason = str(exc).splitlines()[0]
            problem(f"无法打开数据库: {reason}", f"cannot open the database: {reason}")
            return report
        report["engine"] = f"{engine.dialect.name} {'.'.join(map(str, engine.dialect.server_version_info or ()))}"
        known = known_revisions()
        report["schema"] = revision
        report["schema_head"] = known[-1]
        if revision is None:
            problem("数据库里没有 tracker 的表(tracker init 会创建)",
                    "no tracker schema in this database (tracker init creates it)")
            return report
        if revision not in known:
            problem(f"架构版本 {revision!r} 不是这个版本的 tracker 所知的(由更新的版本创建?)",
                    f"schema revision {revision!r} is unknown to this version of tracker (made by a newer one?)")
            return report
        report["pending_migrations"] = known[known.index(revision) + 1:]
        if report["pending_migrations"]:
            count = len(report["pending_migrations"])
            problem(f"有 {count} 个迁移待执行: 任何打开数据库的命令都会执行它们",
                    f"{count} migration(s) pending: any command that opens the database runs them")
        _size_and_health(db, path, report, problem)
        _schema(db, path, revision, report, problem)
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
            problem(f"SQLite 完整性检查未通过: {report['quick_check']}(请恢复备份)",
                    f"SQLite's integrity check failed: {report['quick_check']} (restore a backup)")
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


def _history(db, report: dict, problem) -> None:
    from ..service.operations import broken_histories

    with db.reading() as session:
        checked, broken = broken_histories(session)
    report["history"] = {"checked": checked, "broken": [b.__dict__ for b in broken]}
    for b in broken[:10]:
        where = f"{b.plan} {b.task} {b.unit}"
        if b.row_id is None:
            problem(_("{where}: the latest status update was deleted or replaced (it is not the one recorded "
                      "last)").format(where=where))
        else:
            problem(_("{where}: status history changed or deleted from row #{row} on (the hash chain "
                      "breaks)").format(where=where, row=b.row_id))
    if len(broken) > 10:
        problem(_("{n} more assignments' histories were changed (tracker doctor --json lists all)").format(
            n=len(broken) - 10))


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


_COUNT_LABELS = {"jurisdictions": "地区", "units": "单位", "groups": "单位组", "liaisons": "联络员", "plans": "计划",
                 "tasks": "任务", "archived tasks": "已归档任务", "assignments": "分工", "status updates": "进度记录",
                 "feed tokens": "订阅令牌"}


@language.command()
@options.output_format()
@pass_app
def doctor(app: App, fmt: str) -> None:
    """Check the database: schema version, pending migrations, size, contents, unused feed tokens.
    Exits non-zero when something needs a person."""
    report = _examine(app.settings.database_url, _zh(app))
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
    zh = _zh(app)
    engine = f"({report['engine']})" if "engine" in report else ""
    echo(("数据库: " if zh else "database: ") + report["database"] + (engine if zh else f" {engine}".rstrip()))
    if "schema" in report and report["schema"]:
        pending = report.get("pending_migrations") or []
        state = (("最新" if zh else "up to date") if not pending
                 else (f"待执行迁移: {', '.join(pending)}" if zh else f"pending: {', '.join(pending)}"))
        echo((f"架构版本: {report['schema']}({state})" if zh else f"schema: {report['schema']} ({state})"))
    if "size_bytes" in report:
        size = _megabytes(report["size_bytes"])
        if "wal_bytes" in report:
            size += f" + WAL {_megabytes(report['wal_bytes'])}"
            size += (f",日志模式 {report['journal_mode']},完整性检查 {report['quick_check']}" if zh
                     else f", journal {report['journal_mode']}, integrity check {report['quick_check']}")
        echo(("大小: " if zh else "size: ") + size)
    if "counts" in report:
        counts = report["counts"]
        parts = [f"{_COUNT_LABELS[k]} {v}" if zh else f"{v} {k}" for k, v in counts.items()]
        echo(("内容: " if zh else "holds: ") + ("," if zh else ", ").join(parts))
        last = _instant(report["last_status_update"])
        echo(("最近进度记录: " if zh else "latest status update: ")
             + (clock.shown(last, app.settings.timezone) if last else ("无" if zh else "none")))
        unused = report["unused_feed_tokens"]
        if unused:
            echo((f"从未使用的订阅令牌 {len(unused)} 个:" if zh else f"feed tokens never used: {len(unused)}"))
            for token in unused:
                echo(f"  {token['jurisdiction']} {token['unit']}  "
                     + (f"创建于 {_day(app, token['created_at'])}" if zh else f"issued {_day(app, token['created_at'])}"))
        else:
            echo("订阅令牌: 均已使用或没有" if zh else "feed tokens: none unused")
    if "history" in report and not report["history"]["broken"]:
        echo(_("status history: {n} rows, hash chains intact").format(n=report["history"]["checked"]))
    if "access" in report:
        found = report["access"]
        if found is None:
            echo(_("access control: the embedded SQLite file, protected only by the file's permissions"))
        elif found["enabled"]:
            echo(_("access control: on, {n} liaison roles").format(n=found["logins"]))
        else:
            echo(_("access control: off (tracker access enable)"))
    for problem in report["problems"]:
        echo(("需要处理: " if zh else "needs attention: ") + problem, err=True)
    if not report["problems"]:
        echo("一切正常。" if zh else "All well.")
