"""SVG snapshots of the app's main screens, in Chinese and English (pytest-textual-snapshot).

Deterministic by construction: today is pinned (TRACKER_TODAY), so is the clock that stamps
history, the database is a fresh SQLite file with the bundled plans and the test plan, and
the input cursors do not blink. Textual is pinned to an exact version in pyproject.toml, so a
changed snapshot means a changed screen. After a deliberate change: pytest --snapshot-update.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from textual.widgets import Input

from tracker import clock, service
from tracker.service.loading import load_paths
from tracker.store.db import Database
from tracker.tui.app import TrackerApp
from tracker.tui.identity import Ask

from .conftest import PLANS
from .tui_helpers import TODAY, identity, load_followup, press, settle, type_text
from .recording import record

# noon in Shanghai on the pinned day, the minute the history shows
STAMP = datetime(2022, 12, 20, 4, 30, tzinfo=timezone.utc)


@pytest.fixture
def snap_db(tmp_path, monkeypatch):
    """SQLite only: one snapshot per screen, whatever engines the run has."""
    monkeypatch.setenv("TRACKER_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("TRACKER_TODAY", TODAY)
    monkeypatch.setattr(clock, "now", lambda: STAMP)
    db = Database(f"sqlite:///{tmp_path / 'snap.sqlite3'}")
    load_paths(db, [PLANS])
    load_followup(db)
    yield db
    db.dispose()


def ndrc(db, lang="zh"):
    return TrackerApp(db, lang=lang, start=identity(db, "市发展改革委", "青岛市", "王敏"))


def steady(*keys, text: str = ""):
    """A run_before that presses keys (waiting for the database after each) and stills the cursors."""

    async def run(pilot):
        await settle(pilot)
        await press(pilot, *keys)
        if text:
            await type_text(pilot, text)
        for box in pilot.app.screen.query(Input):
            box.cursor_blink = False
        await settle(pilot)

    return run


def test_choose_unit_zh(snap_db, snap_compare):
    app = TrackerApp(snap_db, start=Ask(query="市商务局"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=steady())


def test_my_tasks_zh_80x24(snap_db, snap_compare):
    assert snap_compare(ndrc(snap_db), terminal_size=(80, 24), run_before=steady("3"))


def test_my_tasks_en_160x50(snap_db, snap_compare):
    assert snap_compare(ndrc(snap_db, "en"), terminal_size=(160, 50), run_before=steady("3"))


def test_filtered_zh(snap_db, snap_compare):
    assert snap_compare(ndrc(snap_db), terminal_size=(80, 24), run_before=steady("3", "slash", text="招商"))


def test_task_detail_zh(snap_db, snap_compare):
    with snap_db.transaction() as session:
        commerce = service.find_unit(session, "市商务局", "青岛市")
        record(session, plan_key="tui-followup", task_key="1.2", unit=commerce,
                              status="in_progress", percent=40, note="签约项目清单已确定", by="李娜")
    assert snap_compare(ndrc(snap_db), terminal_size=(100, 36), run_before=steady("2", "d"))


def test_update_form_zh(snap_db, snap_compare):
    assert snap_compare(ndrc(snap_db), terminal_size=(80, 24), run_before=steady("e", "right", "enter", "tab", "6", "0"))


def test_update_form_refusal_en(snap_db, snap_compare):
    keys = ("e", "right", "right", "right", "enter", "ctrl+s")  # behind, without a note
    assert snap_compare(ndrc(snap_db, "en"), terminal_size=(80, 24), run_before=steady(*keys))


def test_plan_tree_zh(snap_db, snap_compare):
    keys = ("4", "enter", "down", "enter", "down", "enter")
    assert snap_compare(ndrc(snap_db), terminal_size=(100, 30), run_before=steady(*keys))


def test_help_en(snap_db, snap_compare, monkeypatch):
    # the help names the config file; the test's own folder changes from run to run
    from pathlib import Path

    from tracker.tui.screens import help as help_screen

    monkeypatch.setattr(help_screen, "config_path", lambda: Path("~/.config/tracker/tui.toml"))
    assert snap_compare(ndrc(snap_db, "en"), terminal_size=(80, 24), run_before=steady("question_mark"))
