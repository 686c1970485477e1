"""The service layer: task queries under a pinned clock, status updates, permissions, conflicts."""

from datetime import date

import pytest
from sqlalchemy import func, select

from tracker import clock, service
from tracker.errors import (
    AmbiguousUnit, Conflict, NotAssigned, NotFound, NotYours, PermissionDenied, TrackerError, UnknownUnit,
)
from tracker.store.models import StatusUpdate

from .recording import record, undo

QINGDAO = "qingdao-2020-service-clusters"
JILIN = "jilin-2021-cluster-upgrade"
YEARLY = "qingdao-2024-municipal-clusters"


def unit(session, name, jurisdiction=None):
    return service.find_unit(session, name, jurisdiction)


def test_find_unit_by_alias_and_jurisdiction(loaded_db):
    with loaded_db.reading() as session:
        assert unit(session, "青岛市发展和改革委员会").name == "市发展改革委"
        with pytest.raises(AmbiguousUnit):
            unit(session, "市发展和改革委员会")
        assert unit(session, "青岛市商务局").jurisdiction == "青岛市"
        with pytest.raises(AmbiguousUnit) as ambiguous:
            unit(session, "市商务局")
        # the refusal carries its data; the words are the front end's, in either language
        assert (ambiguous.value.name, ambiguous.value.jurisdictions) == ("市商务局", ("吉林市", "青岛市"))
        assert str(ambiguous.value) == "'市商务局' 在多个地区都有\uff08吉林市、青岛市\uff09\uff0c请加 --jurisdiction 指明地区"
        assert ambiguous.value.words("en") == "'市商务局' exists in several jurisdictions (吉林市, 青岛市); add --jurisdiction"
        assert unit(session, "市商务局", "吉林市").jurisdiction == "吉林市"
        with pytest.raises(UnknownUnit) as unknown:
            unit(session, "市发展改革局", "青岛市")
        assert isinstance(unknown.value, NotFound) and unknown.value.candidates[0] == "市发展改革委"
        assert "最接近的已知名称\uff1a市发展改革委" in str(unknown.value)
        assert "closest known names: 市发展改革委" in unknown.value.words("en")


def test_tasks_by_role(loaded_db):
    with loaded_db.reading() as session:
        ndrc = unit(session, "市发改委", "青岛市")
        lead = service.unit_tasks(session, ndrc, role="lead", today=date(2021, 1, 1))
        assert [r.key for r in lead] == ["3.1.2", "3.5.1", "3.6.3", "3.6.5", "3.7.1", "3.7.4", "3.7.5"]
        assert all(r.role == "lead" for r in lead)
        responsible = service.unit_tasks(session, ndrc, role="responsible", today=date(2021, 1, 1))
        assert [r.key for r in responsible] == ["3.1.1", "3.2.1", "3.5.2", "3.6.1"]
        first = responsible[0]
        assert first.lead == ["市自然资源和规划局"] and first.responsible == ["市发展改革委"]


def test_overdue_and_due_within_follow_the_clock(loaded_db):
    with loaded_db.transaction() as session:
        commerce = unit(session, "市商务局", "青岛市")
        before = service.unit_tasks(session, commerce, overdue=True, today=date(2022, 12, 31))
        assert before == []
        after = service.unit_tasks(session, commerce, overdue=True, today=date(2023, 1, 1))
        assert [r.key for r in after] == ["3.2.1", "3.3.2", "3.4.1", "3.5.1", "3.5.3", "3.5.5"]
        assert all(r.overdue and r.days_left == -1 for r in after)
        soon = service.unit_tasks(session, commerce, due_within=14, today=date(2022, 12, 20))
        assert len(soon) == 6 and soon[0].days_left == 11
        assert service.unit_tasks(session, commerce, due_within=5, today=date(2022, 12, 20)) == []
        record(session, plan_key=QINGDAO, task_key="3.3.2", unit=commerce, status="done")
        after = service.unit_tasks(session, commerce, overdue=True, today=date(2023, 1, 1))
        assert "3.3.2" not in [r.key for r in after]


def test_yearly_rule_is_due_on_its_next_occurrence(loaded_db):
    with loaded_db.reading() as session:
        bureau = unit(session, "市南区发展改革局")
        row, = service.unit_tasks(session, bureau, today=date(2025, 3, 1))
        assert row.deadline_kind == "rule" and row.due_on == date(2026, 2, 28)
        assert row.final_due_on == date(2027, 2, 28) and not row.overdue
        leap, = service.unit_tasks(session, bureau, today=date(2028, 1, 1))
        assert leap.due_on == date(2027, 2, 28) and leap.overdue  # the plan ended; never reported done
        soon = service.unit_tasks(session, bureau, due_within=14, today=date(2026, 2, 20))
        assert [r.due_on for r in soon] == [date(2026, 2, 28)]


