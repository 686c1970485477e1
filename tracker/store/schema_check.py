"""The schema as the migrations define it, and what a database has that differs from it.

A database can hold more than rows: an extra trigger (one that empties the history on every
insert), a policy, an index or a function nobody asked for travel along in a backup file and keep
working after a restore. So `tracker restore` and `tracker doctor` build the schema the
migrations define at the database's own revision (on a scratch SQLite file, or in a scratch
PostgreSQL schema dropped afterwards) and compare the two object by object: tables with their
columns and constraints, indexes, triggers, policies and functions.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import tempfile
import uuid
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from ..i18n import N_, _

# what an object is, in the words a person reads
KINDS = ("table", "index", "trigger", "view", "policy", "function", "column", "constraint")


@dataclass(frozen=True, order=True)
class Difference:
    change: str  # "extra", "missing", "changed"
    kind: str
    name: str  # "status_update", "status_update.wipe", …

    def describe(self) -> str:
        return _(_WORDING[(self.change, self.kind)]).format(name=self.name)


_WORDING = {(change, kind): text for change, texts in (
    ("extra", (N_("extra table {name}"), N_("extra index {name}"), N_("extra trigger {name}"),
               N_("extra view {name}"), N_("extra policy {name}"), N_("extra function {name}"),
               N_("extra column {name}"), N_("extra constraint {name}"))),
    ("missing", (N_("missing table {name}"), N_("missing index {name}"), N_("missing trigger {name}"),
                 N_("missing view {name}"), N_("missing policy {name}"), N_("missing function {name}"),
                 N_("missing column {name}"), N_("missing constraint {name}"))),
    ("changed", (N_("changed table {name}"), N_("changed index {name}"), N_("changed trigger {name}"),
                 N_("changed view {name}"), N_("changed policy {name}"), N_("changed function {name}"),
                 N_("changed column {name}"), N_("changed constraint {name}"))),
) for kind, text in zip(KINDS, texts)}


Schema = dict[tuple[str, str], str]  # (kind, name) → its definition, normalised


def compare(found: Schema, expected: Schema) -> list[Difference]:
    out = [Difference("extra", kind, name) for (kind, name) in found.keys() - expected.keys()]
    out += [Difference("missing", kind, name) for (kind, name) in expected.keys() - found.keys()]
    out += [Difference("changed", kind, name) for (kind, name) in found.keys() & expected.keys()
            if found[(kind, name)] != expected[(kind, name)]]
    return sorted(out, key=lambda d: (KINDS.index(d.kind) if d.kind in KINDS else len(KINDS), d.name, d.change))


def _squeeze(sql: str | None) -> str:
    return re.sub(r"\s+", " ", (sql or "").strip()).replace("( ", "(").replace(" )", ")")


# ---------------------------------------------------------------------- SQLite


def read_sqlite(connection: sqlite3.Connection) -> Schema:
    rows = connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                              "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").fetchall()
    # quoting is a matter of the SQLAlchemy version that wrote the statement, not of the schema
    return {(kind, name if kind == "table" else f"{table}.{name}"):
            _table_parts(_squeeze(sql).replace('"', "")) if kind == "table" else _squeeze(sql).replace('"', "")
            for kind, name, table, sql in rows}


def _table_parts(sql: str) -> str:
    """A CREATE TABLE statement with its columns and constraints in a stable order: Alembic's
    batch mode writes a rebuilt table's foreign keys in no particular order."""
    head, _, body = sql.partition("(")
    parts, depth, current = [], 0, ""
    for char in body.rstrip().removesuffix(")"):
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return f"{head.strip()} ({', '.join(sorted(parts))})"


_expected_sqlite: dict[str, Schema] = {}


