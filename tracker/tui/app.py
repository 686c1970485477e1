"""The liaison's app: choose who you are, then your tasks, their detail, and the update form.

Everything it reads or writes goes through one gateway (tracker.tui.gateway), in thread
workers, never on the event loop; one Worker.StateChanged handler delivers the answers and
shows the failures. The rules (who may update what, conflicts) are the service's, and the app's
job is to show their answers plainly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker

from .. import clock
from ..errors import Conflict, DatabaseError, NothingToUndo, PermissionDenied, TrackerError
from ..service.database import Database
from ..textwidth import printable
from .gateway import Gateway
from .identity import Ask, Identity, keymap
from .screens.choose_unit import ChooseUnitScreen
from .screens.help import HelpScreen
from .screens.tasks import TasksScreen
from .screens.update import UpdateScreen
from .text import localise_bindings, plain, state, tr


class TrackerApp(App):
    CSS_PATH = "tracker.tcss"
    BINDINGS = [
        Binding("q", "quit", "quit", id="app.quit"),
        Binding("question_mark,f1", "help", "help", id="app.help"),
        Binding("ctrl+p", "command_palette", "command palette", show=False, priority=True, id="app.commands"),
    ]

    def __init__(self, db: Database, *, lang: str = "zh", start: Identity | Ask | None = None) -> None:
        super().__init__()
        localise_bindings(self, lang)
        self.gateway = Gateway(self, db)
        self.lang = lang
        self._start = start or Ask()
        self.title = tr("title", lang)
        self.keymap_problem: str | None = None

    @property
    def identity(self) -> Identity | None:
        return self.gateway.identity

    def on_mount(self) -> None:
        mapping, self.keymap_problem = keymap()
        if mapping:
            self.set_keymap(mapping)
        if isinstance(self._start, Identity):
            self.show_tasks(self._start)
        else:
            self.push_screen(ChooseUnitScreen(self._start), self._chosen)

    # ------------------------------------------------------------------ who we are

    def _chosen(self, identity: Identity | None) -> None:
        if identity is not None:
            self.show_tasks(identity)

    def show_tasks(self, identity: Identity) -> None:
        self.gateway.identity = identity
        if isinstance(self.screen, TasksScreen):
            self.switch_screen(TasksScreen())
        else:
            self.push_screen(TasksScreen())
        if self.keymap_problem:
            self.notify(self.keymap_problem, severity="warning", timeout=10)

    def whoami(self) -> str:
        me = self.identity
        liaison = tr("liaison", self.lang, name=me.liaison) if me.liaison else tr("no_liaison", self.lang)
        return tr("whoami", self.lang, unit=me.unit, jurisdiction=me.jurisdiction, liaison=liaison,
                  today=clock.today().isoformat())

    def action_change_unit(self) -> None:
        if self.identity is not None and self.identity.connected:
            self.say(tr("connected_as", self.lang, liaison=self.identity.liaison, unit=self.identity.unit), error=True)
            return
        self.push_screen(ChooseUnitScreen(Ask()), self._chosen)

    # ------------------------------------------------------------------ answers and failures

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one handler for every database worker: answers to their askers, failures shown."""
        self.gateway.settled(event.worker)

    def say(self, text: str, *, error: bool = False) -> None:
        """One line under the list: what just happened, or why it did not."""
        try:
            line = self.screen.query_one("#message", Static)
        except Exception:  # a modal or the chooser: a toast instead
            if text:
                self.notify(printable(text), severity="error" if error else "information", markup=False)
            return
        line.update(plain(text))
        line.set_class(error, "error")
        line.display = bool(text)

    def report_failure(self, exc: BaseException) -> None:
        if isinstance(exc, DatabaseError):
            text = tr("database_failed", self.lang, reason=exc.reason)
        elif isinstance(exc, TrackerError):
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        else:  # a bug: say what it was rather than end the app
            self.log.error(repr(exc))
            text = f"{type(exc).__name__}: {exc}".splitlines()[0]
        self.say(tr("failed", self.lang, error=text), error=True)

    # ------------------------------------------------------------------ undo, from the list or the detail

    def undo(self, asker, assignment_id: int, task_key: str, unit: str, done: Callable[[], None]) -> None:
        lang = self.lang

        def undone(entry) -> None:
            self.say(tr("undone", lang, id=entry.undoes_id, key=task_key, state=state(entry.status, entry.percent, lang)))
            done()

        def refused(exc: Exception) -> bool:
            if isinstance(exc, Conflict):
                who = (exc.newer.author or exc.newer.unit) if exc.newer else "?"
                self.say(tr("undo_not_yours", lang, key=task_key, who=who), error=True)
            elif isinstance(exc, PermissionDenied):
                self.say(tr("denied", lang, unit=unit), error=True)
            elif isinstance(exc, NothingToUndo):
                self.say(tr("already_undone" if exc.already_undone else "nothing_to_undo", lang, key=task_key),
                         error=True)
            else:
                return False
            return True

        self.gateway.undo(asker, assignment_id, undone, refused)

    # ------------------------------------------------------------------ keys and commands

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.lang, self.screen))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # q types into the update form's fields; it must never throw the form away
        if action == "quit" and isinstance(self.screen, UpdateScreen):
            return False
        return True

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        lang = self.lang
        if self.identity is not None:
            yield SystemCommand(tr("cmd_change_unit", lang), tr("cmd_change_unit_help", lang), self.action_change_unit)
        if isinstance(screen, TasksScreen):
            for pane in ("lead", "responsible", "all", "plans"):
                yield SystemCommand(tr("cmd_tab", lang, tab=tr(f"tab_{pane}", lang)), tr("cmd_tab_help", lang),
                                    lambda pane=pane: screen.action_tab(pane))
            for order in ("deadline", "status"):
                yield SystemCommand(tr("cmd_sort", lang, order=tr(f"sort_{order}", lang)), tr("cmd_sort_help", lang),
                                    lambda order=order: screen.action_sort(order))
            yield SystemCommand(tr("cmd_refresh", lang), tr("cmd_refresh_help", lang), screen.action_refresh)
        yield SystemCommand(tr("cmd_help", lang), tr("cmd_help_help", lang), self.action_help)
        yield SystemCommand(tr("cmd_quit", lang), tr("cmd_quit_help", lang), self.exit)
