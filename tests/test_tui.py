"""The liaison's app driven by Textual's Pilot pressing real keys, against a real SQLite file
(and a real PostgreSQL schema when TRACKER_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from textual.widgets import DataTable, Input, OptionList, Static

from tracker import service
from tracker.errors import NotFound
from tracker.tui.app import TrackerApp
from tracker.tui.identity import Ask, Identity, config_path, remembered, resolve
from tracker.tui.screens.choose_unit import ChooseUnitScreen
from tracker.tui.screens.detail import TaskDetailScreen
from tracker.tui.screens.tasks import TasksScreen
from tracker.tui.screens.update import UpdateScreen
from tracker.tui.widgets import task_table
from tracker.tui.widgets.plan_tree import PlanTree
from tracker.tui.widgets.task_table import DONE, DUE_SOON, OVERDUE, TaskTable

from .tui_helpers import JILIN, QINGDAO, TODAY, identity, load_followup, message, press, settle, text_of, type_text
from .recording import record


# Pilot tests are coroutines; anyio's pytest plugin (installed with httpx) runs them on asyncio
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(autouse=True)
def _tui_env(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("TRACKER_TODAY", TODAY)


@pytest.fixture
def tui_db(loaded_db):
    load_followup(loaded_db)
    return loaded_db


def ndrc_app(db, lang="zh", liaison="王敏"):
    return TrackerApp(db, lang=lang, start=identity(db, "市发展改革委", "青岛市", liaison))


def table(app) -> TaskTable:
    return app.screen.active_table()


def keys_shown(app) -> list[str]:
    return [row.key for row in table(app).loaded]


def count_text(app) -> str:
    return text_of(app.screen.query_one("#count", Static))


# ---------------------------------------------------------------------- who you are


async def test_first_start_asks_which_unit_and_remembers(tui_db):
    app = TrackerApp(tui_db, start=Ask())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ChooseUnitScreen)
        await type_text(pilot, "市商务局")  # two cities have one
        units = app.screen.query_one("#units", OptionList)
        assert units.option_count == 2
        assert "市商务局在青岛市、吉林市都有" in text_of(app.screen.query_one("#choose-note", Static))
        await press(pilot, "down", "down", "enter")  # into the list, to 吉林市, choose it
        assert app.screen.query_one("#liaison", Input).has_focus
        await type_text(pilot, "王磊")
        await press(pilot, "enter")
        assert isinstance(app.screen, TasksScreen)
        assert app.identity.unit == "市商务局" and app.identity.jurisdiction == "吉林市"
        assert "市商务局\uff08吉林市\uff09· 联络员 王磊" in text_of(app.screen.query_one("#whoami", Static))
    saved, problem = remembered()
    assert problem is None and saved == {"unit": "市商务局", "jurisdiction": "吉林市", "liaison": "王磊"}
    with tui_db.reading() as session:  # the next start goes straight to the list
        start = resolve(session, as_unit=None, jurisdiction=None, liaison=None)
    assert isinstance(start, Identity) and (start.unit, start.jurisdiction, start.liaison) == ("市商务局", "吉林市", "王磊")


def test_resolving_who_you_are(tui_db):
    from tracker.errors import NotFound

    with tui_db.reading() as session:
        ambiguous = resolve(session, as_unit="市商务局", jurisdiction=None, liaison="李娜")
        assert ambiguous == Ask(query="市商务局", liaison="李娜")
        chosen = resolve(session, as_unit="市商务局", jurisdiction="青岛市", liaison=None)
        assert isinstance(chosen, Identity) and chosen.jurisdiction == "青岛市"
        with pytest.raises(NotFound, match="最接近的已知名称\uff1a市发展改革委"):
            resolve(session, as_unit="市发展改革局", jurisdiction="青岛市", liaison=None)
        with pytest.raises(NotFound, match="未知地区 '上海市'\uff1b已知地区\uff1a青岛市、吉林市"):
            resolve(session, as_unit=None, jurisdiction="上海市", liaison=None)
        config_path().parent.mkdir(parents=True)
        config_path().write_text("unit = [broken", encoding="utf-8")
        asked = resolve(session, as_unit=None, jurisdiction=None, liaison=None)
        assert isinstance(asked, Ask) and str(config_path()) in asked.notice


def test_tui_command_refuses_an_unknown_unit_before_opening(tracker_cli):
    from .conftest import PLANS

    tracker_cli("plan", "load", str(PLANS))
    result = tracker_cli("tui", "--as", "市发展改革局", "-j", "青岛市")
    assert result.exit_code != 0 and "最接近的已知名称\uff1a市发展改革委" in str(result.exception)
    # without a terminal, plain `tracker` still prints the summary
    result = tracker_cli()
    assert result.exit_code == 0 and "qingdao-2020-service-clusters" in result.output


# ---------------------------------------------------------------------- the list


async def test_tabs_filter_count_and_escape(tui_db):
    app = ndrc_app(tui_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert keys_shown(app) == ["1.1", "3.1.2", "3.5.1", "3.6.3", "3.6.5", "3.7.1", "3.7.4", "3.7.5",
                                   "1.5", "1.3", "1.4"]  # lead: soonest first, ongoing last
        assert count_text(app).startswith("11 / 11")
        await press(pilot, "2")
        assert keys_shown(app)[:2] == ["1.2", "3.1.1"] and count_text(app).startswith("5 / 5")
        await press(pilot, "3")
        assert count_text(app).startswith("16 / 16")
        await press(pilot, "slash")
        assert app.screen.query_one("#filter", Input).has_focus
        await type_text(pilot, "3.7")
        assert keys_shown(app) == ["3.7.1", "3.7.4", "3.7.5"] and count_text(app).startswith("3 / 16")
        await type_text(pilot, "9")
        assert count_text(app).startswith("0 / 16") and message(app) == "没有符合条件的任务。"
        await press(pilot, "backspace", "backspace", "backspace", "backspace")
        assert message(app) == ""
        await type_text(pilot, "集聚区")  # Chinese text matches inside the task text
        assert count_text(app).startswith("14 / 16")
        assert all("集聚区" in row.text or "集聚区" in (row.section or "") for row in table(app).loaded)
        await press(pilot, "enter", "1")  # Enter leaves the filter box; the filter follows to other tabs
        assert count_text(app).startswith("9 / 11")
        assert all("集聚区" in row.text or "集聚区" in (row.section or "") for row in table(app).loaded)
        await press(pilot, "escape")
        assert app.screen.query_one("#filter", Input).value == "" and count_text(app).startswith("11 / 11")
        assert table(app).has_focus


async def test_traffic_lights_and_sorting(tui_db):
    app = ndrc_app(tui_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        grid = table(app)
        colour = {row.key: grid.get_row(str(row.assignment_id))[0].style for row in grid.loaded}
        assert colour["1.1"] == OVERDUE          # due 2022-12-10, today 2022-12-20
        assert colour["3.1.2"] == DUE_SOON       # 2022-12-31: within 14 days
        assert colour["1.5"] == DONE
        assert colour["1.3"] == "" and colour["1.4"] == ""  # next June; ongoing
        days = {row.key: str(grid.get_row(str(row.assignment_id))[5]) for row in grid.loaded}  # after the plan
        assert days["1.1"] == "超期10天" and days["3.1.2"] == "剩11天" and days["1.5"] == ""
        await press(pilot, "s")
        assert "按状态" in count_text(app)
        statuses = [row.status for row in grid.loaded]
        assert statuses == sorted(statuses) and keys_shown(app)[0] == "1.5"  # done sorts first by code


async def test_columns_fit_cjk_cells_at_80_columns(tui_db):
    from tracker.textwidth import width

    app = ndrc_app(tui_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        grid = table(app)
        widths = {key: column.width for key, column in grid.columns.items()}
        assert [key.value for key in grid.columns] == ["key", "task", "deadline", "days", "status"]
        assert sum(w + 2 for w in widths.values()) <= 80
        for row in grid.loaded:
            cells = grid.get_row(str(row.assignment_id))
            for (key, column), cell in zip(grid.columns.items(), cells):
                assert width(str(cell)) <= column.width, (key, str(cell))
        long = grid.get_row(str(next(r for r in grid.loaded if r.key == "3.7.5").assignment_id))[1]
        assert str(long).endswith("…")  # cut on a character, with an ellipsis


async def test_pages_are_fetched_as_the_cursor_nears_the_end(tui_db, monkeypatch):
    monkeypatch.setattr(task_table, "PAGE", 6)
    app = ndrc_app(tui_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        assert len(table(app).loaded) == 6 and count_text(app).startswith("16 / 16")
        await press(pilot, "down")  # row 1 of 6: within five of the end, so the next page comes
        assert len(table(app).loaded) == 12
        await press(pilot, *["down"] * 5)
        assert len(table(app).loaded) == 12
        await press(pilot, "down")
        assert len(table(app).loaded) == 16
        assert len({row.assignment_id for row in table(app).loaded}) == 16


async def test_a_filter_keystroke_costs_the_same_few_statements(tui_db):
    """Counting, one page and its units' names: the same number of statements whatever the size."""
    app = ndrc_app(tui_db)
    statements = []
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        def count(conn, cursor, statement, *rest):
            statements.append(statement)

        event.listen(tui_db.engine, "before_cursor_execute", count)
        await type_text(pilot, "3")
        event.remove(tui_db.engine, "before_cursor_execute", count)
        selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        # the filtered count, the matched tasks' deadlines (ranked by next due date), the page's
        # rows by id, the page's lead and supporting units
        assert len(selects) == 4, selects
        assert sum(" IN (" in s.upper() for s in selects) == 2


