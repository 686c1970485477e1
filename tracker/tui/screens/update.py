"""Enter or e: the form that records a unit's progress on a task.

The form checks what it can before saving (a whole percent from 0 to 100, a note when
behind that says something, a note within the bound) so the liaison reads the problem in their language; the service checks again, and
alone decides permission and conflicts. A conflict keeps what the liaison typed, shows the
newer update, and bases the next save on it: nothing is overwritten silently.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from ... import clock
from ...service import note_problem
from ...textwidth import fit, says_nothing
from ...errors import Conflict, PermissionDenied, TrackerError
from ...i18n import STATUSES, status_label
from ..text import local_time, localise_bindings, plain, state, tr


@dataclass
class UpdateTarget:
    """One unit's assignment on one task, as the liaison saw it when opening the form."""

    plan_key: str
    task_key: str
    title: str
    unit_id: int
    unit: str
    assignment_id: int
    version: int
    status: str
    percent: int | None
    timezone: str = clock.DEFAULT_TIMEZONE  # the plan's: times in the form are read in it


class UpdateScreen(ModalScreen):
    """Dismissed with the saved StatusUpdate, or None when cancelled."""

    BINDINGS = [
        Binding("escape", "cancel", "cancel", id="update.cancel"),
        Binding("ctrl+s", "save", "save", priority=True, id="update.save"),
    ]

    def __init__(self, target: UpdateTarget, lang: str) -> None:
        super().__init__()
        self.target = target
        self.lang = lang
        self.version = target.version
        self.saving = False
        localise_bindings(self, lang)

    def compose(self) -> ComposeResult:
        t, lang = self.target, self.lang
        with Vertical(id="update") as dialog:
            dialog.border_title = plain(fit(tr("update_title", lang, key=t.task_key, title=t.title), 64))
            yield Static(plain(tr("update_for", lang, unit=t.unit, current=state(t.status, t.percent, lang))), id="update-for")
            with Grid(id="update-form"):
                yield Label(tr("status", lang))
                with RadioSet(id="status", compact=True):
                    for code in STATUSES:
                        yield RadioButton(status_label(code, lang), value=code == t.status, name=code)
                yield Label(tr("percent", lang))
                yield Input("" if t.percent is None else str(t.percent), id="percent", restrict=r"\d{0,3}",
                            placeholder=tr("percent_placeholder", lang), compact=True)
                yield Label(tr("note", lang))
                yield Input(id="note", placeholder=tr("note_placeholder", lang), compact=True)
            yield Static("", id="update-error")
            with Horizontal(id="update-buttons"):
                yield Button(tr("save", lang) + " (Ctrl+S)", id="save", variant="primary", compact=True)
                yield Button(tr("cancel", lang) + " (Esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#status", RadioSet).focus()

    # ------------------------------------------------------------------ reading the form

    def chosen_status(self) -> str:
        pressed = self.query_one("#status", RadioSet).pressed_button
        return pressed.name if pressed is not None and pressed.name else self.target.status

    def say(self, text: str, *, error: bool = True) -> None:
        line = self.query_one("#update-error", Static)
        line.update(plain(text))
        line.set_class(error, "error")
        line.set_class(not error, "warning")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "percent":
            self.query_one("#note", Input).focus()
        else:
            self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        if self.saving:
            return
        status = self.chosen_status()
        raw = self.query_one("#percent", Input).value.strip()
        percent = int(raw) if raw else None
        note = self.query_one("#note", Input).value.strip() or None
        if percent is not None and not 0 <= percent <= 100:
            self.say(tr("bad_percent", self.lang))
            self.query_one("#percent", Input).focus()
            return
        if status == "behind" and says_nothing(note):  # zero-width spaces are no reason
            self.say(tr("note_required", self.lang))
            self.query_one("#note", Input).focus()
            return
        too_long = note_problem(note)
        if too_long:  # said here, as the service would refuse it; what was typed stays to be cut
            self.say(too_long.words(self.lang))
            self.query_one("#note", Input).focus()
            return
        self.saving = True
        self._save(status, percent, note, self.version)

    # ------------------------------------------------------------------ saving

    def _save(self, status: str, percent: int | None, note: str | None, version: int) -> None:
        self.app.gateway.record_status(self, self.target.assignment_id, status=status, percent=percent, note=note,
                                       version=version, reply=self.dismiss, refused=self._refused)

    def _refused(self, exc: Exception) -> bool:
        self.saving = False
        if isinstance(exc, Conflict):
            self._conflict(exc.newer, exc.state)
        elif isinstance(exc, PermissionDenied):
            self.say(tr("denied", self.lang, unit=self.target.unit))
        elif isinstance(exc, TrackerError):
            self.say(tr("failed", self.lang, error=str(exc).splitlines()[0]))
        else:
            return False
        return True

    def _conflict(self, newer, now) -> None:
        self.version = now.version  # the next save knowingly records on top of the newer update
        lang = self.lang
        if newer is not None:
            who = newer.author or newer.unit
            moment = local_time(newer.recorded_at, self.target.timezone)
            latest = state(newer.status, newer.percent, lang) + (tr("quoted_note", lang, note=newer.note) if newer.note else "")
        else:
            who, moment, latest = "?", local_time(now.status_at, self.target.timezone), state(now.status, now.percent, lang)
        self.say(tr("conflict", lang, who=who, when=moment, state=latest), error=False)
        self.query_one("#update-for", Static).update(
            plain(tr("update_for", lang, unit=self.target.unit, current=state(now.status, now.percent, lang))))
