"""How quickly the liaison's app answers on a big database.

    python bench/tui.py --db sqlite:////tmp/me-city.sqlite3 --unit 市发展改革委 [--jurisdiction J]

Three figures, each the median (and worst) of --runs runs:

- launch → first paint, end to end: `tracker tui --as UNIT` started in a real pseudo-terminal
  (120×40) until the first page of the unit's tasks and its count (`10,737 / 10,737`) have been
  written to the terminal. Includes starting Python, importing Textual and opening the database.
- launch → first paint, in process: the app run headless by Textual's test driver, from
  creating it to the first page being on screen (no interpreter start-up, no imports).
- filter keystroke → repaint: the filter box focused, one key pressed at a time; from the key
  to the screen repainted with that filter's first page and count. Also the SELECT statements
  each keystroke costs (the same whatever the database's size).

Use a copy of the benchmark database: the app writes nothing here, but opening a file with a
newer schema migrates it. Pin the day for repeatable counts: TRACKER_TODAY=2026-11-24.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pty
import re
import select
import signal
import statistics
import struct
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COUNT = re.compile(rb"\d[\d,]* / \d[\d,]*")


def end_to_end_launch(db_url: str, unit: str, jurisdiction: str | None, timeout: float = 60.0) -> float:
    """Seconds from exec to the count appearing in the terminal's output."""
    import fcntl
    import termios

    args = [sys.executable, "-c", "import sys; from tracker.cli import main; sys.argv[0] = 'tracker'; main()",
            "--db", db_url, "tui", "--as", unit]
    if jurisdiction:
        args += ["--jurisdiction", jurisdiction]
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="120", LINES="40")
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: the app, in a terminal of its own
        os.chdir(ROOT)
        os.execve(sys.executable, args, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    seen = b""
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            seen += chunk
            if COUNT.search(seen):
                return time.perf_counter() - start
        raise RuntimeError(f"no task count on screen after {timeout:.0f} s; last output: {seen[-400:]!r}")
    finally:
        try:
            os.write(fd, b"\x11")  # ctrl+q
            time.sleep(0.3)
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
        os.waitpid(pid, 0)
        os.close(fd)


TAB_KEYS = {"lead": "1", "responsible": "2", "all": "3"}
TAB_ROLES = {"lead": "lead", "responsible": "responsible", "all": None}


async def in_process(db_url: str, unit: str, jurisdiction: str | None, query: str, tab: str = "lead") -> dict:
    """Timed inside the app: a TaskTable.Counted message (a page has been put in the table)
    arms a callback for after the next refresh, which is when the screen has been repainted."""
    from sqlalchemy import event
    from textual import events

    from tracker.store.db import Database
    from tracker.tui.app import TrackerApp
    from tracker.tui.identity import resolve
    from tracker.tui.widgets.task_table import TaskTable

    started = time.perf_counter()
    db = Database(db_url)
    with db.reading() as session:
        start = resolve(session, as_unit=unit, jurisdiction=jurisdiction, liaison=None)
    app = TrackerApp(db, start=start)
    painted: dict[str, float] = {}

    def hook(message) -> None:
        if isinstance(message, TaskTable.Counted):
            key = (message.table.role, message.table.search)
            app.call_after_refresh(lambda: painted.setdefault(key, time.perf_counter()))

    result: dict = {}
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await _until(lambda: ("lead", "") in painted)
        result["first_paint"] = painted[("lead", "")] - started
        role = TAB_ROLES[tab]
        if tab != "lead":
            await pilot.press(TAB_KEYS[tab])
            await _until(lambda: (role, "") in painted)
        result["rows"] = app.screen.active_table().total
        await pilot.press("slash")
        statements: list[str] = []

        def count(conn, cursor, statement, *rest):
            if statement.lstrip().upper().startswith("SELECT"):
                statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        keystrokes = []
        for index, char in enumerate(query):
            typed = query[: index + 1]
            before = len(statements)
            pressed = time.perf_counter()
            app.post_message(events.Key(char, char))  # as the terminal driver delivers a key
            await _until(lambda: (role, typed) in painted)
            keystrokes.append((painted[(role, typed)] - pressed, len(statements) - before, app.screen.active_table().matched))
        event.remove(db.engine, "before_cursor_execute", count)
        result["keystrokes"] = keystrokes
    db.dispose()
    return result


async def _until(condition, timeout: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise RuntimeError("the app did not answer in time")
        await asyncio.sleep(0.001)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database URL (use a copy of the benchmark file)")
    parser.add_argument("--unit", required=True)
    parser.add_argument("--jurisdiction")
    parser.add_argument("--query", default="产业园区", help="what to type into the filter, a key at a time")
    parser.add_argument("--tab", choices=list(TAB_KEYS), default="lead", help="the tab to filter in")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("TRACKER_CONFIG_DIR", "/tmp/tracker-bench-config")

    e2e = [end_to_end_launch(args.db, args.unit, args.jurisdiction) for _ in range(args.runs)]
    runs = [asyncio.run(in_process(args.db, args.unit, args.jurisdiction, args.query, args.tab))
            for _ in range(args.runs)]
    ms = lambda seconds: f"{seconds * 1000:,.0f} ms"  # noqa: E731
    print(f"database: {args.db}\nunit: {args.unit} ({runs[0]['rows']:,} tasks on the {args.tab} tab)")
    print(f"launch → first paint, real terminal: median {ms(statistics.median(e2e))}, worst {ms(max(e2e))}")
    paints = [r["first_paint"] for r in runs]
    print(f"launch → first paint, in process:    median {ms(statistics.median(paints))}, worst {ms(max(paints))}")
    print("filter keystroke → repaint (median of runs):")
    for index, char in enumerate(args.query):
        times = [r["keystrokes"][index][0] for r in runs]
        _, statements, matched = runs[0]["keystrokes"][index]
        typed = args.query[: index + 1]
        print(f"  {typed!r:<12} {ms(statistics.median(times)):>8}  worst {ms(max(times)):>8}  "
              f"{statements} SELECTs  {matched:,} rows match")


if __name__ == "__main__":
    main()
