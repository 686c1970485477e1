"""Text from other people that reaches a terminal: escape codes, bells, backspaces and bidi
overrides in notes are shown as escapes by every command that prints them, never obeyed; notes
are bounded in every path that writes them; a 滞后 note of zero-width spaces is no note.
Real CLI runs (in-process and as a process) on both engines."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tracker import service
from tracker.errors import TrackerError
from tracker.service import NOTE_LIMIT

from .conftest import PLANS, ROOT, snapshot
from .test_digest import copy_data, record_history
from .test_tui import tui_db  # noqa: F401  (a fixture)

JILIN = "jilin-2021-cluster-upgrade"
HOSTILE = "已完成\x1b[31m红字\a\b\x08\u202e反向\u2066隔离\x85下一行\x9b2J"
ACTING = ("\x1b", "\a", "\b", "\u202e", "\u2066", "\x85", "\x9b")


def set_status(cli, *args, status="推进中", key="5.3.1", unit="市统计局"):
    return cli("status", "set", key, "--plan", JILIN, "--unit", unit, "--status", status, *args)


@pytest.fixture
def cli(tracker_cli):
    result = tracker_cli("plan", "load", str(PLANS))
    assert result.exit_code == 0, result.output
    return tracker_cli


def assert_harmless(text: str) -> None:
    for ch in ACTING:
        assert ch not in text, (hex(ord(ch)), text)


# ---------------------------------------------------------------------- output


def test_history_shows_control_characters_as_escapes(cli):
    result = set_status(cli, "--note", HOSTILE, "--by", "苏秀兰")
    assert result.exit_code == 0, result.output
    shown = cli("history", "5.3.1", "--plan", JILIN)
    assert shown.exit_code == 0, shown.output
    assert_harmless(shown.output)
    assert "已完成\\u001b[31m红字\\u0007\\u0008\\u0008\\u202e反向\\u2066隔离\\u0085下一行\\u009b2J" in shown.output
    # the JSON reads back as the very note that was recorded, and is harmless on a terminal too
    as_json = cli("history", "5.3.1", "--plan", JILIN, "--json")
    assert_harmless(as_json.output)
    assert json.loads(as_json.output)[-1]["note"] == HOSTILE


def test_a_notes_line_breaks_cannot_forge_a_history_entry(cli):
    result = set_status(cli, "--note", "已完成\n#999  2099-01-01 00:00  市统计局(牵头)  已完成  局长", "--by", "苏秀兰")
    assert result.exit_code == 0, result.output
    lines = cli("history", "5.3.1", "--plan", JILIN).output.splitlines()
    assert len(lines) == 2 and lines[0].startswith("#") and lines[1].startswith("    #999")


def test_a_refusal_naming_hostile_text_is_harmless_on_the_terminal(tmp_path):
    """The message of a refused command, as `tracker` prints it (a real process)."""
    env = {**os.environ, "TRACKER_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)}
    missing = tmp_path / "台账\x1b[2J\a\u202e.xlsx"  # a file name is printed as it is, unquoted
    result = subprocess.run([sys.executable, "-m", "tracker.cli", "ledger", "import-progress", str(missing),
                             "--unit", "市商务局"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode != 0
    assert "台账\\u001b[2J\\u0007\\u202e.xlsx" in result.stderr
    assert_harmless(result.stderr)


def test_the_text_and_markdown_digests_show_control_characters_as_escapes(tracker_cli, tmp_path):
    from tracker.store.db import Database

    assert tracker_cli("plan", "load", str(copy_data(tmp_path))).exit_code == 0
    db = Database(tracker_cli.url)
    record_history(db)
    db.dispose()
    result = tracker_cli("status", "set", "1.1", "--plan", "digest-test", "--unit", "市发改委", "-j", "青岛市",
                         "--status", "推进中", "--note", HOSTILE, "--by", "王敏", today="2026-11-25")
    assert result.exit_code == 0, result.output
    text = tracker_cli("digest", "-u", "市发改委", "-j", "青岛市", "--week", "2026-W48", today="2026-11-25")
    assert text.exit_code == 0, text.output
    assert "已完成\\u001b[31m红字" in text.stdout
    assert_harmless(text.stdout)
    out = tmp_path / "digest.md"
    md = tracker_cli("digest", "-u", "市发改委", "-j", "青岛市", "--week", "2026-W48", "--format", "md",
                     "-o", str(out), today="2026-11-25")
    assert md.exit_code == 0, md.output
    assert "红字" in out.read_text(encoding="utf-8")
    assert_harmless(out.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------- notes' bound


def test_a_note_over_the_bound_is_refused_and_one_at_it_recorded(cli):
    before = snapshot(cli.url)
    result = set_status(cli, "--note", "长" * (NOTE_LIMIT + 1), "--by", "苏秀兰")
    assert result.exit_code != 0
    assert "进展说明最多2,000个字\uff0c这条有2,001个字" in str(result.exception)
    assert snapshot(cli.url) == before
    result = set_status(cli, "--note", "长" * NOTE_LIMIT, "--by", "苏秀兰")
    assert result.exit_code == 0, result.output


def test_the_service_itself_bounds_notes(loaded_db):
    """No front end can pass round the bound: it is the service's rule."""
    with loaded_db.transaction() as session:
        unit = service.find_unit(session, "市统计局", "吉林市")
        assignment = service.find_assignment(session, JILIN, "5.3.1", unit.id)
        with pytest.raises(TrackerError, match="2,000"):
            service.record_status(session, assignment_id=assignment, acting_unit_id=unit.id, status="in_progress",
                                  note="x" * 5_000_000, by="苏秀兰")
    with loaded_db.reading() as session:
        assert service.history(session, JILIN, "5.3.1") == []


