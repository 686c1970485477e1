"""A database made by the first migration, with data in it, upgraded to the newest schema: the
data is all there and the service layer reads it. Rows are written with the first migration's
own tables (reflected), not today's models, so the test keeps meaning something as the schema
moves on."""

from datetime import date, datetime, timezone

from sqlalchemy import MetaData, insert, select

from tracker import service
from tracker.store.db import SCHEMA_HEAD, Database, current_revision, make_engine, upgrade

from .recording import record

FIRST = "0001_initial"
NOW = datetime(2026, 3, 2, 8, 30, tzinfo=timezone.utc)


def _fill_first_schema(engine) -> dict[str, list]:
    tables = MetaData()
    tables.reflect(engine)
    t = tables.tables
    rows = {
        "jurisdiction": [dict(id=1, name="滨江市", timezone="Asia/Shanghai")],
        "unit": [dict(id=1, jurisdiction_id=1, name="市发展改革委", full_name="滨江市发展和改革委员会", kind="department",
                      choose=False),
                 dict(id=2, jurisdiction_id=1, name="市统计局", full_name="滨江市统计局", kind="department", choose=False)],
        "unit_alias": [dict(id=1, unit_id=1, jurisdiction_id=1, alias="市发展改革委"),
                       dict(id=2, unit_id=1, jurisdiction_id=1, alias="市发改委"),
                       dict(id=3, unit_id=2, jurisdiction_id=1, alias="市统计局")],
        "liaison": [dict(id=1, unit_id=2, name="苏秀兰", title="综合科科长")],
        "plan": [dict(id=1, key="binjiang-2025-001", title="滨江市统计监测三年行动计划", jurisdiction_id=1,
                      coordinator_id=1, period_start=date(2025, 1, 1), period_end=date(2027, 12, 31),
                      timezone="Asia/Shanghai", loaded_at=NOW)],
        "section": [dict(id=1, plan_id=1, key="1", title="强化统计监测", position=0)],
        "task": [dict(id=1, plan_id=1, section_id=1, key="1.1", title="建立服务业统计监测制度",
                      text="建立服务业统计监测制度,按季度开展运行监测分析。", position=0, deadline_kind="date",
                      due_on=date(2025, 12, 31), archived=False, changed_at=NOW, sequence=0),
                 dict(id=2, plan_id=1, section_id=1, key="1.2", title="每年报送总结报告", text="每年2月底前报送总结报告。",
                      position=1, deadline_kind="rule", deadline_rule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1",
                      deadline_phrase="每年2月底前", due_on=date(2027, 2, 28), archived=False, changed_at=NOW,
                      sequence=0)],
        "assignment": [dict(id=1, task_id=1, unit_id=2, role="lead", source="written", position=0, archived=False,
                            status="in_progress", percent=60, status_at=NOW, version=2),
                       dict(id=2, task_id=1, unit_id=1, role="responsible", source="written", position=0,
                            archived=False, status="not_started", version=0),
                       dict(id=3, task_id=2, unit_id=2, role="lead", source="written", position=0, archived=False,
                            status="not_started", version=0)],
        "status_update": [dict(id=1, assignment_id=1, status="in_progress", percent=30, note="方案起草中",
                               liaison_id=1, recorded_by_unit_id=2, author="苏秀兰", recorded_at=NOW),
                          dict(id=2, assignment_id=1, status="in_progress", percent=60, note="已印发",
                               liaison_id=1, recorded_by_unit_id=2, author="苏秀兰", recorded_at=NOW)],
        "feed_token": [dict(id=1, unit_id=2, token_sha256="f" * 64, created_at=NOW)],
    }
    for name, values in rows.items():  # the same columns in every row of a table (None where unsaid)
        columns = sorted({key for row in values for key in row})
        rows[name] = [{key: row.get(key) for key in columns} for row in values]
    with engine.begin() as conn:
        for name, values in rows.items():
            # ids come from the database, as in use (on a new schema: 1, 2, 3 … as listed here)
            conn.execute(insert(t[name]), [{k: v for k, v in row.items() if k != "id"} for row in values])
    return {name: [tuple(sorted(r.items())) for r in values] for name, values in rows.items()}