def test_record_status_appends_history(loaded_db):
    with loaded_db.transaction() as session:
        ndrc = unit(session, "市发改委", "吉林市")
        record(session, plan_key=JILIN, task_key="4.2.1", unit=ndrc, status="in_progress",
                              percent=30, note="起草规划", by="刘慧")
        record(session, plan_key=JILIN, task_key="4.2.1", unit=ndrc, status="behind",
                              percent=35, note="等待省级布局规划", by="刘慧")
    with loaded_db.reading() as session:
        entries = service.history(session, JILIN, "4.2.1")
        assert [(e.status, e.percent, e.author) for e in entries] == [("in_progress", 30, "刘慧"), ("behind", 35, "刘慧")]
        row = next(r for r in service.unit_tasks(session, unit(session, "市发改委", "吉林市")) if r.key == "4.2.1")
        assert (row.status, row.percent, row.version) == ("behind", 35, 2)


@pytest.mark.parametrize("status,percent,note,message,english", [
    ("behind", 10, None, "必须填写说明", "note is required"),
    ("in_progress", 101, None, "完成比例应在0到100之间\uff0c而不是101", "between 0 and 100, not 101"),
    ("in_progress", -1, None, "完成比例应在0到100之间", "between 0 and 100"),
    ("finished", None, None, "未知状态 'finished'", "unknown status 'finished'"),
])
def test_invalid_updates_are_refused(loaded_db, status, percent, note, message, english):
    with pytest.raises(TrackerError, match=message) as refused:
        with loaded_db.transaction() as session:
            record(session, plan_key=JILIN, task_key="4.2.1", unit=unit(session, "市发改委", "吉林市"),
                                  status=status, percent=percent, note=note)
    assert english in refused.value.words("en")
    with loaded_db.reading() as session:
        assert session.scalar(select(func.count()).select_from(StatusUpdate)) == 0


def test_only_own_unit_or_coordinator_may_update(loaded_db):
    with pytest.raises(NotYours) as refused:
        with loaded_db.transaction() as session:
            record(session, plan_key=QINGDAO, task_key="3.3.2", unit=unit(session, "市商务局", "青岛市"),
                                  status="done", acting_unit=unit(session, "市财政局", "青岛市"))
    assert isinstance(refused.value, PermissionDenied)
    assert (refused.value.acting, refused.value.owner, refused.value.coordinator) == ("市财政局", "市商务局", "市发展改革委")
    with pytest.raises(NotAssigned):
        with loaded_db.transaction() as session:
            record(session, plan_key=QINGDAO, task_key="3.3.2", unit=unit(session, "市财政局", "青岛市"),
                                  status="done")
    # the plan's coordinating unit (市发展改革委) may update any of the plan's assignments
    with loaded_db.transaction() as session:
        entry = record(session, plan_key=QINGDAO, task_key="3.3.2",
                                      unit=unit(session, "市商务局", "青岛市"), status="in_progress",
                                      acting_unit=unit(session, "市发展改革委", "青岛市"), by="王敏")
        assert entry.unit == "市商务局"


def test_stale_view_is_a_conflict_not_a_lost_update(loaded_db):
    with loaded_db.reading() as session:
        seen = next(r for r in service.unit_tasks(session, unit(session, "市统计局")) if r.key == "5.3.1")
    with loaded_db.transaction() as session:
        record(session, plan_key=JILIN, task_key="5.3.1", unit=unit(session, "市统计局"),
                              status="in_progress", percent=50, by="苏秀兰", expected_version=seen.version)
    with pytest.raises(Conflict) as raised:
        with loaded_db.transaction() as session:
            record(session, plan_key=JILIN, task_key="5.3.1", unit=unit(session, "市统计局"),
                                  status="done", by="另一位联络员", expected_version=seen.version)
    assert raised.value.newer.author == "苏秀兰" and raised.value.newer.percent == 50
    with loaded_db.reading() as session:
        assert [e.author for e in service.history(session, JILIN, "5.3.1")] == ["苏秀兰"]


