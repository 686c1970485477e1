"""The app's header says how this period's reporting (报送) stands for the unit: 本月报送：未报 /
已报, through a Pilot driving the real app on a real database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Static

from tracker.tui.app import TrackerApp

from .tui_helpers import identity, press, settle, text_of

DATA = Path(__file__).resolve().parent / "reporting_data"
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(autouse=True)
def _tui_env(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("TRACKER_TODAY", "2026-11-20")


@pytest.fixture
def report_db(tracker_cli, tmp_path, db):
    plans = tmp_path / "plans"
    shutil.copytree(DATA, plans)
    assert tracker_cli("plan", "load", str(plans)).exit_code == 0
    return db


def header(app) -> str:
    return text_of(app.screen.query_one("#whoami", Static))


async def test_the_header_shows_this_months_reporting(report_db, tracker_cli):
    app = TrackerApp(report_db, start=identity(report_db, "市统计局", "青岛市", "孙悦"))
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        assert header(app).endswith("· 本月报送：未报（12-05前）")
        done = tracker_cli("status", "set", "2", "--plan", "report-test", "--unit", "市统计局", "--status", "推进中",
                           "--percent", "30", "--by", "孙悦", today="2026-11-20")
        assert done.exit_code == 0, done.output
        await press(pilot, "r")
        assert header(app).endswith("· 本月报送：已报")


async def test_in_english_and_without_any_duty(report_db):
    app = TrackerApp(report_db, lang="en", start=identity(report_db, "市财政局", "青岛市", "周平"))
    async with app.run_test(size=(120, 24)) as pilot:
        await settle(pilot)
        assert header(app).endswith("· Reporting this month: not yet (due 12-05)")
    app = TrackerApp(report_db, start=identity(report_db, "市发展改革委", "青岛市", "王敏"))  # no task, no duty
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        assert "报送" not in header(app)