# ---------------------------------------------------------------------- a task: detail, update, undo


async def test_open_update_see_history_and_database_then_undo(tui_db):
    app = ndrc_app(tui_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        await type_text(pilot, "3.1.2")
        await press(pilot, "enter", "d")  # to the list, open the task
        assert isinstance(app.screen, TaskDetailScreen) and app.screen.task_key == "3.1.2"
        assert "统筹考虑服务业集聚区空间布局" in text_of(app.screen.query_one("#detail-head", Static))
        await press(pilot, "e")
        assert isinstance(app.screen, UpdateScreen)
        await press(pilot, "down", "enter")  # 推进中
        await press(pilot, "tab")
        await type_text(pilot, "60")
        await press(pilot, "tab")
        await type_text(pilot, "规划已印发")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, TaskDetailScreen)
        assert "已保存\uff1a3.1.2 推进中 60%" in message(app)
        history = app.screen.query_one("#history", DataTable)
        newest = [str(cell) for cell in history.get_row_at(0)]
        assert newest[1:] == ["市发展改革委", "推进中 60%", "王敏", "规划已印发"]
        with tui_db.reading() as session:
            entries = service.history(session, QINGDAO, "3.1.2")
        assert [(e.unit, e.status, e.percent, e.note, e.author) for e in entries] == [
            ("市发展改革委", "in_progress", 60, "规划已印发", "王敏")]

        await press(pilot, "u")
        assert "已撤销" in message(app) and "恢复为 未启动" in message(app)
        with tui_db.reading() as session:
            entries = service.history(session, QINGDAO, "3.1.2")
            row, = [r for r in service.unit_tasks(session, service.find_unit(session, "市发展改革委", "青岛市"))
                    if r.key == "3.1.2"]
        assert [e.status for e in entries] == ["in_progress", "not_started"]  # appended, never deleted
        assert entries[1].undoes_id == entries[0].id and row.status == "not_started"
        newest = [str(cell) for cell in app.screen.query_one("#history", DataTable).get_row_at(0)]
        assert newest[2] == "未启动" and newest[4] == f"撤销 #{entries[0].id}"

        await press(pilot, "escape")  # back to the list, which shows the restored status
        assert isinstance(app.screen, TasksScreen)
        assert table(app).selected().key == "3.1.2" and table(app).selected().status == "not_started"


