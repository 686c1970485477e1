"""Backups of the embedded SQLite database: taken and restored with SQLite's online backup API,
so liaisons can keep working meanwhile and a reader never sees half a database.

A backup is one self-contained file (rollback-journal mode, no -wal beside it). A restore checks
the file first (a SQLite database, intact, holding tracker's tables at a schema revision this
version knows) and refuses with the reason otherwise; the current database is not touched
until every check has passed, and is itself saved beside it before being replaced.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from ..errors import N_, TrackerError
from .schema import revisions
from .schema_check import sqlite_differences

SQLITE_HEADER = b"SQLite format 3\x00"
# the tables a tracker database cannot be without
CORE_TABLES = ("jurisdiction", "unit", "plan", "task", "assignment", "status_update", "alembic_version")


def sqlite_path(url: str) -> Path | None:
    """The file of a sqlite:/// URL; None for any other database."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise TrackerError(N_("an in-memory database has nothing to back up or restore"))
    return Path(parsed.database)


def sqlite_health(engine) -> tuple[str, str]:
    """A live SQLite database's journal mode and the answer of its quick check ("ok" when intact)."""
    with engine.connect() as conn:
        return conn.exec_driver_sql("PRAGMA journal_mode").scalar(), conn.exec_driver_sql("PRAGMA quick_check").scalar()


def _connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    connection = sqlite3.connect(uri, uri=True, timeout=30)
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


def backup_sqlite(source: Path, target: Path) -> None:
    """Copy a live database into `target` (written beside it first, then moved into place)."""
    if not source.is_file():
        raise TrackerError(N_("there is no database file to back up"), where=str(source))
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with closing(_connect(source)) as live, closing(sqlite3.connect(partial)) as copy:
            live.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal to carry along
            problem = copy.execute("PRAGMA quick_check").fetchone()[0]
        if problem != "ok":
            raise TrackerError(N_("the copy failed SQLite's check ({problem}); nothing was written"), where=str(target), problem=problem)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


@dataclass
class BackupInfo:
    path: Path
    revision: str
    counts: dict[str, int]
    size: int


def check_backup(path: Path, *, compare_schema: bool = True) -> BackupInfo:
    """The file is an intact tracker database at a revision this version knows, holding exactly
    the schema the migrations define at that revision (no extra trigger, index or view), or an
    error saying what it is instead."""
    where = str(path)
    if not path.is_file():
        raise TrackerError(N_("no such file"), where=where)
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise TrackerError(N_("not a SQLite database file (a tracker backup is one)"), where=where)
    try:
        with closing(_connect(path, readonly=True)) as connection:
            problem = connection.execute("PRAGMA quick_check").fetchone()[0]
            if problem != "ok":
                raise TrackerError(N_("the file is damaged ({problem})"), where=where, problem=problem)
            tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            missing = [t for t in CORE_TABLES if t not in tables]
            if missing:
                raise TrackerError(N_("a SQLite database, but not a tracker one (no {missing} table)"),
                                   where=where, missing=missing)
            revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            counts = {table: connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                      for table in ("plan", "task", "assignment", "status_update")}
    except sqlite3.DatabaseError as exc:
        raise TrackerError(N_("cannot be read as a database: {exc}"), where=where, exc=exc) from None
    known = revisions()
    if revision is None or revision[0] not in known:
        found = revision[0] if revision else "none"
        raise TrackerError(N_("its schema revision {found!r} is unknown to this version of tracker (it knows {known}): it was made by a newer tracker, or is not a tracker backup"),
                           where=where, found=found, known=known)
    if compare_schema:
        with closing(_connect(path, readonly=True)) as connection:
            differences = sqlite_differences(connection, revision[0])
        if differences:
            raise TrackerError(N_("its schema is not the one tracker's migrations define at its revision "
                                  "{revision} ({differences}): a tracker backup holds nothing else, so it is not "
                                  "restored"), where=where, revision=revision[0],
                               differences="; ".join(d.describe() for d in differences))
    return BackupInfo(path, revision[0], counts, path.stat().st_size)


def restore_sqlite(backup: Path, target: Path) -> Path | None:
    """Replace the database at `target` with the checked `backup`, in one transaction on the live
    file (other connections see the old or the new database, never a mix). The database it
    replaces is saved first; returns where (None when there was none)."""
    saved = None
    if target.is_file():
        saved = target.with_name(f"{target.stem}.before-restore-{time.strftime('%Y%m%d-%H%M%S')}{target.suffix}")
        backup_sqlite(target, saved)
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(_connect(backup, readonly=True)) as source, closing(_connect(target)) as live:
        source.backup(live)
        live.execute("PRAGMA journal_mode=WAL")
    return saved
