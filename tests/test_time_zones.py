"""One time, in the plan's zone: a stored instant is UTC and timezone-aware on both engines,
and every command shows it as wall time in the plan's zone, whatever the machine's zone
(TZ) or the database session's (PGTZ) is."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import timedelta, timezone
from zoneinfo import ZoneInfo

from tracker import clock, service
from tracker.service.loading import load_paths
from tracker.store.db import Database

from .conftest import PLANS, ROOT

JILIN = "jilin-2021-cluster-upgrade"
ZONE = "Europe/Berlin"  # not the default, so the plan's own zone is seen to be the one used
MACHINES = ({"TZ": "UTC", "PGTZ": "UTC"}, {"TZ": "America/New_York", "PGTZ": "America/New_York"})


def _tracker(url: str, *args: str, machine: dict) -> subprocess.CompletedProcess:
    env = {**os.environ, **machine, "TRACKER_LANG": "zh"}
    env.pop("TRACKER_TODAY", None)
    result = subprocess.run([sys.executable, "-m", "tracker.cli", "--db", url, *args], capture_output=True,
                            text=True, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result


def _plans_in_berlin(tmp_path):
    plans = tmp_path / "plans"
    shutil.copytree(PLANS, plans)
    path = plans / f"{JILIN}.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('jurisdiction = "吉林市"\n', f'jurisdiction = "吉林市"\ntimezone = "{ZONE}"\n', 1),
                    encoding="utf-8")
    return plans


def test_history_reads_the_same_in_every_machine_zone_on_both_engines(db_url, tmp_path):
    db = Database(db_url)
    try:
        load_paths(db, [_plans_in_berlin(tmp_path)])
    finally:
        db.dispose()
    # one update recorded from each machine zone
    for n, machine in enumerate(MACHINES):
        _tracker(db_url, "status", "set", "5.3.1", "--plan", JILIN, "-u", "市统计局", "--status", "推进中",
                 "--percent", str(10 * (n + 1)), "--by", "苏秀兰", machine=machine)

    texts = [_tracker(db_url, "history", "5.3.1", "--plan", JILIN, machine=m).stdout for m in MACHINES]
    assert texts[0] == texts[1]
    jsons = [_tracker(db_url, "history", "5.3.1", "--plan", JILIN, "--json", machine=m).stdout for m in MACHINES]
    assert jsons[0] == jsons[1]

    db = Database(db_url)
    try:
        with db.reading() as session:
            entries = service.history(session, JILIN, "5.3.1")
            detail = service.task_detail(session, JILIN, "5.3.1")
    finally:
        db.dispose()
    assert len(entries) == 2 and detail.timezone == ZONE
    for entry, line, shown in zip(entries, texts[0].splitlines(), json.loads(jsons[0])):
        # read back aware, in UTC, on both engines (SQLite keeps no zone: the store attaches it)
        assert entry.recorded_at.utcoffset() == timedelta(0)
        assert shown["recorded_at"] == entry.recorded_at.isoformat()
        wall = entry.recorded_at.astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%d %H:%M")
        assert f"  {wall}  " in line, line
        assert wall == clock.shown(entry.recorded_at, ZONE)


def test_a_naive_instant_is_read_as_utc_and_shown_in_the_zone_asked():
    from datetime import datetime

    naive = datetime(2026, 11, 24, 4, 45)
    assert clock.utc(naive) == datetime(2026, 11, 24, 4, 45, tzinfo=timezone.utc)
    assert clock.shown(naive) == "2026-11-24 12:45"  # Asia/Shanghai, the default
    assert clock.shown(naive, "America/New_York") == "2026-11-23 23:45"
    assert clock.shown_day(naive, "America/New_York") == "2026-11-23"
    assert clock.shown(None, empty="—") == "—"