async def test_update_from_the_list_and_validation(tui_db):
    app = ndrc_app(tui_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")  # Enter on a row opens the form too
        assert isinstance(app.screen, UpdateScreen) and app.screen.target.task_key == "1.1"
        await press(pilot, "right", "right", "right", "enter")  # 滞后
        await press(pilot, "tab")
        await type_text(pilot, "150")
        await press(pilot, "ctrl+s")
        assert "进度须为0到100的整数" in text_of(app.screen.query_one("#update-error", Static))
        await press(pilot, "backspace", "backspace", "backspace")
        await type_text(pilot, "40")
        await press(pilot, "ctrl+s")
        assert "须填写说明" in text_of(app.screen.query_one("#update-error", Static))
        with tui_db.reading() as session:
            assert service.history(session, "tui-followup", "1.1") == []  # nothing written yet
        await type_text(pilot, "统计口径待确认")
        await press(pilot, "enter")  # Enter in the note saves
        assert isinstance(app.screen, TasksScreen)
        assert table(app).selected().status == "behind" and table(app).selected().percent == 40
        with tui_db.reading() as session:
            entry, = service.history(session, "tui-followup", "1.1")
        assert (entry.status, entry.percent, entry.note) == ("behind", 40, "统计口径待确认")


async def test_another_units_assignment_is_refused(tui_db):
    """市科技局 supports 1.1, which 市发展改革委 leads: it may not record the lead's status."""
    app = TrackerApp(tui_db, start=identity(tui_db, "市科技局", "青岛市", "赵强"))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "2", "slash")
        await type_text(pilot, "1.1")
        await press(pilot, "enter", "d")
        units = app.screen.query_one("#units", DataTable)
        assert str(units.get_row_at(units.cursor_row)[1]) == "市科技局"  # starts on our own row
        await press(pilot, "up", "e")  # the lead's row
        assert isinstance(app.screen, TaskDetailScreen)  # no form opened
        assert "无权更新\uff1a市发展改革委的进展只能由市发展改革委本单位或该计划的统筹协调单位记录" in message(app)
        await press(pilot, "u")
        assert "无权更新" in message(app)
    with tui_db.reading() as session:
        assert service.history(session, "tui-followup", "1.1") == []


