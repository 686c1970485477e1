"""A status history that shows tampering (both engines): history rows take INSERT only, and an
edited or deleted row, changed by the database's owner behind the tracker's back, is found by
`tracker doctor`, which names the first broken row."""

import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from tracker import service
from tracker.store.db import Database, make_engine, upgrade
from tracker.store.history import chain_hash
from tracker.store.models import StatusUpdate

from .conftest import behind_the_back, snapshot
from .test_migrations import FIRST, _fill_first_schema
from .recording import record

JILIN = "jilin-2021-cluster-upgrade"
# a note with what a naive formula would confuse: the separators, a line break, full-width text
AWKWARD_NOTE = "已完成:第1,2期\n（附件）:见台账,下周报送"


def _updates(db, count=3):
    ids = []
    with db.transaction() as session:
        stats = service.find_unit(session, "市统计局")
        for n in range(count):
            entry = record(session, plan_key=JILIN, task_key="5.3.1", unit=stats, status="in_progress",
                                          percent=None if n == 1 else 10 * (n + 1),
                                          note=AWKWARD_NOTE if n == 1 else None, by="苏秀兰")
            ids.append(entry.id)
    return ids


def _doctor(tracker_cli):
    result = tracker_cli("doctor", "--json")
    return result.exit_code, json.loads(result.output)


def test_an_intact_history_passes_and_the_two_formulas_agree(loaded_db, tracker_cli):
    _updates(loaded_db)
    code, report = _doctor(tracker_cli)
    assert code == 0, report["problems"]
    # on PostgreSQL the insert trigger wrote these hashes, and Python's formula recomputed them
    assert report["history"] == {"checked": 3, "broken": []}
    assert "进度记录\uff1a3条\uff0c哈希链完好" in tracker_cli("doctor").output
    with loaded_db.engine.connect() as conn:
        rows = conn.execute(select(StatusUpdate.__table__).order_by(StatusUpdate.id)).mappings().all()
    assert rows[1]["note"] == AWKWARD_NOTE
    assert rows[0]["chain_hash"] == chain_hash(None, rows[0])
    assert rows[2]["chain_hash"] == chain_hash(rows[1]["chain_hash"], rows[2])


@pytest.mark.parametrize("statement", ["UPDATE status_update SET note = 'x' WHERE id = :row",
                                       "DELETE FROM status_update WHERE id = :row"])
def test_history_rows_cannot_be_changed_even_by_the_owner_without_lifting_the_trigger(loaded_db, statement):
    row = _updates(loaded_db, 1)[0]
    with pytest.raises(DBAPIError, match="append-only"):
        with loaded_db.engine.begin() as conn:
            conn.execute(text(statement), {"row": row})
    with loaded_db.reading() as session:
        assert [e.percent for e in service.history(session, JILIN, "5.3.1")] == [10]


def test_doctor_names_an_edited_row(loaded_db, tracker_cli):
    ids = _updates(loaded_db)
    behind_the_back(loaded_db, "UPDATE status_update SET percent = 90 WHERE id = :row", row=ids[1])
    code, report = _doctor(tracker_cli)
    assert code == 1
    assert report["history"]["broken"] == [{"plan": JILIN, "task": "5.3.1", "unit": "市统计局", "row_id": ids[1]}]
    assert f"{JILIN} 5.3.1 市统计局\uff1a进度记录自第{ids[1]}条起被改动或删除" in tracker_cli("doctor").output


def test_doctor_finds_a_row_deleted_from_the_middle(loaded_db, tracker_cli):
    ids = _updates(loaded_db)
    behind_the_back(loaded_db, "DELETE FROM status_update WHERE id = :row", row=ids[0])
    code, report = _doctor(tracker_cli)
    assert code == 1 and [b["row_id"] for b in report["history"]["broken"]] == [ids[1]]


def test_doctor_finds_the_latest_rows_deleted(loaded_db, tracker_cli):
    ids = _updates(loaded_db)
    behind_the_back(loaded_db, "DELETE FROM status_update WHERE id = :row", row=ids[-1])
    code, report = _doctor(tracker_cli)
    assert code == 1 and [b["row_id"] for b in report["history"]["broken"]] == [None]
    result = tracker_cli("--lang", "en", "doctor")
    assert f"{JILIN} 5.3.1 市统计局: the latest status update was deleted or replaced" in result.output


