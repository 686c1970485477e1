"""`tracker access`: liaisons' own roles on the shared PostgreSQL (enable, grant, revoke, list).

The administrator runs these, connected as the role that owns the tracker's schema (and may
create roles). What each role may then do is the database's to enforce: see README's table.
"""

from __future__ import annotations

import click

from .. import clock
from . import language, options
from .context import App, echo, echo_json, pass_app
from ..i18n import _


@language.group()
def access() -> None:
    """Liaisons' own database roles on the shared PostgreSQL, and row-level security."""


@access.command()
@pass_app
def enable(app: App) -> None:
    """Turn access control on: the liaisons' group role, its grants, row-level security."""
    from ..service import access as rules

    with app.db.transaction() as session:
        group = rules.enable(session)
    echo(_("access control is on: liaisons' group role {group}, row-level security in force").format(group=group))


_unit_options = options.unit_and_jurisdiction(required=True, unit_help="The liaison's unit.")


@access.command()
@click.argument("name")
@_unit_options
@click.option("--login", metavar="ROLE", help="The database role's name (default: made from the database and the liaison).")
@click.option("--no-password", is_flag=True,
              help="Make no password: the server authenticates the role otherwise (certificate or peer, in pg_hba.conf).")
@pass_app
def grant(app: App, name: str, unit_name: str, jurisdiction: str | None, login: str | None, no_password: bool) -> None:
    """Give liaison NAME of a unit a login role of its own; prints its connection line (and its
    password, once)."""
    from ..service import access as rules

    with app.db.transaction() as session:
        made = rules.grant(session, name, app.unit(session, unit_name, jurisdiction), login=login,
                           password=not no_password)
    echo(_("made the database role {login} for {liaison} of {unit} ({jurisdiction})").format(
        login=made.login, liaison=made.liaison, unit=made.unit, jurisdiction=made.jurisdiction))
    echo(_("connection line (TRACKER_DB): {line}").format(line=made.connection_line))
    if made.password:
        echo(_("password (shown only this once): {password}").format(password=made.password))
        echo(_("the liaison puts this line in their ~/.pgpass (mode 600): {line}").format(line=made.pgpass_line))
    else:
        echo(_("no password: the server must authenticate this role by certificate or peer (pg_hba.conf)"))


@access.command()
@click.argument("name")
@_unit_options
@pass_app
def revoke(app: App, name: str, unit_name: str, jurisdiction: str | None) -> None:
    """Take liaison NAME's login away: its role is dropped and its sessions ended."""
    from ..service import access as rules

    with app.db.transaction() as session:
        unit = app.unit(session, unit_name, jurisdiction)
        dropped = rules.revoke(session, name, unit)
    echo(_("revoked {name}'s database role: {roles}").format(name=name, roles=", ".join(dropped)))


@access.command("list")
@options.output_format()
@pass_app
def list_logins(app: App, fmt: str) -> None:
    """Every liaison's login, granted or revoked."""
    from ..service import access as rules
    from ..textwidth import table

    with app.db.reading() as session:
        records = rules.logins(session)
    if fmt == "json":
        echo_json([r.__dict__ for r in records])
        return
    if not records:
        echo(_("no liaison roles yet"))
        return
    rows = []
    for r in records:
        if r.revoked_at is not None:
            state = _("revoked {day}").format(day=clock.shown_day(r.revoked_at, app.settings.timezone))
        elif not r.role_exists:
            state = _("role is gone")
        else:
            state = _("active since {day}").format(day=clock.shown_day(r.granted_at, app.settings.timezone))
        rows.append([r.login, r.liaison, r.unit, r.jurisdiction, state])
    headers = [_("role"), _("liaison"), _("unit"), _("jurisdiction"), _("state")]
    echo(table(headers, rows, [None] * 5))