async def test_the_coordinating_unit_may_update_any_unit(tui_db):
    """市发展改革委 coordinates the Qingdao plan: it may record 市商务局's status on 1.2."""
    app = ndrc_app(tui_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "2")  # 1.2: we support, 市商务局 leads
        await press(pilot, "d")
        units = app.screen.query_one("#units", DataTable)
        await press(pilot, "up")
        assert str(units.get_row_at(units.cursor_row)[1]) == "市商务局"
        await press(pilot, "e")
        assert isinstance(app.screen, UpdateScreen) and app.screen.target.unit == "市商务局"
        await press(pilot, "down", "down", "enter", "ctrl+s")  # 已完成
        assert isinstance(app.screen, TaskDetailScreen)
    with tui_db.reading() as session:
        entry, = service.history(session, "tui-followup", "1.2")
    assert (entry.unit, entry.status, entry.percent, entry.author) == ("市商务局", "done", 100, "王敏")


async def test_a_conflicting_update_is_shown_not_overwritten(tui_db):
    app = ndrc_app(tui_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "e")  # the form for 1.1, opened on version 0
        await press(pilot, "down", "enter", "tab")
        await type_text(pilot, "30")
        # meanwhile another liaison of the same unit records an update
        with tui_db.transaction() as session:
            ndrc = service.find_unit(session, "市发展改革委", "青岛市")
            record(session, plan_key="tui-followup", task_key="1.1", unit=ndrc,
                                  status="in_progress", percent=50, note="数据已汇总", by="李娜")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, UpdateScreen)  # still open, with what we typed
        warning = text_of(app.screen.query_one("#update-error", Static))
        assert "李娜已于 2022-12-20" in warning and "推进中 50%「数据已汇总」" in warning and "尚未保存" in warning
        assert app.screen.query_one("#percent", Input).value == "30"
        with tui_db.reading() as session:
            assert [(e.author, e.percent) for e in service.history(session, "tui-followup", "1.1")] == [("李娜", 50)]
        await press(pilot, "ctrl+s")  # knowingly, on top of the newer one
        assert isinstance(app.screen, TasksScreen)
    with tui_db.reading() as session:
        assert [(e.author, e.percent) for e in service.history(session, "tui-followup", "1.1")] == [
            ("李娜", 50), ("王敏", 30)]


async def test_undo_of_someone_elses_update_is_refused(tui_db):
    with tui_db.transaction() as session:
        ndrc = service.find_unit(session, "市发展改革委", "青岛市")
        record(session, plan_key="tui-followup", task_key="1.1", unit=ndrc,
                              status="in_progress", percent=50, by="李娜")
    app = ndrc_app(tui_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "u")
        assert "1.1 最新一条由李娜记录\uff0c不是你的\uff0c未撤销" in message(app)
        await press(pilot, "down", "u")
        assert "3.1.2 没有可撤销的进展" in message(app)
    with tui_db.reading() as session:
        assert len(service.history(session, "tui-followup", "1.1")) == 1


