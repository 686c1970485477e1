"""Calendar feed benchmarks: one unit's feed (~2,000 deadlines) cold and after one change, every
feed of the city-scale database, and requests per second on the 200 and 304 paths (wrk).

    python bench/feeds.py                       # uses bench/data/city.sqlite3 ($TRACKER_BENCH_DATA) when it exists
    python bench/feeds.py --city none           # a generated 2,000-task plan instead
    python bench/feeds.py --wrk-seconds 0       # without the HTTP part

The city database is copied first (status updates are written to the copy). Today is pinned to
2026-11-24, as the dataset's README asks. Figures go to docs/benchmarks.md, "## Calendar feeds".
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import DATA  # noqa: E402
from tracker import clock, service  # noqa: E402
from tracker.cli.feeds import unit_file_name  # noqa: E402
from tracker.atomic import write_if_changed  # noqa: E402
from tracker.feeds.ical import EventCache, FeedOptions, plan_calendar, unit_calendar  # noqa: E402
from tracker.service import feeds  # noqa: E402
from tracker.store.db import Database  # noqa: E402

TODAY = date(2026, 11, 24)
CITY = DATA / "city.sqlite3"


class Took(float):
    """Median wall-clock seconds, carrying the median CPU seconds of the same runs: the machine
    is shared, and CPU time is the steadier of the two."""

    cpu: float = 0.0


def timed(work, repeat: int) -> tuple[Took, object]:
    """Median wall-clock (and CPU) seconds of `repeat` runs, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = work()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    took = Took(statistics.median(walls))
    took.cpu = statistics.median(cpus)
    return took, result


def count_statements(engine, work):
    seen = [0]

    def tick(*_):
        seen[0] += 1

    event.listen(engine, "before_cursor_execute", tick)
    try:
        result = work()
    finally:
        event.remove(engine, "before_cursor_execute", tick)
    return seen[0], result


def ms(seconds: float) -> str:
    def one(value: float) -> str:
        return f"{value * 1000:,.0f}" if value >= 0.1 else f"{value * 1000:,.1f}"
    cpu = getattr(seconds, "cpu", None)
    return f"{one(seconds)} ms" + (f" (CPU {one(cpu)})" if cpu is not None else "")


# ---------------------------------------------------------------------- datasets


def city_copy(source: Path, work: Path) -> str:
    target = work / "feeds-city.sqlite3"
    shutil.copy(source, target)
    return f"sqlite:///{target}"


def generated(work: Path, tasks: int) -> str:
    """A plan of `tasks` dated deadlines led by 青岛市 市统计局... (the bundled registry)."""
    from tracker.service.loading import load_paths

    folder = work / "plans"
    folder.mkdir()
    shutil.copy(ROOT / "plans" / "units.toml", folder / "units.toml")
    lines = ["[plan]", 'key = "bench-2000"', 'title = "基准测试行动计划"', 'jurisdiction = "青岛市"',
             'coordinator = "市发展改革委"', "period_start = 2025-01-01", "period_end = 2028-12-31", ""]
    for i in range(tasks):
        deadline = ['{rrule = "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"}', f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
                    f"2027-{1 + i % 12:02d}-15"][i % 3]
        lines += ["[[tasks]]", f'key = "{i + 1}"', f'text = "推进第{i + 1}项重点任务,完善配套设施,强化要素保障。"',
                  'lead = ["市大数据局"]', 'responsible = ["市财政局", "市商务局"]', f"deadline = {deadline}", ""]
    (folder / "bench-2000.toml").write_text("\n".join(lines), encoding="utf-8")
    url = f"sqlite:///{work / 'generated.sqlite3'}"
    load_paths(Database(url), [folder])
    return url


# ---------------------------------------------------------------------- one unit


def one_unit(db: Database, name: str, repeat: int) -> dict:
    with db.reading() as session:
        unit_id = service.find_unit(session, name).id

    def query():
        with db.reading() as session:
            return feeds.unit_feed(session, unit_id)

    statements, feed = count_statements(db.engine, query)
    dated = sum(1 for e in feed.entries if e.task.deadline_kind != "ongoing" and e.task.due_on)
    query_s, feed = timed(query, repeat)
    cold_s, data = timed(lambda: unit_calendar(feed, FeedOptions(), TODAY, EventCache()), repeat)
    cache = EventCache()
    unit_calendar(feed, FeedOptions(), TODAY, cache)
    warm_same_s, _ = timed(lambda: unit_calendar(feed, FeedOptions(), TODAY, cache), repeat)

    # one status update, then the feed again: the query, and one event serialised anew
    changed = []
    for entry in feed.entries[: repeat]:
        with db.transaction() as session:
            unit = service.find_unit(session, name)
            service.record_status(session, assignment_id=service.find_assignment(
                session, entry.task.plan_key, entry.task.key, unit.id), acting_unit_id=unit.id,
                status="in_progress", percent=50, note="基准测试")
        misses = cache.misses
        took, body = timed(lambda: unit_calendar(query(), FeedOptions(), TODAY, cache), 1)
        changed.append(took)
        assert cache.misses == misses + 1 and body != data
    after = Took(statistics.median(changed))
    after.cpu = statistics.median(t.cpu for t in changed)
    return dict(unit=name, entries=len(feed.entries), dated=dated, bytes=len(data), statements=statements,
                query=query_s, cold=cold_s, warm_same=warm_same_s, after_change=after)


