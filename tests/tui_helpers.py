"""What the TUI tests share: a database with every traffic light on one screen, a pinned
today, an isolated config folder, and a way to wait for the app's database workers."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from tracker import service
from tracker.tui.identity import Identity

from .recording import record

FOLLOWUP = Path(__file__).parent / "data" / "tui-followup.toml"
TODAY = "2022-12-20"
QINGDAO = "qingdao-2020-service-clusters"
JILIN = "jilin-2021-cluster-upgrade"


def load_followup(db) -> None:
    """The bundled plans are loaded by `loaded_db`; add the test plan with every kind of deadline,
    and mark one of its tasks done so a green row shows."""
    from tracker.service.loading import load_paths

    load_paths(db, [FOLLOWUP])
    with db.transaction() as session:
        ndrc = service.find_unit(session, "市发展改革委", "青岛市")
        record(session, plan_key="tui-followup", task_key="1.5", unit=ndrc, status="done",
                              note="制度已印发", by="王敏")


def identity(db, name: str, jurisdiction: str, liaison: str | None = None) -> Identity:
    with db.reading() as session:
        unit = service.find_unit(session, name, jurisdiction)
        return Identity(unit.id, unit.name, jurisdiction, liaison)


async def settle(pilot) -> None:
    """Wait until no database worker is running and their answers are on screen."""
    app = pilot.app
    for _ in range(50):
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers):
            await pilot.pause()
            return
        await app.workers.wait_for_complete()
    raise AssertionError("the app's workers never settled")


async def press(pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def type_text(pilot, text: str) -> None:
    """Type the way a liaison does: one key per character, Chinese included."""
    await press(pilot, *text)


def message(app) -> str:
    line = app.screen.query_one("#message", Static)
    return str(line.render()) if line.display else ""


def text_of(widget) -> str:
    return str(widget.render())
