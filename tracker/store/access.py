"""Liaisons' own database roles on the shared PostgreSQL, and what each may do there.

PostgreSQL does the authentication (passwords as SCRAM verifiers, or the server's certificate
or peer rules in its own pg_hba.conf) and the enforcement: the policies and triggers of
migrations 0002, 0004, 0005 and 0007 (closing approval: a lead's own login cannot write its task
done) act on `session_user`; this module makes the roles and grants they need. Roles
are the cluster's, not one database's, so every tracker database (or schema) has its own names:
a group role `<scope>_liaisons` holds the grants, and each liaison's login is a member of it.

The connected role needs CREATEROLE (or superuser) and must own the tracker's tables: it is the
tracker's administrator, who loads plans and owns the schema.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..errors import TrackerError
from ..i18n import N_

# what a liaison's role may write: add history rows, and move its assignments' latest status
# (the copy lists read); everything else it may only read
WRITES = {"status_update": ("INSERT", None), "assignment": ("UPDATE", ("status", "percent", "status_at", "version")),
          "ledger_return": ("INSERT", None),  # a returned ledger counts as a report (报送)
          # ask the coordinator (a unit for its own assignments), and decide (the coordinator): migration 0005
          "supervision_request": ("INSERT", None), "supervision_decision": ("INSERT", None)}
# the tables whose rows a liaison may write only where the policies say: row-level security
GUARDED = ("status_update", "assignment", "ledger_return", "supervision_request", "supervision_decision")
# feed tokens are the feed server's; a liaison reads everything else the tracker shows
UNREADABLE = ("feed_token",)
PRIVILEGES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


def _identifier(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(name)


def scope(conn: Connection) -> tuple[str, str]:
    """(database, schema) the tracker's tables live in."""
    database, schema = conn.execute(text("SELECT current_database(), current_schema()")).one()
    if schema is None:
        raise TrackerError(N_("the connection has no current schema (search_path names no existing schema)"))
    return database, schema


def _scope_name(conn: Connection) -> str:
    database, schema = scope(conn)
    name = database if schema == "public" else f"{database}_{schema}"
    return re.sub(r"[^a-z0-9_]", "_", name.lower())[:40]


def group_role(conn: Connection) -> str:
    return f"{_scope_name(conn)}_liaisons"


def default_login(conn: Connection, liaison_id: int) -> str:
    return f"{_scope_name(conn)}_liaison{liaison_id}"


def tables(conn: Connection) -> list[str]:
    schema = scope(conn)[1]
    return list(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = :s ORDER BY tablename"),
                             {"s": schema}).scalars())