# ---------------------------------------------------------------------- everything


def all_feeds(db: Database, out: Path, repeat: int) -> dict:
    def query():
        with db.reading() as session:
            return feeds.all_feeds(session)

    statements, (units, plans) = count_statements(db.engine, query)
    query_s, (units, plans) = timed(query, max(1, repeat // 2))
    tasks = sum(len(p.entries) for p in plans)

    def build():
        files = [(out / "units" / unit_file_name(f.jurisdiction, f.unit), unit_calendar(f, FeedOptions(), TODAY))
                 for f in units]
        return files + [(out / "plans" / f"{p.key}.ics", plan_calendar(p, FeedOptions(), TODAY)) for p in plans]

    build_s, files = timed(build, 1)
    write_s, written = timed(lambda: sum(write_if_changed(path, data) for path, data in files), 1)
    unchanged_s, rewritten = timed(lambda: sum(write_if_changed(path, data) for path, data in files), 1)
    assert written == len(files) and rewritten == 0
    return dict(units=len(units), plans=len(plans), tasks=tasks, statements=statements, query=query_s,
                build=build_s, write=write_s, unchanged=unchanged_s, files=len(files),
                bytes=sum(len(d) for _, d in files))


# ---------------------------------------------------------------------- HTTP


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wrk(url: str, seconds: int, connections: int, header: str | None = None) -> tuple[float, str]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if header:
        command += ["-H", header]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)[1]  # the latency distribution, not a stdev column
    if "Non-2xx or 3xx" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    return rate, p50


def http(db_url: str, unit: str, seconds: int, connections: int) -> dict:
    import httpx

    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    db = Database(db_url)
    with db.transaction() as session:
        owner = service.find_unit(session, unit)
        token = feeds.issue_token(session, owner, rotate=True)
        code = feeds.unit_code(owner.jurisdiction, owner.name)
    port = _free_port()
    env = {**os.environ, "TRACKER_DB": db_url, "TRACKER_TODAY": TODAY.isoformat()}
    server = subprocess.Popen([sys.executable, "-c", "from tracker.cli import main; main()", "feed", "serve",
                               "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/feeds/{token}/{code}.ics"
    try:
        for _ in range(200):
            try:
                first = httpx.get(url, timeout=30)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        first.raise_for_status()
        etag = first.headers["etag"]
        assert httpx.get(url, headers={"If-None-Match": etag}).status_code == 304
        ok = wrk(url, seconds, connections)
        not_modified = wrk(url, seconds, connections, f"If-None-Match: {etag}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return dict(bytes=len(first.content), ok=ok, not_modified=not_modified)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--city", default=str(CITY), help="city-scale database to copy, or 'none'")
    parser.add_argument("--unit", default="市大数据局", help="the unit of ~2,000 deadlines")
    parser.add_argument("--largest", default="市发展改革委", help="the unit with the most tasks")
    parser.add_argument("--small", default="石岭县财政局", help="a small unit, for the HTTP figures")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()

    clock.pin(TODAY)
    work = Path(tempfile.mkdtemp(prefix="feeds-bench-"))
    try:
        city = Path(args.city) if args.city != "none" else None
        if city and city.exists():
            url = city_copy(city, work)
            print(f"dataset: copy of {city} ({city.stat().st_size / 1e6:.0f} MB), today pinned to {TODAY}")
        else:
            url = generated(work, 2000)
            print(f"dataset: a generated plan of 2,000 tasks led by {args.unit} (no city database)")
            args.largest = None
        db = Database(url, migrate=False)
        for name in filter(None, (args.unit, args.largest)):
            r = one_unit(db, name, args.repeat)
            print(f"\none unit: {r['unit']}: {r['entries']:,} tasks, {r['dated']:,} with a deadline, "
                  f"{r['bytes'] / 1e6:.2f} MB feed, {r['statements']} SQL statements")
            print(f"  query {ms(r['query'])}; build cold {ms(r['cold'])}; build again, nothing changed "
                  f"{ms(r['warm_same'])}; after one status update (query + build) {ms(r['after_change'])}")
        if city and city.exists():
            r = all_feeds(db, work / "export", args.repeat)
            print(f"\nall feeds: {r['units']} units + {r['plans']} plans = {r['files']} files, {r['tasks']:,} tasks, "
                  f"{r['bytes'] / 1e6:.0f} MB, {r['statements']} SQL statements")
            print(f"  query {ms(r['query'])}; build every calendar {ms(r['build'])}; write all files "
                  f"{ms(r['write'])}; export again, nothing changed {ms(r['unchanged'])}")
        db.dispose()
        if args.wrk_seconds:
            print(f"\nHTTP (wrk -t2 -c{args.connections} -d{args.wrk_seconds}s, loopback, one server process):")
            for name in filter(None, (args.unit, args.small if city and city.exists() else None)):
                r = http(url, name, args.wrk_seconds, args.connections)
                print(f"  {name}'s feed of {r['bytes'] / 1e6:.2f} MB: 200 {r['ok'][0]:,.0f} requests/s "
                      f"(median {r['ok'][1]}); 304 {r['not_modified'][0]:,.0f} requests/s "
                      f"(median {r['not_modified'][1]})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
