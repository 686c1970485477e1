"""My tasks: tabs for the tasks I lead, support, all of them, and the plan tree.

One filter (/) and one sort order serve every tab; a tab that was hidden while they changed
fetches again when it is shown. The count reads `matched / all` for the tab.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static, TabbedContent, TabPane

from ...i18n import N_, gettext_in
from ...reporting import period
from ..text import localise_bindings, plain, state, tr
from ..widgets.plan_tree import PlanTree
from ..widgets.task_table import MAX_ROWS, TaskTable
from .detail import TaskDetailScreen
from .update import UpdateScreen, UpdateTarget

TABS = (("lead", "lead"), ("responsible", "responsible"), ("all", None))
PERIODS = {"month": N_("this month"), "quarter": N_("this quarter"), "half": N_("this half-year"),
           "year": N_("this year"), "week": N_("this week"), "period": N_("this period")}


def reporting_label(report, lang: str) -> str:
    """本月报送：未报（12-05前） / 本季度报送：已报"""
    when = gettext_in(lang, PERIODS[period(report.duty.rule)])
    if report.units[0].reported:
        return gettext_in(lang, "Reporting {period}: done").format(period=when)
    return gettext_in(lang, "Reporting {period}: not yet (due {date})").format(
        period=when, date=report.window.closes.strftime("%m-%d"))
ORDERS = ("deadline", "status")


class TasksScreen(Screen):
    BINDINGS = [
        Binding("slash", "focus_filter", "筛选", id="tasks.filter"),
        Binding("escape", "clear_filter", "清除筛选", show=False, id="tasks.clear_filter"),
        Binding("e", "update", "更新", id="tasks.update"),
        Binding("d,space", "detail", "详情", id="tasks.detail"),
        Binding("u", "undo", "撤销", id="tasks.undo"),
        Binding("s", "sort", "排序", id="tasks.sort"),
        Binding("r", "refresh", "刷新", show=False, id="tasks.refresh"),
        Binding("1", "tab('lead')", "牵头", show=False, id="tasks.tab_lead"),
        Binding("2", "tab('responsible')", "配合", show=False, id="tasks.tab_responsible"),
        Binding("3", "tab('all')", "全部", show=False, id="tasks.tab_all"),
        Binding("4", "tab('plans')", "计划", show=False, id="tasks.tab_plans"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.order = "deadline"
        self.search = ""
        self.needs_refresh = True
        self.first_count = True  # a unit that leads nothing opens on 全部, not an empty tab

    def compose(self) -> ComposeResult:
        lang = self.app.lang
        yield Static(id="whoami")
        with Horizontal(id="filterbar"):
            yield Input(placeholder=tr("filter_placeholder", lang), id="filter", compact=True)
            yield Static(id="count")
        with TabbedContent(initial="lead", id="tabs"):
            for pane_id, role in TABS:
                with TabPane(tr(f"tab_{pane_id}", lang), id=pane_id):
                    yield TaskTable(role, id=f"table-{pane_id}")
            with TabPane(tr("tab_plans", lang), id="plans"):
                yield PlanTree(id="plan-tree")
        yield Static(id="message")
        yield Footer()

    def on_mount(self) -> None:
        localise_bindings(self, self.app.lang)
        self.query_one("#whoami", Static).update(plain(self.app.whoami()))
        self.active_table().focus()
        self.app.gateway.reporting(self, self.show_reporting)

    def show_reporting(self, reports) -> None:
        """The header, with this window's reporting (本月报送：未报 / 已报) when the unit has a duty."""
        text = self.app.whoami()
        if reports:
            shown = next((r for r in reports if not r.units[0].reported), reports[0])
            text += " · " + reporting_label(shown, self.app.lang)
        self.query_one("#whoami", Static).update(plain(text))

    def on_screen_resume(self) -> None:
        if self.needs_refresh:
            self.needs_refresh = False
            self.refresh_tables()

    # ------------------------------------------------------------------ the widgets

    def tabs(self) -> TabbedContent:
        return self.query_one("#tabs", TabbedContent)

    def active_table(self) -> TaskTable | None:
        active = self.tabs().active or "lead"
        if active == "plans":
            return None
        return self.query_one(f"#table-{active}", TaskTable)

    def tables(self) -> list[TaskTable]:
        return list(self.query(TaskTable))

    def refresh_tables(self, *, keep_cursor: bool = False) -> None:
        """Everything may have changed (an update, an undo, a new filter): the visible tab
        fetches now, the hidden ones when shown."""
        for table in self.tables():
            table.stale = True
            table.total = None
        if self.is_mounted:
            self.app.gateway.reporting(self, self.show_reporting)  # an update may be the report
        active = self.active_table()
        if active is not None:
            active.reload(search=self.search, order=self.order, keep_cursor=keep_cursor)
        elif self.tabs().active == "plans":
            self.query_one(PlanTree).reload()

    def show_count(self) -> None:
        table = self.active_table()
        count = self.query_one("#count", Static)
        lang = self.app.lang
        if table is None:
            count.update(plain(""))
            if self.showing() in self._empty_messages():
                self.app.say("")
            return
        if table.matched is None or table.total is None:
            count.update(plain(tr("loading", lang)))
            return
        text = f"{table.matched:,} / {table.total:,} · {tr('sort_' + table.order, lang)}"
        if not table.shows_plan and (row := table.selected()) is not None:
            text = f"{table.plan_label(row)} · {text}"  # too narrow for a plan column: the row's plan here
        if table.matched > MAX_ROWS and len(table.loaded) >= MAX_ROWS:
            text = tr("capped", lang, n=f"{MAX_ROWS:,}") + " · " + text
        count.update(plain(text))
        self._say_if_empty(table)

    def _say_if_empty(self, table: TaskTable) -> None:
        """An empty tab says why, every time it is shown: nothing matches the filter, or the unit
        has no task in that role; the line goes once the tab has rows."""
        lang = self.app.lang
        if table.matched == 0:
            self.app.say(tr("no_rows", lang) if table.search else
                         tr(f"empty_{table.id.removeprefix('table-')}", lang, unit=self.app.identity.unit))
        elif self.showing() in self._empty_messages():
            self.app.say("")

    def _empty_messages(self) -> set[str]:
        lang, unit = self.app.lang, self.app.identity.unit
        return {tr("no_rows", lang), *(tr(f"empty_{pane}", lang, unit=unit) for pane, _ in TABS)}

    def showing(self) -> str:
        line = self.query_one("#message", Static)
        return str(line.render()) if line.display else ""

    def on_task_table_counted(self, event: TaskTable.Counted) -> None:
        if self.first_count and event.table.role == "lead":
            self.first_count = False
            if event.table.total == 0 and not self.search:
                self.action_tab("all")
                return
        if event.table is self.active_table():
            self.show_count()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table is self.active_table():
            self.show_count()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane = event.pane.id
        if pane == "plans":
            tree = self.query_one(PlanTree)
            if not tree.loaded:
                tree.reload()
            tree.focus()
        else:
            table = self.query_one(f"#table-{pane}", TaskTable)
            if table.stale or table.search != self.search or table.order != self.order:
                table.reload(search=self.search, order=self.order)
            table.focus()
        self.show_count()

    # ------------------------------------------------------------------ filtering and sorting

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "filter":
            return
        self.search = event.value.strip()
        for table in self.tables():
            table.stale = True
        table = self.active_table()
        if table is not None:
            table.reload(search=self.search, order=self.order)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter" and (table := self.active_table()) is not None:
            self.set_focus(table)

    def action_focus_filter(self) -> None:
        # at once, not after a refresh, so the keys typed right after / land in the box
        self.set_focus(self.query_one("#filter", Input))

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.value:
            box.value = ""  # Input.Changed reloads with no filter
        if (table := self.active_table()) is not None:
            self.set_focus(table)

    def action_sort(self, order: str | None = None) -> None:
        self.order = order or ORDERS[(ORDERS.index(self.order) + 1) % len(ORDERS)]
        for table in self.tables():
            table.stale = True
        if (table := self.active_table()) is not None:
            table.reload(search=self.search, order=self.order)
        self.app.say(tr("sort_" + self.order, self.app.lang))

    def action_tab(self, pane: str) -> None:
        self.tabs().active = pane

    def action_refresh(self) -> None:
        self.refresh_tables(keep_cursor=True)

    # ------------------------------------------------------------------ acting on a task

    def selected_row(self):
        table = self.active_table()
        row = table.selected() if table is not None else None
        if row is None and table is not None:
            self.app.say(tr("pick_row", self.app.lang))
        return row

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if isinstance(event.data_table, TaskTable):
            event.stop()
            self.action_update()

    def action_update(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        me = self.app.identity
        target = UpdateTarget(row.plan_key, row.key, row.title, me.unit_id, me.unit, row.assignment_id, row.version,
                              row.status, row.percent, row.timezone)
        self.app.push_screen(UpdateScreen(target, self.app.lang), lambda saved: self._after_write(saved, row.key))

    def _after_write(self, saved, task_key: str) -> None:
        if saved is not None:
            lang = self.app.lang
            self.app.say(tr("saved", lang, key=task_key, state=state(saved.status, saved.percent, lang)))
            self.refresh_tables(keep_cursor=True)

    def action_undo(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        self.app.undo(self, row.assignment_id, row.key, self.app.identity.unit,
                      lambda: self.refresh_tables(keep_cursor=True))

    def action_detail(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.open_detail(row.plan_key, row.key)

    def on_plan_tree_task_chosen(self, event: PlanTree.TaskChosen) -> None:
        self.open_detail(event.plan_key, event.task_key)

    def open_detail(self, plan_key: str, task_key: str) -> None:
        def back(changed) -> None:
            if changed:
                self.refresh_tables(keep_cursor=True)

        self.app.push_screen(TaskDetailScreen(plan_key, task_key), back)

