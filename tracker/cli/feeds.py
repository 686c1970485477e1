"""`tracker feed`: export calendar files, issue subscription tokens, run the subscription server."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import language, options
from .context import ROLE_CHOICE, App, echo, pass_app
from .progress import steps
from ..errors import N_, TrackerError
from ..i18n import _, ngettext

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
        raise TrackerError(N_("choose one of --unit NAME, --plan KEY or --all") if not chosen
                           else N_("{options} cannot be used together; choose one"), options=chosen)
    if (jurisdiction or role) and not unit_name:
        raise TrackerError(N_("--jurisdiction and --role go with --unit"))
    if everything and output is None:
        raise TrackerError(N_("--all writes one file per unit and per plan: give the folder with -o DIR"))
    feed_options = _options(app, todo, alarm, task_url)
    today = clock.today()

    if everything:
        if output.exists() and not output.is_dir():
            raise TrackerError(N_("is a file; --all needs a folder"), where=str(output))
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
        echo(_("{folder}: {written} written, {unchanged} unchanged ({units}, {plans})").format(
            folder=output, written=written, unchanged=total - written,
            units=ngettext("{n} unit", "{n} units", len(units)).format(n=len(units)),
            plans=ngettext("{n} plan", "{n} plans", len(plans)).format(n=len(plans))))
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
    echo((_("{file}: written") if changed else _("{file}: unchanged")).format(file=output), err=True)


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
        raise TrackerError(N_("--rotate and --revoke cannot be used together"))
    if not base_url.startswith(("http://", "https://")):
        raise TrackerError(N_("--base-url must start with http:// or https://, not {base_url!r}"), base_url=base_url)
    base = base_url.rstrip("/")
    with app.db.transaction() as session:
        unit = app.unit(session, unit_name, jurisdiction)
        if revoke:
            count = service.revoke_tokens(session, unit)
            echo(ngettext("revoked {n} token of {unit}", "revoked {n} tokens of {unit}", count).format(
                n=count, unit=unit.name) if count else _("{unit} has no live token").format(unit=unit.name))
            return
        secret = service.issue_token(session, unit, rotate=rotate)
        code = service.unit_code(unit.jurisdiction, unit.name)
        plans = service.unit_plan_keys(session, unit)
    echo(_("Subscription address of {unit} (shown this once; keep it safe):").format(unit=unit.name))
    echo(f"  {base}/feeds/{secret}/{code}.ics")
    if plans:
        echo(_("Calendars of its plans:"))
        for key in plans:
            echo(f"  {base}/plans/{secret}/{key}.ics")


@feed.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on (0.0.0.0: every one).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="The port to listen on.")
@click.option("--concurrency", default=64, show_default=True, type=click.IntRange(1, 10_000),
              help="Requests answered at once; beyond it, 503 at once (idle connections and requests "
                   "still arriving do not count).")
@click.option("--request-timeout", default=5.0, show_default=True, type=click.FloatRange(0.5, 300),
              help="Seconds a client has to send its whole request; a slower one is disconnected.")
@click.option("--max-connections", default=1000, show_default=True, type=click.IntRange(1, 100_000),
              help="Connections open at once; beyond it, a new one gets 503 and is closed (lowered to what "
                   "ulimit -n allows).")
@click.option("--cache-size", default=20_000, show_default=True, type=click.IntRange(0),
              help="Serialised events kept in memory.")
@click.option("--feed-cache-mb", default=256, show_default=True, type=click.IntRange(0),
              help="Whole feeds kept in memory, reused while their data is unchanged.")
@click.option("--task-url", envvar="TRACKER_FEED_TASK_URL", metavar="TEMPLATE",
              help="Link each entry to e.g. https://oa.example.cn/tasks/{plan}/{task}.")
@pass_app
def serve(app: App, host, port, concurrency, request_timeout, max_connections, cache_size, feed_cache_mb,
          task_url) -> None:
    """Serve subscription feeds over HTTP (put TLS in front when it leaves the machine)."""
    from ..feeds.ical import FeedOptions
    from ..feeds.server import serve as run

    FeedOptions(task_url=task_url)  # a bad template fails here, not on the first request
    db = app.db
    echo(_("feed server: {url} (Ctrl-C stops)").format(url=f"http://{host}:{port}"), err=True)
    run(db, host, port, lang=app.lang, concurrency=concurrency, cache_size=cache_size,
        feed_cache_bytes=feed_cache_mb * 1024 * 1024, task_url=task_url, request_timeout=request_timeout,
        max_connections=max_connections)
