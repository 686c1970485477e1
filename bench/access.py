"""What connecting as a liaison's own role costs at start-up (PostgreSQL, access control on).

    python -m bench.access --postgres postgresql://postgres@127.0.0.1:5432/test [--scale 10k] [--runs 7]

Generates the dataset into a new schema, turns access control on (`tracker access enable`),
grants 市统计局's liaison a login, and measures the same whole commands (fresh interpreters, as
bench.run does) twice, interleaved run by run so both see the same machine: as the administrator
(the owner: identity trusted, row-level security not applied) and as the liaison's own role
(identity read from the connection, policies and the insert trigger applied). The roles and the
schema are dropped at the end. Figures go to docs/benchmarks.md, "## Access control".
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from bench.run import TODAY, _a_task_of, count_statements, run_command

UNIT = "市统计局"


def _commands(url: str, plan_key: str, task_key: str, percent: int, *, by: bool) -> dict[str, list[str]]:
    update = ["--db", url, "status", "set", task_key, "--plan", plan_key, "--unit", UNIT, "--status", "推进中",
              "--percent", str(percent), "--note", "基准测试"] + (["--by", "基准"] if by else [])
    return {"task list": ["--db", url, "tasks", "--unit", UNIT], "status update": update}


def measure(admin_url: str, liaison_url: str, runs: int) -> list[tuple[str, str, float, float, int]]:
    from bench.tui import end_to_end_launch

    plan_key, task_key = _a_task_of(admin_url, UNIT)
    wall: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    percent = 0
    for _ in range(runs):
        for who, url in (("administrator", admin_url), ("liaison's own role", liaison_url)):
            percent += 1
            for name, args in _commands(url, plan_key, task_key, percent, by=who == "administrator").items():
                seconds, used, _ = run_command(args)
                wall.setdefault((name, who), []).append(seconds)
                cpu.setdefault((name, who), []).append(used)
            wall.setdefault(("TUI launch → first paint", who), []).append(end_to_end_launch(url, UNIT, None))
    out = []
    for (name, who), values in wall.items():
        statements = 0
        if name != "TUI launch → first paint":
            percent += 1
            statements = count_statements(_commands(admin_url if who == "administrator" else liaison_url,
                                                    plan_key, task_key, percent, by=who == "administrator")[name])
        used = statistics.median(cpu[(name, who)]) if (name, who) in cpu else float("nan")
        out.append((name, who, statistics.median(values), used, statements))
    return out


def main(argv: list[str] | None = None) -> None:
    import os

    from bench.generate import SCALES
    from bench.run import postgres_dataset
    from sqlalchemy.engine import make_url

    from tracker import service
    from tracker.service import access
    from tracker.store.db import Database

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", required=True, help="a PostgreSQL server URL (a superuser's: it makes roles)")
    parser.add_argument("--scale", default="10k", choices=sorted(SCALES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    os.environ["TRACKER_TODAY"] = TODAY
    with tempfile.TemporaryDirectory(prefix="tracker-bench-access-") as folder:
        data = postgres_dataset(args.postgres, Path(folder), args.seed, SCALES[args.scale])
        db = Database(data.url)
        group = login = None
        try:
            with db.transaction() as session:
                group = access.enable(session)
                made = access.grant(session, "基准联络员", service.find_unit(session, UNIT))
                login = made.login
            liaison_url = make_url(data.url).set(username=login).render_as_string(hide_password=False)
            print(f"dataset: {data.size}; liaison role {login}", file=sys.stderr)
            rows = measure(data.url, liaison_url, args.runs)
        finally:
            with db.engine.begin() as conn:
                from sqlalchemy import text

                for role in (login, group):
                    if role:
                        conn.execute(text(f'DROP OWNED BY "{role}"'))
                        conn.execute(text(f'DROP ROLE "{role}"'))
            db.dispose()
            data.drop()
    print(f"PostgreSQL, {data.size}; median of {args.runs} runs each, interleaved\n")
    print("| command | connected as | median wall | median CPU | SQL statements |")
    print("|---|---|---:|---:|---:|")
    for name, who, seconds, used, statements in rows:
        print(f"| {name} | {who} | {seconds:.2f} s | {used:.2f} s | {statements or '—'} |")


if __name__ == "__main__":
    main()
