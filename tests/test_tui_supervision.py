"""Supervision (督办) in the liaison's app, Pilot pressing real keys on both engines: a lead asks
to close a task and for a later deadline from the task's detail; the coordinating unit decides
both from its 待审批 tab, in two keys (and a reason where one is needed)."""

from __future__ import annotations

from datetime import date

import pytest
from textual.widgets import DataTable, Input, Static

from tracker import service
from tracker.service import supervision
from tracker.tui.app import TrackerApp
from tracker.tui.screens.detail import TaskDetailScreen
from tracker.tui.screens.form import FormScreen
from tracker.tui.screens.tasks import TasksScreen
from tracker.tui.widgets.review_list import ReviewList

from .tui_helpers import QINGDAO, TODAY, identity, message, press, settle, text_of, type_text
from .recording import record

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(autouse=True)
def _tui_env(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("TRACKER_TODAY", TODAY)  # 2022-12-20: 3.3.2 is due on the 31st


def commerce_app(db, lang="zh"):
    return TrackerApp(db, lang=lang, start=identity(db, "市商务局", "青岛市", "赵蕾"))


def ndrc_app(db, lang="zh"):
    return TrackerApp(db, lang=lang, start=identity(db, "市发展改革委", "青岛市", "王敏"))


def _requests(db, task="3.3.2"):
    with db.reading() as session:
        return supervision.task_requests(session, QINGDAO, task)


def _state(db, unit="市商务局", task="3.3.2"):
    with db.reading() as session:
        me = service.find_unit(session, unit, "青岛市")
        return next(r for r in service.unit_tasks(session, me) if r.key == task)


async def _open_detail(pilot, key: str) -> None:
    await press(pilot, "slash")
    await type_text(pilot, key)
    await press(pilot, "enter", "d")


async def test_a_lead_asks_to_close_and_for_more_time_from_the_detail(loaded_db):
    app = commerce_app(loaded_db)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert "review" not in [tab.id for tab in app.screen.query("Tab") if tab.display]  # not a coordinator
        await press(pilot, "5")
        assert app.screen.tabs().active != "review"

        await _open_detail(pilot, "3.3.2")
        assert isinstance(app.screen, TaskDetailScreen)
        await press(pilot, "x")  # 申请延期
        assert isinstance(app.screen, FormScreen)
        await type_text(pilot, "2022-12-01")
        await press(pilot, "enter")
        await type_text(pilot, "项目延后落地")
        await press(pilot, "enter")
        # the service refuses a date before today; the form stays, what was typed kept
        assert isinstance(app.screen, FormScreen)
        assert "早于今天" in text_of(app.screen.query_one("#update-error", Static))
        assert _requests(loaded_db) == []
        box = app.screen.query_one("#due_on", Input)
        box.value = ""
        box.focus()
        await type_text(pilot, "2023-06-30")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, TaskDetailScreen)
        assert "延期申请 #1 已报市发展改革委" in message(app)
        history = app.screen.query_one("#history", DataTable)
        newest = [str(cell) for cell in history.get_row_at(0)]
        assert newest[1:] == ["市商务局", "延期申请", "赵蕾", "2022-12-31 → 2023-06-30 · 项目延后落地"]

        await press(pilot, "c")  # 申请办结
        assert isinstance(app.screen, FormScreen)
        await type_text(pilot, "平台已建成")
        await press(pilot, "enter")
        assert isinstance(app.screen, TaskDetailScreen)
        assert "申请办结 #2 已报市发展改革委" in message(app)
        units = app.screen.query_one("#units", DataTable)
        mine = [str(cell) for cell in units.get_row_at(units.cursor_row)]
        assert mine[1] == "市商务局" and mine[2] == "待审核 100%"
        # while it waits, the form to record progress is not offered
        await press(pilot, "e")
        assert isinstance(app.screen, TaskDetailScreen) and "正等待牵头协调单位审批" in message(app)
    asked = _requests(loaded_db)
    assert [(r.kind, r.author, r.note, r.due_on) for r in asked] == [
        ("extension", "赵蕾", "项目延后落地", date(2023, 6, 30)), ("closing", "赵蕾", "平台已建成", None)]
    assert _state(loaded_db).status == "pending_review"


