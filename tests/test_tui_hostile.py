"""Other people's data in the liaison's app: markup and control characters in notes, names,
task texts and plan titles are shown as written, never obeyed (Pilot pressing real keys, on
both engines)."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Static

from tracker import service
from tracker.tui.screens.detail import TaskDetailScreen
from tracker.tui.screens.update import UpdateScreen

from .conftest import behind_the_back
from .test_tui import ndrc_app
from .tui_helpers import FOLLOWUP, press, settle, text_of, type_text

pytestmark = pytest.mark.anyio

LINK = "[link='https://evil.example/steal']点此查看[/link]"
TASK_TEXT = "各服务业集聚区运行监测数据[/]于12月10日前报送,[bold]逾期[/bold]未报的予以通报。"
PLAN_TITLE = "青岛市服务业集聚区重点工作督办清单[/](测试用)"
TASK_TITLE = "报送[/]集聚区三季度[i]运行监测数据"


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(autouse=True)
def _tui_env(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("TRACKER_TODAY", "2022-12-20")


@pytest.fixture
def hostile_db(loaded_db, tmp_path):
    """The follow-up plan with markup in a task's text and in the plan's title."""
    from tracker.service.loading import load_paths

    source = FOLLOWUP.read_text(encoding="utf-8")
    original_text = "各服务业集聚区运行监测数据于12月10日前报送,逾期未报的予以通报。"
    assert original_text in source
    source = source.replace(original_text, TASK_TEXT).replace(
        'title = "青岛市服务业集聚区重点工作督办清单(测试用)"', f'title = "{PLAN_TITLE}"').replace(
        'title = "报送集聚区三季度运行监测数据"', f'title = "{TASK_TITLE}"')
    path = tmp_path / "tui-followup.toml"
    path.write_text(source, encoding="utf-8")
    load_paths(loaded_db, [path])
    return loaded_db


def record(db, note: str, by: str = "李娜") -> None:
    with db.transaction() as session:
        ndrc = service.find_unit(session, "市发展改革委", "青岛市")
        service.record_status(session, assignment_id=service.find_assignment(session, "tui-followup", "1.1", ndrc.id),
                              acting_unit_id=ndrc.id, status="in_progress", percent=50, note=note, by=by)


def force_note(db, note: str) -> None:
    """A note as an older version or another tool may have stored it (control characters and
    all): the app must still show it harmlessly. History takes INSERT only, so it is written
    behind the tracker's back."""
    behind_the_back(db, "UPDATE status_update SET note = :note", note=note)


async def test_a_markup_note_in_a_conflict_is_shown_and_the_typed_input_kept(hostile_db):
    app = ndrc_app(hostile_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "e")  # the form for 1.1
        await press(pilot, "down", "enter", "tab")
        await type_text(pilot, "30")
        await press(pilot, "tab")
        await type_text(pilot, "我方进展")
        record(hostile_db, "数据已汇总[/]")  # meanwhile, another liaison
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, UpdateScreen)  # the app lives on, the form too
        warning = text_of(app.screen.query_one("#update-error", Static))
        assert "推进中 50%「数据已汇总[/]」" in warning
        assert app.screen.query_one("#percent", Input).value == "30"
        assert app.screen.query_one("#note", Input).value == "我方进展"
        await press(pilot, "ctrl+s")  # saved on top of the newer one
        assert not isinstance(app.screen, UpdateScreen)
    with hostile_db.reading() as session:
        assert [e.note for e in service.history(session, "tui-followup", "1.1")] == ["数据已汇总[/]", "我方进展"]


async def test_task_text_and_plan_title_with_markup_show_in_the_detail(hostile_db):
    record(hostile_db, LINK)
    app = ndrc_app(hostile_db)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "d")
        assert isinstance(app.screen, TaskDetailScreen) and app.screen.task_key == "1.1"
        assert text_of(app.screen.query_one("#detail-text", Static)) == TASK_TEXT
        assert PLAN_TITLE in text_of(app.screen.query_one("#detail-meta", Static))
        history = app.screen.query_one("#history", DataTable)
        shown = history.get_row_at(0)[4]
        assert str(shown) == LINK  # the address is in plain sight
        assert not any(span.style and "link" in str(span.style) for span in shown.spans)
        assert TASK_TITLE in text_of(app.screen.query_one("#detail-head", Static))
        await press(pilot, "e")  # the form's title carries the task's title
        assert isinstance(app.screen, UpdateScreen)
        assert TASK_TITLE in app.screen.query_one("#update")._border_title.plain


async def test_a_link_note_is_literal_in_the_conflict_too(hostile_db):
    app = ndrc_app(hostile_db)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "e")
        record(hostile_db, LINK)
        await press(pilot, "ctrl+s")
        warning = app.screen.query_one("#update-error", Static).render()
        assert LINK in str(warning)
        assert all("link" not in str(span.style) for span in warning.spans)


async def test_control_characters_are_shown_not_obeyed(hostile_db):
    record(hostile_db, "x")
    force_note(hostile_db, "已完成\x1b[31m红字\a\b\u202e反向\u2066")
    app = ndrc_app(hostile_db)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "d")
        shown = str(app.screen.query_one("#history", DataTable).get_row_at(0)[4])
        assert shown == "已完成\\u001b[31m红字\\u0007\\u0008\\u202e反向\\u2066"
        units = app.screen.query_one("#units", DataTable)
        assert all("\x1b" not in str(cell) and "\u202e" not in str(cell)
                   for row in range(units.row_count) for cell in units.get_row_at(row))
        await press(pilot, "escape", "e")
        record(hostile_db, "又一条\x1b]8;;https://evil.example\x1b\\点我\x1b]8;;\x1b\\")
        await press(pilot, "ctrl+s")
        warning = text_of(app.screen.query_one("#update-error", Static))
        assert "\x1b" not in warning and "\\u001b]8;;https://evil.example" in warning
