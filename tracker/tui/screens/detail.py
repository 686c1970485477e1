"""One task in full: its text, deadline and the phrase it came from, every unit's role and
latest status (so a lead sees what its supporting units reported), targets and history.

e or Enter records progress for the unit under the cursor (your own row to begin with; the
plan's coordinating unit may pick any row); u undoes your last update on that row. On your own
row, c asks the plan's coordinating unit to close the task (申请办结) and x asks it for a later
deadline (延期申请); requests and decisions are in the history with the status updates.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ... import clock
from ...deadlines import FINISHED, describe_rule
from ...errors import PermissionDenied
from ...textwidth import fit, printable, width
from datetime import date

from ...i18n import decision_label, gettext_in, ngettext_in, request_kind_label
from ...service import TaskDetail, UnitStatus
from ..text import local_time, localise_bindings, plain, saved_message, state, tr
from .form import Field, FormScreen
from .update import UpdateScreen, UpdateTarget


class TaskDetailScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", "back", id="detail.back"),
        Binding("e", "update", "update", id="detail.update"),
        Binding("u", "undo", "undo", id="detail.undo"),
        Binding("r", "refresh", "refresh", id="detail.refresh"),
        Binding("c", "request_close", "ask to close", id="detail.request_close"),
        Binding("x", "request_extend", "ask for more time", id="detail.request_extend"),
    ]

    def __init__(self, plan_key: str, task_key: str) -> None:
        super().__init__()
        self.plan_key = plan_key
        self.task_key = task_key
        self.detail: TaskDetail | None = None
        self.changed = False  # the list behind must refresh when we go back

    def compose(self) -> ComposeResult:
        yield Static(id="whoami")
        with VerticalScroll(id="detail"):
            yield Static(id="detail-head")
            yield Static(id="detail-meta")
            yield Static(id="detail-text")
            yield Static(classes="heading", id="units-heading")
            yield DataTable(id="units", cursor_type="row")
            yield Static(id="detail-targets")
            yield Static(classes="heading", id="history-heading")
            yield DataTable(id="history", cursor_type="none", show_cursor=False)
        yield Static(id="message")
        yield Footer()

    def on_mount(self) -> None:
        localise_bindings(self, self.app.lang)
        self.query_one("#whoami", Static).update(plain(self.app.whoami()))
        self.query_one("#history", DataTable).can_focus = False
        self.query_one("#units", DataTable).focus()
        self.load()

    # ------------------------------------------------------------------ loading

    def load(self) -> None:
        self.app.gateway.task_detail(self, self.plan_key, self.task_key, self._show)

    def _show(self, detail: TaskDetail) -> None:
        lang = self.app.lang
        keep = self.selected_unit_id()
        self.detail = detail
        head = Text(printable(f"{detail.key}  "), style="bold")
        head.append(printable(detail.title), style="bold")
        if detail.archived:
            head.append(" " + tr("archived", lang), style="italic")
        self.query_one("#detail-head", Static).update(head)
        self.query_one("#detail-meta", Static).update(self._meta(detail, lang))
        self.query_one("#detail-text", Static).update(plain(detail.text))
        self.query_one("#units-heading", Static).update(tr("units_heading", lang))
        self._fill_units(detail, lang, keep)
        targets = self.query_one("#detail-targets", Static)
        if detail.targets:
            lines = [tr("targets_heading", lang)]
            for target in detail.targets:
                value = "" if target.value is None else f"{target.value:g}"
                lines.append(f"  · {target.indicator} {target.comparator or ''}{value}{target.measure or ''}"
                             + (f"({target.year})" if target.year else ""))
            targets.update(plain("\n".join(lines)))
            targets.display = True
        else:
            targets.display = False
        self.query_one("#history-heading", Static).update(tr("history_heading", lang))
        self._fill_history(detail, lang)

    def _meta(self, detail: TaskDetail, lang: str) -> Text:
        meta = Text()
        meta.append(tr("label", lang, label=tr("plan", lang)), style="dim")
        meta.append(f"{detail.plan_key}  ", style="bold")
        meta.append(printable(tr("numbered", lang, title=detail.plan_title, number=detail.document_number)
                              if detail.document_number else detail.plan_title))
        if detail.section:
            meta.append("\n" + tr("label", lang, label=tr("section", lang)), style="dim")
            meta.append(printable(detail.section))
        meta.append("\n" + tr("label", lang, label=tr("deadline", lang)), style="dim")
        if detail.deadline_kind == "ongoing":
            meta.append(gettext_in(lang, "ongoing"))
        elif detail.due_on:
            meta.append(detail.due_on.isoformat())
            due, final = detail.due_on, detail.final_due_on
            mine = next((a for a in detail.assignments if a.unit_id == self.app.identity.unit_id), None)
            if mine is not None and mine.extended_due_on and mine.extended_due_on != detail.final_due_on:
                # the viewer's own deadline, as an approved extension moved it: its days are counted from it
                meta.append(printable(gettext_in(lang, " \u2192 {date} (extension approved for {unit})").format(
                    date=mine.extended_due_on.isoformat(), unit=mine.unit)), style="bold")
                due = final = mine.extended_due_on
            days = (due - clock.today()).days
            open_work = any(a.status not in FINISHED for a in detail.assignments)
            if open_work and final and final < clock.today():
                late = (clock.today() - final).days
                meta.append("  " + ngettext_in(lang, "{n} day overdue", "{n} days overdue", late).format(n=late),
                            style="bold #ff6b6b")
            elif open_work and days >= 0:
                meta.append("  " + (tr("due_today", lang) if days == 0 else
                                     ngettext_in(lang, "{n} day left", "{n} days left", days).format(n=days)))
        if detail.deadline_phrase:
            meta.append(printable("  " + tr("phrase", lang, phrase=detail.deadline_phrase)), style="dim")
        if detail.deadline_rule:
            meta.append(printable("  " + tr("rule", lang, rule=describe_rule(detail.deadline_rule, lang))), style="dim")
        return meta

    def _fill_units(self, detail: TaskDetail, lang: str, keep: int | None) -> None:
        table = self.query_one("#units", DataTable)
        table.clear(columns=True)
        unit_w = self._unit_width([_via(a, lang) for a in detail.assignments])
        # what the other columns, the cells' padding and the margins leave goes to the note
        room = max(10, self.size.width - (8 + 15 + 16 + unit_w + 10 + 4))
        for key, label, w in (("role", tr("col_role", lang), 8), ("unit", tr("col_unit", lang), unit_w),
                              ("status", tr("status", lang), 15),
                              ("updated", tr("col_time", lang), 16), ("note", tr("col_note", lang), room)):
            table.add_column(label, width=w, key=key)
        mine = self.app.identity.unit_id
        cursor = 0
        for index, a in enumerate(detail.assignments):
            role = tr(f"role_{a.role}", lang)
            if a.source == "inherited":
                role += "·" + tr("source_inherited", lang)
            style = "bold" if a.unit_id == mine else ""
            unit = _via(a, lang)
            cells = [role, unit, state(a.status, a.percent, lang), local_time(a.status_at, detail.timezone),
                     a.note or ""]
            widths = [8, unit_w, 15, 16, room]
            table.add_row(*[Text(fit(c, w), style=style, no_wrap=True) for c, w in zip(cells, widths)],
                          key=str(a.unit_id))
            if a.unit_id == (keep if keep is not None else mine):
                cursor = index
        if detail.assignments:
            table.move_cursor(row=cursor, animate=False)

    def _unit_width(self, names: list[str]) -> int:
        """Unit names whole when the screen has room (a third of it at most), 16 cells at least."""
        return max(16, min(max((width(n) for n in names), default=16), self.size.width // 3))

    def _fill_history(self, detail: TaskDetail, lang: str) -> None:
        table = self.query_one("#history", DataTable)
        table.clear(columns=True)
        unit_w = self._unit_width([e.unit for e in detail.history] + [r.unit for r in detail.requests])
        requests = _request_rows(detail, lang)
        # a request's or decision's name whole (延期未批准, extension approved), where there is one
        status_w = max([15] + [min(20, width(cells[2])) for *_, cells in requests])
        room = max(10, self.size.width - (16 + unit_w + status_w + 10 + 10 + 4))
        widths = [16, unit_w, status_w, 10, room]
        for key, label, w in zip(("time", "unit", "status", "by", "note"),
                                 (tr("col_time", lang), tr("col_unit", lang), tr("status", lang), tr("col_by", lang),
                                  tr("col_hnote", lang)), widths):
            table.add_column(label, width=w, key=key)
        rows = []
        for entry in detail.history:
            note = entry.note or ""
            if entry.undoes_id is not None:  # an undo restores the note before it too: say it is an undo
                note = tr("undo_note", lang, id=entry.undoes_id) + (f" · {note}" if note else "")
            by = entry.author or ""
            if entry.acting_unit and entry.acting_unit != entry.unit:  # recorded by the coordinating unit
                by = f"{by}({entry.acting_unit})" if by else entry.acting_unit
            rows.append((entry.recorded_at, 0, entry.id, [local_time(entry.recorded_at, detail.timezone), entry.unit,
                                                          state(entry.status, entry.percent, lang), by, note]))
        rows += requests
        # newest first: what a liaison wants to see
        for moment, order, ident, cells in sorted(rows, key=lambda r: (clock.utc(r[0]), r[1], r[2]), reverse=True):
            table.add_row(*[Text(fit(c, w), no_wrap=True) for c, w in zip(cells, widths)], key=f"{order}:{ident}")
        if not detail.history and not detail.requests:
            table.add_row(Text(tr("no_history", lang)), "", "", "", "")

    # ------------------------------------------------------------------ acting

    def selected_unit_id(self) -> int | None:
        table = self.query_one("#units", DataTable)
        if self.detail is None or not self.detail.assignments or table.row_count == 0:
            return None
        row = min(max(table.cursor_row, 0), len(self.detail.assignments) - 1)
        return self.detail.assignments[row].unit_id

    def selected_assignment(self) -> UnitStatus | None:
        unit_id = self.selected_unit_id()
        if unit_id is None:
            return None
        return next(a for a in self.detail.assignments if a.unit_id == unit_id)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "units":
            event.stop()
            self.action_update()

    def action_update(self) -> None:
        assignment = self.selected_assignment()
        if assignment is None:
            self.app.say(tr("not_assigned", self.app.lang, unit=self.app.identity.unit))
            return
        # the permission is asked first, so a liaison is not left typing into a form that cannot be saved
        target = UpdateTarget(self.plan_key, self.task_key, self.detail.title, assignment.unit_id, assignment.unit,
                              assignment.assignment_id, assignment.version, assignment.status, assignment.percent,
                              self.detail.timezone)

        def refused(exc: Exception) -> bool:
            if isinstance(exc, PermissionDenied):
                self.app.say(tr("denied", self.app.lang, unit=assignment.unit), error=True)
                return True
            return False

        self.app.gateway.check_may_update(
            self, assignment.assignment_id,
            lambda _: self.app.push_screen(UpdateScreen(target, self.app.lang), self._after_write), refused)

    def _after_write(self, saved) -> None:
        if saved is not None:
            self.changed = True
            self.app.say(saved_message(saved, self.task_key, self.app.lang))
            self.load()

    def action_undo(self) -> None:
        assignment = self.selected_assignment()
        if assignment is None:
            return
        self.app.undo(self, assignment.assignment_id, self.task_key, assignment.unit, self._after_undo)

    def _after_undo(self) -> None:
        self.changed = True
        self.load()

    def action_refresh(self) -> None:
        self.load()

    # ------------------------------------------------------------------ asking the coordinator (督办)

    def _own_assignment(self) -> UnitStatus | None:
        """The selected row, if it is the liaison's own unit's: a unit asks only for its own."""
        assignment = self.selected_assignment()
        lang = self.app.lang
        if assignment is None or assignment.unit_id != self.app.identity.unit_id:
            self.app.say(gettext_in(lang, "{unit} asks only for its own row of a task").format(
                unit=self.app.identity.unit), error=True)
            return None
        return assignment

    def action_request_close(self) -> None:
        assignment = self._own_assignment()
        if assignment is None:
            return
        lang = self.app.lang

        def send(form: FormScreen, values: dict[str, str]) -> None:
            self.app.gateway.request_closing(form, assignment.assignment_id, note=values["note"] or None,
                                             version=assignment.version, reply=form.dismiss, refused=form.refused)

        title = gettext_in(lang, "Ask to close: {key} {title}").format(key=self.task_key, title=self.detail.title)
        about = gettext_in(lang, "{unit} reports it done ({state} now); the plan's coordinating unit approves "
                                 "(销号) or returns it").format(unit=assignment.unit,
                                                               state=state(assignment.status, assignment.percent, lang))
        fields = [Field("note", gettext_in(lang, "What was done"), gettext_in(lang, "the closing report"))]
        self.app.push_screen(FormScreen(title, about, fields, send, lang), self._after_request)

    def action_request_extend(self) -> None:
        assignment = self._own_assignment()
        if assignment is None:
            return
        lang = self.app.lang
        current = assignment.extended_due_on or self.detail.final_due_on

        def send(form: FormScreen, values: dict[str, str]) -> str | None:
            try:
                due_on = date.fromisoformat(values["due_on"])
            except ValueError:
                return gettext_in(lang, "the new deadline must be a date like 2023-06-30")
            self.app.gateway.request_extension(form, assignment.assignment_id, due_on=due_on, reason=values["reason"],
                                               reply=form.dismiss, refused=form.refused)
            return None

        title = gettext_in(lang, "Ask for a later deadline: {key} {title}").format(key=self.task_key,
                                                                                 title=self.detail.title)
        about = gettext_in(lang, "{unit}'s deadline now: {date}; the plan's coordinating unit approves or rejects "
                                 "it").format(unit=assignment.unit, date=current.isoformat() if current else "—")
        fields = [Field("due_on", gettext_in(lang, "New deadline"), "YYYY-MM-DD", required=True, restrict=r"[0-9-]{0,10}"),
                  Field("reason", gettext_in(lang, "Reason"), gettext_in(lang, "why it cannot be met, and what next"),
                        required=True)]
        self.app.push_screen(FormScreen(title, about, fields, send, lang), self._after_request)

    def _after_request(self, asked) -> None:
        if asked is None:
            return
        self.changed = True
        lang = self.app.lang
        self.app.say(gettext_in(lang, "{kind} #{id} sent to {coordinator}").format(
            kind=request_kind_label(asked.kind, lang), id=asked.id, coordinator=asked.coordinator or "—"))
        self.load()

    def action_back(self) -> None:
        self.dismiss(self.changed)


def _request_rows(detail: TaskDetail, lang: str) -> list[tuple]:
    """History rows for requests and their decisions: (instant, order, id, cells)."""
    rows = []
    for r in detail.requests:
        note = r.note or ""
        if r.kind == "extension":  # the dates first: a narrow screen cuts the reason, not them
            note = f"{r.previous_due_on or '—'} \u2192 {r.due_on}" + (f" · {note}" if note else "")
        rows.append((r.requested_at, 1, r.id, [local_time(r.requested_at, detail.timezone), r.unit, request_kind_label(r.kind, lang),
                                               r.author or "", note]))
        if r.decided_at is not None:
            rows.append((r.decided_at, 2, r.id, [local_time(r.decided_at, detail.timezone), r.deciding_unit or "",
                                                  decision_label(r.kind, r.decision, lang), r.decided_by or "",
                                                  r.reason or ""]))
    return rows


def _via(assignment, lang: str) -> str:
    """市南区政府（各区、市政府）: a unit and the group it was expanded from."""
    if not assignment.via_group:
        return assignment.unit
    return tr("via_group", lang, unit=assignment.unit, group=assignment.via_group)
