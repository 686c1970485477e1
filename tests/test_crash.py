"""Crash safety: `tracker plan load` and `tracker ledger import-progress` killed (SIGKILL) in
the middle of writing leave the database exactly as it was, ten times over, on both engines."""

import csv
import io
import os
import random
import signal
import subprocess
import sys
import time
import uuid

import pytest

from bench.generate import Scale, generate, write_plan_files
from tracker.store.db import Database

from .conftest import ROOT, snapshot
from .recording import record

KILLS = 10
# big enough that writing it takes far longer than the moment we wait before killing
CRASH_SCALE = Scale("crash", 30, 5_000)


def _writing_sqlite(url: str) -> bool:
    """Whether someone holds the write lock: try to take it, without waiting."""
    import sqlite3

    connection = sqlite3.connect(url[len("sqlite:///"):], timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        connection.close()


def _writing_postgres(admin_url: str, application: str) -> bool:
    """Whether the loader's connection has begun writing (it has a transaction id)."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
                           "AND backend_xid IS NOT NULL", (application,)).fetchone()
    return row[0] > 0


def _gone_postgres(admin_url: str, application: str, timeout: float = 20) -> None:
    """Wait until the server has noticed the dead client and rolled its transaction back."""
    import psycopg

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_stat_activity WHERE application_name = %s",
                                (application,)).fetchone():
                return
        time.sleep(0.05)
    raise AssertionError("the killed loader's session is still on the server")


def _kill_while_writing(args: list[str], writing, rng: random.Random) -> None:
    process = subprocess.Popen([sys.executable, "-m", "tracker.cli", *args], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    try:
        while not writing():
            if process.poll() is not None:
                raise AssertionError(f"the load ended before it was seen writing: {process.stderr.read()[-500:]!r}")
            if time.monotonic() > deadline:
                raise AssertionError("the load was never seen writing")
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.05))
        assert process.poll() is None, "the load finished before the kill: make CRASH_SCALE bigger"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL


def _watchers(url: str):
    """(the URL the killed process uses, is-it-writing probe, wait-until-its-session-is-gone)."""
    if url.startswith("sqlite"):
        return url, (lambda: _writing_sqlite(url)), (lambda: None)
    from .conftest import POSTGRES_URL

    application = f"crash-{uuid.uuid4().hex[:8]}"
    admin = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    return (f"{url}&application_name={application}", (lambda: _writing_postgres(admin, application)),
            (lambda: _gone_postgres(admin, application)))


@pytest.mark.slow
def test_plan_load_killed_mid_way_changes_nothing(loaded_db, tmp_path):
    from tracker import service

    with loaded_db.transaction() as session:  # some history, so there is something to lose
        stats = service.find_unit(session, "市统计局")
        record(session, plan_key="jilin-2021-cluster-upgrade", task_key="5.3.1", unit=stats,
                              status="in_progress", percent=30, by="苏秀兰")
    plans = write_plan_files(1, CRASH_SCALE, tmp_path / "plans")
    url = loaded_db.url
    loaded_db.dispose()
    rng = random.Random(8)
    url, writing, settle = _watchers(url)
    before = snapshot(url)
    for _ in range(KILLS):
        _kill_while_writing(["--db", url, "plan", "load", str(plans)], writing, rng)
        settle()
        assert snapshot(url) == before
    # and the same load, left alone, does go in
    Database(url).dispose()
    result = subprocess.run([sys.executable, "-m", "tracker.cli", "--db", url, "plan", "load", str(plans)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert snapshot(url) != before


def _progress_reported(ledger: str) -> str:
    """The exported ledger as a unit sends it back: every row 推进中 55% with a note."""
    rows = list(csv.reader(io.StringIO(ledger)))
    header = next(i for i, row in enumerate(rows) if row and row[0] == "序号")
    status, percent, note = (rows[header].index(name) for name in ("状态", "完成进度", "进展情况"))
    for row in rows[header + 1:]:
        if row and row[0].isdigit():
            row[status], row[percent], row[note] = "推进中", "55", "台账导入"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@pytest.mark.slow
def test_ledger_import_killed_mid_way_changes_nothing(db_url, tmp_path):
    # one plan of 3,000 tasks: 市发展改革委 reports progress on its 1,000 in one ledger
    generate(db_url, Scale("ledger", 1, 3_000), 2, tmp_path / "plans")
    plan_key = next(p.stem for p in (tmp_path / "plans").glob("binjiang-*.toml"))
    env = {**os.environ, "TRACKER_TODAY": "2026-11-24"}
    exported = tmp_path / "ledger.csv"
    done = subprocess.run([sys.executable, "-m", "tracker.cli", "--db", db_url, "ledger", "export", "--plan", plan_key,
                    "--unit", "市发展改革委", "-o", str(exported)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert exported.exists(), done.stderr
    returned = tmp_path / "returned.csv"
    returned.write_text(_progress_reported(exported.read_text(encoding="utf-8-sig")), encoding="utf-8-sig")
    url, writing, settle = _watchers(db_url)
    args = ["--db", url, "ledger", "import-progress", str(returned), "--unit", "市发展改革委", "--by", "综合处"]
    before = snapshot(url)
    rng = random.Random(9)
    os.environ["TRACKER_TODAY"] = "2026-11-24"
    try:
        for _ in range(KILLS):
            _kill_while_writing(args, writing, rng)
            settle()
            assert snapshot(url) == before
        result = subprocess.run([sys.executable, "-m", "tracker.cli", *args], cwd=ROOT, env=env,
                                capture_output=True, text=True)
    finally:
        del os.environ["TRACKER_TODAY"]
    assert result.returncode == 0, result.stderr
    assert "1000" in result.stdout and snapshot(url) != before
