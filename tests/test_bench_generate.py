"""The benchmark dataset: deterministic from its seed, loaded by the real loader, and its history
consistent with each assignment's latest status."""

from sqlalchemy import func, select

from bench.generate import SCALES, generate, write_plan_files
from tracker.planfile import read_plan
from tracker.store.db import Database
from tracker.store.models import Assignment, StatusUpdate
from tracker.registry import Registry


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_plan_files_follow_the_seed(tmp_path):
    first = _files(write_plan_files(7, SCALES["small"], tmp_path / "a"))
    again = _files(write_plan_files(7, SCALES["small"], tmp_path / "b"))
    other = _files(write_plan_files(8, SCALES["small"], tmp_path / "c"))
    assert first == again
    assert first != other
    registry = Registry.load(tmp_path / "a" / "units.toml")
    assert len([u for u in registry.units.values() if not u.is_group]) == 200
    plans = [read_plan(tmp_path / "a" / name) for name in first if name != "units.toml"]
    assert len(plans) == 6 and sum(len(p.tasks) for p in plans) == 300
    kinds = {t.deadline.kind for p in plans for t in p.tasks}
    assert kinds == {"date", "rule", "ongoing", "plan_end"}
    assert any(t.deadline.rule and t.deadline.rule.startswith("FREQ=YEARLY") for p in plans for t in p.tasks)


def test_generated_database_is_consistent(db_url, tmp_path):
    summary = generate(db_url, SCALES["small"], 3, tmp_path / "plans")
    assert (summary["plans"], summary["tasks"], summary["units"]) == (6, 300, 213)
    assert 2.5 * 300 < summary["assignments"] < 3.5 * 300
    assert 1.5 * summary["assignments"] < summary["status updates"] < 2.5 * summary["assignments"]
    db = Database(db_url)
    try:
        with db.reading() as session:
            history = dict(session.execute(select(StatusUpdate.assignment_id, func.count())
                                           .group_by(StatusUpdate.assignment_id)).all())
            latest_ids = (select(func.max(StatusUpdate.id)).group_by(StatusUpdate.assignment_id)).subquery()
            latest = dict(session.execute(select(StatusUpdate.assignment_id, StatusUpdate.status)
                                          .where(StatusUpdate.id.in_(select(latest_ids)))).all())
            for assignment in session.scalars(select(Assignment)):
                assert assignment.version == history.get(assignment.id, 0)
                assert assignment.status == latest.get(assignment.id, "not_started")
    finally:
        db.dispose()