@pytest.mark.parametrize("note", ["\u200b\u200b\u200b", " \u3000\u200b\ufeff\u2060", "\u3164", "\u202e\u200d"])
def test_a_behind_note_of_invisible_characters_is_no_note(cli, note):
    before = snapshot(cli.url)
    result = set_status(cli, "--note", note, "--by", "苏秀兰", status="滞后")
    assert result.exit_code != 0
    assert "任务滞后时必须填写说明" in str(result.exception)
    assert snapshot(cli.url) == before


def test_an_invisible_note_is_recorded_as_no_note(cli):
    result = set_status(cli, "--note", "\u200b\u200b", "--by", "苏秀兰")
    assert result.exit_code == 0, result.output
    entry, = json.loads(cli("history", "5.3.1", "--plan", JILIN, "--json").output)
    assert entry["note"] is None


# ---------------------------------------------------------------------- the liaison's app


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def paste(pilot, text: str) -> None:
    """Paste into the focused field, as a terminal delivers a paste."""
    from textual import events

    from .tui_helpers import settle

    pilot.app.focused.post_message(events.Paste(text))
    await settle(pilot)


@pytest.mark.anyio
async def test_the_update_form_refuses_a_note_over_the_bound_and_keeps_it(tui_db, monkeypatch, tmp_path):
    from textual.widgets import Input, Static

    from tracker.tui.screens.update import UpdateScreen

    from .test_tui import ndrc_app
    from .tui_helpers import press, settle, text_of

    monkeypatch.setenv("TRACKER_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("TRACKER_TODAY", "2022-12-20")
    long_note = "数" * (NOTE_LIMIT + 500)
    app = ndrc_app(tui_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)  # the list is loaded before a key is pressed
        await press(pilot, "e", "down", "enter", "tab", "tab")
        await paste(pilot, long_note)
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, UpdateScreen)
        assert "最多2,000个字\uff0c这条有2,500个字" in text_of(app.screen.query_one("#update-error", Static))
        assert app.screen.query_one("#note", Input).value == long_note  # kept, to be cut by the liaison
    with tui_db.reading() as session:
        assert service.history(session, "tui-followup", "1.1") == []


@pytest.mark.anyio
async def test_the_update_form_takes_zero_width_spaces_for_no_note(tui_db, monkeypatch, tmp_path):
    from textual.widgets import Static

    from .test_tui import ndrc_app
    from .tui_helpers import press, settle, text_of

    monkeypatch.setenv("TRACKER_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("TRACKER_TODAY", "2022-12-20")
    app = ndrc_app(tui_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)  # the list is loaded before a key is pressed
        await press(pilot, "e", "right", "right", "right", "enter", "tab", "tab")  # 滞后
        await paste(pilot, "\u200b\u200b\u2060")
        await press(pilot, "ctrl+s")
        assert "须填写说明" in text_of(app.screen.query_one("#update-error", Static))
    with tui_db.reading() as session:
        assert service.history(session, "tui-followup", "1.1") == []
