"""The liaison's app: choose who you are, then your tasks, their detail, and the update form.

Everything it reads or writes goes through tracker.service, always in a thread worker, never
on the event loop; the rules (who may update what, conflicts) are the service's, and the app's
job is to show their answers plainly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from .. import clock
from ..errors import Conflict, TrackerError
from ..service.database import Database
from .identity import Ask, Identity
from .screens.choose_unit import ChooseUnitScreen
from .screens.help import HelpScreen
from .screens.tasks import TasksScreen
from .screens.update import UpdateScreen, UpdateTarget
from ..textwidth import printable
from .text import localise_bindings, plain, state, tr


class TrackerApp(App):
    CSS_PATH = "tracker.tcss"
    BINDINGS = [
        Binding("q", "quit", "退出"),
        Binding("question_mark,f1", "help", "帮助"),
        Binding("ctrl+p", "command_palette", "命令", show=False, priority=True),
    ]

    def __init__(self, db: Database, *, lang: str = "zh", start: Identity | Ask | None = None) -> None:
        super().__init__()
        localise_bindings(self, lang)
        self.db = db
        self.lang = lang
        self.identity: Identity | None = None
        self._start = start or Ask()
        self.title = tr("title", lang)

    def on_mount(self) -> None:
        if isinstance(self._start, Identity):
            self.show_tasks(self._start)
        else:
            self.push_screen(ChooseUnitScreen(self._start), self._chosen)

    # ------------------------------------------------------------------ who we are

    def _chosen(self, identity: Identity | None) -> None:
        if identity is not None:
            self.show_tasks(identity)

    def show_tasks(self, identity: Identity) -> None:
        self.identity = identity
        if isinstance(self.screen, TasksScreen):
            self.switch_screen(TasksScreen())
        else:
            self.push_screen(TasksScreen())

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

    # ------------------------------------------------------------------ messages

    def say(self, text: str, *, error: bool = False) -> None:
        """One line under the list: what just happened, or why it did not."""
        try:
            line = self.screen.query_one("#message", Static)
        except Exception:  # a modal or the chooser: a toast instead
            self.notify(printable(text), severity="error" if error else "information", markup=False)
            return
        line.update(plain(text))
        line.set_class(error, "error")
        line.display = bool(text)

    def report_failure(self, exc: Exception) -> None:
        self.say(tr("failed", self.lang, error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__), error=True)

    # ------------------------------------------------------------------ writing

    def open_update(self, target: UpdateTarget, done: Callable) -> None:
        self.push_screen(UpdateScreen(target, self.lang), done)

    def undo(self, plan_key: str, task_key: str, unit_id: int, done: Callable[[], None]) -> None:
        self._undo(plan_key, task_key, unit_id, done)

    @work(thread=True, exclusive=True, group="undo")
    def _undo(self, plan_key: str, task_key: str, unit_id: int, done: Callable[[], None]) -> None:
        from ..errors import NothingToUndo, PermissionDenied
        from ..service import undo_last
        from ..service.tui import unit_by_id

        lang = self.lang
        try:
            with self.db.transaction() as session:
                unit = unit_by_id(session, unit_id)
                entry = undo_last(session, plan_key=plan_key, task_key=task_key, unit=unit,
                                  by=self.identity.liaison, acting_unit=unit_by_id(session, self.identity.unit_id))
        except Conflict as exc:
            who = (exc.newer.author or exc.newer.unit) if exc.newer else "?"
            self.call_from_thread(self.say, tr("undo_not_yours", lang, key=task_key, who=who), error=True)
            return
        except PermissionDenied:
            self.call_from_thread(self.say, tr("denied", lang, unit=self._unit_name(unit_id)), error=True)
            return
        except NothingToUndo as exc:
            key = "already_undone" if exc.already_undone else "nothing_to_undo"
            self.call_from_thread(self.say, tr(key, lang, key=task_key), error=True)
            return
        except TrackerError as exc:
            self.call_from_thread(self.say, tr("failed", lang, error=str(exc)), error=True)
            return
        except Exception as exc:
            from sqlalchemy.exc import DBAPIError

            if not isinstance(exc, DBAPIError):
                raise
            self.call_from_thread(self.report_failure, exc)
            return
        self.call_from_thread(self.say, tr("undone", lang, id=entry.undoes_id, key=task_key,
                                           state=state(entry.status, entry.percent, lang)))
        self.call_from_thread(done)

    def _unit_name(self, unit_id: int) -> str:
        from ..service.tui import unit_by_id

        with self.db.reading() as session:
            return unit_by_id(session, unit_id).name

    # ------------------------------------------------------------------ keys and commands

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.lang))

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
