"""Weekly digest benchmarks: every unit's digest of the city-scale database (built, and laid out
as text, Markdown, HTML and mail), every plan's coordinator report, and `digest send --all`
through an SMTP server on loopback.

    python bench/digests.py                         # bench/data/city.sqlite3 (or $TRACKER_BENCH_DATA)
    python bench/digests.py --db bench/data/10k.sqlite3 --repeat 5
    python bench/digests.py --no-send               # without the SMTP part

The database is copied first (sending records deliveries, and gives the copy's liaisons
example.org addresses). Today is pinned to 2026-11-24 as the dataset's README asks; the week is
the one holding it (2026-W48) unless --week says otherwise. Figures go to docs/benchmarks.md,
"## Digests". Each figure is the best of --repeat runs, in one process, wall-clock.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import String, cast, event, func, literal, select, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import DATA  # noqa: E402
from tracker import clock  # noqa: E402
from tracker.digest.build import plan_report, unit_digest  # noqa: E402
from tracker.digest.mail import SmtpSettings, deliver, digest_message, prepare  # noqa: E402
from tracker.digest.render import render_digest, render_report  # noqa: E402
from tracker.digest.weeks import Week  # noqa: E402
from tracker.service import list_plans  # noqa: E402
from tracker.service.digests import recipients_for, units_with_assignments  # noqa: E402
from tracker.store.db import Database  # noqa: E402
from tracker.store.models import Assignment, Liaison, StatusUpdate, Task  # noqa: E402

CITY = DATA / "city.sqlite3"
TODAY = date(2026, 11, 24)
SENDER = "tracker@example.org"


class Statements:
    """Counts the SQL statements run on an engine while it is on."""

    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _one(self, *args):
        self.count += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._one)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._one)


def best(repeat: int, work) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def measure_digests(db: Database, week: Week, repeat: int) -> dict:
    with db.reading() as session:
        units = units_with_assignments(session)
        recipients = recipients_for(session, [u.id for u in units])

    def build_all():
        with db.reading() as session:
            return [unit_digest(session, u, week) for u in units]

    with Statements(db.engine) as counted:
        build_seconds, digests = best(repeat, build_all)
    figures = {"units": len(units), "build": build_seconds,
               "statements": (counted.count - repeat) / repeat / len(units)}  # one BEGIN a run
    for fmt in ("text", "md", "html"):
        figures[fmt], pages = best(repeat, lambda: [render_digest(d, fmt) for d in digests])
        figures[f"{fmt}_bytes"] = sum(len(p.encode()) for p in pages)
    figures["eml"], _ = best(repeat, lambda: [digest_message(d, recipients[d.unit.id] or [], SENDER)
                                              for d in digests])
    largest = max(digests, key=lambda d: d.headline.led + d.headline.supported)

    def one():
        with db.reading() as session:
            return unit_digest(session, units[[u.id for u in units].index(largest.unit.id)], week)

    figures["largest"] = (largest.unit.name, largest.headline.led + largest.headline.supported, best(repeat, one)[0])
    figures["largest_html_bytes"] = len(render_digest(largest, "html").encode())
    return figures


def measure_reports(db: Database, week: Week, repeat: int) -> dict:
    with db.reading() as session:
        plans = [p.key for p in list_plans(session)]

    def build_all():
        with db.reading() as session:
            return [plan_report(session, key, week, TODAY) for key in plans]

    with Statements(db.engine) as counted:
        seconds, reports = best(repeat, build_all)
    render_seconds, _ = best(repeat, lambda: [render_report(r, "html") for r in reports])
    return {"plans": len(plans), "build": seconds, "html": render_seconds,
            "statements": (counted.count - repeat) / repeat / len(plans)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure_send(db: Database, week: Week) -> dict:
    from aiosmtpd.controller import Controller

    class Count:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            Count.received += 1
            return "250 OK"

    with db.transaction() as session:  # the copy's liaisons get addresses nobody reads
        session.execute(update(Liaison).values(
            email=literal("liaison") + cast(Liaison.id, String) + literal("@example.org")))
    controller = Controller(Count(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings = SmtpSettings.from_env({"TRACKER_SMTP_HOST": "127.0.0.1", "TRACKER_SMTP_PORT": str(controller.port),
                                          "TRACKER_SMTP_FROM": SENDER})
        start = time.perf_counter()
        with db.reading() as session:
            batch = prepare(session, units_with_assignments(session), week, SENDER)
        prepared = time.perf_counter()
        outcomes = deliver(db, batch, settings)
        sent = time.perf_counter()
        again = deliver(db, prepare_again(db, week), settings)  # what a second run does
        second = time.perf_counter()
    finally:
        controller.stop()
    return {"prepare": prepared - start, "deliver": sent - prepared, "second_run": second - sent,
            "sent": sum(o.result == "sent" for o in outcomes), "received": Count.received,
            "resent": sum(o.result == "sent" for o in again),
            "bytes": sum(len(o.message.as_bytes()) for o in batch if o.message)}


def prepare_again(db: Database, week: Week):
    with db.reading() as session:
        return prepare(session, units_with_assignments(session), week, SENDER)


def dataset(db: Database) -> str:
    with db.reading() as session:
        tasks = session.scalar(select(func.count()).select_from(Task))
        assignments = session.scalar(select(func.count()).select_from(Assignment))
        updates = session.scalar(select(func.count()).select_from(StatusUpdate))
    return f"{tasks:,} tasks, {assignments:,} assignments, {updates:,} status updates"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=CITY, help="a SQLite file (copied first)")
    parser.add_argument("--week", help="ISO week (default: the week of 2026-11-24)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-send", action="store_true")
    args = parser.parse_args()
    if not args.db.exists():
        sys.exit(f"{args.db} does not exist (the scale helper's bench/generate.py makes it)")
    clock.pin(TODAY)
    week = Week.parse(args.week) if args.week else Week.containing(TODAY)
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "bench.sqlite3"
        shutil.copy(args.db, copy)
        db = Database(f"sqlite:///{copy}")
        print(f"{args.db.name}: {dataset(db)}; week {week}, today {TODAY}, best of {args.repeat}")
        d = measure_digests(db, week, args.repeat)
        print(f"digests: {d['units']} units, {d['statements']:.1f} statements each")
        print(f"  build all          {d['build']:6.2f} s  ({d['build'] / d['units'] * 1000:.0f} ms a unit)")
        for fmt in ("text", "md", "html"):
            print(f"  render {fmt:<11} {d[fmt]:6.2f} s  ({d[fmt + '_bytes'] / 1e6:.1f} MB)")
        print(f"  mail messages      {d['eml']:6.2f} s  (text + HTML each)")
        name, tasks, seconds = d["largest"]
        print(f"  largest unit       {seconds:6.2f} s  ({name}, {tasks:,} tasks; "
              f"HTML {d['largest_html_bytes'] / 1e3:.0f} kB)")
        r = measure_reports(db, week, args.repeat)
        print(f"reports: {r['plans']} plans, {r['statements']:.1f} statements each")
        print(f"  build all          {r['build']:6.2f} s;  render HTML {r['html']:.2f} s")
        if not args.no_send:
            s = measure_send(db, week)
            print(f"send --all to loopback SMTP: {s['sent']} sent, {s['received']} received, "
                  f"{s['bytes'] / 1e6:.1f} MB")
            print(f"  prepare {s['prepare']:.2f} s, deliver {s['deliver']:.2f} s, "
                  f"second run {s['second_run']:.2f} s (sent {s['resent']})")
        db.dispose()


if __name__ == "__main__":
    main()
