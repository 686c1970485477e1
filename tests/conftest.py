"""Fixtures: a real SQLite file always, and a real PostgreSQL schema when
TRACKER_TEST_POSTGRES_URL is set (each test gets its own schema, dropped afterwards)."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker import clock, i18n
from tracker.store.db import Database

ROOT = Path(__file__).resolve().parent.parent
PLANS = ROOT / "plans"
SHARED = ROOT.parent / "shared"
POSTGRES_URL = os.environ.get("TRACKER_TEST_POSTGRES_URL")
ENGINES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """No test touches the user's data folder, database or clock."""
    monkeypatch.setenv("TRACKER_DATA_DIR", str(tmp_path / "data"))
    for name in ("TRACKER_DB", "TRACKER_TODAY", "TRACKER_LANG"):
        monkeypatch.delenv(name, raising=False)
    clock.pin(None)
    i18n.set_language(None)  # Chinese, as a fresh process starts: a `--lang en` run before does not leak
    yield
    clock.pin(None)
    i18n.set_language(None)


def _postgres_schema_url(schema: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_URL)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@pytest.fixture(params=ENGINES)
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
        return
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin_url = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield _postgres_schema_url(schema)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def db(db_url):
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def loaded_db(db):
    from tracker.service.loading import load_paths

    load_paths(db, [PLANS])
    return db


class Cli:
    """Runs the real `tracker` command in-process against one database."""

    def __init__(self, url: str):
        self.url = url
        self.runner = CliRunner()

    def __call__(self, *args: str, env: dict | None = None, today: str | None = None):
        from tracker.cli import cli

        environment = dict(env or {})
        if today:
            environment["TRACKER_TODAY"] = today
        return self.runner.invoke(cli, ["--db", self.url, *args], env=environment, catch_exceptions=True)


@pytest.fixture
def tracker_cli(db_url):
    return Cli(db_url)


def snapshot(url: str, ignore: tuple[str, ...] = ()) -> tuple:
    """Everything a database holds, to compare before and after a refused command:
    every row of every table, and for SQLite the bytes of the file itself (unless some tables
    are left out with `ignore`: then the rows of the others)."""
    from sqlalchemy import inspect, text

    engine = Database(url, migrate=False).engine.execution_options(tracker_read_only=True)
    rows = {}
    with engine.connect() as conn:
        for table in sorted(set(inspect(conn).get_table_names()) - set(ignore)):
            rows[table] = sorted(map(repr, conn.execute(text(f'SELECT * FROM "{table}"')).all()))
    file_hash = None
    if engine.dialect.name == "sqlite" and not ignore:
        import sqlite3

        with sqlite3.connect(engine.url.database) as raw:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        file_hash = hashlib.sha256(Path(engine.url.database).read_bytes()).hexdigest()
    engine.dispose()
    return file_hash, rows


def behind_the_back(db, statement: str, table: str = "status_update", **params) -> None:
    """Change a history table (the status history, or the supervision requests and decisions) as
    the database's owner can with their own tools: lift the append-only trigger, run
    `statement`, and put the trigger back so nothing looks amiss."""
    from sqlalchemy import text

    sqlite = db.engine.dialect.name == "sqlite"
    with db.engine.begin() as conn:
        if sqlite:
            triggers = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                         "AND tbl_name = :table"), {"table": table}).all()
            for name, _ in triggers:
                conn.execute(text(f"DROP TRIGGER {name}"))
        else:
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))
        conn.execute(text(statement), params)
        if sqlite:
            for _, create in triggers:
                conn.execute(text(create))
        else:
            conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only"))
