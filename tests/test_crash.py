"""Crash safety: `tracker plan load` killed (SIGKILL) in the middle of writing leaves the
database exactly as it was, ten times over, on both engines.

A ledger import is to get the same test once the ledger (another branch) is merged: start
`tracker ledger import` on a large spreadsheet the same way and reuse `_kill_while_writing`."""

import os
import random
import signal
import subprocess
import sys
import time
import uuid

import pytest

from bench.generate import Scale, write_plan_files
from tracker.store.db import Database

from .conftest import ROOT, snapshot

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


@pytest.mark.slow
def test_plan_load_killed_mid_way_changes_nothing(loaded_db, tmp_path):
    from tracker import service

    with loaded_db.transaction() as session:  # some history, so there is something to lose
        stats = service.find_unit(session, "市统计局")
        service.record_status(session, plan_key="jilin-2021-cluster-upgrade", task_key="5.3.1", unit=stats,
                              status="in_progress", percent=30, by="苏秀兰")
    plans = write_plan_files(1, CRASH_SCALE, tmp_path / "plans")
    url = loaded_db.url
    loaded_db.dispose()
    rng = random.Random(8)
    if url.startswith("sqlite"):
        writing = lambda: _writing_sqlite(url)  # noqa: E731
        settle = lambda: None  # noqa: E731
    else:
        from .conftest import POSTGRES_URL

        application = f"crash-{uuid.uuid4().hex[:8]}"
        admin = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
        url = f"{url}&application_name={application}"
        writing = lambda: _writing_postgres(admin, application)  # noqa: E731
        settle = lambda: _gone_postgres(admin, application)  # noqa: E731
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
