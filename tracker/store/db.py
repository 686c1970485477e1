"""Engines and sessions: SQLite pragmas, migrations on first use, one transaction per command."""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import N_, DatabaseError, PermissionDenied, TrackerError
from . import schema

# The newest migration, read from the migration files (store/schema.py), so a quick start-up
# compares one row instead of loading Alembic for every command.
SCHEMA_HEAD = schema.head()
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets liaisons read while one writes; the busy timeout turns "database is locked"
    # into a short wait; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn) -> None:
    # A writing transaction takes the write lock at its start (BEGIN IMMEDIATE), so two writers
    # wait for each other instead of one failing at commit with "database is locked"; readers
    # take no lock and, under WAL, never block a writer.
    if conn.get_execution_options().get("tracker_read_only"):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def shown_url(url: str) -> str:
    """The URL as it may be shown to people: the password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except Exception:
        raise TrackerError(N_("not a database URL: {url!r} (e.g. sqlite:///tracker.db or postgresql://host/db)"), url=url) from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"isolation_level": None})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except Exception as exc:  # unknown dialect, missing driver
        raise TrackerError(N_("cannot use the database URL {url!r}: {exc}"), url=url, exc=exc) from None


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def alembic_config(engine: Engine):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def ensure_schema(engine: Engine) -> bool:
    """Create or migrate the schema if it is not at head. Returns True when it did anything."""
    try:
        revision = current_revision(engine)
    except Exception as exc:  # connection refused, bad credentials, not a database file
        raise TrackerError(N_("cannot open the database {url}: {error}: {reason}"),
                           url=engine.url.render_as_string(hide_password=True), error=exc.__class__.__name__,
                           reason=str(exc).splitlines()[0]) from None
    if revision == SCHEMA_HEAD:
        return False
    upgrade(engine)
    return True


def database_error(exc: DBAPIError) -> DatabaseError:
    """The driver's error as the project's own: its first line, without SQL or parameters."""
    reason = str(exc.orig if exc.orig is not None else exc).strip().splitlines()
    return DatabaseError(reason[0] if reason else type(exc.orig or exc).__name__)


# what the closing-approval triggers of migration 0007 refuse, by the constraint name they raise
CLOSING_REFUSALS = {
    "tracker_closing_approval": N_("the database refuses this change: on a plan with closing approval, only the "
                                   "coordinating unit's approval (销号) closes a lead unit's task; record 已完成 to "
                                   "file a closing request (申请办结)"),
    "tracker_closing_pending": N_("the database refuses this change: the task's closing request awaits the "
                                  "coordinating unit, who approves or returns it (tracker review)"),
    "tracker_closing_request": N_("the database refuses this change: a task reads 待审核 only while a closing request "
                                  "of it awaits a decision"),
}


def refusal(exc: DBAPIError) -> TrackerError:
    """The driver's error as the project's own: a refusal of the database's rules (migration
    0007) in the catalogue's words, anything else as a DatabaseError."""
    diagnosis = getattr(exc.orig, "diag", None)
    message = CLOSING_REFUSALS.get(getattr(diagnosis, "constraint_name", None) or "")
    return PermissionDenied(message) if message else database_error(exc)


class Database:
    """One database: its engine and a way to run one transaction.

    Driver errors stop here: whatever the session raises from the driver leaves as
    tracker.errors.DatabaseError, so the front ends handle one error type of ours."""

    def __init__(self, url: str, *, migrate: bool = True):
        self.url = url
        self.engine = make_engine(url)
        if migrate:
            self.created = ensure_schema(self.engine)
        # this engine's commits, for change_marker: SQLite's data_version misses a connection's own.
        # Counted here, on the base engine, whose listeners also hear the read-only proxy's
        # connections, and handed to every session through its info.
        commits = [0]

        def committed(_connection) -> None:
            commits[0] += 1

        event.listen(self.engine, "commit", committed)
        info = {"tracker_commits": commits}
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, info=info)
        self._read_sessions = sessionmaker(self.engine.execution_options(tracker_read_only=True),
                                           expire_on_commit=False, info=info)

    @contextmanager
    def transaction(self):
        """One unit of work: committed as a whole, or rolled back as a whole on any error."""
        session: Session = self._sessions()
        try:
            with session.begin():
                yield session
        except DBAPIError as exc:
            raise refusal(exc) from exc
        finally:
            session.close()

    @contextmanager
    def reading(self):
        """A read-only look: never holds a write lock, rolled back at the end."""
        session: Session = self._read_sessions()
        try:
            yield session
        except DBAPIError as exc:
            raise refusal(exc) from exc
        finally:
            session.rollback()
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


_CONNECTIONS = itertools.count(1)


def change_marker(session: Session) -> tuple | None:
    """Something cheap that is the same only if no write has become visible since it was last read,
    so a fingerprint read under one marker still holds while the marker is unchanged: a poll then
    costs this one statement instead of the fingerprint's join over the unit's tasks (10 ms for
    2,000 of them). False alarms only cost the fingerprint; None means no such marker.

    SQLite: the connection's data_version (moves when another connection commits) with this
    database's own commit count (data_version misses the connection's own writes). PostgreSQL: the
    snapshot, which names every transaction that has finished or is still running."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        commits = session.info.get("tracker_commits")
        if commits is None:  # a session Database did not make: its own writes would go unseen
            return None
        version = connection.exec_driver_sql("PRAGMA data_version").scalar()
        # which connection: data_version counts per connection, and a new one may start where
        # a closed one stood (an id() could be reused by it, a number of our own is not)
        info = connection.connection.info
        if "tracker_connection" not in info:
            info["tracker_connection"] = next(_CONNECTIONS)
        return (info["tracker_connection"], version, commits[0])
    if connection.dialect.name == "postgresql":
        return (connection.exec_driver_sql("SELECT pg_current_snapshot()::text").scalar(),)
    return None
