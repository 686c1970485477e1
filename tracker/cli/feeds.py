"""`tracker feed`: export calendar files, issue subscription tokens, run the subscription server."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import language, options
from .context import ROLE_CHOICE, App, pass_app
from .progress import steps
from ..errors import TrackerError
from ..i18n import _

DEFAULT_BASE_URL = "http://127.0.0.1:8080"


@language.group()
def feed() -> None:
    """Calendar feeds of deadlines: files, subscription addresses, the server."""


def _options(app: App, todo: bool, alarm: str | None, task_url: str | None):
    from ..feeds.ical import FeedOptions, parse_alarms

    return FeedOptions(lang=app.lang, todo=todo, alarms=parse_alarms(alarm), task_url=task_url)


def unit_file_name(jurisdiction: str, unit: str) -> str:
    from ..feeds.filenames import safe_name

    return safe_name(f"{jurisdiction}-{unit}") + ".ics"


@feed.command("export")
@options.unit_and_jurisdiction(unit_help="One unit's deadlines (name, short name or alias).",
                               jurisdiction_help="Needed when the unit's name exists in several jurisdictions.")
@click.option("--role", type=ROLE_CHOICE, help="Only the tasks the unit leads, or only those it supports.")
@options.plan(help="One plan's deadlines, with every unit's progress.")
@click.option("--all", "everything", is_flag=True, help="Every unit's and every plan's feed into -o DIR.")
@click.option("--todo", is_flag=True, help="VTODO to-dos instead of events (Apple Reminders, Thunderbird, todoman).")
@click.option("--alarm", metavar="7d,1d", help="Add reminders this long before each deadline.")
@click.option("--task-url", envvar="TRACKER_FEED_TASK_URL", metavar="TEMPLATE",
              help="Link each entry to e.g. https://oa.example.cn/tasks/{plan}/{task}.")
@click.option("--output", "-o", type=click.Path(path_type=Path), help="File (or folder, with --all); default: standard output.")
@options.quiet
@pass_app
def export(app: App, unit_name, jurisdiction, role, plan_key, everything, todo, alarm, task_url, output, quiet) -> None:
    """Write an iCalendar file of deadlines: one unit's, one plan's, or all of them."""
    from .. import clock
    from ..service import feeds as service
    from ..atomic import write_if_changed
    from ..feeds.ical import plan_calendar, unit_calendar

    chosen = [flag for flag, given in (("--unit", unit_name), ("--plan", plan_key), ("--all", everything)) if given]
    if len(chosen) != 1:
        raise TrackerError("choose one of --unit NAME, --plan KEY or --all" if not chosen
                           else f"{' and '.join(chosen)} cannot be used together; choose one")
    if (jurisdiction or role) and not unit_name:
        raise TrackerError("--jurisdiction and --role go with --unit")
    if everything and output is None:
        raise TrackerError("--all writes one file per unit and per plan: give the folder with -o DIR")
    feed_options = _options(app, todo, alarm, task_url)
    today = clock.today()
    zh = app.lang == "zh"

    if everything:
        if output.exists() and not output.is_dir():
            raise TrackerError("is a file; --all needs a folder", where=str(output))
        with app.db.reading() as session:
            units, plans = service.all_feeds(session)
        # each calendar is written as soon as it is built and then let go: a city's 501 calendars
        # held at once came to 170 MB of bytes and a 420 MB process
        total = len(units) + len(plans)
        written = 0
        with steps(_("Writing calendars"), total, quiet=quiet) as done:
            for unit_feed in units:
                written += write_if_changed(output / "units" / unit_file_name(unit_feed.jurisdiction, unit_feed.unit),
                                            unit_calendar(unit_feed, feed_options, today))
                done()
            for plan_feed in plans:
                written += write_if_changed(output / "plans" / f"{plan_feed.key}.ics",
                                            plan_calendar(plan_feed, feed_options, today))
                done()
        click.echo(f"{output}: 写入 {written} 个,未变 {total - written} 个(单位 {len(units)},计划 {len(plans)})"
                   if zh else f"{output}: {written} written, {total - written} unchanged "
                   f"({len(units)} units, {len(plans)} plans)")
        return

    with app.db.reading() as session:
        if unit_name:
            unit = app.unit(session, unit_name, jurisdiction)
            data = unit_calendar(service.unit_feed(session, unit.id, role), feed_options, today)
        else:
            data = plan_calendar(service.plan_feed(session, plan_key), feed_options, today)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    changed = write_if_changed(output, data)
    click.echo(f"{output}: " + (("已写入" if changed else "未变") if zh else ("written" if changed else "unchanged")),
               err=True)


@feed.command("token")
@options.unit_and_jurisdiction(required=True, unit_help="The unit whose subscription address this is.",
                               jurisdiction_help="Needed when the unit's name exists in several jurisdictions.")
@click.option("--rotate", is_flag=True, help="Issue a new token; the old address stops working.")
@click.option("--revoke", is_flag=True, help="Revoke the unit's token; its address stops working.")
@click.option("--base-url", envvar="TRACKER_FEED_URL", default=DEFAULT_BASE_URL, show_default=True,
              help="Where `tracker feed serve` is reached from outside.")
@pass_app
def token(app: App, unit_name, jurisdiction, rotate, revoke, base_url) -> None:
    """Issue (or rotate, or revoke) a unit's subscription token; the address is printed once."""
    from ..service import feeds as service

    if rotate and revoke:
        raise TrackerError("--rotate and --revoke cannot be used together")
    if not base_url.startswith(("http://", "https://")):
        raise TrackerError(f"--base-url must start with http:// or https://, not {base_url!r}")
    base = base_url.rstrip("/")
    zh = app.lang == "zh"
    with app.db.transaction() as session:
        unit = app.unit(session, unit_name, jurisdiction)
        if revoke:
            count = service.revoke_tokens(session, unit)
            click.echo((f"已撤销 {unit.name} 的 {count} 个订阅令牌。" if count else f"{unit.name} 没有有效的订阅令牌。")
                       if zh else (f"revoked {count} token(s) of {unit.name}" if count
                                   else f"{unit.name} has no live token"))
            return
        secret = service.issue_token(session, unit, rotate=rotate)
        code = service.unit_code(unit.jurisdiction, unit.name)
        plans = service.unit_plan_keys(session, unit)
    click.echo(f"{unit.name} 的订阅地址(只显示这一次,请妥善保存):" if zh
               else f"Subscription address of {unit.name} (shown this once; keep it safe):")
    click.echo(f"  {base}/feeds/{secret}/{code}.ics")
    if plans:
        click.echo("所在计划的日历:" if zh else "Calendars of its plans:")
        for key in plans:
            click.echo(f"  {base}/plans/{secret}/{key}.ics")