@contextmanager
def _quietly():
    """Alembic tells the log about each migration; a scratch build is nobody's news (and doctor
    --json must print JSON alone, whatever logging a host program set up)."""
    logger = logging.getLogger("alembic")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def sqlite_at(revision: str) -> Schema:
    """The SQLite schema the migrations make at `revision`, built on a scratch file."""
    if revision not in _expected_sqlite:
        from .db import make_engine, upgrade

        with tempfile.TemporaryDirectory(prefix="tracker-schema-") as folder:
            path = Path(folder) / "expected.sqlite3"
            engine = make_engine(f"sqlite:///{path}")
            try:
                with _quietly():
                    upgrade(engine, revision)
            finally:
                engine.dispose()
            with closing(sqlite3.connect(path)) as connection:
                _expected_sqlite[revision] = read_sqlite(connection)
    return _expected_sqlite[revision]


def sqlite_differences(connection: sqlite3.Connection, revision: str) -> list[Difference]:
    return compare(read_sqlite(connection), sqlite_at(revision))


# ---------------------------------------------------------------------- PostgreSQL

_CATALOGUE = {
    "column": "SELECT table_name || '.' || column_name, concat_ws(' ', data_type, character_maximum_length, "
              "is_nullable, column_default) FROM information_schema.columns WHERE table_schema = :s",
    "table": "SELECT tablename, tablename FROM pg_tables WHERE schemaname = :s",
    "constraint": "SELECT rel.relname || '.' || c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                  "JOIN pg_class rel ON rel.oid = c.conrelid JOIN pg_namespace n ON n.oid = rel.relnamespace "
                  "WHERE n.nspname = :s",
    "index": "SELECT tablename || '.' || indexname, indexdef FROM pg_indexes WHERE schemaname = :s",
    "trigger": "SELECT rel.relname || '.' || t.tgname, pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text "
               "FROM pg_trigger t JOIN pg_class rel ON rel.oid = t.tgrelid "
               "JOIN pg_namespace n ON n.oid = rel.relnamespace WHERE n.nspname = :s AND NOT t.tgisinternal",
    "policy": "SELECT tablename || '.' || policyname, concat_ws(' ', permissive, roles::text, cmd, qual, with_check) "
              "FROM pg_policies WHERE schemaname = :s",
    "function": "SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', "
                "pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = :s",
    "view": "SELECT viewname, definition FROM pg_views WHERE schemaname = :s",
}


def read_postgres(conn, schema: str) -> Schema:
    """Every object of `schema`, its definition with the schema's own name taken out (so a
    scratch copy of the same schema compares equal)."""
    name = re.escape(schema)
    qualified = re.compile(rf'(?:"{name}"|\b{name}\b)(?=\.)')  # schema.table, "schema".table
    search_path = re.compile(rf"""(search_path TO )['"]*{name}['"]*""")  # a function's own setting
    found: Schema = {}
    for kind, query in _CATALOGUE.items():
        for key, definition in conn.execute(text(query), {"s": schema}):
            found[(kind, key)] = _squeeze(search_path.sub(r"\1@", qualified.sub("@", str(definition))))
    return found


def postgres_differences(engine, revision: str) -> list[Difference]:
    """The live schema against the migrations' own, built in a scratch schema of the same
    database (the connected role must be allowed to create one) and dropped afterwards."""
    from sqlalchemy.engine import make_url

    from .db import make_engine, upgrade

    scratch = f"tracker_expected_{uuid.uuid4().hex[:12]}"
    with engine.begin() as conn:
        live = conn.execute(text("SELECT current_schema()")).scalar()
        conn.execute(text(f'CREATE SCHEMA "{scratch}"'))
    try:
        url = make_url(engine.url).update_query_dict({"options": f"-csearch_path={scratch}"})
        expected_engine = make_engine(url.render_as_string(hide_password=False))
        try:
            with _quietly():
                upgrade(expected_engine, revision)
            with expected_engine.connect() as conn:
                expected = read_postgres(conn, scratch)
        finally:
            expected_engine.dispose()
        with engine.connect() as conn:
            found = read_postgres(conn, live)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{scratch}" CASCADE'))
    return compare(found, expected)