async def test_another_units_row_asks_nothing(loaded_db):
    app = commerce_app(loaded_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await _open_detail(pilot, "3.3.2")
        await press(pilot, "down", "c")  # a district's row
        assert isinstance(app.screen, TaskDetailScreen)
        assert "只能为本单位的那一行提出申请" in message(app)
    assert _requests(loaded_db) == []


def _two_requests(db) -> None:
    with db.transaction() as session:
        commerce = service.find_unit(session, "市商务局", "青岛市")
        record(session, plan_key=QINGDAO, task_key="3.3.2", unit=commerce, status="done", note="平台已建成", by="赵蕾")
        supervision.request_extension(
            session, assignment_id=service.find_assignment(session, QINGDAO, "3.5.3", commerce.id),
            acting_unit_id=commerce.id, due_on=date(2023, 6, 30), reason="项目延后落地", by="赵蕾",
            today=date(2022, 12, 20))


async def test_the_coordinator_decides_in_its_tab_in_two_keys(loaded_db):
    _two_requests(loaded_db)
    app = ndrc_app(loaded_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "5")
        screen = app.screen
        assert isinstance(screen, TasksScreen) and screen.tabs().active == "review"
        waiting = screen.query_one(ReviewList)
        assert [(r.kind, r.task_key) for r in waiting.requests] == [("closing", "3.3.2"), ("extension", "3.5.3")]
        assert text_of(screen.query_one("#count", Static)) == "待审批2项"

        # 退回 needs a reason: t, the reason, Enter
        await press(pilot, "t")
        assert isinstance(app.screen, FormScreen)
        await press(pilot, "enter")
        assert "请填写理由" in text_of(app.screen.query_one("#update-error", Static))
        await type_text(pilot, "缺少验收材料")
        await press(pilot, "enter")
        assert isinstance(app.screen, TasksScreen)
        assert "申请 #1\uff1a3.3.2 市商务局 已退回" in message(app)
        assert [r.task_key for r in waiting.requests] == ["3.5.3"]

        # approving is a then Enter
        await press(pilot, "a", "enter")
        assert "申请 #2\uff1a3.5.3 市商务局 已批准延期" in message(app)
        assert waiting.requests == [] and text_of(screen.query_one("#count", Static)) == "待审批0项"
        await press(pilot, "1", "5")  # shown again: the empty tab says so
        assert "没有待审批的申请" in message(app)
    assert _state(loaded_db).status == "in_progress"
    moved = _state(loaded_db, task="3.5.3")
    assert (moved.due_on, moved.extended_from) == (date(2023, 6, 30), date(2022, 12, 31))
    assert [(r.decision, r.reason, r.decided_by) for r in _requests(loaded_db)] == [
        ("returned", "缺少验收材料", "王敏")]


async def test_deciding_keys_work_only_on_the_review_tab_and_the_help_lists_them(loaded_db):
    _two_requests(loaded_db)
    app = ndrc_app(loaded_db, "en")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "a")  # on 牵头: nothing to approve here
        assert isinstance(app.screen, TasksScreen)
        await press(pilot, "5", "question_mark")
        ids = [binding_id for _, _, binding_id in app.screen.keys]
        assert "tasks.approve" in ids and "tasks.turn_down" in ids
        await press(pilot, "escape", "d")  # the task behind the request
        assert isinstance(app.screen, TaskDetailScreen) and app.screen.task_key == "3.3.2"
    with loaded_db.reading() as session:
        assert len(supervision.pending_for(session, service.find_unit(session, "市发展改革委", "青岛市").id)) == 2