# ---------------------------------------------------------------------- plan tree, help, palette, English


async def test_plan_tree_expands_lazily_and_opens_a_task(tui_db):
    app = ndrc_app(tui_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "4")
        tree = app.screen.query_one(PlanTree)
        plans = [node.data.plan_key for node in tree.root.children]
        assert plans == [QINGDAO, "qingdao-2024-municipal-clusters", "tui-followup"]  # 青岛市's only
        assert all(not node.children for node in tree.root.children)  # nothing read below yet
        await press(pilot, "enter")  # expand the first plan: its top section
        first = tree.root.children[0]
        assert [child.data.key for child in first.children] == ["3"]
        await press(pilot, "down", "enter")  # 重点任务 → its seven actions
        assert [c.data.key for c in first.children[0].children][:2] == ["3.1", "3.2"]
        await press(pilot, "down", "enter", "down")  # 3.1 → 3.1.1
        assert tree.cursor_node.data.key == "3.1.1"
        assert "本单位配合" in str(tree.cursor_node.label)
        await press(pilot, "enter")
        assert isinstance(app.screen, TaskDetailScreen) and app.screen.task_key == "3.1.1"


async def test_help_palette_and_quit(tui_db):
    app = ndrc_app(tui_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        assert type(app.screen).__name__ == "HelpScreen"
        await press(pilot, "escape", "f1")
        assert type(app.screen).__name__ == "HelpScreen"
        await press(pilot, "escape")
        await press(pilot, "ctrl+p")
        await type_text(pilot, "状态")
        await press(pilot, "enter")  # 排序:按状态
        assert table(app).order == "status"
        await press(pilot, "q")
    assert app.return_code == 0


async def test_english_interface(tui_db):
    app = ndrc_app(tui_db, lang="en")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert "liaison 王敏 · today 2022-12-20" in text_of(app.screen.query_one("#whoami", Static))
        labels = [str(column.label) for column in table(app).columns.values()]
        assert labels == ["key", "task", "plan", "deadline", "left", "my status", "updated"]
        footer = {b.description for _, b in app.screen._bindings if b.show}
        assert {"filter", "update", "detail", "undo", "sort"} <= footer
        await press(pilot, "e", "down", "down", "down", "enter", "ctrl+s")
        assert "A note is required when behind" in text_of(app.screen.query_one("#update-error", Static))


def test_plan_outline_reads_one_level(tui_db):
    from tracker.service.tui import plan_outline

    with tui_db.reading() as session:
        ndrc = service.find_unit(session, "市发展改革委", "青岛市")
        sections, tasks = plan_outline(session, QINGDAO, None, ndrc.id)
        assert [(s.key, s.tasks) for s in sections] == [("3", 24)] and tasks == []
        sections, tasks = plan_outline(session, QINGDAO, "3.1", ndrc.id)
        assert sections == [] and [(t.key, t.lead, t.my_role) for t in tasks] == [
            ("3.1.1", ("市自然资源和规划局",), "responsible"), ("3.1.2", ("市发展改革委",), "lead")]
        jilin_sections, _ = plan_outline(session, JILIN, "4")
        assert jilin_sections[0].key == "4.1"
        with pytest.raises(NotFound, match="没有章节 '9'"):
            plan_outline(session, QINGDAO, "9")


def test_plain_tracker_in_a_terminal_opens_the_app(tmp_path):
    """`tracker` with a terminal on stdin and stdout: the app, in a real pseudo-terminal."""
    import os
    import pty
    import select
    import sys
    import time

    from .conftest import PLANS, ROOT

    url = f"sqlite:///{tmp_path / 'pty.sqlite3'}"
    from tracker.service.loading import load_paths
    from tracker.store.db import Database

    db = Database(url)
    load_paths(db, [PLANS])
    db.dispose()
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        env = dict(os.environ, TERM="xterm-256color", LINES="24", COLUMNS="80")
        os.execve(sys.executable, [sys.executable, "-c", "from tracker.cli import main; main()", "--db", url], env)
    seen, deadline = b"", time.monotonic() + 30
    try:
        while "你是哪个单位的联络员".encode() not in seen and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.1)[0]:
                seen += os.read(fd, 65536)
        assert "你是哪个单位的联络员".encode() in seen, seen[-500:]
        os.write(fd, b"\x11")  # ctrl+q
        status = None
        while status is None and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.1)[0]:
                try:
                    os.read(fd, 65536)  # keep draining, so the app can write its goodbye
                except OSError:
                    pass
            done, code = os.waitpid(pid, os.WNOHANG)
            status = code if done else None
        assert status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    finally:
        os.close(fd)