def existing_roles(conn: Connection, names: list[str]) -> set[str]:
    return set(conn.execute(text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:r)"), {"r": names}).scalars())


def _role_exists(conn: Connection, role: str) -> bool:
    return bool(existing_roles(conn, [role]))


def enable(conn: Connection) -> str:
    """Turn access control on (idempotent): the liaisons' group role, its grants, row-level
    security on the guarded tables. Returns the group role's name."""
    schema = scope(conn)[1]
    group = group_role(conn)
    q = lambda name: _identifier(conn, name)  # noqa: E731
    if not _role_exists(conn, group):
        conn.execute(text(f"CREATE ROLE {q(group)} NOLOGIN"))
    conn.execute(text(f"GRANT USAGE ON SCHEMA {q(schema)} TO {q(group)}"))
    # tables a later migration adds are readable too (writing them needs `access enable` again)
    conn.execute(text(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {q(schema)} GRANT SELECT ON TABLES TO {q(group)}"))
    for table in tables(conn):
        conn.execute(text(f"REVOKE ALL ON TABLE {q(table)} FROM PUBLIC"))
        conn.execute(text(f"REVOKE ALL ON TABLE {q(table)} FROM {q(group)}"))
        if table not in UNREADABLE:
            conn.execute(text(f"GRANT SELECT ON TABLE {q(table)} TO {q(group)}"))
    for table, (privilege, columns) in WRITES.items():
        listed = f" ({', '.join(map(q, columns))})" if columns else ""
        conn.execute(text(f"GRANT {privilege}{listed} ON TABLE {q(table)} TO {q(group)}"))
        if privilege == "INSERT":  # new rows take their id from the table's sequence
            sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}).scalar()
            conn.execute(text(f"GRANT USAGE ON SEQUENCE {sequence} TO {q(group)}"))
    for table in GUARDED:
        conn.execute(text(f"ALTER TABLE {q(table)} ENABLE ROW LEVEL SECURITY"))
    return group


def is_enabled(conn: Connection) -> bool:
    schema = scope(conn)[1]
    found = conn.execute(text(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = :s AND c.relname = ANY(:t) AND c.relrowsecurity"), {"s": schema, "t": list(GUARDED)}).scalar()
    return found == len(GUARDED)


@dataclass(frozen=True)
class Granted:
    login: str
    password: str | None  # shown once; None when the server authenticates otherwise (cert, peer)


def create_login(conn: Connection, login: str, *, password: bool) -> Granted:
    """A login role in the liaisons' group, reading the tracker's schema by default. The password
    (if any) travels as a SCRAM verifier computed here by libpq, never as the password itself."""
    if not is_enabled(conn):
        raise TrackerError(N_("access control is not on for this database: run `tracker access enable` first"))
    if _role_exists(conn, login):
        raise TrackerError(N_("a database role named {login} exists already; choose another with --login"), login=login)
    schema = scope(conn)[1]
    q = lambda name: _identifier(conn, name)  # noqa: E731
    secret = verifier = None
    if password:
        secret = secrets.token_urlsafe(18)
        raw = conn.connection.driver_connection
        verifier = raw.pgconn.encrypt_password(secret.encode(), login.encode(), b"scram-sha-256").decode()
        if not re.fullmatch(r"SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+", verifier):
            raise TrackerError(N_("libpq gave an unexpected password verifier; no role was made"))
    # a utility statement takes no bound parameters: the verifier (base64 and $ : only) is spelled in
    conn.exec_driver_sql(f"CREATE ROLE {q(login)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT "
                         f"IN ROLE {q(group_role(conn))}" + (f" PASSWORD '{verifier}'" if verifier else ""))
    conn.execute(text(f"ALTER ROLE {q(login)} SET search_path = {q(schema)}"))
    return Granted(login, secret)


def drop_login(conn: Connection, login: str) -> bool:
    """End the role's sessions and drop it, so it cannot connect again. False if it was gone."""
    if not _role_exists(conn, login):
        return False
    conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"), {"r": login})
    conn.execute(text(f"DROP ROLE {_identifier(conn, login)}"))
    return True


def connection_line(conn: Connection, login: str) -> str:
    """The URL a liaison's TRACKER_DB holds: the server's, with the liaison's login and no password
    (that goes into ~/.pgpass, or the server's certificate or peer rule stands in)."""
    url = conn.engine.url.set(drivername="postgresql", username=login, password=None)
    query = {k: v for k, v in url.query.items() if k != "options"}  # the role's search_path does that job
    return url.set(query=query).render_as_string(hide_password=False)


def pgpass_line(conn: Connection, login: str, password: str) -> str:
    url = conn.engine.url
    escape = lambda value: str(value).replace("\\", "\\\\").replace(":", "\\:")  # noqa: E731
    return ":".join(escape(part) for part in (url.host or "localhost", url.port or 5432, url.database, login, password))


# ---------------------------------------------------------------------- what doctor checks


def excess_rights(conn: Connection, logins: list[str]) -> list[tuple[str, str]]:
    """(role, what it may do that a liaison should not) for each of `logins` and for PUBLIC:
    role attributes, membership of other roles, and table privileges beyond WRITES."""
    found: list[tuple[str, str]] = []
    flags = ("rolsuper", "rolcreaterole", "rolcreatedb", "rolbypassrls", "rolreplication")
    for row in conn.execute(text(f"SELECT rolname, {', '.join(flags)} FROM pg_roles WHERE rolname = ANY(:r) "
                                 "ORDER BY rolname"), {"r": logins}):
        found.extend((row[0], flag[3:].upper()) for flag, on in zip(flags, row[1:]) if on)
    found.extend(conn.execute(text(
        "SELECT u.rolname, 'member of ' || g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = ANY(:r) AND g.rolname <> :g ORDER BY 1, 2"),
        {"r": logins, "g": group_role(conn)}).all())
    schema = scope(conn)[1]
    # a privilege on any column counts (has_any_column_privilege), then the allowed columns are let off
    granted = conn.execute(text(
        "SELECT r.rolname, c.relname, p, a.attname FROM pg_roles r, pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace, unnest(CAST(:p AS text[])) p, pg_attribute a "
        "WHERE r.rolname = ANY(:r) AND n.nspname = :s AND c.relkind = 'r' AND a.attrelid = c.oid AND a.attnum > 0 "
        "AND NOT a.attisdropped AND CASE WHEN p IN ('INSERT', 'UPDATE', 'REFERENCES') "
        "THEN has_column_privilege(r.oid, c.oid, a.attnum, p) ELSE has_table_privilege(r.oid, c.oid, p) END "
        "ORDER BY 1, 2, 3, 4"), {"r": logins, "s": schema, "p": list(PRIVILEGES)}).all()
    excess: dict[tuple[str, str, str], None] = {}
    for role, table, privilege, column in granted:
        allowed, columns = WRITES.get(table, (None, None))
        if privilege != allowed or (columns is not None and column not in columns):
            excess[(role, privilege, table)] = None
    found.extend((role, f"{privilege} on {table}") for role, privilege, table in excess)
    public = conn.execute(text(
        "SELECT c.relname, a.privilege_type FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, "
        "aclexplode(c.relacl) a WHERE n.nspname = :s AND c.relkind = 'r' AND a.grantee = 0 ORDER BY 1, 2"),
        {"s": schema}).all()
    found.extend(("PUBLIC", f"{privilege} on {table}") for table, privilege in public)
    return found
