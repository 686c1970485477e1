"""My tasks: tabs for the tasks I lead, support, all of them, and the plan tree.

One filter (/) and one sort order serve every tab; a tab that was hidden while they changed
fetches again when it is shown. The count reads `matched / all` for the tab.

A unit that coordinates plans also gets 待审批: the closing and extension requests on them,
oldest first; a approves (Enter, or a remark first), t returns a closing request or rejects an
extension (a reason, then Enter), d opens the task.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static, TabbedContent, TabPane

from ...i18n import N_, decision_label, gettext_in, request_kind_label
from ...reporting import period
from ..text import localise_bindings, plain, saved_message, state, tr
from ..widgets.plan_tree import PlanTree
from ..widgets.review_list import ReviewList, what_is_asked
from ..widgets.task_table import MAX_ROWS, TaskTable
from .detail import TaskDetailScreen
from .form import Field, FormScreen
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
        Binding("slash", "focus_filter", "filter", id="tasks.filter"),
        Binding("escape", "clear_filter", "clear filter", show=False, id="tasks.clear_filter"),
        Binding("e", "update", "update", id="tasks.update"),
        Binding("d,space", "detail", "detail", id="tasks.detail"),
        Binding("u", "undo", "undo", id="tasks.undo"),
        Binding("s", "sort", "sort", id="tasks.sort"),
        Binding("r", "refresh", "refresh", show=False, id="tasks.refresh"),
        Binding("1", "tab('lead')", "I lead", show=False, id="tasks.tab_lead"),
        Binding("2", "tab('responsible')", "I support", show=False, id="tasks.tab_responsible"),
        Binding("3", "tab('all')", "all", show=False, id="tasks.tab_all"),
        Binding("4", "tab('plans')", "plans", show=False, id="tasks.tab_plans"),
        Binding("5", "tab('review')", "awaiting decision", show=False, id="tasks.tab_review"),
        Binding("a", "approve", "approve", id="tasks.approve"),
        Binding("t", "turn_down", "return / reject", id="tasks.turn_down"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.order = "deadline"
        self.search = ""
        self.needs_refresh = True
        self.first_count = True  # a unit that leads nothing opens on 全部, not an empty tab
        self.coordinates = False  # the unit coordinates plans: it decides their requests (待审批)

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
            with TabPane(gettext_in(lang, "awaiting decision"), id="review"):
                yield ReviewList(id="review-list")
        yield Static(id="message")
        yield Footer()

    def on_mount(self) -> None:
        localise_bindings(self, self.app.lang)
        self.query_one("#whoami", Static).update(plain(self.app.whoami()))
        self.active_table().focus()
        self.tabs().hide_tab("review")  # until we know the unit coordinates a plan
        self.app.gateway.coordinated_plans(self, self._coordinated)
        self.app.gateway.reporting(self, self.show_reporting)

    def _coordinated(self, plans: list[str]) -> None:
        self.coordinates = bool(plans)
        if self.coordinates:
            self.tabs().show_tab("review")
            self.refresh_bindings()

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
        if active in ("plans", "review"):
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
        waiting = self.query_one(ReviewList)
        waiting.loaded = False
        if self.is_mounted:
            self.app.gateway.reporting(self, self.show_reporting)  # an update may be the report
        active = self.active_table()
        if active is not None:
            active.reload(search=self.search, order=self.order, keep_cursor=keep_cursor)
        elif self.tabs().active == "plans":
            self.query_one(PlanTree).reload()
        elif self.tabs().active == "review":
            waiting.reload()

    def show_count(self) -> None:
        table = self.active_table()
        count = self.query_one("#count", Static)
        lang = self.app.lang
        if table is None and self.tabs().active == "review":
            waiting = self.query_one(ReviewList)
            count.update(plain(gettext_in(lang, "{n} waiting").format(n=len(waiting.requests)) if waiting.loaded else ""))
            empty = gettext_in(lang, "No requests are waiting.")
            if waiting.loaded and not waiting.requests:
                if not self.showing():  # not over what just happened
                    self.app.say(empty)
            elif self.showing() == empty:
                self.app.say("")
            return
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

    def on_review_list_counted(self, event: ReviewList.Counted) -> None:
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
        elif pane == "review":
            waiting = self.query_one(ReviewList)
            if not waiting.loaded:
                waiting.reload()
            elif not waiting.requests:  # an empty tab says so each time it is shown
                self.app.say(gettext_in(self.app.lang, "No requests are waiting."))
            waiting.focus()
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
        if pane == "review" and not self.coordinates:
            return
        self.tabs().active = pane

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # deciding is the 待审批 tab's, and the tab only a coordinating unit's
        if action in ("approve", "turn_down"):
            return self.coordinates and self.tabs().active == "review"
        if action in ("update", "undo", "sort", "focus_filter") and self.tabs().active == "review":
            return False  # the list of requests is neither filtered nor sorted, and no status is set here
        if action == "tab" and parameters == ("review",):
            return self.coordinates
        return True

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
        elif isinstance(event.data_table, ReviewList):
            event.stop()
            self.action_detail()

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
            self.app.say(saved_message(saved, task_key, lang))
            self.refresh_tables(keep_cursor=True)

    def action_undo(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        self.app.undo(self, row.assignment_id, row.key, self.app.identity.unit,
                      lambda: self.refresh_tables(keep_cursor=True))

    def action_detail(self) -> None:
        if self.tabs().active == "review":
            if (asked := self.query_one(ReviewList).selected()) is not None:
                self.open_detail(asked.plan_key, asked.task_key)
            return
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


    # ------------------------------------------------------------------ deciding (待审批)

    def action_approve(self) -> None:
        self._decide(approve=True)

    def action_turn_down(self) -> None:
        self._decide(approve=False)

    def _decide(self, *, approve: bool) -> None:
        asked = self.query_one(ReviewList).selected()
        lang = self.app.lang
        if asked is None:
            self.app.say(gettext_in(lang, "No requests are waiting."))
            return
        decision = "approved" if approve else ("returned" if asked.kind == "closing" else "rejected")

        def send(form: FormScreen, values: dict[str, str]) -> None:
            self.app.gateway.decide(form, asked.id, decision=decision, reason=values["reason"] or None,
                                    reply=form.dismiss, refused=form.refused)

        verb = {"approved": gettext_in(lang, "Approve"), "returned": gettext_in(lang, "Return"),
                "rejected": gettext_in(lang, "Reject")}[decision]
        title = gettext_in(lang, "{decision}: #{id} {kind} {key}").format(
            decision=verb, id=asked.id, kind=request_kind_label(asked.kind, lang), key=asked.task_key)
        about = f"{asked.plan_key} {asked.task_key} {asked.task_title} · {asked.unit}\n{what_is_asked(asked, lang)}"
        label = gettext_in(lang, "Remark") if approve else gettext_in(lang, "Reason")
        hint = gettext_in(lang, "optional; Enter approves") if approve else gettext_in(lang, "the unit reads it")
        self.app.push_screen(FormScreen(title, about, [Field("reason", label, hint, required=not approve)], send, lang),
                             self._after_decision)

    def _after_decision(self, decided) -> None:
        if decided is None:
            return
        lang = self.app.lang
        self.app.say(gettext_in(lang, "request #{id}: {task} {decision}").format(
            id=decided.id, task=f"{decided.task_key} {decided.unit}",
            decision=decision_label(decided.kind, decided.decision, lang)))
        self.refresh_tables(keep_cursor=True)
