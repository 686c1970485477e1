"""Engines and sessions: SQLite pragmas, migrations on first use, one transaction per command."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from ..errors import TrackerError

# The newest migration. Checked against the migrations folder by a test, so a quick start-up
# can compare one row instead of loading Alembic for every command.
SCHEMA_HEAD = "0002_history_chain_and_access"
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
        raise TrackerError(f"not a database URL: {url!r} (e.g. sqlite:///tracker.db or postgresql://host/db)") from None
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
        raise TrackerError(f"cannot use the database URL {url!r}: {exc}") from None


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
        raise TrackerError(f"cannot open the database {engine.url.render_as_string(hide_password=True)}: "
                           f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}") from None
    if revision == SCHEMA_HEAD:
        return False
    upgrade(engine)
    return True


class Database:
    """One database: its engine and a way to run one transaction."""

    def __init__(self, url: str, *, migrate: bool = True):
        self.url = url
        self.engine = make_engine(url)
        if migrate:
            self.created = ensure_schema(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self.engine.execution_options(tracker_read_only=True),
                                           expire_on_commit=False)

    @contextmanager
    def transaction(self):
        """One unit of work: committed as a whole, or rolled back as a whole on any error."""
        session: Session = self._sessions()
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    @contextmanager
    def reading(self):
        """A read-only look: never holds a write lock, rolled back at the end."""
        session: Session = self._read_sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
