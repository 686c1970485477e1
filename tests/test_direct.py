"""The direct read behind `tracker tasks` gives exactly the service layer's rows, and steps aside
(returns None) whenever the service layer must answer."""

import itertools
import os
import subprocess
import sys
from datetime import date

from sqlalchemy import text

from bench.generate import SCALES, generate
from tracker import service
from tracker.store import direct
from tracker.store.db import Database

from .conftest import ROOT
from .recording import record

JILIN = "jilin-2021-cluster-upgrade"


def _same(db, name, jurisdiction=None, **filters):
    today = filters.pop("today")
    with db.reading() as session:
        unit = service.find_unit(session, name, jurisdiction)
        expected = service.unit_tasks(session, unit, today=today, **filters)
    found = direct.unit_tasks(db.url, name, jurisdiction, today=today, **filters)
    assert found == expected, (name, filters)
    return found


FILTERS = [dict(), dict(role="lead"), dict(role="responsible"), dict(overdue=True), dict(due_within=30),
           dict(due_within=400, role="lead"), dict(stale_days=90), dict(stale_days=400, overdue=True)]


def test_same_rows_as_the_service_layer_on_the_bundled_plans(loaded_db):
    with loaded_db.transaction() as session:
        stats = service.find_unit(session, "市统计局")
        record(session, plan_key=JILIN, task_key="5.3.1", unit=stats, status="in_progress",
                              percent=40, note="指标体系起草中", by="苏秀兰")
    cases = [("市发改委", "青岛市"), ("青岛市商务局", None), ("市商务局", "吉林市"), ("市统计局", None),
             ("市南区发展改革局", None)]
    for (name, jurisdiction), filters, today in itertools.product(
            cases, FILTERS + [dict(plan_key=JILIN)], (date(2021, 6, 1), date(2023, 1, 1), date(2026, 2, 20))):
        _same(loaded_db, name, jurisdiction, today=today, **filters)
    rows = direct.unit_tasks(loaded_db.url, "市统计局", today=date(2026, 2, 20))
    assert any(r.status == "in_progress" and r.status_at is not None for r in rows)


def test_same_rows_as_the_service_layer_on_a_generated_city(db_url, tmp_path):
    generate(db_url, SCALES["small"], 11, tmp_path / "plans")
    db = Database(db_url)
    try:
        with db.reading() as session:
            units = [u.name for u in service.list_units(session)]
        busiest = ["市发展改革委", "市财政局", "市商务局", "江南区政府", "各相关职能单位"]
        for name, filters in itertools.product(busiest + units[::40], FILTERS):
            _same(db, name, today=date(2026, 11, 24), **filters)
        rows = direct.unit_tasks(db.url, "市发展改革委", today=date(2026, 11, 24))
        assert {r.deadline_kind for r in rows} == {"date", "rule", "ongoing", "plan_end"}
        assert any(r.lead and r.responsible for r in rows)
    finally:
        db.dispose()


def test_steps_aside_when_the_service_layer_must_answer(loaded_db, tmp_path):
    today = date(2023, 1, 1)
    assert direct.unit_tasks(loaded_db.url, "市商务局", today=today) is None  # two jurisdictions
    assert direct.unit_tasks(loaded_db.url, "市发展改革局", "青岛市", today=today) is None  # unknown
    assert direct.unit_tasks(loaded_db.url, "市发改委", "上海市", today=today) is None  # unknown jurisdiction
    assert direct.unit_tasks(loaded_db.url, "市统计局", plan_key="nope", today=today) is None
    assert direct.unit_tasks(f"sqlite:///{tmp_path / 'missing.sqlite3'}", "市统计局", today=today) is None
    (tmp_path / "other.sqlite3").write_bytes(b"")
    assert direct.unit_tasks(f"sqlite:///{tmp_path / 'other.sqlite3'}", "市统计局", today=today) is None
    assert direct.unit_tasks("mysql://nobody@localhost/tracker", "市统计局", today=today) is None
    with loaded_db.engine.begin() as conn:  # as if a newer migration had not run yet
        conn.execute(text("UPDATE alembic_version SET version_num = '0000_older'"))
    assert direct.unit_tasks(loaded_db.url, "市统计局", today=today) is None


def test_tasks_command_reads_without_sqlalchemy(loaded_db):
    """The whole `tracker tasks` command, in a fresh interpreter: answered without importing
    SQLAlchemy, Alembic or any of the heavy libraries other commands use."""
    probe = (
        "import sys\n"
        "from tracker.cli import cli\n"
        "try:\n"
        f"    cli.main(['--db', {loaded_db.url!r}, 'tasks', '--unit', '市统计局'], standalone_mode=False)\n"
        "finally:\n"
        "    heavy = ['sqlalchemy', 'alembic', 'textual', 'icalendar', 'openpyxl', 'jinja2', 'starlette', 'pydantic']\n"
        "    print('IMPORTED', [m for m in heavy if m in sys.modules])\n"
    )
    env = {**os.environ, "TRACKER_TODAY": "2022-01-01"}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    assert "5.3.1" in result.stdout
    assert "IMPORTED []" in result.stdout
