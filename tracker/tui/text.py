"""Every word the app shows, from the one catalogue (tracker/locale): Chinese first, English
with --lang en.

Key bindings are declared with their English descriptions (the catalogue's ids, as in BINDINGS);
`localise_bindings` words them in the interface's language.
"""

from __future__ import annotations

from dataclasses import replace

from datetime import datetime

from textual.content import Content

from .. import clock
from ..textwidth import printable
from ..i18n import C_, N_, gettext_in, npgettext_in, status_label

# Every word the app shows, by name: the name is what screens ask for (some names are made at
# run time: tab_{pane}, sort_{order}, role_{role}, empty_{pane}), the message is the catalogue's
# English id, worded in the interface's language by `tr`.
_TEXT: dict[str, str | tuple[str, str]] = {
    "title": N_("tracker · task progress"),
    # tabs and columns
    "tab_lead": N_("I lead"),
    "tab_responsible": N_("I support"),
    "tab_all": N_("All"),
    "tab_plans": N_("Plans"),
    "col_key": N_("key"),
    "col_task": N_("task"),
    "col_plan": N_("plan"),
    "col_deadline": N_("deadline"),
    "col_days": N_("left"),
    "col_status": N_("my status"),
    "col_updated": N_("updated"),
    # the list
    "whoami": N_("{unit} ({jurisdiction}) · {liaison} · today {today}"),
    "liaison": N_("liaison {name}"),
    "no_liaison": N_("no liaison name"),
    "filter_placeholder": N_("/ filter: key, text, plan, section"),
    "sort_deadline": N_("by deadline"),
    "sort_status": N_("by status"),
    "capped": N_("showing the first {n}; narrow with /"),
    "loading": N_("loading…"),
    "due_today": N_("due today"),
    "days_left": N_("{n}d left"),
    "days_overdue": N_("{n}d late"),
    "role_lead": N_("lead"),
    "role_responsible": N_("support"),
    "col_role_short": C_("task list", "role"),
    "no_rows": N_("No matching tasks."),
    "empty_lead": N_("{unit} leads no task."),
    "empty_responsible": N_("{unit} supports no task."),
    "empty_all": N_("{unit} has no task."),
    # choosing who you are
    "choose_unit": N_("Which unit are you the liaison for?"),
    "unit_placeholder": N_("type a unit's name, short name or alias"),
    "ambiguous": N_("{name} exists in {places}; choose one."),
    "no_unit_match": N_("No unit's name contains “{query}”."),
    "choose_liaison": N_("Liaison name for {unit} ({jurisdiction}) (may be empty; Enter to go on)"),
    "liaison_placeholder": N_("liaison name"),
    "known_liaisons": N_("Registered liaisons:"),
    "remembered_at": N_("Remembered for next time: {path}"),
    # task detail
    "plan": N_("plan"),
    "section": N_("section"),
    "deadline": N_("deadline"),
    "label": N_("{label}: "),
    "numbered": N_("{title} ({number})"),
    "via_group": N_("{unit} ({group})"),
    "phrase": N_("source: “{phrase}”"),
    "rule": N_("recurs: {rule}"),
    "archived": N_("(removed from the plan)"),
    "units_heading": N_("Units and their status"),
    "targets_heading": N_("Targets"),
    "history_heading": N_("History"),
    "no_history": N_("No updates yet."),
    "col_role": C_("task list", "role"),
    "col_unit": N_("unit"),
    "col_note": N_("latest note"),
    "col_time": N_("time"),
    "col_by": N_("by"),
    "col_hnote": N_("note"),
    "source_inherited": N_("inherited"),
    "undo_note": N_("undoes #{id}"),
    # the update form
    "update_title": N_("Record progress: {key} {title}"),
    "update_for": N_("for {unit} · now {current}"),
    "quoted_note": N_(" “{note}”"),
    "status": N_("status"),
    "percent": N_("percent"),
    "percent_placeholder": N_("0–100, may be empty"),
    "note": N_("note"),
    "note_placeholder": N_("what happened; when behind, why and what next"),
    "save": N_("save"),
    "cancel": N_("cancel"),
    "bad_percent": N_("Percent must be a whole number from 0 to 100."),
    "note_required": N_("A note is required when behind: why, and what comes next."),
    "conflict": N_("{who} updated this task at {when}: {state}. Yours was not saved; check it, then save again "
                   "to record yours on top."),
    "denied": N_("Not allowed: only {unit} itself or the plan's coordinating unit may record {unit}'s status."),
    "not_assigned": N_("{unit} has no part in this task; there is nothing to record."),
    "saved": N_("Saved: {key} {state}"),
    "undone": N_("Undid #{id}: {key} is back to {state}"),
    "nothing_to_undo": N_("There is no update to undo on {key}."),
    "undo_not_yours": N_("The latest update on {key} is {who}'s, not yours; nothing was undone."),
    "already_undone": N_("The latest entry on {key} is already an undo; record a new update instead."),
    "failed": N_("Error: {error}"),
    "database_failed": N_("database: {reason}"),
    "pick_row": N_("Select a task first."),
    # plan tree
    "tree_lead": N_("lead {names}"),
    "tree_mine": N_("us: {role}"),
    # help
    "help_title": N_("Keys"),
    "help_close": N_("Esc or ? closes this. Remap a key: id = \"key\" under [keymap] in {path}"),
    "no_unit_chosen": N_("No unit chosen; tracker closed. Run tracker tui again to choose, or tracker tui --as UNIT."),
    "no_terminal": N_("tracker tui needs a terminal (standard input and output must both be one). "
                      "In scripts use tracker tasks and tracker status set."),
    # command palette
    "connected_as": N_("You are connected as {liaison} of {unit}; the unit cannot be changed"),
    "cmd_change_unit": N_("Change unit or liaison"),
    "cmd_change_unit_help": N_("Choose again which unit you act for"),
    "cmd_tab": N_("Show: {tab}"),
    "cmd_tab_help": N_("Switch to that tab"),
    "cmd_sort": N_("Sort: {order}"),
    "cmd_sort_help": N_("How the task list is ordered"),
    "cmd_help": N_("Help: the keys"),
    "cmd_help_help": N_("List every key"),
    "cmd_refresh": N_("Refresh"),
    "cmd_refresh_help": N_("Read the database again"),
    "cmd_quit": N_("Quit"),
    "cmd_quit_help": N_("Close tracker"),
}