def test_doctor_finds_a_whole_history_deleted_and_is_not_fooled_by_other_writes(loaded_db, tracker_cli):
    _updates(loaded_db)
    with loaded_db.engine.begin() as conn:  # the assignment moving on without a history row (an extension, say)
        conn.execute(text("UPDATE assignment SET version = version + 1"))
    assert _doctor(tracker_cli)[0] == 0
    behind_the_back(loaded_db, "DELETE FROM status_update")
    code, report = _doctor(tracker_cli)
    assert code == 1 and report["history"] == {"checked": 0, "broken": [
        {"plan": JILIN, "task": "5.3.1", "unit": "市统计局", "row_id": None}]}


def test_the_migration_chains_the_history_it_finds(db_url, tracker_cli):
    engine = make_engine(db_url)
    upgrade(engine, FIRST)
    _fill_first_schema(engine)
    engine.dispose()
    Database(db_url).dispose()  # migrates to the newest schema, chaining the two old rows
    code, report = _doctor(tracker_cli)
    assert code == 0, report["problems"]
    assert report["history"] == {"checked": 2, "broken": []}


# ---------------------------------------------------------------------- the schema itself

WIPE = {"sqlite": "CREATE TRIGGER wipe AFTER INSERT ON status_update BEGIN DELETE FROM plan; END",
        "postgresql": ["CREATE FUNCTION wipe() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM plan; "
                       "RETURN NEW; END $$",
                       "CREATE TRIGGER wipe AFTER INSERT ON status_update FOR EACH ROW EXECUTE FUNCTION wipe()"]}


def test_doctor_compares_the_schema_with_the_migrations(loaded_db, tracker_cli):
    code, report = _doctor(tracker_cli)
    assert code == 0 and report["schema_differences"] == []
    engine = loaded_db.engine.dialect.name
    with loaded_db.engine.begin() as conn:
        for statement in [WIPE[engine]] if engine == "sqlite" else WIPE[engine]:
            conn.execute(text(statement))
        conn.execute(text("CREATE INDEX ix_sneaky ON plan (title)"))
    code, report = _doctor(tracker_cli)
    assert code == 1
    expected = ["多出索引 plan.ix_sneaky", "多出触发器 status_update.wipe"]
    if engine == "postgresql":
        expected.append("多出函数 wipe()")
    assert report["schema_differences"] == expected
    assert "the schema differs from the one the migrations define: extra trigger status_update.wipe" in \
        tracker_cli("--lang", "en", "doctor").output


def test_a_lifted_append_only_trigger_is_a_schema_difference(loaded_db, tracker_cli):
    if loaded_db.engine.dialect.name == "sqlite":
        statement = "DROP TRIGGER status_update_no_delete"
        named = "缺少触发器 status_update.status_update_no_delete"
    else:
        statement = "ALTER TABLE status_update DISABLE TRIGGER status_update_append_only"
        named = "与迁移定义不同的触发器 status_update.status_update_append_only"
    with loaded_db.engine.begin() as conn:
        conn.execute(text(statement))
    code, report = _doctor(tracker_cli)
    assert code == 1 and report["schema_differences"] == [named]


def test_restore_refuses_a_backup_with_a_foreign_trigger(loaded_db, tracker_cli, tmp_path):
    if loaded_db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL is restored with pg_restore; doctor checks its schema (above)")
    import sqlite3

    _updates(loaded_db, 1)
    backup = tmp_path / "backup.sqlite3"
    assert tracker_cli("backup", "-o", str(backup)).exit_code == 0
    with sqlite3.connect(backup) as conn:
        conn.execute(WIPE["sqlite"])
    before = snapshot(loaded_db.url)
    result = tracker_cli("restore", str(backup), "--yes")
    assert result.exit_code != 0
    said = result.output + str(result.exception)
    assert "多出触发器 status_update.wipe" in said and "不予恢复" in said
    assert snapshot(loaded_db.url) == before