def test_undo_is_a_new_entry(loaded_db):
    with loaded_db.transaction() as session:
        stats = unit(session, "市统计局")
        record(session, plan_key=JILIN, task_key="5.3.1", unit=stats, status="in_progress", percent=20, by="苏秀兰",
               note="已完成初稿")
        record(session, plan_key=JILIN, task_key="5.3.1", unit=stats, status="done", by="苏秀兰", note="已印发")
        entry = undo(session, plan_key=JILIN, task_key="5.3.1", unit=stats, by="苏秀兰")
        assert (entry.status, entry.percent) == ("in_progress", 20)
    with loaded_db.reading() as session:
        entries = service.history(session, JILIN, "5.3.1")
        assert [e.status for e in entries] == ["in_progress", "done", "in_progress"]
        assert entries[-1].undoes_id == entries[1].id
        # the state restored is the whole state before: its note too, so every reader of "the
        # latest note" (ledger 进展情况, feeds, the TUI) shows it, not a note about the undo
        assert entries[-1].note == "已完成初稿"
        detail = service.task_detail(session, JILIN, "5.3.1")
        assert next(a for a in detail.assignments if a.unit == "市统计局").note == "已完成初稿"


def test_history_rows_are_never_rewritten(loaded_db):
    """No service path updates or deletes a status update row."""
    from sqlalchemy import event

    writes = []

    def watch(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("UPDATE STATUS_UPDATE", "DELETE FROM STATUS_UPDATE")):
            writes.append(statement)

    event.listen(loaded_db.engine, "before_cursor_execute", watch)
    with loaded_db.transaction() as session:
        stats = unit(session, "市统计局")
        record(session, plan_key=JILIN, task_key="5.3.1", unit=stats, status="in_progress", by="苏秀兰")
        undo(session, plan_key=JILIN, task_key="5.3.1", unit=stats, by="苏秀兰")
    from tracker.service.loading import load_paths
    from .conftest import PLANS
    load_paths(loaded_db, [PLANS])
    event.remove(loaded_db.engine, "before_cursor_execute", watch)
    assert writes == []


def test_pinned_clock_from_environment(monkeypatch):
    monkeypatch.setenv("TRACKER_TODAY", "2026-11-23")
    assert clock.today() == date(2026, 11, 23)
    monkeypatch.setenv("TRACKER_TODAY", "23/11/2026")
    with pytest.raises(TrackerError, match="TRACKER_TODAY"):
        clock.today()


def test_undo_refuses_when_there_is_nothing_to_undo(loaded_db):
    from tracker.errors import NothingToUndo

    with pytest.raises(NothingToUndo) as raised:
        with loaded_db.transaction() as session:
            undo(session, plan_key=JILIN, task_key="5.3.1", unit=unit(session, "市统计局"), by="苏秀兰")
    assert not raised.value.already_undone
    with loaded_db.transaction() as session:
        stats = unit(session, "市统计局")
        record(session, plan_key=JILIN, task_key="5.3.1", unit=stats, status="in_progress", by="苏秀兰")
        undo(session, plan_key=JILIN, task_key="5.3.1", unit=stats, by="苏秀兰")
    with pytest.raises(NothingToUndo) as raised:
        with loaded_db.transaction() as session:
            undo(session, plan_key=JILIN, task_key="5.3.1", unit=unit(session, "市统计局"), by="苏秀兰")
    assert raised.value.already_undone


def test_by_deadline_ranks_a_yearly_duty_by_its_next_occurrence(loaded_db, tracker_cli):
    """每年12月31日前 is next due on 2022-12-31: after 12-25, before 2023-03-31, in the service's
    whole list, in its pages (the TUI's), and in `tracker tasks`."""
    from tracker.service.loading import load_paths

    from .conftest import ROOT

    load_paths(loaded_db, [ROOT / "tests" / "data" / "yearly-duty.toml"])
    today = date(2022, 12, 20)
    with loaded_db.reading() as session:
        ndrc = unit(session, "市发展改革委", "青岛市")
        whole = service.unit_tasks(session, ndrc, plan_key="yearly-duty", today=today)
        assert [(r.key, r.due_on) for r in whole] == [
            ("1.3", date(2022, 12, 25)), ("1.1", date(2022, 12, 31)), ("1.2", date(2023, 3, 31))]
        everything = [r.key for r in service.unit_tasks(session, ndrc, today=today)]
        paged = [r.key for offset in range(0, len(everything), 4)
                 for r in service.unit_tasks(session, ndrc, today=today, limit=4, offset=offset)]
        assert paged == everything
        mine = [r for r in service.unit_tasks(session, ndrc, today=today) if r.plan_key == "yearly-duty"]
        assert [r.key for r in mine] == ["1.3", "1.1", "1.2"]
    listed = tracker_cli("tasks", "-u", "市发展改革委", "-j", "青岛市", "--plan", "yearly-duty", today="2022-12-20")
    assert listed.exit_code == 0, listed.output
    keys = [line.split()[1] for line in listed.output.splitlines()[1:-1]]
    assert keys == ["1.3", "1.1", "1.2"]