def _read_back(engine, written: dict[str, list]) -> dict[str, list]:
    tables = MetaData()
    tables.reflect(engine)
    found = {}
    with engine.connect() as conn:
        for name, rows in written.items():
            columns = [key for key, _ in rows[0]]
            table = tables.tables[name]
            found[name] = []
            for row in conn.execute(select(*(table.c[c] for c in columns)).order_by(table.c.id)):
                found[name].append(tuple(sorted(zip(columns, row))))
    return found


def _same_values(written, found):
    def normal(value):
        if isinstance(value, datetime):  # SQLite hands back naive UTC, PostgreSQL aware
            return value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    return {n: [tuple((k, normal(v)) for k, v in r) for r in rows] for n, rows in written.items()} == \
        {n: [tuple((k, normal(v)) for k, v in r) for r in rows] for n, rows in found.items()}


def test_first_schema_with_data_upgrades_to_head(db_url):
    engine = make_engine(db_url)
    upgrade(engine, FIRST)
    assert current_revision(engine) == FIRST
    written = _fill_first_schema(engine)
    engine.dispose()

    db = Database(db_url)  # opening it migrates to the newest schema
    try:
        assert current_revision(db.engine) == SCHEMA_HEAD
        assert _same_values(written, _read_back(db.engine, written))
        with db.reading() as session:
            stats = service.find_unit(session, "市统计局")
            rows = service.unit_tasks(session, stats, today=date(2026, 3, 2))
            assert [(r.key, r.status, r.percent, r.version) for r in rows] == [
                ("1.1", "in_progress", 60, 2), ("1.2", "not_started", None, 0)]
            assert rows[1].due_on == date(2027, 2, 28) and rows[0].responsible == ["市发展改革委"]
            assert service.find_unit(session, "市发改委").name == "市发展改革委"
            assert [(e.percent, e.note) for e in service.history(session, "binjiang-2025-001", "1.1")] == [
                (30, "方案起草中"), (60, "已印发")]
        with db.transaction() as session:  # and it takes new updates, numbered after the old ones
            entry = record(session, plan_key="binjiang-2025-001", task_key="1.1",
                                          unit=service.find_unit(session, "市统计局"), status="done",
                                          expected_version=2)
            assert entry.id == 3
    finally:
        db.dispose()


def test_the_closing_approval_guard_goes_down_and_up_again(db_url):
    """Migration 0007 (closing approval held by PostgreSQL's triggers; nothing on SQLite, which has
    no roles) downgrades to 0006 and back, leaving the schema doctor expects."""
    from alembic import command
    from sqlalchemy import text

    from tracker.store.db import alembic_config

    engine = make_engine(db_url)
    postgres = engine.dialect.name == "postgresql"

    def guards() -> set[str]:
        if not postgres:
            with engine.connect() as conn:
                return set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                             "AND name LIKE '%closing%'")).scalars())
        with engine.connect() as conn:
            return set(conn.execute(text(  # this test's schema only (other tests run beside it)
                "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE c.relnamespace = CAST(current_schema() AS regnamespace) AND t.tgname LIKE '%closing%' "
                "AND NOT t.tgisinternal UNION SELECT proname FROM pg_proc "
                "WHERE pronamespace = CAST(current_schema() AS regnamespace) AND proname IN "
                "('tracker_closing_guard', 'tracker_closing_request_check', 'tracker_needs_approval')")).scalars())

    every = {"assignment_closing_guard", "assignment_closing_request", "status_update_closing_guard",
             "tracker_closing_guard", "tracker_closing_request_check", "tracker_needs_approval"}
    try:
        upgrade(engine)
        assert guards() == (every if postgres else set())
        command.downgrade(alembic_config(engine), "0006_supervision_chain")
        assert current_revision(engine) == "0006_supervision_chain" and guards() == set()
        upgrade(engine)
        assert current_revision(engine) == SCHEMA_HEAD and guards() == (every if postgres else set())
        if postgres:
            from tracker.store.schema_check import postgres_differences

            assert postgres_differences(engine, SCHEMA_HEAD) == []
    finally:
        engine.dispose()
