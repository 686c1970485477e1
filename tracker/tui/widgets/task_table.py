"""One tab of "my tasks": a unit's tasks in one role, filtered, sorted and paged in SQL.

Textual's DataTable takes seconds to fill with 50,000 rows, so the table never holds more than
it needs: a page of PAGE rows, the next page fetched when the cursor nears the end, and no more
than MAX_ROWS in all (narrow with / beyond that). Every query runs in a thread worker; a
generation number drops answers to questions no longer asked (a filter typed over).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import DataTable

from ... import clock
from ...deadlines import traffic_light
from ...textwidth import fit, width
from ...i18n import STATUSES, t
from ...service import TaskRow
from ..text import state, tr

PAGE = 100
MAX_ROWS = 1000

# the 红黄绿灯 convention; explicit colours, so they read the same on any terminal palette
OVERDUE = "#ff6b6b"
DUE_SOON = "#f0c040"
DONE = "#6cc46c"


def row_colour(row: TaskRow) -> str | None:
    return {"done": DONE, "overdue": OVERDUE, "due_soon": DUE_SOON}.get(
        traffic_light(row.status, row.overdue, row.days_left))


def local_date(moment: datetime | None, tz: str = "Asia/Shanghai") -> str:
    if moment is None:
        return "—"
    return clock.local(moment, tz).strftime("%Y-%m-%d")


def days_text(row: TaskRow, lang: str) -> str:
    if row.status == "done" or row.days_left is None:
        return ""
    if row.days_left < 0:
        return tr("days_overdue", lang, n=-row.days_left)
    if row.days_left == 0:
        return tr("due_today", lang)
    return tr("days_left", lang, n=row.days_left)


def deadline_text(row: TaskRow, lang: str) -> str:
    if row.deadline_kind == "ongoing":
        return t("ongoing_deadline", lang)
    return row.due_on.isoformat() if row.due_on else ""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int


def columns_for(total: int, lang: str, with_role: bool = False) -> list[Column]:
    """The columns that fit `total` cells. At 80 cells: key, task, deadline, days left, status
    (and the role, on the tab that mixes roles); wider terminals add the last update, then the
    plan. The task text takes what is left."""
    status_w = max(width(state(code, 100, lang)) for code in STATUSES)
    days_w = max(width(tr("days_overdue", lang, n=1000)), width(tr("due_today", lang)))
    role_w = max(width(tr("role_lead", lang)), width(tr("role_responsible", lang)), width(tr("col_role_short", lang)))
    fixed = [Column("key", tr("col_key", lang), 7), Column("deadline", tr("col_deadline", lang), 10),
             Column("days", tr("col_days", lang), days_w), Column("status", tr("col_status", lang), status_w)]
    extra = []
    if total >= 100:
        extra.append(Column("updated", tr("col_updated", lang), 10))
    plan_w = 0
    if total >= 140:
        plan_w = min(32, (total - 120) // 2 + 10)
    role = [Column("role", tr("col_role_short", lang), role_w)] if with_role else []
    columns = (fixed[:1] + role + [None] + ([Column("plan", tr("col_plan", lang), plan_w)] if plan_w else [])
               + fixed[1:] + extra)
    used = sum(c.width + 2 for c in columns if c is not None) + 2  # 1 cell of padding each side; the task's own
    task_w = max(12, total - used)
    return [c or Column("task", tr("col_task", lang), task_w) for c in columns]


class TaskTable(DataTable):
    """A unit's tasks in one role (None: all roles)."""

    class Counted(Message):
        """The numbers behind `120 / 2,000` changed."""

        def __init__(self, table: TaskTable) -> None:
            super().__init__()
            self.table = table

    def __init__(self, role: str | None, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", cell_padding=1)
        self.role = role
        self.search = ""
        self.order = "deadline"
        self.loaded: list[TaskRow] = []
        self.by_key: dict[str, TaskRow] = {}
        self.matched: int | None = None
        self.total: int | None = None
        self.stale = True
        self.fetching_more = False
        self._generation = 0
        self._columns: list[Column] = []
        self._keep_key: str | None = None

    # ------------------------------------------------------------------ asking

    def reload(self, *, search: str | None = None, order: str | None = None, keep_cursor: bool = False,
               recount: bool = False) -> None:
        """Fetch the first page again, for a new filter or order, or after an update."""
        if search is not None and search != self.search:
            self.search = search
        if order is not None:
            self.order = order
        if recount:
            self.total = None
        self._keep_key = self.selected_key() if keep_cursor else None
        self._generation += 1
        self.stale = False
        self.fetching_more = False
        self._fetch(self._generation, self.search, self.order, 0, self.total is None)

    def load_more(self) -> None:
        if self.fetching_more or self.matched is None or len(self.loaded) >= min(self.matched, MAX_ROWS):
            return
        self.fetching_more = True
        self._fetch_more(self._generation, self.search, self.order, len(self.loaded))

    @work(thread=True, exclusive=True, group="fetch")
    def _fetch(self, generation: int, search: str, order: str, offset: int, count_total: bool) -> None:
        self._query(generation, search, order, offset, count_total)

    @work(thread=True, exclusive=True, group="more")
    def _fetch_more(self, generation: int, search: str, order: str, offset: int) -> None:
        self._query(generation, search, order, offset, False)

    def _query(self, generation: int, search: str, order: str, offset: int, count_total: bool) -> None:
        from ...service import count_unit_tasks, unit_tasks
        from ...service.tui import unit_by_id

        app = self.app
        try:
            with app.db.reading() as session:
                unit = unit_by_id(session, app.identity.unit_id)
                matched = total = None
                if offset == 0:
                    matched = count_unit_tasks(session, unit, role=self.role, search=search or None)
                    if count_total:
                        total = matched if not search else count_unit_tasks(session, unit, role=self.role)
                rows = unit_tasks(session, unit, role=self.role, search=search or None, order=order,
                                  limit=min(PAGE, MAX_ROWS - offset), offset=offset)
        except Exception as exc:
            app.call_from_thread(app.report_failure, exc)
            return
        app.call_from_thread(self._show, generation, offset, rows, matched, total)

    # ------------------------------------------------------------------ showing

    def _show(self, generation: int, offset: int, rows: list[TaskRow], matched: int | None,
              total: int | None) -> None:
        if generation != self._generation:
            return  # an answer to an earlier filter
        if offset == 0:
            self.loaded, self.by_key = [], {}
            self.matched = matched
            if total is not None:
                self.total = total
            self.clear()
        else:
            self.fetching_more = False
        self._ensure_columns()
        for row in rows:
            self.loaded.append(row)
            self.by_key[str(row.assignment_id)] = row
            self.add_row(*self._cells(row), key=str(row.assignment_id))
        if offset == 0 and self._keep_key in self.by_key:
            self.move_cursor(row=self.get_row_index(self._keep_key), animate=False)
        self.post_message(self.Counted(self))

    def _ensure_columns(self) -> None:
        available = (self.size.width or self.app.size.width) - 1  # the scrollbar's gutter
        wanted = columns_for(available, self.app.lang, with_role=self.role is None)
        if wanted == self._columns:
            return
        cursor = self.cursor_row
        self._columns = wanted
        self.clear(columns=True)
        for column in wanted:
            self.add_column(column.label, width=column.width, key=column.key)
        for row in self.loaded:
            self.add_row(*self._cells(row), key=str(row.assignment_id))
        if self.loaded:
            self.move_cursor(row=min(cursor, len(self.loaded) - 1), animate=False)

    def _cells(self, row: TaskRow) -> list[Text]:
        lang = self.app.lang
        values = {
            "key": row.key, "role": tr(f"role_{row.role}", lang), "task": row.title or row.text, "plan": row.plan_key,
            "deadline": deadline_text(row, lang), "days": days_text(row, lang),
            "status": state(row.status, row.percent, lang), "updated": local_date(row.status_at),
        }
        colour = row_colour(row)
        return [Text(fit(values[c.key], c.width), style=colour or "", no_wrap=True) for c in self._columns]

    def on_resize(self) -> None:
        if self._columns:
            self._ensure_columns()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= len(self.loaded) - 5:
            self.load_more()

    # ------------------------------------------------------------------ reading

    def selected_key(self) -> str | None:
        if not self.loaded or self.cursor_row < 0 or self.cursor_row >= len(self.loaded):
            return None
        return str(self.loaded[self.cursor_row].assignment_id)

    def selected(self) -> TaskRow | None:
        key = self.selected_key()
        return self.by_key.get(key) if key else None
