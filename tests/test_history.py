"""A status history that shows tampering (both engines): history rows take INSERT only, and an
edited or deleted row, changed by the database's owner behind the tracker's back, is found by
`tracker doctor`, which names the first broken row."""

import json
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from tracker import service
from tracker.store.db import Database, make_engine, upgrade
from tracker.store.history import chain_hash
from tracker.store.models import StatusUpdate, SupervisionRequest

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


# ---------------------------------------------------------------------- requests and decisions (督办)

QINGDAO = "qingdao-2020-service-clusters"
COMMERCE = ("-u", "市商务局", "-j", "青岛市")
COORDINATOR = ("-u", "市发展改革委", "-j", "青岛市")
AWKWARD_REASON = "材料不全:缺第1,2期\n（验收单）,请补充"


def _supervision(tracker_cli) -> None:
    """A closing cycle and two extensions on 市商务局's tasks: requests #1–#4, three decisions."""
    def run(*args, today="2022-12-20"):
        result = tracker_cli(*args, today=today)
        assert result.exit_code == 0, result.output + str(result.exception)

    run("status", "set", "3.3.2", "--plan", QINGDAO, *COMMERCE, "--status", "已完成", "--note", AWKWARD_NOTE)
    run("review", "return", "1", *COORDINATOR, "--reason", AWKWARD_REASON)
    run("request", "close", "3.3.2", "--plan", QINGDAO, *COMMERCE, "--note", "已补充", today="2022-12-21")
    run("review", "approve", "2", *COORDINATOR, today="2022-12-22")
    run("request", "extend", "3.4.1", "--plan", QINGDAO, *COMMERCE, "--to", "2023-06-30", "--reason", "资金未到位")
    run("review", "approve", "3", *COORDINATOR, today="2022-12-23")
    run("request", "extend", "3.4.1", "--plan", QINGDAO, *COMMERCE, "--to", "2023-09-30", "--reason", "再延",
        today="2022-12-24")  # #4 waits


def _decision_ids(db) -> list[int]:
    with db.engine.connect() as conn:
        return list(conn.execute(text("SELECT id FROM supervision_decision ORDER BY id")).scalars())


def test_requests_and_decisions_are_chained_and_the_formulas_agree(loaded_db, tracker_cli):
    _supervision(tracker_cli)
    code, report = _doctor(tracker_cli)
    assert code == 0, report["problems"]
    # on PostgreSQL the insert trigger wrote these hashes, and Python's formula recomputed them
    assert report["supervision"] == {"checked": 7, "broken": []}
    assert "申请与审批记录\uff1a7条\uff0c哈希链完好" in tracker_cli("doctor").output
    with loaded_db.engine.connect() as conn:
        requests = conn.execute(select(SupervisionRequest.__table__).order_by(SupervisionRequest.id)).mappings().all()
        anchors = dict(conn.execute(text("SELECT id, request_hash FROM assignment WHERE request_hash IS NOT NULL")).all())
    from tracker.store.history import REQUEST_CHAINED

    assert requests[0]["note"] == AWKWARD_NOTE and requests[2]["due_on"] is not None
    assert requests[1]["chain_hash"] == chain_hash(requests[0]["chain_hash"], requests[1], REQUEST_CHAINED)
    assert requests[3]["chain_hash"] == chain_hash(requests[2]["chain_hash"], requests[3], REQUEST_CHAINED)
    assert anchors == {requests[1]["assignment_id"]: requests[1]["chain_hash"],
                       requests[3]["assignment_id"]: requests[3]["chain_hash"]}


