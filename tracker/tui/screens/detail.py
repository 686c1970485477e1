"""One task in full: its text, deadline and the phrase it came from, every unit's role and
latest status (so a lead sees what its supporting units reported), targets and history.

e or Enter records progress for the unit under the cursor (your own row to begin with; the
plan's coordinating unit may pick any row); u undoes your last update on that row.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ... import clock
from ...deadlines import describe_rule
from ...errors import PermissionDenied
from ...textwidth import fit, printable, width
from ...i18n import t
from ...service import AssignmentView, TaskDetail
from ..text import local_time, localise_bindings, plain, state, tr
from .update import UpdateScreen, UpdateTarget


class TaskDetailScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", "返回", id="detail.back"),
        Binding("e", "update", "更新", id="detail.update"),
        Binding("u", "undo", "撤销", id="detail.undo"),
        Binding("r", "refresh", "刷新", id="detail.refresh"),
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
        meta.append(f"{tr('plan', lang)}: ", style="dim")
        meta.append(f"{detail.plan_key}  ", style="bold")
        meta.append(printable(detail.plan_title + (f"({detail.document_number})" if detail.document_number else "")))
        if detail.section:
            meta.append(f"\n{tr('section', lang)}: ", style="dim")
            meta.append(printable(detail.section))
        meta.append(f"\n{tr('deadline', lang)}: ", style="dim")
        if detail.deadline_kind == "ongoing":
            meta.append(t("ongoing_deadline", lang))
        elif detail.due_on:
            meta.append(detail.due_on.isoformat())
            days = (detail.due_on - clock.today()).days
            open_work = any(a.status != "done" for a in detail.assignments)
            if open_work and detail.final_due_on and detail.final_due_on < clock.today():
                meta.append("  " + t("days_overdue", lang, n=(clock.today() - detail.final_due_on).days),
                            style="bold #ff6b6b")
            elif open_work and days >= 0:
                meta.append("  " + (tr("due_today", lang) if days == 0 else t("days_left", lang, n=days)))
        if detail.deadline_phrase:
            meta.append(printable("  " + tr("phrase", lang, phrase=detail.deadline_phrase)), style="dim")
        if detail.deadline_rule:
            meta.append(printable("  " + tr("rule", lang, rule=describe_rule(detail.deadline_rule, lang))), style="dim")
        return meta

    def _fill_units(self, detail: TaskDetail, lang: str, keep: int | None) -> None:
        table = self.query_one("#units", DataTable)
        table.clear(columns=True)
        unit_w = self._unit_width([a.unit + (f"({a.via_group})" if a.via_group else "") for a in detail.assignments])
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
            unit = a.unit + (f"({a.via_group})" if a.via_group else "")
            cells = [role, unit, state(a.status, a.percent, lang), local_time(a.status_at, detail.timezone),
                     a.last_note or ""]
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
        unit_w = self._unit_width([e.unit for e in detail.history])
        room = max(10, self.size.width - (16 + unit_w + 15 + 10 + 10 + 4))
        widths = [16, unit_w, 15, 10, room]
        for key, label, w in zip(("time", "unit", "status", "by", "note"),
                                 (tr("col_time", lang), tr("col_unit", lang), tr("status", lang), tr("col_by", lang),
                                  tr("col_hnote", lang)), widths):
            table.add_column(label, width=w, key=key)
        for entry in reversed(detail.history):  # newest first: what a liaison wants to see
            note = entry.note or ""
            if entry.undoes_id is not None:  # an undo restores the note before it too: say it is an undo
                note = tr("undo_note", lang, id=entry.undoes_id) + (f" · {note}" if note else "")
            by = entry.author or ""
            if entry.acting_unit and entry.acting_unit != entry.unit:  # recorded by the coordinating unit
                by = f"{by}({entry.acting_unit})" if by else entry.acting_unit
            cells = [local_time(entry.recorded_at, detail.timezone), entry.unit, state(entry.status, entry.percent, lang), by, note]
            table.add_row(*[Text(fit(c, w), no_wrap=True) for c, w in zip(cells, widths)], key=str(entry.id))
        if not detail.history:
            table.add_row(Text(tr("no_history", lang)), "", "", "", "")

    # ------------------------------------------------------------------ acting

    def selected_unit_id(self) -> int | None:
        table = self.query_one("#units", DataTable)
        if self.detail is None or not self.detail.assignments or table.row_count == 0:
            return None
        row = min(max(table.cursor_row, 0), len(self.detail.assignments) - 1)
        return self.detail.assignments[row].unit_id

    def selected_assignment(self) -> AssignmentView | None:
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
            self.app.say(tr("saved", self.app.lang, key=self.task_key, state=state(saved.status, saved.percent, self.app.lang)))
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

    def action_back(self) -> None:
        self.dismiss(self.changed)
