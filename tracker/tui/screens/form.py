"""A short form for supervision (督办): a liaison's closing or extension request from a task's
detail, and the coordinator's decision from the 待审批 tab.

One or two fields; Enter on the last one (or Ctrl+S) sends, Esc cancels. What the form can check
it checks first (a reason given, a date like 2023-06-30); the service checks again and alone
decides, and a refusal is shown in the form with what was typed kept. Dismissed with the
service's answer (a supervision Request), or None when cancelled. It looks like the update form
(the same ids, so the same styles).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from ...errors import TrackerError
from ...i18n import gettext_in
from ...textwidth import fit
from ..text import localise_bindings, plain, tr


@dataclass(frozen=True)
class Field:
    id: str
    label: str
    placeholder: str = ""
    required: bool = False
    restrict: str | None = None


# send(form, values) asks the gateway, with the form's dismiss as the reply and its refused()
# for a refusal; or returns a message for what the form itself finds wrong
Send = Callable[["FormScreen", dict[str, str]], str | None]


class FormScreen(ModalScreen):
    BINDINGS = [
        Binding("escape", "cancel", "cancel", id="form.cancel"),
        Binding("ctrl+s", "send", "send", priority=True, id="form.send"),
    ]

    def __init__(self, title: str, about: str, fields: list[Field], send: Send, lang: str) -> None:
        super().__init__()
        self.form_title = title
        self.about = about
        self.fields = fields
        self.send = send
        self.lang = lang
        self.sending = False
        localise_bindings(self, lang)

    def compose(self) -> ComposeResult:
        with Vertical(id="update") as dialog:
            dialog.border_title = plain(fit(self.form_title, 64))
            yield Static(plain(self.about), id="update-for")
            with Grid(id="update-form"):
                for field in self.fields:
                    yield Label(field.label)
                    yield Input(id=field.id, placeholder=field.placeholder, restrict=field.restrict, compact=True)
            yield Static("", id="update-error")
            with Horizontal(id="update-buttons"):
                yield Button(gettext_in(self.lang, "Send") + " (Enter)", id="send", variant="primary", compact=True)
                yield Button(tr("cancel", self.lang) + " (Esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one(f"#{self.fields[0].id}", Input).focus()

    def say(self, text: str) -> None:
        line = self.query_one("#update-error", Static)
        line.update(plain(text))
        line.set_class(True, "error")

    def values(self) -> dict[str, str]:
        return {field.id: self.query_one(f"#{field.id}", Input).value.strip() for field in self.fields}

    def on_input_submitted(self, event: Input.Submitted) -> None:
        ids = [field.id for field in self.fields]
        at = ids.index(event.input.id) if event.input.id in ids else len(ids) - 1
        if at < len(ids) - 1:
            self.query_one(f"#{ids[at + 1]}", Input).focus()
        else:
            self.action_send()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "send":
            self.action_send()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_send(self) -> None:
        if self.sending:
            return
        values = self.values()
        for field in self.fields:
            if field.required and not values[field.id]:
                self.say(gettext_in(self.lang, "{field} is required").format(field=field.label))
                self.query_one(f"#{field.id}", Input).focus()
                return
        problem = self.send(self, values)
        if problem is not None:
            self.say(problem)
            return
        self.sending = True

    def refused(self, exc: BaseException) -> bool:
        """A refusal the liaison can act on is shown here; the form stays open, its text kept."""
        self.sending = False
        if isinstance(exc, TrackerError):
            self.say(str(exc).splitlines()[0])
            return True
        return False
