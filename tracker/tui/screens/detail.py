"""One task in full: its text, deadline and the phrase it came from, every unit's role and
latest status (so a lead sees what its supporting units reported), targets and history.

e or Enter records progress for the unit under the cursor (your own row to begin with; the
plan's coordinating unit may pick any row); u undoes your last update on that row.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ... import clock
from ...textwidth import fit, printable
from ...i18n import t
from ...service import TaskDetail
from ..text import localise_bindings, plain, state, tr
from .update import UpdateTarget


def local_time(moment: datetime | None, tz: str = "Asia/Shanghai") -> str:
    if moment is None:
        return "—"
    return clock.local(moment, tz).strftime("%Y-%m-%d %H:%M")


class TaskDetailScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", "返回"),
        Binding("e", "update", "更新"),
        Binding("u", "undo", "撤销"),
        Binding("r", "refresh", "刷新"),
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
        self._fetch()

    @work(thread=True, exclusive=True, group="detail")
    def _fetch(self) -> None:
        from ...service import task_detail

        app = self.app
        try:
            with app.db.reading() as session:
                detail = task_detail(session, self.plan_key, self.task_key)
        except Exception as exc:
            app.call_from_thread(app.report_failure, exc)
            return
        app.call_from_thread(self._show, detail)

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
        meta.append(printable(detail.plan_title + (f"({detail.document_number})" if detail.document_number else "")))
        if detail.section:
            meta.append(f"\n{tr('section', lang)}: ", style="dim")
            meta.append(printable(detail.section))
        meta.append(f"\n{tr('deadline', lang)}: ", style="dim")
        if detail.deadline_kind == "ongoing":
            meta.append(t("ongoing_deadline", lang))
        elif detail.due_on:
            from ... import clock

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
            meta.append(printable("  " + tr("rule", lang, rule=detail.deadline_rule)), style="dim")
        return meta

    def _fill_units(self, detail: TaskDetail, lang: str, keep: int | None) -> None:
        table = self.query_one("#units", DataTable)
        table.clear(columns=True)
        room = max(10, self.size.width - 69)  # what the fixed columns, their padding and the margins leave
        for key, label, w in (("role", tr("col_role", lang), 8), ("unit", tr("col_unit", lang), 16),
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
            cells = [role, unit, state(a.status, a.percent, lang), local_time(a.status_at) if a.status_at else "—",
                     a.last_note or ""]
            widths = [8, 16, 15, 16, room]
            table.add_row(*[Text(fit(c, w), style=style, no_wrap=True) for c, w in zip(cells, widths)],
                          key=str(a.unit_id))
            if a.unit_id == (keep if keep is not None else mine):
                cursor = index
        if detail.assignments:
            table.move_cursor(row=cursor, animate=False)

    def _fill_history(self, detail: TaskDetail, lang: str) -> None:
        table = self.query_one("#history", DataTable)
        table.clear(columns=True)
        room = max(10, self.size.width - 71)
        widths = [16, 16, 15, 10, room]
        for key, label, w in zip(("time", "unit", "status", "by", "note"),
                                 (tr("col_time", lang), tr("col_unit", lang), tr("status", lang), tr("col_by", lang),
                                  tr("col_hnote", lang)), widths):
            table.add_column(label, width=w, key=key)
        for entry in reversed(detail.history):  # newest first: what a liaison wants to see
            note = entry.note or ""
            if entry.undoes_id is not None:
                note = tr("undo_note", lang, id=entry.undoes_id)
            cells = [local_time(entry.recorded_at), entry.unit, state(entry.status, entry.percent, lang),
                     entry.author or "", note]
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

    def selected_assignment(self):
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
        self._check_then_open(assignment)

    @work(thread=True, exclusive=True, group="check")
    def _check_then_open(self, assignment) -> None:
        from ...errors import PermissionDenied
        from ...service.tui import check_may_update, unit_by_id

        app = self.app
        try:
            with app.db.reading() as session:
                check_may_update(session, plan_key=self.plan_key, task_key=self.task_key,
                                 unit=unit_by_id(session, assignment.unit_id),
                                 acting_unit=unit_by_id(session, app.identity.unit_id))
        except PermissionDenied:
            app.call_from_thread(app.say, tr("denied", app.lang, unit=assignment.unit), error=True)
            return
        except Exception as exc:
            app.call_from_thread(app.report_failure, exc)
            return
        target = UpdateTarget(self.plan_key, self.task_key, self.detail.title, assignment.unit_id, assignment.unit,
                              assignment.assignment_id, assignment.version, assignment.status, assignment.percent)
        app.call_from_thread(self.app.open_update, target, self._after_write)

    def _after_write(self, saved) -> None:
        if saved is not None:
            self.changed = True
            self.app.say(tr("saved", self.app.lang, key=self.task_key, state=state(saved.status, saved.percent, self.app.lang)))
            self.load()

    def action_undo(self) -> None:
        assignment = self.selected_assignment()
        if assignment is None:
            return
        self.app.undo(self.plan_key, self.task_key, assignment.unit_id, self._after_undo)

    def _after_undo(self) -> None:
        self.changed = True
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(self.changed)