# Every key binding's description, by binding id (the id a user names in tui.toml's [keymap]).
# The footer shows the short one; the help screen lists every live binding with it.
BINDINGS: dict[str, str] = {
    "app.quit": N_("quit"),
    "app.help": N_("help"),
    "app.commands": N_("command palette"),
    "tasks.filter": N_("filter"),
    "tasks.clear_filter": N_("clear filter"),
    "tasks.update": N_("update"),
    "tasks.detail": N_("detail"),
    "tasks.undo": N_("undo"),
    "tasks.sort": N_("sort"),
    "tasks.refresh": N_("refresh"),
    "tasks.tab_lead": N_("I lead"),
    "tasks.tab_responsible": N_("I support"),
    "tasks.tab_all": N_("all"),
    "tasks.tab_plans": N_("plans"),
    "tasks.tab_review": N_("awaiting decision"),
    "tasks.approve": N_("approve"),
    "tasks.turn_down": N_("return / reject"),
    "detail.request_close": N_("ask to close"),
    "detail.request_extend": N_("ask for more time"),
    "form.cancel": N_("cancel"),
    "form.send": N_("send"),
    "detail.back": N_("back"),
    "detail.update": N_("update"),
    "detail.undo": N_("undo"),
    "detail.refresh": N_("refresh"),
    "update.cancel": N_("cancel"),
    "update.save": N_("save"),
    "choose.back": N_("back"),
    "choose.down": N_("next"),
    "choose.up": N_("previous"),
    "help.close": N_("close"),
}


def tr(name: str, lang: str = "zh", /, **kwargs) -> str:
    """The app's word `name` in `lang`, from the catalogue, filled in with `kwargs`."""
    text = gettext_in(lang, _TEXT[name])
    return text.format(**kwargs) if kwargs else text


def tasks_count(n: int, lang: str) -> str:
    """12项 / 12 tasks: a plan's or a section's count in the plan tree."""
    return npgettext_in(lang, "plan tree", "{n} task", "{n} tasks", n).format(n=n)


def names(items, lang: str) -> str:
    """Names joined as the language joins them: 市商务局、市财政局 / 市商务局, 市财政局."""
    return gettext_in(lang, N_(", ")).join(items)


def local_time(moment: datetime | None, tz: str | None = None) -> str:
    """A stored instant as the plan's local time, to the minute (clock.shown)."""
    return clock.shown(moment, tz, empty="—")


def plain(text: str) -> Content:
    """Text for a widget, shown as written: never read as markup (a note `数据已汇总[/]` or
    `[link=…]` is text someone typed), and with control characters made visible.

    Every string a widget shows goes through here or through `display.fit`, because most of
    them carry user data (notes, names, task texts, plan titles) somewhere inside."""
    return Content(printable(text))


def state(status: str, percent: int | None, lang: str) -> str:
    """推进中 60%: a status as one short phrase."""
    return status_label(status, lang) + (f" {percent}%" if percent is not None else "")


def saved_message(saved, key: str, lang: str) -> str:
    """What a saved update says: its new state, or that the lead's 已完成 went to the coordinator."""
    if getattr(saved, "closing_request_id", None) is not None:
        return gettext_in(lang, "Saved: {key} awaits approval; closing request #{id} is with the coordinating "
                                "unit").format(key=key, id=saved.closing_request_id)
    return tr("saved", lang, key=key, state=state(saved.status, saved.percent, lang))


def binding_description(binding_id: str | None, lang: str, fallback: str = "") -> str:
    message = BINDINGS.get(binding_id or "")
    return fallback if message is None else gettext_in(lang, message)


def localise_bindings(node, lang: str) -> None:
    """Give `node`'s key bindings their descriptions in the interface's language, by binding id.

    Textual reads descriptions from the node's binding map, built from the class's BINDINGS
    when the node is created; replacing the map's entries is the one place to do it, because
    the language is chosen at run time (`--lang`). Textual is pinned to an exact version, and
    the English snapshot test shows the footer, so a change there is caught."""
    for key, bindings in node._bindings.key_to_bindings.items():
        node._bindings.key_to_bindings[key] = [
            replace(b, description=binding_description(b.id, lang, b.description)) for b in bindings]
