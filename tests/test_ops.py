"""tracker backup, restore and doctor, as a user runs them."""

import json
import re
import sqlite3
from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from tracker import service
from tracker.store.db import SCHEMA_HEAD
from tracker.store.models import FeedToken

from .conftest import Cli, snapshot
from .recording import record

JILIN = "jilin-2021-cluster-upgrade"


def _update(db, percent=30, by="苏秀兰"):
    with db.transaction() as session:
        stats = service.find_unit(session, "市统计局")
        record(session, plan_key=JILIN, task_key="5.3.1", unit=stats, status="in_progress",
                              percent=percent, by=by)


def _sqlite_only(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's own backup; PostgreSQL's is tested below")


def test_backup_is_one_consistent_file_taken_while_in_use(loaded_db, tracker_cli, tmp_path):
    _sqlite_only(loaded_db)
    _update(loaded_db)
    # someone is in the middle of writing: the backup neither waits for them nor takes half their work
    writer = sqlite3.connect(loaded_db.engine.url.database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE plan SET title = 'half-written' WHERE key = ?", (JILIN,))
    target = tmp_path / "backup.sqlite3"
    try:
        result = tracker_cli("backup", "-o", str(target))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert result.exit_code == 0, result.output
    assert "已备份到" in result.output and "1条进度记录" in result.output
    assert not (tmp_path / "backup.sqlite3-wal").exists()
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert copy.execute("SELECT count(*) FROM plan WHERE title = 'half-written'").fetchone()[0] == 0
    assert snapshot(f"sqlite:///{target}")[1] == snapshot(loaded_db.url)[1]


def test_backup_does_not_overwrite_without_force(loaded_db, tracker_cli, tmp_path):
    _sqlite_only(loaded_db)
    target = tmp_path / "backup.sqlite3"
    target.write_text("keep me")
    result = tracker_cli("backup", "-o", str(target))
    assert result.exit_code != 0 and "--force" in result.output + str(result.exception)
    assert target.read_text() == "keep me"
    assert tracker_cli("backup", "-o", str(target), "--force").exit_code == 0


def test_restore_brings_back_the_backup_and_keeps_what_it_replaced(loaded_db, tracker_cli, tmp_path):
    _sqlite_only(loaded_db)
    _update(loaded_db, percent=30)
    target = tmp_path / "backup.sqlite3"
    assert tracker_cli("backup", "-o", str(target)).exit_code == 0
    backed_up = snapshot(loaded_db.url)[1]
    _update(loaded_db, percent=80)  # made after the backup: gone after the restore, kept aside
    newer = snapshot(loaded_db.url)[1]

    refused = tracker_cli("restore", str(target))  # no --yes: asks; no answer (no) leaves it all
    assert refused.exit_code != 0 and snapshot(loaded_db.url)[1] == newer
    result = tracker_cli("restore", str(target), "--yes")
    assert result.exit_code == 0, result.output
    assert snapshot(loaded_db.url)[1] == backed_up
    saved, = tmp_path.glob("tracker.before-restore-*.sqlite3")
    assert snapshot(f"sqlite:///{saved}")[1] == newer
    assert tracker_cli("history", "5.3.1", "--plan", JILIN, "--json").exit_code == 0


def _not_tracker(path):
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE notes (body TEXT)")


def _future(path):
    with sqlite3.connect(path) as copy:
        copy.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")


def _damaged(path):
    data = bytearray(path.read_bytes())
    data[4096 * 3: 4096 * 3 + 200] = b"\xff" * 200  # scribble over a table page
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("case,message", [
    ("missing", "没有这个文件"),
    ("text", "不是 SQLite 数据库文件"),
    ("other database", "不是 tracker 的"),
    ("newer schema", "这一版 tracker 不认识"),
    ("damaged", "已损坏|无法作为数据库读取|不是 tracker 的"),
])
def test_restore_refuses_what_is_not_a_fitting_backup(loaded_db, tracker_cli, tmp_path, case, message):
    _sqlite_only(loaded_db)
    bad = tmp_path / "bad.sqlite3"
    if case == "text":
        bad.write_text("台账 2026", encoding="utf-8")
    elif case == "other database":
        _not_tracker(bad)
    elif case in ("newer schema", "damaged"):
        assert tracker_cli("backup", "-o", str(bad)).exit_code == 0
        (_future if case == "newer schema" else _damaged)(bad)
    before = snapshot(loaded_db.url)
    result = tracker_cli("restore", str(bad), "--yes")
    assert result.exit_code != 0
    assert re.search(message, str(result.exception) + result.output)
    assert str(bad) in str(result.exception) + result.output  # names the file
    assert snapshot(loaded_db.url) == before
    assert list(tmp_path.glob("*.before-restore-*")) == []


def test_postgresql_is_backed_up_with_its_own_tools(loaded_db, tracker_cli):
    if loaded_db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    before = snapshot(loaded_db.url)
    for args in (("backup", "-o", "tracker.dump"), ("restore", "tracker.dump", "--yes")):
        result = tracker_cli(*args)
        assert result.exit_code != 0
        assert "pg_dump --format=custom --file=tracker.dump" in str(result.exception)
        assert "pg_restore" in str(result.exception)
    assert snapshot(loaded_db.url) == before


def test_doctor_reports_and_finds_unused_feed_tokens(loaded_db, tracker_cli):
    _update(loaded_db)
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with loaded_db.transaction() as session:
        stats = service.find_unit(session, "市统计局")
        commerce = service.find_unit(session, "市商务局", "青岛市")
        session.add_all([
            FeedToken(unit_id=stats.id, token_sha256="a" * 64, created_at=now),  # never used
            FeedToken(unit_id=commerce.id, token_sha256="b" * 64, created_at=now, last_used_at=now),
            FeedToken(unit_id=commerce.id, token_sha256="c" * 64, created_at=now, revoked_at=now),
        ])
    result = tracker_cli("doctor", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["schema"] == report["schema_head"] and report["pending_migrations"] == []
    assert report["counts"]["plans"] == 3 and report["counts"]["status updates"] == 1
    assert report["counts"]["feed tokens"] == 2
    assert [(t["jurisdiction"], t["unit"]) for t in report["unused_feed_tokens"]] == [("吉林市", "市统计局")]
    assert report["size_bytes"] > 0 and report["problems"] == []
    text_report = tracker_cli("doctor")
    assert f"架构版本\uff1a{SCHEMA_HEAD}\uff08最新\uff09" in text_report.output and "吉林市 市统计局" in text_report.output
    assert "1 feed token never used:" in tracker_cli("--lang", "en", "doctor").output


def test_doctor_says_what_needs_a_person(loaded_db, tracker_cli):
    with loaded_db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    before = snapshot(loaded_db.url)
    result = tracker_cli("--lang", "en", "doctor")
    assert result.exit_code == 1
    assert "unknown to this version" in result.output
    assert snapshot(loaded_db.url) == before  # the doctor never migrates


def test_doctor_does_not_create_a_database(tmp_path):
    path = tmp_path / "nothing-here.sqlite3"
    result = Cli(f"sqlite:///{path}")("doctor")
    assert result.exit_code == 1 and "tracker init" in result.output
    assert not path.exists()


def test_lazy_commands_run_as_python_m_tracker_cli(loaded_db):
    """`python -m tracker.cli doctor`: a command loaded on first use gets the same App."""
    import subprocess
    import sys

    from .conftest import ROOT

    result = subprocess.run([sys.executable, "-m", "tracker.cli", "--db", loaded_db.url, "--lang", "en", "doctor"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "All well." in result.stdout


def test_doctor_on_a_database_with_pending_migrations_says_so_and_reads_nothing_else(db_url, tracker_cli):
    """An older database (here: at the revision before the newest) is examined as far as its own
    schema allows: revision, pending migrations, size, the schema against its revision; the
    contents and histories, which the newest models read, wait for the migration."""
    from tracker.store.db import make_engine, upgrade
    from tracker.store.schema import revisions as known_revisions

    previous = known_revisions()[-2]
    engine = make_engine(db_url)
    upgrade(engine, previous)
    engine.dispose()
    before = snapshot(db_url)
    result = tracker_cli("doctor", "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["schema"] == previous and report["pending_migrations"] == [known_revisions()[-1]]
    assert report["schema_differences"] == [] and "counts" not in report
    assert len(report["problems"]) == 1 and "有1个迁移待执行" in report["problems"][0]
    english = tracker_cli("--lang", "en", "doctor")
    assert english.exit_code == 1 and "1 migration pending" in english.output and "Traceback" not in english.output
    assert snapshot(db_url) == before  # doctor migrates nothing and writes nothing
