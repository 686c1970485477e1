"""`tracker access`: liaisons' own roles on the shared PostgreSQL (enable, grant, revoke, list).

The administrator runs these, connected as the role that owns the tracker's schema (and may
create roles). What each role may then do is the database's to enforce: see README's table.
"""

from __future__ import annotations

import click

from .context import App, echo_json, pass_app


def _zh(app: App) -> bool:
    return app.lang == "zh"


@click.group()
def access() -> None:
    """Liaisons' own database roles on the shared PostgreSQL, and row-level security."""


@access.command()
@pass_app
def enable(app: App) -> None:
    """Turn access control on: the liaisons' group role, its grants, row-level security."""
    from ..service import access as rules

    with app.db.transaction() as session:
        group = rules.enable(session)
    click.echo(f"访问控制已开启\uff1a联络员角色组 {group}\uff0c行级安全策略生效" if _zh(app)
               else f"access control is on: liaisons' group role {group}, row-level security in force")


def _unit_options(command):
    command = click.option("--jurisdiction", "-j", help="Needed when the unit's name exists in several.")(command)
    return click.option("--unit", "-u", "unit_name", required=True, help="The liaison's unit.")(command)


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
    zh = _zh(app)
    click.echo(f"已为 {made.jurisdiction} {made.unit} 联络员 {made.liaison} 建立数据库角色 {made.login}" if zh else
               f"made the database role {made.login} for {made.liaison} of {made.unit} ({made.jurisdiction})")
    click.echo(("连接串(TRACKER_DB)\uff1a" if zh else "connection line (TRACKER_DB): ") + made.connection_line)
    if made.password:
        click.echo(("密码(只显示这一次)\uff1a" if zh else "password (shown only this once): ") + made.password)
        click.echo(("联络员把这一行写入自己的 ~/.pgpass(权限 600)\uff1a" if zh
                    else "the liaison puts this line in their ~/.pgpass (mode 600): ") + made.pgpass_line)
    else:
        click.echo("未设密码\uff1a服务器须以证书或 peer 方式认证该角色(pg_hba.conf)" if zh
                   else "no password: the server must authenticate this role by certificate or peer (pg_hba.conf)")


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
    click.echo((f"已收回 {name} 的数据库角色\uff1a" if _zh(app) else f"revoked {name}'s database role: ")
               + "\u3001".join(dropped))


@access.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def list_logins(app: App, as_json: bool) -> None:
    """Every liaison's login, granted or revoked."""
    from ..textwidth import table
    from ..service import access as rules

    with app.db.reading() as session:
        records = rules.logins(session)
    if as_json:
        echo_json([r.__dict__ for r in records])
        return
    zh = _zh(app)
    rows = []
    for r in records:
        if r.revoked_at is not None:
            state = f"已收回 {r.revoked_at:%Y-%m-%d}" if zh else f"revoked {r.revoked_at:%Y-%m-%d}"
        elif not r.role_exists:
            state = "角色已不存在" if zh else "role is gone"
        else:
            state = f"有效\uff0c{r.granted_at:%Y-%m-%d} 起" if zh else f"active since {r.granted_at:%Y-%m-%d}"
        rows.append([r.login, r.liaison, r.unit, r.jurisdiction, state])
    headers = ["数据库角色", "联络员", "单位", "地区", "状态"] if zh else ["role", "liaison", "unit", "jurisdiction", "state"]
    click.echo(table(headers, rows, [None] * 5) if rows else ("还没有联络员角色" if zh else "no liaison roles yet"))