@pytest.mark.parametrize("table, statement, kind, row", [
    ("supervision_request", "UPDATE supervision_request SET note = '平台已建成' WHERE id = 1", "request", 1),
    ("supervision_request", "UPDATE supervision_request SET due_on = '2024-12-31' WHERE id = 3", "request", 3),
    ("supervision_decision", "UPDATE supervision_decision SET decision = 'approved', reason = NULL WHERE id = 1",
     "decision", 1),
    ("supervision_request", "DELETE FROM supervision_request WHERE id = 4", "request", None),
])
def test_doctor_finds_a_request_or_decision_changed_behind_the_back(loaded_db, tracker_cli, table, statement,
                                                                    kind, row):
    _supervision(tracker_cli)
    behind_the_back(loaded_db, statement, table=table)
    code, report = _doctor(tracker_cli)
    task = "3.3.2" if kind == "decision" or row == 1 else "3.4.1"
    assert code == 1 and report["supervision"]["broken"] == [
        {"kind": kind, "plan": QINGDAO, "task": task, "unit": "市商务局", "row_id": row}]
    assert report["history"]["broken"] == []  # the status history is not what changed
    said = tracker_cli("doctor").output
    expected = {("request", 1): "申请记录自申请 #1 起被改动或删除", ("request", 3): "申请记录自申请 #3 起被改动或删除",
                ("decision", 1): "审批记录自第1条起被改动或删除", ("request", None): "最新一条申请记录被删除或替换"}
    assert f"{QINGDAO} {task} 市商务局\uff1a" + expected[(kind, row)] in said


def test_doctor_finds_the_latest_decision_deleted(loaded_db, tracker_cli):
    _supervision(tracker_cli)
    last = _decision_ids(loaded_db)[-1]
    behind_the_back(loaded_db, "DELETE FROM supervision_decision WHERE id = :row", table="supervision_decision",
                    row=last)
    code, report = _doctor(tracker_cli)
    assert code == 1 and report["supervision"]["broken"] == [
        {"kind": "decision", "plan": QINGDAO, "task": "3.4.1", "unit": "市商务局", "row_id": None}]
    result = tracker_cli("--lang", "en", "doctor")
    assert f"{QINGDAO} 3.4.1 市商务局: the latest decision on its requests was deleted or replaced" in result.output


@pytest.mark.parametrize("statement", ["UPDATE supervision_request SET note = 'x' WHERE id = 1",
                                       "DELETE FROM supervision_decision WHERE id = 1"])
def test_requests_and_decisions_still_take_no_update_or_delete(loaded_db, tracker_cli, statement):
    _supervision(tracker_cli)  # (migration 0006 put the triggers back as they were)
    with pytest.raises(DBAPIError, match="append-only"):
        with loaded_db.engine.begin() as conn:
            conn.execute(text(statement))


def test_the_migration_chains_the_requests_it_finds(db_url, tracker_cli):
    """Requests and decisions made before migration 0006, written with 0005's own tables."""
    from sqlalchemy import MetaData, insert

    engine = make_engine(db_url)
    upgrade(engine, FIRST)
    _fill_first_schema(engine)
    upgrade(engine, "0005_supervision_requests")
    tables = MetaData()
    tables.reflect(engine)
    t = tables.tables
    when = datetime(2026, 3, 3, 9, 0, 0, 123456, tzinfo=timezone.utc)
    asked = dict(kind="extension", due_on=date(2026, 6, 30), previous_due_on=date(2025, 12, 31), note="资金未到位",
                 liaison_id=1, recorded_by_unit_id=2, author="苏秀兰", recorded_at=when)
    with engine.begin() as conn:
        conn.execute(insert(t["supervision_request"]), [dict(asked, assignment_id=1),
                                                         dict(asked, assignment_id=1, due_on=date(2026, 9, 30)),
                                                         dict(asked, assignment_id=3, kind="closing", due_on=None)])
        conn.execute(insert(t["supervision_decision"]), [
            dict(request_id=1, decision="rejected", reason="不予延期", recorded_by_unit_id=1, recorded_at=when),
            dict(request_id=2, decision="approved", reason=None, recorded_by_unit_id=1, recorded_at=when)])
    engine.dispose()
    Database(db_url).dispose()  # migrates to the newest schema, chaining the five old rows
    code, report = _doctor(tracker_cli)
    assert code == 0, report["problems"]
    assert report["supervision"] == {"checked": 5, "broken": []}
    db = Database(db_url)
    try:
        behind_the_back(db, "UPDATE supervision_decision SET reason = '同意' WHERE id = 1", table="supervision_decision")
        code, report = _doctor(tracker_cli)
        assert code == 1 and [(b["kind"], b["row_id"]) for b in report["supervision"]["broken"]] == [("decision", 1)]
    finally:
        db.dispose()
