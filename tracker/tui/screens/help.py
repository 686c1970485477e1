"""? and F1: the keys that work where the liaison is, read from the live bindings.

The list is built from the screen underneath as it is at this moment (its focused widget, the
screen, the app), after the liaison's own [keymap] in tui.toml, so it never lists a key that
does nothing or misses one that was remapped. Each line names the binding's id, the name to use
in tui.toml to remap it.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from ..identity import config_path
from ..text import BINDINGS, binding_description, localise_bindings, tr


def live_keys(screen: Screen, lang: str) -> list[tuple[str, str, str]]:
    """(keys, description, binding id) for every tracker binding active on `screen`, one line
    per binding with all of its keys: the focused widget's first, then the screen's, the app's."""
    lines: dict[str, list] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if binding.id not in BINDINGS:
            continue  # the widgets' own keys (arrows, Tab) work as in any terminal app
        shown = screen.app.get_key_display(binding)
        if binding.id in lines:
            if shown not in lines[binding.id][0]:
                lines[binding.id][0].append(shown)
            continue
        lines[binding.id] = [[shown], binding_description(binding.id, lang, binding.description), binding.id]
    return [(" ".join(keys), description, binding_id) for keys, description, binding_id in lines.values()]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,question_mark,f1,q,enter", "close", "close", id="help.close"),
    ]

    def __init__(self, lang: str, underneath: Screen) -> None:
        super().__init__()
        self.lang = lang
        self.keys = live_keys(underneath, lang)
        localise_bindings(self, lang)

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        table.add_column(style="dim")
        for keys, description, binding_id in self.keys:
            table.add_row(Text(keys), Text(description), Text(binding_id))
        with Vertical(id="help"):
            yield Static(tr("help_title", self.lang), classes="heading")
            with VerticalScroll():
                yield Static(table)
            yield Static(Text(tr("help_close", self.lang, path=str(config_path()))), classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
