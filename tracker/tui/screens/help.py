"""? and F1: every key, in the interface's language."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from ..text import KEYS, localise_bindings, tr


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,question_mark,f1,q,enter", "close", "返回"),
    ]

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang
        localise_bindings(self, lang)

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        for keys, zh, en in KEYS:
            if self.lang == "en":
                table.add_row(keys.replace("空格", "Space"), en)
            else:
                table.add_row(keys, zh)
        with Vertical(id="help"):
            yield Static(tr("help_title", self.lang), classes="heading")
            yield Static(table)
            yield Static(tr("help_close", self.lang), classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