# ---------------------------------------------------------------------- what issue 11 found


async def test_the_detail_of_a_task_with_targets_opens(tui_db):
    """3.3.1 carries targets; its detail used to end the app (ORM targets read after their session)."""
    app = TrackerApp(tui_db, start=identity(tui_db, "市南区政府", "青岛市"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        await type_text(pilot, "3.3.1")
        await press(pilot, "enter", "d")
        assert isinstance(app.screen, TaskDetailScreen) and app.screen.task_key == "3.3.1"
        targets = text_of(app.screen.query_one("#detail-targets", Static))
        assert "目标" in targets and "公共服务平台" in targets
        assert message(app) == ""
        await press(pilot, "r")  # read again: still there
        assert app.screen.query_one("#detail-targets", Static).display


async def test_the_detail_says_a_rule_as_people_do(tui_db):
    app = ndrc_app(tui_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.screen.open_detail(QINGDAO, "3.4.3")  # 每年制定10项以上: FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31
        await settle(pilot)
        meta = text_of(app.screen.query_one("#detail-meta", Static))
        assert "每年12月31日" in meta and "FREQ" not in meta
        assert QINGDAO in meta  # which plan this 3.4.3 is
    app = ndrc_app(tui_db, lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.screen.open_detail(QINGDAO, "3.4.3")
        await settle(pilot)
        assert "every year on the 31st of December" in text_of(app.screen.query_one("#detail-meta", Static))


async def test_after_undo_the_latest_note_is_the_one_restored(tui_db):
    app = ndrc_app(tui_db)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        app.screen.open_detail(QINGDAO, "3.1.2")
        await settle(pilot)
        for note in ("规划初稿完成", "规划已印发"):
            await press(pilot, "e", "down", "enter", "tab", "tab")
            await type_text(pilot, note)
            await press(pilot, "ctrl+s")
        await press(pilot, "u")
        units = app.screen.query_one("#units", DataTable)
        mine = [str(c) for c in units.get_row(str(app.identity.unit_id))]
        assert mine[-1] == "规划初稿完成"
        newest = [str(cell) for cell in app.screen.query_one("#history", DataTable).get_row_at(0)]
        assert newest[-1].startswith("撤销 #") and newest[-1].endswith("规划初稿完成")


async def test_keys_remapped_in_tui_toml_and_help_built_from_live_bindings(tui_db):
    config_path().parent.mkdir(parents=True)
    config_path().write_text('[keymap]\n"tasks.detail" = "o"\n"tasks.sort" = "ctrl+o"\n', encoding="utf-8")
    app = ndrc_app(tui_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        lines = {binding_id: (keys, description) for keys, description, binding_id in app.screen.keys}
        assert lines["tasks.detail"] == ("o", "详情") and lines["tasks.sort"] == ("^o", "排序")
        assert lines["tasks.update"][1] == "更新" and "app.quit" in lines
        await press(pilot, "escape")
        await press(pilot, "d")  # no longer the detail key
        assert isinstance(app.screen, TasksScreen)
        await press(pilot, "o")
        assert isinstance(app.screen, TaskDetailScreen)
        await press(pilot, "escape", "ctrl+o")
        assert table(app).order == "status"
    # the identity chosen later is written beside the keymap, which stays
    from tracker.tui.identity import keymap, remember

    remember(Identity(1, "市发展改革委", "青岛市", "王敏"))
    assert keymap() == ({"tasks.detail": "o", "tasks.sort": "ctrl+o"}, None)
    assert remembered()[0]["unit"] == "市发展改革委"


def test_a_wrong_keymap_entry_is_named(tmp_path):
    from tracker.tui.identity import keymap

    config_path().parent.mkdir(parents=True)
    config_path().write_text('[keymap]\n"tasks.detial" = "o"\n"tasks.undo" = "z"\n', encoding="utf-8")
    mapping, problem = keymap()
    assert mapping == {"tasks.undo": "z"} and "tasks.detial" in problem and str(config_path()) in problem


async def test_escape_on_the_first_start_prompt_says_so(tui_db, capsys):
    app = TrackerApp(tui_db, start=Ask())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "escape")
    assert app.return_code == 0 and app.identity is None
    assert "未选择单位" in capsys.readouterr().err  # printed on the terminal the app leaves


def test_tui_without_a_terminal_says_so_and_exits(tmp_path):
    """Through a pipe: a clear message and a non-zero exit, no escape codes, no waiting for keys."""
    import subprocess
    import sys

    from .conftest import PLANS, ROOT

    url = f"sqlite:///{tmp_path / 'pipe.sqlite3'}"
    from tracker.service.loading import load_paths
    from tracker.store.db import Database

    db = Database(url)
    load_paths(db, [PLANS])
    db.dispose()
    done = subprocess.run([sys.executable, "-m", "tracker.cli", "--db", url, "tui", "--as", "市发展改革委", "-j", "青岛市"],
                          cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    assert done.returncode != 0
    assert "\x1b" not in done.stdout.decode() + done.stderr.decode()
    assert "需要在终端中运行" in done.stderr.decode()


async def test_an_empty_tab_says_so_each_time_it_is_shown(tui_db):
    app = TrackerApp(tui_db, start=identity(tui_db, "市财政局", "青岛市"))  # leads three, supports none
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert count_text(app).startswith("3 / 3") and message(app) == ""
        await press(pilot, "2")
        assert message(app) == "市财政局没有配合的任务。"
        await press(pilot, "1")
        assert message(app) == ""
        await press(pilot, "2")  # read already: shown again, still said
        assert message(app) == "市财政局没有配合的任务。"
        await press(pilot, "4")
        assert message(app) == ""
        await press(pilot, "1", "slash")
        await type_text(pilot, "没有这样的任务")
        assert message(app) == "没有符合条件的任务。"


def test_plan_labels_tell_plans_apart():
    assert task_table.plan_labels(["qingdao-2020-service-clusters", "qingdao-2024-municipal-clusters",
                                   "tui-followup", "jilin-2021-cluster-upgrade"]) == {
        "qingdao-2020-service-clusters": "qingdao-2020", "qingdao-2024-municipal-clusters": "qingdao-2024",
        "tui-followup": "tui-followup", "jilin-2021-cluster-upgrade": "jilin-2021"}
    assert task_table.plan_labels(["a-2020-x", "a-2020-y", "a-2020"]) == {
        "a-2020-x": "a-2020-x", "a-2020-y": "a-2020-y", "a-2020": "a-2020"}


async def test_two_tasks_with_one_key_read_apart_by_their_plan(tui_db):
    from tracker.service.loading import load_paths

    from .conftest import ROOT

    load_paths(tui_db, [ROOT / "tests" / "data" / "yearly-duty.toml"])  # its 1.1 to 1.3 beside tui-followup's
    app = ndrc_app(tui_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        await type_text(pilot, "1.1")
        grid = table(app)
        plans = {str(grid.get_row(str(row.assignment_id))[2]) for row in grid.loaded if row.key == "1.1"}
        assert plans == {"tui-followup", "yearly-duty"}
    app = ndrc_app(tui_db)
    async with app.run_test(size=(80, 24)) as pilot:  # no room for a plan column: the count bar names it
        await settle(pilot)
        assert not table(app).shows_plan
        assert count_text(app).startswith(table(app).selected().plan_key.split("-")[0])
        await press(pilot, "down")
        assert count_text(app).startswith(table(app).plan_label(table(app).selected()))


async def test_the_detail_shows_unit_names_whole_at_120_columns(tui_db):
    app = ndrc_app(tui_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.screen.open_detail(QINGDAO, "3.3.1")  # 各区、市政府 expanded: 市南区政府(各区、市政府) …
        await settle(pilot)
        units = app.screen.query_one("#units", DataTable)
        names = [str(units.get_row_at(i)[1]) for i in range(units.row_count)]
        assert "市南区政府\uff08各区、市政府\uff09" in names and not any(n.endswith("…") for n in names)
        notes_width = units.columns["note"].width
        assert notes_width >= 10
