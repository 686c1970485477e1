"""First start (or ctrl+p → change unit): which unit are you, and which liaison.

Type part of any of a unit's names (市发改委 finds 市发展改革委 through its alias); a name two
cities share (市商务局) lists both, with their jurisdiction, to pick from. The answer is
remembered in the user's config folder.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from ...service import UnitSummary
from ...registry import normalise_name
from ..identity import Ask, Identity, remember
from ...textwidth import printable
from ..text import localise_bindings, names, plain, tr


class ChooseUnitScreen(Screen):
    """Dismissed with the chosen Identity, or None when the liaison backs out."""

    # Up and Down move through the list while typing goes on in the box above it; Enter takes
    # the highlighted one. Focus never has to move, so fast typists lose no keys.
    BINDINGS = [
        Binding("escape", "back", "back", id="choose.back"),
        Binding("down", "move(1)", "next", show=False, id="choose.down"),
        Binding("up", "move(-1)", "previous", show=False, id="choose.up"),
    ]

    def __init__(self, ask: Ask) -> None:
        super().__init__()
        self.ask = ask
        self.units: list[UnitSummary] = []
        self.matches: list[UnitSummary] = []
        self.chosen: UnitSummary | None = None

    def compose(self) -> ComposeResult:
        lang = self.app.lang
        with Vertical(id="choose-unit"):
            yield Static(tr("choose_unit", lang), classes="heading")
            yield Input(self.ask.query, placeholder=tr("unit_placeholder", lang), id="unit-query", compact=True)
            yield Static(plain(self.ask.notice or ""), id="choose-note")
            yield OptionList(id="units", compact=True)
        with Vertical(id="choose-liaison"):
            yield Static(id="liaison-prompt", classes="heading")
            yield Input(self.ask.liaison or "", placeholder=tr("liaison_placeholder", lang), id="liaison", compact=True)
            yield Static(tr("known_liaisons", lang), id="known-heading")
            yield OptionList(id="liaisons", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        localise_bindings(self, self.app.lang)
        self.query_one("#choose-liaison").display = False
        self.query_one("#unit-query", Input).focus()
        self.app.gateway.units(self, self.ask.jurisdiction, self._show_units)

    def _show_units(self, units: list[UnitSummary]) -> None:
        self.units = units
        self._filter(self.query_one("#unit-query", Input).value)

    # ------------------------------------------------------------------ step 1: the unit

    def _filter(self, query: str) -> None:
        folded = normalise_name(query)
        lang = self.app.lang
        self.matches = [u for u in self.units
                        if not folded or any(folded in normalise_name(n) for n in (u.name, u.full_name or "", *u.aliases))]
        options = []
        for unit in self.matches:
            label = Text(printable(unit.name))
            label.append(printable(f"  {unit.jurisdiction}"), style="dim")
            if unit.full_name and unit.full_name != unit.name:
                label.append(printable(f"  {unit.full_name}"), style="dim")
            options.append(Option(label, id=str(unit.id)))
        units = self.query_one("#units", OptionList)
        units.set_options(options)
        if options:
            units.highlighted = 0
        note = self.query_one("#choose-note", Static)
        if folded and not self.matches:
            note.update(plain(tr("no_unit_match", lang, query=query)))
        elif len({u.jurisdiction for u in self.matches}) > 1 and len({u.name for u in self.matches}) == 1:
            places = names((u.jurisdiction for u in self.matches), lang)
            note.update(plain(tr("ambiguous", lang, name=self.matches[0].name, places=places)))
        else:
            note.update(plain(self.ask.notice or ""))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "unit-query":
            self._filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "unit-query":
            index = self.query_one("#units", OptionList).highlighted
            if self.matches and index is not None:
                self._chose_unit(self.matches[index])
        elif event.input.id == "liaison":
            self._finish(event.value.strip() or None)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "units":
            self._chose_unit(next(u for u in self.matches if str(u.id) == event.option.id))
        else:
            self._finish(str(event.option.id))

    # ------------------------------------------------------------------ step 2: the liaison

    def _chose_unit(self, unit: UnitSummary) -> None:
        self.chosen = unit
        if self.ask.liaison:
            self._finish(self.ask.liaison)
            return
        lang = self.app.lang
        self.query_one("#choose-unit").display = False
        self.query_one("#choose-liaison").display = True
        self.query_one("#liaison-prompt", Static).update(
            plain(tr("choose_liaison", lang, unit=unit.name, jurisdiction=unit.jurisdiction)))
        known = self.query_one("#liaisons", OptionList)
        known.set_options([Option(plain(name), id=name) for name in unit.liaisons])
        self.query_one("#known-heading").display = bool(unit.liaisons)
        known.display = bool(unit.liaisons)
        self.set_focus(self.query_one("#liaison", Input))

    def _finish(self, liaison: str | None) -> None:
        unit = self.chosen
        identity = Identity(unit.id, unit.name, unit.jurisdiction, liaison)
        try:
            remember(identity)
        except OSError as exc:  # a read-only home: work on, just unremembered
            self.app.say(tr("failed", self.app.lang, error=str(exc)), error=True)
        self.dismiss(identity)

    def action_move(self, step: int) -> None:
        liaison_step = bool(self.query_one("#choose-liaison").display)
        options = self.query_one("#liaisons" if liaison_step else "#units", OptionList)
        if not options.option_count:
            return
        current = options.highlighted
        options.highlighted = 0 if current is None else max(0, min(options.option_count - 1, current + step))
        if liaison_step:
            self.query_one("#liaison", Input).value = options.get_option_at_index(options.highlighted).id

    def action_back(self) -> None:
        if self.chosen is not None and self.query_one("#choose-liaison").display:
            self.chosen = None
            self.query_one("#choose-liaison").display = False
            self.query_one("#choose-unit").display = True
            self.set_focus(self.query_one("#unit-query", Input))
        elif self.app.identity is not None:
            self.dismiss(None)
        else:  # first start, nobody chosen: leave, and say so on the terminal left behind
            self.app.exit(return_code=0, message=tr("no_unit_chosen", self.app.lang))
