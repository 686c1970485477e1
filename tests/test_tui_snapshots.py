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


# ---------------------------------------------------------------------- supervision (督办)


def _supervision_requests(db) -> None:
    """A closing request and an extension request from 市商务局, waiting for 市发展改革委."""
    from datetime import date

    from tracker.service import supervision

    with db.transaction() as session:
        commerce = service.find_unit(session, "市商务局", "青岛市")
        record(session, plan_key=QINGDAO, task_key="3.3.2", unit=commerce, status="done", note="平台已建成，已投入运营",
               by="赵蕾")
        supervision.request_extension(
            session, assignment_id=service.find_assignment(session, QINGDAO, "3.5.3", commerce.id),
            acting_unit_id=commerce.id, due_on=date(2023, 6, 30), reason="项目方推迟签约，需延后半年", by="赵蕾",
            today=date(2022, 12, 20))


QINGDAO = "qingdao-2020-service-clusters"


def commerce(db, lang="zh"):
    return TrackerApp(db, lang=lang, start=identity(db, "市商务局", "青岛市", "赵蕾"))


def test_review_tab_zh_80x24(snap_db, snap_compare):
    _supervision_requests(snap_db)
    assert snap_compare(ndrc(snap_db), terminal_size=(80, 24), run_before=steady("5"))


def test_review_tab_en_120x30(snap_db, snap_compare):
    _supervision_requests(snap_db)
    assert snap_compare(ndrc(snap_db, "en"), terminal_size=(120, 30), run_before=steady("5"))


def test_return_form_zh(snap_db, snap_compare):
    _supervision_requests(snap_db)
    assert snap_compare(ndrc(snap_db), terminal_size=(80, 24), run_before=steady("5", "t", text="缺少验收材料"))


def test_closing_request_form_zh(snap_db, snap_compare):
    assert snap_compare(commerce(snap_db), terminal_size=(80, 24),
                        run_before=steady("slash", *"3.3.2", "enter", "d", "c", text="平台已建成"))


def test_extension_request_form_en(snap_db, snap_compare):
    keys = ("slash", *"3.3.2", "enter", "d", "x", *"2023-06-30", "enter")
    assert snap_compare(commerce(snap_db, "en"), terminal_size=(80, 24), run_before=steady(*keys, text="项目延后"))


def test_detail_with_requests_and_decisions_en(snap_db, snap_compare):
    from tracker.service import supervision

    _supervision_requests(snap_db)
    with snap_db.transaction() as session:
        ndrc_id = service.find_unit(session, "市发展改革委", "青岛市").id
        first, second = supervision.pending_for(session, ndrc_id)
        supervision.decide(session, request_id=first.id, acting_unit_id=ndrc_id, decision="returned",
                           reason="缺少验收材料", by="王敏")
        supervision.decide(session, request_id=second.id, acting_unit_id=ndrc_id, decision="approved", by="王敏")
    keys = ("slash", *"3.5.3", "enter", "d")
    assert snap_compare(commerce(snap_db, "en"), terminal_size=(120, 36), run_before=steady(*keys))