@feed.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on (0.0.0.0: every one).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="The port to listen on.")
@click.option("--concurrency", default=64, show_default=True, type=click.IntRange(1, 10_000),
              help="Requests answered at once; beyond it, 503 at once (idle connections and requests "
                   "still arriving do not count).")
@click.option("--request-timeout", default=5.0, show_default=True, type=click.FloatRange(0.5, 300),
              help="Seconds a client has to send its whole request; a slower one is disconnected.")
@click.option("--cache-size", default=20_000, show_default=True, type=click.IntRange(0),
              help="Serialised events kept in memory.")
@click.option("--feed-cache-mb", default=256, show_default=True, type=click.IntRange(0),
              help="Whole feeds kept in memory, reused while their data is unchanged.")
@click.option("--task-url", envvar="TRACKER_FEED_TASK_URL", metavar="TEMPLATE",
              help="Link each entry to e.g. https://oa.example.cn/tasks/{plan}/{task}.")
@pass_app
def serve(app: App, host, port, concurrency, request_timeout, cache_size, feed_cache_mb, task_url) -> None:
    """Serve subscription feeds over HTTP (put TLS in front when it leaves the machine)."""
    from ..feeds.ical import FeedOptions
    from ..feeds.server import serve as run

    FeedOptions(task_url=task_url)  # a bad template fails here, not on the first request
    db = app.db
    click.echo((f"订阅服务: http://{host}:{port} (Ctrl-C 停止)" if app.lang == "zh"
                else f"feed server: http://{host}:{port} (Ctrl-C stops)"), err=True)
    run(db, host, port, lang=app.lang, concurrency=concurrency, cache_size=cache_size,
        feed_cache_bytes=feed_cache_mb * 1024 * 1024, task_url=task_url, request_timeout=request_timeout)
