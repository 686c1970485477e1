"""Feed queries in bulk (statement counts that do not grow with the tasks), subscription tokens,
and the served feeds' Last-Modified that never moves backwards."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select

from tracker import clock, service
from tracker.errors import TrackerError
from tracker.service.loading import load_paths
from tracker.service import feeds
from tracker.store.models import FeedState, FeedToken

from .conftest import snapshot
from .feeds_support import synthetic_plan
from .recording import record


class Statements:
    """Counts the SQL statements an engine runs, with a before_cursor_execute listener."""

    def __init__(self, engine):
        self.engine = engine
        self.count = 0

    def _seen(self, *args):
        self.count += 1

    def __enter__(self):
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._seen)


def _statements_for(db, tmp_path, tasks: int) -> tuple[int, ...]:
    load_paths(db, [synthetic_plan(tmp_path / f"plans{tasks}", f"bulk-{tasks}", tasks)])
    clock.pin(date(2026, 3, 1))
    with db.transaction() as session:
        lead = service.find_unit(session, "市发展改革委", "青岛市")
        finance = service.find_unit(session, "市财政局", "青岛市")
        for i in range(1, tasks + 1, 2):  # history with notes, so the latest-note lookup has work
            record(session, plan_key=f"bulk-{tasks}", task_key=f"1.{i}", unit=lead,
                                  status="in_progress", percent=10, note=f"第{i}次推进")
            record(session, plan_key=f"bulk-{tasks}", task_key=f"1.{i}", unit=finance,
                                  status="behind", note="资金待落实")
        lead_id = lead.id
    counts = []
    with db.reading() as session:
        with Statements(db.engine) as seen:
            unit = feeds.unit_feed(session, lead_id)
        counts.append(seen.count)
        assert len([e for e in unit.entries if e.task.plan_key == f"bulk-{tasks}"]) == tasks
        with Statements(db.engine) as seen:
            plan = feeds.plan_feed(session, f"bulk-{tasks}")
        counts.append(seen.count)
        assert len(plan.entries) == tasks and all(len(e.assignees) == 3 for e in plan.entries)
        with Statements(db.engine) as seen:
            units, plans = feeds.all_feeds(session)
        counts.append(seen.count)
        assert len(next(p for p in plans if p.key == f"bulk-{tasks}").entries) == tasks
        with Statements(db.engine) as seen:
            feeds.unit_feed(session, lead_id, "lead")
        counts.append(seen.count)
        with Statements(db.engine) as seen:
            feeds.unit_fingerprint(session, lead_id)
            feeds.plan_fingerprint(session, f"bulk-{tasks}")
        counts.append(seen.count)
    noted = next(e for e in unit.entries if e.task.key == "1.1")
    assert noted.own.note == "第1次推进" and noted.own.status == "in_progress"
    assert [a.note for a in next(e for e in plan.entries if e.task.key == "1.1").assignees] == \
        ["第1次推进", "资金待落实", None]
    return tuple(counts)


def test_statements_per_feed_do_not_grow_with_tasks(db, tmp_path):
    # one database, measured at 6 tasks and again at 126
    small = _statements_for(db, tmp_path, 6)
    large = _statements_for(db, tmp_path, 120)
    assert small == large
    unit, plan, everything, by_role, fingerprints = large
    # a unit: the unit, its tasks, the names on them, its own assignments, its reporting duties
    # (报送); a plan: the plan, its tasks, their assignments. The first also opens the reading
    # transaction, which on SQLite is a BEGIN statement of its own.
    assert unit in (5, 6) and plan == 3 and by_role == 5
    assert everything == 5  # tasks, assignments, plans, units, reporting duties: the whole database
    assert fingerprints == 2  # one each


def test_unit_feed_of_the_seed_plans(loaded_db):
    with loaded_db.reading() as session:
        ndrc = service.find_unit(session, "市发改委", "青岛市")
        feed = feeds.unit_feed(session, ndrc.id)
        rows = service.unit_tasks(session, ndrc, today=date(2022, 1, 1))
        assert [(e.task.plan_key, e.task.key, e.own.role) for e in feed.entries] == \
            sorted((r.plan_key, r.key, r.role) for r in rows)
        entry = next(e for e in feed.entries if e.task.key == "3.1.2")
        row = next(r for r in rows if r.key == "3.1.2")
        assert list(entry.task.lead) == row.lead and list(entry.task.responsible) == row.responsible
        assert entry.task.document_number == "青政字〔2020〕30号" and entry.task.section == "实施规划引领行动"
        assert (feed.unit, feed.jurisdiction) == ("市发展改革委", "青岛市")
        lead_only = feeds.unit_feed(session, ndrc.id, "lead")
        assert [e.task.key for e in lead_only.entries] == ["3.1.2", "3.5.1", "3.6.3", "3.6.5", "3.7.1", "3.7.4", "3.7.5"]
        district = service.find_unit(session, "市南区发展改革局")
        yearly, = feeds.unit_feed(session, district.id).entries
        assert yearly.task.deadline_kind == "rule" and yearly.task.plan_start == date(2024, 6, 24)
        assert yearly.task.plan_end == date(2027, 12, 31) and yearly.task.due_on == date(2027, 2, 28)
        assert feeds.unit_plan_keys(session, ndrc) == ["qingdao-2020-service-clusters", "qingdao-2024-municipal-clusters"]
        assert feeds.may_read_plan(session, ndrc.id, "qingdao-2024-municipal-clusters")  # it coordinates it
        assert not feeds.may_read_plan(session, ndrc.id, "jilin-2021-cluster-upgrade")
        with pytest.raises(TrackerError, match="未知计划 'nope'"):
            feeds.plan_feed(session, "nope")


def test_archived_tasks_leave_the_feeds_and_every_unit_keeps_a_file(db, tmp_path):
    folder = tmp_path / "plans"
    path = synthetic_plan(folder, "shrinking", 4, lead="市科技局", responsible=())
    load_paths(db, [folder])
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('lead = ["市科技局"]', 'lead = ["市民政局"]'), encoding="utf-8")
    load_paths(db, [folder])
    with db.reading() as session:
        units, plans = feeds.all_feeds(session)
        stats = next(u for u in units if u.unit == "市科技局")
        assert stats.entries == []  # its assignments were archived: an empty calendar, not a stale one
        assert len(next(u for u in units if u.unit == "市民政局").entries) == 4
        assert len(plans) == 1 and len(plans[0].entries) == 4


def test_tokens_are_stored_hashed_rotated_and_revoked(loaded_db):
    url = loaded_db.url
    with loaded_db.transaction() as session:
        unit = service.find_unit(session, "市商务局", "吉林市")
        token = feeds.issue_token(session, unit)
    assert len(token) == 43  # 256 bits from secrets.token_urlsafe(32)
    with loaded_db.reading() as session:
        stored = session.scalars(select(FeedToken)).all()
        assert [t.token_sha256 for t in stored] == [hashlib.sha256(token.encode()).hexdigest()]
        found = feeds.unit_for_token(session, token)
        assert (found.unit, found.jurisdiction) == ("市商务局", "吉林市")
        assert found.code == feeds.unit_code("吉林市", "市商务局")
        for wrong in (token[:-1] + ("A" if token[-1] != "A" else "B"), token[:-1], "", "../../etc/passwd", token + "x"):
            assert feeds.unit_for_token(session, wrong) is None
    before = snapshot(url)
    with pytest.raises(TrackerError, match="已有订阅令牌"):
        with loaded_db.transaction() as session:
            feeds.issue_token(session, service.find_unit(session, "市商务局", "吉林市"))
    assert snapshot(url) == before
    with loaded_db.transaction() as session:
        rotated = feeds.issue_token(session, service.find_unit(session, "市商务局", "吉林市"), rotate=True)
    with loaded_db.reading() as session:
        assert feeds.unit_for_token(session, token) is None and feeds.unit_for_token(session, rotated) is not None
    with loaded_db.transaction() as session:
        assert feeds.revoke_tokens(session, service.find_unit(session, "市商务局", "吉林市")) == 1
    with loaded_db.reading() as session:
        assert feeds.unit_for_token(session, rotated) is None


def test_last_modified_never_moves_backwards(db):
    t0 = datetime(2026, 11, 24, 8, 0, 0, 250000, tzinfo=timezone.utc)
    with db.transaction() as session:
        first = feeds.settle_feed_state(session, "unit:1", '"a"', t0)
    assert first == t0.replace(microsecond=0)
    with db.transaction() as session:
        assert feeds.settle_feed_state(session, "unit:1", '"a"', t0 + timedelta(hours=1)) == first  # unchanged bytes
        # changed twice within the same second: still later each time
        second = feeds.settle_feed_state(session, "unit:1", '"b"', t0)
        third = feeds.settle_feed_state(session, "unit:1", '"c"', t0)
    assert first < second < third
    with db.transaction() as session:
        # a server whose clock lags (or a task removed: bytes back to an older state) never goes back
        fourth = feeds.settle_feed_state(session, "unit:1", '"a"', t0 - timedelta(days=3))
    assert fourth > third
    with db.reading() as session:
        assert feeds.feed_state(session, "unit:1") == ('"a"', fourth)
        assert session.scalar(select(FeedState.feed)) == "unit:1"


def test_fingerprints_change_with_what_feeds_show(db, tmp_path):
    folder = tmp_path / "plans"
    path = synthetic_plan(folder, "prints", 4)
    clock.pin(date(2026, 1, 5))
    load_paths(db, [folder])
    with db.reading() as session:
        lead = service.find_unit(session, "市发展改革委", "青岛市").id
        finance = service.find_unit(session, "市财政局", "青岛市").id

    def prints():
        with db.reading() as session:
            return (feeds.unit_fingerprint(session, lead), feeds.unit_fingerprint(session, finance),
                    feeds.plan_fingerprint(session, "prints"))

    first = prints()
    assert first == prints() and first[2]
    with db.reading() as session:
        assert feeds.plan_fingerprint(session, "no-such-plan") == ()
    with db.transaction() as session:
        record(session, plan_key="prints", task_key="1.2", status="done",
                              unit=service.find_unit(session, "市财政局", "青岛市"))
    second = prints()
    assert second[0] == first[0]  # the lead's own assignments did not change (its feed shows names only)
    assert second[1] != first[1] and second[2] != first[2]
    clock.pin(date(2025, 1, 1))  # a clock set back: loaded_at goes backwards, and still differs
    path.write_text(path.read_text(encoding="utf-8").replace('title = "完善集聚区配套"', 'title = "完善配套设施"'),
                    encoding="utf-8")
    load_paths(db, [folder])
    third = prints()
    assert all(a != b for a, b in zip(second, third))
