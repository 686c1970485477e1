"""Who is connected, and whom they may act as: on the shared PostgreSQL the identity comes from
the connection (a liaison's own login role), not from what the client says.

The rule lives here once: a connected liaison acts as its own unit and under its own name; a
command's --as / --by may only repeat that. The database enforces the same again (migration
0002's policies and insert trigger), so a client that skips this module gains nothing. On the
embedded SQLite file, and for the administrator's own connection, nobody is "connected as" a
liaison and the identity given is trusted, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import literal_column, select
from sqlalchemy.orm import Session

from .. import clock
from ..errors import N_, NotFound, PermissionDenied, TrackerError
from ..store import access as roles
from ..store.models import AccessLogin, Jurisdiction, Liaison, Unit

if TYPE_CHECKING:  # the package imports this module first
    from . import UnitRef

_CACHE = "tracker_connected_liaison"


@dataclass(frozen=True)
class ConnectedLiaison:
    login: str
    liaison_id: int
    liaison: str
    unit_id: int
    unit: str
    jurisdiction: str


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def connected_liaison(session: Session) -> ConnectedLiaison | None:
    """The liaison whose login this connection is, or None (SQLite; the administrator; a role
    the tracker did not grant). One statement per session, on PostgreSQL only."""
    if not _postgres(session):
        return None
    if _CACHE not in session.info:
        row = session.execute(
            select(AccessLogin.role_name, Liaison.id, Liaison.name, Unit.id, Unit.name, Jurisdiction.name)
            .join(Liaison, Liaison.id == AccessLogin.liaison_id).join(Unit, Unit.id == Liaison.unit_id)
            .join(Jurisdiction, Jurisdiction.id == Unit.jurisdiction_id)
            .where(AccessLogin.role_name == literal_column("session_user"), AccessLogin.revoked_at.is_(None))).first()
        session.info[_CACHE] = ConnectedLiaison(*row) if row else None
    return session.info[_CACHE]


def acting_identity(session: Session, acting_unit_id: int | None, by: str | None) -> tuple[int | None, str | None]:
    """The unit and liaison name an update is recorded as. Connected as a liaison: its own, and
    any other asked for is refused saying who the connection is; otherwise what was asked."""
    me = connected_liaison(session)
    if me is None:
        return acting_unit_id, by
    if acting_unit_id is not None and acting_unit_id != me.unit_id:
        other = session.get(Unit, acting_unit_id)
        raise PermissionDenied(N_("you are connected as {liaison} of {unit} ({jurisdiction}, database role {login}): "
                                  "you cannot act as {other}"), liaison=me.liaison, unit=me.unit,
                               jurisdiction=me.jurisdiction, login=me.login,
                               other=other.name if other else acting_unit_id)
    if by and by.strip() and by.strip() != me.liaison:
        raise PermissionDenied(N_("you are connected as {liaison} of {unit} ({jurisdiction}, database role {login}): "
                                  "updates are recorded under that name, not {name}"), liaison=me.liaison,
                               unit=me.unit, jurisdiction=me.jurisdiction, login=me.login, name=by.strip())
    return me.unit_id, me.liaison


# ---------------------------------------------------------------------- the administrator's commands


def _require_postgres(session: Session) -> None:
    if not _postgres(session):
        raise TrackerError(N_("access control is for the shared PostgreSQL deployment; the embedded SQLite file "
                              "is protected only by who may read and write the file (see README)"))


def enable(session: Session) -> str:
    _require_postgres(session)
    return roles.enable(session.connection())


@dataclass(frozen=True)
class Grant:
    login: str
    password: str | None
    liaison: str
    unit: str
    jurisdiction: str
    connection_line: str
    pgpass_line: str | None


def grant(session: Session, name: str, unit: UnitRef, *, login: str | None = None, password: bool = True) -> Grant:
    """A login role for liaison `name` of `unit` (the liaison is put on record if new)."""
    _require_postgres(session)
    name = name.strip()
    if not name:
        raise TrackerError(N_("a liaison needs a name"))
    liaison = session.scalar(select(Liaison).where(Liaison.unit_id == unit.id, Liaison.name == name))
    if liaison is None:
        liaison = Liaison(unit_id=unit.id, name=name)
        session.add(liaison)
        session.flush()
    active = session.scalar(select(AccessLogin.role_name).where(AccessLogin.liaison_id == liaison.id,
                                                                AccessLogin.revoked_at.is_(None)))
    if active:
        raise TrackerError(N_("{name} of {unit} has the login {login} already; revoke it first to make a new "
                              "one"), name=name, unit=unit.name, login=active)
    conn = session.connection()
    login = login or roles.default_login(conn, liaison.id)
    made = roles.create_login(conn, login, password=password)
    record = session.get(AccessLogin, login)
    if record is None:
        session.add(AccessLogin(role_name=login, liaison_id=liaison.id, granted_at=clock.now()))
    else:  # a login name used before, revoked since
        record.liaison_id, record.granted_at, record.revoked_at = liaison.id, clock.now(), None
    session.flush()
    return Grant(login, made.password, name, unit.name, unit.jurisdiction, roles.connection_line(conn, login),
                 roles.pgpass_line(conn, login, made.password) if made.password else None)


def revoke(session: Session, name: str, unit: UnitRef) -> list[str]:
    """Drop every login of liaison `name` of `unit`, ending its sessions; the record stays."""
    _require_postgres(session)
    logins = list(session.scalars(
        select(AccessLogin).join(Liaison, Liaison.id == AccessLogin.liaison_id)
        .where(Liaison.unit_id == unit.id, Liaison.name == name.strip(), AccessLogin.revoked_at.is_(None))))
    if not logins:
        raise NotFound(N_("{name} of {unit} has no login to revoke"), name=name, unit=unit.name)
    conn = session.connection()
    for record in logins:
        roles.drop_login(conn, record.role_name)
        record.revoked_at = clock.now()
    session.flush()
    return [record.role_name for record in logins]


@dataclass(frozen=True)
class LoginRecord:
    login: str
    liaison: str
    unit: str
    jurisdiction: str
    granted_at: datetime
    revoked_at: datetime | None
    role_exists: bool


def logins(session: Session) -> list[LoginRecord]:
    _require_postgres(session)
    rows = session.execute(
        select(AccessLogin, Liaison.name, Unit.name, Jurisdiction.name)
        .join(Liaison, Liaison.id == AccessLogin.liaison_id).join(Unit, Unit.id == Liaison.unit_id)
        .join(Jurisdiction, Jurisdiction.id == Unit.jurisdiction_id)
        .order_by(Jurisdiction.id, Unit.name, Liaison.name, AccessLogin.granted_at)).all()
    existing = roles.existing_roles(session.connection(), [record.role_name for record, *_ in rows])
    return [LoginRecord(record.role_name, liaison, unit, jurisdiction, record.granted_at, record.revoked_at,
                        record.role_name in existing) for record, liaison, unit, jurisdiction in rows]


@dataclass(frozen=True)
class AccessReport:
    enabled: bool
    logins: int
    excess: list[tuple[str, str]]  # (role, a right it should not have)
    revoked_but_present: list[str]  # revoked logins whose role still exists


def report(session: Session) -> AccessReport | None:
    """What doctor says about access control; None on SQLite."""
    if not _postgres(session):
        return None
    conn = session.connection()
    records = logins(session)
    active = [r.login for r in records if r.revoked_at is None]
    return AccessReport(roles.is_enabled(conn), len(active), roles.excess_rights(conn, active),
                        [r.login for r in records if r.revoked_at is not None and r.role_exists])
